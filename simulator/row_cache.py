"""A cache of rows the hot paths read on every message: the account and API-key rows of
the Basic-auth check every API request makes (and the auth token every webhook is signed
with), and the Messaging Service a sender number belongs to (the opt-out check of every
create).

Without it each request read them from SQLite, under the store's one lock, before doing
anything else. Secrets in it are still compared in constant time, per request, by
:mod:`smsim.simulator.accounts`.

Invalidation is conservative: the owning module calls :meth:`RowCache.invalidate` after
any write to the rows (an account, its keys, its status; a number joining or leaving a
service), which drops everything, and any change of the store's generation (a reset, a
rolled-back transaction) does the same. On PostgreSQL another process' write moves the
generation too: a trigger notifies ``smsim_rows`` when it commits and every process'
listener bumps its store's generation (:mod:`smsim.simulator.coordination`), so a suspend
or a new token in one instance holds in every other within the notification's delivery
(10 s at worst, docs/scaling.md). A reader that missed, read the row and then sees
the cache's version moved while it was reading does not keep what it read, so a suspend or
a new token takes effect at the next request.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

from smsim.simulator.store_api import Store

V = TypeVar("V")


class RowCache(Generic[V]):
    """Rows by key, valid until the next change.

    ``keep_missing`` also keeps "no such row" answers (for look-ups whose usual answer is
    none); ``max_rows`` bounds the memory when keys come from requests: past it, the
    cache starts over.
    """

    def __init__(self, store: Store, *, keep_missing: bool = False, max_rows: int = 10_000) -> None:
        self._store = store
        self._keep_missing = keep_missing
        self._max_rows = max_rows
        self._rows: dict[str, V | None] = {}
        self._version = 0
        self._store_generation = store.generation
        self._lock = threading.Lock()

    def get(self, key: str, load: Callable[[str], V | None]) -> V | None:
        """The cached row of ``key``, else ``load(key)`` (kept unless anything changed
        while it was read)."""
        with self._lock:
            self._drop_if_store_changed()
            if key in self._rows:
                return self._rows[key]
            version = self._version
            generation = self._store_generation
        row = load(key)
        if row is not None or self._keep_missing:
            with self._lock:
                self._drop_if_store_changed()
                if version == self._version and generation == self._store_generation:
                    if len(self._rows) >= self._max_rows:
                        self._rows.clear()
                    self._rows[key] = row
        return row

    def invalidate(self) -> None:
        """Forget every row: call after the write, so no reader keeps the old one."""
        with self._lock:
            self._version += 1
            self._rows.clear()
        self._store.bump_generation()  # this process' other caches (others: notified)

    def _drop_if_store_changed(self) -> None:
        if self._store_generation != self._store.generation:
            self._store_generation = self._store.generation
            self._version += 1
            self._rows.clear()
