"""A change counter that threads can wait on: how live views learn that data moved.

The store bumps it after every committed write. A waiter (the inbox's event stream)
remembers the last version it saw and sleeps in :meth:`ChangeFeed.wait` until the version
moves, the timeout passes or the feed is closed (the server is stopping), so nothing
polls the database and a stopping server never waits on a parked stream.
"""

from __future__ import annotations

import threading


class ChangeFeed:
    """A monotonically increasing version, with waiting and closing."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._version = 0
        self._closed = False

    @property
    def version(self) -> int:
        return self._version

    @property
    def closed(self) -> bool:
        return self._closed

    def notify(self) -> None:
        """Something changed: wake every waiter."""
        with self._cond:
            self._version += 1
            self._cond.notify_all()

    def wait(self, seen: int, timeout: float) -> int:
        """The current version once it differs from ``seen``, or after ``timeout`` seconds,
        or at once when the feed is closed."""
        with self._cond:
            self._cond.wait_for(lambda: self._version != seen or self._closed, timeout)
            return self._version

    def close(self) -> None:
        """Release every waiter for good (the server is stopping)."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
