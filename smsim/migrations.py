"""Numbered schema migrations for smsim's SQLite databases, and telling them apart.

smsim keeps two kinds of database: the simulator's (``smsim serve``) and the client's
(``smsim client serve``). Each file carries two numbers in its header:

- ``PRAGMA application_id``: which kind it is (:data:`SIMULATOR` or :data:`CLIENT`), so
  neither program ever writes into the other's file;
- ``PRAGMA user_version``: the number of the last migration applied to it.

A kind's migrations are an ordered tuple of :class:`Migration` numbered 1, 2, 3, ... (the
simulator's live in ``smsim.simulator.migrations``, the client's in
``smsim.client.migrations``). Migration 1 is the schema of the release before versioning;
it creates its tables with ``IF NOT EXISTS``, so it also completes a file that release made.

:func:`migrate` is called once when a store opens. It first looks without writing, then:

- a new or empty file: every migration runs, and both numbers are stamped;
- this kind, older: the missing migrations run, oldest first;
- this kind, current: nothing (two header reads and one catalogue read);
- unversioned, with this kind's tables: the release before versioning made it; upgraded;
- this kind from a newer smsim, the other kind, another program's SQLite file, or not
  SQLite at all: refused with :class:`DatabaseRefused`, the file untouched.

Each migration runs in its own ``BEGIN IMMEDIATE`` transaction together with its
``user_version`` stamp, and re-reads the version inside it, so a crash leaves the file at
the last whole step and two processes opening the same new file do not both apply a step.

**Adding a migration** (e.g. a new table for the client) is one step: append
``Migration(<last number + 1>, "what and why", "<SQL>")`` to that kind's ``MIGRATIONS``
tuple. Never edit or renumber a migration that has been released: databases in the
field have already run it. Use plain ``CREATE TABLE`` / ``ALTER TABLE ... ADD COLUMN``
SQL, or a function taking the connection when rows must be rewritten; do not write
``BEGIN``/``COMMIT`` yourself (the runner does). A new kind of database gets its own
:class:`DatabaseKind` (a fresh ``application_id``) listed in :data:`KINDS`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

__all__ = [
    "CLIENT",
    "SIMULATOR",
    "DatabaseKind",
    "DatabaseRefused",
    "Migration",
    "Upgrade",
    "check_numbering",
    "inspect",
    "latest_version",
    "migrate",
]


@dataclass(frozen=True)
class DatabaseKind:
    """Who a database belongs to: its header stamp and how its unversioned files look."""

    application_id: int
    label: str  # e.g. "the simulator's database (smsim serve)"
    #: Tables the release before versioning always created in a file of this kind; a file
    #: with ``application_id`` 0 that has all of them is recognised as that release's.
    baseline_tables: frozenset[str]


def _stamp(text: str) -> int:
    """Four ASCII letters as the signed 32-bit integer SQLite stores in the header."""
    return int.from_bytes(text.encode("ascii"), "big", signed=True)


SIMULATOR = DatabaseKind(
    application_id=_stamp("SmSs"),
    label="the simulator's database (smsim serve)",
    baseline_tables=frozenset({"accounts", "messages", "jobs", "callback_attempts", "rules"}),
)
CLIENT = DatabaseKind(
    application_id=_stamp("SmSc"),
    label="the client's database (smsim client serve)",
    baseline_tables=frozenset({"providers", "campaigns", "messages", "callbacks", "events"}),
)
KINDS = (SIMULATOR, CLIENT)


@dataclass(frozen=True)
class Migration:
    """One numbered schema step: SQL statements, or a function for data rewrites.

    ``apply`` is the SQLite form; ``postgresql`` the same step on PostgreSQL (see
    :mod:`smsim.pg_migrations`), for the kinds of database PostgreSQL can hold: SQL
    text (several statements, no placeholders) or a function taking a connection whose
    ``execute``/``executemany`` take ``?`` placeholders."""

    version: int
    summary: str
    apply: str | Callable[[sqlite3.Connection], None]
    postgresql: str | Callable[[Any], None] | None = None


@dataclass(frozen=True)
class Found:
    """What a database file says about itself, read without writing anything."""

    application_id: int
    user_version: int
    tables: frozenset[str]


@dataclass(frozen=True)
class Upgrade:
    """What :func:`migrate` did: from which version to which (equal when nothing ran)."""

    from_version: int
    to_version: int
    was_unversioned: bool = False


class DatabaseRefused(Exception):
    """The file is not a database this code may open; it was left untouched.

    ``str()`` is one line starting with the path, e.g. ``x.db is the client's database
    (smsim client serve), not the simulator's; give each program its own file``.
    """

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path} {reason}")
        self.path = path
        self.reason = reason


def latest_version(migrations: Sequence[Migration]) -> int:
    """The version a database has once every migration ran."""
    return migrations[-1].version if migrations else 0


def inspect(conn: sqlite3.Connection, path: str) -> Found:
    """Read the header numbers and table names (no writes; refuses non-SQLite files)."""
    try:
        application_id = int(conn.execute("PRAGMA application_id").fetchone()[0])
        user_version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        rows = conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        ).fetchall()
    except sqlite3.DatabaseError as exc:  # "file is not a database", "disk I/O error", ...
        raise DatabaseRefused(path, f"is not an SQLite database ({exc})") from None
    return Found(application_id, user_version, frozenset(r[0] for r in rows))


def _starting_version(
    found: Found, kind: DatabaseKind, migrations: Sequence[Migration], path: str
) -> int:
    """The version the file is at, or DatabaseRefused when it is not ours to open."""
    latest = latest_version(migrations)
    if found.application_id == kind.application_id:
        if found.user_version > latest:
            raise DatabaseRefused(
                path,
                f"was written by a newer smsim (schema version {found.user_version}; this smsim"
                f" knows up to {latest}): upgrade smsim, or give it another file",
            )
        return found.user_version
    for other in KINDS:
        if found.application_id == other.application_id or (
            found.application_id == 0 and other.baseline_tables <= found.tables
        ):
            if other is not kind:
                _refuse_other_kind(path, kind, other)
            return 0  # the release before versioning made it; migration 1 completes it
    if found.application_id == 0 and found.user_version == 0 and not found.tables:
        return 0  # a new or empty file
    listed = ", ".join(sorted(found.tables)[:5]) or "none"
    raise DatabaseRefused(
        path,
        f"is an SQLite database of another program (application_id {found.application_id},"
        f" tables: {listed}), not {kind.label}; give smsim a new file",
    )


def _refuse_other_kind(path: str, kind: DatabaseKind, other: DatabaseKind) -> NoReturn:
    raise DatabaseRefused(
        path, f"is {other.label}, not {kind.label}; give each program its own file"
    )


def migrate(
    conn: sqlite3.Connection,
    kind: DatabaseKind,
    migrations: Sequence[Migration],
    path: str = ":memory:",
) -> Upgrade:
    """Bring the database on ``conn`` (autocommit mode) up to the last migration.

    Raises :class:`DatabaseRefused`, having written nothing, when the file is of another
    kind, from a newer smsim, or not SQLite.
    """
    check_numbering(migrations)
    found = inspect(conn, path)
    start = _starting_version(found, kind, migrations, path)
    unversioned = found.application_id == 0 and bool(found.tables)
    for step in migrations:
        if step.version > start:
            _apply(conn, kind, step)
    return Upgrade(start, max(start, latest_version(migrations)), unversioned)


def _apply(conn: sqlite3.Connection, kind: DatabaseKind, step: Migration) -> None:
    conn.execute("BEGIN IMMEDIATE")
    try:
        # Another process may have applied this step since we looked.
        if int(conn.execute("PRAGMA user_version").fetchone()[0]) < step.version:
            if callable(step.apply):
                step.apply(conn)
            else:
                for statement in _statements(step.apply):
                    conn.execute(statement)
            conn.execute(f"PRAGMA application_id = {int(kind.application_id)}")
            conn.execute(f"PRAGMA user_version = {int(step.version)}")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def _statements(script: str) -> list[str]:
    """Split SQL text into whole statements (``executescript`` would commit midway)."""
    statements: list[str] = []
    current = ""
    for line in script.splitlines(keepends=True):
        current += line
        if sqlite3.complete_statement(current):
            statements.append(current.strip())
            current = ""
    if current.strip():
        statements.append(current.strip())
    return statements


def check_numbering(migrations: Sequence[Migration]) -> None:
    expected = list(range(1, len(migrations) + 1))
    if [m.version for m in migrations] != expected:
        raise ValueError(f"migrations must be numbered {expected}, one step each")
