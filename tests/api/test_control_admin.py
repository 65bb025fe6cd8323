"""Control routes behind the inbox's Accounts page: a number's SmsUrl/SmsMethod, Messaging
Services with their sender pools, API keys listed without their secrets."""

from __future__ import annotations

import requests

NUMBER = "+14155550100"
HANDSET = "+12125550123"


def _number_sid(smsim_control, account_sid: str) -> str:
    account = next(a for a in smsim_control.accounts() if a["sid"] == account_sid)
    return account["numbers"][0]["sid"]


def test_setting_sms_url_routes_inbound_messages_there(
    simulator, smsim_control, twilio_account, callback_recorder
):
    sid = twilio_account["sid"]
    number_sid = _number_sid(smsim_control, sid)
    url = f"{simulator.url}/_smsim/accounts/{sid}/numbers/{number_sid}"

    answer = requests.post(
        url, json={"sms_url": callback_recorder.url("/sms"), "sms_method": "get"}, timeout=5
    )
    assert answer.status_code == 200
    assert answer.json()["sms_url"] == callback_recorder.url("/sms")
    assert answer.json()["sms_method"] == "GET"
    listed = next(a for a in smsim_control.accounts() if a["sid"] == sid)["numbers"][0]
    assert listed["sms_url"] == callback_recorder.url("/sms") and listed["sms_method"] == "GET"

    smsim_control.inbound(HANDSET, NUMBER, "hello there")
    smsim_control.run_until_idle()
    assert [(r.method, r.path) for r in callback_recorder.requests] == [("GET", "/sms")]
    assert callback_recorder.requests[0].query.count("Body=hello") == 1

    cleared = requests.post(url, json={"sms_url": ""}, timeout=5).json()
    assert cleared["sms_url"] == ""


def test_bad_number_changes_are_refused_field_by_field_and_nothing_changes(
    simulator, smsim_control, twilio_account
):
    sid = twilio_account["sid"]
    number_sid = _number_sid(smsim_control, sid)
    url = f"{simulator.url}/_smsim/accounts/{sid}/numbers/{number_sid}"
    requests.post(url, json={"sms_url": "http://127.0.0.1:9/keep"}, timeout=5)

    cases = [
        ({"sms_url": "ftp://example.com/x"}, 21502, "sms_url"),
        ({"sms_url": "http://bad_host.example/x"}, 21502, "sms_url"),
        ({"sms_method": "PUT"}, 20001, "sms_method"),
        ({"sms_url": 5}, 20001, "sms_url"),
        ({"voice_url": "http://example.com"}, 20001, "voice_url"),
    ]
    for body, code, field in cases:
        answer = requests.post(url, json=body, timeout=5)
        assert answer.status_code == 400, body
        envelope = answer.json()
        assert envelope["code"] == code and envelope["status"] == 400
        assert envelope["message"].startswith(field), envelope
        assert set(envelope) == {"code", "message", "more_info", "status"}
    not_json = requests.post(url, data="[1]", headers={"Content-Type": "application/json"})
    assert not_json.status_code == 400 and not_json.json()["code"] == 20001

    number = next(a for a in smsim_control.accounts() if a["sid"] == sid)["numbers"][0]
    assert number["sms_url"] == "http://127.0.0.1:9/keep" and number["sms_method"] == "POST"


def test_unknown_account_or_number_is_a_404_envelope(simulator, smsim_control, twilio_account):
    sid = twilio_account["sid"]
    missing_account = "AC" + "0" * 32
    for path, method in (
        (f"/accounts/{missing_account}/services", "GET"),
        (f"/accounts/{missing_account}/keys", "GET"),
        (f"/accounts/{missing_account}/numbers/PN{'1' * 32}", "POST"),
        (f"/accounts/{sid}/numbers/PN{'1' * 32}", "POST"),
    ):
        answer = requests.request(method, f"{simulator.url}/_smsim{path}", json={}, timeout=5)
        assert answer.status_code == 404, path
        assert answer.json()["code"] == 20404


def test_another_accounts_number_cannot_be_changed(simulator, smsim_control, twilio_account):
    other = smsim_control.create_account("full", numbers=["+14155550111"])
    foreign_number = other["numbers"][0]["sid"]
    answer = requests.post(
        f"{simulator.url}/_smsim/accounts/{twilio_account['sid']}/numbers/{foreign_number}",
        json={"sms_url": "http://127.0.0.1:9/steal"},
        timeout=5,
    )
    assert answer.status_code == 404
    untouched = next(a for a in smsim_control.accounts() if a["sid"] == other["sid"])
    assert untouched["numbers"][0]["sms_url"] is None


def test_services_are_listed_with_their_sender_pools(simulator, twilio_client, twilio_account):
    service = twilio_client.messaging.v1.services.create(friendly_name="Alerts")
    number_sid = twilio_client.incoming_phone_numbers.list()[0].sid
    twilio_client.messaging.v1.services(service.sid).phone_numbers.create(
        phone_number_sid=number_sid
    )
    twilio_client.messaging.v1.services.create(friendly_name="Empty")

    answer = requests.get(
        f"{simulator.url}/_smsim/accounts/{twilio_account['sid']}/services", timeout=5
    )

    assert answer.status_code == 200
    listed = answer.json()["services"]
    assert [s["friendly_name"] for s in listed] == ["Alerts", "Empty"]
    assert listed[0]["sid"] == service.sid
    assert [(n["sid"], n["phone_number"]) for n in listed[0]["senders"]] == [(number_sid, NUMBER)]
    assert listed[0]["senders"][0]["date_added"].endswith("Z")
    assert listed[1]["senders"] == []


def test_api_keys_are_listed_without_their_secrets(simulator, smsim_control, twilio_account):
    sid = twilio_account["sid"]
    created = requests.post(
        f"{simulator.url}/_smsim/accounts/{sid}/keys", json={"friendly_name": "ci"}, timeout=5
    ).json()

    answer = requests.get(f"{simulator.url}/_smsim/accounts/{sid}/keys", timeout=5)

    assert answer.status_code == 200
    keys = answer.json()["keys"]
    assert [(k["sid"], k["friendly_name"]) for k in keys] == [(created["sid"], "ci")]
    assert created["secret"] not in answer.text
    assert "T" in keys[0]["date_created"] and keys[0]["date_created"].endswith("Z")
    other = smsim_control.create_account("full")
    assert requests.get(f"{simulator.url}/_smsim/accounts/{other['sid']}/keys").json() == {
        "keys": []
    }
