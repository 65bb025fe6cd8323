"""Which processes run a database's jobs: each holds an exclusive lock on one of a fixed
number of files beside the database (``<database>-jobs-<k>.lock``), its runner slot.

A job is claimed in one transaction (``BEGIN IMMEDIATE``: SQLite's single writer), marked
``running`` with the claimer's slot, so no two runners claim the same job. The kernel
drops a lock when its holder dies, even by ``kill -9``; a runner that finds a slot's lock
free while jobs are ``running`` under that slot knows their runner is dead, and puts them
back to ``pending`` (at least once, never lost). With the slots all taken, one more
runner (a second ``smsim serve`` on the same file) waits for one to come free. An
in-memory store has one process by construction and needs no lock.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator


class RunnerLock:
    """One slot's lock file."""

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


class RunnerSlots:
    """The ``count`` runner slots of the database at ``database_path``."""

    def __init__(self, database_path: str, count: int = 1) -> None:
        self.database_path = database_path
        self.count = max(1, count)
        self.slot: int | None = None
        self._lock: RunnerLock | None = None

    def path(self, slot: int) -> str:
        return f"{self.database_path}-jobs-{slot}.lock"

    @property
    def held(self) -> bool:
        return self._lock is not None

    def try_acquire(self) -> bool:
        """Take the first free slot; True once this process holds one."""
        if self._lock is not None:
            return True
        for slot in range(self.count):
            lock = RunnerLock(self.path(slot))
            if lock.try_acquire():
                self._lock, self.slot = lock, slot
                return True
        return False

    @contextlib.contextmanager
    def vacated(self, slot: int) -> Iterator[bool]:
        """Whether ``slot``'s runner is gone (its lock is free), holding the lock for
        the block so that no runner takes the slot meanwhile. Never true for our own."""
        if slot == self.slot:
            yield False
            return
        lock = RunnerLock(self.path(slot))
        free = lock.try_acquire()
        try:
            yield free
        finally:
            lock.release()

    def release(self) -> None:
        if self._lock is not None:
            self._lock.release()
            self._lock, self.slot = None, None
