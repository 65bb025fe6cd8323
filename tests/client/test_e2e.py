"""End to end: the client app and the simulator, both on free ports, virtual time.

The simulator (smsim's pytest plugin fixtures ``simulator``, ``smsim_control``,
``callback_recorder``) plays Twilio; the integration is driven through its HTTP API as a
dashboard would. Every expectation is computed from what was sent, so the stats must
match exactly.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
from client_helpers import OTHER_TOKEN, post_signed

from smsim.client import ClientConfig, ClientServer
from smsim.contracts import catalogue, validate
from smsim.testing import CallbackRecorder, ControlClient

TWILIO_NUMBER = "+15017250604"
TRIAL_NUMBER = "+15017250605"
NORMAL = ["+14155550101", "+14155550102", "+14155550103"]
OPTED_OUT = "+14155550199"
MAGIC_21614, MAGIC_21610 = "+15005550009", "+15005550004"


@pytest.fixture
def client(simulator: Any) -> Iterator[ClientServer]:
    config = ClientConfig(memory=True, twilio_base_url=simulator.url, account_id="acme")
    with ClientServer(config) as server:
        yield server


def api(server: ClientServer, method: str, path: str, **kw: Any) -> Any:
    resp = requests.request(method, server.url + path, timeout=60, **kw)
    assert resp.status_code < 300, resp.text
    return resp.json() if resp.content else None


def stats(server: ClientServer, path: str) -> dict[str, Any]:
    body = api(server, "GET", path)
    validate("stats_report", body)
    return body


def run_campaign(server: ClientServer, payload: dict[str, Any]) -> dict[str, Any]:
    """POST a campaign (202 at once), wait until it is handed to Twilio, return its stats."""
    resp = requests.post(server.url + "/api/campaigns", json=payload, timeout=60)
    assert resp.status_code == 202, resp.text
    campaign_id = resp.json()["id"]
    done = api(server, "GET", f"/api/campaigns/{campaign_id}?wait=30")
    assert done["state"] == "finished" and done["progress"]["to_send"] == 0, done
    return stats(server, f"/api/campaigns/{campaign_id}/stats")


def setup_provider(
    client: ClientServer, control: ControlClient, kind: str = "full", **settings: Any
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A Twilio account whose number's SmsUrl is the client's receiver, and its provider."""
    number = TWILIO_NUMBER if kind == "full" else TRIAL_NUMBER
    account = control.create_account(
        kind,
        numbers=[{"phone_number": number, "sms_url": client.url + "/sms/twilio?account=acme"}],
        verified_numbers=settings.pop("verified_numbers", []),
    )
    provider = api(
        client,
        "POST",
        "/api/providers",
        json={
            "nickname": settings.pop("nickname", f"twilio-{kind}"),
            "account_sid": account["sid"],
            "auth_token": account["auth_token"],
            "from_numbers": [number],
            **settings,
        },
    )
    validate("provider_settings", provider)
    return account, provider


def test_a_configured_provider_sends_a_test_sms_and_gets_its_delivery(
    client: ClientServer, smsim_control: ControlClient
) -> None:
    _, provider = setup_provider(client, smsim_control)
    result = api(
        client,
        "POST",
        f"/api/providers/{provider['id']}/test-sms",
        json={"country_code": "+1", "mobile_number": "415-555-0101", "message": "Test SMS ✓"},
    )
    assert result["ok"] is True and result["sid"].startswith("SM")
    assert stats(client, f"/api/providers/{provider['id']}/stats")["delivered"] == 0
    smsim_control.run_until_idle()
    report = stats(client, f"/api/providers/{provider['id']}/stats")
    assert (report["sent"], report["delivered"], report["pending"]) == (1, 1, 0)
    attempts = smsim_control.callbacks(message_sid=result["sid"])
    assert attempts and all(a["status_code"] == 200 for a in attempts)
    assert all(
        a["url"].startswith(client.url + "/sms/twilio?account=acme&meta=0.") for a in attempts
    )
    delivered = api(client, "GET", "/api/events?name=Notification Delivered")["events"]
    assert [e["props"]["sid"] for e in delivered] == [result["sid"]]


