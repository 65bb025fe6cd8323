"""SQLite persistence for the integration: providers, campaigns, messages, callbacks,
replies, short links, clicks and events.

One connection guarded by a lock (SQLite serialises writers anyway); WAL for file
databases so readers never block the receiver. Idempotency lives in unique keys, not in
application checks: a status callback is unique by (MessageSid, status), a reply by its
MessageSid, so a repeated webhook can never count twice even under concurrent delivery.
Every multi-step change (callback + status + event) happens in one transaction.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from smsim.client.callback_records import CallbackRecords
from smsim.client.event_records import EventRecords
from smsim.client.link_records import LinkRecords
from smsim.client.message_records import MessageRecords
from smsim.client.provider_records import ProviderRecords
from smsim.client.records import (
    EVENT_CLICKED,
    EVENT_DELIVERED,
    EVENT_FAILED,
    EVENT_NAMES,
    EVENT_REPLIED,
    EVENT_SENT,
    FAILED_STATUSES,
    STATUS_RANK,
    TERMINAL_RANK,
    ConflictError,
    MessageRow,
    NotFoundError,
    SendOutcome,
)
from smsim.client.stats_records import StatsRecords

__all__ = [
    "EVENT_CLICKED",
    "EVENT_DELIVERED",
    "EVENT_FAILED",
    "EVENT_NAMES",
    "EVENT_REPLIED",
    "EVENT_SENT",
    "FAILED_STATUSES",
    "STATUS_RANK",
    "TERMINAL_RANK",
    "ConflictError",
    "MessageRow",
    "NotFoundError",
    "SendOutcome",
    "Store",
]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS providers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    nickname TEXT NOT NULL,
    account_sid TEXT NOT NULL,
    auth_token TEXT NOT NULL,
    callback_url TEXT,
    from_numbers TEXT NOT NULL,
    service_sid TEXT,
    template_id_required INTEGER NOT NULL DEFAULT 0,
    is_default INTEGER NOT NULL DEFAULT 0,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    deleted_at REAL
);
CREATE UNIQUE INDEX IF NOT EXISTS providers_nickname
    ON providers(nickname COLLATE NOCASE) WHERE deleted_at IS NULL;
CREATE INDEX IF NOT EXISTS providers_account ON providers(account_sid);
CREATE TABLE IF NOT EXISTS campaigns (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT,
    provider_id INTEGER NOT NULL,
    body TEXT NOT NULL,
    click_tracking INTEGER NOT NULL,
    template_id TEXT,
    variant INTEGER NOT NULL DEFAULT 0,
    targeted INTEGER NOT NULL,
    created_at REAL NOT NULL,
    finished_at REAL
);
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    campaign_id INTEGER,
    provider_id INTEGER NOT NULL,
    to_number TEXT NOT NULL,
    from_number TEXT,
    body TEXT NOT NULL,
    sid TEXT UNIQUE,
    status TEXT NOT NULL DEFAULT 'pending',
    status_rank INTEGER NOT NULL DEFAULT -1,
    error_code INTEGER,
    error_message TEXT,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS messages_campaign ON messages(campaign_id);
CREATE INDEX IF NOT EXISTS messages_provider ON messages(provider_id);
CREATE INDEX IF NOT EXISTS messages_to ON messages(provider_id, to_number, id);
CREATE TABLE IF NOT EXISTS callbacks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    provider_id INTEGER NOT NULL,
    message_id INTEGER,
    message_sid TEXT NOT NULL,
    status TEXT NOT NULL,
    error_code INTEGER,
    params TEXT NOT NULL,
    received_at REAL NOT NULL,
    UNIQUE (message_sid, status)
);
CREATE TABLE IF NOT EXISTS replies (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    provider_id INTEGER NOT NULL,
    message_sid TEXT NOT NULL UNIQUE,
    from_number TEXT NOT NULL,
    to_number TEXT NOT NULL,
    body TEXT NOT NULL,
    campaign_id INTEGER,
    message_id INTEGER,
    received_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS links (
    code TEXT PRIMARY KEY,
    campaign_id INTEGER NOT NULL,
    message_id INTEGER NOT NULL,
    url TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS clicks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    code TEXT NOT NULL,
    campaign_id INTEGER NOT NULL,
    message_id INTEGER NOT NULL,
    clicked_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS clicks_campaign ON clicks(campaign_id, message_id);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ts REAL NOT NULL,
    name TEXT NOT NULL,
    provider_id INTEGER,
    campaign_id INTEGER,
    message_id INTEGER,
    props TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_provider ON events(provider_id, ts);
CREATE INDEX IF NOT EXISTS events_campaign ON events(campaign_id, ts);
"""


class Store(
    ProviderRecords, MessageRecords, CallbackRecords, LinkRecords, EventRecords, StatsRecords
):
    """The integration's database. Thread-safe; open with a path or ``":memory:"``.

    Each group of tables has its own module (providers, campaigns and messages, callbacks
    and replies, links and clicks, events, stats reads); this class holds the connection
    they share.
    """

    def __init__(self, path: str = ":memory:", clock: Callable[[], float] = time.time) -> None:
        self._lock = threading.RLock()
        self._clock = clock
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._conn.row_factory = sqlite3.Row
        if path != ":memory:":
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.execute("PRAGMA busy_timeout=5000")
        self._conn.executescript(_SCHEMA)

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._conn.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._conn.execute(sql, params).fetchall()
