"""The ``meta`` table's owner: the simulator's small named values (whether the accounts
were seeded, the virtual clock's time, where each Messaging Service's round-robin stands,
the positions of the numbers a config file declared).

One SQL text serves both engines (an upsert with ``ON CONFLICT``); a store's ``reset``
empties the table with every other one.
"""

from __future__ import annotations

from smsim.simulator.store_api import Store


def get(store: Store, key: str) -> str | None:
    """The value kept under ``key``, or None."""
    value = store.scalar("SELECT value FROM meta WHERE key = ?", (key,))
    return None if value is None else str(value)


def put(store: Store, key: str, value: str) -> None:
    """Keep ``value`` under ``key`` (in the caller's transaction, if any)."""
    store.execute(
        "INSERT INTO meta (key, value) VALUES (?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (key, value),
    )


def count(store: Store, key: str) -> int:
    """Add one to the counter kept under ``key`` (1 when new) and return it, in one
    atomic upsert: two processes on one PostgreSQL never get the same number."""
    return int(
        store.scalar(
            "INSERT INTO meta (key, value) VALUES (?, '1') ON CONFLICT (key)"
            " DO UPDATE SET value = CAST(CAST(meta.value AS INTEGER) + 1 AS TEXT)"
            " RETURNING value",
            (key,),
        )
    )


def delete(store: Store, key: str) -> None:
    store.execute("DELETE FROM meta WHERE key = ?", (key,))
