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
from collections.abc import Iterator

from smsim.file_lock import FileLock


class RunnerSlots:
    """The ``count`` runner slots of the database at ``database_path``."""

    def __init__(self, database_path: str, count: int = 1) -> None:
        self.database_path = database_path
        self.count = max(1, count)
        self.slot: int | None = None
        self._lock: FileLock | None = None

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
            lock = FileLock(self.path(slot))
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
        lock = FileLock(self.path(slot))
        free = lock.try_acquire()
        try:
            yield free
        finally:
            lock.release()

    def release(self) -> None:
        if self._lock is not None:
            self._lock.release()
            self._lock, self.slot = None, None
