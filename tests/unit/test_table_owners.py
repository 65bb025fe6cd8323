"""Each table of the simulator's database has exactly one module that runs SQL on it.

Reading the source (not a list kept by hand) keeps this true as code moves: a new query
on ``messages`` outside ``messages.py``, or any SQL in an HTTP view, fails here.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

SIMULATOR = Path(__file__).resolve().parents[2] / "simulator"
# The schema (its migrations) and the store-wide operations (reset, meta) may name every table.
SCHEMA_MODULES = {"migrations.py", "store.py"}

# table -> the module (path under simulator/) that owns it.
OWNERS = {
    "meta": "store.py",
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
}

# Reads across an owner's boundary that stay in SQL for speed, each with its reason.
READS = {
    # The inbox's "lost callbacks" filter: a subquery, so a page never loads every SID.
    ("messages.py", "lost_callbacks"),
}

SQL_VERB = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE|REPLACE|CREATE|DROP|ALTER)\b")
TABLE_REF = re.compile(r"\b(?:FROM|INTO|UPDATE|JOIN|TABLE)\s+(\w+)", re.IGNORECASE)


def _string_constants(path: Path) -> list[str]:
    """Every string literal of a module; f-strings contribute their literal parts."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            found.append(node.value)
    return found


def _sql_by_module() -> dict[str, list[str]]:
    result: dict[str, list[str]] = {}
    for path in sorted(SIMULATOR.rglob("*.py")):
        module = path.relative_to(SIMULATOR).as_posix()
        texts = [t for t in _string_constants(path) if SQL_VERB.search(t)]
        if texts:
            result[module] = texts
    return result


def test_every_table_in_the_schema_has_an_owner():
    schema = (SIMULATOR / "migrations.py").read_text(encoding="utf-8")
    tables = set(re.findall(r"CREATE TABLE IF NOT EXISTS (\w+)", schema))
    assert tables == set(OWNERS), tables ^ set(OWNERS)


def test_sql_on_a_table_runs_only_in_its_owning_module():
    strays = []
    for module, texts in _sql_by_module().items():
        if module in SCHEMA_MODULES:
            continue
        for text in texts:
            for table in TABLE_REF.findall(text):
                owner = OWNERS.get(table)
                if owner is not None and owner != module and (module, table) not in READS:
                    strays.append(f"{module}: {table} (owned by {owner}): {text.strip()[:60]}")
    assert strays == []


def test_http_views_run_no_sql_and_never_reach_the_store():
    for path in sorted((SIMULATOR / "http").glob("*.py")):
        source = path.read_text(encoding="utf-8")
        sql = [t for t in _string_constants(path) if SQL_VERB.search(t) and TABLE_REF.search(t)]
        assert sql == [], path.name
        assert not re.search(r"\.store\b", source), path.name


def test_the_checks_see_sql_where_it_is():
    # Guards the test itself: the scan finds the owners' SQL, so an empty result above
    # means "no strays", not "nothing scanned".
    scanned = _sql_by_module()
    for module in set(OWNERS.values()):
        assert module in scanned, module
