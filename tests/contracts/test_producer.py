"""Producer side of the contracts: everything the simulator emits satisfies the schemas.

The whole suite already checks every simulator response and webhook (``tests/conftest.py``
turns the checking on and fails a test that caused a violation). This module proves that
net can catch something, then drives every emitting path once in one place and validates
each captured payload explicitly, so what is checked is written down here:

* API responses: create (plain, MMS, long unicode, via a Messaging Service, scheduled),
  fetch in each state, list pages, redact, cancel, delete, and every error envelope the
  Messages resource can answer;
* status callbacks: delivered, queued/sent on the way, canceled, every catalogued async
  error code, a suspension, and a TwiML reply's own callbacks;
* incoming-message webhooks: plain, long unicode, media, each opt-out keyword, through a
  Messaging Service, by GET.

Everything runs on the virtual clock.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import requests
from twilio.rest import Client

from smsim.contracts import catalogue, schema, validate
from smsim.simulator import contract_check
from smsim.simulator.webhooks import AttemptResult, Webhook

SENDER = "+14155550100"
SECOND_SENDER = "+14155550101"
HANDSET = "+14155550199"
OTHER_HANDSET = "+12125550123"
HOUR = 3600
TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response>{}</Response>'


@dataclass
class Api:
    """Raw HTTP to the simulator's Messages resource; every answer is schema-checked."""

    base: str
    account: dict[str, Any]

    @property
    def auth(self) -> tuple[str, str]:
        return self.account["sid"], self.account["auth_token"]

    def url(self, tail: str) -> str:
        if tail.startswith("/2010-04-01/"):  # a URI from a page: relative to the API root
            return self.base + tail
        return f"{self.base}/2010-04-01/Accounts/{self.account['sid']}{tail}"

    def call(
        self, method: str, tail: str, status: int, schema: str, **kwargs: Any
    ) -> dict[str, Any]:
        kwargs.setdefault("auth", self.auth)
        response = requests.request(method, self.url(tail), timeout=10, **kwargs)
        assert response.status_code == status, (method, tail, response.text)
        body = response.json()
        validate(schema, body)
        return body

    def send(self, **form: Any) -> dict[str, Any]:
        return self.call("POST", "/Messages.json", 201, "message", data=form)

    def fetch(self, sid: str) -> dict[str, Any]:
        return self.call("GET", f"/Messages/{sid}.json", 200, "message")


def _sdk(simulator: Any, account: dict[str, Any]) -> Client:
    """The official SDK for ``account`` (used here only for Messaging Services)."""
    client = Client(account["sid"], account["auth_token"], environment={})
    client.api.base_url = simulator.url
    client.messaging.base_url = simulator.url
    return client


def _service(client: Any, account: dict[str, Any], *numbers: str, **settings: Any) -> str:
    service = client.messaging.v1.services.create(friendly_name="Contracts", **settings)
    for number in numbers:
        sid = next(n["sid"] for n in account["numbers"] if n["phone_number"] == number)
        client.messaging.v1.services(service.sid).phone_numbers.create(phone_number_sid=sid)
    return service.sid


