"""A counter in one row of an SQLite file that other processes bump, read cheaply and
without waiting: what the simulator's and the client's stores check before trusting a
cache when several processes share the file (``--workers N``).

Each thread reads through a connection of its own: a WAL reader never waits for the
writer and no lock is shared, so a cache check does not queue behind the commit another
thread of the process is making (under load that wait was half of the client receiver's
time, and most of the simulator's authentication). The row itself is read only when
``PRAGMA data_version`` says some connection committed since this thread's last look.
"""

from __future__ import annotations

import sqlite3
import threading
import weakref


class _Reader:
    """One thread's connection and what it last saw."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.data_version = -1
        self.value = 0


class SharedCounter:
    """The integer ``select_sql`` returns (0 when it returns no row), as last committed.

    A thread's connection is closed when the thread ends (the waiter threads of long-polls
    live as long as their request), and all of them by :meth:`close`.
    """

    def __init__(self, path: str, select_sql: str, busy_timeout_ms: int) -> None:
        self._path = path
        self._select = select_sql
        self._busy_timeout_ms = busy_timeout_ms
        self._mine = threading.local()
        self._connections: set[sqlite3.Connection] = set()
        self._lock = threading.Lock()  # guards _connections only

    def read(self) -> int:
        reader: _Reader | None = getattr(self._mine, "reader", None)
        if reader is None:
            reader = self._mine.reader = self._open()
        version = int(reader.conn.execute("PRAGMA data_version").fetchone()[0])
        if version != reader.data_version:
            reader.data_version = version
            row = reader.conn.execute(self._select).fetchone()
            reader.value = int(row[0]) if row else 0
        return reader.value

    def _open(self) -> _Reader:
        conn = sqlite3.connect(self._path, check_same_thread=False, isolation_level=None)
        conn.execute(f"PRAGMA busy_timeout={self._busy_timeout_ms}")
        with self._lock:
            self._connections.add(conn)
        reader = _Reader(conn)
        # the thread-local holder goes when its thread ends: its connection with it
        weakref.finalize(reader, self._forget, conn)
        return reader

    def _forget(self, conn: sqlite3.Connection) -> None:
        with self._lock:
            self._connections.discard(conn)
        conn.close()

    @property
    def open_connections(self) -> int:
        with self._lock:
            return len(self._connections)

    def close(self) -> None:
        with self._lock:
            connections, self._connections = self._connections, set()
        for conn in connections:
            conn.close()
