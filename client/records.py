"""What the integration's record modules share: event names, status ranks, row types,
errors, and :class:`Records`, the base each table-owning mixin builds on.

:class:`~smsim.client.store.Store` combines the mixins (one module per group of tables)
over one SQLite connection, so a multi-step change still happens in one transaction.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
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


class Records:
    """The connection services every record mixin uses; :class:`Store` provides them."""

    _lock: threading.RLock
    _clock: Callable[[], float]

    def _tx(self) -> AbstractContextManager[sqlite3.Connection]:
        """One transaction (``BEGIN IMMEDIATE`` ... ``COMMIT``), rolled back on error."""
        raise NotImplementedError

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        raise NotImplementedError

    def _tally(self, table: str, columns: str, after_id: int, most: int) -> RowTally:
        """Rows of ``table`` (an AUTOINCREMENT id, rows only appended) with ``after_id <
        id <= after_id + most``, grouped by ``columns``; for the owner of ``table``. A
        row is visible only once its transaction committed and ids never repeat, so a
        caller that passes the ``last`` it got counts every row once."""
        # two subqueries: SQLite reads MIN or MAX alone from the end of the index, but
        # both in one SELECT from a scan of every row
        bounds = self._query(
            f"SELECT (SELECT MIN(id) FROM {table}), (SELECT MAX(id) FROM {table})"
        )[0]
        oldest = None if bounds[0] is None else int(bounds[0])
        last = min(int(bounds[1] or 0), after_id + most)
        if last <= after_id:
            return RowTally(after_id, oldest, {})
        rows = self._query(
            f"SELECT {columns}, COUNT(*) FROM {table} WHERE id > ? AND id <= ? GROUP BY {columns}",
            (after_id, last),
        )
        return RowTally(last, oldest, {tuple(r)[:-1]: int(tuple(r)[-1]) for r in rows})

    def generation(self) -> int:
        """Moves whenever cached rows may be stale (see ``Store.generation``)."""
        raise NotImplementedError

    def _bump_generation(self, conn: sqlite3.Connection) -> None:
        """Inside a write transaction: cached rows are stale once it commits."""
        raise NotImplementedError

    def _event(
        self,
        conn: sqlite3.Connection,
        name: str,
        *,
        provider_id: int | None,
        campaign_id: int | None = None,
        message_id: int | None = None,
        props: Mapping[str, Any] | None = None,
        ts: float | None = None,
    ) -> None:
        """Record one event inside the caller's transaction (see ``event_records``)."""
        raise NotImplementedError
