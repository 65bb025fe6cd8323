"""The SQLite store both programs build on (smsim/sqlite_store.py): the settings they
share and the one they do not, transactions that join and roll back whole, and a cache
generation that moves when cached rows may be stale."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from smsim.client.store import Store as ClientStore
from smsim.simulator import meta
from smsim.simulator.store import Store as SimulatorStore
from smsim.sqlite_store import BUSY_TIMEOUT_MS, SQLiteStore


@pytest.fixture
def stores(tmp_path: Path) -> Iterator[tuple[SQLiteStore, SQLiteStore]]:
    simulator = SimulatorStore(str(tmp_path / "smsim.db"))
    client = ClientStore(str(tmp_path / "client.db"))
    yield simulator, client
    simulator.close()
    client.close()


def _pragma(store: SQLiteStore, name: str) -> object:
    return store.scalar(f"PRAGMA {name}")


def test_both_files_are_wal_with_the_same_settings_but_durability(stores) -> None:
    simulator, client = stores
    for store in stores:
        assert store.dialect == "sqlite"  # the name owners branch on beside "postgresql"
        assert _pragma(store, "journal_mode") == "wal"
        assert _pragma(store, "busy_timeout") == BUSY_TIMEOUT_MS
        assert _pragma(store, "foreign_keys") == 0
        assert _pragma(store, "temp_store") == 2  # MEMORY
    # the simulator's commits never wait for the disk; the client's records survive a
    # power cut (the modules' docstrings say why)
    assert _pragma(simulator, "synchronous") == 0  # OFF
    assert _pragma(client, "synchronous") == 1  # NORMAL


def test_a_nested_transaction_joins_the_outer_one_and_a_failure_undoes_both(stores) -> None:
    simulator, _ = stores
    before = simulator.generation
    with pytest.raises(RuntimeError), simulator.transaction():
        meta.put(simulator, "outer", "1")
        with simulator.transaction():
            meta.put(simulator, "inner", "1")
        raise RuntimeError("after the inner block")
    assert meta.get(simulator, "outer") is None and meta.get(simulator, "inner") is None
    assert simulator.generation != before  # a cache may have read the undone rows
    with simulator.transaction(), simulator.transaction():
        meta.put(simulator, "kept", "1")
    assert meta.get(simulator, "kept") == "1"


def test_the_generation_moves_when_cached_rows_change(stores) -> None:
    simulator, client = stores
    for store in stores:
        seen = store.generation
        store.bump_generation()
        assert store.generation != seen
    seen = client.generation
    client.clear()
    assert client.generation != seen
    seen = simulator.generation
    simulator.reset()
    assert simulator.generation != seen


def test_memory_stores_are_not_files(tmp_path: Path) -> None:
    simulator, client = SimulatorStore(None, memory=True), ClientStore(":memory:")
    try:
        assert simulator.path is None and client.path is None
        assert _pragma(simulator, "journal_mode") == "memory"
    finally:
        simulator.close()
        client.close()
