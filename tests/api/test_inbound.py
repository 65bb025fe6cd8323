"""Inbound messages: a handset texts a Twilio number (fidelity.md: Inbound and opt-out; Messaging
Services).

Everything runs on the virtual clock: ``POST /_smsim/inbound`` returns once the webhook
has been delivered and its TwiML read; ``run_until_idle`` then plays the replies out.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from smsim.contracts import validate

pytestmark = pytest.mark.both_engines

NUMBER = "+14155550100"
OTHER_NUMBER = "+14155550101"
HANDSET = "+12125550123"
TWIML_TYPE = "text/xml"

CAPTURED_ORDER = [
    "ToCountry",
    "ToState",
    "SmsMessageSid",
    "NumMedia",
    "ToCity",
    "FromZip",
    "SmsSid",
    "FromState",
    "SmsStatus",
    "FromCity",
    "Body",
    "FromCountry",
    "To",
    "ToZip",
    "NumSegments",
    "MessageSid",
    "AccountSid",
    "From",
    "ApiVersion",
]


def _account(control, recorder, method: str = "POST", **extra: Any) -> dict[str, Any]:
    numbers = [{"phone_number": NUMBER, "sms_url": recorder.url("/sms"), "sms_method": method}]
    return control.create_account("full", numbers=numbers, **extra)


def _sdk(simulator, account: dict[str, Any]) -> Client:
    client = Client(account["sid"], account["auth_token"], environment={})
    client.api.base_url = simulator.url
    client.messaging.base_url = simulator.url
    return client


def _service(simulator, account: dict[str, Any], **settings: Any) -> str:
    """A Messaging Service (through the SDK) whose pool holds the account's first number."""
    client = _sdk(simulator, account)
    service = client.messaging.v1.services.create(friendly_name="Inbound", **settings)
    client.messaging.v1.services(service.sid).phone_numbers.create(
        phone_number_sid=account["numbers"][0]["sid"]
    )
    return service.sid


def _twiml(inner: str) -> str:
    return f'<?xml version="1.0" encoding="UTF-8"?><Response>{inner}</Response>'


# -- the webhook ----------------------------------------------------------------------------


def test_webhook_has_twilios_fields_in_captured_order_and_a_valid_signature(
    simulator, smsim_control, callback_recorder
):
    account = _account(smsim_control, callback_recorder)

    result = smsim_control.inbound(HANDSET, NUMBER, "Hi there")

    assert len(callback_recorder.requests) == 1
    hook = callback_recorder.requests[0]
    assert hook.method == "POST"
    assert [name for name, _ in hook.form] == CAPTURED_ORDER
    params = hook.params
    sid = result["message"]["sid"]
    assert params["MessageSid"] == params["SmsSid"] == params["SmsMessageSid"] == sid
    assert (params["From"], params["To"], params["Body"]) == (HANDSET, NUMBER, "Hi there")
    assert (params["SmsStatus"], params["NumSegments"], params["NumMedia"]) == (
        "received",
        "1",
        "0",
    )
    assert params["AccountSid"] == account["sid"]
    assert params["ApiVersion"] == "2010-04-01"
    assert (params["FromCountry"], params["ToCountry"]) == ("US", "US")
    assert params["FromState"] == "NY"  # 212 is New York City
    validate("incoming_message", params)
    validator = RequestValidator(account["auth_token"])
    assert validator.validate(hook.url, params, hook.headers["X-Twilio-Signature"])
    assert result["webhook"]["status"] == "delivered"
    assert result["webhook"]["status_code"] == 200


def test_inbound_message_is_visible_through_the_sdk(simulator, smsim_control, callback_recorder):
    account = _account(smsim_control, callback_recorder)

    sid = smsim_control.inbound(HANDSET, NUMBER, "Hello")["message"]["sid"]

    fetched = _sdk(simulator, account).messages(sid).fetch()
    assert fetched.direction == "inbound"
    assert fetched.status == "received"
    assert fetched.from_ == HANDSET and fetched.to == NUMBER
    assert fetched.body == "Hello"
    assert fetched.date_sent is not None
    assert sid.startswith("SM")
    listed = _sdk(simulator, account).messages.list(to=NUMBER)
    assert [m.sid for m in listed] == [sid]


def test_get_method_sends_fields_in_the_query_signed_over_the_url(
    simulator, smsim_control, callback_recorder
):
    account = _account(smsim_control, callback_recorder, method="GET")

    smsim_control.inbound(HANDSET, NUMBER, "via GET")

    hook = callback_recorder.requests[0]
    assert hook.method == "GET"
    assert hook.params["Body"] == "via GET"
    assert hook.body == b""
    validator = RequestValidator(account["auth_token"])
    assert validator.validate(hook.url, {}, hook.headers["X-Twilio-Signature"])


