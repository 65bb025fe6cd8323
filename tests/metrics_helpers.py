"""Reading a Prometheus scrape with prometheus_client's own parser, for the simulator's
and the client's metrics tests."""

from __future__ import annotations

from typing import Any

import requests
from prometheus_client.parser import text_string_to_metric_families


def samples_at(url: str, accept: str | None = None) -> dict[str, list[Any]]:
    """Samples of the scrape at ``url`` by name (the name a sample line has, e.g.
    ``x_total`` or ``x_bucket``); the answer must be 200 in the text format."""
    headers = {"Accept": accept} if accept else {}
    response = requests.get(url, headers=headers, timeout=10)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("text/plain")
    samples: dict[str, list[Any]] = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples.setdefault(sample.name, []).append(sample)
    return samples


def value(samples: dict[str, list[Any]], name: str, **labels: str) -> float:
    """The one sample of ``name`` whose labels include ``labels`` (0 when none)."""
    found = [
        s.value
        for s in samples.get(name, [])
        if all(s.labels.get(k) == v for k, v in labels.items())
    ]
    assert len(found) <= 1, (name, labels, found)
    return found[0] if found else 0.0
