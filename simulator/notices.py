"""Notices from other processes on one PostgreSQL: ``LISTEN/NOTIFY``.

Several ``smsim serve`` processes and machines share one database and nothing else. What
one of them must learn from another, it learns from PostgreSQL: triggers (migration 8)
``NOTIFY`` a channel when a statement changes a table, once per channel per transaction,
delivered when it commits:

- :data:`JOBS` when a job is scheduled: delivery runners wake instead of polling;
- :data:`MESSAGES` when messages, their media or callback attempts change: long-polls and
  the inbox stream look again (:mod:`smsim.simulator.watch`);
- :data:`ROWS` when accounts, keys, numbers or Messaging Services change: caches of those
  rows start over (:mod:`smsim.simulator.row_cache`).

One :class:`Listener` per process owns one dedicated connection (autocommit, outside the
pool, with TCP keepalives) and one thread that calls the subscribers. PostgreSQL
delivers every notification to every connected listener; one sent while the connection
was down is lost. So the listener reconnects when the connection drops (at once when the
server closes it; within about 10 s by keepalive when the network dies), calls every
subscriber on each (re)connection, and calls every subscriber every
:data:`FALLBACK_SECONDS` anyway (its slow fallback poll). Staleness bound: a change
committed by one instance is seen by another within the notification's delivery
(milliseconds on a LAN); at worst, when notifications were lost, within
:data:`FALLBACK_SECONDS`.

Callbacks run on the listener's thread: they must be quick (set a flag, notify a
condition). On SQLite there is one process and no listener: writers wake their readers
in-process.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

log = logging.getLogger("smsim.notices")

JOBS = "smsim_jobs"
MESSAGES = "smsim_messages"
ROWS = "smsim_rows"
CHANNELS = (JOBS, MESSAGES, ROWS)

FALLBACK_SECONDS = 10.0  # every subscriber is called at least this often
TICK_SECONDS = 0.25  # how long one wait for notifications lasts (how soon close() is seen)
RECONNECT_SECONDS = 0.5  # the first wait before connecting again; doubles up to 5 s

# A listener only reads: without keepalives a dead network would leave it waiting on a
# socket nobody answers, deaf, until the kernel's two-hour default gave up.
KEEPALIVES = {
    "keepalives": 1,
    "keepalives_idle": 5,
    "keepalives_interval": 2,
    "keepalives_count": 2,
}

Callback = Callable[[], None]


class Listener:
    """One process' ``LISTEN`` connection and the thread that dispatches notifications."""

    def __init__(self, connect: Callable[[], Any], fallback_seconds: float | None = None) -> None:
        self._connect = connect  # opens a new autocommit psycopg connection
        self._fallback = FALLBACK_SECONDS if fallback_seconds is None else fallback_seconds
        self._subscribers: dict[str, list[Callback]] = {}
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None
        self._listening: set[str] = set()
        self.connected = threading.Event()  # set while LISTENing (tests wait on it)
        self.connections = 0  # how many times it connected (reconnections show here)

    @classmethod
    def for_url(cls, url: str, fallback_seconds: float | None = None) -> Listener:
        import psycopg  # only on PostgreSQL: the SQLite default needs no driver
        from psycopg import conninfo

        def connect() -> Any:
            return psycopg.connect(conninfo.make_conninfo(url, **KEEPALIVES), autocommit=True)

        return cls(connect, fallback_seconds)

    def subscribe(self, channel: str, callback: Callback) -> None:
        """Call ``callback`` (on the listener's thread) after each commit that notified
        ``channel``, and on every fallback tick."""
        if channel not in CHANNELS:
            raise ValueError(f"unknown channel {channel!r}")
        with self._lock:
            self._subscribers.setdefault(channel, []).append(callback)

    def start(self) -> Listener:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="smsim-listen", daemon=True)
            self._thread.start()
        return self

    def close(self) -> None:
        self._stopped.set()
        if self._thread is not None:
            self._thread.join(TICK_SECONDS * 4 + 1)
            self._thread = None

    # -- the thread ---------------------------------------------------------------------

    def _run(self) -> None:
        delay = RECONNECT_SECONDS
        while not self._stopped.is_set():
            try:
                with self._connect() as conn:
                    self.connections += 1
                    self._listening = set()
                    self._listen(conn)
                    delay = RECONNECT_SECONDS
                    self._dispatch_all()  # anything may have changed while not listening
                    self.connected.set()
                    self._serve(conn)
            except Exception as exc:  # the server restarted, the network dropped
                if self._stopped.is_set():
                    return
                log.warning("LISTEN connection lost (%s); connecting again in %.1f s", exc, delay)
            self.connected.clear()
            if self._stopped.wait(delay):
                return
            delay = min(delay * 2, 5.0)

    def _listen(self, conn: Any) -> None:
        """LISTEN on every channel with a subscriber (they may arrive after the start)."""
        with self._lock:
            wanted = [c for c in self._subscribers if c not in self._listening]
        for channel in wanted:
            conn.execute(f"LISTEN {channel}")  # a constant of this module, never input
            self._listening.add(channel)

    def _serve(self, conn: Any) -> None:
        fallback_at = time.monotonic() + self._fallback
        while not self._stopped.is_set():
            self._listen(conn)
            for notice in conn.notifies(timeout=TICK_SECONDS):
                self._dispatch(notice.channel)
            if time.monotonic() >= fallback_at:
                self._dispatch_all()
                fallback_at = time.monotonic() + self._fallback

    def _dispatch(self, channel: str) -> None:
        with self._lock:
            callbacks = list(self._subscribers.get(channel, ()))
        for callback in callbacks:
            try:
                callback()
            except Exception:  # one subscriber's bug must not deafen the others
                log.exception("notice subscriber for %s failed", channel)

    def _dispatch_all(self) -> None:
        with self._lock:
            channels = list(self._subscribers)
        for channel in channels:
            self._dispatch(channel)