def test_long_body_reports_its_segments(simulator, smsim_control, callback_recorder):
    _account(smsim_control, callback_recorder)

    result = smsim_control.inbound(HANDSET, NUMBER, "x" * 200)
    forced = smsim_control.inbound(HANDSET, NUMBER, "short", num_segments=3)

    assert [r.params["NumSegments"] for r in callback_recorder.requests] == ["2", "3"]
    assert result["message"]["num_segments"] == "2"
    assert forced["message"]["num_segments"] == "3"


def test_media_urls_arrive_as_numbered_fields(simulator, smsim_control, callback_recorder):
    _account(smsim_control, callback_recorder)
    urls = ["https://example.com/cat.jpg", "https://example.com/clip.mp4"]

    result = smsim_control.inbound(HANDSET, NUMBER, "look", media_urls=urls)

    params = callback_recorder.requests[0].params
    assert params["NumMedia"] == "2"
    assert (params["MediaUrl0"], params["MediaContentType0"]) == (urls[0], "image/jpeg")
    assert (params["MediaUrl1"], params["MediaContentType1"]) == (urls[1], "video/mp4")
    assert result["message"]["sid"].startswith("MM")
    assert result["message"]["num_media"] == "2"
    validate("incoming_message", params)


def test_number_without_sms_url_still_receives(simulator, smsim_control):
    smsim_control.create_account("full", numbers=[NUMBER])

    result = smsim_control.inbound(HANDSET, NUMBER, "anyone there?")

    assert result["message"]["status"] == "received"
    assert result["webhook"]["status"] == "not_sent"
    assert "SmsUrl" in result["webhook"]["reason"]


# -- refusals ------------------------------------------------------------------------------


def test_unknown_twilio_number_is_a_404_naming_it(simulator):
    response = requests.post(
        simulator.url + "/_smsim/inbound",
        json={"from": HANDSET, "to": "+14155559999", "body": "hi"},
    )

    assert response.status_code == 404
    error = response.json()
    assert error["code"] == 20404 and error["status"] == 404
    assert "+14155559999" in error["message"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"from": "12", "to": NUMBER, "body": "hi"}, "'from'"),
        ({"from": HANDSET, "to": "call me", "body": "hi"}, "'To'"),
        ({"from": HANDSET, "body": "hi"}, "to"),
    ],
)
def test_bad_numbers_are_400s(simulator, smsim_control, body, field):
    smsim_control.create_account("full", numbers=[NUMBER])

    response = requests.post(simulator.url + "/_smsim/inbound", json=body)

    assert response.status_code == 400
    assert field in response.json()["message"]


# -- Messaging Services (fidelity.md: Messaging Services)
# --------------------------------------------------------


@pytest.mark.parametrize("method", ["POST", "GET"])
def test_number_in_a_service_calls_the_service_inbound_url(
    simulator, smsim_control, callback_recorder, method
):
    account = _account(smsim_control, callback_recorder)
    service = _service(
        simulator,
        account,
        inbound_request_url=callback_recorder.url("/service"),
        inbound_method=method,
    )

    result = smsim_control.inbound(HANDSET, NUMBER, "to the service")

    (hook,) = callback_recorder.requests
    assert (hook.path, hook.method) == ("/service", method)
    assert hook.params["MessagingServiceSid"] == service
    names = [name for name, _ in hook.form]
    assert names.index("MessagingServiceSid") == names.index("To") + 1
    assert result["message"]["messaging_service_sid"] == service
    signed_params = hook.params if method == "POST" else {}
    assert RequestValidator(account["auth_token"]).validate(
        hook.url, signed_params, hook.headers["X-Twilio-Signature"]
    )


def test_service_may_defer_to_the_numbers_own_webhook(simulator, smsim_control, callback_recorder):
    account = _account(smsim_control, callback_recorder)
    service = _service(
        simulator,
        account,
        inbound_request_url=callback_recorder.url("/service"),
        use_inbound_webhook_on_number=True,
    )

    smsim_control.inbound(HANDSET, NUMBER, "to the number")

    (hook,) = callback_recorder.requests
    assert hook.path == "/sms"
    assert hook.params["MessagingServiceSid"] == service


def test_service_without_inbound_url_neither_receives_nor_logs(
    simulator, smsim_control, callback_recorder
):
    account = _account(smsim_control, callback_recorder)
    _service(simulator, account)  # inbound_request_url left null

    result = smsim_control.inbound(HANDSET, NUMBER, "into the void")

    assert result["received"] is False and result["message"] is None
    assert "inbound_request_url" in result["webhook"]["reason"]
    assert callback_recorder.requests == []
    assert smsim_control.messages(to=NUMBER) == []


