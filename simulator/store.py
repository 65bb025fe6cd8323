"""SQLite persistence for the simulator.

The connection, its pragmas, migrations, transactions and query helpers are the common
SQLite store's (:mod:`smsim.sqlite_store`); this module adds what is the simulator's
own: its kind of database and migrations (``smsim.simulator.migrations``),
:meth:`Store.reset`, :meth:`Store.data_version` for the change feed, and the JSON
column helpers. ``memory=True`` keeps everything in RAM for throwaway runs.

Commits do not wait for the disk (:attr:`~smsim.sqlite_store.Durability.FAST`,
``synchronous=OFF``): a create makes several commits, ``NORMAL`` cost about four times
as much per commit here (checkpoint fsyncs), and a simulator's state is a test run's,
worth a power cut's risk. A ``kill -9`` loses nothing.

The store knows tables and rows, not Twilio rules: the engine modules own the rules.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Literal, cast

from smsim.db_url import is_postgres_url, safe_url
from smsim.migrations import SIMULATOR, DatabaseRefused
from smsim.simulator.migrations import MIGRATIONS
from smsim.sqlite_store import MEMORY, Durability, Row, SQLiteStore

if TYPE_CHECKING:
    from smsim.simulator import store_api

__all__ = ["Row", "Store", "dumps", "loads", "open_store"]


class Store(SQLiteStore):
    """Thread-safe access to the simulator's SQLite database."""

    dialect: Literal["sqlite"] = "sqlite"

    def __init__(self, path: str | None, memory: bool = False) -> None:
        target = MEMORY if memory or not path else path
        super().__init__(target, SIMULATOR, MIGRATIONS, Durability.FAST)

    @property
    def location(self) -> str:
        """The database file, or ``:memory:``."""
        return self.path or ":memory:"

    def data_version(self) -> int:
        """Moves whenever the database commits: what waiters poll to learn of new rows
        without reading a table."""
        with self._lock:
            theirs = int(self._conn.execute("PRAGMA data_version").fetchone()[0])
            return theirs + self._conn.total_changes

    def reset(self) -> None:
        """Forget everything (the control API's reset)."""
        with self.transaction() as conn:
            for (name,) in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            ).fetchall():
                conn.execute(f"DELETE FROM {name}")
            self.bump_generation()


def open_store(target: str | None, memory: bool = False) -> store_api.Store:
    """The store for ``target``: PostgreSQL for a ``postgresql://`` (or ``postgres://``)
    URL, else SQLite (a file path, or RAM for ``memory``/None)."""
    if target and is_postgres_url(target):
        if memory:
            raise ValueError("a PostgreSQL database cannot be kept in memory")
        try:
            from smsim.simulator.pg_store import PostgresStore
        except ImportError:  # psycopg comes with the postgres extra
            raise DatabaseRefused(
                safe_url(target), 'needs psycopg: install smsim with its postgres extra'
                ' (pip install ".[postgres]" in the checkout)'
            ) from None
        return PostgresStore(target)
    # sqlite3.Row is a store_api.Row; a list of them is not a list of the protocol's
    return cast("store_api.Store", Store(target, memory=memory))


def dumps(value: Any) -> str:
    """Compact JSON for JSON columns."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def loads(text: str | None) -> Any:
    return {} if not text else json.loads(text)
