"""Versioned databases: older files upgrade in place with their data, newer or foreign
ones are refused byte for byte untouched."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from startup_helpers import (
    CLIENT_V0,
    SIMULATOR_V0,
    V0_FULL_ACCOUNT,
    V0_MESSAGE,
    copy_fixture,
    header,
    snapshot,
)

from smsim.client.migrations import MIGRATIONS as CLIENT_MIGRATIONS
from smsim.client.store import Store as ClientStore
from smsim.migrations import (
    CLIENT,
    SIMULATOR,
    DatabaseKind,
    DatabaseRefused,
    Migration,
    latest_version,
    migrate,
)
from smsim.simulator.config import SimulatorConfig
from smsim.simulator.engine import Engine
from smsim.simulator.migrations import MIGRATIONS as SIMULATOR_MIGRATIONS
from smsim.simulator.store import Store as SimulatorStore


def test_a_simulator_database_from_the_release_before_versions_upgrades_with_its_data(
    tmp_path: Path,
) -> None:
    db = copy_fixture(SIMULATOR_V0, tmp_path)
    assert header(db) == (0, 0)
    engine = Engine(SimulatorConfig(db_path=str(db), port=0, clock="virtual"))
    try:
        account = engine.accounts.get(V0_FULL_ACCOUNT)
        assert account is not None and account.type == "Full"
        assert len(engine.accounts.all()) == 2  # not seeded a second time
        assert [n.phone_number for n in engine.accounts.numbers(V0_FULL_ACCOUNT)] == [
            "+15005550006"
        ]
        message = engine.messages.get(V0_FULL_ACCOUNT, V0_MESSAGE)
        assert (message.body, message.status) == ("legacy hello", "delivered")
        rules = engine.rules.all()
        assert [r["match"] for r in rules] == [{"to": "+14155550199"}]
    finally:
        engine.close()
    assert header(db) == (SIMULATOR.application_id, latest_version(SIMULATOR_MIGRATIONS))


def test_a_client_database_from_the_release_before_versions_upgrades_with_its_data(
    tmp_path: Path,
) -> None:
    db = copy_fixture(CLIENT_V0, tmp_path)
    store = ClientStore(str(db))
    try:
        [provider] = store.list_providers()
        assert (provider.nickname, provider.auth_token) == ("legacy", "legacytoken")
        [campaign] = store.list_campaigns()
        assert campaign["name"] == "legacy" and campaign["finished_at"] is not None
        assert store.message_counts(provider_id=provider.id)["targeted"] == 3
    finally:
        store.close()
    assert header(db) == (CLIENT.application_id, latest_version(CLIENT_MIGRATIONS))


def test_an_upgrade_runs_only_the_missing_steps(tmp_path: Path) -> None:
    db = copy_fixture(SIMULATOR_V0, tmp_path)
    conn = sqlite3.connect(db, isolation_level=None)
    first = migrate(conn, SIMULATOR, SIMULATOR_MIGRATIONS[:1], str(db))
    assert (first.from_version, first.to_version, first.was_unversioned) == (0, 1, True)
    columns = {r[1] for r in conn.execute("PRAGMA table_info(rules)")}
    assert "origin" not in columns
    second = migrate(conn, SIMULATOR, SIMULATOR_MIGRATIONS, str(db))
    latest = latest_version(SIMULATOR_MIGRATIONS)
    assert (second.from_version, second.to_version) == (1, latest)
    assert conn.execute("SELECT origin FROM rules").fetchall() == [("api",)]
    again = migrate(conn, SIMULATOR, SIMULATOR_MIGRATIONS, str(db))
    assert (again.from_version, again.to_version) == (latest, latest)
    conn.close()


def test_a_new_file_gets_every_step_and_keeps_its_rows_across_opens(tmp_path: Path) -> None:
    db = tmp_path / "fresh.db"
    store = ClientStore(str(db))
    store.create_provider(
        {"nickname": "p", "account_sid": "AC" + "b" * 32, "auth_token": "t", "from_numbers": []}
    )
    store.close()
    assert header(db) == (CLIENT.application_id, latest_version(CLIENT_MIGRATIONS))
    reopened = ClientStore(str(db))
    assert [p.nickname for p in reopened.list_providers()] == ["p"]
    reopened.close()


def _stamp_newer(db: Path, kind: DatabaseKind, version: int) -> None:
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute(f"PRAGMA application_id = {kind.application_id}")
    conn.execute(f"PRAGMA user_version = {version}")
    conn.execute("CREATE TABLE from_the_future (x)")
    conn.close()


@pytest.mark.parametrize(
    ("open_store", "kind"),
    [(SimulatorStore, SIMULATOR), (ClientStore, CLIENT)],
    ids=["simulator", "client"],
)
def test_a_database_from_a_newer_smsim_is_refused_untouched(
    tmp_path: Path, open_store: type, kind: DatabaseKind
) -> None:
    db = tmp_path / "newer.db"
    _stamp_newer(db, kind, 99)
    before = snapshot(tmp_path)
    with pytest.raises(DatabaseRefused, match=r"newer smsim \(schema version 99"):
        open_store(str(db))
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize(
    ("open_store", "other_fixture", "says"),
    [
        (SimulatorStore, CLIENT_V0, "is the client's database"),
        (ClientStore, SIMULATOR_V0, "is the simulator's database"),
    ],
    ids=["simulator-given-client", "client-given-simulator"],
)
def test_the_other_programs_database_is_refused_untouched(
    tmp_path: Path, open_store: type, other_fixture: Path, says: str
) -> None:
    legacy = copy_fixture(other_fixture, tmp_path, "legacy.db")
    stamped = copy_fixture(other_fixture, tmp_path, "stamped.db")
    (ClientStore if open_store is SimulatorStore else SimulatorStore)(str(stamped)).close()
    before = snapshot(tmp_path)
    for db in (legacy, stamped):  # recognised by its tables, and by its header stamp
        with pytest.raises(DatabaseRefused, match=says):
            open_store(str(db))
    assert snapshot(tmp_path) == before


def test_not_sqlite_or_another_programs_database_is_refused_untouched(tmp_path: Path) -> None:
    text = tmp_path / "notes.db"
    text.write_text("these are my notes, not a database\n" * 20)
    foreign = tmp_path / "other.db"
    conn = sqlite3.connect(foreign)
    conn.execute("CREATE TABLE recipes (name TEXT)")
    conn.commit()
    conn.close()
    before = snapshot(tmp_path)
    with pytest.raises(DatabaseRefused, match="is not an SQLite database"):
        SimulatorStore(str(text))
    with pytest.raises(DatabaseRefused, match=r"another program .* tables: recipes"):
        ClientStore(str(foreign))
    assert snapshot(tmp_path) == before


def test_a_failing_step_leaves_the_file_at_the_last_whole_step(tmp_path: Path) -> None:
    kind = DatabaseKind(0x7E57, "a test database", frozenset({"t"}))
    steps = (
        Migration(1, "a table", "CREATE TABLE t (x INTEGER)"),
        Migration(2, "half a change", "ALTER TABLE t ADD COLUMN y;\nSELECT * FROM missing;"),
    )
    conn = sqlite3.connect(tmp_path / "t.db", isolation_level=None)
    with pytest.raises(sqlite3.OperationalError, match="no such table: missing"):
        migrate(conn, kind, steps)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
    assert [r[1] for r in conn.execute("PRAGMA table_info(t)")] == ["x"]
    conn.close()


def test_migrations_must_be_numbered_one_step_at_a_time() -> None:
    conn = sqlite3.connect(":memory:", isolation_level=None)
    with pytest.raises(ValueError, match=r"numbered \[1, 2\]"):
        migrate(conn, SIMULATOR, (Migration(1, "a", "SELECT 1"), Migration(3, "b", "SELECT 1")))
