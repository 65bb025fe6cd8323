"""PostgreSQL plumbing shared by smsim's stores: placeholders, rows, results, URLs.

smsim's SQL is written once with SQLite's ``?`` placeholders; :func:`translate` turns a
text into psycopg's ``%s`` form once and caches it. Rows behave like ``sqlite3.Row``
(``row[0]``, ``row["column"]``, unpacking), and a statement's result is read in full
before its pooled connection is handed back (:class:`Result`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import psycopg
from psycopg.rows import BaseRowFactory, RowMaker

if TYPE_CHECKING:
    from psycopg._cursor_base import BaseCursor

_TOKENS = re.compile(r"'(?:[^']|'')*'|\?|%")


@lru_cache(maxsize=4096)
def translate(sql: str) -> str:
    """``?`` placeholders to ``%s`` and ``%`` to ``%%`` (psycopg's syntax), leaving a
    ``?`` inside a string literal alone."""

    def one(match: re.Match[str]) -> str:
        token = match.group()
        if token == "?":
            return "%s"
        return token.replace("%", "%%")

    return _TOKENS.sub(one, sql)


class PgRow(tuple[Any, ...]):
    """A row as ``sqlite3.Row`` gives it: by position, by column name, or unpacked."""

    __slots__ = ()
    _index: dict[str, int] = {}
    _names: tuple[str, ...] = ()

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            return tuple.__getitem__(self, self._index[key])
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        return list(self._names)


@lru_cache(maxsize=1024)
def _row_class(names: tuple[str, ...]) -> type[PgRow]:
    """One row class per column list, so a row costs a tuple and no dict of its own."""
    index = {name: i for i, name in reversed(list(enumerate(names)))}  # the first one wins
    return type("PgRow", (PgRow,), {"__slots__": (), "_index": index, "_names": names})


def _row_maker(cursor: BaseCursor[Any, Any]) -> RowMaker[PgRow]:
    """psycopg's hook: how to build the rows of the statement ``cursor`` just ran."""
    if cursor.description is None:
        return PgRow
    return _row_class(tuple(column.name for column in cursor.description))


ROW_FACTORY: BaseRowFactory[PgRow] = _row_maker

Connection = psycopg.Connection[PgRow]


class Result:
    """A statement's rows, read in full (its connection may be back in the pool), and
    how many rows it changed."""

    __slots__ = ("_next", "_rows", "rowcount")

    def __init__(self, rows: list[PgRow], rowcount: int) -> None:
        self._rows = rows
        self._next = 0
        self.rowcount = rowcount

    def fetchone(self) -> PgRow | None:
        if self._next >= len(self._rows):
            return None
        self._next += 1
        return self._rows[self._next - 1]

    def fetchall(self) -> list[PgRow]:
        rest = self._rows[self._next :]
        self._next = len(self._rows)
        return rest

    def __iter__(self) -> Iterator[PgRow]:
        return iter(self.fetchall())


def run(conn: Connection, sql: str, params: Sequence[Any] = ()) -> Result:
    """One statement with ``?`` placeholders on ``conn``, its rows read in full."""
    with conn.cursor() as cur:
        cur.execute(translate(sql), params)
        rows = cur.fetchall() if cur.description is not None else []
        return Result(rows, cur.rowcount)


class Bound:
    """Statements with ``?`` placeholders on one connection (a transaction's handle)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def execute(self, sql: str, parameters: Sequence[Any] = (), /) -> Result:
        return run(self.conn, sql, parameters)

    def executemany(self, sql: str, parameters: Iterable[Sequence[Any]], /) -> None:
        with self.conn.cursor() as cur:
            cur.executemany(translate(sql), parameters)
