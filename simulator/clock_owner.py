"""Which instances may share a PostgreSQL database, as far as time goes.

The virtual clock lives in one process' memory (it moves only when that process is told
to), so a database on a virtual clock has one instance; instances on the real clock may be
any number. Each process of an instance holds a session advisory lock on its own
connection for as long as it runs: shared on the real clock, exclusive on the virtual
one. So a virtual-clock instance is refused while any other process uses the database,
and any other instance is refused while one on a virtual clock does; PostgreSQL drops a
session's locks when its process dies, ``kill -9`` included, so nothing stays taken.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from smsim.migrations import DatabaseRefused

# One key in PostgreSQL's advisory-lock space: "smsim" as a number.
CLOCK_LOCK_KEY = int.from_bytes(b"smsim", "big")


class ClockOwner:
    """Holds this process' share of the database's time (release with :meth:`close`)."""

    def __init__(self, connect: Callable[[], Any], virtual: bool, shown: str) -> None:
        self._conn = connect()
        take = "pg_try_advisory_lock" if virtual else "pg_try_advisory_lock_shared"
        try:
            taken = self._conn.execute(f"SELECT {take}(%s)", (CLOCK_LOCK_KEY,)).fetchone()[0]
        except BaseException:
            self._conn.close()
            raise
        if not taken:
            self._conn.close()
            raise DatabaseRefused(shown, _refusal(virtual))

    @classmethod
    def for_url(cls, url: str, virtual: bool, shown: str) -> ClockOwner:
        import psycopg  # only on PostgreSQL

        return cls(lambda: psycopg.connect(url, autocommit=True), virtual, shown)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._conn.close()


def _refusal(virtual: bool) -> str:
    if virtual:
        return (
            "is in use by another smsim instance; the virtual clock runs one instance"
            " (its time lives in that process): stop the others, or use --clock real"
        )
    return (
        "is in use by an smsim instance on the virtual clock, which runs alone (its time"
        " lives in that process): stop it first, or give this instance another database"
    )
