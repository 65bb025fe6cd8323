"""`smsim serve --workers 2`: the metrics are read from the shared database file, so
whichever worker process answers a scrape reports every process's work exactly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests
from faults_helpers import Receiver, Serve, poll, send_messages
from prometheus_client.parser import text_string_to_metric_families

pytestmark = pytest.mark.slow  # real `smsim serve` processes, real clock

MESSAGES = 30
ATTEMPTS_2XX = ("smsim_callback_attempts_total", (("kind", "status"), ("outcome", "2xx")))


def _scrape(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """One scrape on a fresh connection (so any worker may take it)."""
    with requests.Session() as session:
        session.trust_env = False
        response = session.get(f"{url}/_smsim/metrics", timeout=10)
        response.raise_for_status()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
    }


def _pid(url: str) -> int:
    with requests.Session() as session:
        session.trust_env = False
        return int(session.get(f"{url}/_smsim/health", timeout=10).json()["process"]["pid"])


def test_every_worker_reports_every_process_work(tmp_path: Path) -> None:
    config = tmp_path / "fast.json"
    config.write_text(
        json.dumps(
            {
                "enforce_throughput": False,
                "delays": {"sending": 0, "sent": 0.05, "delivered": 0.1, "jitter": 0},
            }
        ),
        encoding="utf-8",
    )
    receiver = Receiver().up()
    server = Serve(
        "--db", str(tmp_path / "smsim.db"), "--workers", "2", "--delivery-processes", "1",
        "--config", str(config),
    )  # fmt: skip
    try:
        sid, token = server.full_account
        sent = send_messages(server.url, sid, token, [f"m{i}" for i in range(MESSAGES)],
                             receiver.url())  # fmt: skip
        assert [code for _, code, _ in sent] == [201] * MESSAGES
        poll(lambda: receiver.count() >= 2 * MESSAGES, 60, "every callback")
        # the attempt is logged once the receiver has answered: wait for the last one
        poll(lambda: _scrape(server.url).get(ATTEMPTS_2XX) == 2 * MESSAGES, 30, "the log")
        pids = {_pid(server.url) for _ in range(200)}
        scrapes = [_scrape(server.url) for _ in range(20)]
    finally:
        server.stop()
        receiver.close()
    assert len(pids) == 2  # both workers answer requests on fresh connections
    for samples in scrapes:
        assert samples[("smsim_messages_created_total", ())] == MESSAGES
        assert samples[("smsim_messages", (("status", "delivered"),))] == MESSAGES
        assert samples[ATTEMPTS_2XX] == receiver.count() == 2 * MESSAGES
