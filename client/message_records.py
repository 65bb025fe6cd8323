"""The ``campaigns`` and ``messages`` tables: what the integration sent, and what Twilio
answered when it was sent."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any

from smsim.client.records import (
    EVENT_FAILED,
    EVENT_SENT,
    STATUS_RANK,
    MessageRow,
    NotFoundError,
    Records,
    RowTally,
    SendOutcome,
    message_from_row,
)
from smsim.sqlwhere import Where


class MessageRecords(Records):
    """Campaigns and their messages (and test messages outside any campaign)."""

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
        now = self._clock()
        with self._tx() as conn:
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
        with self._tx() as conn:
            conn.executemany(
                "UPDATE messages SET body = ? WHERE id = ?", [(b, i) for i, b in bodies]
            )

    def create_test_message(self, provider_id: int, to: str, body: str) -> int:
        """A pending message outside any campaign (Send Test SMS)."""
        now = self._clock()
        with self._tx() as conn:
            cur = conn.execute(
                "INSERT INTO messages (campaign_id, provider_id, to_number, body, created_at,"
                " updated_at) VALUES (NULL, ?, ?, ?, ?, ?)",
                (provider_id, to, body, now, now),
            )
            return int(cur.lastrowid or 0)

    def targeted_since(self, after_id: int, most: int) -> RowTally:
        """Messages created after ``after_id`` (each a recipient targeted), by campaign
        (None: a test SMS)."""
        return self._tally("messages", "campaign_id", after_id, most)

    def get_campaign(self, campaign_id: int) -> dict[str, Any]:
        """A campaign's settings as a plain dict."""
        rows = self._query("SELECT * FROM campaigns WHERE id = ?", (campaign_id,))
        if not rows:
            raise NotFoundError(f"campaign {campaign_id} not found")
        return dict(rows[0])

    def list_campaigns(self) -> list[dict[str, Any]]:
        """Every campaign, newest first."""
        return [dict(r) for r in self._query("SELECT * FROM campaigns ORDER BY id DESC")]

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
            self._query(f"SELECT COUNT(*) AS n FROM messages{where.sql}", where.params)[0][0]
        )
        rows = self._query(
            "SELECT id, to_number, from_number, sid, status, error_code, error_message,"
            f" created_at, updated_at FROM messages{where.sql} ORDER BY id LIMIT ? OFFSET ?",
            [*where.params, -1 if limit is None else limit, offset],
        )
        return total, [dict(r) for r in rows]

    def get_message(self, message_id: int) -> MessageRow | None:
        """One message by its integration id."""
        rows = self._query("SELECT * FROM messages WHERE id = ?", (message_id,))
        return message_from_row(rows[0]) if rows else None

    def message_by_sid(self, sid: str) -> MessageRow | None:
        """One message by its Twilio SID."""
        rows = self._query("SELECT * FROM messages WHERE sid = ?", (sid,))
        return message_from_row(rows[0]) if rows else None

    def last_message_to(
        self, provider_id: int, handset: str, number: str | None = None
    ) -> MessageRow | None:
        """The latest message a provider sent to a handset (what a reply answers): the
        latest sent from ``number`` (the number the handset texted) when there is one."""
        rows = self._query(
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
        with self._tx() as conn:
            self.apply_send_outcomes(conn, outcomes)

    def apply_send_outcomes(
        self, conn: sqlite3.Connection, outcomes: Sequence[SendOutcome]
    ) -> None:
        """The body of :meth:`record_send_outcomes`, inside a transaction the caller holds
        (so a caller can record its own state in the same commit)."""
        now = self._clock()
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
                self._event(
                    conn, EVENT_SENT, **common, props={"to": row["to_number"], "sid": o.sid}
                )
            else:
                self._event(
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
