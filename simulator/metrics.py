"""Prometheus metrics of the simulator, read from the store when scraped.

Nothing is counted on the request path: a scrape asks the tables' owners for counts, so
the numbers are exact whatever served the requests (the Flask app or the create fast
path) and whichever process did (on PostgreSQL, ``smsim serve --workers N`` shares one
database, so every process reads the same rows). The metrics live in a
:class:`~prometheus_client.CollectorRegistry` of their own per app, never the library's
global one, so many apps in one process (tests) do not mix.

- ``smsim_messages_created_total``: messages ever stored, every direction (the
  AUTOINCREMENT high-water mark: deletes and resets do not move it back);
- ``smsim_messages{status}`` and ``smsim_message_errors{error_code}``: messages stored
  now (each read from an index, not the rows);
- ``smsim_callback_attempts_total{kind,outcome}`` and the histogram
  ``smsim_callback_duration_seconds{kind}``: webhook attempts, tallied from the attempts
  log after the last id this registry saw (an attempt is counted once, even after its
  account is removed; attempts made and removed between two scrapes are missed; at most
  :data:`TALLY_PER_SCRAPE` new attempts per scrape);
- ``smsim_callbacks_lost``: callbacks given up (every attempt failed);
- ``smsim_jobs{kind,state}``: lifecycle steps and webhook deliveries not done yet.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from smsim.simulator.messages import MessageRows
from smsim.simulator.scheduler import Scheduler
from smsim.simulator.webhooks import AttemptLog

# Upper bounds (seconds) of the callback latency histogram: a local receiver answers in
# milliseconds; Twilio waits 15 s for an answer (docs/fidelity.md, Lifecycle and callbacks).
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 15.0)


# At most this many attempt ids are tallied per scrape (about a second's work), so the
# first scrape of a database with millions of attempts answers within Prometheus's
# timeout; the counters then catch up over the next scrapes.
TALLY_PER_SCRAPE = 200_000


@dataclass
class _Attempts:
    """Running totals of one (kind, outcome)."""

    count: int = 0
    seconds: float = 0.0
    at_most: list[int] = field(default_factory=lambda: [0] * len(LATENCY_BUCKETS))


class SimulatorCollector(Collector):
    """Reads the simulator's counts from its store at each scrape."""

    def __init__(self, messages: MessageRows, attempts: AttemptLog, scheduler: Scheduler) -> None:
        self._messages = messages
        self._attempts = attempts
        self._scheduler = scheduler
        self._lock = threading.Lock()
        self._seen = 0  # the last attempt id tallied
        self._tally: dict[tuple[str, str], _Attempts] = {}

    def collect(self) -> Iterator[Metric]:
        created = CounterMetricFamily(
            "smsim_messages_created", "Messages ever stored, every direction."
        )
        created.add_metric([], self._messages.created_total())
        yield created
        stored = GaugeMetricFamily(
            "smsim_messages", "Messages stored now, by status.", labels=["status"]
        )
        for status, n in self._messages.count_by_status():
            stored.add_metric([status], n)
        yield stored
        errors = GaugeMetricFamily(
            "smsim_message_errors",
            "Messages stored now with an error code (failed or undelivered), by code.",
            labels=["error_code"],
        )
        for code, n in self._messages.count_by_error():
            errors.add_metric([str(code)], n)
        yield errors
        yield from self._callback_metrics()
        lost = GaugeMetricFamily(
            "smsim_callbacks_lost", "Callbacks given up: every attempt failed, none left."
        )
        lost.add_metric([], self._attempts.lost_count())
        yield lost
        jobs = GaugeMetricFamily(
            "smsim_jobs",
            "Lifecycle steps and webhook deliveries not done yet, by kind and state.",
            labels=["kind", "state"],
        )
        for kind, state, n in self._scheduler.count_by_state():
            jobs.add_metric([kind, state], n)
        yield jobs

    def _callback_metrics(self) -> Iterator[Metric]:
        bounds_ms = [b * 1000 for b in LATENCY_BUCKETS]
        with self._lock:  # two scrapes at once must not tally the same rows twice
            self._seen, tallies = self._attempts.tally_since(
                self._seen, bounds_ms, TALLY_PER_SCRAPE
            )
            for t in tallies:
                totals = self._tally.setdefault((t.kind, t.outcome), _Attempts())
                totals.count += t.count
                totals.seconds += t.duration_ms / 1000
                totals.at_most = [a + b for a, b in zip(totals.at_most, t.at_most, strict=True)]
            snapshot = sorted(
                (key, _Attempts(v.count, v.seconds, list(v.at_most)))
                for key, v in self._tally.items()
            )
        attempts = CounterMetricFamily(
            "smsim_callback_attempts",
            "Webhook attempts (status callbacks and inbound) by kind and outcome: 2xx, 4xx,"
            " 5xx, read_timeout, connection_error.",
            labels=["kind", "outcome"],
        )
        by_kind: dict[str, _Attempts] = {}
        for (kind, outcome), totals in snapshot:
            attempts.add_metric([kind, outcome], totals.count)
            merged = by_kind.setdefault(kind, _Attempts())
            merged.count += totals.count
            merged.seconds += totals.seconds
            merged.at_most = [a + b for a, b in zip(merged.at_most, totals.at_most, strict=True)]
        yield attempts
        latency = HistogramMetricFamily(
            "smsim_callback_duration_seconds",
            "How long each webhook attempt took, from connecting to the end of the answer.",
            labels=["kind"],
        )
        for kind, totals in sorted(by_kind.items()):
            buckets = [
                (repr(bound), float(n))
                for bound, n in zip(LATENCY_BUCKETS, totals.at_most, strict=True)
            ]
            buckets.append(("+Inf", float(totals.count)))
            latency.add_metric([kind], buckets, sum_value=totals.seconds)
        yield latency


def simulator_registry(
    messages: MessageRows, attempts: AttemptLog, scheduler: Scheduler
) -> CollectorRegistry:
    """A registry of its own holding the simulator's collector."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(SimulatorCollector(messages, attempts, scheduler))
    return registry
