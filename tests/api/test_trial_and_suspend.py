"""Trial accounts (fidelity.md: Accounts) and account suspension (fidelity.md: Errors and magic
numbers, 30002), through the SDK."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import requests
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

pytestmark = pytest.mark.both_engines

NUMBER = "+14155550100"
HANDSET = "+12125550123"
STRANGER = "+13125550199"
PREFIX = "Sent from your Twilio trial account - "


def _sdk(simulator, account: dict[str, Any]) -> Client:
    client = Client(account["sid"], account["auth_token"], environment={})
    client.api.base_url = simulator.url
    client.messaging.base_url = simulator.url
    return client


# -- trial ---------------------------------------------------------------------------------


def test_trial_refuses_unverified_numbers_with_21608_naming_them(simulator, smsim_control):
    trial = smsim_control.create_account("trial", numbers=[NUMBER], verified_numbers=[HANDSET])
    client = _sdk(simulator, trial)

    with pytest.raises(TwilioRestException) as caught:
        client.messages.create(to=STRANGER, from_=NUMBER, body="hello")

    assert caught.value.status == 400
    assert caught.value.code == 21608
    assert f"The number {STRANGER} is unverified" in caught.value.msg
    assert "Trial accounts cannot send messages to unverified numbers" in caught.value.msg
    assert smsim_control.messages(to=STRANGER) == []


def test_trial_sends_to_a_number_verified_at_creation(simulator, smsim_control):
    trial = smsim_control.create_account("trial", numbers=[NUMBER], verified_numbers=[HANDSET])
    client = _sdk(simulator, trial)

    message = client.messages.create(to=HANDSET, from_=NUMBER, body="hello")
    smsim_control.run_until_idle()

    assert [c.phone_number for c in client.outgoing_caller_ids.list()] == [HANDSET]
    assert client.messages(message.sid).fetch().status == "delivered"


def test_verifying_a_number_lets_the_trial_send_to_it(simulator, smsim_control):
    trial = smsim_control.create_account("trial", numbers=[NUMBER])
    client = _sdk(simulator, trial)
    with pytest.raises(TwilioRestException):
        client.messages.create(to=HANDSET, from_=NUMBER, body="too early")

    added = requests.post(
        f"{simulator.url}/_smsim/accounts/{trial['sid']}/verified_numbers",
        json={"phone_number": HANDSET},
    )

    assert added.status_code == 201
    assert [c.phone_number for c in client.outgoing_caller_ids.list()] == [HANDSET]
    assert client.messages.create(to=HANDSET, from_=NUMBER, body="now").status == "queued"


def test_trial_prefix_is_in_the_body_and_counts_towards_segments(simulator, smsim_control):
    trial = smsim_control.create_account("trial", numbers=[NUMBER], verified_numbers=[HANDSET])
    client = _sdk(simulator, trial)
    fits = "a" * (160 - len(PREFIX))

    one = client.messages.create(to=HANDSET, from_=NUMBER, body=fits)
    two = client.messages.create(to=HANDSET, from_=NUMBER, body=fits + "a")

    assert one.body == PREFIX + fits
    assert client.messages(one.sid).fetch().body == PREFIX + fits
    assert (one.num_segments, two.num_segments) == ("1", "2")


def test_full_accounts_have_no_prefix(simulator, smsim_control):
    full = smsim_control.create_account("full", numbers=[NUMBER])

    message = _sdk(simulator, full).messages.create(to=STRANGER, from_=NUMBER, body="hello")

    assert message.body == "hello"


# -- suspension ----------------------------------------------------------------------------


@pytest.fixture
def busy_account(simulator, smsim_control, callback_recorder) -> dict[str, Any]:
    """An account with one delivered message and four not yet handed to a carrier:
    two ``queued``, one ``accepted`` by its Messaging Service, one ``scheduled``."""
    account = smsim_control.create_account("full", numbers=[NUMBER])
    client = _sdk(simulator, account)
    callback = callback_recorder.url("/status")
    delivered = client.messages.create(
        to=HANDSET, from_=NUMBER, body="early", status_callback=callback
    )
    smsim_control.run_until_idle()
    service = client.messaging.v1.services.create(friendly_name="Alerts")
    client.messaging.v1.services(service.sid).phone_numbers.create(
        phone_number_sid=account["numbers"][0]["sid"]
    )
    waiting = [
        client.messages.create(to=HANDSET, from_=NUMBER, body=f"late {i}", status_callback=callback)
        for i in range(2)
    ]
    waiting.append(
        client.messages.create(
            to=HANDSET, messaging_service_sid=service.sid, body="pooled", status_callback=callback
        )
    )
    send_at = dt.datetime.fromtimestamp(float(smsim_control.clock()["now"]) + 3600, dt.UTC)
    waiting.append(
        client.messages.create(
            to=HANDSET,
            messaging_service_sid=service.sid,
            body="tomorrow",
            schedule_type="fixed",
            send_at=send_at,
            status_callback=callback,
        )
    )
    assert [m.status for m in waiting] == ["queued", "queued", "accepted", "scheduled"]
    return {**account, "delivered": delivered.sid, "queued": [m.sid for m in waiting]}


def test_suspension_fails_queued_messages_with_30002_callbacks(
    simulator, smsim_control, callback_recorder, busy_account
):
    client = _sdk(simulator, busy_account)

    suspended = smsim_control.suspend(busy_account["sid"])
    smsim_control.run_until_idle()

    assert suspended["status"] == "suspended"
    for sid in busy_account["queued"]:
        message = client.messages(sid).fetch()
        assert (message.status, message.error_code) == ("failed", 30002)
        assert message.error_message == "Account suspended"
        (callback,) = [
            r.params for r in callback_recorder.requests if r.params["MessageSid"] == sid
        ]
        assert (callback["MessageStatus"], callback["ErrorCode"]) == ("failed", "30002")
    assert client.messages(busy_account["delivered"]).fetch().status == "delivered"


def test_suspended_account_cannot_send(simulator, smsim_control, busy_account):
    client = _sdk(simulator, busy_account)
    smsim_control.suspend(busy_account["sid"])

    with pytest.raises(TwilioRestException) as caught:
        client.messages.create(to=HANDSET, from_=NUMBER, body="anyone?")

    assert caught.value.code == 20005
    assert caught.value.status == 403
    assert "not active" in caught.value.msg


def test_suspending_through_the_accounts_api_fails_queued_messages_too(
    simulator, smsim_control, busy_account
):
    client = _sdk(simulator, busy_account)

    account = client.api.accounts(busy_account["sid"]).update(status="suspended")

    assert account.status == "suspended"
    codes = {client.messages(sid).fetch().error_code for sid in busy_account["queued"]}
    assert codes == {30002}
