"""Each table of the simulator's database, and of the client's, has exactly one module
that runs SQL on it.

Reading the source (not a list kept by hand) keeps this true as code moves: a new query
on ``messages`` outside ``messages.py``, or any SQL in an HTTP view, fails here.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

SIMULATOR = Path(__file__).resolve().parents[2] / "simulator"

# table -> the module (path under simulator/) that owns it.
OWNERS = {
    "meta": "meta.py",
    "accounts": "accounts.py",
    "api_keys": "accounts.py",
    "phone_numbers": "accounts.py",
    "verified_numbers": "accounts.py",
    "messages": "messages.py",
    "sender_queues": "messages.py",
    "jobs": "scheduler.py",
    "callback_attempts": "webhooks.py",
    "lost_callbacks": "webhooks.py",
    "rules": "rules.py",
    "services": "services.py",
    "service_senders": "services.py",
    "sticky_senders": "services.py",
    "optouts": "optouts.py",
    "media": "media.py",
    "message_feedback": "feedback.py",
}

# Reads across an owner's boundary that stay in SQL for speed, each with its reason.
READS = {
    # The inbox's "lost callbacks" filter: a subquery, so a page never loads every SID.
    ("messages.py", "lost_callbacks"),
}

CLIENT = Path(__file__).resolve().parents[2] / "client"

# table -> the module (path under client/) that owns it.
CLIENT_OWNERS = {
    "providers": "provider_records.py",
    "campaigns": "message_records.py",
    "messages": "message_records.py",
    "callbacks": "callback_records.py",
    "replies": "callback_records.py",
    "links": "link_records.py",
    "clicks": "link_records.py",
    "events": "event_records.py",
    "campaign_runs": "campaign_queue.py",
    "campaign_sends": "campaign_queue.py",
}

CLIENT_READS = {
    # The Stats tabs' counts: read-only aggregates, one query per card, never a write.
    ("stats_records.py", "messages"),
    ("stats_records.py", "clicks"),
    ("stats_records.py", "replies"),
    # A claim reads the recipient's number and body in the query that picks it (the
    # campaign sender's hot path), not one read per recipient.
    ("campaign_queue.py", "messages"),
}


@dataclass(frozen=True)
class Database:
    """One program's database: its source folder, owners and allowed cross-owner reads."""

    root: Path
    owners: dict[str, str]
    reads: set[tuple[str, str]]
    # The schema (its migrations) and the store-wide operations (reset, meta) may name
    # every table.
    schema_modules: frozenset[str] = frozenset({"migrations.py", "store.py"})


DATABASES = {
    # Each engine's store (SQLite's and PostgreSQL's) runs the store-wide operations.
    "simulator": Database(
        SIMULATOR,
        OWNERS,
        READS,
        frozenset({"migrations.py", "store.py", "pg_store.py"}),
    ),
    "client": Database(CLIENT, CLIENT_OWNERS, CLIENT_READS),
}

SQL_VERB = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE|REPLACE|CREATE|DROP|ALTER)\b")
TABLE_REF = re.compile(r"\b(?:FROM|INTO|UPDATE|JOIN|TABLE)\s+(\w+)", re.IGNORECASE)
# The tables a statement writes: an allowed read never covers these.
WRITE_REF = re.compile(r"\b(?:INTO|UPDATE|DELETE\s+FROM|TABLE)\s+(\w+)", re.IGNORECASE)


def _string_constants(path: Path) -> list[str]:
    """Every string literal of a module; f-strings contribute their literal parts."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            found.append(node.value)
    return found


def _sql_by_module(root: Path) -> dict[str, list[str]]:
    result: dict[str, list[str]] = {}
    for path in sorted(root.rglob("*.py")):
        module = path.relative_to(root).as_posix()
        texts = [t for t in _string_constants(path) if SQL_VERB.search(t)]
        if texts:
            result[module] = texts
    return result


@pytest.mark.parametrize("name", sorted(DATABASES))
def test_every_table_in_the_schema_has_an_owner(name):
    db = DATABASES[name]
    schema = (db.root / "migrations.py").read_text(encoding="utf-8")
    created = set(re.findall(r"CREATE TABLE (?:IF NOT EXISTS )?(\w+)", schema))
    tables = created - set(re.findall(r"DROP TABLE (?:IF EXISTS )?(\w+)", schema))
    assert tables == set(db.owners), tables ^ set(db.owners)


def _strays(db: Database, sql: dict[str, list[str]]) -> list[str]:
    strays = []
    for module, texts in sql.items():
        if module in db.schema_modules:
            continue
        for text in texts:
            written = set(WRITE_REF.findall(text))
            for table in TABLE_REF.findall(text):
                owner = db.owners.get(table)
                allowed = (module, table) in db.reads and table not in written
                if owner is not None and owner != module and not allowed:
                    strays.append(f"{module}: {table} (owned by {owner}): {text.strip()[:60]}")
    return strays


@pytest.mark.parametrize("name", sorted(DATABASES))
def test_sql_on_a_table_runs_only_in_its_owning_module(name):
    db = DATABASES[name]
    assert _strays(db, _sql_by_module(db.root)) == []


def test_a_second_module_writing_a_client_table_fails_the_check():
    # The rule has teeth: campaign_queue.py finishing a campaign by writing the
    # campaigns row itself (as it once did) is a stray.
    db = DATABASES["client"]
    sql = {"campaign_queue.py": ["UPDATE campaigns SET finished_at = ? WHERE id = ?"]}
    assert _strays(db, sql) == [
        "campaign_queue.py: campaigns (owned by message_records.py):"
        " UPDATE campaigns SET finished_at = ? WHERE id = ?"
    ]


def test_http_views_run_no_sql_and_never_reach_the_store():
    for path in sorted((SIMULATOR / "http").glob("*.py")):
        source = path.read_text(encoding="utf-8")
        sql = [t for t in _string_constants(path) if SQL_VERB.search(t) and TABLE_REF.search(t)]
        assert sql == [], path.name
        assert not re.search(r"\.store\b", source), path.name


def test_an_allowed_read_is_not_a_licence_to_write():
    db = DATABASES["client"]
    sql = {"stats_records.py": ["UPDATE messages SET status = 'canceled' WHERE id = ?"]}
    assert len(_strays(db, sql)) == 1


def test_client_views_run_no_sql():
    for path in [CLIENT / "app.py", *sorted((CLIENT / "ui").rglob("*.py"))]:
        sql = [t for t in _string_constants(path) if SQL_VERB.search(t) and TABLE_REF.search(t)]
        assert sql == [], path.name


@pytest.mark.parametrize("name", sorted(DATABASES))
def test_the_checks_see_sql_where_it_is(name):
    # Guards the test itself: the scan finds the owners' SQL, so an empty result above
    # means "no strays", not "nothing scanned".
    db = DATABASES[name]
    scanned = _sql_by_module(db.root)
    for module in set(db.owners.values()):
        assert module in scanned, module
