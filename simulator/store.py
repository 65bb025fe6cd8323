"""SQLite persistence for the simulator.

One connection, guarded by a lock: SQLite serialises writers anyway, and one connection
avoids per-request connection setup on the hot path. The file is opened in WAL mode with
``synchronous=OFF``: a commit is a ``write()`` to the WAL and SQLite never waits for the
disk. That survives the process being killed (``kill -9``: the data is in the operating
system's cache) but not a power cut, a fair trade for a simulator: ``NORMAL`` cost about
four times as much per commit here (checkpoint fsyncs), and a create makes several.
``memory=True`` keeps everything in RAM for throwaway runs.

The store knows tables and rows, not Twilio rules: the engine modules own the rules.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS accounts (
    sid TEXT PRIMARY KEY, auth_token TEXT NOT NULL, friendly_name TEXT NOT NULL,
    type TEXT NOT NULL, status TEXT NOT NULL, owner_account_sid TEXT,
    date_created REAL NOT NULL, date_updated REAL NOT NULL);
CREATE TABLE IF NOT EXISTS api_keys (
    sid TEXT PRIMARY KEY, account_sid TEXT NOT NULL, secret TEXT NOT NULL,
    friendly_name TEXT NOT NULL, date_created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS phone_numbers (
    sid TEXT PRIMARY KEY, account_sid TEXT NOT NULL, phone_number TEXT NOT NULL UNIQUE,
    friendly_name TEXT NOT NULL, sms_url TEXT, sms_method TEXT NOT NULL DEFAULT 'POST',
    sms_fallback_url TEXT, sms_fallback_method TEXT NOT NULL DEFAULT 'POST',
    status_callback TEXT, messaging_service_sid TEXT,
    date_created REAL NOT NULL, date_updated REAL NOT NULL);
CREATE INDEX IF NOT EXISTS phone_numbers_account ON phone_numbers (account_sid);
CREATE TABLE IF NOT EXISTS verified_numbers (
    sid TEXT PRIMARY KEY, account_sid TEXT NOT NULL, phone_number TEXT NOT NULL,
    friendly_name TEXT NOT NULL, date_created REAL NOT NULL, date_updated REAL NOT NULL,
    UNIQUE (account_sid, phone_number));
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT, sid TEXT NOT NULL UNIQUE,
    account_sid TEXT NOT NULL, direction TEXT NOT NULL,
    from_number TEXT, to_number TEXT NOT NULL, body TEXT NOT NULL, status TEXT NOT NULL,
    error_code INTEGER, error_message TEXT, num_segments INTEGER NOT NULL,
    num_media INTEGER NOT NULL, price TEXT, price_unit TEXT,
    messaging_service_sid TEXT, status_callback TEXT,
    date_created REAL NOT NULL, date_updated REAL NOT NULL, date_sent REAL,
    extra TEXT NOT NULL DEFAULT '{}');
CREATE INDEX IF NOT EXISTS messages_account ON messages (account_sid, id);
CREATE INDEX IF NOT EXISTS messages_account_to ON messages (account_sid, to_number, id);
CREATE INDEX IF NOT EXISTS messages_account_from ON messages (account_sid, from_number, id);
CREATE INDEX IF NOT EXISTS messages_to ON messages (to_number, id);
CREATE TABLE IF NOT EXISTS jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT, due_at REAL NOT NULL, kind TEXT NOT NULL,
    ref TEXT NOT NULL, payload TEXT NOT NULL DEFAULT '{}',
    state TEXT NOT NULL DEFAULT 'pending');
CREATE INDEX IF NOT EXISTS jobs_due ON jobs (state, due_at, id);
CREATE INDEX IF NOT EXISTS jobs_ref ON jobs (ref);
CREATE TABLE IF NOT EXISTS callback_attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT, job_id INTEGER, message_sid TEXT,
    account_sid TEXT, kind TEXT NOT NULL, url TEXT NOT NULL, method TEXT NOT NULL,
    params TEXT NOT NULL, headers TEXT NOT NULL, attempt INTEGER NOT NULL,
    status_code INTEGER, response_body TEXT, error TEXT, at REAL NOT NULL,
    duration_ms REAL NOT NULL);
CREATE INDEX IF NOT EXISTS callback_attempts_message ON callback_attempts (message_sid, id);
CREATE TABLE IF NOT EXISTS rules (
    id INTEGER PRIMARY KEY AUTOINCREMENT, spec TEXT NOT NULL, remaining INTEGER,
    date_created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS services (
    sid TEXT PRIMARY KEY, account_sid TEXT NOT NULL, data TEXT NOT NULL,
    date_created REAL NOT NULL, date_updated REAL NOT NULL);
CREATE TABLE IF NOT EXISTS service_senders (
    service_sid TEXT NOT NULL, phone_sid TEXT NOT NULL, date_created REAL NOT NULL,
    PRIMARY KEY (service_sid, phone_sid));
CREATE TABLE IF NOT EXISTS sticky_senders (
    service_sid TEXT NOT NULL, to_number TEXT NOT NULL, from_number TEXT NOT NULL,
    PRIMARY KEY (service_sid, to_number));
CREATE TABLE IF NOT EXISTS optouts (
    account_sid TEXT NOT NULL, scope TEXT NOT NULL, handset TEXT NOT NULL,
    date_created REAL NOT NULL, PRIMARY KEY (account_sid, scope, handset));
CREATE TABLE IF NOT EXISTS sender_queues (
    sender TEXT PRIMARY KEY, busy_until REAL NOT NULL);
"""

Row = sqlite3.Row


class Store:
    """Thread-safe access to the simulator's SQLite database."""

    def __init__(self, path: str | None, memory: bool = False) -> None:
        target = ":memory:" if memory or not path else path
        self.path = None if target == ":memory:" else target
        self._conn = sqlite3.connect(target, check_same_thread=False, isolation_level=None)
        self._conn.row_factory = sqlite3.Row
        self._lock = threading.RLock()
        self._depth = 0
        # Bumped whenever rows may have disappeared (a message deleted, a reset, a rolled
        # back transaction), so caches of per-recipient counts know to start over.
        self.generation = 0
        with self._lock:
            if self.path:
                self._conn.execute("PRAGMA journal_mode=WAL")
                self._conn.execute("PRAGMA synchronous=OFF")
            self._conn.execute("PRAGMA foreign_keys=OFF")
            self._conn.execute("PRAGMA temp_store=MEMORY")
            self._conn.executescript(SCHEMA)

    # -- transactions -------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic unit of work; nested calls join the outer transaction."""
        with self._lock:
            if self._depth == 0:
                self._conn.execute("BEGIN IMMEDIATE")
            self._depth += 1
            try:
                yield self._conn
            except BaseException:
                self._depth -= 1
                if self._depth == 0:
                    self._conn.execute("ROLLBACK")
                    self.generation += 1
                raise
            else:
                self._depth -= 1
                if self._depth == 0:
                    self._conn.execute("COMMIT")

    # -- plain helpers --------------------------------------------------------------------

    def execute(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
        """Run one statement (in the current transaction, if any)."""
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
            self.generation += 1

    def close(self) -> None:
        with self._lock:
            self._conn.close()


def dumps(value: Any) -> str:
    """Compact JSON for JSON columns."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def loads(text: str | None) -> Any:
    return {} if not text else json.loads(text)
