"""Migrations on PostgreSQL: the same numbered steps as SQLite's, each in its own
transaction; a database at an older step gets the rest, a newer smsim's or another
program's is refused untouched, and `smsim serve` says so in one line (exit 2)."""

from __future__ import annotations

import json
import threading
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from startup_helpers import one_line_error, run_smsim

from smsim.migrations import SIMULATOR, DatabaseRefused, latest_version
from smsim.pg_migrations import migrate
from smsim.simulator.migrations import MIGRATIONS
from smsim.simulator.store import open_store

LATEST = latest_version(MIGRATIONS)


def _query(url: str, sql: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(url, autocommit=True) as conn:
        cursor = conn.execute(sql)
        return cursor.fetchall() if cursor.description else []


def _tables(url: str) -> set[str]:
    rows = _query(url, "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
    return {str(r[0]) for r in rows}


def _stamp(url: str) -> list[tuple[Any, ...]]:
    return _query(url, "SELECT application_id, version FROM smsim_schema")


def _columns(url: str, table: str) -> dict[str, str]:
    rows = _query(
        url,
        "SELECT column_name, data_type FROM information_schema.columns"
        f" WHERE table_name = '{table}'",
    )
    return {str(name): str(kind) for name, kind in rows}


def test_every_step_has_a_postgresql_form() -> None:
    assert [m.version for m in MIGRATIONS if m.postgresql is None] == []


def test_an_empty_database_gets_every_step_and_the_stamp(postgres_url: str) -> None:
    upgrade = migrate(postgres_url, SIMULATOR, MIGRATIONS)
    assert (upgrade.from_version, upgrade.to_version) == (0, LATEST)
    assert _stamp(postgres_url) == [(SIMULATOR.application_id, LATEST)]
    assert {"messages", "jobs", "media", "message_feedback", "lost_callbacks"} <= _tables(
        postgres_url
    )
    jobs = _columns(postgres_url, "jobs")
    assert jobs["claimed_by"] == "text" and jobs["lease_until"] == "double precision"
    assert _columns(postgres_url, "messages")["date_created"] == "double precision"
    # a current database: nothing to do, nothing written
    again = migrate(postgres_url, SIMULATOR, MIGRATIONS)
    assert (again.from_version, again.to_version) == (LATEST, LATEST)


def test_a_database_at_an_older_step_gets_the_rest_with_its_rows(postgres_url: str) -> None:
    migrate(postgres_url, SIMULATOR, MIGRATIONS[:5])  # as smsim left it before Media
    assert _stamp(postgres_url) == [(SIMULATOR.application_id, 5)]
    extra = json.dumps({"media_urls": ["https://example.com/a.png", "https://example.com/b"]})
    _query(
        postgres_url,
        "INSERT INTO messages (sid, account_sid, direction, to_number, body, status,"
        " num_segments, num_media, date_created, date_updated, extra) VALUES ('SM1', 'AC1',"
        f" 'outbound-api', '+1555', 'hi', 'delivered', 1, 2, 7.0, 7.0, '{extra}')"
        " RETURNING id",
    )
    store = open_store(postgres_url)
    try:
        media = store.all("SELECT parent_sid, content_type, url FROM media ORDER BY id")
        assert [tuple(m) for m in media] == [
            ("SM1", "image/png", "https://example.com/a.png"),
            ("SM1", "application/octet-stream", "https://example.com/b"),
        ]
    finally:
        store.close()
    assert _stamp(postgres_url) == [(SIMULATOR.application_id, LATEST)]
    assert "lease_until" in _columns(postgres_url, "jobs")


def test_a_database_from_a_newer_smsim_is_refused_untouched(postgres_url: str) -> None:
    migrate(postgres_url, SIMULATOR, MIGRATIONS)
    _query(postgres_url, f"UPDATE smsim_schema SET version = {LATEST + 1}")
    tables = _tables(postgres_url)
    with pytest.raises(DatabaseRefused, match="newer smsim"):
        open_store(postgres_url)
    assert _stamp(postgres_url) == [(SIMULATOR.application_id, LATEST + 1)]
    assert _tables(postgres_url) == tables


def test_a_database_of_another_program_is_refused_untouched(postgres_url: str) -> None:
    _query(postgres_url, "CREATE TABLE orders (id INTEGER PRIMARY KEY)")
    with pytest.raises(DatabaseRefused, match="another program") as refused:
        open_store(postgres_url)
    assert "orders" in str(refused.value)
    assert _tables(postgres_url) == {"orders"}


def test_the_clients_kind_is_refused(postgres_url: str) -> None:
    from smsim.migrations import CLIENT

    _query(postgres_url, "CREATE TABLE smsim_schema (application_id INTEGER, version INTEGER)")
    _query(postgres_url, f"INSERT INTO smsim_schema VALUES ({CLIENT.application_id}, 1)")
    with pytest.raises(DatabaseRefused, match="client's database"):
        open_store(postgres_url)
    assert _tables(postgres_url) == {"smsim_schema"}


def test_two_openers_of_a_new_database_apply_each_step_once(postgres_url: str) -> None:
    results: list[Any] = []

    def open_one() -> None:
        try:
            results.append(migrate(postgres_url, SIMULATOR, MIGRATIONS))
        except Exception as exc:  # pragma: no cover - the assertion below shows it
            results.append(exc)

    threads = [threading.Thread(target=open_one) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert all(not isinstance(r, Exception) for r in results), results
    assert sorted(r.from_version for r in results)[0] == 0  # one of them did the work
    assert _stamp(postgres_url) == [(SIMULATOR.application_id, LATEST)]


# -- smsim serve, as a user starts it ------------------------------------------------------


def test_serve_refuses_another_programs_database_in_one_line(postgres_url: str, tmp_path) -> None:
    _query(postgres_url, "CREATE TABLE orders (id INTEGER PRIMARY KEY)")
    parts = urlsplit(postgres_url)  # trust authentication ignores the password
    login = f"{parts.username}:hunter2@{parts.hostname}:{parts.port}"
    secret = urlunsplit((parts.scheme, login, parts.path, parts.query, ""))
    result = run_smsim("serve", "--port", "0", "--db", secret, cwd=tmp_path)
    line = one_line_error(result)
    assert "another program" in line and "orders" in line
    assert "hunter2" not in result.stderr + result.stdout
    assert _tables(postgres_url) == {"orders"}


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("postgresql://smsim:hunter2@127.0.0.1:notaport/db", "port that is not a number"),
        ("postgresql://smsim:hunter2@127.0.0.1:1/db", "cannot be reached"),
        ("postgresql://smsim:hunter2@127.0.0.1:1/db?sslmode=sometimes", "sslmode"),
    ],
    ids=["malformed", "unreachable", "bad-option"],
)
def test_serve_names_a_bad_url_without_its_password(url: str, said: str, tmp_path) -> None:
    result = run_smsim("serve", "--port", "0", "--db", url, cwd=tmp_path)
    line = one_line_error(result)
    assert said in line
    assert "hunter2" not in result.stderr + result.stdout


def test_serve_refuses_memory_with_a_postgresql_url(tmp_path) -> None:
    config = tmp_path / "smsim.yaml"
    config.write_text("db: postgresql://smsim:hunter2@127.0.0.1:1/db\n", encoding="utf-8")
    result = run_smsim("serve", "--port", "0", "--config", str(config), "--memory", cwd=tmp_path)
    assert "memory" in one_line_error(result)
    assert "hunter2" not in result.stderr + result.stdout
