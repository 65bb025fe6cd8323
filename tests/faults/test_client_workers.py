"""`smsim client serve --workers 2`: two HTTP worker processes and a campaign sender
process over one database file, against a real `smsim serve --memory`. Both workers
answer; a campaign started through either is sent by the sender process, each recipient
once, and its callbacks are counted; a callback posted to either worker is seen by the
other; a cancel through a worker stops the sender; `kill -9` of the sender mid-campaign
is survived with no recipient sent twice; `--workers 2 --memory` is refused."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from smsim.contracts.signature import compute_signature
from smsim.testing import ControlClient, ServeProcess, poll, process_alive

pytestmark = pytest.mark.slow  # real `smsim serve` and `smsim client serve` processes

FROM = "+15017250604"
MEMORY_TWO_WORKERS = ("--memory", "--workers", "2")


@pytest.fixture
def simulator(tmp_path: Path) -> Iterator[ServeProcess]:
    config = tmp_path / "fast.json"
    delays = {"sending": 0, "sent": 0.05, "delivered": 0.2, "jitter": 0.05}
    config.write_text(json.dumps({"enforce_throughput": False, "delays": delays}), "utf-8")
    server = ServeProcess("--memory", "--config", str(config))
    yield server
    code = server.proc.poll()
    server.stop()
    assert code is None, f"the simulator exited {code} mid-test: " + "".join(server.lines)


@pytest.fixture
def account(simulator: ServeProcess) -> dict[str, Any]:
    control = ControlClient(simulator.url)
    return control.create_account("full", numbers=[FROM])


def _client(tmp_path: Path, simulator: ServeProcess, *extra: str) -> ServeProcess:
    db = str(tmp_path / "client.db")
    return ServeProcess(
        *("--db", db, "--workers", "2", "--twilio-base-url", simulator.url, *extra),
        command=("client", "serve"),
    )


def _api(url: str, method: str, path: str, **kw: Any) -> requests.Response:
    """One request on a fresh connection (so any worker may take it)."""
    with requests.Session() as session:
        session.trust_env = False
        return session.request(method, url + path, timeout=60, **kw)


def _processes(server: ServeProcess, role: str) -> list[int]:
    return [p["pid"] for p in server.ready["processes"] if p["role"].startswith(role)]


def _provider(url: str, account: dict[str, Any]) -> int:
    settings = {
        "nickname": "main",
        "account_sid": account["sid"],
        "auth_token": account["auth_token"],
        "from_numbers": [FROM],
    }
    response = _api(url, "POST", "/api/providers", json=settings)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def _numbers(count: int) -> list[str]:
    return [f"+1415{5_000_000 + i:07d}" for i in range(count)]


def _start(url: str, recipients: list[str]) -> int:
    payload = {"message": "hi", "recipients": recipients}
    response = _api(url, "POST", "/api/campaigns", json=payload)
    assert response.status_code in (200, 201, 202), response.text
    return int(response.json()["id"])


def _campaign(url: str, campaign_id: int, wait: float = 0) -> dict[str, Any]:
    query = f"?wait={wait}" if wait else ""
    return dict(_api(url, "GET", f"/api/campaigns/{campaign_id}{query}").json())


def _sent_to(simulator: ServeProcess) -> Counter[str]:
    messages = ControlClient(simulator.url).messages(limit="5000")
    return Counter(m["to"] for m in messages)


def _on_worker(url: str, method: str, path: str, **kw: Any) -> tuple[int, requests.Response]:
    """A request, and the pid of the worker that answered it (health on the same
    connection)."""
    with requests.Session() as session:
        session.trust_env = False
        response = session.request(method, url + path, timeout=30, **kw)
        pid = session.get(url + "/api/health", timeout=30).json()["process"]["pid"]
    return int(pid), response


def test_a_campaign_started_through_a_worker_is_sent_once_with_its_callbacks_counted(
    tmp_path: Path, simulator: ServeProcess, account: dict[str, Any]
) -> None:
    client = _client(tmp_path, simulator)
    try:
        assert "2 HTTP worker processes and a campaign sender process" in "".join(client.lines)
        workers = set(_processes(client, "HTTP worker"))
        assert len(workers) == 2 and len(_processes(client, "campaign sender")) == 1
        seen = {_api(client.url, "GET", "/api/health").json()["process"]["pid"] for _ in range(200)}
        assert seen == workers
        assert _api(client.url, "GET", "/api/health").json()["process"]["role"] == "http"

        _provider(client.url, account)
        recipients = _numbers(150)
        campaign_id = _start(client.url, recipients)
        # ?wait= in whichever worker answers returns when the sender process is done
        campaign = poll(
            lambda: (c := _campaign(client.url, campaign_id, wait=5))["state"] != "sending" and c,
            60,
            "the campaign to finish",
        )
        assert campaign["state"] == "finished"
        assert campaign["progress"]["handed_to_twilio"] == len(recipients)
        stats_path = f"/api/campaigns/{campaign_id}/stats"
        stats = poll(
            lambda: (
                (s := _api(client.url, "GET", stats_path).json())["delivered"] == len(recipients)
                and s
            ),
            60,
            "every delivered callback counted",
        )
        assert stats["sent"] == len(recipients) and stats["failed"] == 0
    finally:
        client.stop()
    assert _sent_to(simulator) == dict.fromkeys(recipients, 1)


def _status_callback(account: dict[str, Any], receiver: str) -> dict[str, Any]:
    """A signed delivered callback for a message the integration never sent."""
    sid = "SM" + uuid.uuid4().hex
    params = {
        "MessageSid": sid,
        "SmsSid": sid,
        "AccountSid": account["sid"],
        "MessageStatus": "delivered",
        "SmsStatus": "delivered",
        "To": "+14155550100",
        "From": FROM,
        "ApiVersion": "2010-04-01",
    }
    signature = compute_signature(receiver, params, account["auth_token"])
    return {"data": params, "headers": {"X-Twilio-Signature": signature}}


def _post_to_each_worker(url: str, workers: set[int], account: dict[str, Any]) -> list[int]:
    """Post callbacks on fresh connections until each worker took one; their statuses."""
    taken: set[int] = set()
    statuses: list[int] = []
    while taken != workers:
        assert len(statuses) < 200, "one worker never took a callback"
        request = _status_callback(account, url + "/sms/twilio")
        pid, response = _on_worker(url, "POST", "/sms/twilio", **request)
        taken.add(pid)
        statuses.append(response.status_code)
    return statuses


def test_a_callback_posted_to_either_worker_is_counted_in_both(
    tmp_path: Path, simulator: ServeProcess, account: dict[str, Any]
) -> None:
    client = _client(tmp_path, simulator)
    try:
        workers = set(_processes(client, "HTTP worker"))
        # each worker reads (and caches) the providers: none yet, so nothing verifies
        assert set(_post_to_each_worker(client.url, workers, account)) == {403}
        provider_id = _provider(client.url, account)  # through one of them
        statuses = _post_to_each_worker(client.url, workers, account)
        assert set(statuses) == {200}  # the other worker's cache did not go stale
        counted: dict[int, int] = {}
        while set(counted) != workers:
            pid, response = _on_worker(client.url, "GET", f"/api/providers/{provider_id}/stats")
            counted[pid] = response.json()["unattributed"]["callbacks"]
        assert set(counted.values()) == {len(statuses)}
    finally:
        client.stop()


def test_a_cancel_through_a_worker_stops_the_sender_process(
    tmp_path: Path, simulator: ServeProcess, account: dict[str, Any]
) -> None:
    client = _client(tmp_path, simulator, "--senders", "1")
    try:
        _provider(client.url, account)
        recipients = _numbers(3000)
        campaign_id = _start(client.url, recipients)
        poll(
            lambda: _campaign(client.url, campaign_id)["progress"]["handed_to_twilio"] >= 20,
            60,
            "sending to start",
        )
        response = _api(client.url, "POST", f"/api/campaigns/{campaign_id}/cancel")
        assert response.status_code == 200, response.text
        canceled = response.json()
        assert canceled["state"] == "canceled" and canceled["progress"]["canceled"] > 0
        assert canceled["progress"]["to_send"] == 0  # nothing left in flight either
        sent = sum(_sent_to(simulator).values())
        handed = canceled["progress"]["handed_to_twilio"]
        assert handed + canceled["progress"]["canceled"] == len(recipients)
        # the sender process stopped: nothing more reaches Twilio
        later = poll(lambda: _campaign(client.url, campaign_id, wait=1), 10, "a read")
        assert later["progress"]["handed_to_twilio"] == handed
        assert sum(_sent_to(simulator).values()) == sent == handed
    finally:
        client.stop()


def test_kill_9_of_the_sender_mid_campaign_is_restarted_and_sends_each_recipient_once(
    tmp_path: Path, simulator: ServeProcess, account: dict[str, Any]
) -> None:
    client = _client(tmp_path, simulator, "--senders", "2")
    try:
        _provider(client.url, account)
        recipients = _numbers(600)
        campaign_id = _start(client.url, recipients)
        poll(
            lambda: _campaign(client.url, campaign_id)["progress"]["handed_to_twilio"] >= 60,
            60,
            "sending to start",
        )
        (sender,) = _processes(client, "campaign sender")
        os.kill(sender, signal.SIGKILL)
        poll(lambda: not process_alive(sender), 10, "the sender to die")
        at_kill = sum(_sent_to(simulator).values())
        assert at_kill < len(recipients), "the kill did not land mid-campaign"
        poll(
            lambda: (
                "campaign sender process" in "".join(client.lines)
                and "starting it again" in "".join(client.lines)
            ),
            10,
            "the parent to start the sender again",
        )
        campaign = poll(
            lambda: (c := _campaign(client.url, campaign_id, wait=5))["state"] != "sending" and c,
            90,
            "the campaign to finish",
        )
        assert campaign["state"] == "finished"
        assert campaign["progress"]["handed_to_twilio"] == len(recipients), (
            campaign,
            "".join(client.lines)[-3000:],
        )
    finally:
        client.stop()
    assert _sent_to(simulator) == dict.fromkeys(recipients, 1)


def test_several_workers_with_memory_are_refused_naming_the_flag(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "smsim", "client", "serve", "--port", "0", *MEMORY_TWO_WORKERS],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert result.returncode == 2
    assert "--workers 2: --memory" in result.stderr and "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []
