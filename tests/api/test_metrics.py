"""``GET /_smsim/metrics``: Prometheus's text format, parsed with prometheus_client's own
parser, and every figure checked against what the test did (N creates add N, whichever
path served them; every callback attempt counted once, by outcome; lost callbacks and
pending jobs as the control API reports them)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
import requests
from metrics_helpers import samples_at, value

from smsim.simulator.config import SimulatorConfig
from smsim.simulator.server import SimulatorServer
from smsim.testing import ControlClient

pytestmark = pytest.mark.both_engines

FROM = "+14155550100"
CLOSED_PORT_URL = "http://127.0.0.1:9/never#rc=1"  # refused at once, no retry


def scrape(url: str, accept: str | None = None) -> dict[str, list[Any]]:
    return samples_at(f"{url}/_smsim/metrics", accept)


def _create(simulator, account, *, flask_path: bool = False, **fields: str) -> dict[str, Any]:
    url = f"{simulator.url}/2010-04-01/Accounts/{account['sid']}/Messages.json"
    auth = (account["sid"], account["auth_token"])
    form = {"From": FROM, "Body": "hi", **fields}
    if flask_path:  # multipart: the create fast path hands it to the Flask route
        response = requests.post(
            url, files={k: (None, v) for k, v in form.items()}, auth=auth, timeout=10
        )
    else:
        response = requests.post(url, data=form, auth=auth, timeout=10)
    return {**response.json(), "http": response.status_code}


def test_creates_are_counted_exactly_on_both_paths(simulator, twilio_account, smsim_control):
    before = value(scrape(simulator.url), "smsim_messages_created_total")
    for i in range(7):
        assert _create(simulator, twilio_account, To=f"+1415555{i:04d}")["http"] == 201
    for i in range(4):
        made = _create(simulator, twilio_account, flask_path=True, To=f"+1415556{i:04d}")
        assert made["http"] == 201, made
    # refused creates store nothing and count nothing
    assert _create(simulator, twilio_account, To="12")["code"] == 21211

    samples = scrape(simulator.url)

    assert before == 0
    assert value(samples, "smsim_messages_created_total") == 11
    assert value(samples, "smsim_messages", status="queued") == 11
    pending = value(samples, "smsim_jobs", kind="step", state="pending")
    assert pending == smsim_control.health()["pending_jobs"] > 0


def test_statuses_error_codes_and_callbacks_match_what_was_sent(
    simulator, twilio_account, smsim_control, callback_recorder
):
    good = callback_recorder.url("/status")
    for i in range(5):
        _create(simulator, twilio_account, To=f"+1415555{i:04d}", StatusCallback=good)
    for _ in range(3):  # the catalogue number fails with 30005 (docs/fidelity.md)
        _create(simulator, twilio_account, To="+15005553005", StatusCallback=good)
    for i in range(2):
        _create(simulator, twilio_account, To=f"+1415557{i:04d}", StatusCallback=CLOSED_PORT_URL)
    smsim_control.run_until_idle()

    samples = scrape(simulator.url)
    attempts = smsim_control.callbacks()
    by_outcome = Counter("2xx" if a["status_code"] == 200 else "connection_error" for a in attempts)

    messages = smsim_control.messages(limit="1000")
    assert len(messages) == 10
    for status, n in Counter(m["status"] for m in messages).items():
        assert value(samples, "smsim_messages", status=status) == n, status
    assert sum(s.value for s in samples["smsim_messages"]) == 10
    assert value(samples, "smsim_messages", status="delivered") == 7
    errors = Counter(str(m["error_code"]) for m in messages if m["error_code"])
    assert errors == {"30005": 3}
    assert {s.labels["error_code"]: s.value for s in samples["smsim_message_errors"]} == errors
    assert (
        value(samples, "smsim_callback_attempts_total", kind="status", outcome="2xx")
        == (by_outcome["2xx"])
    )
    assert by_outcome["2xx"] == len(callback_recorder.requests) > 0
    assert (
        value(samples, "smsim_callback_attempts_total", kind="status", outcome="connection_error")
        == by_outcome["connection_error"]
        > 0
    )
    assert (
        value(samples, "smsim_callbacks_lost")
        == smsim_control._call("GET", "/callbacks/lost")["count"]
        > 0
    )
    assert value(samples, "smsim_jobs", state="pending") == 0
    # the latency histogram has one observation per attempt, in cumulative buckets
    assert value(samples, "smsim_callback_duration_seconds_count", kind="status") == len(attempts)
    buckets = [s for s in samples["smsim_callback_duration_seconds_bucket"]]
    counts = [s.value for s in buckets]
    assert counts == sorted(counts)
    assert buckets[-1].labels["le"] == "+Inf" and counts[-1] == len(attempts)
    assert value(samples, "smsim_callback_duration_seconds_sum", kind="status") == pytest.approx(
        sum(a["duration_ms"] for a in attempts) / 1000, abs=1e-3
    )


def test_inbound_webhooks_are_their_own_kind(simulator, smsim_control, callback_recorder):
    smsim_control.create_account(
        "full", numbers=[{"phone_number": FROM, "sms_url": callback_recorder.url("/in")}]
    )
    for i in range(3):
        smsim_control.inbound(f"+1415555{i:04d}", FROM, "hello")

    samples = scrape(simulator.url)

    assert value(samples, "smsim_callback_attempts_total", kind="inbound", outcome="2xx") == 3
    assert value(samples, "smsim_messages", status="received") == 3
    assert value(samples, "smsim_messages_created_total") == 3


def test_each_attempt_is_counted_once_across_scrapes_deletes_and_resets(
    simulator, twilio_account, smsim_control, callback_recorder
):
    url = callback_recorder.url("/status")
    first = _create(simulator, twilio_account, To="+14155550111", StatusCallback=url)
    smsim_control.run_until_idle()
    once = scrape(simulator.url)
    again = scrape(simulator.url)  # nothing new: nothing added
    requests.delete(
        f"{simulator.url}{first['uri']}",
        auth=(twilio_account["sid"], twilio_account["auth_token"]),
        timeout=10,
    ).raise_for_status()
    _create(simulator, twilio_account, To="+14155550112", StatusCallback=url)
    smsim_control.run_until_idle()
    after_delete = scrape(simulator.url)
    smsim_control.reset()
    after_reset = scrape(simulator.url)

    name = "smsim_callback_attempts_total"
    assert value(once, name, outcome="2xx") == value(again, name, outcome="2xx") == 2
    assert value(after_delete, name, outcome="2xx") == 4
    assert value(after_delete, "smsim_messages_created_total") == 2
    assert value(after_delete, "smsim_messages", status="delivered") == 1
    # counters never go back: the store forgot, the totals did not
    assert value(after_reset, name, outcome="2xx") == 4
    assert value(after_reset, "smsim_messages_created_total") == 2
    assert "smsim_messages" not in after_reset


def test_openmetrics_when_the_scraper_asks_for_it(simulator):
    response = requests.get(
        f"{simulator.url}/_smsim/metrics",
        headers={"Accept": "application/openmetrics-text; version=1.0.0"},
        timeout=10,
    )
    assert response.headers["Content-Type"].startswith("application/openmetrics-text")
    assert response.text.endswith("# EOF\n")
    assert "smsim_messages_created_total 0.0" in response.text


def test_each_app_has_its_own_registry(simulator, twilio_account):
    with SimulatorServer(SimulatorConfig(memory=True, port=0, clock="virtual")) as other:
        account = ControlClient(other.url).create_account("full", numbers=[FROM])
        _create(other, account, To="+14155550111")
        _create(other, account, To="+14155550112")
        _create(simulator, twilio_account, To="+14155550113")

        assert value(scrape(other.url), "smsim_messages_created_total") == 2
        assert value(scrape(simulator.url), "smsim_messages_created_total") == 1


def test_a_backlog_is_tallied_over_several_scrapes_never_twice(
    simulator, twilio_account, smsim_control, callback_recorder, monkeypatch
):
    from smsim.simulator import metrics

    for i in range(5):
        _create(
            simulator, twilio_account, To=f"+1415555{i:04d}", StatusCallback=callback_recorder.url()
        )
    smsim_control.run_until_idle()
    monkeypatch.setattr(metrics, "TALLY_PER_SCRAPE", 4)

    seen = [
        value(scrape(simulator.url), "smsim_callback_attempts_total", outcome="2xx")
        for _ in range(4)
    ]

    assert seen == [4, 8, 10, 10]
