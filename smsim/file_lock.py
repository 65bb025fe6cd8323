"""An exclusive lock on a file, held until released or until its holder dies.

``flock``: the kernel drops the lock when the process holding it dies, even by
``kill -9``, so "is this lock free?" answers "is its holder gone?". The simulator's
runner slots (:mod:`smsim.simulator.runner_lock`) use it to have one process do a job
across a crash.
"""

from __future__ import annotations

import contextlib
import fcntl
import os


class FileLock:
    """The exclusive ``flock`` of the file at ``path`` (created if missing)."""

    def __init__(self, path: str) -> None:
        self.path = path
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
