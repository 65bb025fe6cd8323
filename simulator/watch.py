"""Waiting for the store to change: what long-polls (``/_smsim/messages?wait=``) and the
live stream (``/_smsim/stream``) sleep on.

A parked request must cost next to nothing while nothing happens and must end at once
when the server stops. So waiters do not each poll the messages table: one
:class:`ChangeFeed` per engine holds a change count, and wakes the waiters only when it
moves; :meth:`ChangeFeed.close` wakes them all for good. No Flask here. The count moves:

- on SQLite (one process), when the store's connection changed rows: a probe of
  SQLite's in-memory change counter (no file read) every :data:`POLL_SECONDS` (longer
  with many waiters) while anyone waits;
- on PostgreSQL, when any instance commits a change to messages, media or callback
  attempts: PostgreSQL notifies it (:mod:`smsim.simulator.notices`) and
  :meth:`ChangeFeed.bump` moves the count, with no probe at all. A change is seen within
  the notification's delivery, and at worst within the listener's fallback tick.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TypeVar

from smsim.simulator.store_api import Store

POLL_SECONDS = 0.05
# Every waiter re-runs its query when the count moves, so the tick stretches with their
# number: 1,000 waiters re-query at most twice a second, never a storm per create.
TICK_PER_WAITER = 0.0005
T = TypeVar("T")


class ChangeFeed:
    """Tells waiters that the store changed, or that they must stop waiting."""

    def __init__(self, probe: Callable[[], int] | None, every: float = POLL_SECONDS) -> None:
        self._probe = probe
        self._every = every
        self._cond = threading.Condition()
        self._version = 0
        self._waiters = 0
        self._poller: threading.Thread | None = None
        self._closed = threading.Event()

    @classmethod
    def of_store(cls, store: Store, every: float = POLL_SECONDS) -> ChangeFeed:
        """A feed over every commit to ``store``'s file: this process' and, under
        ``smsim serve --workers``, the other processes'."""
        return cls(store.data_version, every)

    @classmethod
    def pushed(cls) -> ChangeFeed:
        """A feed that moves only when told (:meth:`bump`): PostgreSQL's notifications."""
        return cls(None)

    def bump(self) -> None:
        """Something changed: wake every waiter to look again."""
        with self._cond:
            self._version += 1
            self._cond.notify_all()

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    @property
    def waiters(self) -> int:
        """How many threads are parked in :meth:`wait_past` right now."""
        with self._cond:
            return self._waiters

    def current(self) -> int:
        """The change count as last seen. Read it before looking at the store: a change
        after that moves the count past it, so the wait that follows cannot miss it."""
        if self._poller is None and self._probe is not None:  # may be stale: look now
            self._refresh()
        with self._cond:
            return self._version

    def _refresh(self) -> None:
        if self._probe is None:
            return
        value = self._probe()
        with self._cond:
            if value != self._version:
                self._version = value
                self._cond.notify_all()

    def wait_past(self, seen: int, timeout: float) -> None:
        """Block until the count differs from ``seen``, ``timeout`` passes, or the feed
        is closed."""
        deadline = time.monotonic() + timeout
        with self._cond:
            self._waiters += 1
            if self._poller is None and self._probe is not None and not self._closed.is_set():
                self._poller = threading.Thread(
                    target=self._poll, name="smsim-change-feed", daemon=True
                )
                self._poller.start()
            try:
                while self._version == seen and not self._closed.is_set():
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        break
                    self._cond.wait(remaining)
            finally:
                self._waiters -= 1

    def close(self) -> None:
        """Wake every waiter now and make later waits return at once (server stop)."""
        self._closed.set()
        with self._cond:
            self._cond.notify_all()

    def _poll(self) -> None:
        """Runs while anyone waits: one probe per tick for all of them."""
        tick = self._every
        while not self._closed.wait(tick):
            with self._cond:
                if self._waiters == 0:
                    self._poller = None
                    return
                tick = max(self._every, self._waiters * TICK_PER_WAITER)
            try:
                self._refresh()
            except Exception:  # the store closed under us: the server is stopping
                self.close()
        with self._cond:
            self._poller = None


def wait_until(
    feed: ChangeFeed, look: Callable[[], T], found: Callable[[T], bool], wait: float
) -> T:
    """``look()``, again after each change, until ``found`` says yes, ``wait`` seconds
    pass or ``feed`` closes; returns the last look."""
    deadline = time.monotonic() + max(wait, 0.0)
    while True:
        seen = feed.current()
        result = look()
        remaining = deadline - time.monotonic()
        if found(result) or remaining <= 0 or feed.closed:
            return result
        feed.wait_past(seen, remaining)
