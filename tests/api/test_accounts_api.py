"""Accounts, subaccounts, isolation, numbers and verified numbers."""

from __future__ import annotations

import pytest
import requests
from twilio.rest import Client

pytestmark = pytest.mark.both_engines


def _client(sim, account) -> Client:
    client = Client(account["sid"], account["auth_token"], environment={})
    client.api.base_url = sim.url
    return client


def test_no_account_reads_or_writes_another(simulator, smsim_control):
    alice = smsim_control.create_account("full", numbers=["+14155550101"])
    bob = smsim_control.create_account("full", numbers=["+14155550102"])
    sent = _client(simulator, alice).messages.create(
        to="+14155550199", from_="+14155550101", body="private"
    )
    alice_path = f"{simulator.url}/2010-04-01/Accounts/{alice['sid']}"
    bob_auth = (bob["sid"], bob["auth_token"])
    for method, url, data in (
        ("GET", f"{alice_path}/Messages.json", None),
        ("GET", f"{alice_path}/Messages/{sent.sid}.json", None),
        ("POST", f"{alice_path}/Messages.json", {"To": "+1415555019", "Body": "x"}),
        ("DELETE", f"{alice_path}/Messages/{sent.sid}.json", None),
        ("GET", f"{alice_path}.json", None),
    ):
        response = requests.request(method, url, data=data, auth=bob_auth, timeout=5)
        assert response.status_code == 401, (method, url)
        assert response.json()["code"] == 20003
    # Bob's own path cannot name Alice's message either.
    bob_path = f"{simulator.url}/2010-04-01/Accounts/{bob['sid']}/Messages/{sent.sid}.json"
    assert requests.get(bob_path, auth=bob_auth, timeout=5).json()["code"] == 20404
    assert _client(simulator, alice).messages(sent.sid).fetch().body == "private"


def test_parent_reaches_subaccounts_but_siblings_do_not(simulator, smsim_control):
    parent = smsim_control.create_account("full")
    client = _client(simulator, parent)
    sub_a = client.api.accounts.create(friendly_name="child a")
    sub_b = client.api.accounts.create(friendly_name="child b")
    assert sub_a.owner_account_sid == parent["sid"]
    listed = {a.sid for a in client.api.accounts.list()}
    assert {parent["sid"], sub_a.sid, sub_b.sid} <= listed
    assert client.api.accounts(sub_a.sid).fetch().friendly_name == "child a"
    sibling = Client(sub_a.sid, sub_a.auth_token, environment={})
    sibling.api.base_url = simulator.url
    response = requests.get(
        f"{simulator.url}/2010-04-01/Accounts/{sub_b.sid}/Messages.json",
        auth=(sub_a.sid, sub_a.auth_token),
        timeout=5,
    )
    assert response.status_code == 401
    response = requests.get(
        f"{simulator.url}/2010-04-01/Accounts/{parent['sid']}.json",
        auth=(sub_a.sid, sub_a.auth_token),
        timeout=5,
    )
    assert response.status_code == 401


def test_incoming_numbers_and_caller_ids_via_sdk(twilio_client, spec_schema):
    number = twilio_client.incoming_phone_numbers.create(
        phone_number="+14155550177", sms_url="http://127.0.0.1:9/sms", sms_method="GET"
    )
    assert number.sid.startswith("PN") and number.sms_method == "GET"
    updated = twilio_client.incoming_phone_numbers(number.sid).update(
        sms_url="http://127.0.0.1:9/other"
    )
    assert updated.sms_url == "http://127.0.0.1:9/other"
    listed = [n.phone_number for n in twilio_client.incoming_phone_numbers.list()]
    assert "+14155550177" in listed and "+14155550100" in listed
    # Twilio verifies a caller ID by phoning it; the simulator takes the number at once.
    created = requests.post(
        f"{twilio_client.api.base_url}/2010-04-01/Accounts/{twilio_client.username}"
        "/OutgoingCallerIds.json",
        data={"PhoneNumber": "+14155550188"},
        auth=(twilio_client.username, twilio_client.password),
        timeout=5,
    )
    assert created.status_code == 200 and created.json()["phone_number"] == "+14155550188"
    listed_ids = twilio_client.outgoing_caller_ids.list()
    assert [c.phone_number for c in listed_ids] == ["+14155550188"]
    assert twilio_client.outgoing_caller_ids(listed_ids[0].sid).fetch().phone_number == (
        "+14155550188"
    )


def test_number_owned_by_another_account_is_refused(simulator, smsim_control, twilio_client):
    smsim_control.create_account("full", numbers=["+14155550166"])
    response = requests.post(
        f"{simulator.url}/2010-04-01/Accounts/{twilio_client.username}/IncomingPhoneNumbers.json",
        data={"PhoneNumber": "+14155550166"},
        auth=(twilio_client.username, twilio_client.password),
        timeout=5,
    )
    assert response.status_code == 400 and response.json()["code"] == 21422


def test_control_api_rejects_bad_accounts_clearly(simulator):
    base = f"{simulator.url}/_smsim/accounts"
    bad = requests.post(base, json={"type": "gold"}, timeout=5)
    assert bad.status_code == 400 and "type" in bad.json()["message"]
    bad = requests.post(base, data="not json", headers={"Content-Type": "application/json"})
    assert bad.status_code == 400
    bad = requests.post(base, data="not json", timeout=5)  # no Content-Type at all
    assert bad.status_code == 415 and "application/json" in bad.json()["message"]
    before = len(requests.get(base, timeout=5).json()["accounts"])
    bad = requests.post(base, json={"numbers": [{"nope": 1}]}, timeout=5)
    assert bad.status_code == 400 and "numbers[0]" in bad.json()["message"]
    assert len(requests.get(base, timeout=5).json()["accounts"]) == before


def test_openapi_document_lists_every_route(simulator):
    doc = requests.get(f"{simulator.url}/_smsim/openapi.json", timeout=5).json()
    assert doc["openapi"].startswith("3.")
    paths = doc["paths"]
    assert "post" in paths["/2010-04-01/Accounts/{AccountSid}/Messages.json"]
    assert "delete" in paths["/2010-04-01/Accounts/{AccountSid}/Messages/{Sid}.json"]
    for route in ("/_smsim/health", "/_smsim/reset", "/_smsim/accounts", "/_smsim/rules"):
        assert route in paths
