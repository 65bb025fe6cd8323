"""The ``events`` table: the CleverTap-style event stream (sent, delivered, failed, clicked,
replied), written inside the transaction of the change it records."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from smsim.client.records import RowTally
from smsim.sqlwhere import Where

if TYPE_CHECKING:
    from smsim.client.store import Store


class EventRecords:
    """Recording and reading events."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def record(
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
        """Record one event inside the caller's transaction ``conn``."""
        conn.execute(
            "INSERT INTO events (ts, name, provider_id, campaign_id, message_id, props)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (
                self._store.clock() if ts is None else ts,
                name,
                provider_id,
                campaign_id,
                message_id,
                json.dumps(dict(props or {}), ensure_ascii=False),
            ),
        )

    def events_since(self, after_id: int, most: int) -> RowTally:
        """Events recorded after ``after_id``, by (campaign, name); every event is
        written once, in the transaction of the change it records."""
        return self._store.tally("events", "campaign_id, name", after_id, most)

    def events(
        self,
        *,
        provider_id: int | None = None,
        campaign_id: int | None = None,
        name: str | None = None,
        since: float | None = None,
        until: float | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[dict[str, Any]]:
        """Recorded events, oldest first, filtered."""
        where = self._event_filter(provider_id, campaign_id, name, since, until)
        rows = self._store.all(
            f"SELECT * FROM events{where.sql} ORDER BY id LIMIT ? OFFSET ?",
            [*where.params, limit, offset],
        )
        return [
            {
                "id": r["id"],
                "ts": r["ts"],
                "name": r["name"],
                "provider_id": r["provider_id"],
                "campaign_id": r["campaign_id"],
                "message_id": r["message_id"],
                "props": json.loads(r["props"]),
            }
            for r in rows
        ]

    def event_counts(
        self,
        *,
        bucket: str,
        provider_id: int | None = None,
        campaign_id: int | None = None,
        name: str | None = None,
        since: float | None = None,
        until: float | None = None,
    ) -> list[tuple[str, str, int]]:
        """(period, event name, count) with period ``YYYY-MM-DD``, ``YYYY-MM-DDTHH:00Z`` or
        ``YYYY-MM-DDTHH:MMZ``."""
        fmt = {"day": "%Y-%m-%d", "hour": "%Y-%m-%dT%H:00Z", "minute": "%Y-%m-%dT%H:%MZ"}[bucket]
        where = self._event_filter(provider_id, campaign_id, name, since, until)
        rows = self._store.all(
            f"SELECT strftime('{fmt}', ts, 'unixepoch') AS period, name, COUNT(*) AS n"
            f" FROM events{where.sql} GROUP BY period, name ORDER BY period, name",
            where.params,
        )
        return [(r["period"], r["name"], int(r["n"])) for r in rows]

    @staticmethod
    def _event_filter(
        provider_id: int | None,
        campaign_id: int | None,
        name: str | None,
        since: float | None,
        until: float | None,
    ) -> Where:
        return (
            Where()
            .equals("provider_id", provider_id)
            .equals("campaign_id", campaign_id)
            .equals("name", name)
            .compare("ts", ">=", since)
            .compare("ts", "<", until)
        )
