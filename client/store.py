"""SQLite persistence for the integration: providers, campaigns, messages, callbacks,
replies, short links, clicks and events.

The connection, its pragmas, migrations, transactions and query helpers are the common
SQLite store's (:mod:`smsim.sqlite_store`); this module adds the client's kind of
database and migrations (``smsim.client.migrations``), the owners of its tables,
:meth:`Store.tally` and :meth:`Store.clear`.

Commits wait for the disk at checkpoints (:attr:`~smsim.sqlite_store.Durability.SAFE`,
``synchronous=NORMAL``), unlike the simulator's: these rows are the user's record of
what their campaigns did, kept and compared across runs, and a power cut must not cost
the file. A commit itself still does not ``fsync``.

Idempotency lives in unique keys, not in application checks: a status callback is unique
by (MessageSid, status), a reply by its MessageSid, so a repeated webhook can never
count twice even under concurrent delivery.
Every multi-step change (callback + status + event) happens in one transaction.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from smsim.client import campaign_queue
from smsim.client.callback_records import CallbackRecords
from smsim.client.event_records import EventRecords
from smsim.client.link_records import LinkRecords
from smsim.client.message_records import MessageRecords
from smsim.client.migrations import MIGRATIONS
from smsim.client.provider_records import ProviderRecords
from smsim.client.records import (
    EVENT_CLICKED,
    EVENT_DELIVERED,
    EVENT_FAILED,
    EVENT_NAMES,
    EVENT_REPLIED,
    EVENT_SENT,
    FAILED_STATUSES,
    STATUS_RANK,
    TERMINAL_RANK,
    ConflictError,
    MessageRow,
    NotFoundError,
    RowTally,
    SendOutcome,
)
from smsim.client.stats_records import StatsRecords
from smsim.migrations import CLIENT
from smsim.sqlite_store import Durability, SQLiteStore

__all__ = [
    "EVENT_CLICKED",
    "EVENT_DELIVERED",
    "EVENT_FAILED",
    "EVENT_NAMES",
    "EVENT_REPLIED",
    "EVENT_SENT",
    "FAILED_STATUSES",
    "STATUS_RANK",
    "TERMINAL_RANK",
    "ConflictError",
    "MessageRow",
    "NotFoundError",
    "SendOutcome",
    "Store",
]


class Store(SQLiteStore):
    """The integration's database. Thread-safe; open with a path or ``":memory:"``.

    The common SQLite store holds the one connection (its lock, transactions, the cache
    generation); each group of tables has one owning module, a plain class over it: providers
    (``provider_records``), campaigns and messages (``message_records``), callbacks and
    replies (``callback_records``), links and clicks (``link_records``), events
    (``event_records``), and the Stats reads (``stats_records``). The owners' methods are
    the store's own API, one name each, so callers keep ``store.create_provider(...)``;
    which module may run SQL on which table is checked by tests/unit/test_table_owners.py.
    """

    def __init__(self, path: str = ":memory:", clock: Callable[[], float] = time.time) -> None:
        super().__init__(path, CLIENT, MIGRATIONS, Durability.SAFE)
        self.clock = clock

        events = EventRecords(self)
        providers = ProviderRecords(self)
        # the campaign sender's queue writes campaigns and messages through this owner
        self.message_records = messages = MessageRecords(self, events)
        callbacks = CallbackRecords(self, messages, events)
        links = LinkRecords(self, messages, events)
        stats = StatsRecords(self)

        self.provider_index = providers.provider_index
        self.list_providers = providers.list_providers
        self.get_provider = providers.get_provider
        self.find_provider = providers.find_provider
        self.create_provider = providers.create_provider
        self.update_provider = providers.update_provider
        self.delete_provider = providers.delete_provider

        self.create_campaign = messages.create_campaign
        self.set_message_bodies = messages.set_message_bodies
        self.create_test_message = messages.create_test_message
        self.targeted_since = messages.targeted_since
        self.get_campaign = messages.get_campaign
        self.list_campaigns = messages.list_campaigns
        self.campaign_messages = messages.campaign_messages
        self.get_message = messages.get_message
        self.message_by_sid = messages.message_by_sid
        self.last_message_to = messages.last_message_to
        self.record_send_outcomes = messages.record_send_outcomes

        self.record_status_callback = callbacks.record_status_callback
        self.record_reply = callbacks.record_reply
        self.unattributed_callbacks = callbacks.unattributed_callbacks
        self.unattributed_outcomes = callbacks.unattributed_outcomes
        self.callbacks_since = callbacks.callbacks_since
        self.replies_since = callbacks.replies_since

        self.create_links = links.create_links
        self.record_click = links.record_click

        self.events_since = events.events_since
        self.events = events.events
        self.event_counts = events.event_counts

        self.message_counts = stats.message_counts
        self.error_counts = stats.error_counts
        self.click_counts = stats.click_counts
        self.reply_counts = stats.reply_counts

    def tally(self, table: str, columns: str, after_id: int, most: int) -> RowTally:
        """Rows of ``table`` (an AUTOINCREMENT id, rows only appended) with ``after_id <
        id <= after_id + most``, grouped by ``columns``; for the owner of ``table``. A
        row is visible only once its transaction committed and ids never repeat, so a
        caller that passes the ``last`` it got counts every row once."""
        # two subqueries: SQLite reads MIN or MAX alone from the end of the index, but
        # both in one SELECT from a scan of every row
        bounds = self.all(f"SELECT (SELECT MIN(id) FROM {table}), (SELECT MAX(id) FROM {table})")[0]
        oldest = None if bounds[0] is None else int(bounds[0])
        last = min(int(bounds[1] or 0), after_id + most)
        if last <= after_id:
            return RowTally(after_id, oldest, {})
        rows = self.all(
            f"SELECT {columns}, COUNT(*) FROM {table} WHERE id > ? AND id <= ? GROUP BY {columns}",
            (after_id, last),
        )
        return RowTally(last, oldest, {tuple(r)[:-1]: int(tuple(r)[-1]) for r in rows})

    def clear(self) -> None:
        """Forget everything: providers, campaigns, messages, callbacks, events (tests)."""
        with self.transaction() as conn:
            for table in (
                "providers",
                "campaigns",
                "messages",
                "callbacks",
                "replies",
                "links",
                "clicks",
                "events",
            ):
                conn.execute(f"DELETE FROM {table}")
            campaign_queue.clear(conn)
            self.bump_generation()