def test_campaign_to_a_mix_of_numbers_has_stats_that_match_what_was_sent(
    client: ClientServer, smsim_control: ControlClient
) -> None:
    _, provider = setup_provider(client, smsim_control)
    # A handset opts out by texting STOP; Twilio then refuses to send to it (21610).
    smsim_control.inbound(from_=OPTED_OUT, to=TWILIO_NUMBER, body="STOP")
    async_codes = [c for c in catalogue.seed_codes() if c >= 30000]
    error_numbers = {f"+1500555{c - 27000:04d}": c for c in async_codes}  # 30005 -> +15005553005
    recipients = [*NORMAL, *error_numbers, MAGIC_21614, MAGIC_21610, OPTED_OUT]
    report = run_campaign(client, {"message": "Sale ☀", "recipients": recipients})
    cid = report["campaign_id"]
    assert (report["targeted"], report["sent"], report["failed"]) == (len(recipients), 13, 3)
    assert report["errors"] == {"21610": 2, "21614": 1}

    smsim_control.run_until_idle()
    report = stats(client, f"/api/campaigns/{cid}/stats")
    expected_errors = {str(c): 1 for c in async_codes} | {"21610": 2, "21614": 1}
    assert report["errors"] == expected_errors
    assert report["delivered"] == len(NORMAL)
    assert report["failed"] == len(async_codes) + 3
    assert (report["sent"], report["pending"], report["failed_without_code"]) == (13, 0, 0)
    assert {d["code"]: d["description"] for d in report["error_details"]} == {
        int(c): catalogue.describe(int(c)) for c in expected_errors
    }
    assert all(d["in_catalogue"] for d in report["error_details"])
    assert report["clicked"] is None and report["replied"] == 0

    attempts = smsim_control.callbacks(kind="status")
    assert attempts and all(a["status_code"] == 200 for a in attempts)
    provider_report = stats(client, f"/api/providers/{provider['id']}/stats")
    assert provider_report["errors"] == expected_errors
    assert provider_report["unattributed"]["callbacks"] == 0
    # The STOP itself reached the receiver as a reply from a handset never texted before.
    assert provider_report["unattributed"]["replies"] == 1
    failed = api(client, "GET", f"/api/events?name=Notification Failed&campaign_id={cid}")
    assert sorted(e["props"]["error_code"] for e in failed["events"]) == sorted(
        [*async_codes, 21610, 21610, 21614]
    )


def test_trial_account_refuses_unverified_numbers_with_21608(
    client: ClientServer, smsim_control: ControlClient
) -> None:
    verified = NORMAL[0]
    _, provider = setup_provider(client, smsim_control, "trial", verified_numbers=[verified])
    result = api(
        client,
        "POST",
        f"/api/providers/{provider['id']}/test-sms",
        json={"country_code": "1", "mobile_number": NORMAL[1][2:], "message": "hi"},
    )
    assert (result["ok"], result["error_code"]) == (False, 21608)
    assert "unverified" in result["twilio_message"] and "trial" in result["hint"]
    report = run_campaign(client, {"message": "hi", "recipients": NORMAL})
    smsim_control.run_until_idle()
    report = stats(client, f"/api/campaigns/{report['campaign_id']}/stats")
    assert (report["sent"], report["delivered"], report["failed"]) == (1, 1, 2)
    assert report["errors"] == {"21608": 2}


def test_custom_callback_url_receives_callbacks_and_restore_routes_them_back(
    client: ClientServer, smsim_control: ControlClient, callback_recorder: CallbackRecorder
) -> None:
    custom = callback_recorder.url("/my/twilio/hook")
    _, provider = setup_provider(client, smsim_control, callback_url=custom)
    first = run_campaign(client, {"message": "a", "recipients": [NORMAL[0]]})
    smsim_control.run_until_idle()
    to_custom = smsim_control.callbacks(url=custom)
    assert to_custom, "the simulator posted no callback to the custom URL"
    assert all(a["url"].startswith(custom + "?account=acme&meta=") for a in to_custom)
    assert {r.params["MessageStatus"] for r in callback_recorder.requests} >= {"delivered"}
    assert stats(client, f"/api/campaigns/{first['campaign_id']}/stats")["delivered"] == 0

    restored = api(client, "POST", f"/api/providers/{provider['id']}/restore-callback")
    assert restored["callback_url"] == client.url + "/sms/twilio"
    second = run_campaign(client, {"message": "b", "recipients": [NORMAL[1]]})
    smsim_control.run_until_idle()
    assert len(smsim_control.callbacks(url=custom)) == len(to_custom)
    back = [a for a in smsim_control.callbacks() if a["url"].startswith(client.url + "/sms/twilio")]
    assert back and all(a["status_code"] == 200 for a in back)
    assert stats(client, f"/api/campaigns/{second['campaign_id']}/stats")["delivered"] == 1


