"""Callback attempts are logged through a group commit: many workers, one transaction per
batch. What a user relies on: every attempt is in the database (committed, visible to
another connection) when its worker moves on, and one bad write loses no one else's."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from smsim.group_commit import GroupCommit
from smsim.simulator import meta
from smsim.simulator.store import Store, open_store


def _committed(path: Path) -> dict[str, str]:
    """What another connection (another reader of the file) sees."""
    conn = sqlite3.connect(path)
    try:
        return dict(conn.execute("SELECT key, value FROM meta WHERE key LIKE 'w%'").fetchall())
    finally:
        conn.close()


def test_a_write_is_committed_when_it_returns(tmp_path: Path) -> None:
    path = tmp_path / "sim.db"
    store = Store(str(path))
    writes = GroupCommit(store)

    writes.write(lambda: meta.put(store, "w1", "one"))

    assert _committed(path) == {"w1": "one"}
    store.close()


def test_concurrent_writes_all_land_and_a_failing_one_loses_nothing_else(tmp_path: Path) -> None:
    path = tmp_path / "sim.db"
    store = Store(str(path))
    writes = GroupCommit(store)
    errors: dict[int, BaseException] = {}
    start = threading.Barrier(16)

    def worker(n: int) -> None:
        def write() -> None:
            meta.put(store, f"w{n}", str(n))
            if n == 7:
                raise ValueError("a broken attempt")

        start.wait()
        for _ in range(3):  # several rounds, so batches really hold several writes
            try:
                writes.write(write)
            except ValueError as exc:
                errors[n] = exc

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert list(errors) == [7]
    assert _committed(path) == {f"w{n}": str(n) for n in range(16) if n != 7}
    store.close()


def test_the_failing_write_raises_in_its_own_caller(tmp_path: Path) -> None:
    store = Store(str(tmp_path / "sim.db"))
    writes = GroupCommit(store)

    def broken() -> None:
        raise RuntimeError("no")

    with pytest.raises(RuntimeError, match="no"):
        writes.write(broken)
    writes.write(lambda: meta.put(store, "w2", "after"))

    assert meta.get(store, "w2") == "after"
    store.close()


@pytest.mark.both_engines
def test_a_write_from_inside_a_transaction_joins_it(store_target: str | None) -> None:
    """A TwiML reply is created inside the transaction that marks it a reply. Its write
    must be part of that transaction (gone if it rolls back), and must not wait for a batch
    flushed by another thread, which would itself wait for the lock this thread holds."""
    store = open_store(store_target, memory=store_target is None)
    writes = GroupCommit(store)
    try:
        assert not store.in_transaction
        with pytest.raises(RuntimeError, match="undo"), store.transaction():
            assert store.in_transaction
            writes.write(lambda: meta.put(store, "w3", "joined"))
            raise RuntimeError("undo")
        assert meta.get(store, "w3") is None

        other_thread_done = threading.Event()

        def other_thread() -> None:  # a batch that needs the store while we hold it
            writes.write(lambda: meta.put(store, "w4", "other"))
            other_thread_done.set()

        with store.transaction():
            thread = threading.Thread(target=other_thread)
            thread.start()
            if store.dialect == "sqlite":  # one writer: it waits for our transaction
                assert not other_thread_done.wait(0.2)
            writes.write(lambda: meta.put(store, "w3", "joined"))  # no deadlock
            seen_from_another_thread: list[bool] = []
            probe = threading.Thread(
                target=lambda: seen_from_another_thread.append(store.in_transaction)
            )
            probe.start()
            probe.join(5)
            assert seen_from_another_thread == [False]  # the answer is per thread
        thread.join(10)
        assert other_thread_done.is_set()
        assert meta.get(store, "w3") == "joined"
        assert meta.get(store, "w4") == "other"
    finally:
        store.close()
