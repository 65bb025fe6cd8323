"""What the integration's record modules share: event names, status ranks, row types
and errors.

Each group of tables has one owning module (``provider_records``, ``message_records``,
``callback_records``, ``link_records``, ``event_records``; ``campaign_queue``), a plain
class over :class:`~smsim.client.store.Store`'s connection, so a multi-step change that
spans owners still happens in one transaction.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from smsim.client.settings import Provider

EVENT_SENT = "Notification Sent"
EVENT_DELIVERED = "Notification Delivered"
EVENT_FAILED = "Notification Failed"
EVENT_CLICKED = "Notification Clicked"
EVENT_REPLIED = "Notification Replied"
EVENT_NAMES = (EVENT_SENT, EVENT_DELIVERED, EVENT_FAILED, EVENT_CLICKED, EVENT_REPLIED)

TERMINAL_RANK = 9
#: Twilio's outbound statuses, ordered. A status only ever moves up; terminal ones never move.
STATUS_RANK: dict[str, int] = {
    "pending": -1,  # created here, not yet handed to Twilio
    "accepted": 0,
    "scheduled": 0,
    "queued": 1,
    "sending": 2,
    "sent": 3,
    "delivered": TERMINAL_RANK,
    "undelivered": TERMINAL_RANK,
    "failed": TERMINAL_RANK,
    "canceled": TERMINAL_RANK,
}
FAILED_STATUSES = ("failed", "undelivered")


class ConflictError(Exception):
    """A change that contradicts saved state (duplicate nickname, unsetting the default)."""

    def __init__(self, fields: Mapping[str, str], message: str = "conflict") -> None:
        super().__init__(message)
        self.fields = dict(fields)
        self.message = message


class NotFoundError(Exception):
    """The referenced provider, campaign or link does not exist."""


@dataclass(frozen=True)
class MessageRow:
    """One outbound message as the integration tracks it."""

    id: int
    campaign_id: int | None
    provider_id: int
    to_number: str
    from_number: str | None
    body: str
    sid: str | None
    status: str
    error_code: int | None
    error_message: str | None


@dataclass(frozen=True)
class SendOutcome:
    """What Twilio answered for one message (see twilio_rest.SendResult)."""

    message_id: int
    sid: str | None
    status: str
    from_number: str | None
    error_code: int | None
    error_message: str | None


def provider_from_row(row: sqlite3.Row) -> Provider:
    return Provider(
        id=row["id"],
        nickname=row["nickname"],
        account_sid=row["account_sid"],
        auth_token=row["auth_token"],
        callback_url=row["callback_url"],
        from_numbers=tuple(json.loads(row["from_numbers"])),
        service_sid=row["service_sid"],
        template_id_required=bool(row["template_id_required"]),
        is_default=bool(row["is_default"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def message_from_row(row: sqlite3.Row) -> MessageRow:
    return MessageRow(
        id=row["id"],
        campaign_id=row["campaign_id"],
        provider_id=row["provider_id"],
        to_number=row["to_number"],
        from_number=row["from_number"],
        body=row["body"],
        sid=row["sid"],
        status=row["status"],
        error_code=row["error_code"],
        error_message=row["error_message"],
    )


@dataclass(frozen=True)
class RowTally:
    """Rows added to an append-only table after a known id, grouped: ``counts`` maps
    each group (a tuple of the grouping columns' values) to its rows. ``last`` is the
    id to pass next time; ``oldest`` the table's lowest id now (None when empty). Rows
    are only ever deleted all at once (``Store.clear``), so an ``oldest`` above an id
    already tallied, or none at all, means the table was emptied since."""

    last: int
    oldest: int | None
    counts: dict[tuple[Any, ...], int]

    def emptied_since(self, tallied: int) -> bool:
        """Whether the rows up to ``tallied``, counted earlier, were deleted since."""
        return tallied > 0 and (self.oldest is None or self.oldest > tallied)
