"""SQLite persistence for the simulator.

One connection, guarded by a lock: SQLite serialises writers anyway, and one connection
avoids per-request connection setup on the hot path. The file is opened in WAL mode with
``synchronous=OFF``: a commit is a ``write()`` to the WAL and SQLite never waits for the
disk. That survives the process being killed (``kill -9``: the data is in the operating
system's cache) but not a power cut, a fair trade for a simulator: ``NORMAL`` cost about
four times as much per commit here (checkpoint fsyncs), and a create makes several.
``memory=True`` keeps everything in RAM for throwaway runs.

``shared=True`` (``smsim serve --workers N``): other processes write the same file. Each
process has its own connection; SQLite's file lock serialises writers across them
(``busy_timeout`` makes a writer wait for it instead of failing), and
:attr:`Store.generation` also moves when another process bumps it (docs/scaling.md).

Opening runs the numbered migrations (``smsim.simulator.migrations``); a file of another
kind or from a newer smsim raises :class:`~smsim.migrations.DatabaseRefused` untouched.

The store knows tables and rows, not Twilio rules: the engine modules own the rules.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Literal, cast

from smsim.db_url import is_postgres_url, safe_url
from smsim.migrations import SIMULATOR, DatabaseRefused, migrate
from smsim.shared_counter import SharedCounter
from smsim.simulator.migrations import MIGRATIONS

if TYPE_CHECKING:
    from smsim.simulator import store_api

Row = sqlite3.Row
BUSY_TIMEOUT_MS = 30_000


class Store:
    """Thread-safe access to the simulator's SQLite database."""

    dialect: Literal["sqlite"] = "sqlite"

    def __init__(self, path: str | None, memory: bool = False, shared: bool = False) -> None:
        target = ":memory:" if memory or not path else path
        self.path = None if target == ":memory:" else target
        self.shared = shared and self.path is not None
        self._conn = open_connection(target)
        self._lock = threading.RLock()
        self._depth = 0
        # Bumped whenever cached rows may be stale (a message deleted, a reset, a rolled
        # back transaction, an account changed), so caches know to start over.
        self._generation = 0
        self._others = SharedCounter(
            target, "SELECT value FROM meta WHERE key = 'generation'", BUSY_TIMEOUT_MS
        )
        self._writer: WriterTurn = (
            FileWriterTurn(target + "-write.lock") if self.shared else WriterTurn()
        )
        with self._lock:
            # A writer in another process holds SQLite's lock for one short transaction:
            # wait for it rather than fail with "database is locked".
            self._conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            if self.path:  # after the migrations: a refused file is never switched to WAL
                self._conn.execute("PRAGMA journal_mode=WAL")
                self._conn.execute("PRAGMA synchronous=OFF")
            self._conn.execute("PRAGMA foreign_keys=OFF")
            self._conn.execute("PRAGMA temp_store=MEMORY")

    @property
    def location(self) -> str:
        """The database file, or ``:memory:``."""
        return self.path or ":memory:"

    # -- transactions -------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic unit of work; nested calls join the outer transaction."""
        with self._lock:
            if self._depth == 0:
                self._writer.acquire()
                try:
                    self._conn.execute("BEGIN IMMEDIATE")
                except BaseException:
                    self._writer.release()
                    raise
            self._depth += 1
            try:
                yield self._conn
            except BaseException:
                self._depth -= 1
                if self._depth == 0:
                    try:
                        self._conn.execute("ROLLBACK")
                    finally:
                        self._writer.release()
                    self._generation += 1  # rows this process saw were never committed
                raise
            else:
                self._depth -= 1
                if self._depth == 0:
                    try:
                        self._conn.execute("COMMIT")
                    finally:
                        self._writer.release()

    # -- cache generation ---------------------------------------------------------------

    @property
    def generation(self) -> int:
        """A number that moves whenever rows a cache holds may have changed or vanished.

        In one process it is a counter; with ``shared`` it also follows the ``meta`` row
        every process bumps (:class:`~smsim.shared_counter.SharedCounter`: no lock shared
        with the writers). Both only grow, so their sum moves whenever either does.
        """
        if not self.shared:
            return self._generation
        return self._generation + self._others.read()

    def bump_generation(self) -> None:
        """Cached rows are stale: say so to this process and, with ``shared``, to every
        other one (in the caller's transaction, if any)."""
        with self._lock:
            self._generation += 1
            if self.shared:  # through execute(): outside a transaction, a writer's turn
                self.execute(
                    "INSERT INTO meta (key, value) VALUES ('generation', '1') ON CONFLICT (key)"
                    " DO UPDATE SET value = CAST(value AS INTEGER) + 1"
                )

    def data_version(self) -> int:
        """Moves whenever any connection, this one or another process', commits: what
        waiters poll to learn of new rows without reading a table."""
        with self._lock:
            theirs = int(self._conn.execute("PRAGMA data_version").fetchone()[0])
            return theirs + self._conn.total_changes

    # -- plain helpers --------------------------------------------------------------------

    def execute(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
        """Run one statement (in the current transaction, if any)."""
        with self._lock:
            if self._depth or not self.shared or sql.lstrip()[:6].upper() == "SELECT":
                return self._conn.execute(sql, params)
            with self._writer:  # a write of its own: its own turn at the writer lock
                return self._conn.execute(sql, params)

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        with self._lock:
            if self._depth or not self.shared:
                self._conn.executemany(sql, rows)
                return
            with self._writer:
                self._conn.executemany(sql, rows)

    def one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        with self._lock:
            row: Row | None = self._conn.execute(sql, params).fetchone()
            return row

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[store_api.Row]:
        with self._lock:
            return cast("list[store_api.Row]", self._conn.execute(sql, params).fetchall())

    def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        row = self.one(sql, params)
        return None if row is None else row[0]

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
                # the generation survives, so other processes see it move (docs/scaling.md)
                keep = " WHERE key <> 'generation'" if name == "meta" else ""
                conn.execute(f"DELETE FROM {name}{keep}")
            self.bump_generation()

    def close(self) -> None:
        with self._lock:
            self._conn.close()
            self._writer.close()
        self._others.close()


class WriterTurn:
    """Whose turn it is to write, across processes. In one process the store's own lock
    already decides, so this one does nothing."""

    def acquire(self) -> None:
        pass

    def release(self) -> None:
        pass

    def close(self) -> None:
        pass

    def __enter__(self) -> None:
        self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


class FileWriterTurn(WriterTurn):
    """Processes sharing a file (``smsim serve --workers N``) queue for writing on an
    ``flock`` beside it before ``BEGIN IMMEDIATE``.

    SQLite's own wait for its write lock (``busy_timeout``) sleeps and retries, 1 ms, then
    2, 5, 10 ...: with a few processes writing all the time most turns were lost to those
    sleeps (creates with two workers: 716 req/s at a p50 of 8 ms). The kernel wakes an
    ``flock`` waiter the moment the holder lets go.
    """

    def __init__(self, path: str) -> None:
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)

    def acquire(self) -> None:
        fcntl.flock(self._fd, fcntl.LOCK_EX)

    def release(self) -> None:
        fcntl.flock(self._fd, fcntl.LOCK_UN)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self._fd)


