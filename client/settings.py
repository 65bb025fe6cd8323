"""Provider settings: the "Add SMS provider" form of CleverTap's documentation, field by field.

Validation is pure (no store, no HTTP) and returns *every* field error at once, so a form
can show them all; nothing invalid ever reaches the store. Uniqueness of the nickname and
the single-default rule need the other providers, so the store enforces those.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from smsim.contracts import callback_url

ACCOUNT_SID_RE = re.compile(r"^AC[0-9a-fA-F]{32}$")
SERVICE_SID_RE = re.compile(r"^MG[0-9a-fA-F]{32}$")
# Twilio issues 32-character auth tokens (hex); API-key secrets are 32 alphanumerics.
AUTH_TOKEN_RE = re.compile(r"^[A-Za-z0-9]{32}$")
E164_RE = re.compile(r"^\+[1-9][0-9]{1,14}$")
TEMPLATE_ID_RE = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
NICKNAME_MAX = 64
URL_MAX = 2048

FIELDS = (
    "nickname",
    "account_sid",
    "auth_token",
    "callback_url",
    "from_numbers",
    "service_sid",
    "template_id_required",
    "is_default",
)

MESSAGES = {
    "required": "is required",
    "nickname": f"must be 1 to {NICKNAME_MAX} characters",
    "account_sid": "must be AC followed by 32 hex digits",
    "auth_token": "must be the 32-character auth token from the Twilio console",
    "service_sid": "must be MG followed by 32 hex digits",
    "from_numbers": "each From number must be in E.164 format, e.g. +14155550100",
    "sender": "enter at least one From number or a Service SID",
    "bool": "must be true or false",
}


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

    def __init__(self, fields: Mapping[str, str], message: str = "invalid input") -> None:
        super().__init__(message)
        self.fields = dict(fields)
        self.message = message


def validate_callback_url(value: Any) -> str | None:
    """Return an error message for a callback URL, or None when it is acceptable.

    Twilio requires an absolute URL with a valid hostname and refuses underscores in it.
    """
    if not isinstance(value, str) or not value.strip():
        return "must be an absolute http(s) URL"
    if len(value) > URL_MAX or any(ch.isspace() for ch in value):
        return "must be an absolute http(s) URL without spaces"
    return callback_url.problem(value)


def parse_from_numbers(value: Any) -> tuple[list[str], str | None]:
    """Accept one number, a comma/space separated string, or a list; return (numbers, error)."""
    if value is None:
        return [], None
    if isinstance(value, str):
        items: Iterable[Any] = [v for v in re.split(r"[,\s]+", value) if v]
    elif isinstance(value, list | tuple):
        items = value
    else:
        return [], "must be a phone number or a list of phone numbers"
    numbers: list[str] = []
    for item in items:
        if not isinstance(item, str) or not E164_RE.match(item.strip()):
            return [], f"{item!r}: {MESSAGES['from_numbers']}"
        number = item.strip()
        if number not in numbers:
            numbers.append(number)
    return numbers, None


def clean_provider_input(
    data: Any, *, existing: Provider | None = None, default_callback_url: str = ""
) -> dict[str, Any]:
    """Validate a create (``existing`` None) or partial update; return the cleaned fields.

    Raises :class:`ValidationError` listing every bad field. On update, omitted fields keep
    their saved value, and an ``auth_token`` equal to the masked token is treated as
    unchanged (a form that round-trips what the API returned does not wipe the secret).
    """
    if not isinstance(data, Mapping):
        raise ValidationError({}, "the request body must be a JSON object")
    errors: dict[str, str] = {}
    out: dict[str, Any] = {}
    for key in data:
        if key not in FIELDS:
            errors[str(key)] = "unknown field"
    creating = existing is None

    def present(name: str) -> bool:
        return name in data

    if present("nickname") or creating:
        nick = data.get("nickname")
        if not isinstance(nick, str) or not nick.strip():
            errors["nickname"] = MESSAGES["required"]
        elif len(nick.strip()) > NICKNAME_MAX:
            errors["nickname"] = MESSAGES["nickname"]
        else:
            out["nickname"] = nick.strip()

    if present("account_sid") or creating:
        sid = data.get("account_sid")
        if sid in (None, ""):
            errors["account_sid"] = MESSAGES["required"]
        elif not isinstance(sid, str) or not ACCOUNT_SID_RE.match(sid.strip()):
            errors["account_sid"] = MESSAGES["account_sid"]
        else:
            out["account_sid"] = sid.strip()

    if present("auth_token") or creating:
        token = data.get("auth_token")
        if existing is not None and token == mask_token(existing.auth_token):
            pass  # unchanged
        elif token in (None, ""):
            errors["auth_token"] = MESSAGES["required"]
        elif not isinstance(token, str) or not AUTH_TOKEN_RE.match(token.strip()):
            errors["auth_token"] = MESSAGES["auth_token"]
        else:
            out["auth_token"] = token.strip()

    if present("callback_url"):
        url = data.get("callback_url")
        if url in (None, "") or url == default_callback_url:
            out["callback_url"] = None  # the default
        else:
            problem = validate_callback_url(url)
            if problem:
                errors["callback_url"] = problem
            else:
                out["callback_url"] = url.strip()

    if present("from_numbers"):
        numbers, problem = parse_from_numbers(data.get("from_numbers"))
        if problem:
            errors["from_numbers"] = problem
        else:
            out["from_numbers"] = tuple(numbers)

    if present("service_sid"):
        ms = data.get("service_sid")
        if ms in (None, ""):
            out["service_sid"] = None
        elif not isinstance(ms, str) or not SERVICE_SID_RE.match(ms.strip()):
            errors["service_sid"] = MESSAGES["service_sid"]
        else:
            out["service_sid"] = ms.strip()

    for flag in ("template_id_required", "is_default"):
        if present(flag):
            if not isinstance(data[flag], bool):
                errors[flag] = MESSAGES["bool"]
            else:
                out[flag] = data[flag]

    if "from_numbers" not in errors and "service_sid" not in errors:
        numbers = out.get("from_numbers", existing.from_numbers if existing else ())
        service = out.get("service_sid", existing.service_sid if existing else None)
        if not numbers and not service:
            errors["from_numbers"] = MESSAGES["sender"]

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
