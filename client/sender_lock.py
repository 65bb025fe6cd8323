"""At most one process sends a database's campaigns: an exclusive lock on a file beside it.

A recipient is sent once because only one process claims recipients: the holder of this
lock (``flock``). The kernel drops it when its holder dies, even by ``kill -9``, so the
sender process ``smsim client serve --workers N`` starts again after a crash takes over
at once and settles what the dead one had claimed (client/campaign_queue.py). A second
``smsim client serve`` on the same file waits here until the first stops.
"""

from __future__ import annotations

import contextlib
import fcntl
import os


class SenderLock:
    """The ``<database>-campaigns.lock`` file's exclusive lock."""

    def __init__(self, database_path: str) -> None:
        self.path = database_path + "-campaigns.lock"
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def try_acquire(self) -> bool:
        """Take the lock if nobody holds it; True once this process holds it."""
        if self._fd is not None:
            return True
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd
        return True

    def release(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