def open_store(target: str | None, memory: bool = False, shared: bool = False) -> store_api.Store:
    """The store for ``target``: PostgreSQL for a ``postgresql://`` (or ``postgres://``)
    URL, else SQLite (a file path, or RAM for ``memory``/None)."""
    if target and is_postgres_url(target):
        if memory:
            raise ValueError("a PostgreSQL database cannot be kept in memory")
        try:
            from smsim.simulator.pg_store import PostgresStore
        except ImportError:  # psycopg comes with the postgres extra
            raise DatabaseRefused(
                safe_url(target), 'needs psycopg: pip install "smsim[postgres]"'
            ) from None
        return PostgresStore(target)
    return Store(target, memory=memory, shared=shared)


def open_connection(target: str) -> sqlite3.Connection:
    """Connect to ``target`` and migrate it to the current schema.

    Raises :class:`DatabaseRefused` (nothing written) when the file cannot be opened or is
    not a simulator database this smsim can use.
    """
    try:
        conn = sqlite3.connect(target, check_same_thread=False, isolation_level=None)
    except sqlite3.OperationalError as exc:  # a directory, a missing folder, no permission
        raise DatabaseRefused(target, f"cannot be opened ({exc})") from None
    conn.row_factory = sqlite3.Row
    try:
        migrate(conn, SIMULATOR, MIGRATIONS, target)
    except BaseException:
        conn.close()
        raise
    return conn


def dumps(value: Any) -> str:
    """Compact JSON for JSON columns."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def loads(text: str | None) -> Any:
    return {} if not text else json.loads(text)
