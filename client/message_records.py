"""The ``campaigns`` and ``messages`` tables: what the integration sent, and what Twilio
answered when it was sent. Every write to either table is here: the campaign sender
(``campaign_queue``) and the receiver (``callback_records``) change them through these
methods, inside their own transactions."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from smsim.client.records import (
    EVENT_FAILED,
    EVENT_SENT,
    FAILED_STATUSES,
    STATUS_RANK,
    TERMINAL_RANK,
    MessageRow,
    NotFoundError,
    RowTally,
    SendOutcome,
    message_from_row,
)
from smsim.sqlwhere import Where

if TYPE_CHECKING:
    from smsim.client.event_records import EventRecords
    from smsim.client.store import Store


class MessageRecords:
    """Campaigns and their messages (and test messages outside any campaign)."""

    def __init__(self, store: Store, events: EventRecords) -> None:
        self._store = store
        self._events = events

    def create_campaign(
        self,
        *,
        provider_id: int,
        body: str,
        recipients: Sequence[str],
        name: str | None,
        click_tracking: bool,
        template_id: str | None,
        variant: int = 0,
    ) -> tuple[int, list[int]]:
        """Create a campaign and one pending message per recipient; return (id, message ids)."""
        now = self._store.clock()
        with self._store.transaction() as conn:
            cur = conn.execute(
                "INSERT INTO campaigns (name, provider_id, body, click_tracking, template_id,"
                " variant, targeted, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    name,
                    provider_id,
                    body,
                    int(click_tracking),
                    template_id,
                    variant,
                    len(recipients),
                    now,
                ),
            )
            campaign_id = int(cur.lastrowid or 0)
            conn.executemany(
                "INSERT INTO messages (campaign_id, provider_id, to_number, body, created_at,"
                " updated_at) VALUES (?, ?, ?, ?, ?, ?)",
                [(campaign_id, provider_id, to, body, now, now) for to in recipients],
            )
            ids = [
                r[0]
                for r in conn.execute(
                    "SELECT id FROM messages WHERE campaign_id = ? ORDER BY id", (campaign_id,)
                )
            ]
        return campaign_id, ids

    def set_message_bodies(self, bodies: Iterable[tuple[int, str]]) -> None:
        """Store the per-recipient body (with tracked links) actually sent."""
        with self._store.transaction() as conn:
            conn.executemany(
                "UPDATE messages SET body = ? WHERE id = ?", [(b, i) for i, b in bodies]
            )

    def create_test_message(self, provider_id: int, to: str, body: str) -> int:
        """A pending message outside any campaign (Send Test SMS)."""
        now = self._store.clock()
        with self._store.transaction() as conn:
            cur = conn.execute(
                "INSERT INTO messages (campaign_id, provider_id, to_number, body, created_at,"
                " updated_at) VALUES (NULL, ?, ?, ?, ?, ?)",
                (provider_id, to, body, now, now),
            )
            return int(cur.lastrowid or 0)

    def targeted_since(self, after_id: int, most: int) -> RowTally:
        """Messages created after ``after_id`` (each a recipient targeted), by campaign
        (None: a test SMS)."""
        return self._store.tally("messages", "campaign_id", after_id, most)

    def get_campaign(self, campaign_id: int) -> dict[str, Any]:
        """A campaign's settings as a plain dict."""
        rows = self._store.all("SELECT * FROM campaigns WHERE id = ?", (campaign_id,))
        if not rows:
            raise NotFoundError(f"campaign {campaign_id} not found")
        return dict(rows[0])

    def list_campaigns(self) -> list[dict[str, Any]]:
        """Every campaign, newest first."""
        return [dict(r) for r in self._store.all("SELECT * FROM campaigns ORDER BY id DESC")]

    def campaign_messages(
        self,
        campaign_id: int,
        *,
        statuses: Sequence[str] = (),
        error_code: int | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> tuple[int, list[dict[str, Any]]]:
        """(matching count, one page of) a campaign's messages in recipient order, filtered
        by status (any of ``statuses``) and error code; ``limit`` None means all of them."""
        where = Where().equals("campaign_id", campaign_id).equals("error_code", error_code)
        if statuses:
            where.add(f"status IN ({', '.join('?' * len(statuses))})", *statuses)
        total = int(
            self._store.all(f"SELECT COUNT(*) AS n FROM messages{where.sql}", where.params)[0][0]
        )
        rows = self._store.all(
            "SELECT id, to_number, from_number, sid, status, error_code, error_message,"
            f" created_at, updated_at FROM messages{where.sql} ORDER BY id LIMIT ? OFFSET ?",
            [*where.params, -1 if limit is None else limit, offset],
        )
        return total, [dict(r) for r in rows]

    def get_message(self, message_id: int) -> MessageRow | None:
        """One message by its integration id."""
        rows = self._store.all("SELECT * FROM messages WHERE id = ?", (message_id,))
        return message_from_row(rows[0]) if rows else None

    def message_by_sid(self, sid: str) -> MessageRow | None:
        """One message by its Twilio SID."""
        rows = self._store.all("SELECT * FROM messages WHERE sid = ?", (sid,))
        return message_from_row(rows[0]) if rows else None

    def last_message_to(
        self, provider_id: int, handset: str, number: str | None = None
    ) -> MessageRow | None:
        """The latest message a provider sent to a handset (what a reply answers): the
        latest sent from ``number`` (the number the handset texted) when there is one."""
        rows = self._store.all(
            "SELECT * FROM messages WHERE provider_id = ? AND to_number = ? AND sid IS NOT NULL"
            " ORDER BY (from_number IS NOT NULL AND from_number = ?) DESC, id DESC LIMIT 1",
            (provider_id, handset, number),
        )
        return message_from_row(rows[0]) if rows else None

    def record_send_outcomes(self, outcomes: Sequence[SendOutcome]) -> None:
        """Record what Twilio answered, in one transaction per batch.

        A status callback may have arrived (attributed by meta) before this runs, so the
        status only moves up, and the SID is only filled in when still unknown.
        """
        if not outcomes:
            return
        with self._store.transaction() as conn:
            self.apply_send_outcomes(conn, outcomes)

    def apply_send_outcomes(
        self, conn: sqlite3.Connection, outcomes: Sequence[SendOutcome]
    ) -> None:
        """The body of :meth:`record_send_outcomes`, inside a transaction the caller holds
        (so a caller can record its own state in the same commit)."""
        now = self._store.clock()
        for o in outcomes:
            row = conn.execute(
                "SELECT campaign_id, provider_id, to_number FROM messages WHERE id = ?",
                (o.message_id,),
            ).fetchone()
            if row is None:
                continue
            rank = STATUS_RANK.get(o.status, 0)
            conn.execute(
                "UPDATE messages SET sid = COALESCE(sid, ?),"
                " from_number = COALESCE(?, from_number),"
                " error_code = CASE WHEN status_rank < ? THEN ? ELSE error_code END,"
                " error_message = CASE WHEN status_rank < ? THEN ? ELSE error_message END,"
                " status = CASE WHEN status_rank < ? THEN ? ELSE status END,"
                " status_rank = MAX(status_rank, ?), updated_at = ? WHERE id = ?",
                (
                    o.sid,
                    o.from_number,
                    rank,
                    o.error_code,
                    rank,
                    o.error_message,
                    rank,
                    o.status,
                    rank,
                    now,
                    o.message_id,
                ),
            )
            common = {
                "provider_id": row["provider_id"],
                "campaign_id": row["campaign_id"],
                "message_id": o.message_id,
            }
            if o.sid:
                self._events.record(
                    conn, EVENT_SENT, **common, props={"to": row["to_number"], "sid": o.sid}
                )
            else:
                self._events.record(
                    conn,
                    EVENT_FAILED,
                    **common,
                    props={
                        "to": row["to_number"],
                        "error_code": o.error_code,
                        "error_message": o.error_message,
                        "stage": "send",
                    },
                )

    def finish_campaign(self, conn: sqlite3.Connection, campaign_id: int, now: float) -> None:
        """Stamp a campaign's ``finished_at`` once, inside the caller's transaction (the
        sender marks its run finished in the same commit)."""
        conn.execute(
            "UPDATE campaigns SET finished_at = ? WHERE id = ? AND finished_at IS NULL",
            (now, campaign_id),
        )

    def cancel_messages(
        self, conn: sqlite3.Connection, message_ids: Sequence[int], now: float
    ) -> None:
        """Mark never-sent messages ``canceled`` (a final status), inside the caller's
        transaction."""
        conn.executemany(
            "UPDATE messages SET status = 'canceled', status_rank = ?, updated_at = ? WHERE id = ?",
            [(TERMINAL_RANK, now, mid) for mid in message_ids],
        )

    def apply_callback_status(
        self,
        conn: sqlite3.Connection,
        message_id: int,
        *,
        message_sid: str,
        status: str,
        error_code: int | None,
        error_message: str | None,
        now: float,
    ) -> sqlite3.Row | None:
        """Inside the caller's transaction: fill in the SID if still unknown, and move the
        message to ``status`` when that is a move up. Returns the message's row as it was
        before, or None when the status did not move (this or a later one already
        recorded, a final one, or no such message)."""
        row = conn.execute("SELECT * FROM messages WHERE id = ?", (message_id,)).fetchone()
        conn.execute(
            "UPDATE messages SET sid = COALESCE(sid, ?) WHERE id = ?", (message_sid, message_id)
        )
        rank = STATUS_RANK.get(status)
        if (
            row is None
            or rank is None
            or row["status_rank"] >= rank
            or row["status_rank"] >= TERMINAL_RANK
        ):
            return None
        conn.execute(
            "UPDATE messages SET status = ?, status_rank = ?, error_code = ?,"
            " error_message = ?, updated_at = ? WHERE id = ?",
            (
                status,
                rank,
                error_code if status in FAILED_STATUSES else None,
                error_message if status in FAILED_STATUSES else None,
                now,
                message_id,
            ),
        )
        return row  # type: ignore[no-any-return]
