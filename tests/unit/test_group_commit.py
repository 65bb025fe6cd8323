"""Callback attempts are logged through a group commit: many workers, one transaction per
batch. What a user relies on: every attempt is in the database (committed, visible to
another connection) when its worker moves on, and one bad write loses no one else's."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from smsim.simulator import meta
from smsim.simulator.group_commit import GroupCommit
from smsim.simulator.store import Store


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