def _send_at(smsim_control: Any, ahead: float) -> str:
    now = float(smsim_control.clock()["now"])
    return dt.datetime.fromtimestamp(int(now + ahead), dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _take_new_violations(before: int) -> list[str]:
    """The violations recorded since ``before``, removed so the suite's net stays green."""
    new = contract_check.VIOLATIONS[before:]
    del contract_check.VIOLATIONS[before:]
    return new


# -- the net can catch something ------------------------------------------------------------


def test_a_broken_response_is_recorded_as_a_violation_naming_route_and_field() -> None:
    message = schema("message")["examples"][0]
    message["num_segments"] = 1  # Twilio sends a string
    path = f"/2010-04-01/Accounts/{message['account_sid']}/Messages/{message['sid']}.json"
    before = len(contract_check.VIOLATIONS)
    try:
        contract_check.check_response("GET", path, 200, message)
        contract_check.check_response("GET", path, 404, {"code": "20404", "status": 404})
        contract_check.check_response("DELETE", path, 204, None)  # no body: nothing to check
    finally:
        found = _take_new_violations(before)
    assert len(found) == 2, found
    assert found[0].startswith(f"GET {path} -> 200: message: $.num_segments = 1")
    assert found[1].startswith(f"GET {path} -> 404: error: ")


def test_a_broken_list_page_and_a_correct_one() -> None:
    page = schema("message_list")["examples"][0]
    path = "/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Messages.json"
    before = len(contract_check.VIOLATIONS)
    try:
        contract_check.check_response("GET", path, 200, page)
        page["next_page_uri"] = "https://api.twilio.com" + page["first_page_uri"]  # absolute
        contract_check.check_response("GET", path, 200, page)
    finally:
        found = _take_new_violations(before)
    assert len(found) == 1 and "message_list: $.next_page_uri" in found[0], found


class _FakeSender:
    def __init__(self) -> None:
        self.sent: list[Webhook] = []

    def send(self, webhook: Webhook, auth_token: str) -> AttemptResult:
        self.sent.append(webhook)
        return AttemptResult(webhook.url, {}, 200, "", "text/xml", None, None, 0.0)


def test_a_broken_webhook_is_recorded_and_still_sent() -> None:
    inner = _FakeSender()
    sender = contract_check.CheckingSender(inner)  # type: ignore[arg-type]
    callback = [
        ("SmsSid", "SM" + "1" * 32),
        ("SmsStatus", "delivered"),
        ("MessageStatus", "delivered"),
        ("To", HANDSET),
        ("MessageSid", "SM" + "1" * 32),
        ("AccountSid", "AC" + "2" * 32),
        ("From", SENDER),
        ("ApiVersion", "2010-04-01"),
        ("ErrorCode", "30005"),  # never on a delivered message
    ]
    inbound = [("MessageSid", "SM" + "1" * 32), ("Body", "hi")]  # most fields missing
    before = len(contract_check.VIOLATIONS)
    try:
        sender.send(
            Webhook("status", "http://127.0.0.1:9/cb", callback, "AC" + "2" * 32, None), "t"
        )
        sender.send(
            Webhook("inbound", "http://127.0.0.1:9/in", inbound, "AC" + "2" * 32, None), "t"
        )
        sender.send(
            Webhook("status", "http://127.0.0.1:9/cb", callback[:-1], "AC" + "2" * 32, None), "t"
        )
    finally:
        found = _take_new_violations(before)
    assert len(found) == 2, found
    assert found[0].startswith("status webhook to http://127.0.0.1:9/cb: status_callback: $")
    assert found[1].startswith("inbound webhook to http://127.0.0.1:9/in: incoming_message: $")
    assert len(inner.sent) == 3  # checking never stops a webhook


def test_simulators_in_this_suite_check_what_they_emit(simulator: Any) -> None:
    assert simulator.engine.validate_contracts is True
    assert isinstance(simulator.engine.dispatcher.sender, contract_check.CheckingSender)


# -- API responses --------------------------------------------------------------------------


def test_every_messages_api_success_response_validates(
    simulator: Any, smsim_control: Any, callback_recorder: Any
) -> None:
    account = smsim_control.create_account("full", numbers=[SENDER, SECOND_SENDER])
    api = Api(simulator.url, account)
    sdk = _sdk(simulator, account)
    service = _service(sdk, account, SECOND_SENDER)
    callback = callback_recorder.url("/status")

    plain = api.send(To=HANDSET, From=SENDER, Body="Hello 👋", StatusCallback=callback)
    assert (plain["status"], plain["direction"], plain["from"]) == (
        "queued",
        "outbound-api",
        SENDER,
    )
    mms = api.send(To=HANDSET, From=SENDER, Body="pic", MediaUrl="https://example.com/a.jpg")
    assert mms["sid"].startswith("MM") and mms["num_media"] == "1"
    long_unicode = api.send(To=HANDSET, From=SENDER, Body="ü€😀" * 400)
    assert int(long_unicode["num_segments"]) > 1
    via_service = api.send(To=HANDSET, MessagingServiceSid=service, Body="via service")
    assert (via_service["status"], via_service["from"], via_service["num_segments"]) == (
        "accepted",
        None,
        "0",
    )
    scheduled = api.send(
        To=HANDSET,
        MessagingServiceSid=service,
        Body="later",
        ScheduleType="fixed",
        SendAt=_send_at(smsim_control, 2 * HOUR),
    )
    assert scheduled["status"] == "scheduled"
    for message in (plain, mms, long_unicode, via_service, scheduled):
        assert api.fetch(message["sid"])["status"] == message["status"]

    canceled = api.call(
        "POST", f"/Messages/{scheduled['sid']}.json", 200, "message", data={"Status": "canceled"}
    )
    assert canceled["status"] == "canceled"
    in_flight = set()  # fetch the plain message in every state it passes through
    for _ in range(100):
        status = api.fetch(plain["sid"])["status"]
        if status == "delivered":
            break
        in_flight.add(status)
        smsim_control.advance(0.1)
    assert {"sending", "sent"} <= in_flight, in_flight
    smsim_control.run_until_idle()

    delivered = api.fetch(via_service["sid"])
    assert (delivered["status"], delivered["from"]) == ("delivered", SECOND_SENDER)
    assert delivered["price"] is not None and delivered["date_sent"] is not None
    redacted = api.call("POST", f"/Messages/{plain['sid']}.json", 200, "message", data={"Body": ""})
    assert redacted["body"] == ""

    # Every page of the list, following next_page_uri to the end, then back.
    first = api.call("GET", "/Messages.json", 200, "message_list", params={"PageSize": 2})
    assert first["previous_page_uri"] is None and first["page"] == 0
    pages, page = [first], first
    while page["next_page_uri"]:
        page = api.call("GET", page["next_page_uri"], 200, "message_list")
        pages.append(page)
    assert [len(p["messages"]) for p in pages] == [2, 2, 1]
    assert pages[1]["previous_page_uri"] is not None
    api.call("GET", pages[1]["previous_page_uri"], 200, "message_list")
    listed = [m["sid"] for p in pages for m in p["messages"]]
    created = [plain, mms, long_unicode, via_service, scheduled]
    assert listed == [m["sid"] for m in reversed(created)]  # newest first
    filtered = api.call(
        "GET", "/Messages.json", 200, "message_list", params={"From": SECOND_SENDER}
    )
    assert [m["sid"] for m in filtered["messages"]] == [via_service["sid"]]
    empty = api.call("GET", "/Messages.json", 200, "message_list", params={"To": "+15551230000"})
    assert (empty["messages"], empty["start"], empty["end"]) == ([], 0, 0)

    response = requests.delete(api.url(f"/Messages/{mms['sid']}.json"), auth=api.auth, timeout=10)
    assert response.status_code == 204 and response.content == b""
    gone = api.call("GET", f"/Messages/{mms['sid']}.json", 404, "error")
    assert gone["code"] == 20404


def test_every_reachable_error_envelope_validates(simulator: Any, smsim_control: Any) -> None:
    account = smsim_control.create_account("full", numbers=[SENDER, SECOND_SENDER])
    trial = smsim_control.create_account("trial", numbers=["+14155550150"])
    suspended = smsim_control.create_account("full", numbers=["+14155550160"])
    smsim_control.suspend(suspended["sid"])
    api = Api(simulator.url, account)
    sdk = _sdk(simulator, account)
    service = _service(sdk, account, SECOND_SENDER)
    empty_service = _service(sdk, account)
    delivered = api.send(To=HANDSET, From=SENDER, Body="done")
    smsim_control.run_until_idle()
    assert api.fetch(delivered["sid"])["status"] == "delivered"
    queued = api.send(To=HANDSET, From=SENDER, Body="on its way")  # not final yet
    ok = {"To": HANDSET, "From": SENDER, "Body": "x"}

    cases: list[tuple[str, str, dict[str, Any], int, int]] = [
        ("POST", "/Messages.json", {"data": {**ok, "To": ""}}, 400, 21604),
        ("POST", "/Messages.json", {"data": {"To": HANDSET, "Body": "x"}}, 400, 21603),
        ("POST", "/Messages.json", {"data": {**ok, "To": "call me"}}, 400, 21211),
        ("POST", "/Messages.json", {"data": {**ok, "From": "not a sender!"}}, 400, 21212),
        ("POST", "/Messages.json", {"data": {**ok, "From": "+14155550177"}}, 400, 21606),
        ("POST", "/Messages.json", {"data": {**ok, "From": "+15005550008"}}, 429, 21611),
        ("POST", "/Messages.json", {"data": {"To": HANDSET, "From": SENDER}}, 400, 21619),
        ("POST", "/Messages.json", {"data": {**ok, "Body": ""}}, 400, 21602),
        ("POST", "/Messages.json", {"data": {**ok, "Body": "x" * 1601}}, 400, 21617),
        ("POST", "/Messages.json", {"data": {**ok, "ValidityPeriod": "0"}}, 400, 21624),
        ("POST", "/Messages.json", {"data": {**ok, "StatusCallback": "nope"}}, 400, 21609),
        ("POST", "/Messages.json", {"data": {**ok, "To": "+15005550002"}}, 400, 21612),
        ("POST", "/Messages.json", {"data": {**ok, "To": "+15005550003"}}, 400, 21408),
        ("POST", "/Messages.json", {"data": {**ok, "To": "+15005550004"}}, 400, 21610),
        ("POST", "/Messages.json", {"data": {**ok, "To": "+15005550009"}}, 400, 21614),
        (
            "POST",
            "/Messages.json",
            {"data": {"To": HANDSET, "Body": "x", "MessagingServiceSid": "MG" + "0" * 32}},
            400,
            21701,
        ),
        (
            "POST",
            "/Messages.json",
            {"data": {"To": HANDSET, "Body": "x", "MessagingServiceSid": empty_service}},
            400,
            21704,
        ),
        (
            "POST",
            "/Messages.json",
            {"data": {**ok, "ScheduleType": "fixed", "SendAt": _send_at(smsim_control, HOUR)}},
            400,
            35118,
        ),
        (
            "POST",
            "/Messages.json",
            {
                "data": {
                    "To": HANDSET,
                    "Body": "x",
                    "MessagingServiceSid": service,
                    "ScheduleType": "fixed",
                }
            },
            400,
            35111,
        ),
        (
            "POST",
            "/Messages.json",
            {
                "data": {
                    "To": HANDSET,
                    "Body": "x",
                    "MessagingServiceSid": service,
                    "ScheduleType": "fixed",
                    "SendAt": _send_at(smsim_control, 60),
                }
            },
            400,
            35114,
        ),
        ("GET", "/Messages.json", {"params": {"PageSize": "0"}}, 400, 20001),
        ("GET", "/Messages.json", {"params": {"PageToken": "nonsense"}}, 400, 20001),
        ("GET", f"/Messages/{'SM' + '0' * 32}.json", {}, 404, 20404),
        ("GET", "/Messages/not-a-sid.json", {}, 404, 20404),
        ("POST", f"/Messages/{delivered['sid']}.json", {"data": {"Status": "sent"}}, 400, 20001),
        (
            "POST",
            f"/Messages/{delivered['sid']}.json",
            {"data": {"Status": "canceled"}},
            409,
            30409,
        ),
        ("POST", f"/Messages/{delivered['sid']}.json", {"data": {"Body": "new"}}, 400, 20001),
        ("POST", f"/Messages/{queued['sid']}.json", {"data": {"Body": ""}}, 409, 20009),
        ("DELETE", f"/Messages/{queued['sid']}.json", {}, 409, 20009),
        ("GET", "/Messages.json", {"auth": (account["sid"], "0" * 32)}, 401, 20003),
        ("GET", "/Messages.json", {"auth": None}, 401, 20003),
        ("PUT", "/Messages.json", {}, 405, 20004),
        ("GET", "/NoSuchResource.json", {}, 404, 20404),
    ]
    for method, tail, kwargs, status, code in cases:
        error = api.call(method, tail, status, "error", **kwargs)
        assert (error["code"], error["status"]) == (code, status), (method, tail, error)
        assert error["more_info"].endswith(f"/{code}")

    trial_api = Api(simulator.url, trial)
    refused = trial_api.call(
        "POST", "/Messages.json", 400, "error", data={**ok, "From": "+14155550150"}
    )
    assert refused["code"] == 21608 and HANDSET in refused["message"]
    suspended_api = Api(simulator.url, suspended)
    refused = suspended_api.call(
        "POST", "/Messages.json", 403, "error", data={**ok, "From": "+14155550160"}
    )
    assert refused["code"] == 20005
    # One account's credentials do not reach another account.
    stranger = trial_api.call(
        "GET", f"/2010-04-01/Accounts/{account['sid']}/Messages.json", 401, "error"
    )
    assert stranger["code"] == 20003


# -- status callbacks -----------------------------------------------------------------------


def test_every_status_callback_validates(
    simulator: Any, smsim_control: Any, callback_recorder: Any
) -> None:
    account = smsim_control.create_account("full", numbers=[SENDER, SECOND_SENDER])
    doomed = smsim_control.create_account("full", numbers=["+14155550160"])
    api = Api(simulator.url, account)
    sdk = _sdk(simulator, account)
    service = _service(
        sdk, account, SECOND_SENDER, status_callback=callback_recorder.url("/service")
    )
    callback = callback_recorder.url("/status?account=acme&meta=1.2.3")
    codes = catalogue.async_codes()
    targets = {code: f"+1415555{2000 + i:04d}" for i, code in enumerate(codes)}
    for code, to in targets.items():
        smsim_control.add_rule({"match": {"to": to}, "outcome": {"error_code": code}})
    sids = {
        code: api.send(To=to, From=SENDER, Body=f"fails {code}", StatusCallback=callback)["sid"]
        for code, to in targets.items()
    }
    delivered = api.send(To=HANDSET, From=SENDER, Body="fine", StatusCallback=callback)
    via_service = api.send(To=HANDSET, MessagingServiceSid=service, Body="via service")
    later = api.send(
        To=HANDSET,
        MessagingServiceSid=service,
        Body="later",
        ScheduleType="fixed",
        SendAt=_send_at(smsim_control, HOUR),
    )
    never = api.send(
        To=HANDSET,
        MessagingServiceSid=service,
        Body="never",
        ScheduleType="fixed",
        SendAt=_send_at(smsim_control, 2 * HOUR),
    )
    api.call("POST", f"/Messages/{never['sid']}.json", 200, "message", data={"Status": "canceled"})
    doomed_api = Api(simulator.url, doomed)
    suspended = doomed_api.send(
        To=HANDSET, From="+14155550160", Body="too late", StatusCallback=callback
    )
    smsim_control.suspend(doomed["sid"])
    smsim_control.run_until_idle()

    by_sid: dict[str, list[dict[str, str]]] = {}
    for recorded in callback_recorder.requests:
        params = recorded.params
        validate("status_callback", params)
        assert recorded.headers["Content-Type"].startswith("application/x-www-form-urlencoded")
        by_sid.setdefault(params["MessageSid"], []).append(params)

    def statuses(sid: str) -> list[str]:
        return [p["MessageStatus"] for p in by_sid[sid]]

    assert statuses(delivered["sid"]) == ["sent", "delivered"]
    assert statuses(via_service["sid"]) == ["queued", "sent", "delivered"]
    assert by_sid[via_service["sid"]][-1]["MessagingServiceSid"] == service
    assert statuses(later["sid"]) == ["queued", "sent", "delivered"]
    assert statuses(never["sid"]) == ["canceled"]
    assert "From" not in by_sid[never["sid"]][0]  # no sender was ever picked
    assert by_sid[suspended["sid"]][-1]["ErrorCode"] == "30002"
    for code, sid in sids.items():
        final = by_sid[sid][-1]
        assert final["ErrorCode"] == str(code), (code, by_sid[sid])
        assert final["MessageStatus"] == catalogue.require(code).terminal_status
    assert len(by_sid) == len(codes) + 5


# -- incoming-message webhooks --------------------------------------------------------------


def test_every_incoming_message_webhook_validates(
    simulator: Any, smsim_control: Any, callback_recorder: Any
) -> None:
    plain_number, service_number, get_number = SENDER, SECOND_SENDER, "+14155550102"
    numbers = [
        {"phone_number": plain_number, "sms_url": callback_recorder.url("/sms")},
        {"phone_number": service_number, "sms_url": callback_recorder.url("/sms")},
        {
            "phone_number": get_number,
            "sms_url": callback_recorder.url("/by-get"),
            "sms_method": "GET",
        },
    ]
    account = smsim_control.create_account("full", numbers=numbers)
    api = Api(simulator.url, account)
    sdk = _sdk(simulator, account)
    service = _service(
        sdk, account, service_number, inbound_request_url=callback_recorder.url("/service")
    )
    reply = TWIML.format('<Message statusCallback="/reply-status">Thanks!</Message>')
    callback_recorder.respond_with(
        lambda req: (
            (200, reply, "text/xml")
            if req.params.get("Body") == "reply please"
            else (200, TWIML.format(""), "text/xml")
        )
    )
    media = ["https://example.com/cat.jpg", "https://example.com/clip.mp4"]

    sent = [
        smsim_control.inbound(OTHER_HANDSET, plain_number, "Hello"),
        smsim_control.inbound(OTHER_HANDSET, plain_number, "Grüße 😀 " * 100),
        smsim_control.inbound(OTHER_HANDSET, plain_number, "look", media_urls=media),
        smsim_control.inbound(OTHER_HANDSET, plain_number, "STOP"),
        smsim_control.inbound(OTHER_HANDSET, plain_number, "START"),
        smsim_control.inbound(OTHER_HANDSET, plain_number, "HELP"),
        smsim_control.inbound(OTHER_HANDSET, service_number, "to the service"),
        smsim_control.inbound(OTHER_HANDSET, get_number, "by GET"),
        smsim_control.inbound(OTHER_HANDSET, plain_number, "reply please"),
    ]
    smsim_control.run_until_idle()

    inbound = [r for r in callback_recorder.requests if r.path != "/reply-status"]
    assert len(inbound) == len(sent)
    for recorded in inbound:
        validate("incoming_message", recorded.params)
    by_body = {r.params["Body"]: r.params for r in inbound}
    assert by_body["look"]["NumMedia"] == "2"
    assert by_body["look"]["MediaUrl1"] == media[1] and by_body["look"]["MessageSid"][:2] == "MM"
    assert int(by_body["Grüße 😀 " * 100]["NumSegments"]) > 1
    assert [by_body[k]["OptOutType"] for k in ("STOP", "START", "HELP")] == [
        "STOP",
        "START",
        "HELP",
    ]
    assert "OptOutType" not in by_body["Hello"]
    assert by_body["to the service"]["MessagingServiceSid"] == service
    [by_get] = [r for r in inbound if r.path == "/by-get"]
    assert by_get.method == "GET" and by_get.body == b""

    reply_callbacks = [r.params for r in callback_recorder.requests if r.path == "/reply-status"]
    for params in reply_callbacks:
        validate("status_callback", params)
    assert [p["MessageStatus"] for p in reply_callbacks] == ["sent", "delivered"]

    # The messages behind the webhooks are Message resources too.
    for result in sent:
        fetched = api.fetch(result["message"]["sid"])
        assert (fetched["direction"], fetched["status"]) == ("inbound", "received")
    [twiml_reply] = sent[-1]["replies"]
    assert api.fetch(twiml_reply["sid"])["direction"] == "outbound-reply"
    auto_reply = sent[3]["auto_reply"]
    assert api.fetch(auto_reply["sid"])["direction"] == "outbound-reply"
    listed = api.call("GET", "/Messages.json", 200, "message_list", params={"PageSize": 1000})
    assert {"inbound", "outbound-reply"} <= {m["direction"] for m in listed["messages"]}
