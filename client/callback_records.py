"""The ``callbacks`` and ``replies`` tables: verified status callbacks and incoming messages,
each recorded once (unique keys make repeated webhooks harmless)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from smsim.client.records import (
    EVENT_DELIVERED,
    EVENT_FAILED,
    EVENT_REPLIED,
    FAILED_STATUSES,
    MessageRow,
    RowTally,
)
from smsim.group_commit import GroupCommit

if TYPE_CHECKING:
    from smsim.client.event_records import EventRecords
    from smsim.client.message_records import MessageRecords
    from smsim.client.store import Store


class CallbackRecords:
    """Status callbacks (moving their message's status up, through the ``messages``
    owner) and replies."""

    def __init__(self, store: Store, messages: MessageRecords, events: EventRecords) -> None:
        self._store = store
        self._messages = messages
        self._events = events
        # Callbacks received at once share a commit: a campaign brings two per message
        # (sent, delivered), and each used to pay its own COMMIT and its own turn at the
        # store's lock, queued behind the sends' writes.
        self._callback_writes = GroupCommit(store)

    def record_status_callback(
        self,
        *,
        provider_id: int,
        message_id: int | None,
        message_sid: str,
        status: str,
        error_code: int | None,
        error_message: str | None,
        params: Mapping[str, Any],
    ) -> str:
        """Record one verified status callback; returns what happened to it.

        ``duplicate``: this (MessageSid, status) was already recorded, nothing changes.
        ``unattributed``: recorded and counted under the provider only.
        ``applied``: the message moved to this status (and an event was recorded).
        ``stale``: recorded, but the message already had this or a later status.
        """
        now = self._store.clock()

        def record() -> str:  # run by the group commit, in its batch's transaction
            with self._store.transaction() as conn:
                cur = conn.execute(
                    "INSERT OR IGNORE INTO callbacks (provider_id, message_id, message_sid, status,"
                    " error_code, params, received_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        provider_id,
                        message_id,
                        message_sid,
                        status,
                        error_code,
                        json.dumps(dict(params), ensure_ascii=False),
                        now,
                    ),
                )
                if cur.rowcount == 0:
                    return "duplicate"
                if message_id is None:
                    return "unattributed"
                row = self._messages.apply_callback_status(
                    conn,
                    message_id,
                    message_sid=message_sid,
                    status=status,
                    error_code=error_code,
                    error_message=error_message,
                    now=now,
                )
                if row is None:
                    return "stale"
                common = {
                    "provider_id": row["provider_id"],
                    "campaign_id": row["campaign_id"],
                    "message_id": message_id,
                }
                if status == "delivered":
                    self._events.record(
                        conn,
                        EVENT_DELIVERED,
                        **common,
                        props={"to": row["to_number"], "sid": message_sid},
                    )
                elif status in FAILED_STATUSES:
                    self._events.record(
                        conn,
                        EVENT_FAILED,
                        **common,
                        props={
                            "to": row["to_number"],
                            "sid": message_sid,
                            "status": status,
                            "error_code": error_code,
                            "error_message": error_message,
                            "stage": "delivery",
                        },
                    )
                return "applied"

        return self._callback_writes.write(record)

    def record_reply(
        self,
        *,
        provider_id: int,
        message_sid: str,
        from_number: str,
        to_number: str,
        body: str,
        answers: MessageRow | None,
    ) -> bool:
        """Record an incoming message once (by its MessageSid); False when already recorded."""
        with self._store.transaction() as conn:
            cur = conn.execute(
                "INSERT OR IGNORE INTO replies (provider_id, message_sid, from_number, to_number,"
                " body, campaign_id, message_id, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    provider_id,
                    message_sid,
                    from_number,
                    to_number,
                    body,
                    answers.campaign_id if answers else None,
                    answers.id if answers else None,
                    self._store.clock(),
                ),
            )
            if cur.rowcount == 0:
                return False
            self._events.record(
                conn,
                EVENT_REPLIED,
                provider_id=provider_id,
                campaign_id=answers.campaign_id if answers else None,
                message_id=answers.id if answers else None,
                props={"from": from_number, "to": to_number, "body": body, "sid": message_sid},
            )
            return True

    def unattributed_callbacks(self, provider_id: int) -> dict[str, int]:
        """Verified callbacks for this provider that matched no message, by status."""
        rows = self._store.all(
            "SELECT status, COUNT(*) AS n FROM callbacks WHERE provider_id = ?"
            " AND message_id IS NULL GROUP BY status ORDER BY status",
            (provider_id,),
        )
        return {r["status"]: int(r["n"]) for r in rows}

    def unattributed_outcomes(self, provider_id: int) -> list[tuple[str, int | None]]:
        """(final status, error code) per unattributed MessageSid that reached a final status.

        The first final callback received for a SID wins, as for attributed messages.
        """
        rows = self._store.all(
            "SELECT c.status, c.error_code FROM callbacks c WHERE c.provider_id = ?"
            " AND c.message_id IS NULL AND c.status IN ('delivered', 'undelivered', 'failed')"
            " AND c.id = (SELECT MIN(c2.id) FROM callbacks c2 WHERE c2.message_sid = c.message_sid"
            "   AND c2.message_id IS NULL"
            "   AND c2.status IN ('delivered', 'undelivered', 'failed', 'canceled'))",
            (provider_id,),
        )
        return [(r["status"], r["error_code"]) for r in rows]

    def callbacks_since(self, after_id: int, most: int) -> RowTally:
        """Status callbacks recorded after ``after_id``, by status (each MessageSid and
        status is recorded once, so a repeated webhook is not in it)."""
        return self._store.tally("callbacks", "status", after_id, most)

    def replies_since(self, after_id: int, most: int) -> RowTally:
        """Incoming messages recorded after ``after_id`` (all in one group)."""
        return self._store.tally("replies", "1", after_id, most)
