"""Resource shapes Twilio's own tools rely on: every field of Twilio's published spec for
IncomingPhoneNumber, Account (all 20 subresource URIs) and the ValidationRequest that
adding an outgoing caller ID answers; and what the official SDK reads from them."""

from __future__ import annotations

import re

import pytest
import requests
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

ACCOUNT_PATH = re.compile(r"^/2010-04-01/Accounts/(AC[0-9a-f]{32})/")


def _api(simulator, account) -> str:
    return f"{simulator.url}/2010-04-01/Accounts/{account['sid']}"


def _auth(account) -> tuple[str, str]:
    return (account["sid"], account["auth_token"])


def _assert_matches_spec(body: dict, validator) -> None:
    assert sorted(body) == sorted(validator.schema["properties"])
    assert [e.message for e in validator.iter_errors(body)] == []


def test_incoming_phone_number_has_every_spec_field(simulator, twilio_account, spec_schema):
    validator = spec_schema("api.v2010.account.incoming_phone_number")
    base = f"{_api(simulator, twilio_account)}/IncomingPhoneNumbers"
    created = requests.post(
        f"{base}.json",
        data={"PhoneNumber": "+18005550123", "SmsUrl": "http://127.0.0.1:9/sms"},
        auth=_auth(twilio_account),
        timeout=5,
    )
    assert created.status_code == 201
    _assert_matches_spec(created.json(), validator)
    assert created.json()["type"] == "toll-free"
    listed = requests.get(f"{base}.json", auth=_auth(twilio_account), timeout=5).json()
    assert len(listed["incoming_phone_numbers"]) == 2
    for number in listed["incoming_phone_numbers"]:
        _assert_matches_spec(number, validator)
    local = next(n for n in listed["incoming_phone_numbers"] if n["phone_number"] != "+18005550123")
    assert (local["type"], local["voice_receive_mode"], local["emergency_status"]) == (
        "local",
        "voice",
        "Inactive",
    )


def test_sdk_reads_the_new_number_fields(twilio_client):
    number = twilio_client.incoming_phone_numbers.list()[0]
    assert number.type == "local"
    assert number.voice_method == "POST" and number.voice_caller_id_lookup is False
    assert number.trunk_sid is None and number.bundle_sid is None
    assert number.emergency_address_status == "unregistered"


def test_account_lists_twilios_twenty_subresources(
    simulator, twilio_account, spec_schema, spec_document
):
    body = requests.get(
        f"{_api(simulator, twilio_account)}.json", auth=_auth(twilio_account), timeout=5
    ).json()
    _assert_matches_spec(body, spec_schema("api.v2010.account"))
    example = spec_document["paths"]["/2010-04-01/Accounts/{Sid}.json"]["get"]["responses"]["200"]
    expected = example["content"]["application/json"]["examples"]["fetch"]["value"]
    spec_uris = expected["subresource_uris"]
    ours = body["subresource_uris"]
    assert len(ours) == 20 and list(ours) == list(spec_uris)
    for key, uri in ours.items():
        assert ACCOUNT_PATH.sub("/2010-04-01/Accounts/{sid}/", uri) == ACCOUNT_PATH.sub(
            "/2010-04-01/Accounts/{sid}/", spec_uris[key]
        )
        assert uri.startswith(f"/2010-04-01/Accounts/{twilio_account['sid']}/")
    # The three smsim serves are real links.
    for key in ("messages", "incoming_phone_numbers", "outgoing_caller_ids"):
        followed = requests.get(simulator.url + ours[key], auth=_auth(twilio_account), timeout=5)
        assert followed.status_code == 200, key


def test_adding_a_caller_id_answers_a_validation_request(
    simulator, smsim_control, spec_schema, spec_document
):
    trial = smsim_control.create_account("trial", numbers=["+14155550100"])
    response = requests.post(
        f"{_api(simulator, trial)}/OutgoingCallerIds.json",
        data={"PhoneNumber": "+14155550187", "FriendlyName": "QA handset"},
        auth=_auth(trial),
        timeout=5,
    )
    operation = spec_document["paths"]["/2010-04-01/Accounts/{AccountSid}/OutgoingCallerIds.json"]
    assert list(operation["post"]["responses"]) == ["200"]
    assert response.status_code == 200
    body = response.json()
    _assert_matches_spec(body, spec_schema("api.v2010.account.validation_request"))
    assert re.fullmatch(r"\d{6}", body["validation_code"])
    assert re.fullmatch(r"CA[0-9a-f]{32}", body["call_sid"])
    assert (body["account_sid"], body["phone_number"], body["friendly_name"]) == (
        trial["sid"],
        "+14155550187",
        "QA handset",
    )
    # Verified at once: the trial account may now text the number (21608 before).
    sent = requests.post(
        f"{_api(simulator, trial)}/Messages.json",
        data={"To": "+14155550187", "From": "+14155550100", "Body": "hi"},
        auth=_auth(trial),
        timeout=5,
    )
    assert sent.status_code == 201, sent.text


def test_sdk_sees_validation_code_and_call_sid(simulator, smsim_control):
    account = smsim_control.create_account("full")
    client = Client(account["sid"], account["auth_token"], environment={})
    client.api.base_url = simulator.url
    validation = client.validation_requests.create(
        phone_number="+14155550189", friendly_name="desk phone"
    )
    assert re.fullmatch(r"\d{6}", validation.validation_code or "")
    assert (validation.call_sid or "").startswith("CA")
    assert validation.friendly_name == "desk phone"
    assert [c.phone_number for c in client.outgoing_caller_ids.list()] == ["+14155550189"]


def test_caller_id_without_a_number_is_a_clear_400(simulator, twilio_account):
    response = requests.post(
        f"{_api(simulator, twilio_account)}/OutgoingCallerIds.json",
        data={"FriendlyName": "nothing"},
        auth=_auth(twilio_account),
        timeout=5,
    )
    assert response.status_code == 400
    assert set(response.json()) == {"code", "message", "more_info", "status"}


def test_released_number_is_gone_and_cannot_be_released_twice(twilio_client):
    number = twilio_client.incoming_phone_numbers.create(phone_number="+14155550178")
    assert twilio_client.incoming_phone_numbers(number.sid).delete() is True
    assert "+14155550178" not in [
        n.phone_number for n in twilio_client.incoming_phone_numbers.list()
    ]
    with pytest.raises(TwilioRestException) as again:
        twilio_client.incoming_phone_numbers(number.sid).delete()
    assert (again.value.status, again.value.code) == (404, 20404)
