"""The client's ``GET /metrics``: parsed with prometheus_client's own parser and checked
against what the test did: a campaign's progress as its Stats report counts it, and every
status callback and reply the receiver recorded (through its fast path), once each."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from metrics_helpers import samples_at, value

from smsim.client import ClientConfig, ClientServer
from smsim.testing import ControlClient

NUMBER = "+15017250604"
DELIVERED = ["+14155550101", "+14155550102", "+14155550103", "+14155550104"]
FAILING = ["+15005553005", "+15005553003"]  # catalogue numbers: fail with 30005, 30003
REFUSED_21614 = "+15005550009"  # Twilio's magic number: refused on send


@pytest.fixture
def client(simulator: Any) -> Iterator[ClientServer]:
    config = ClientConfig(memory=True, twilio_base_url=simulator.url, account_id="acme")
    with ClientServer(config) as server:
        yield server


def scrape(url: str) -> dict[str, list[Any]]:
    return samples_at(f"{url}/metrics")


def _api(client: ClientServer, method: str, path: str, **kw: Any) -> Any:
    response = requests.request(method, client.url + path, timeout=60, **kw)
    assert response.status_code < 300, response.text
    return response.json() if response.content else None


def _provider(
    client: ClientServer, control: ControlClient, account: dict[str, Any] | None = None
) -> dict[str, Any]:
    account = account or control.create_account(
        "full", numbers=[{"phone_number": NUMBER, "sms_url": client.url + "/sms/twilio"}]
    )
    _api(
        client,
        "POST",
        "/api/providers",
        json={
            "nickname": "twilio",
            "account_sid": account["sid"],
            "auth_token": account["auth_token"],
            "from_numbers": [NUMBER],
        },
    )
    return account


def _campaign(client: ClientServer, recipients: list[str]) -> int:
    made = requests.post(
        client.url + "/api/campaigns",
        json={"message": "Sale", "recipients": recipients},
        timeout=60,
    )
    assert made.status_code == 202, made.text
    campaign_id = int(made.json()["id"])
    done = _api(client, "GET", f"/api/campaigns/{campaign_id}?wait=30")
    assert done["state"] == "finished", done
    return campaign_id


def test_campaign_progress_and_callbacks_match_what_was_sent(
    client: ClientServer, simulator: Any, smsim_control: ControlClient
) -> None:
    _provider(client, smsim_control)
    first = _campaign(client, [*DELIVERED, *FAILING, REFUSED_21614])
    second = _campaign(client, DELIVERED[:2])
    before_delivery = scrape(client.url)
    smsim_control.run_until_idle()
    for handset in DELIVERED[:3]:  # three replies
        smsim_control.inbound(handset, NUMBER, "thanks")

    samples = scrape(client.url)

    name = "smsim_client_campaign_messages_total"
    for campaign_id in (first, second):
        report = _api(client, "GET", f"/api/campaigns/{campaign_id}/stats")
        for outcome in ("targeted", "sent", "delivered", "failed"):
            assert (
                value(samples, name, campaign_id=str(campaign_id), outcome=outcome)
                == (report[outcome])
            ), (campaign_id, outcome)
        pending = value(samples, "smsim_client_campaign_pending", campaign_id=str(campaign_id))
        assert pending == report["pending"] == 0
    assert [
        value(samples, name, campaign_id=str(first), outcome=o)
        for o in ("targeted", "sent", "delivered", "failed")
    ] == [7, 6, 4, 3]
    assert value(samples, "smsim_client_messages_total", outcome="targeted") == 9
    assert value(samples, "smsim_client_messages_total", outcome="delivered") == 6
    assert value(before_delivery, "smsim_client_campaign_pending", campaign_id=str(first)) == 6
    assert value(before_delivery, name, campaign_id=str(first), outcome="failed") == 1
    assert value(samples, "smsim_client_campaigns", state="finished") == 2
    # every status callback smsim delivered to the receiver was recorded and counted once
    delivered_callbacks = Counter(
        a["params"]["MessageStatus"]
        for a in smsim_control.callbacks(kind="status")
        if a["status_code"] == 200
    )
    received = {
        s.labels["status"]: s.value for s in samples["smsim_client_callbacks_received_total"]
    }
    assert received == delivered_callbacks
    assert received["delivered"] == 6 and received["undelivered"] == 2
    assert value(samples, "smsim_client_replies_received_total") == 3
    assert value(before_delivery, "smsim_client_callbacks_received_total", status="sent") == 0


def test_a_repeated_callback_is_counted_once(
    client: ClientServer, smsim_control: ControlClient
) -> None:
    _provider(client, smsim_control)
    _campaign(client, DELIVERED[:1])
    smsim_control.run_until_idle()
    once = scrape(client.url)
    attempt = smsim_control.callbacks(kind="status")[-1]
    redelivered = smsim_control._call("POST", f"/callbacks/{attempt['id']}/redeliver")
    assert redelivered["status_code"] == 200

    again = scrape(client.url)

    name = "smsim_client_callbacks_received_total"
    assert value(once, name, status="delivered") == value(again, name, status="delivered") == 1
    assert sum(s.value for s in again[name]) == 2  # sent and delivered


def test_a_fresh_integration_starts_its_counts_again(
    client: ClientServer, smsim_control: ControlClient
) -> None:
    _provider(client, smsim_control)
    _campaign(client, DELIVERED[:2])
    smsim_control.run_until_idle()
    assert value(scrape(client.url), "smsim_client_callbacks_received_total", status="sent") == 2

    client.reset_integration()

    samples = scrape(client.url)
    assert "smsim_client_callbacks_received_total" not in samples
    assert value(samples, "smsim_client_messages_total", outcome="targeted") == 0


def test_an_api_reset_starts_the_counts_again(
    client: ClientServer, smsim_control: ControlClient
) -> None:
    account = _provider(client, smsim_control)
    _campaign(client, DELIVERED[:2])
    smsim_control.run_until_idle()
    before = scrape(client.url)  # tallied before the reset

    _api(client, "POST", "/api/reset")
    _provider(client, smsim_control, account)
    _campaign(client, DELIVERED[:1])
    smsim_control.run_until_idle()

    after = scrape(client.url)
    name = "smsim_client_callbacks_received_total"
    assert value(before, name, status="delivered") == 2
    assert value(after, name, status="delivered") == 1
    assert value(after, "smsim_client_messages_total", outcome="targeted") == 1
