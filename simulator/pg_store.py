"""PostgreSQL persistence for the simulator (``smsim serve --db postgresql://...``).

The same interface as the SQLite store (:mod:`smsim.simulator.store_api`), so the
table-owning modules run unchanged on either engine; where the dialects differ they pick
their SQL by :attr:`PostgresStore.dialect`.

- Connections come from a ``psycopg_pool`` pool opened once: a request never pays for a
  connection's setup (a TCP handshake and a backend fork, several milliseconds).
- Outside a transaction a statement runs in autocommit on whichever pooled connection is
  free, so HTTP threads and delivery threads write in parallel.
- :meth:`PostgresStore.transaction` binds one pooled connection to the calling thread
  until the outermost transaction ends; statements of that thread inside it (through the
  yielded handle or the store's own helpers) run on it, and nested calls join it.
- SQL is written with ``?`` placeholders, as for SQLite; each distinct text is translated
  once to psycopg's ``%s`` (literal ``%`` doubled) and the translation is cached.
- Rows support ``row[0]``, ``row["column"]`` and unpacking, like ``sqlite3.Row``.

Opening runs the numbered migrations (:mod:`smsim.pg_migrations`); a database of another
program, or from a newer smsim, raises :class:`~smsim.migrations.DatabaseRefused` untouched.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Literal, cast

import psycopg
from psycopg.conninfo import conninfo_to_dict
from psycopg_pool import ConnectionPool, PoolTimeout

from smsim.db_url import safe_url
from smsim.migrations import SIMULATOR, DatabaseRefused
from smsim.pg import ROW_FACTORY, Bound, Connection, PgRow, Result, run
from smsim.pg_migrations import migrate
from smsim.simulator.errors import TwilioError
from smsim.simulator.migrations import MIGRATIONS
from smsim.simulator.store_api import Row

# Connections a process keeps: its HTTP threads, webhook workers and the scheduler share
# them. A thread that finds all busy waits up to POOL_TIMEOUT seconds for one.
POOL_MIN = 1
POOL_MAX = 16
POOL_TIMEOUT = 30.0
CONNECT_TIMEOUT_SECONDS = 10


class UnstorableText(TwilioError):
    """Text PostgreSQL cannot hold: a NUL character (U+0000), which SQLite stores and
    PostgreSQL's text type refuses. A 400 naming it (Twilio's envelope, 20001), never
    a 500; nothing is written (docs/databases.md, PostgreSQL)."""

    def __init__(self) -> None:
        super().__init__(
            20001,
            400,
            "A parameter contains a NUL character (U+0000), which smsim's PostgreSQL"
            " database cannot store or search for",
        )


def _nul_refused(exc: psycopg.DataError) -> bool:
    """psycopg refuses a NUL in a text parameter before sending anything."""
    return "NUL (0x00)" in str(exc)


class _Bound(Bound):
    """A transaction's handle, refusing NUL characters as :class:`UnstorableText`."""

    def execute(self, sql: str, parameters: Sequence[Any] = (), /) -> Result:
        try:
            return run(self.conn, sql, parameters)
        except psycopg.DataError as exc:
            if _nul_refused(exc):
                raise UnstorableText() from None
            raise

    def executemany(self, sql: str, parameters: Iterable[Sequence[Any]], /) -> None:
        try:
            super().executemany(sql, parameters)
        except psycopg.DataError as exc:
            if _nul_refused(exc):
                raise UnstorableText() from None
            raise


class _Binding(threading.local):
    """The connection of the transaction the current thread is in, if any."""

    bound: _Bound | None = None