# -- TwiML replies -------------------------------------------------------------------------


def test_twiml_message_reply_is_delivered_with_status_callbacks(
    simulator, smsim_control, callback_recorder
):
    account = _account(smsim_control, callback_recorder)
    callback_recorder.respond_with(
        lambda req: (
            (200, _twiml('<Message statusCallback="/status">Thanks!</Message>'), TWIML_TYPE)
            if req.path == "/sms"
            else (204, "", "text/plain")
        )
    )

    result = smsim_control.inbound(HANDSET, NUMBER, "Hello")
    (reply,) = result["replies"]
    smsim_control.run_until_idle()

    assert (reply["direction"], reply["from"], reply["to"]) == ("outbound-reply", NUMBER, HANDSET)
    fetched = _sdk(simulator, account).messages(reply["sid"]).fetch()
    assert fetched.status == "delivered"
    assert fetched.body == "Thanks!"
    assert fetched.direction == "outbound-reply"
    statuses = [
        r.params["MessageStatus"] for r in callback_recorder.requests if r.path == "/status"
    ]
    assert statuses == ["sent", "delivered"]


def test_several_messages_with_body_and_to_attributes(simulator, smsim_control, callback_recorder):
    _account(smsim_control, callback_recorder)
    callback_recorder.respond(
        200,
        _twiml(
            "<Message><Body>First</Body></Message>"
            f'<Message to="{OTHER_NUMBER}"><Body>To the team</Body></Message>'
        ),
        TWIML_TYPE,
    )

    replies = smsim_control.inbound(HANDSET, NUMBER, "Hello")["replies"]

    assert [(r["to"], r["body"]) for r in replies] == [
        (HANDSET, "First"),
        (OTHER_NUMBER, "To the team"),
    ]
    assert {r["direction"] for r in replies} == {"outbound-reply"}


@pytest.mark.parametrize(
    ("body", "content_type"),
    [(_twiml(""), TWIML_TYPE), ("<Response></Response>", "text/html"), ("", "text/xml")],
)
def test_empty_response_sends_nothing(
    simulator, smsim_control, callback_recorder, body, content_type
):
    _account(smsim_control, callback_recorder)
    callback_recorder.respond(200, body, content_type)

    result = smsim_control.inbound(HANDSET, NUMBER, "Hello")
    smsim_control.run_until_idle()

    assert result["replies"] == []
    assert result["webhook"]["error"] is None
    assert smsim_control.messages(direction="outbound-reply") == []


@pytest.mark.parametrize(
    ("status", "body", "content_type", "reason"),
    [
        (200, "OK, got it", "text/plain", "not valid XML"),
        (200, "<Response><Message>unclosed", TWIML_TYPE, "not valid XML"),
        (200, "", "", "without a Content-Type"),
        (200, "<Reply/>", TWIML_TYPE, "not <Response>"),
        (500, "boom", "text/plain", "HTTP 500"),
    ],
)
def test_broken_response_is_logged_as_11200_and_nothing_crashes(
    simulator, smsim_control, callback_recorder, status, body, content_type, reason
):
    _account(smsim_control, callback_recorder)
    callback_recorder.respond(status, body, content_type)

    result = smsim_control.inbound(HANDSET, NUMBER, "Hello")

    assert result["replies"] == []
    (attempt,) = smsim_control.callbacks(kind="inbound")
    assert attempt["error"].startswith("11200 HTTP retrieval failure")
    assert reason in attempt["error"]
    assert result["webhook"]["error"] == attempt["error"]
    callback_recorder.respond(200, _twiml("<Message>still here</Message>"), TWIML_TYPE)
    assert len(smsim_control.inbound(HANDSET, NUMBER, "again")["replies"]) == 1


# -- lost segments -------------------------------------------------------------------------


def test_lost_segment_records_30009_and_sends_no_webhook(
    simulator, smsim_control, callback_recorder
):
    _account(smsim_control, callback_recorder)

    result = smsim_control.inbound(HANDSET, NUMBER, "y" * 300, lost_segment=True)

    message = result["message"]
    assert message["error_code"] == 30009
    assert message["error_message"] == "Missing inbound segment"
    assert message["direction"] == "inbound"
    assert result["webhook"]["status"] == "not_sent"
    assert callback_recorder.requests == []


def test_lost_segment_needs_a_multipart_message(simulator, smsim_control):
    smsim_control.create_account("full", numbers=[NUMBER])

    response = requests.post(
        simulator.url + "/_smsim/inbound",
        json={"from": HANDSET, "to": NUMBER, "body": "short", "lost_segment": True},
    )

    assert response.status_code == 400
    assert "multipart" in response.json()["message"]
