"""The store's contract, the same on both engines: what every table-owning module relies on
(transactions that commit or vanish whole, nested ones joining, rows by position and by
name, ``?`` placeholders, RETURNING ids, reset, meta)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from smsim.simulator import meta
from smsim.simulator.store import open_store
from smsim.simulator.store_api import Store

pytestmark = pytest.mark.both_engines


@pytest.fixture
def target(db_engine: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """A new SQLite file, or a new PostgreSQL database's URL."""
    if db_engine == "postgresql":
        return str(request.getfixturevalue("postgres_url"))
    return str(tmp_path / "sim.db")


@pytest.fixture
def store(target: str) -> Iterator[Store]:
    opened = open_store(target)
    yield opened
    opened.close()


def _rule(store: Store, spec: str) -> int:
    row = store.execute(
        "INSERT INTO rules (spec, remaining, date_created) VALUES (?, ?, ?) RETURNING id",
        (spec, None, 1.5),
    ).fetchone()
    return int(row[0])


def test_dialect_names_the_engine(store: Store, db_engine: str) -> None:
    assert store.dialect == db_engine


def test_returning_ids_grow(store: Store) -> None:
    first, second = _rule(store, "a"), _rule(store, "b")
    assert second > first > 0


def test_rows_by_position_by_name_and_unpacked(store: Store) -> None:
    rule_id = _rule(store, '{"x": 1}')
    row = store.one("SELECT id, spec, date_created FROM rules WHERE id = ?", (rule_id,))
    assert row is not None
    assert row[0] == rule_id and row["spec"] == '{"x": 1}' and row["date_created"] == 1.5
    got_id, spec, created = row
    assert (got_id, spec, created) == (rule_id, '{"x": 1}', 1.5)
    assert list(row.keys()) == ["id", "spec", "date_created"]
    assert store.scalar("SELECT COUNT(*) FROM rules") == 1


def test_a_question_mark_or_percent_in_a_literal_is_text_not_a_placeholder(store: Store) -> None:
    _rule(store, "what? 100%")
    _rule(store, "plain")
    rows = store.all(
        "SELECT spec FROM rules WHERE spec LIKE '%?%' AND spec <> ? ORDER BY id", ("x",)
    )
    assert [r["spec"] for r in rows] == ["what? 100%"]
    assert store.scalar("SELECT 'a?b' || ?", ("c",)) == "a?bc"


def test_a_transaction_commits_whole(store: Store) -> None:
    with store.transaction() as tx:
        tx.execute("INSERT INTO meta (key, value) VALUES (?, ?)", ("k1", "v1"))
        meta.put(store, "k2", "v2")  # the store's own helper joins the transaction
    assert (meta.get(store, "k1"), meta.get(store, "k2")) == ("v1", "v2")


def test_a_failed_transaction_leaves_nothing_and_moves_the_generation(store: Store) -> None:
    before = store.generation
    with pytest.raises(RuntimeError), store.transaction():
        meta.put(store, "gone", "1")
        with store.transaction():  # nested: joins, and its failure undoes the outer one
            meta.put(store, "also_gone", "1")
            raise RuntimeError("boom")
    assert meta.get(store, "gone") is None and meta.get(store, "also_gone") is None
    assert store.generation != before


def test_a_transaction_is_unseen_by_other_threads_until_it_commits(store: Store) -> None:
    seen: list[str | None] = []
    inside, looked = threading.Event(), threading.Event()

    def other() -> None:
        inside.wait(10)
        seen.append(meta.get(store, "pending"))
        looked.set()

    thread = threading.Thread(target=other)
    thread.start()
    with store.transaction():
        meta.put(store, "pending", "1")
        inside.set()
        if store.dialect == "postgresql":  # SQLite's one connection makes the reader wait
            assert looked.wait(10)
    thread.join(10)
    assert seen == [None] if store.dialect == "postgresql" else seen == ["1"]
    assert meta.get(store, "pending") == "1"


def test_executemany_and_rowcount(store: Store) -> None:
    store.executemany(
        "INSERT INTO optouts (account_sid, scope, handset, date_created) VALUES (?, ?, ?, ?)",
        [("AC1", "s", f"+1555000{i}", 1.0) for i in range(5)],
    )
    assert store.execute("DELETE FROM optouts WHERE handset <> ?", ("+15550000",)).rowcount == 4


def test_meta_set_replace_delete(store: Store) -> None:
    meta.put(store, "k", "1")
    meta.put(store, "k", "2")
    assert meta.get(store, "k") == "2"
    meta.delete(store, "k")
    assert meta.get(store, "k") is None


def test_reset_empties_every_table_keeps_the_schema_and_ids_continue(store: Store) -> None:
    before = _rule(store, "a")
    meta.put(store, "seeded", "1")
    generation = store.generation
    store.reset()
    assert store.scalar("SELECT COUNT(*) FROM rules") == 0
    assert meta.get(store, "seeded") is None
    assert store.generation != generation
    assert _rule(store, "b") > before  # an id is never given twice, reset or not


def test_data_version_moves_on_a_write(store: Store) -> None:
    before = store.data_version()
    meta.put(store, "k", "v")
    assert store.data_version() != before


def test_a_second_store_on_the_same_database_sees_the_rows(store: Store, target: str) -> None:
    _rule(store, "kept")
    again = open_store(target)  # a second process' store, in effect
    try:
        assert again.scalar("SELECT spec FROM rules") == "kept"
    finally:
        again.close()