class PostgresStore:
    """Thread-safe access to the simulator's tables in a PostgreSQL database."""

    dialect: Literal["postgresql"] = "postgresql"
    path: str | None = None  # no file: nothing to lock or place beside it

    def __init__(self, url: str) -> None:
        self.url = url
        self.location = safe_url(url)
        migrate(url, SIMULATOR, MIGRATIONS, CONNECT_TIMEOUT_SECONDS)
        self._pool: ConnectionPool[Connection] = ConnectionPool(
            url,
            min_size=POOL_MIN,
            max_size=POOL_MAX,
            timeout=POOL_TIMEOUT,
            kwargs={
                "autocommit": True,
                "row_factory": ROW_FACTORY,
                "connect_timeout": CONNECT_TIMEOUT_SECONDS,
                # seen in pg_stat_activity, unless the URL names the application itself
                "application_name": conninfo_to_dict(url).get("application_name", "smsim"),
            },
            open=False,
            name="smsim",
        )
        try:
            self._pool.open(wait=True, timeout=CONNECT_TIMEOUT_SECONDS)
        except PoolTimeout:
            self._pool.close()
            raise DatabaseRefused(self.location, "cannot be reached (no connection)") from None
        self._local = _Binding()
        self._counter_lock = threading.Lock()
        # Moves whenever cached rows may be stale (a reset, a rolled back transaction, an
        # account changed), so caches know to start over.
        self._generation = 0
        # Moves at every commit of this process: what change-feed waiters poll.
        self._commits = 0

    # -- transactions -------------------------------------------------------------------

    @property
    def in_transaction(self) -> bool:
        return self._local.bound is not None

    @contextmanager
    def transaction(self) -> Iterator[_Bound]:
        """One atomic unit of work on one pooled connection; nested calls join it."""
        local = self._local
        if local.bound is not None:
            yield local.bound
            return
        conn = self._pool.getconn()
        committed = False
        try:
            conn.execute("BEGIN")
            local.bound = _Bound(conn)
            try:
                yield local.bound
            except BaseException:
                local.bound = None
                conn.execute("ROLLBACK")
                raise
            local.bound = None
            conn.execute("COMMIT")
            committed = True
        finally:
            local.bound = None
            self._pool.putconn(conn)  # the pool discards a broken connection
            # rows this process saw inside a transaction that did not commit are stale
            self._moved(generation=not committed)

    def _moved(self, generation: bool = False) -> None:
        with self._counter_lock:
            self._commits += 1
            if generation:
                self._generation += 1

    # -- cache generation ---------------------------------------------------------------

    @property
    def generation(self) -> int:
        """A number that moves whenever rows a cache holds may have changed or vanished
        (in this process)."""
        return self._generation

    def bump_generation(self) -> None:
        with self._counter_lock:
            self._generation += 1

    def data_version(self) -> int:
        """Moves whenever this process commits: what change-feed waiters poll."""
        return self._commits

    # -- plain helpers --------------------------------------------------------------------

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Result:
        """Run one statement (in the calling thread's transaction, if any)."""
        bound = self._local.bound
        if bound is not None:
            return bound.execute(sql, params)
        with self._pool.connection() as conn:
            result = _Bound(conn).execute(sql, params)
        if sql.lstrip()[:6].upper() != "SELECT":
            self._moved()
        return result

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        with self.transaction() as tx:
            tx.executemany(sql, rows)

    def one(self, sql: str, params: Sequence[Any] = ()) -> PgRow | None:
        return self.execute(sql, params).fetchone()

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return cast("list[Row]", self.execute(sql, params).fetchall())

    def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        row = self.one(sql, params)
        return None if row is None else row[0]

    def reset(self) -> None:
        """Forget everything (the control API's reset), keeping the schema and its stamp.

        Identities continue rather than restart, as SQLite's ``AUTOINCREMENT`` keeps its
        high-water mark across a reset: a message id, and so a ``PageToken``, is never
        given twice, and the created-messages counter never moves back."""
        with self.transaction() as tx:
            names = [
                str(row[0])
                for row in tx.execute(
                    "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
                    " AND tablename NOT IN ('meta', 'smsim_schema') ORDER BY tablename"
                )
            ]
            if names:
                tx.execute(f"TRUNCATE {', '.join(_quoted(n) for n in names)} CONTINUE IDENTITY")
            tx.execute("DELETE FROM meta WHERE key <> 'generation'")
        self.bump_generation()

    def close(self) -> None:
        self._pool.close()


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
