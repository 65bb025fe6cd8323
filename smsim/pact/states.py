"""The provider states ``smsim pact verify`` sets up, each with its parameters.

A pact names a state and its params (``given("an account", {...})``); :func:`check`
reads them before anything runs, so a misspelt state or a bad parameter fails its
interaction with a sentence instead of a mismatch nobody can explain, and :func:`set_up`
brings a running simulator into that state through its public surfaces only
(the control API ``/_smsim/...`` and the Twilio REST API), so it works the same on an
in-process server and on one reached with ``--against``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from smsim.contracts import catalogue
from smsim.pact.provider import Provider, StateError
from smsim.pact.webhooks import CapturedWebhook, inbound_message, status_callback
from smsim.simulator import phone
from smsim.simulator.errors import TwilioError
from smsim.simulator.stored_message import parse_spec

_ACCOUNT_SID = re.compile(r"AC[0-9a-fA-F]{32}\Z")
_SERVICE_SID = re.compile(r"MG[0-9a-fA-F]{32}\Z")
CALLBACK_STATUSES = ("sent", "delivered", "undelivered", "failed")
_NEEDS_CODE = frozenset({"undelivered", "failed"})

Checker = Callable[[Mapping[str, Any]], None]
Setter = Callable[[Provider, Mapping[str, Any]], CapturedWebhook | None]


@dataclass(frozen=True)
class State:
    """One provider state: its name, its params as documented, how to check and set it."""

    name: str
    summary: str
    params: tuple[tuple[str, str], ...]  # (name, what it is); "?" ends an optional name
    check: Checker
    set_up: Setter

    @property
    def keys(self) -> frozenset[str]:
        return frozenset(name.rstrip("?") for name, _ in self.params)


def _only(params: Mapping[str, Any], state: State) -> None:
    unknown = sorted(str(k) for k in params if k not in state.keys)
    if unknown:
        raise StateError(
            f"{unknown[0]}: not a parameter of {state.name!r} "
            f"(its parameters: {', '.join(sorted(state.keys))})"
        )


def _text(params: Mapping[str, Any], key: str, required: bool = True) -> str | None:
    value = params.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise StateError(
            f"{key}: required, a non-empty string"
            if required
            else f"{key}: must be a non-empty string"
        )
    return value


def _number(params: Mapping[str, Any], key: str, required: bool = True) -> str | None:
    value = _text(params, key, required)
    if value is not None and phone.normalize(value) is None:
        raise StateError(f"{key}: {value!r} is not a phone number (E.164, e.g. +14155550100)")
    return value


def _strings(params: Mapping[str, Any], key: str) -> None:
    value = params.get(key)
    if value is not None and not (
        isinstance(value, list) and all(isinstance(v, str | dict) for v in value)
    ):
        raise StateError(f'{key}: must be a list, e.g. ["+14155550100"], not {value!r}')


def error_code(params: Mapping[str, Any], status: str) -> int | None:
    """The ``error_code`` param as a catalogued code (pacts often carry it as a string)."""
    raw = params.get("error_code")
    if raw is None:
        if status in _NEEDS_CODE:
            raise StateError(
                f"error_code: required with status {status!r} (smsim codes lists them)"
            )
        return None
    if isinstance(raw, str) and raw.isdigit():
        raw = int(raw)
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise StateError(f"error_code: must be a whole number, not {raw!r}")
    if status not in _NEEDS_CODE:
        raise StateError(
            f"error_code: only an undelivered or failed callback has one, not {status!r}"
        )
    if catalogue.get(raw) is None:
        raise StateError(f"error_code: {raw} is not in smsim's catalogue (smsim codes lists them)")
    return raw


# -- an account ------------------------------------------------------------------------


def _check_account(params: Mapping[str, Any]) -> None:
    _only(params, ACCOUNT)
    sid = _text(params, "sid")
    if sid is not None and not _ACCOUNT_SID.match(sid):
        raise StateError("sid: must be AC followed by 32 hex digits")
    _text(params, "auth_token")
    kind = params.get("type", "full")
    if not isinstance(kind, str) or kind.lower() not in {"full", "trial"}:
        raise StateError(f"type: must be 'full' or 'trial', not {kind!r}")
    _strings(params, "numbers")
    _strings(params, "verified_numbers")


def _set_account(provider: Provider, params: Mapping[str, Any]) -> None:
    provider.put_account(dict(params))
    return None


ACCOUNT = State(
    "an account",
    "an account with this SID and Auth Token (Basic auth works), created or replaced",
    (
        ("sid", "AC + 32 hex digits"),
        ("auth_token", "the Auth Token the pact's Basic auth uses"),
        ("type?", "full (default) or trial"),
        ("numbers?", 'Twilio numbers it owns: "+1..." or {"phone_number", "sms_url"?, ...}'),
        ("verified_numbers?", "numbers a trial account may text"),
        ("friendly_name?", "a name"),
    ),
    _check_account,
    _set_account,
)


# -- a rule ----------------------------------------------------------------------------


def _check_rule(params: Mapping[str, Any]) -> None:
    if not params:
        raise StateError('a rule needs its body: {"match": {...}, "outcome": {...}}')


def _set_rule(provider: Provider, params: Mapping[str, Any]) -> None:
    provider.control("POST", "/rules", dict(params))
    return None


RULE = State(
    "a rule",
    "an outcome rule, exactly as POST /_smsim/rules takes it (docs/control-api.md)",
    (
        ("match?", '{"to", "to_prefix", "from", "body_contains"}'),
        ("outcome", '{"status", "error_code"?, "delays"?}'),
        ("probability?", "0-1"),
        ("count?", "expires after this many messages"),
        ("rules?", "several rules at once, instead of one"),
    ),
    _check_rule,
    _set_rule,
)


# -- an opt-out ------------------------------------------------------------------------


def _check_opt_out(params: Mapping[str, Any]) -> None:
    _only(params, OPT_OUT)
    _number(params, "handset")
    _number(params, "number")


def _set_opt_out(provider: Provider, params: Mapping[str, Any]) -> None:
    provider.control(
        "POST", "/inbound", {"from": params["handset"], "to": params["number"], "body": "STOP"}
    )
    return None


OPT_OUT = State(
    "an opt-out",
    "the handset texted STOP to the number (a Twilio number some account owns): "
    "sends from it to the handset get 21610",
    (("handset", "the phone that opted out"), ("number", "the Twilio number it texted")),
    _check_opt_out,
    _set_opt_out,
)


# -- a message -------------------------------------------------------------------------


def _check_message(params: Mapping[str, Any]) -> None:
    try:
        parse_spec(params)
    except TwilioError as exc:
        raise StateError(exc.message) from None


def _set_message(provider: Provider, params: Mapping[str, Any]) -> None:
    provider.control("POST", "/messages", dict(params))
    return None


MESSAGE = State(
    "a message",
    "an outbound message stored as if it had been sent and reached that status",
    (
        ("account_sid", "an account set up before (e.g. by 'an account')"),
        ("sid?", "SM + 32 hex digits; absent: a fresh one"),
        ("to", "the handset"),
        ("from", "the sender"),
        ("body", "the text"),
        ("status", "queued, sending, sent, delivered, undelivered, failed, canceled, ..."),
        ("error_code?", "a catalogued code, with undelivered or failed"),
    ),
    _check_message,
    _set_message,
)


# -- a status callback -----------------------------------------------------------------


def _check_callback(params: Mapping[str, Any]) -> None:
    _only(params, STATUS_CALLBACK)
    status = _text(params, "status")
    if status not in CALLBACK_STATUSES:
        raise StateError(f"status: must be one of {', '.join(CALLBACK_STATUSES)}, not {status!r}")
    error_code(params, status)
    sid = _text(params, "account_sid", required=False)
    if sid is not None and not _ACCOUNT_SID.match(sid):
        raise StateError("account_sid: must be AC followed by 32 hex digits")
    _number(params, "to", required=False)
    _number(params, "from", required=False)
    service = _text(params, "messaging_service_sid", required=False)
    if service is not None and not _SERVICE_SID.match(service):
        raise StateError("messaging_service_sid: must be MG followed by 32 hex digits")


STATUS_CALLBACK = State(
    "a status callback",
    "the status callback smsim sends when a message ends in that status (a message pact)",
    (
        ("status", "sent, delivered, undelivered or failed"),
        ("error_code?", "a catalogued code, with undelivered or failed"),
        ("account_sid?", "the account that sends (created when missing)"),
        ("to?", "the handset (default +14155550100)"),
        ("from?", "the sender (default the account's first number, else +15005550006)"),
        ("messaging_service_sid?", "send through a Messaging Service (its SID is a fresh one)"),
    ),
    _check_callback,
    lambda provider, params: status_callback(
        provider, params, error_code(params, params["status"])
    ),
)


# -- an inbound message ----------------------------------------------------------------


def _check_inbound(params: Mapping[str, Any]) -> None:
    _only(params, INBOUND)
    _number(params, "from")
    _number(params, "to")
    body = params.get("body")
    if not isinstance(body, str):
        raise StateError("body: required, a string")
    media = params.get("media_urls")
    if media is not None and not (
        isinstance(media, list) and all(isinstance(u, str) for u in media)
    ):
        raise StateError(f"media_urls: must be a list of URLs, not {media!r}")


INBOUND = State(
    "an inbound message",
    "the webhook smsim sends to the number's SMS URL when a handset texts it (a message pact)",
    (
        ("from", "the handset"),
        ("to", "the Twilio number (its account is created when no account owns it)"),
        ("body", "the text"),
        ("media_urls?", "MMS media URLs"),
    ),
    _check_inbound,
    inbound_message,
)

STATES: dict[str, State] = {
    s.name: s for s in (ACCOUNT, RULE, OPT_OUT, MESSAGE, STATUS_CALLBACK, INBOUND)
}
MESSAGE_STATES = frozenset({STATUS_CALLBACK.name, INBOUND.name})


def check(name: str, params: Any) -> None:
    """Raise :class:`StateError` when ``name`` is unknown or its params are bad."""
    state = STATES.get(name)
    if state is None:
        raise StateError(
            f"unknown provider state {name!r}; smsim knows: "
            + ", ".join(repr(known) for known in STATES)
        )
    if params is None:
        params = {}
    if not isinstance(params, Mapping):
        raise StateError(f"the params of {name!r} must be an object, not {params!r}")
    try:
        state.check(params)
    except StateError as exc:
        raise StateError(f"provider state {name!r}: {exc}") from None


def set_up(provider: Provider, name: str, params: Mapping[str, Any]) -> CapturedWebhook | None:
    """Bring the simulator into state ``name`` (checked before); a webhook it produced."""
    try:
        return STATES[name].set_up(provider, params)
    except StateError as exc:
        raise StateError(f"provider state {name!r}: {exc}") from None
