"""Numbered schema migrations on PostgreSQL: the same steps as SQLite's, told apart the same way.

Each :class:`~smsim.migrations.Migration` carries its PostgreSQL form beside its SQLite
one (``postgresql=``), so both engines' schemas have the same version numbers. A
PostgreSQL database has no file header; smsim stamps it with a one-row table,
``smsim_schema (application_id, version)``: which kind of smsim database it is (the
same numbers as SQLite's ``application_id``) and the last step applied.

:func:`migrate` runs when a store opens. Each step is one transaction that first takes a
transaction-level advisory lock (so concurrent openers queue, and a second instance
starting beside the first does not apply a step twice), then reads the stamp, then
either stops, refuses, or applies the next step with its new stamp. So:

- an empty database (no tables in the current schema): every step runs;
- this kind, older: the missing steps run, oldest first;
- this kind, current: one short transaction, nothing written;
- this kind from a newer smsim, the other kind, or a database with tables and no smsim
  stamp (another program's): refused with :class:`~smsim.migrations.DatabaseRefused`,
  nothing written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import psycopg

from smsim.db_url import one_line, safe_url
from smsim.migrations import (
    KINDS,
    DatabaseKind,
    DatabaseRefused,
    Migration,
    Upgrade,
    check_numbering,
    latest_version,
)
from smsim.pg import ROW_FACTORY, Bound, Connection

STAMP_TABLE = "smsim_schema"


@dataclass(frozen=True)
class Found:
    """What a database says about itself, read without writing anything."""

    application_id: int | None  # None: no stamp
    version: int
    tables: frozenset[str]


def connect(url: str, timeout: int) -> Connection:
    """An autocommit connection to ``url``, or DatabaseRefused naming why not (never the
    password)."""
    try:
        return psycopg.connect(
            url, autocommit=True, row_factory=ROW_FACTORY, connect_timeout=timeout
        )
    except psycopg.Error as exc:
        reason = f"cannot be reached ({one_line(exc)})"
        raise DatabaseRefused(safe_url(url), reason) from None


def inspect(conn: Connection) -> Found:
    """The stamp and the table names of the connection's current schema."""
    tables = frozenset(
        str(row[0])
        for row in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
        ).fetchall()
    )
    if STAMP_TABLE not in tables:
        return Found(None, 0, tables)
    row = conn.execute(f"SELECT application_id, version FROM {STAMP_TABLE}").fetchone()
    if row is None:
        return Found(None, 0, tables)
    return Found(int(row[0]), int(row[1]), tables)


def starting_version(
    found: Found, kind: DatabaseKind, migrations: Sequence[Migration], where: str
) -> int:
    """The version the database is at, or DatabaseRefused when it is not ours to open."""
    latest = latest_version(migrations)
    if found.application_id == kind.application_id:
        if found.version > latest:
            raise DatabaseRefused(
                where,
                f"was written by a newer smsim (schema version {found.version}; this smsim"
                f" knows up to {latest}): upgrade smsim, or give it another database",
            )
        return found.version
    for other in KINDS:
        if found.application_id == other.application_id:
            raise DatabaseRefused(
                where, f"is {other.label}, not {kind.label}; give each program its own database"
            )
    if not found.tables:
        return 0  # a new or empty database
    listed = ", ".join(sorted(found.tables)[:5])
    raise DatabaseRefused(
        where,
        f"holds tables of another program ({listed}) and no smsim schema stamp, so it is"
        f" not {kind.label}; give smsim a database of its own (CREATE DATABASE ...)",
    )


def migrate(
    url: str, kind: DatabaseKind, migrations: Sequence[Migration], timeout: int = 10
) -> Upgrade:
    """Bring the database at ``url`` up to the last migration, one transaction per step.

    Raises :class:`DatabaseRefused`, having written nothing, when the database cannot be
    reached, is another program's or kind's, or is from a newer smsim.
    """
    check_numbering(migrations)
    where = safe_url(url)
    latest = latest_version(migrations)
    with connect(url, timeout) as conn:
        start = version = _step(conn, kind, migrations, where)
        while version < latest:
            version = _step(conn, kind, migrations, where)
    return Upgrade(start, max(start, latest))


def _step(conn: Connection, kind: DatabaseKind, migrations: Sequence[Migration], where: str) -> int:
    """Under the lock: read the stamp and apply the next step, if any. Returns the
    version found before this step."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (kind.application_id,))
        found = starting_version(inspect(conn), kind, migrations, where)
        pending = [m for m in migrations if m.version > found]
        if not pending:
            return found
        step = pending[0]
        _apply(conn, step)
        if found == 0:
            conn.execute(
                f"CREATE TABLE IF NOT EXISTS {STAMP_TABLE} ("
                " application_id INTEGER NOT NULL, version INTEGER NOT NULL)"
            )
            conn.execute(
                f"INSERT INTO {STAMP_TABLE} (application_id, version) VALUES (%s, %s)",
                (kind.application_id, step.version),
            )
        else:
            conn.execute(f"UPDATE {STAMP_TABLE} SET version = %s", (step.version,))
        return found


def _apply(conn: Connection, step: Migration) -> None:
    if step.postgresql is None:
        raise ValueError(f"migration {step.version} has no PostgreSQL form")
    if callable(step.postgresql):
        step.postgresql(Bound(conn))
    else:
        conn.execute(step.postgresql)  # several statements: no parameters, no placeholders
