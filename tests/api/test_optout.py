"""Opt-out keywords end to end (fidelity.md: Inbound and opt-out): STOP blocks, START lifts, HELP
answers.

A handset texts a keyword with ``POST /_smsim/inbound``; the account then sends through
the official SDK and sees Twilio's 21610 refusal, or the message delivered.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from smsim.simulator.optout_keywords import HELP_REPLY, START_REPLY, STOP_REPLY

pytestmark = pytest.mark.both_engines

NUMBER = "+14155550100"
SECOND = "+14155550101"
OUTSIDE = "+14155550102"
HANDSET = "+12125550123"


@pytest.fixture
def account(smsim_control, callback_recorder) -> dict[str, Any]:
    numbers = [
        {"phone_number": n, "sms_url": callback_recorder.url("/sms")}
        for n in (NUMBER, SECOND, OUTSIDE)
    ]
    return smsim_control.create_account("full", numbers=numbers)


@pytest.fixture
def client(simulator, account) -> Client:
    sdk = Client(account["sid"], account["auth_token"], environment={})
    sdk.api.base_url = simulator.url
    sdk.messaging.base_url = simulator.url
    return sdk


def _refused(client: Client, from_: str = NUMBER) -> TwilioRestException:
    with pytest.raises(TwilioRestException) as caught:
        client.messages.create(to=HANDSET, from_=from_, body="Sale today!")
    return caught.value


def _service(client: Client, account: dict[str, Any], *numbers: str) -> str:
    """A Messaging Service (through the SDK) whose pool holds ``numbers``."""
    service = client.messaging.v1.services.create(
        friendly_name="Promotions", use_inbound_webhook_on_number=True
    )
    for number in numbers:
        number_sid = next(n["sid"] for n in account["numbers"] if n["phone_number"] == number)
        client.messaging.v1.services(service.sid).phone_numbers.create(phone_number_sid=number_sid)
    return service.sid


def test_stop_blocks_the_handset_then_start_lets_sends_through(
    simulator, smsim_control, callback_recorder, client
):
    stop = smsim_control.inbound(HANDSET, NUMBER, "STOP")

    assert stop["opt_out_type"] == "STOP"
    assert callback_recorder.requests[-1].params["OptOutType"] == "STOP"
    assert callback_recorder.requests[-1].params["Body"] == "STOP"
    refused = _refused(client)
    assert refused.status == 400
    assert refused.code == 21610

    start = smsim_control.inbound(HANDSET, NUMBER, "start")

    assert start["opt_out_type"] == "START"
    assert callback_recorder.requests[-1].params["OptOutType"] == "START"
    sent = client.messages.create(to=HANDSET, from_=NUMBER, body="Welcome back")
    smsim_control.run_until_idle()
    assert client.messages(sent.sid).fetch().status == "delivered"


def test_stop_gets_twilios_free_auto_reply(simulator, smsim_control, client):
    result = smsim_control.inbound(HANDSET, NUMBER, "Stop.")
    smsim_control.run_until_idle()

    reply = client.messages(result["auto_reply"]["sid"]).fetch()
    assert reply.body == STOP_REPLY
    assert (reply.direction, reply.from_, reply.to) == ("outbound-reply", NUMBER, HANDSET)
    assert reply.status == "delivered"
    assert reply.price == "0.00000"


def test_start_and_help_get_their_auto_replies(
    simulator, smsim_control, callback_recorder, account
):
    help_result = smsim_control.inbound(HANDSET, NUMBER, "help")
    start_result = smsim_control.inbound(HANDSET, NUMBER, "UNSTOP")

    assert help_result["auto_reply"]["body"] == HELP_REPLY
    assert start_result["auto_reply"]["body"] == START_REPLY
    assert help_result["opt_out_type"] == "HELP"
    assert callback_recorder.requests[0].params["OptOutType"] == "HELP"


def test_help_does_not_block(simulator, smsim_control, client):
    smsim_control.inbound(HANDSET, NUMBER, "INFO")

    assert client.messages.create(to=HANDSET, from_=NUMBER, body="Still here").status == "queued"


def test_stop_blocks_only_that_number(simulator, smsim_control, client):
    smsim_control.inbound(HANDSET, NUMBER, "unsubscribe")

    assert _refused(client, NUMBER).code == 21610
    assert client.messages.create(to=HANDSET, from_=SECOND, body="other line").status == "queued"


def test_keyword_inside_a_sentence_is_ordinary_text(
    simulator, smsim_control, callback_recorder, client
):
    result = smsim_control.inbound(HANDSET, NUMBER, "STOP PLEASE")

    assert result["opt_out_type"] is None and result["auto_reply"] is None
    assert "OptOutType" not in callback_recorder.requests[0].params
    assert client.messages.create(to=HANDSET, from_=NUMBER, body="ok").status == "queued"


def test_stop_via_a_service_number_blocks_every_sender_of_the_service(
    simulator, smsim_control, account, client
):
    service = _service(client, account, NUMBER, SECOND)

    result = smsim_control.inbound(HANDSET, NUMBER, "STOP")

    assert result["auto_reply"]["messaging_service_sid"] == service
    assert _refused(client, NUMBER).code == 21610
    assert _refused(client, SECOND).code == 21610
    with pytest.raises(TwilioRestException) as via_service:
        client.messages.create(to=HANDSET, messaging_service_sid=service, body="Sale today!")
    assert via_service.value.code == 21610
    assert client.messages.create(to=HANDSET, from_=OUTSIDE, body="not in it").status == "queued"

    smsim_control.inbound(HANDSET, SECOND, "START")

    assert client.messages.create(to=HANDSET, from_=NUMBER, body="back").status == "queued"


def test_a_number_joining_or_leaving_the_service_changes_its_block_at_once(
    simulator, smsim_control, account, client
):
    """Which service a sender belongs to is cached for the opt-out check of every create;
    joining and leaving a service must still count from the next message on."""
    service = _service(client, account, NUMBER)
    smsim_control.inbound(HANDSET, NUMBER, "STOP")
    assert client.messages.create(to=HANDSET, from_=OUTSIDE, body="not in it").status == "queued"

    outside_sid = next(n["sid"] for n in account["numbers"] if n["phone_number"] == OUTSIDE)
    client.messaging.v1.services(service).phone_numbers.create(phone_number_sid=outside_sid)

    assert _refused(client, OUTSIDE).code == 21610

    client.messaging.v1.services(service).phone_numbers(outside_sid).delete()

    assert client.messages.create(to=HANDSET, from_=OUTSIDE, body="left it").status == "queued"


def test_twiml_reply_to_a_stop_is_refused_with_21610(
    simulator, smsim_control, callback_recorder, account
):
    callback_recorder.respond(
        200, "<Response><Message>Sorry to see you go</Message></Response>", "text/xml"
    )

    result = smsim_control.inbound(HANDSET, NUMBER, "STOP")

    assert result["replies"] == []
    assert "21610" in result["webhook"]["error"]
    bodies = [m["body"] for m in smsim_control.messages(direction="outbound-reply")]
    assert bodies == [STOP_REPLY]


def test_concurrent_sends_each_get_their_own_answer_when_some_handsets_opted_out(
    simulator, smsim_control, client
):
    """Concurrent creates share a commit; a refused one (21610) must neither fail the
    sends batched with it nor be stored."""
    opted_out = {f"+1212555{n:04d}" for n in range(0, 40, 4)}
    for handset in opted_out:
        smsim_control.inbound(from_=handset, to=NUMBER, body="STOP")
    handsets = [f"+1212555{n:04d}" for n in range(40)]

    def send(handset: str) -> tuple[str, str | int]:
        try:
            return handset, client.messages.create(to=handset, from_=NUMBER, body="Hi").sid
        except TwilioRestException as exc:
            return handset, exc.code

    with ThreadPoolExecutor(max_workers=16) as pool:
        answers = dict(pool.map(send, handsets))

    assert {h for h, a in answers.items() if a == 21610} == opted_out
    sent = {h: a for h, a in answers.items() if h not in opted_out}
    assert all(isinstance(a, str) and a.startswith("SM") for a in sent.values())
    stored = {m["to"] for m in smsim_control.messages() if m["direction"] == "outbound-api"}
    assert stored == set(sent)
