"""Per-recipient send state of campaigns that run in the background.

This module owns two tables in the integration's database:

- ``campaign_runs``: one row per campaign handed to the background sender, with its state
  (``sending``, ``finished``: every recipient handed to Twilio or refused, ``canceled``);
- ``campaign_sends``: one row per recipient, ``queued`` -> ``claimed`` -> ``done`` (or
  ``canceled``), with the number of attempts and the earliest time of the next one.

A row is marked ``claimed`` in a committed transaction *before* its Create Message request
goes out, and ``done`` in the same transaction that records Twilio's answer (SID or error).
So after a crash (kill -9, power loss) a recipient is in one of three states:

- ``queued``: never sent, send it;
- ``done``: Twilio answered and the answer is stored, never send it again;
- ``claimed``: the crash window. The request may or may not have reached Twilio. On resume
  the sender asks Twilio (List Messages to that number) whether a message with this body
  was created since the claim; if so it adopts that SID, otherwise it sends. If Twilio
  cannot be asked, the recipient is failed without a code rather than risk a duplicate:
  a marketing campaign prefers a missing message to a doubled one.

The tables (``campaign_runs``, ``campaign_sends``) are created by client migration 2
(client/migrations.py); this module is the only one that reads or writes them.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from smsim.client.store import SendOutcome, Store

RUN_SENDING = "sending"
RUN_FINISHED = "finished"
RUN_CANCELED = "canceled"

SEND_QUEUED = "queued"
SEND_CLAIMED = "claimed"
SEND_DONE = "done"
SEND_CANCELED = "canceled"


def clear(conn: sqlite3.Connection) -> None:
    """Forget every campaign run and send state (inside the caller's transaction)."""
    conn.execute("DELETE FROM campaign_sends")
    conn.execute("DELETE FROM campaign_runs")


@dataclass(frozen=True)
class Claimed:
    """One recipient claimed for sending: the message row to send and its attempt number."""

    message_id: int
    to: str
    body: str
    attempts: int
    claimed_at: float


class CampaignQueue:
    """Reads and writes the campaign tables through the store's connection and lock."""

    def __init__(self, store: Store, clock: Any) -> None:
        self.store = store
        self.clock = clock

    def start(self, campaign_id: int, message_ids: Sequence[int]) -> None:
        """Queue every recipient of a campaign and mark it ``sending``."""
        now = self.clock()
        with self.store.transaction() as conn:
            conn.execute(
                "INSERT INTO campaign_runs (campaign_id, state, started_at) VALUES (?, ?, ?)",
                (campaign_id, RUN_SENDING, now),
            )
            conn.executemany(
                "INSERT INTO campaign_sends (message_id, campaign_id, state) VALUES (?, ?, ?)",
                [(mid, campaign_id, SEND_QUEUED) for mid in message_ids],
            )

    def claim(self, campaign_id: int, limit: int) -> list[Claimed]:
        """Mark up to ``limit`` due recipients ``claimed`` (committed before any is sent)."""
        now = self.clock()
        with self.store.transaction() as conn:
            rows = conn.execute(
                "SELECT s.message_id, s.attempts, m.to_number, m.body FROM campaign_sends s"
                " JOIN messages m ON m.id = s.message_id"
                " WHERE s.campaign_id = ? AND s.state = ? AND s.not_before <= ?"
                " ORDER BY s.message_id LIMIT ?",
                (campaign_id, SEND_QUEUED, now, limit),
            ).fetchall()
            conn.executemany(
                "UPDATE campaign_sends SET state = ?, claimed_at = ?, attempts = attempts + 1"
                " WHERE message_id = ?",
                [(SEND_CLAIMED, now, r["message_id"]) for r in rows],
            )
        return [
            Claimed(r["message_id"], r["to_number"], r["body"], r["attempts"] + 1, now)
            for r in rows
        ]

    def claimed(self, campaign_id: int) -> list[Claimed]:
        """Recipients left ``claimed`` (by a process that stopped mid-send)."""
        rows = self.store.all(
            "SELECT s.message_id, s.attempts, s.claimed_at, m.to_number, m.body"
            " FROM campaign_sends s JOIN messages m ON m.id = s.message_id"
            " WHERE s.campaign_id = ? AND s.state = ? ORDER BY s.message_id",
            (campaign_id, SEND_CLAIMED),
        )
        return [
            Claimed(r["message_id"], r["to_number"], r["body"], r["attempts"], r["claimed_at"])
            for r in rows
        ]

    def complete(self, outcomes: Sequence[SendOutcome]) -> None:
        """Record Twilio's answers and mark those recipients ``done``, in one commit."""
        if not outcomes:
            return
        with self.store.transaction() as conn:
            self.store.message_records.apply_send_outcomes(conn, outcomes)
            conn.executemany(
                "UPDATE campaign_sends SET state = ? WHERE message_id = ?",
                [(SEND_DONE, o.message_id) for o in outcomes],
            )

    def requeue(
        self, message_ids: Iterable[int], not_before: float, *, throttled: bool = False
    ) -> None:
        """Put claimed recipients back in the queue, due at ``not_before``; ``throttled``
        counts one back-off on the campaign."""
        ids = list(message_ids)
        if not ids:
            return
        with self.store.transaction() as conn:
            conn.executemany(
                "UPDATE campaign_sends SET state = ?, not_before = ?"
                " WHERE message_id = ? AND state = ?",
                [(SEND_QUEUED, not_before, mid, SEND_CLAIMED) for mid in ids],
            )
            if not throttled:
                return
            conn.execute(
                "UPDATE campaign_runs SET throttled = throttled + 1 WHERE campaign_id ="
                " (SELECT campaign_id FROM campaign_sends WHERE message_id = ?)",
                (ids[0],),
            )

    def next_due(self, campaign_id: int) -> float | None:
        """When the earliest queued recipient is due; None when nothing is queued."""
        rows = self.store.all(
            "SELECT MIN(not_before) AS due FROM campaign_sends WHERE campaign_id = ? AND state = ?",
            (campaign_id, SEND_QUEUED),
        )
        due = rows[0]["due"] if rows else None
        return None if due is None else float(due)

    def finish(self, campaign_id: int) -> bool:
        """Mark a campaign ``finished`` unless it was canceled; True when it changed."""
        now = self.clock()
        with self.store.transaction() as conn:
            cur = conn.execute(
                "UPDATE campaign_runs SET state = ?, finished_at = ? WHERE campaign_id = ?"
                " AND state = ?",
                (RUN_FINISHED, now, campaign_id, RUN_SENDING),
            )
            self.store.message_records.finish_campaign(conn, campaign_id, now)
            return bool(cur.rowcount > 0)

    def cancel(self, campaign_id: int) -> int:
        """Stop sending: queued recipients become ``canceled`` (their messages too);
        requests already in flight finish. Returns how many recipients were canceled."""
        now = self.clock()
        with self.store.transaction() as conn:
            cur = conn.execute(
                "UPDATE campaign_runs SET state = ?, finished_at = ? WHERE campaign_id = ?"
                " AND state = ?",
                (RUN_CANCELED, now, campaign_id, RUN_SENDING),
            )
            if cur.rowcount == 0:
                return 0
            queued = conn.execute(
                "SELECT message_id FROM campaign_sends WHERE campaign_id = ? AND state = ?",
                (campaign_id, SEND_QUEUED),
            ).fetchall()
            self.store.message_records.cancel_messages(conn, [r[0] for r in queued], now)
            cur = conn.execute(
                "UPDATE campaign_sends SET state = ? WHERE campaign_id = ? AND state = ?",
                (SEND_CANCELED, campaign_id, SEND_QUEUED),
            )
            return int(cur.rowcount)

    def state(self, campaign_id: int) -> str | None:
        """``sending``, ``finished``, ``canceled``, or None for a campaign never queued."""
        rows = self.store.all(
            "SELECT state FROM campaign_runs WHERE campaign_id = ?", (campaign_id,)
        )
        return str(rows[0]["state"]) if rows else None

    def running(self) -> list[int]:
        """Campaigns still ``sending`` (to resume after a restart)."""
        rows = self.store.all(
            "SELECT campaign_id FROM campaign_runs WHERE state = ? ORDER BY campaign_id",
            (RUN_SENDING,),
        )
        return [int(r["campaign_id"]) for r in rows]

    def count_by_state(self) -> dict[str, int]:
        """Campaigns handed to the background sender, by run state."""
        rows = self.store.all("SELECT state, COUNT(*) FROM campaign_runs GROUP BY state")
        return {str(r[0]): int(r[1]) for r in rows}

    def progress(self, campaign_id: int) -> dict[str, Any]:
        """Where a campaign stands: recipients waiting to be sent, handed to Twilio, and
        their delivery so far."""
        run = self.store.all(
            "SELECT state, throttled FROM campaign_runs WHERE campaign_id = ?", (campaign_id,)
        )
        sends = self.store.all(
            "SELECT COALESCE(SUM(state IN (?, ?)), 0) AS to_send,"
            " COALESCE(SUM(state = ?), 0) AS canceled FROM campaign_sends WHERE campaign_id = ?",
            (SEND_QUEUED, SEND_CLAIMED, SEND_CANCELED, campaign_id),
        )[0]
        counts = self.store.message_counts(campaign_id=campaign_id)
        return {
            "state": str(run[0]["state"]) if run else RUN_FINISHED,
            "targeted": counts["targeted"],
            "to_send": int(sends["to_send"]),
            "handed_to_twilio": counts["sent"],
            "failed_on_send": counts["failed_on_send"],
            "pending": counts["pending"] - int(sends["to_send"]),
            "delivered": counts["delivered"],
            "failed": counts["failed"],
            "canceled": int(sends["canceled"]),
            "throttled": int(run[0]["throttled"]) if run else 0,
        }
