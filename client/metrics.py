"""Prometheus metrics of the integration (``GET /metrics``), read from its store when scraped.

Nothing is counted on the request path: the receiver (the fast path in front of Flask
and the Flask view alike) and the campaign sender only write the rows they always wrote,
and a scrape asks the tables' owners for counts. So the figures are exact whichever path
or process (``smsim client serve --workers N``: one database file) did the work. The
registry is the app's own, never prometheus_client's global one.

- ``smsim_client_messages{state}`` and ``smsim_client_campaign_messages{campaign_id,state}``:
  messages targeted, sent (Twilio returned a SID), delivered, failed, pending: the Stats
  tab's definitions (:mod:`smsim.client.stats`), in total and per campaign;
- ``smsim_client_campaigns{state}``: campaigns handed to the background sender, by state;
- ``smsim_client_callbacks_received_total{status}`` and
  ``smsim_client_replies_received_total``: status callbacks and incoming messages recorded
  (a webhook Twilio repeats is recorded once, so counted once), tallied after the last id
  seen, at most :data:`TALLY_PER_SCRAPE` new rows of each per scrape.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from smsim.client.facade import Integration

STATES = ("targeted", "sent", "delivered", "failed", "pending")
TALLY_PER_SCRAPE = 200_000


class ClientCollector(Collector):
    """Reads the integration's counts at each scrape. ``integration`` is called each
    time: a server may swap in a fresh Integration (a new store), and the tallies of
    received webhooks then start again from that store."""

    def __init__(self, integration: Callable[[], Integration]) -> None:
        self._integration = integration
        self._lock = threading.Lock()
        self._source: object | None = None
        self._seen_callback = 0
        self._seen_reply = 0
        self._callbacks: dict[str, int] = {}
        self._replies = 0

    def collect(self) -> Iterator[Metric]:
        integration = self._integration()
        store = integration.store
        per_campaign = store.counts_by_campaign()
        totals = GaugeMetricFamily(
            "smsim_client_messages",
            "Messages the integration sent or tried to, by state (the Stats tab's counts).",
            labels=["state"],
        )
        for state in STATES:
            totals.add_metric([state], sum(counts[state] for _, counts in per_campaign))
        yield totals
        campaigns = GaugeMetricFamily(
            "smsim_client_campaign_messages",
            "A campaign's progress: its messages targeted, sent, delivered, failed, pending.",
            labels=["campaign_id", "state"],
        )
        for campaign_id, counts in per_campaign:
            if campaign_id is not None:
                for state in STATES:
                    campaigns.add_metric([str(campaign_id), state], counts[state])
        yield campaigns
        runs = GaugeMetricFamily(
            "smsim_client_campaigns",
            "Campaigns handed to the background sender, by state.",
            labels=["state"],
        )
        for state, n in sorted(integration.campaign_queue.count_by_state().items()):
            runs.add_metric([state], n)
        yield runs
        yield from self._received(integration)

    def _received(self, integration: Integration) -> Iterator[Metric]:
        store = integration.store
        with self._lock:
            if self._source is not store:  # another store: its ids start again
                self._source = store
                self._seen_callback = self._seen_reply = self._replies = 0
                self._callbacks = {}
            self._seen_callback, self._seen_reply, by_status, replies = store.received_since(
                self._seen_callback, self._seen_reply, TALLY_PER_SCRAPE
            )
            for status, n in by_status.items():
                self._callbacks[status] = self._callbacks.get(status, 0) + n
            self._replies += replies
            callbacks, reply_total = sorted(self._callbacks.items()), self._replies
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
        replied.add_metric([], reply_total)
        yield replied


def client_registry(integration: Callable[[], Integration]) -> CollectorRegistry:
    """A registry of its own holding the integration's collector."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(ClientCollector(integration))
    return registry
