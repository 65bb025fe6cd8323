"""What the simulator's and the client's SQLite stores share: opening a database, its
pragmas, its migrations, transactions and the plain query helpers, written once.

With SQLite every smsim program is one process (docs/scaling.md), so a store is one
connection guarded by one re-entrant lock: SQLite has a single writer anyway, the
program's threads take turns on the lock, and no request pays for a connection. Every
cache of the program lives in that process and compares :attr:`SQLiteStore.generation`,
a counter in memory, to know when to start over.

Opening runs the kind's numbered migrations (:mod:`smsim.migrations`) before any pragma
writes to the file: a file of another kind or from a newer smsim raises
:class:`~smsim.migrations.DatabaseRefused` and is left untouched, never switched to WAL.

A subclass keeps only what is its own: its tables' owners, and the one setting where the
two programs differ, :class:`Durability` (each says why).
"""

from __future__ import annotations

import enum
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from smsim import sqlite_owner
from smsim.migrations import DatabaseKind, DatabaseRefused, Migration, migrate

Row = sqlite3.Row

#: How long a statement waits for a lock someone else holds before it fails with
#: "database is locked". In one process the store's own lock orders its threads, so only
#: an outside reader (the sqlite3 shell, a backup) can hold the file, and only briefly.
BUSY_TIMEOUT_MS = 10_000

MEMORY = ":memory:"


class Durability(enum.Enum):
    """How much a commit waits for the disk, as ``PRAGMA synchronous`` in WAL mode.

    Both survive the process being killed (``kill -9``: the WAL is in the operating
    system's cache); they differ on a power cut.
    """

    #: A commit is a ``write()`` to the WAL; SQLite never waits for the disk. A power cut
    #: may lose recent commits or, rarely, corrupt the file.
    FAST = "OFF"
    #: Commits do not wait either, but checkpoints ``fsync``: a power cut may lose the last
    #: commits, never the file.
    SAFE = "NORMAL"


class SQLiteStore:
    """One connection to an smsim SQLite database (a file, or ``":memory:"``), shared by
    the program's threads. Thread-safe."""

    dialect = "sqlite"

    def __init__(
        self,
        target: str,
        kind: DatabaseKind,
        migrations: Sequence[Migration],
        durability: Durability,
    ) -> None:
        self.path: str | None = None if target == MEMORY else target
        self._conn = open_connection(target, kind, migrations)
        self._owner: str | None = None
        if self.path:  # one process per file: a second one is refused (sqlite_owner)
            try:
                self._owner = sqlite_owner.claim(self.path)
            except BaseException:
                self._conn.close()
                raise
        self._lock = threading.RLock()
        self._depth = 0
        self._transaction_thread: int | None = None  # the thread whose transaction is open
        # Bumped whenever cached rows may be stale (a write a cache depends on, a rolled
        # back transaction, a reset), so caches know to start over.
        self._generation = 0
        self._conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        if self.path:  # after the migrations: a refused file is never switched to WAL
            # WAL: readers never wait for the writer, and a commit appends to one file
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute(f"PRAGMA synchronous={durability.value}")
        self._conn.execute("PRAGMA foreign_keys=OFF")  # each owner deletes in its own order
        self._conn.execute("PRAGMA temp_store=MEMORY")

    # -- transactions -------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic unit of work (``BEGIN IMMEDIATE``: the write lock from the start, so
        it never fails half-way for want of it). A transaction opened inside another, on
        the same thread, joins it: several owners' writes can make one commit."""
        with self._lock:
            if self._depth == 0:
                self._conn.execute("BEGIN IMMEDIATE")
                self._transaction_thread = threading.get_ident()
            self._depth += 1
            try:
                yield self._conn
            except BaseException:
                self._depth -= 1
                if self._depth == 0:
                    self._transaction_thread = None
                    self._conn.execute("ROLLBACK")
                    self._generation += 1  # rows a cache took in it were never committed
                raise
            else:
                self._depth -= 1
                if self._depth == 0:
                    self._transaction_thread = None
                    self._conn.execute("COMMIT")

    @property
    def in_transaction(self) -> bool:
        """Whether the calling thread is inside :meth:`transaction` (only that thread can
        change the answer while it is true, so reading it without the lock is safe)."""
        return self._transaction_thread == threading.get_ident()

    # -- cache generation ---------------------------------------------------------------

    @property
    def generation(self) -> int:
        """A number that moves whenever rows a cache holds may have changed or vanished."""
        return self._generation

    def bump_generation(self) -> None:
        """Cached rows are stale (call it in the transaction that makes them so)."""
        with self._lock:
            self._generation += 1

    # -- plain helpers --------------------------------------------------------------------

    def execute(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
        """Run one statement (in the calling thread's transaction, if any)."""
        with self._lock:
            return self._conn.execute(sql, params)

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        with self._lock:
            self._conn.executemany(sql, rows)

    def one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        with self._lock:
            row: Row | None = self._conn.execute(sql, params).fetchone()
            return row

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        row = self.one(sql, params)
        return None if row is None else row[0]

    def close(self) -> None:
        with self._lock:
            self._conn.close()
            if self._owner is not None:
                sqlite_owner.release(self._owner)
                self._owner = None


def open_connection(
    target: str, kind: DatabaseKind, migrations: Sequence[Migration]
) -> sqlite3.Connection:
    """Connect to ``target`` (autocommit: transactions are explicit) and migrate it to
    the current schema of ``kind``.

    Raises :class:`DatabaseRefused` (nothing written) when the file cannot be opened or is
    not a database of ``kind`` this smsim can use.
    """
    try:
        conn = sqlite3.connect(target, check_same_thread=False, isolation_level=None)
    except sqlite3.OperationalError as exc:  # a directory, a missing folder, no permission
        raise DatabaseRefused(target, f"cannot be opened ({exc})") from None
    conn.row_factory = sqlite3.Row
    try:
        migrate(conn, kind, migrations, target)
    except BaseException:
        conn.close()
        raise
    return conn
