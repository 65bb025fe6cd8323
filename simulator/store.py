"""SQLite persistence for the simulator.

The connection, its pragmas, migrations, transactions and query helpers are the common
SQLite store's (:mod:`smsim.sqlite_store`); this module adds what is the simulator's
own: its kind of database and migrations (``smsim.simulator.migrations``), the ``meta``
table, :meth:`Store.reset`, :meth:`Store.data_version` for the change feed, and the JSON
column helpers. ``memory=True`` keeps everything in RAM for throwaway runs.

Commits do not wait for the disk (:attr:`~smsim.sqlite_store.Durability.FAST`,
``synchronous=OFF``): a create makes several commits, ``NORMAL`` cost about four times
as much per commit here (checkpoint fsyncs), and a simulator's state is a test run's,
worth a power cut's risk. A ``kill -9`` loses nothing.

The store knows tables and rows, not Twilio rules: the engine modules own the rules.
"""

from __future__ import annotations

import json
from typing import Any

from smsim.migrations import SIMULATOR
from smsim.simulator.migrations import MIGRATIONS
from smsim.sqlite_store import MEMORY, Durability, Row, SQLiteStore

__all__ = ["Row", "Store", "dumps", "loads"]


class Store(SQLiteStore):
    """Thread-safe access to the simulator's SQLite database."""

    def __init__(self, path: str | None, memory: bool = False) -> None:
        target = MEMORY if memory or not path else path
        super().__init__(target, SIMULATOR, MIGRATIONS, Durability.FAST)

    def data_version(self) -> int:
        """Moves whenever the database commits: what waiters poll to learn of new rows
        without reading a table."""
        with self._lock:
            theirs = int(self._conn.execute("PRAGMA data_version").fetchone()[0])
            return theirs + self._conn.total_changes

    # -- meta -----------------------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        value = self.scalar("SELECT value FROM meta WHERE key = ?", (key,))
        return None if value is None else str(value)

    def set_meta(self, key: str, value: str) -> None:
        self.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def delete_meta(self, key: str) -> None:
        self.execute("DELETE FROM meta WHERE key = ?", (key,))

    def reset(self) -> None:
        """Forget everything (the control API's reset)."""
        with self.transaction() as conn:
            for (name,) in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            ).fetchall():
                conn.execute(f"DELETE FROM {name}")
            self.bump_generation()


def dumps(value: Any) -> str:
    """Compact JSON for JSON columns."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def loads(text: str | None) -> Any:
    return {} if not text else json.loads(text)
