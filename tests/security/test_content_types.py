"""JSON routes read JSON only: a body sent without ``Content-Type: application/json``
(curl's ``-d`` sends a form type, requests' ``data=`` sends none) is answered 415 naming
the expected type, and nothing is created from a body that was not read."""

from __future__ import annotations

import pytest
from security_helpers import TIMEOUT, add_provider, control_state, http, seed_state

FORM = "application/x-www-form-urlencoded"
CASES = [
    {"Content-Type": FORM},  # curl -d
    {"Content-Type": "text/plain"},
    {},  # requests' data= with bytes: no Content-Type at all
    {"Content-Type": "multipart/form-data; boundary=x"},
]
CASE_IDS = ["form", "text-plain", "none", "multipart"]


def post(url: str, body: bytes, headers: dict[str, str], method: str = "POST"):
    with http() as session:
        return session.request(method, url, data=body, headers=headers, timeout=TIMEOUT)


def assert_415(response) -> str:
    assert response.status_code == 415, response.text
    body = response.json()
    message = body.get("message") or body.get("error")
    assert "Content-Type: application/json" in message
    return message


@pytest.mark.parametrize("headers", CASES, ids=CASE_IDS)
def test_control_routes_refuse_non_json_bodies_and_create_nothing(sim, headers):
    account = seed_state(sim)
    before = control_state(sim)
    base = f"{sim.url}/_smsim"

    answers = [
        post(f"{base}/accounts", b'{"type":"trial"}', headers),
        post(
            f"{base}/rules", b'{"match": {"to": "+1"}, "outcome": {"error_code": 30005}}', headers
        ),
        post(
            f"{base}/accounts/{account['sid']}/numbers", b'{"phone_number":"+14155550177"}', headers
        ),
        post(f"{base}/accounts/{account['sid']}/suspend", b"x", headers),
        post(f"{base}/reset", b"x", headers),
        post(
            f"{base}/inbound",
            b'{"from": "+14155550199", "to": "+14155550111", "body": "hi"}',
            headers,
        ),
    ]

    for response in answers:
        error = response.json()
        assert set(error) == {"code", "message", "more_info", "status"}
        assert error["status"] == 415
        assert_415(response)
    assert control_state(sim) == before


def test_the_reported_curl_command_no_longer_creates_a_full_account(sim):
    before = len(control_state(sim)["accounts"])
    response = post(f"{sim.url}/_smsim/accounts", b'{"type":"trial"}', {"Content-Type": FORM})
    message = assert_415(response)
    assert FORM in message and "nothing was changed" in message
    assert len(control_state(sim)["accounts"]) == before


def test_json_bodies_with_a_charset_and_empty_bodies_still_work(sim):
    created = post(
        f"{sim.url}/_smsim/accounts",
        b'{"type":"trial"}',
        {"Content-Type": "application/json; charset=utf-8"},
    )
    assert created.status_code == 201 and created.json()["type"] == "trial"
    # An empty body needs no type: scripts POST /reset and /clock/run-until-idle bare.
    assert post(f"{sim.url}/_smsim/clock/run-until-idle", b"", {}).status_code == 200
    assert post(f"{sim.url}/_smsim/reset", b"", {"Content-Type": FORM}).status_code == 200


def test_broken_json_with_the_right_type_is_a_400_naming_the_problem(sim):
    response = post(f"{sim.url}/_smsim/accounts", b"{nope", {"Content-Type": "application/json"})
    assert response.status_code == 400 and "JSON object" in response.json()["message"]


@pytest.mark.parametrize("headers", CASES, ids=CASE_IDS)
def test_client_api_refuses_non_json_bodies_and_changes_nothing(start_client, headers):
    client = start_client()
    provider = add_provider(client)
    api = f"{client.url}/api"

    answers = [
        post(f"{api}/providers", b'{"nickname": "second"}', headers),
        post(f"{api}/providers/{provider['id']}", b'{"nickname": "renamed"}', headers, "PATCH"),
        post(f"{api}/providers/{provider['id']}/restore-callback", b"x=1", headers),
        post(f"{api}/campaigns", b'{"message": "hi", "recipients": ["+14155550100"]}', headers),
        post(f"{api}/providers/{provider['id']}", b"x", headers, "DELETE"),
    ]

    for response in answers:
        assert set(response.json()) == {"error", "fields"}
        assert_415(response)
    [kept] = client.integration.list_providers()
    assert kept["nickname"] == "main"
    assert kept["callback_url"] == "https://hooks.example.com/custom"
    assert client.integration.list_campaigns() == []


def test_client_api_still_takes_json(start_client):
    client = start_client()
    with http() as session:
        created = session.post(
            f"{client.url}/api/providers",
            json={
                "nickname": "json",
                "account_sid": "AC" + "c" * 32,
                "auth_token": "d" * 32,
                "from_numbers": ["+14155550100"],
            },
            timeout=TIMEOUT,
        )
    assert created.status_code == 201 and created.json()["nickname"] == "json"


def test_the_callback_receiver_keeps_its_own_form_only_rule(start_client):
    client = start_client()
    response = post(
        f"{client.url}/sms/twilio", b'{"MessageSid": "x"}', {"Content-Type": "application/json"}
    )
    assert response.status_code == 415
    assert "x-www-form-urlencoded" in response.json()["error"]
