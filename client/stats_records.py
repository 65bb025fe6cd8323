"""Counts for the Stats tabs, over ``messages``, ``clicks`` and ``replies``: read-only
aggregates scoped to one campaign or one provider."""

from __future__ import annotations

from typing import TYPE_CHECKING

from smsim.sqlwhere import Where

if TYPE_CHECKING:
    from smsim.client.store import Store


def _scope(campaign_id: int | None, provider_id: int | None, prefix: str = "") -> Where:
    return (
        Where()
        .equals(f"{prefix}campaign_id", campaign_id)
        .equals(f"{prefix}provider_id", provider_id)
    )


class StatsRecords:
    """Aggregates; every method takes the scope as ``campaign_id`` and/or ``provider_id``."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def message_counts(
        self, *, campaign_id: int | None = None, provider_id: int | None = None
    ) -> dict[str, int]:
        """Targeted, sent, delivered, failed (and how), pending messages in the scope."""
        where = _scope(campaign_id, provider_id)
        row = self._store.all(
            "SELECT COUNT(*) AS targeted,"
            " COALESCE(SUM(sid IS NOT NULL), 0) AS sent,"
            " COALESCE(SUM(status = 'delivered'), 0) AS delivered,"
            " COALESCE(SUM(status IN ('failed', 'undelivered')), 0) AS failed,"
            " COALESCE(SUM(status = 'failed' AND sid IS NULL), 0) AS failed_on_send,"
            " COALESCE(SUM(status IN ('failed', 'undelivered') AND error_code IS NULL), 0)"
            "   AS failed_without_code,"
            " COALESCE(SUM(status_rank < 9), 0) AS pending"
            f" FROM messages{where.sql}",
            where.params,
        )[0]
        return {k: int(row[k]) for k in row.keys()}  # noqa: SIM118 - sqlite3.Row

    def error_counts(
        self, *, campaign_id: int | None = None, provider_id: int | None = None
    ) -> list[tuple[int, int, str | None]]:
        """(code, count, a Twilio message seen for it) over the scope's failed messages."""
        where = _scope(campaign_id, provider_id)
        where.add("status IN ('failed', 'undelivered')").add("error_code IS NOT NULL")
        rows = self._store.all(
            "SELECT error_code, COUNT(*) AS n, MAX(error_message) AS msg FROM messages"
            f"{where.sql} GROUP BY error_code ORDER BY error_code",
            where.params,
        )
        return [(int(r["error_code"]), int(r["n"]), r["msg"]) for r in rows]

    def click_counts(
        self, *, campaign_id: int | None = None, provider_id: int | None = None
    ) -> tuple[int, int]:
        """(unique recipients who clicked, total clicks) on the scope's messages."""
        where = _scope(campaign_id, provider_id, prefix="m.")
        row = self._store.all(
            "SELECT COUNT(DISTINCT c.message_id) AS uniq, COUNT(*) AS total FROM clicks c"
            f" JOIN messages m ON m.id = c.message_id{where.sql}",
            where.params,
        )[0]
        return int(row["uniq"]), int(row["total"])

    def reply_counts(
        self,
        *,
        campaign_id: int | None = None,
        provider_id: int | None = None,
        unattributed: bool = False,
    ) -> tuple[int, int]:
        """(replies, unique repliers) in the scope; ``unattributed``: only replies that
        answered no known message."""
        where = _scope(campaign_id, provider_id)
        if unattributed:
            where.add("message_id IS NULL")
        row = self._store.all(
            f"SELECT COUNT(*) AS n, COUNT(DISTINCT from_number) AS uniq FROM replies{where.sql}",
            where.params,
        )[0]
        return int(row["n"]), int(row["uniq"])
