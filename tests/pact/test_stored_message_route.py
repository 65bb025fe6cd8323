"""``POST /_smsim/messages``: a message stored at a status, as Twilio would show it."""

from __future__ import annotations

import pytest
import requests

SID = "SM" + "ab" * 16


@pytest.fixture
def account(smsim_control):
    return smsim_control.create_account(numbers=["+14155550199"])


def _store(simulator, body):
    return requests.post(f"{simulator.url}/_smsim/messages", json=body, timeout=10)


def test_a_stored_message_reads_back_on_the_twilio_surface(simulator, account) -> None:
    sent = _store(
        simulator,
        {
            "account_sid": account["sid"],
            "sid": SID,
            "to": "+14155550100",
            "from": "+14155550199",
            "body": "Your code is 1234",
            "status": "undelivered",
            "error_code": 30003,
        },
    )
    assert sent.status_code == 201, sent.text
    fetched = requests.get(
        f"{simulator.url}/2010-04-01/Accounts/{account['sid']}/Messages/{SID}.json",
        auth=(account["sid"], account["auth_token"]),
        timeout=10,
    ).json()
    assert fetched["sid"] == SID
    assert fetched["status"] == "undelivered"
    assert fetched["error_code"] == 30003
    assert fetched["error_message"]  # the catalogue's title, as Twilio shows it
    assert fetched["price"] == "-0.00790"  # the carrier took it: billed
    assert fetched["date_sent"] is not None
    assert fetched["direction"] == "outbound-api"


def test_a_queued_message_is_unpriced_and_nothing_is_scheduled(simulator, account) -> None:
    sent = _store(
        simulator,
        {
            "account_sid": account["sid"],
            "to": "+14155550100",
            "from": "+14155550199",
            "body": "hi",
            "status": "queued",
        },
    ).json()
    assert sent["sid"].startswith("SM") and sent["price"] is None and sent["date_sent"] is None
    clock = requests.get(f"{simulator.url}/_smsim/clock", timeout=10).json()
    assert clock["pending_jobs"] == 0


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"status": "lost"}, "status: must be one of"),
        ({"status": "failed"}, "error_code: required with status 'failed'"),
        ({"status": "delivered", "error_code": 30003}, "error_code: only a failed"),
        ({"status": "failed", "error_code": 12}, "error_code: 12 is not in smsim's catalogue"),
        ({"error_code": "x", "status": "failed"}, "error_code: must be a whole number"),
        ({"to": "nope"}, "to: 'nope' is not a phone number"),
        ({"sid": "SM1"}, "sid: must be SM"),
        ({"account_sid": "AC1"}, "account_sid: must be AC"),
        ({"colour": "red"}, "colour: not a field"),
        ({"body": 5}, "body: required, a string"),
    ],
)
def test_bad_fields_are_named_and_nothing_is_stored(simulator, account, change, named) -> None:
    body = {
        "account_sid": account["sid"],
        "to": "+14155550100",
        "from": "+14155550199",
        "body": "hi",
        "status": "delivered",
        **change,
    }
    answer = _store(simulator, body)
    assert answer.status_code == 400, answer.text
    assert named in answer.json()["message"]
    assert requests.get(f"{simulator.url}/_smsim/messages", timeout=10).json()["messages"] == []


def test_unknown_account_and_taken_sid(simulator, account) -> None:
    body = {"to": "+14155550100", "from": "+14155550199", "body": "hi", "status": "sent"}
    unknown = _store(simulator, {**body, "account_sid": "AC" + "0" * 32})
    assert unknown.status_code == 404 and "account_sid" in unknown.json()["message"]
    assert _store(simulator, {**body, "account_sid": account["sid"], "sid": SID}).status_code == 201
    again = _store(simulator, {**body, "account_sid": account["sid"], "sid": SID})
    assert again.status_code == 409 and SID in again.json()["message"]


def test_not_json_is_a_clear_400(simulator) -> None:
    answer = requests.post(f"{simulator.url}/_smsim/messages", data="x", timeout=10)
    assert answer.status_code in {400, 415}
    assert answer.json()["message"]
