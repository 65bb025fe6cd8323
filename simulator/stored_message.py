"""A message stored as if it had been sent and reached a status, without running its
lifecycle (``POST /_smsim/messages``; a Pact provider state, docs/pact.md).

A consumer's pact that fetches ``/Messages/SM....json`` names a SID and a status it expects
to find; this puts exactly that message in the store, priced and dated as the lifecycle
would have left it, and schedules nothing (no step, no callback). Everything is checked
field by field first: nothing is stored unless the whole spec is valid.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from smsim.contracts import catalogue, segments
from smsim.simulator import phone, pricing
from smsim.simulator.accounts import Accounts
from smsim.simulator.clock import Clock
from smsim.simulator.errors import TwilioError
from smsim.simulator.ids import is_sid
from smsim.simulator.messages import Messages
from smsim.simulator.models import Message, new_message

# The statuses an outbound message can rest in, or reach with its lifecycle stopped.
STATUSES = (
    "queued",
    "sending",
    "sent",
    "delivered",
    "undelivered",
    "failed",
    "canceled",
    "scheduled",
    "accepted",
)
_PRICED = frozenset({"sent", "delivered", "undelivered"})  # the carrier took it: billed
_LEFT = frozenset({"sent", "delivered", "undelivered"})  # it has a date_sent
NEEDS_CODE = frozenset({"failed", "undelivered"})
KEYS = ("account_sid", "sid", "to", "from", "body", "status", "error_code")


@dataclass(frozen=True)
class MessageSpec:
    account_sid: str
    sid: str | None
    to: str
    from_: str
    body: str
    status: str
    error_code: int | None


def _bad(message: str) -> TwilioError:
    return TwilioError(20001, 400, message)


def parse_spec(data: Any) -> MessageSpec:
    """Check a JSON body field by field (the first bad field is named)."""
    if not isinstance(data, Mapping):
        raise _bad("Request body must be a JSON object")
    unknown = sorted(str(k) for k in data if k not in KEYS)
    if unknown:
        raise _bad(f"{unknown[0]}: not a field of a stored message (fields: {', '.join(KEYS)})")
    for key in ("account_sid", "to", "from", "body", "status"):
        if not isinstance(data.get(key), str):
            raise _bad(f"{key}: required, a string")
    if not is_sid(data["account_sid"], "AC"):
        raise _bad("account_sid: must be AC followed by 32 hex digits")
    sid = data.get("sid")
    if sid is not None and not (isinstance(sid, str) and (is_sid(sid, "SM") or is_sid(sid, "MM"))):
        raise _bad("sid: must be SM (or MM) followed by 32 hex digits")
    numbers = {}
    for key in ("to", "from"):
        e164 = phone.normalize(data[key])
        if e164 is None:
            raise _bad(f"{key}: {data[key]!r} is not a phone number (E.164, e.g. +14155550100)")
        numbers[key] = e164
    status = data["status"]
    if status not in STATUSES:
        raise _bad(f"status: must be one of {', '.join(STATUSES)}, not {status!r}")
    code = _error_code(data.get("error_code"), status)
    return MessageSpec(
        account_sid=data["account_sid"],
        sid=sid,
        to=numbers["to"],
        from_=numbers["from"],
        body=data["body"],
        status=status,
        error_code=code,
    )


def _error_code(raw: Any, status: str) -> int | None:
    if raw is None:
        if status in NEEDS_CODE:
            raise _bad(f"error_code: required with status {status!r} (smsim codes lists them)")
        return None
    if isinstance(raw, str) and raw.isdigit():
        raw = int(raw)
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise _bad(f"error_code: must be a whole number, not {raw!r}")
    if status not in NEEDS_CODE:
        raise _bad(f"error_code: only a failed or undelivered message has one, not {status!r}")
    if catalogue.get(raw) is None:
        raise _bad(f"error_code: {raw} is not in smsim's catalogue (smsim codes lists them)")
    return raw


def save(accounts: Accounts, messages: Messages, clock: Clock, spec: MessageSpec) -> Message:
    """Store ``spec`` as an outbound message that reached ``spec.status``; 404 for an
    unknown account, 409 for a SID already taken."""
    if accounts.get(spec.account_sid) is None:
        raise TwilioError(20404, 404, f"account_sid: no account {spec.account_sid}")
    if spec.sid is not None and messages.find(spec.sid) is not None:
        raise TwilioError(20001, 409, f"sid: a message {spec.sid} exists already")
    info = segments.analyze(spec.body)
    now = clock.now()
    entry = catalogue.get(spec.error_code) if spec.error_code is not None else None
    message = new_message(
        account_sid=spec.account_sid,
        direction="outbound-api",
        from_number=spec.from_,
        to_number=spec.to,
        body=spec.body,
        status=spec.status,
        num_segments=info.num_segments,
        now=now,
        error_code=spec.error_code,
        error_message=entry.error_message if entry is not None else None,
        date_sent=now if spec.status in _LEFT else None,
        segments=info.num_segments,
        encoding=info.encoding,
    )
    if spec.sid is not None:
        message.sid = spec.sid
    if spec.status in _PRICED:
        message.price = pricing.price_for(spec.to, info.num_segments)
    message.status_history = [["queued", spec.status, now]] if spec.status != "queued" else []
    messages.insert(message)
    return message
