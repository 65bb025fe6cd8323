"""The integration end to end against a fake Twilio: sends, signed callbacks, stats, events.

Callbacks are posted the way Twilio posts them (form body, X-Twilio-Signature computed by
the official SDK's validator) to the StatusCallback URL the client gave the fake.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import requests
from client_helpers import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    FROM,
    OTHER_TOKEN,
    FakeTwilio,
    post_signed,
    provider_settings,
    query_of,
    sign,
    status_params,
)

from smsim.client import ClientConfig, ClientServer
from smsim.contracts import validate
from smsim.contracts.verify import VerifyConfig, run

OK_1, OK_2, OK_3 = "+14155550101", "+14155550102", "+14155550103"


def api(server: ClientServer, method: str, path: str, **kw: Any) -> requests.Response:
    return requests.request(method, server.url + path, timeout=30, **kw)


def add_provider(server: ClientServer, **overrides: Any) -> dict[str, Any]:
    resp = api(server, "POST", "/api/providers", json=provider_settings(**overrides))
    assert resp.status_code == 201, resp.text
    return resp.json()


def campaign(server: ClientServer, recipients: list[str], **kw: Any) -> dict[str, Any]:
    payload = {"message": kw.pop("message", "Hello ☀ from Acme"), "recipients": recipients, **kw}
    resp = api(server, "POST", "/api/campaigns", json=payload)
    assert resp.status_code == 202, resp.text
    campaign_id = resp.json()["id"]
    done = api(server, "GET", f"/api/campaigns/{campaign_id}?wait=30").json()
    assert done["state"] == "finished", done
    return stats(server, f"/api/campaigns/{campaign_id}/stats")


def stats(server: ClientServer, path: str) -> dict[str, Any]:
    body = api(server, "GET", path).json()
    validate("stats_report", body)
    return body


def callback(fake: FakeTwilio, to: str, status: str, **kw: Any) -> requests.Response:
    """Post a signed status callback for the last message sent to ``to``."""
    sent = fake.sent_to(to)
    return post_signed(sent["StatusCallback"], status_params(sent["_sid"], status, to, **kw))


def test_send_test_sms_shows_sid_and_status_callback_carries_account_and_meta(
    client_server: ClientServer, fake_twilio: FakeTwilio
) -> None:
    provider = add_provider(client_server)
    resp = api(
        client_server,
        "POST",
        f"/api/providers/{provider['id']}/test-sms",
        json={"country_code": "+1", "mobile_number": "(415) 555-0101", "message": "Test ✓"},
    )
    result = resp.json()
    assert resp.status_code == 200 and result["ok"] is True
    assert result["sid"].startswith("SM") and result["to"] == OK_1
    sent = fake_twilio.sent_to(OK_1)
    assert (sent["From"], sent["Body"]) == (FROM, "Test ✓")
    assert sent["StatusCallback"].startswith(client_server.url + "/sms/twilio?")
    query = query_of(sent["StatusCallback"])
    assert query["account"] == "acme"
    campaign_id, message_id, epoch, date, variant, provider_id = query["meta"].split(".")
    assert (campaign_id, message_id, variant, provider_id) == (
        "0",
        str(result["message_id"]),
        "0",
        str(provider["id"]),
    )
    assert len(date) == 8 and epoch.isdigit()
    assert callback(fake_twilio, OK_1, "delivered").status_code == 200
    assert stats(client_server, f"/api/providers/{provider['id']}/stats")["delivered"] == 1


def test_test_sms_on_a_trial_account_explains_unverified_numbers(
    client_server: ClientServer, fake_twilio: FakeTwilio
) -> None:
    fake_twilio.trial[ACCOUNT_SID] = {OK_1}
    add_provider(client_server)
    result = api(
        client_server,
        "POST",
        "/api/providers/twilio-main/test-sms",
        json={"country_code": "1", "mobile_number": "4155550102", "message": "hi"},
    ).json()
    assert result["ok"] is False
    assert result["error_code"] == 21608
    assert "unverified" in result["twilio_message"]
    assert "verified" in result["error_description"].lower()
    assert "trial account" in result["hint"] and OK_2 in result["hint"]
    bad = api(
        client_server,
        "POST",
        "/api/providers/twilio-main/test-sms",
        json={"country_code": "999", "mobile_number": "12", "message": "hi"},
    )
    assert bad.status_code == 400
    assert set(bad.json()["fields"]) == {"mobile_number"}


def test_campaign_counts_sync_errors_and_callbacks_exactly(
    client_server: ClientServer, fake_twilio: FakeTwilio
) -> None:
    provider = add_provider(client_server)
    recipients = [OK_1, OK_2, OK_3, "+15005550009", "+15005550004", "+15005550077", OK_1]
    first = campaign(client_server, recipients)
    cid = first["campaign_id"]
    assert (first["targeted"], first["sent"], first["failed"]) == (6, 3, 3)
    assert first["errors"] == {"21610": 1, "21614": 1, "21699": 1}
    details = {d["code"]: d for d in first["error_details"]}
    assert details[21699] == {
        "code": 21699,
        "count": 1,
        "description": "Some error the catalogue does not know",
        "in_catalogue": False,
        "clevertap_description": None,
        "twilio_title": None,
    }
    assert details[21610]["in_catalogue"] is True
    assert first["pending"] == 3

    # Out of order and repeated: delivered before sent, a second delivered, sent afterwards.
    assert callback(fake_twilio, OK_1, "delivered").json()["outcome"] == "applied"
    assert callback(fake_twilio, OK_1, "delivered").json()["outcome"] == "duplicate"
    assert callback(fake_twilio, OK_1, "sent").json()["outcome"] == "stale"
    callback(fake_twilio, OK_2, "sent")
    callback(fake_twilio, OK_2, "undelivered", error_code=30005)
    callback(fake_twilio, OK_2, "delivered")  # a later terminal status never overwrites
    callback(fake_twilio, OK_3, "failed", error_code=30008, SomeNewField="x")

    report = stats(client_server, f"/api/campaigns/{cid}/stats")
    assert (report["sent"], report["delivered"], report["failed"], report["pending"]) == (
        3,
        1,
        5,
        0,
    )
    assert report["errors"] == {"21610": 1, "21614": 1, "21699": 1, "30005": 1, "30008": 1}
    assert {d["code"]: d["description"] for d in report["error_details"]}[30005] == (
        "Unknown destination handset"
    )
    assert report["clicked"] is None and report["ctr"] is None

    events = api(client_server, "GET", f"/api/events?campaign_id={cid}").json()["events"]
    names = [e["name"] for e in events]
    assert names.count("Notification Sent") == 3
    assert names.count("Notification Delivered") == 1
    failed = [e["props"]["error_code"] for e in events if e["name"] == "Notification Failed"]
    assert sorted(failed) == [21610, 21614, 21699, 30005, 30008]
    provider_report = stats(client_server, f"/api/providers/{provider['id']}/stats")
    assert provider_report["errors"] == report["errors"]
    assert provider_report["unattributed"] == {
        "callbacks": 0,
        "by_status": {},
        "delivered": 0,
        "failed": 0,
        "errors": {},
        "replies": 0,
    }


def test_forged_replayed_and_malformed_callbacks_change_nothing(
    client_server: ClientServer, fake_twilio: FakeTwilio
) -> None:
    provider = add_provider(client_server)
    cid = campaign(client_server, [OK_1])["campaign_id"]
    sent = fake_twilio.sent_to(OK_1)
    url = sent["StatusCallback"]
    before = stats(client_server, f"/api/campaigns/{cid}/stats")

    forged = post_signed(url, status_params(sent["_sid"], "delivered", OK_1), token=OTHER_TOKEN)
    assert forged.status_code == 403
    unsigned = requests.post(url, data=status_params(sent["_sid"], "delivered", OK_1), timeout=5)
    assert unsigned.status_code == 403
    # A genuine signature over different parameters (tampered body) does not verify either.
    genuine = sign(url, status_params(sent["_sid"], "sent", OK_1))
    tampered = post_signed(url, status_params(sent["_sid"], "delivered", OK_1), signature=genuine)
    assert tampered.status_code == 403
    # Signed but malformed: no MessageSid, or a non-numeric ErrorCode.
    no_sid = {
        k: v for k, v in status_params(sent["_sid"], "failed", OK_1).items() if "Sid" not in k
    }
    no_sid["AccountSid"] = ACCOUNT_SID
    assert post_signed(url, no_sid).status_code == 400
    bad_code = status_params(sent["_sid"], "failed", OK_1, ErrorCode="oops")
    assert post_signed(url, bad_code).status_code == 400
    assert stats(client_server, f"/api/campaigns/{cid}/stats") == before
    assert api(client_server, "GET", "/api/events?name=Notification Delivered").json() == {
        "events": []
    }

    # A genuine callback replayed many times counts once.
    for _ in range(3):
        assert callback(fake_twilio, OK_1, "delivered").status_code == 200
    assert stats(client_server, f"/api/campaigns/{cid}/stats")["delivered"] == 1
    provider_report = stats(client_server, f"/api/providers/{provider['id']}/stats")
    assert provider_report["delivered"] == 1


def test_unknown_meta_or_sid_is_acknowledged_as_unattributed(
    client_server: ClientServer, fake_twilio: FakeTwilio
) -> None:
    provider = add_provider(client_server)
    base = client_server.url + "/sms/twilio"
    seed_style = base + (
        "?account=acme&meta=000000000.1200000000.1691686363.20230810.0.wzrk_default.-4930006"
    )
    stranger = "SM" + "f" * 32
    resp = post_signed(seed_style, status_params(stranger, "failed", OK_1, error_code=30005))
    assert resp.status_code == 200 and resp.json()["outcome"] == "unattributed"
    resp = post_signed(base, status_params(stranger, "failed", OK_1, error_code=30005))
    assert resp.json()["outcome"] == "duplicate"
    report = stats(client_server, f"/api/providers/{provider['id']}/stats")
    assert report["unattributed"]["callbacks"] == 1
    assert report["unattributed"]["by_status"] == {"failed": 1}
    # Counted for the provider (what Twilio reported for its account), not for a campaign.
    assert (report["failed"], report["errors"], report["targeted"]) == (1, {"30005": 1}, 0)
    assert report["unattributed"]["errors"] == {"30005": 1}
    # A later delivered for the same unknown SID does not overwrite its first final status.
    post_signed(base, status_params(stranger, "delivered", OK_1))
    report = stats(client_server, f"/api/providers/{provider['id']}/stats")
    assert (report["delivered"], report["failed"]) == (0, 1)


def test_replies_are_events_with_body_and_sender(
    client_server: ClientServer, fake_twilio: FakeTwilio
) -> None:
    provider = add_provider(client_server)
    cid = campaign(client_server, [OK_1])["campaign_id"]
    inbound_url = client_server.url + "/sms/twilio?account=acme"
    reply = {
        "ToCountry": "US",
        "SmsMessageSid": "SM" + "1" * 32,
        "NumMedia": "0",
        "SmsSid": "SM" + "1" * 32,
        "SmsStatus": "received",
        "Body": "Yes please ✓",
        "To": FROM,
        "NumSegments": "1",
        "MessageSid": "SM" + "1" * 32,
        "AccountSid": ACCOUNT_SID,
        "From": OK_1,
        "ApiVersion": "2010-04-01",
    }
    resp = post_signed(inbound_url, reply)
    assert resp.status_code == 200
    assert resp.headers["Content-Type"].startswith("text/xml")
    assert "<Response>" in resp.text
    post_signed(inbound_url, reply)  # Twilio retried: still one reply
    stranger = reply | {"MessageSid": "SM" + "2" * 32, "From": "+14155550199", "Body": "who?"}
    post_signed(inbound_url, stranger)

    assert stats(client_server, f"/api/campaigns/{cid}/stats")["replied"] == 1
    report = stats(client_server, f"/api/providers/{provider['id']}/stats")
    assert (report["replied"], report["unattributed"]["replies"]) == (2, 1)
    events = api(client_server, "GET", "/api/events?name=Notification Replied").json()["events"]
    assert [(e["campaign_id"], e["props"]["from"], e["props"]["body"]) for e in events] == [
        (cid, OK_1, "Yes please ✓"),
        (None, "+14155550199", "who?"),
    ]


def test_click_tracking_short_links_unique_clicks_and_ctr(
    client_server: ClientServer, fake_twilio: FakeTwilio
) -> None:
    add_provider(client_server)
    report = campaign(
        client_server,
        [OK_1, OK_2],
        message="Deals at https://shop.example/deals?id=7 today",
        click_tracking=True,
    )
    cid = report["campaign_id"]
    assert (report["clicked"], report["ctr"]) == (0, None)
    body_1, body_2 = fake_twilio.sent_to(OK_1)["Body"], fake_twilio.sent_to(OK_2)["Body"]
    assert "shop.example" not in body_1 and body_1 != body_2
    link_1 = body_1.split()[2]
    assert link_1.startswith(client_server.url + "/c/")
    for _ in range(2):
        resp = requests.get(link_1, allow_redirects=False, timeout=5)
        assert resp.status_code == 302
        assert resp.headers["Location"] == "https://shop.example/deals?id=7"
    callback(fake_twilio, OK_1, "delivered")
    callback(fake_twilio, OK_2, "delivered")
    report = stats(client_server, f"/api/campaigns/{cid}/stats")
    assert (report["clicked"], report["clicks"], report["ctr"]) == (1, 2, 0.5)
    clicked = api(client_server, "GET", "/api/events?name=Notification Clicked").json()["events"]
    assert [e["props"]["to"] for e in clicked] == [OK_1, OK_1]


def test_custom_callback_url_is_used_and_verified_with_its_raw_query(
    client_server: ClientServer, fake_twilio: FakeTwilio
) -> None:
    # A custom URL (here our own receiver, reached with an extra raw query part that
    # request.url would re-quote) is used verbatim as the StatusCallback base.
    custom = client_server.url + "/sms/twilio?src=edge/1"
    provider = add_provider(client_server, callback_url=custom)
    assert provider["callback_url"] == custom
    cid = campaign(client_server, [OK_1])["campaign_id"]
    assert fake_twilio.sent_to(OK_1)["StatusCallback"].startswith(custom + "&account=acme&meta=")
    assert callback(fake_twilio, OK_1, "delivered").status_code == 200
    assert stats(client_server, f"/api/campaigns/{cid}/stats")["delivered"] == 1
    api(client_server, "POST", f"/api/providers/{provider['id']}/restore-callback")
    campaign(client_server, [OK_2])
    assert fake_twilio.sent_to(OK_2)["StatusCallback"].startswith(
        client_server.url + "/sms/twilio?account=acme&meta="
    )


def test_service_sid_sends_through_the_messaging_service_and_from_is_sticky(
    client_server: ClientServer, fake_twilio: FakeTwilio
) -> None:
    service = "MG" + "ab" * 16
    add_provider(client_server, nickname="copilot", from_numbers=None, service_sid=service)
    campaign(client_server, [OK_1], provider="copilot")
    sent = fake_twilio.sent_to(OK_1)
    assert sent["MessagingServiceSid"] == service and "From" not in sent
    numbers = ["+15005550006", "+15005550016", "+15005550026"]
    add_provider(client_server, nickname="pool", from_numbers=numbers)
    recipients = [f"+1415555{i:04d}" for i in range(30)]
    campaign(client_server, recipients, provider="pool")
    campaign(client_server, recipients, provider="pool")
    by_to: dict[str, set[str]] = {}
    for r in fake_twilio.requests:
        if r["To"] in recipients:
            by_to.setdefault(r["To"], set()).add(r["From"])
    assert all(len(froms) == 1 for froms in by_to.values())
    assert set().union(*by_to.values()) == set(numbers)


def test_a_large_campaign_goes_out_concurrently_and_counts_exactly(
    client_server: ClientServer, fake_twilio: FakeTwilio
) -> None:
    add_provider(client_server)
    recipients = [f"+1628555{i:04d}" for i in range(500)]
    report = campaign(client_server, recipients)
    assert (report["targeted"], report["sent"], report["failed"]) == (500, 500, 0)
    assert len({r["_sid"] for r in fake_twilio.requests}) == 500


def test_twilio_unreachable_is_a_failure_without_code(fake_twilio: FakeTwilio) -> None:
    config = ClientConfig(memory=True, twilio_base_url="http://127.0.0.1:9", account_id="acme")
    with ClientServer(config) as server:
        add_provider(server)
        report = campaign(server, [OK_1])
        assert (report["failed"], report["failed_without_code"], report["errors"]) == (1, 1, {})
        result = api(
            server,
            "POST",
            "/api/providers/1/test-sms",
            json={"country_code": "1", "mobile_number": "4155550101", "message": "hi"},
        ).json()
        assert result["ok"] is False and "could not reach Twilio" in result["error_description"]


def test_state_survives_a_restart_with_a_database_file(
    tmp_path: Path, fake_twilio: FakeTwilio
) -> None:
    db = str(tmp_path / "client.db")
    config = ClientConfig(db_path=db, twilio_base_url=fake_twilio.url, account_id="acme")
    with ClientServer(config) as server:
        add_provider(server)
        cid = campaign(server, [OK_1])["campaign_id"]
    with ClientServer(config) as server:
        # The new server has another port: the callback URL Twilio has still works
        # once routed to it, because the receiver verifies against the URL requested.
        sent = fake_twilio.sent_to(OK_1)
        path_qs = sent["StatusCallback"].split("/sms/twilio", 1)[1]
        resp = post_signed(
            server.url + "/sms/twilio" + path_qs, status_params(sent["_sid"], "delivered", OK_1)
        )
        assert resp.status_code == 200
        report = stats(server, f"/api/campaigns/{cid}/stats")
        assert (report["sent"], report["delivered"]) == (1, 1)
        assert [
            p["nickname"] for p in api(server, "GET", "/api/providers").json()["providers"]
        ] == ["twilio-main"]


def test_event_counts_per_day_and_hour(
    client_server: ClientServer, fake_twilio: FakeTwilio
) -> None:
    add_provider(client_server)
    campaign(client_server, [OK_1, OK_2])
    callback(fake_twilio, OK_1, "delivered")
    for bucket in ("day", "hour"):
        series = api(client_server, "GET", f"/api/events/counts?bucket={bucket}").json()["series"]
        assert len(series) == 1
        assert series[0]["counts"] == {"Notification Delivered": 1, "Notification Sent": 2}
    assert len(series[0]["period"]) == len("2024-01-01T10:00Z")


def test_smsim_verify_passes_against_the_receiver_and_provider_stats(
    client_server: ClientServer,
) -> None:
    provider = add_provider(client_server)
    config = VerifyConfig(
        callback_url=client_server.url + "/sms/twilio?account=acme",
        auth_token=AUTH_TOKEN,
        stats_url=f"{client_server.url}/api/providers/{provider['id']}/stats",
    )
    report = run(config)
    assert report.passed, [(r.name, r.reason, r.exchanges) for r in report.failures]
