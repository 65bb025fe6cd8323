"""What one process learns from the others sharing its database, and only from it.

On SQLite there is one process: nothing to learn. Writers wake the scheduler directly,
caches follow the store's generation, and change feeds probe the connection's change
counter.

On PostgreSQL any number of processes on any number of machines share the database, and
each one holds:

- a :class:`~smsim.simulator.clock_owner.ClockOwner`: its share of the database's time,
  so a virtual clock runs alone;
- a :class:`~smsim.simulator.notices.Listener`: ``LISTEN`` on the channels it needs. A
  change to accounts, keys, numbers or services moves the store's generation (every row
  cache starts over); a scheduled job wakes this process' runner, if it runs jobs; a
  change to messages moves every change feed (long-polls and the inbox stream look
  again).
"""

from __future__ import annotations

import threading

from smsim.simulator import notices
from smsim.simulator.clock_owner import ClockOwner
from smsim.simulator.store_api import Store
from smsim.simulator.watch import ChangeFeed


class Coordination:
    """One process' link to the other processes of its database (none on SQLite)."""

    def __init__(self, store: Store, url: str | None, virtual_clock: bool) -> None:
        """Take this process' share of the database's time (before anything else runs:
        a refused virtual clock must not touch the jobs of the instance it meets)."""
        self._store = store
        self._url = url
        self._feeds: list[ChangeFeed] = []
        self._lock = threading.Lock()
        self.clock_owner: ClockOwner | None = None
        self.listener: notices.Listener | None = None
        if store.dialect == "postgresql" and url:
            self.clock_owner = ClockOwner.for_url(url, virtual_clock, store.location)

    def listen(self, wake_runner: notices.Callback | None, serves_http: bool = True) -> None:
        """Start listening (PostgreSQL) on what this process needs: ``wake_runner`` is
        called when another process schedules a job (None: this process runs no jobs);
        change feeds move only in a process that ``serves_http`` (a delivery process has
        no waiting request, and every create would otherwise wake it twice for nothing)."""
        if self.clock_owner is None or self._url is None:
            return
        listener = notices.Listener.for_url(self._url)
        listener.subscribe(notices.ROWS, self._store.bump_generation)
        if serves_http:
            listener.subscribe(notices.MESSAGES, self._messages_changed)
        if wake_runner is not None:
            listener.subscribe(notices.JOBS, wake_runner)
        self.listener = listener.start()

    def change_feed(self) -> ChangeFeed:
        """A new feed of changes to messages, for requests that wait on them."""
        if self.listener is None:
            return ChangeFeed.of_store(self._store)
        feed = ChangeFeed.pushed()
        with self._lock:
            self._feeds.append(feed)
        return feed

    def _messages_changed(self) -> None:
        with self._lock:
            self._feeds = [feed for feed in self._feeds if not feed.closed]
            feeds = list(self._feeds)
        for feed in feeds:
            feed.bump()

    def close(self) -> None:
        if self.listener is not None:
            self.listener.close()
        if self.clock_owner is not None:
            self.clock_owner.close()
