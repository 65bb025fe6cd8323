"""Prometheus metrics of the integration (``GET /metrics``), read from its store when scraped.

Nothing is counted on the request path: the receiver (the fast path in front of Flask
and the Flask view alike) and the campaign sender only write the rows they always wrote,
and a scrape asks the tables' owners for the rows added since the last scrape. So the
figures are exact whichever path did the work, and a scrape costs what was added since
the last one, not what the database holds (a pass over a million messages took seconds,
holding the store's lock the receiver needs). The registry is the app's own, never
prometheus_client's global one.

- ``smsim_client_campaign_messages_total{campaign_id,outcome}``: per campaign, recipients
  ``targeted`` (messages created), and the integration's events: ``sent`` (Twilio
  accepted), ``delivered``, ``failed`` (refused on send or a failed/undelivered callback);
  ``smsim_client_campaign_pending{campaign_id}``: targeted, not yet delivered or failed;
- ``smsim_client_messages_total{outcome}``: the same over every message, test SMS included;
- ``smsim_client_campaigns{state}``: campaigns handed to the background sender, by state;
- ``smsim_client_callbacks_received_total{status}`` and
  ``smsim_client_replies_received_total``: status callbacks and incoming messages recorded
  (a webhook Twilio repeats is recorded once, so counted once).

Each scrape reads at most :data:`TALLY_PER_SCRAPE` new rows of each table (a first scrape
of a large database catches up over several). When the store was emptied (``POST
/api/reset``) or replaced, every count starts again from zero: a counter reset to
Prometheus.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import CollectorRegistry
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from smsim.client.integration import Integration
from smsim.client.records import EVENT_DELIVERED, EVENT_FAILED, EVENT_SENT, RowTally
from smsim.client.store import Store

TALLY_PER_SCRAPE = 100_000  # rows of each table: a catching-up scrape holds the store ~0.2 s
OUTCOMES = ("targeted", "sent", "delivered", "failed")
_OUTCOME_OF_EVENT = {EVENT_SENT: "sent", EVENT_DELIVERED: "delivered", EVENT_FAILED: "failed"}


@dataclass
class _Totals:
    """What one store's scrapes have tallied so far, and where each table's tally is."""

    seen: dict[str, int] = field(default_factory=dict)
    outcomes: Counter[tuple[int | None, str]] = field(default_factory=Counter)
    callbacks: Counter[str] = field(default_factory=Counter)
    replies: int = 0


class ClientCollector(Collector):
    """Reads the integration's counts at each scrape. ``integration`` is called each
    time: a server may swap in a fresh Integration (a new store)."""

    def __init__(self, integration: Callable[[], Integration]) -> None:
        self._integration = integration
        self._lock = threading.Lock()
        self._store: Store | None = None
        self._totals = _Totals()

    def collect(self) -> Iterator[Metric]:
        integration = self._integration()
        with self._lock:  # two scrapes at once must not tally the same rows twice
            totals = self._tally(integration.store)
            outcomes = dict(totals.outcomes)
            callbacks = sorted(totals.callbacks.items())
            replies = totals.replies
        campaigns = sorted({c for c, _ in outcomes if c is not None})
        per_campaign = CounterMetricFamily(
            "smsim_client_campaign_messages",
            "A campaign's recipients targeted, and its messages sent (Twilio accepted),"
            " delivered and failed (on send or by callback).",
            labels=["campaign_id", "outcome"],
        )
        pending = GaugeMetricFamily(
            "smsim_client_campaign_pending",
            "A campaign's recipients not delivered or failed yet.",
            labels=["campaign_id"],
        )
        for campaign in campaigns:
            for outcome in OUTCOMES:
                per_campaign.add_metric(
                    [str(campaign), outcome], outcomes.get((campaign, outcome), 0)
                )
            pending.add_metric([str(campaign)], _pending(outcomes, campaign))
        yield per_campaign
        yield pending
        every = CounterMetricFamily(
            "smsim_client_messages",
            "Every message (test SMS included): targeted, sent, delivered, failed.",
            labels=["outcome"],
        )
        for outcome in OUTCOMES:
            every.add_metric([outcome], sum(n for (_, o), n in outcomes.items() if o == outcome))
        yield every
        runs = GaugeMetricFamily(
            "smsim_client_campaigns",
            "Campaigns handed to the background sender, by state.",
            labels=["state"],
        )
        for state, n in sorted(integration.campaign_queue.count_by_state().items()):
            runs.add_metric([state], n)
        yield runs
        received = CounterMetricFamily(
            "smsim_client_callbacks_received",
            "Status callbacks recorded (signature verified, each MessageSid and status once).",
            labels=["status"],
        )
        for status, n in callbacks:
            received.add_metric([status], n)
        yield received
        replied = CounterMetricFamily(
            "smsim_client_replies_received", "Incoming messages recorded (each MessageSid once)."
        )
        replied.add_metric([], replies)
        yield replied

    def _tally(self, store: Store) -> _Totals:
        """Add the rows recorded since the last scrape (under the lock)."""
        if store is not self._store:
            self._store, self._totals = store, _Totals()
        totals = self._totals
        reads: dict[str, Callable[[int, int], RowTally]] = {
            "messages": store.targeted_since,
            "events": store.events_since,
            "callbacks": store.callbacks_since,
            "replies": store.replies_since,
        }
        tallies = {
            table: read(totals.seen.get(table, 0), TALLY_PER_SCRAPE)
            for table, read in reads.items()
        }
        if any(t.emptied_since(totals.seen.get(name, 0)) for name, t in tallies.items()):
            # emptied since the last scrape: start again from its first row
            self._totals = totals = _Totals()
            tallies = {table: read(0, TALLY_PER_SCRAPE) for table, read in reads.items()}
        for table, tally in tallies.items():
            totals.seen[table] = tally.last
        for (campaign,), n in _keyed(tallies["messages"]):
            totals.outcomes[(campaign, "targeted")] += n
        for (campaign, name), n in _keyed(tallies["events"]):
            if name in _OUTCOME_OF_EVENT:
                totals.outcomes[(campaign, _OUTCOME_OF_EVENT[name])] += n
        for (status,), n in _keyed(tallies["callbacks"]):
            totals.callbacks[str(status)] += n
        totals.replies += sum(tallies["replies"].counts.values())
        return totals


def _keyed(tally: RowTally) -> list[tuple[tuple[Any, ...], int]]:
    return list(tally.counts.items())


def _pending(outcomes: dict[tuple[int | None, str], int], campaign: int) -> int:
    done = outcomes.get((campaign, "delivered"), 0) + outcomes.get((campaign, "failed"), 0)
    return outcomes.get((campaign, "targeted"), 0) - done


def client_registry(integration: Callable[[], Integration]) -> CollectorRegistry:
    """A registry of its own holding the integration's collector."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(ClientCollector(integration))
    return registry
