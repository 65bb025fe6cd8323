"""Campaigns sent in the background: 202 at once, progress, cancel, back-off, and a
kill -9 of the client mid-campaign that still gives every recipient exactly one message."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from client_helpers import FakeTwilio, provider_settings
from flask import Flask, jsonify, request
from werkzeug.serving import make_server

from smsim.client import ClientConfig, ClientServer
from smsim.testing import ControlClient


def api(server_url: str, method: str, path: str, **kw: Any) -> requests.Response:
    return requests.request(method, server_url + path, timeout=60, **kw)


def wait_until_sent(url: str, campaign_id: int, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        campaign = api(url, "GET", f"/api/campaigns/{campaign_id}?wait=5").json()
        if campaign["state"] != "sending":
            return campaign
    raise AssertionError(f"campaign {campaign_id} still sending after {timeout}s")


def numbers(count: int, start: int = 0) -> list[str]:
    return [f"+1415{5_000_000 + start + i:07d}" for i in range(count)]


def test_10000_recipients_answer_202_before_sending_and_cancel_stops_sending(
    client_server: ClientServer, fake_twilio: FakeTwilio
) -> None:
    # How fast the 202 comes is bench/campaign.py's figure; here: it comes before the work.
    assert api(client_server.url, "POST", "/api/providers", json=provider_settings()).ok
    payload = {"message": "Spring sale", "recipients": numbers(10_000)}
    resp = api(client_server.url, "POST", "/api/campaigns", json=payload)
    assert resp.status_code == 202, resp.text
    assert len(fake_twilio.requests) < 10_000  # answered without waiting for the sends
    body = resp.json()
    assert resp.headers["Location"] == f"/api/campaigns/{body['id']}"
    assert body["state"] == "sending" and body["progress"]["targeted"] == 10_000
    assert body["created_at_iso"].endswith("Z")

    # It goes on in the background: progress moves while nobody holds a request open.
    deadline = time.monotonic() + 30
    while len(fake_twilio.requests) < 50:
        assert time.monotonic() < deadline, "nothing was sent in the background"
        time.sleep(0.05)
    canceled = api(client_server.url, "POST", f"/api/campaigns/{body['id']}/cancel").json()
    assert canceled["state"] == "canceled"
    progress = canceled["progress"]
    sent_at_cancel = len(fake_twilio.requests)
    assert progress["canceled"] > 0 and progress["to_send"] == 0
    assert progress["handed_to_twilio"] + progress["canceled"] == 10_000
    assert progress["handed_to_twilio"] == sent_at_cancel
    time.sleep(0.5)  # nothing may arrive after the cancel answered: give it the chance
    assert len(fake_twilio.requests) == sent_at_cancel
    stats = api(client_server.url, "GET", f"/api/campaigns/{body['id']}/stats").json()
    assert stats["sent"] == sent_at_cancel


class ThrottlingTwilio:
    """Answers 429 (Twilio's 20429 Too Many Requests) to the first ``refuse`` requests."""

    def __init__(self, refuse: int, code: int = 20429) -> None:
        self.refuse = refuse
        self.code = code
        self.requests: list[tuple[float, str]] = []
        self.lock = threading.Lock()
        app = Flask("throttling-twilio")

        @app.post("/2010-04-01/Accounts/<sid>/Messages.json")
        def create(sid: str) -> Any:
            with self.lock:
                self.requests.append((time.monotonic(), request.form["To"]))
                refused = len(self.requests) <= self.refuse
            if refused:
                body = {"code": self.code, "message": "Too Many Requests", "status": 429}
                return jsonify({**body, "more_info": "https://www.twilio.com/docs/errors"}), 429
            n = len(self.requests)
            return jsonify(
                {"sid": f"SM{n:032x}", "status": "queued", "to": request.form["To"]}
            ), 201

        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()


@pytest.fixture
def throttling() -> Iterator[ThrottlingTwilio]:
    fake = ThrottlingTwilio(refuse=6)
    yield fake
    fake.server.shutdown()


def test_429_answers_back_the_campaign_off_then_every_recipient_is_sent(
    throttling: ThrottlingTwilio,
) -> None:
    config = ClientConfig(memory=True, twilio_base_url=throttling.url, senders=2, retry_backoff=0.2)
    with ClientServer(config) as client:
        client.integration.add_provider(provider_settings())
        recipients = numbers(4)
        resp = api(
            client.url, "POST", "/api/campaigns", json={"message": "hi", "recipients": recipients}
        )
        assert resp.status_code == 202
        campaign = wait_until_sent(client.url, resp.json()["id"])
        stats = api(client.url, "GET", f"/api/campaigns/{campaign['id']}/stats").json()
    assert campaign["state"] == "finished"
    assert (stats["sent"], stats["failed"]) == (4, 0)
    assert campaign["progress"]["throttled"] >= 1
    tries = Counter(to for _, to in throttling.requests)
    assert set(tries) == set(recipients) and sum(tries.values()) == 4 + 6
    # Backed off: after the first refusals, the next attempt waited at least the back-off.
    times = [t for t, _ in throttling.requests]
    assert max(b - a for a, b in itertools.pairwise(times)) >= 0.2


def test_a_queue_that_stays_full_fails_after_the_bounded_retries(fake_twilio: FakeTwilio) -> None:
    fake = ThrottlingTwilio(refuse=10_000, code=21611)
    try:
        config = ClientConfig(
            memory=True, twilio_base_url=fake.url, send_max_attempts=3, retry_backoff=0.05
        )
        with ClientServer(config) as client:
            client.integration.add_provider(provider_settings())
            report = client.integration.send_campaign("hi", numbers(2), timeout=30)
    finally:
        fake.server.shutdown()
    assert (report["sent"], report["failed"], report["errors"]) == (0, 2, {"21611": 2})
    assert Counter(to for _, to in fake.requests) == {n: 3 for n in numbers(2)}


class ClientProcess:
    """``smsim client serve --port 0`` as a child process (so it can be killed -9)."""

    def __init__(self, db: Path, twilio_base_url: str) -> None:
        command = [sys.executable, "-m", "smsim", "client", "serve", "--port", "0"]
        command += ["--db", str(db), "--twilio-base-url", twilio_base_url, "--senders", "2"]
        self.proc = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        assert self.proc.stdout is not None
        first = self.proc.stdout.readline()
        assert "listening on" in first, first + self.proc.stdout.read()
        self.url = first.rsplit(" ", 1)[1].strip()
        threading.Thread(target=self.proc.stdout.read, daemon=True).start()

    def kill9(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(15)


@pytest.mark.slow
def test_kill_9_mid_campaign_then_restart_sends_each_recipient_exactly_once(
    simulator: Any, smsim_control: ControlClient, tmp_path: Path
) -> None:
    account = smsim_control.create_account("full", numbers=["+15017250604"])
    db = tmp_path / "client.db"
    recipients = numbers(600)
    first = ClientProcess(db, simulator.url)
    try:
        settings = {
            "nickname": "main",
            "account_sid": account["sid"],
            "auth_token": account["auth_token"],
            "from_numbers": ["+15017250604"],
        }
        assert api(first.url, "POST", "/api/providers", json=settings).status_code == 201
        resp = api(
            first.url, "POST", "/api/campaigns", json={"message": "hi", "recipients": recipients}
        )
        campaign_id = resp.json()["id"]
        deadline = time.monotonic() + 60
        while (
            api(first.url, "GET", f"/api/campaigns/{campaign_id}").json()["progress"][
                "handed_to_twilio"
            ]
            < 60
        ):
            assert time.monotonic() < deadline
            time.sleep(0.02)
    finally:
        first.kill9()
    at_kill = len(smsim_control.messages(limit="5000"))
    assert 60 <= at_kill < len(recipients), "the kill did not land mid-campaign"

    second = ClientProcess(db, simulator.url)
    try:
        campaign = wait_until_sent(second.url, campaign_id)
        stats = api(second.url, "GET", f"/api/campaigns/{campaign_id}/stats").json()
    finally:
        second.stop()
    received = Counter(m["to"] for m in smsim_control.messages(limit="5000"))
    assert received == dict.fromkeys(recipients, 1)
    assert campaign["state"] == "finished" and stats["sent"] == len(recipients)
    assert stats["failed"] == 0


def test_the_recipient_table_filters_by_status_and_code_and_exports_csv(
    client_server: ClientServer, fake_twilio: FakeTwilio
) -> None:
    client_server.integration.add_provider(provider_settings())
    recipients = ["+14155550101", "+15005550009", "+14155550102"]  # the middle one: 21614
    report = client_server.integration.send_campaign("hi", recipients)
    base = f"{client_server.url}/api/campaigns/{report['campaign_id']}"
    table = api(base, "GET", "/messages").json()
    assert table["total"] == 3 and [m["recipient"] for m in table["messages"]] == recipients
    failed = api(base, "GET", "/messages?status=failed").json()["messages"]
    assert [(m["recipient"], m["error_code"], m["sid"]) for m in failed] == [
        ("+15005550009", 21614, None)
    ]
    assert failed[0]["error_description"] and failed[0]["updated_at_iso"].endswith("Z")
    assert api(base, "GET", "/messages?error_code=21614").json()["total"] == 1
    bad = api(base, "GET", "/messages?status=lost")
    assert bad.status_code == 400 and "status" in bad.json()["fields"]
    exported = api(base, "GET", "/messages.csv")
    assert exported.headers["Content-Disposition"].startswith("attachment;")
    lines = exported.text.splitlines()
    assert lines[0] == "recipient,sid,status,error_code,error_description,updated_at"
    assert len(lines) == 4 and lines[2].startswith("+15005550009,,failed,21614,")
    assert api(base, "GET", "/messages.csv?status=queued").text.count("\n") == 3


def test_csv_cells_that_a_spreadsheet_would_run_as_formulas_are_neutralised() -> None:
    from smsim.client.csv_export import messages_csv

    text = messages_csv([{"recipient": "+14155550101", "error_description": "=HYPERLINK(1)"}])
    assert text.splitlines()[1] == "+14155550101,,,,'=HYPERLINK(1),"


def test_a_campaign_start_that_fails_midway_leaves_no_campaign_behind(
    client_server: ClientServer, fake_twilio: FakeTwilio, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The campaign, its messages, its links and its send queue commit together: a start
    that fails before the queue is written leaves nothing that would never be sent."""
    integration = client_server.integration
    integration.add_provider(provider_settings())

    def queue_fails(campaign_id: int, message_ids: Any) -> None:
        raise RuntimeError("the disk went away")

    monkeypatch.setattr(integration.campaign_queue, "start", queue_fails)
    with pytest.raises(RuntimeError):
        integration.start_campaign(
            "see https://example.com/a", ["+14155550101"], click_tracking=True
        )
    assert integration.list_campaigns() == []
    assert integration.store.all("SELECT COUNT(*) AS n FROM links")[0]["n"] == 0
    assert integration.store.all("SELECT COUNT(*) AS n FROM messages")[0]["n"] == 0
