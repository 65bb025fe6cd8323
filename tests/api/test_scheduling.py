"""Scheduled messages (``ScheduleType=fixed`` + ``SendAt``, fidelity.md: Messages API; Lifecycle and
callbacks) on the virtual clock: ``scheduled`` until SendAt, then ``queued`` with a callback and on
as usual; canceled before SendAt they report ``canceled`` and are never sent."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import requests
from twilio.base.exceptions import TwilioRestException
from twilio.request_validator import RequestValidator
from twilio.rest import Client

pytestmark = pytest.mark.both_engines

SENDER = "+14155550100"
TO = "+14155550199"
HOUR = 3600


@pytest.fixture
def service_sid(twilio_client: Client, twilio_account: dict[str, Any]) -> str:
    service = twilio_client.messaging.v1.services.create(friendly_name="Reminders")
    number_sid = twilio_account["numbers"][0]["sid"]
    twilio_client.messaging.v1.services(service.sid).phone_numbers.create(
        phone_number_sid=number_sid
    )
    return service.sid


def now(smsim_control: Any) -> float:
    return float(smsim_control.clock()["now"])


def at(epoch: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(epoch, dt.UTC)


def schedule(client: Client, service_sid: str, send_at: dt.datetime, **extra: Any) -> Any:
    return client.messages.create(
        to=TO,
        messaging_service_sid=service_sid,
        body="Your appointment is tomorrow",
        schedule_type="fixed",
        send_at=send_at,
        **extra,
    )


def refusal(call: Any) -> TwilioRestException:
    with pytest.raises(TwilioRestException) as info:
        call()
    return info.value


def test_scheduled_message_waits_for_send_at_then_is_sent(
    smsim_control: Any,
    twilio_client: Client,
    twilio_account: dict[str, Any],
    service_sid: str,
    callback_recorder: Any,
) -> None:
    send_at = int(now(smsim_control)) + HOUR  # the SDK sends whole seconds
    message = schedule(
        twilio_client, service_sid, at(send_at), status_callback=callback_recorder.url("/s")
    )
    assert message.status == "scheduled"
    assert message.from_ is None and message.date_sent is None

    smsim_control.advance(send_at - now(smsim_control) - 1)
    assert twilio_client.messages(message.sid).fetch().status == "scheduled"
    assert callback_recorder.requests == []

    smsim_control.advance(1)
    queued = twilio_client.messages(message.sid).fetch()
    assert queued.status == "queued" and queued.from_ == SENDER
    [callback] = smsim_control.callbacks(message_sid=message.sid)
    assert callback["params"]["MessageStatus"] == "queued"
    assert callback["at"] >= send_at

    smsim_control.run_until_idle()
    assert twilio_client.messages(message.sid).fetch().status == "delivered"
    statuses = [r.params["MessageStatus"] for r in callback_recorder.requests]
    assert statuses == ["queued", "sent", "delivered"]
    validator = RequestValidator(twilio_account["auth_token"])
    for recorded in callback_recorder.requests:
        assert recorded.params["MessagingServiceSid"] == service_sid
        signature = recorded.headers.get("X-Twilio-Signature", "")
        assert validator.validate(recorded.url, recorded.params, signature)


def test_canceled_scheduled_message_reports_canceled_and_is_never_sent(
    smsim_control: Any,
    twilio_client: Client,
    twilio_account: dict[str, Any],
    service_sid: str,
    callback_recorder: Any,
) -> None:
    send_at = at(now(smsim_control) + 2 * HOUR)
    message = schedule(
        twilio_client, service_sid, send_at, status_callback=callback_recorder.url("/s")
    )
    smsim_control.advance(HOUR)
    canceled = twilio_client.messages(message.sid).update(status="canceled")
    assert canceled.status == "canceled"

    smsim_control.run_until_idle()
    final = twilio_client.messages(message.sid).fetch()
    assert final.status == "canceled"
    assert final.from_ is None and final.date_sent is None
    [callback] = callback_recorder.requests
    assert callback.params["MessageStatus"] == "canceled"
    assert callback.params["MessageSid"] == message.sid
    signature = callback.headers.get("X-Twilio-Signature", "")
    validator = RequestValidator(twilio_account["auth_token"])
    assert validator.validate(callback.url, callback.params, signature)


def test_send_at_must_be_given_with_schedule_type(twilio_client: Client, service_sid: str) -> None:
    error = refusal(
        lambda: twilio_client.messages.create(
            to=TO, messaging_service_sid=service_sid, body="x", schedule_type="fixed"
        )
    )
    assert (error.status, error.code) == (400, 35111)


@pytest.mark.parametrize(
    "ahead", [0, 14 * 60, 7 * 86400 + 60, -HOUR], ids=["now", "14min", "7days+1min", "past"]
)
def test_send_at_outside_15_minutes_to_7_days_is_refused(
    smsim_control: Any, twilio_client: Client, service_sid: str, ahead: int
) -> None:
    error = refusal(lambda: schedule(twilio_client, service_sid, at(now(smsim_control) + ahead)))
    assert (error.status, error.code) == (400, 35114)


@pytest.mark.parametrize("ahead", [15 * 60 + 1, 7 * 86400 - 60], ids=["15min", "7days"])
def test_send_at_inside_the_window_is_scheduled(
    smsim_control: Any, twilio_client: Client, service_sid: str, ahead: int
) -> None:
    message = schedule(twilio_client, service_sid, at(int(now(smsim_control)) + ahead))
    assert message.status == "scheduled"


def test_unparseable_send_at_is_refused(
    simulator: Any, twilio_account: dict[str, Any], service_sid: str
) -> None:
    response = requests.post(
        f"{simulator.url}/2010-04-01/Accounts/{twilio_account['sid']}/Messages.json",
        data={
            "To": TO,
            "MessagingServiceSid": service_sid,
            "Body": "x",
            "ScheduleType": "fixed",
            "SendAt": "tomorrow at noon",
        },
        auth=(twilio_account["sid"], twilio_account["auth_token"]),
    )
    assert response.status_code == 400 and response.json()["code"] == 35114


def test_scheduling_needs_a_messaging_service(smsim_control: Any, twilio_client: Client) -> None:
    error = refusal(
        lambda: twilio_client.messages.create(
            to=TO,
            from_=SENDER,
            body="x",
            schedule_type="fixed",
            send_at=at(now(smsim_control) + HOUR),
        )
    )
    assert (error.status, error.code) == (400, 35118)
