"""Domain records. Plain dataclasses: no Flask, no SQL, no JSON shapes."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields
from typing import Any, Protocol, TypeVar

from smsim.simulator.ids import new_sid

T = TypeVar("T")


class Row(Protocol):
    """What :func:`from_row` needs of a database row: column names and values by name."""

    def keys(self) -> Iterable[str]: ...

    def __getitem__(self, key: str) -> Any: ...


def from_row(cls: type[T], row: Row, **overrides: Any) -> T:
    """Build dataclass ``cls`` from the columns of ``row`` that it declares."""
    keys = set(row.keys())
    values = {f.name: row[f.name] for f in fields(cls) if f.name in keys}  # type: ignore[arg-type]
    values.update(overrides)
    return cls(**values)


@dataclass(frozen=True)
class Account:
    sid: str
    auth_token: str
    friendly_name: str
    type: str  # "Trial" or "Full", as Twilio spells it
    status: str  # "active", "suspended", "closed"
    owner_account_sid: str | None
    date_created: float
    date_updated: float

    @property
    def is_trial(self) -> bool:
        return self.type == "Trial"


@dataclass(frozen=True)
class PhoneNumber:
    sid: str
    account_sid: str
    phone_number: str
    friendly_name: str
    sms_url: str | None
    sms_method: str
    sms_fallback_url: str | None
    sms_fallback_method: str
    status_callback: str | None
    messaging_service_sid: str | None
    date_created: float
    date_updated: float


@dataclass(frozen=True)
class ApiKey:
    """An API key as listed: the secret is deliberately not a field, so it is never read back."""

    sid: str
    account_sid: str
    friendly_name: str
    date_created: float


@dataclass(frozen=True)
class VerifiedNumber:
    sid: str
    account_sid: str
    phone_number: str
    friendly_name: str
    date_created: float
    date_updated: float


@dataclass
class Message:
    sid: str
    account_sid: str
    direction: str
    from_number: str | None
    to_number: str
    body: str
    status: str
    error_code: int | None
    error_message: str | None
    num_segments: int
    num_media: int
    price: str | None
    price_unit: str | None
    messaging_service_sid: str | None
    status_callback: str | None
    date_created: float
    date_updated: float
    date_sent: float | None
    # smsim's own bookkeeping, not Twilio fields; stored together in the ``extra`` column.
    segments: int | None = None  # as counted at creation (num_segments says 0 until a
    # Messaging Service picks a sender)
    encoding: str | None = None  # "GSM-7" or "UCS-2"
    validity_period: int | None = None  # seconds
    media_urls: list[str] = field(default_factory=list)
    send_at: float | None = None  # epoch seconds, for a scheduled message
    fixed_price: str | None = None  # a price set at creation (free auto-replies)
    auto_reply: str | None = None  # the keyword an auto-reply answers
    in_reply_to: str | None = None  # the inbound message a reply answers
    # Every status move as [from, to, at] (the inbox's timeline).
    status_history: list[list[Any]] = field(default_factory=list)


def new_message(
    *,
    account_sid: str,
    direction: str,
    from_number: str | None,
    to_number: str,
    body: str,
    status: str,
    num_segments: int,
    now: float,
    media_urls: Sequence[str] = (),
    error_code: int | None = None,
    error_message: str | None = None,
    messaging_service_sid: str | None = None,
    status_callback: str | None = None,
    date_sent: float | None = None,
    segments: int | None = None,
    encoding: str | None = None,
    validity_period: int | None = None,
    send_at: float | None = None,
    fixed_price: str | None = None,
    auto_reply: str | None = None,
    in_reply_to: str | None = None,
) -> Message:
    """A message not yet stored: a fresh SID (``MM`` with media, else ``SM``), created and
    updated ``now``, no price until sent (in USD)."""
    return Message(
        sid=new_sid("MM" if media_urls else "SM"),
        account_sid=account_sid,
        direction=direction,
        from_number=from_number,
        to_number=to_number,
        body=body,
        status=status,
        error_code=error_code,
        error_message=error_message,
        num_segments=num_segments,
        num_media=len(media_urls),
        price=None,
        price_unit="USD",
        messaging_service_sid=messaging_service_sid,
        status_callback=status_callback,
        date_created=now,
        date_updated=now,
        date_sent=date_sent,
        segments=segments,
        encoding=encoding,
        validity_period=validity_period,
        media_urls=list(media_urls),
        send_at=send_at,
        fixed_price=fixed_price,
        auto_reply=auto_reply,
        in_reply_to=in_reply_to,
    )


EXTRA_FIELDS = (
    "segments",
    "encoding",
    "validity_period",
    "media_urls",
    "send_at",
    "fixed_price",
    "auto_reply",
    "in_reply_to",
    "status_history",
)


def extra_of(message: Message) -> dict[str, Any]:
    """The bookkeeping fields of ``message`` as stored in the ``extra`` JSON column."""
    values = {name: getattr(message, name) for name in EXTRA_FIELDS}
    return {k: v for k, v in values.items() if v is not None}


def extra_fields(stored: Any) -> dict[str, Any]:
    """Keyword arguments for :class:`Message` from a stored ``extra`` object (keys it
    does not know are ignored)."""
    if not isinstance(stored, dict):
        return {}
    return {k: v for k, v in stored.items() if k in EXTRA_FIELDS}
