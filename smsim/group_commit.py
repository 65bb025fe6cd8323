"""Group commit: writes from many threads, one transaction per batch.

Each webhook worker used to log its attempt (and drop its job, and maybe queue the retry)
in a transaction of its own, and each create stored its message the same way: a
``BEGIN IMMEDIATE``/``COMMIT`` pair and a turn at the store's lock per callback or create.
Here a thread hands its write over and waits; whichever thread holds the flush turn writes
every write queued so far in one transaction, as the scheduler already does for lifecycle
steps. Under load many callbacks (or creates) share a commit; alone, a thread writes its
own at once, so nothing waits for a timer. A thread already inside a transaction (a TwiML
reply is created in the transaction that marks it a reply) writes in that one.

:meth:`GroupCommit.write` returns only once the write is committed, so a caller (and
whoever waits for the caller, like ``run_until_idle`` on a virtual clock) sees it done.
A write that raises is not allowed to undo the others: the batch is then written again
one write per transaction, and only the failing write's caller gets the exception.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

T = TypeVar("T")


class Transactional(Protocol):
    """What a group commit needs of a store (the simulator's and the client's have it)."""

    def transaction(self) -> AbstractContextManager[Any]: ...

    @property
    def in_transaction(self) -> bool: ...


@dataclass
class _Queued(Generic[T]):
    write: Callable[[], T]
    done: bool = False
    result: T | None = None
    error: BaseException | None = None

    def run(self) -> None:
        self.result = self.write()


class GroupCommit:
    """Batches writes from concurrent threads into shared transactions."""

    def __init__(self, store: Transactional) -> None:
        self._store = store
        self._queue: list[_Queued[Any]] = []
        self._queue_lock = threading.Lock()
        self._flush_turn = threading.Lock()

    def write(self, write: Callable[[], T]) -> T:
        """Run ``write`` (store calls only, no other side effects: it may run twice if
        another write of its batch fails) in a transaction; return what it returned, once
        committed."""
        if self._store.in_transaction:
            # The caller's own transaction: a batch flushed by another thread would wait
            # for the lock this thread holds, and would not be atomic with the caller's.
            return write()
        queued: _Queued[T] = _Queued(write)
        with self._queue_lock:
            self._queue.append(queued)
        with self._flush_turn:
            if not queued.done:  # else an earlier turn wrote it with its own batch
                self._flush()
        if queued.error is not None:
            raise queued.error
        return queued.result  # type: ignore[return-value]  # set by run(): T may be None

    def _flush(self) -> None:
        with self._queue_lock:
            batch, self._queue = self._queue, []
        try:
            with self._store.transaction():
                for queued in batch:
                    queued.run()
        except Exception:
            for queued in batch:  # rolled back: again one by one, so the rest are kept
                try:
                    with self._store.transaction():
                        queued.run()
                except Exception as exc:
                    queued.error = exc
        except BaseException as exc:  # e.g. KeyboardInterrupt: nobody's write is kept
            for queued in batch:
                queued.error = exc
            raise
        finally:
            for queued in batch:
                queued.done = True
