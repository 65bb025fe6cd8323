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


class SharedCounter:
    """The integer ``select_sql`` returns (0 when it returns no row), as last committed."""

    def __init__(self, path: str, select_sql: str, busy_timeout_ms: int) -> None:
        self._path = path
        self._select = select_sql
        self._busy_timeout_ms = busy_timeout_ms
        self._mine = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()  # guards _connections only

    def read(self) -> int:
        mine = self._mine
        if not hasattr(mine, "conn"):
            conn = sqlite3.connect(self._path, check_same_thread=False, isolation_level=None)
            conn.execute(f"PRAGMA busy_timeout={self._busy_timeout_ms}")
            with self._lock:
                self._connections.append(conn)
            mine.conn, mine.data_version, mine.value = conn, -1, 0
        version = int(mine.conn.execute("PRAGMA data_version").fetchone()[0])
        if version != mine.data_version:
            mine.data_version = version
            row = mine.conn.execute(self._select).fetchone()
            mine.value = int(row[0]) if row else 0
        return int(mine.value)

    def close(self) -> None:
        with self._lock:
            for conn in self._connections:
                conn.close()
            self._connections.clear()