def test_forged_replayed_and_malformed_callbacks_change_nothing(
    client: ClientServer, smsim_control: ControlClient
) -> None:
    account, provider = setup_provider(client, smsim_control)
    report = run_campaign(
        client,
        {"message": "x", "recipients": ["+15005553005", NORMAL[0]]},
    )
    smsim_control.run_until_idle()
    path = f"/api/campaigns/{report['campaign_id']}/stats"
    before = stats(client, path)
    provider_before = stats(client, f"/api/providers/{provider['id']}/stats")
    events_before = api(client, "GET", "/api/events?limit=1000")
    attempt = next(
        a for a in smsim_control.callbacks(kind="status") if a["params"].get("ErrorCode")
    )

    # Replayed: the very request the simulator sent, signature and all.
    signature = {k.lower(): v for k, v in attempt["headers"].items()}["x-twilio-signature"]
    replay = requests.post(
        attempt["url"],
        data=attempt["params"],
        headers={"X-Twilio-Signature": signature},
        timeout=10,
    )
    assert replay.status_code == 200 and replay.json()["outcome"] == "duplicate"
    # Forged: the same payload claiming delivery, signed with a wrong token; or unsigned.
    forged = dict(attempt["params"], MessageStatus="delivered", SmsStatus="delivered")
    forged.pop("ErrorCode")
    assert post_signed(attempt["url"], forged, token=OTHER_TOKEN).status_code == 403
    assert requests.post(attempt["url"], data=forged, timeout=10).status_code == 403
    # The genuine signature over a tampered body does not verify either.
    tampered = requests.post(
        attempt["url"], data=forged, headers={"X-Twilio-Signature": signature}, timeout=10
    )
    assert tampered.status_code == 403
    # Malformed: correctly signed but without a MessageSid.
    no_sid = {k: v for k, v in forged.items() if k not in ("MessageSid", "SmsSid")}
    malformed = post_signed(attempt["url"], no_sid, token=account["auth_token"])
    assert malformed.status_code == 400
    bad_code = dict(attempt["params"], ErrorCode="n/a")
    assert post_signed(attempt["url"], bad_code, token=account["auth_token"]).status_code == 400
    assert stats(client, path) == before
    assert stats(client, f"/api/providers/{provider['id']}/stats") == provider_before
    assert api(client, "GET", "/api/events?limit=1000") == events_before


def test_replies_and_clicks_appear_in_stats_and_events(
    client: ClientServer, smsim_control: ControlClient
) -> None:
    setup_provider(client, smsim_control)
    body = "Your offer: https://shop.example/offer?id=42 (reply YES)"
    report = run_campaign(
        client,
        {"message": body, "recipients": NORMAL[:2], "click_tracking": True},
    )
    cid = report["campaign_id"]
    smsim_control.run_until_idle()
    # What the handset received: the tracked link, as the simulator stored the message.
    received = [m for m in smsim_control.messages(to=NORMAL[0]) if m["direction"] == "outbound-api"]
    link = next(w for w in received[0]["body"].split() if w.startswith(client.url + "/c/"))
    for _ in range(2):
        resp = requests.get(link, allow_redirects=False, timeout=10)
        assert (resp.status_code, resp.headers["Location"]) == (
            302,
            "https://shop.example/offer?id=42",
        )
    smsim_control.inbound(from_=NORMAL[0], to=TWILIO_NUMBER, body="YES please")
    smsim_control.run_until_idle()

    report = stats(client, f"/api/campaigns/{cid}/stats")
    assert (report["delivered"], report["clicked"], report["clicks"], report["ctr"]) == (
        2,
        1,
        2,
        0.5,
    )
    assert (report["replied"], report["unique_repliers"]) == (1, 1)
    replied = api(client, "GET", f"/api/events?name=Notification Replied&campaign_id={cid}")
    assert [(e["props"]["from"], e["props"]["body"]) for e in replied["events"]] == [
        (NORMAL[0], "YES please")
    ]
    clicked = api(client, "GET", f"/api/events?name=Notification Clicked&campaign_id={cid}")
    assert [e["props"]["to"] for e in clicked["events"]] == [NORMAL[0], NORMAL[0]]
    counts = api(client, "GET", f"/api/events/counts?bucket=hour&campaign_id={cid}")["series"]
    assert sum(p["counts"].get("Notification Replied", 0) for p in counts) == 1
