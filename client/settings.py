"""Provider settings: the "Add SMS provider" form of CleverTap's documentation, field by field.

Validation is pure (no store, no HTTP) and returns *every* field error at once, so a form
can show them all; nothing invalid ever reaches the store. Uniqueness of the nickname and
the single-default rule need the other providers, so the store enforces those.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from smsim.contracts import callback_url
from smsim.contracts.fields import field_errors

E164_RE = re.compile(r"^\+[1-9][0-9]{1,14}$")
TEMPLATE_ID_RE = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
URL_MAX = 2048

# The form's fields, their shapes and their messages: provider_settings.schema.json.
_UPDATE_SCHEMA = "provider_settings#/$defs/input"
_CREATE_SCHEMA = "provider_settings#/$defs/create"
_REQUIRED_TEXT = ("nickname", "account_sid", "auth_token")
NO_SENDER = "enter at least one From number or a Service SID"


def mask_token(token: str) -> str:
    """The only form in which a token ever leaves the integration: its last 4 characters."""
    return "*" * 8 + token[-4:] if len(token) > 4 else "*" * 8


@dataclass(frozen=True)
class Provider:
    """A saved Twilio provider. ``callback_url`` is None while the default is in use."""

    id: int
    nickname: str
    account_sid: str
    auth_token: str = field(repr=False)
    callback_url: str | None
    from_numbers: tuple[str, ...]
    service_sid: str | None
    template_id_required: bool
    is_default: bool
    created_at: float
    updated_at: float

    def effective_callback_url(self, default_callback_url: str) -> str:
        """Where Twilio posts status callbacks for this provider's messages."""
        return self.callback_url or default_callback_url

    def to_public(self, default_callback_url: str) -> dict[str, Any]:
        """The JSON shape the API returns (see provider_settings.schema.json); token masked."""
        return {
            "id": self.id,
            "nickname": self.nickname,
            "account_sid": self.account_sid,
            "auth_token": mask_token(self.auth_token),
            "callback_url": self.effective_callback_url(default_callback_url),
            "callback_url_is_default": self.callback_url is None,
            "default_callback_url": default_callback_url,
            "from_numbers": list(self.from_numbers),
            "service_sid": self.service_sid,
            "template_id_required": self.template_id_required,
            "is_default": self.is_default,
        }


class ValidationError(Exception):
    """Field-by-field validation failure; ``fields`` maps a field name to its message."""

    def __init__(
        self,
        fields: Mapping[str, str],
        message: str = "invalid input",
        details: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.fields = dict(fields)
        self.message = message
        #: more of the answer than a message per field (the invalid recipients, listed)
        self.details = dict(details or {})


def validate_callback_url(value: Any) -> str | None:
    """Return an error message for a callback URL, or None when it is acceptable.

    Twilio requires an absolute URL with a valid hostname and refuses underscores in it.
    """
    if not isinstance(value, str) or not value.strip():
        return "must be an absolute http(s) URL"
    if len(value) > URL_MAX or any(ch.isspace() for ch in value):
        return "must be an absolute http(s) URL without spaces"
    return callback_url.problem(value)


def _split_numbers(value: Any) -> Any:
    """A From-number string split on commas and spaces; list items trimmed; else as given."""
    if isinstance(value, str):
        return [v for v in re.split(r"[,\s]+", value) if v]
    if isinstance(value, list | tuple):
        return [v.strip() if isinstance(v, str) else v for v in value]
    return value


def _trimmed(data: Mapping[str, Any], existing: Provider | None) -> dict[str, Any]:
    """The body as the schema checks it: text trimmed, a required text field's null read as
    empty, a From-number string split, and a masked auth token (unchanged) left out."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key in _REQUIRED_TEXT and value is None:
            value = ""
        if key == "from_numbers":
            value = _split_numbers(value)
        elif isinstance(value, str) and key != "callback_url":
            value = value.strip()
        out[key] = value
    if existing is not None and data.get("auth_token") == mask_token(existing.auth_token):
        del out["auth_token"]
    return out


def clean_provider_input(
    data: Any, *, existing: Provider | None = None, default_callback_url: str = ""
) -> dict[str, Any]:
    """Validate a create (``existing`` None) or partial update; return the cleaned fields.

    Raises :class:`ValidationError` listing every bad field. The shapes are the ``input``
    and ``create`` definitions of ``provider_settings.schema.json``; what a schema cannot
    say is checked here: the callback URL's Twilio rules, and that a provider keeps a From
    number or a Service SID. On update, omitted fields keep their saved value, and an
    ``auth_token`` equal to the masked token is treated as unchanged (a form that
    round-trips what the API returned does not wipe the secret).
    """
    if not isinstance(data, Mapping):
        raise ValidationError({}, "the request body must be a JSON object")
    body = _trimmed(data, existing)
    schema_name = _CREATE_SCHEMA if existing is None else _UPDATE_SCHEMA
    errors = {str(e.location[0]): e.message for e in field_errors(schema_name, body)}
    out = {key: value for key, value in body.items() if key not in errors}
    if "callback_url" in out:
        url = out["callback_url"]
        if url in (None, "") or url == default_callback_url:
            out["callback_url"] = None  # the default
        elif problem := validate_callback_url(url):
            errors["callback_url"] = problem
            del out["callback_url"]
        else:
            out["callback_url"] = url.strip()
    if "from_numbers" in out:
        out["from_numbers"] = tuple(dict.fromkeys(out["from_numbers"] or ()))
    if "service_sid" in out:
        out["service_sid"] = out["service_sid"] or None
    if "from_numbers" not in errors and "service_sid" not in errors:
        numbers = out.get("from_numbers", existing.from_numbers if existing else ())
        service = out.get("service_sid", existing.service_sid if existing else None)
        if not numbers and not service:
            errors["from_numbers"] = NO_SENDER
    if errors:
        raise ValidationError(errors)
    return out


def validate_template_id(provider: Provider, template_id: Any) -> str | None:
    """Check the template ID a send carries against the provider's Template ID option."""
    if template_id in (None, ""):
        if provider.template_id_required:
            return f"is required: provider {provider.nickname!r} has the Template ID option on"
        return None
    if not isinstance(template_id, str) or not TEMPLATE_ID_RE.match(template_id):
        return "must be 1 to 64 letters, digits or _ . : -"
    return None
