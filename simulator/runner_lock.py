"""At most one process runs a database's jobs: an exclusive lock on a file beside it.

Job claims are exactly-once per attempt because only one runner claims: the process that
holds this lock (``flock``). The kernel drops the lock when its holder dies, even by
``kill -9``, so a runner started after a crash takes over at once, puts the dead runner's
``running`` jobs back to ``pending`` and runs them (at least once, never lost). A second
``smsim serve`` on the same file, or the delivery process ``smsim serve --workers`` starts
again after a crash, waits here for the first to stop. An in-memory store has one process
by construction and needs no lock.
"""

from __future__ import annotations

import contextlib
import fcntl
import os


class RunnerLock:
    """The ``<database>-jobs.lock`` file's exclusive lock."""

    def __init__(self, database_path: str) -> None:
        self.path = database_path + "-jobs.lock"
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
