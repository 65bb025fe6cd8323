"""What the simulator's modules may ask of a store, whichever engine keeps it.

Two engines implement it: SQLite (:class:`smsim.simulator.store.Store`, one process) and
PostgreSQL (:class:`smsim.simulator.pg_store.PostgresStore`, any number of processes and
machines). The table-owning modules write their SQL with ``?`` placeholders; where the
two dialects differ they hold both texts and pick one by :attr:`Store.dialect`. Nothing
above those modules knows which engine runs.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Any, Literal, Protocol

Dialect = Literal["sqlite", "postgresql"]


class Row(Protocol):
    """One result row: ``row[0]``, ``row["column"]`` and unpacking, as ``sqlite3.Row``."""

    def __getitem__(self, key: int | str, /) -> Any: ...

    def __iter__(self) -> Iterator[Any]: ...

    def __len__(self) -> int: ...

    def keys(self) -> list[str]: ...


class Cursor(Protocol):
    """What a statement gives back: its rows and how many rows it changed."""

    @property
    def rowcount(self) -> int: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def __iter__(self) -> Iterator[Any]: ...


class Connection(Protocol):
    """The handle :meth:`Store.transaction` yields: statements inside that transaction."""

    def execute(self, sql: str, parameters: Sequence[Any] = ..., /) -> Any: ...

    def executemany(self, sql: str, parameters: Iterable[Sequence[Any]], /) -> Any: ...


class Store(Protocol):
    """The simulator's database, as every table-owning module uses it."""

    @property
    def dialect(self) -> Dialect: ...

    @property
    def path(self) -> str | None: ...

    @property
    def location(self) -> str:
        """Where the data lives, fit to print: a file, ``:memory:``, or a URL without
        its password."""
        ...

    def transaction(self) -> AbstractContextManager[Connection]: ...

    @property
    def in_transaction(self) -> bool:
        """Whether the calling thread is inside :meth:`transaction` (a new one would join)."""
        ...

    @property
    def generation(self) -> int: ...

    def bump_generation(self) -> None: ...

    def data_version(self) -> int: ...

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor: ...

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None: ...

    def one(self, sql: str, params: Sequence[Any] = ()) -> Row | None: ...

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]: ...

    def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any: ...

    def reset(self) -> None: ...

    def close(self) -> None: ...
