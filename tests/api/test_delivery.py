"""The delivery engine in virtual time: lifecycle, catalogued failures, signed callbacks,
retries and the attempts log."""

from __future__ import annotations

import re
import time
import uuid

import pytest
import requests
from twilio.request_validator import RequestValidator

from smsim.contracts import catalogue
from smsim.simulator.config import SimulatorConfig
from smsim.simulator.server import SimulatorServer
from smsim.testing import CallbackRecorder, ControlClient

pytestmark = pytest.mark.both_engines

FROM = "+14155550100"
CALLBACK_PATH = "/sms/twilio?account=ACME&meta=1.2.1691686363.20230810.0.wzrk_default.-49"


def _statuses(recorder: CallbackRecorder) -> list[str]:
    return [r.params["MessageStatus"] for r in recorder.requests]


def _assert_signed(recorder: CallbackRecorder, token: str) -> None:
    validator = RequestValidator(token)
    for request in recorder.requests:
        signature = request.headers["X-Twilio-Signature"]
        assert validator.validate(request.url, request.params, signature), request.url


REACHABLE = [
    code
    for code in catalogue.async_codes()
    if 30000 <= code <= 30999 and catalogue.require(code).terminal_status
]


def test_every_catalogued_async_code_is_reachable():
    assert set(range(30001, 30011)) <= set(REACHABLE)
    assert 30036 in REACHABLE


@pytest.mark.parametrize("code", REACHABLE)
def test_catalogue_number_fails_with_its_code_in_a_signed_callback(
    code, twilio_client, twilio_account, smsim_control, callback_recorder
):
    to = f"+1500555{code - 30000 + 3000:04d}"
    entry = catalogue.require(code)
    msg = twilio_client.messages.create(
        to=to, from_=FROM, body="hi", status_callback=callback_recorder.url(CALLBACK_PATH)
    )
    assert msg.status == "queued"  # failures arrive asynchronously
    smsim_control.run_until_idle()
    expected = ["failed"] if entry.terminal_status == "failed" else ["sent", "undelivered"]
    assert _statuses(callback_recorder) == expected
    final = callback_recorder.requests[-1].params
    assert final["ErrorCode"] == str(code)
    assert final["SmsStatus"] == final["MessageStatus"] == entry.terminal_status
    assert final["MessageSid"] == final["SmsSid"] == msg.sid
    assert final["AccountSid"] == twilio_account["sid"]
    assert (final["To"], final["From"], final["ApiVersion"]) == (to, FROM, "2010-04-01")
    _assert_signed(callback_recorder, twilio_account["auth_token"])
    fetched = twilio_client.messages(msg.sid).fetch()
    assert (fetched.status, fetched.error_code) == (entry.terminal_status, code)
    assert fetched.error_message == entry.twilio_title


def test_delivered_callbacks_arrive_in_order_and_match_the_log(
    twilio_client, twilio_account, smsim_control, callback_recorder
):
    url = callback_recorder.url(CALLBACK_PATH)
    msg = twilio_client.messages.create(
        to="+14155550199", from_=FROM, body="hi", status_callback=url
    )
    smsim_control.advance(0.4)
    assert callback_recorder.requests == []
    assert twilio_client.messages(msg.sid).fetch().status == "sending"
    smsim_control.advance(0.2)
    assert _statuses(callback_recorder) == ["sent"]
    sent = twilio_client.messages(msg.sid).fetch()
    assert sent.status == "sent" and sent.date_sent is not None and sent.price == "-0.00790"
    smsim_control.run_until_idle()
    assert _statuses(callback_recorder) == ["sent", "delivered"]
    delivered = callback_recorder.requests[-1]
    assert "ErrorCode" not in delivered.params
    assert re.fullmatch(r"\d{10}", delivered.params["RawDlrDoneDate"])
    assert "RawDlrDoneDate" not in callback_recorder.requests[0].params
    assert delivered.url == url  # query string kept exactly
    _assert_signed(callback_recorder, twilio_account["auth_token"])
    log = smsim_control.callbacks(message_sid=msg.sid)
    assert [(a["params"]["MessageStatus"], a["attempt"], a["status_code"]) for a in log] == [
        ("sent", 1, 200),
        ("delivered", 1, 200),
    ]
    assert [a["params"] for a in log] == [r.params for r in callback_recorder.requests]
    assert smsim_control.callbacks(message_sid=msg.sid, status="delivered")[0]["url"] == url


def test_sending_callback_is_opt_in(callback_recorder):
    config = SimulatorConfig(memory=True, port=0, clock="virtual", callback_on_sending=True)
    with SimulatorServer(config) as sim:
        control = ControlClient(sim.url)
        account = control.create_account("full", numbers=[FROM])
        requests.post(
            f"{sim.url}/2010-04-01/Accounts/{account['sid']}/Messages.json",
            data={
                "To": "+14155550199",
                "From": FROM,
                "Body": "x",
                "StatusCallback": callback_recorder.url(),
            },
            auth=(account["sid"], account["auth_token"]),
            timeout=5,
        )
        control.run_until_idle()
    assert _statuses(callback_recorder) == ["sending", "sent", "delivered"]


def test_server_wide_default_callback(callback_recorder):
    config = SimulatorConfig(
        memory=True, port=0, clock="virtual", status_callback=callback_recorder.url("/default")
    )
    with SimulatorServer(config) as sim:
        control = ControlClient(sim.url)
        account = control.create_account("full", numbers=[FROM])
        requests.post(
            f"{sim.url}/2010-04-01/Accounts/{account['sid']}/Messages.json",
            data={"To": "+14155550199", "From": FROM, "Body": "x"},
            auth=(account["sid"], account["auth_token"]),
            timeout=5,
        )
        control.run_until_idle()
    assert [r.path for r in callback_recorder.requests] == ["/default", "/default"]


def test_http_errors_are_not_retried_by_default(twilio_client, smsim_control, callback_recorder):
    callback_recorder.respond(500, "boom")
    msg = twilio_client.messages.create(
        to="+14155550199", from_=FROM, body="x", status_callback=callback_recorder.url()
    )
    smsim_control.run_until_idle()
    log = smsim_control.callbacks(message_sid=msg.sid)
    assert [(a["attempt"], a["status_code"]) for a in log] == [(1, 500), (1, 500)]
    assert log[0]["response_body"] == "boom" and log[0]["error"] == "HTTP 500"


def test_failing_endpoint_that_recovers_gets_every_callback_with_retries(
    twilio_client, smsim_control, callback_recorder
):
    answers = iter([503, 503])
    callback_recorder.respond_with(lambda req: (next(answers, 200), "", "text/plain"))
    msg = twilio_client.messages.create(
        to="+14155550199",
        from_=FROM,
        body="x",
        status_callback=callback_recorder.url("/cb?x=1#rc=3&rp=5xx"),
    )
    smsim_control.run_until_idle()
    log = smsim_control.callbacks(message_sid=msg.sid)
    # Retries wait 1 s then 2 s, so the third `sent` attempt lands after `delivered`:
    # callbacks may arrive out of order, as Twilio warns (fidelity.md: Lifecycle and callbacks).
    assert sorted((a["params"]["MessageStatus"], a["attempt"], a["status_code"]) for a in log) == [
        ("delivered", 1, 200),
        ("sent", 1, 503),
        ("sent", 2, 503),
        ("sent", 3, 200),
    ]
    assert all("#" not in r.url and r.url.endswith("/cb?x=1") for r in callback_recorder.requests)


def test_read_timeout_is_retried_when_the_fragment_asks(
    twilio_client, smsim_control, callback_recorder
):
    slow = iter([True])

    def answer(request):
        if next(slow, False):
            time.sleep(0.6)  # longer than the 200 ms read timeout the URL asks for
        return 200, "", "text/plain"

    callback_recorder.respond_with(answer)
    msg = twilio_client.messages.create(
        to="+14155550199",
        from_=FROM,
        body="x",
        status_callback=callback_recorder.url("/cb#rt=200&rc=2&rp=rt"),
    )
    smsim_control.run_until_idle()
    sent = smsim_control.callbacks(message_sid=msg.sid, status="sent")
    assert [(a["attempt"], a["status_code"]) for a in sent] == [(1, None), (2, 200)]
    assert "read timeout" in sent[0]["error"]


def test_receiver_down_then_up_receives_every_callback(twilio_client, smsim_control):
    down = CallbackRecorder().start()
    url = down.url("/cb#rc=5&rp=all")
    port = int(url.split(":")[2].split("/")[0])
    down.stop()
    msgs = [
        twilio_client.messages.create(
            to=f"+1415555019{i}", from_=FROM, body="x", status_callback=url
        )
        for i in range(3)
    ]
    smsim_control.advance(4)  # first attempts (and a retry or two) hit a closed port
    refused = [a for a in smsim_control.callbacks() if a["status_code"] is None]
    assert refused and all(a["error"] == "connection refused" for a in refused)
    with CallbackRecorder().start(port=port) as up:
        smsim_control.run_until_idle()
        received = {(r.params["MessageSid"], r.params["MessageStatus"]) for r in up.requests}
    assert received == {(m.sid, s) for m in msgs for s in ("sent", "delivered")}
    assert len(up.requests) == 6  # each callback delivered once
    for m in msgs:
        attempts = smsim_control.callbacks(message_sid=m.sid)
        assert attempts[-1]["status_code"] == 200
        assert (
            sorted({a["attempt"] for a in attempts if a["params"]["MessageStatus"] == "sent"})[0]
            == 1
        )


def test_rules_inject_outcomes_and_expire(twilio_client, smsim_control, callback_recorder):
    rule = smsim_control.add_rule(
        {"match": {"to_prefix": "+44"}, "outcome": {"error_code": 30003}, "count": 1}
    )
    assert rule["outcome"]["status"] == "undelivered" and rule["remaining"] == 1
    first = twilio_client.messages.create(to="+447700900123", from_=FROM, body="x")
    second = twilio_client.messages.create(to="+447700900124", from_=FROM, body="x")
    smsim_control.run_until_idle()
    assert twilio_client.messages(first.sid).fetch().error_code == 30003
    assert twilio_client.messages(second.sid).fetch().status == "delivered"
    assert smsim_control.rules()[0]["remaining"] == 0


def test_bad_rules_are_refused_naming_the_field(simulator, smsim_control):
    for bad, field in (
        ({"outcome": {"status": "lost"}}, "outcome.status"),
        ({"match": {"color": "red"}, "outcome": {"error_code": 30003}}, "match.color"),
        ({"outcome": {"status": "failed"}}, "outcome.error_code"),
        ({"outcome": {"error_code": 30003}, "probability": 2}, "probability"),
    ):
        response = requests.post(f"{simulator.url}/_smsim/rules", json=bad, timeout=5)
        assert response.status_code == 400 and field in response.json()["message"], bad
    assert smsim_control.rules() == []


def test_a_bad_rule_is_refused_naming_every_bad_field_at_once(simulator, smsim_control):
    bad = {
        "match": {"to": ""},
        "outcome": {"error_code": 30003, "delays": {"sent": -1}},
        "probability": 2,
        "count": 0,
    }
    response = requests.post(f"{simulator.url}/_smsim/rules", json=bad, timeout=5)
    assert response.status_code == 400
    body = response.json()
    fields = [e["field"] for e in body["errors"]]
    assert fields == [
        "rule.match.to",
        "rule.outcome.delays.sent",
        "rule.probability",
        "rule.count",
    ]
    for field in fields:
        assert field in body["message"]
    assert smsim_control.rules() == []


def _realistic_outcomes(seed: int) -> list[tuple[str, int | None]]:
    config = SimulatorConfig(
        memory=True,
        port=0,
        clock="virtual",
        carrier_profile="realistic",
        seed=seed,
        enforce_throughput=False,
    )
    with SimulatorServer(config) as sim:
        control = ControlClient(sim.url)
        account = control.create_account("full", numbers=[FROM])
        for i in range(200):
            requests.post(
                f"{sim.url}/2010-04-01/Accounts/{account['sid']}/Messages.json",
                # Bodies differ run to run (like tracked links): outcomes must not.
                data={"To": f"+1415555{i:04d}", "From": FROM, "Body": f"promo {uuid.uuid4()}"},
                auth=(account["sid"], account["auth_token"]),
                timeout=5,
            )
        control.run_until_idle()
        messages = control.messages(limit="1000")
    return sorted((m["to"], m["status"], m["error_code"]) for m in messages)


def test_realistic_profile_is_a_seeded_repeatable_mix():
    first, again, other = _realistic_outcomes(7), _realistic_outcomes(7), _realistic_outcomes(8)
    assert first == again
    assert first != other
    codes = {code for _, _, code in first if code}
    assert len(codes) >= 3
    delivered = sum(1 for _, status, _ in first if status == "delivered")
    assert 150 <= delivered <= 199


def test_messages_long_poll_finds_a_message(simulator, twilio_client, smsim_control):
    twilio_client.messages.create(to="+14155550142", from_=FROM, body="Your code is 1234")
    found = smsim_control.messages(wait=2, to="+14155550142")
    assert found[0]["body"] == "Your code is 1234"
    assert smsim_control.messages(to="+14155550143") == []


def test_virtual_clock_refuses_bad_advance_and_real_clock_refuses_moves(simulator):
    bad = requests.post(f"{simulator.url}/_smsim/clock/advance", json={"seconds": -1}, timeout=5)
    assert bad.status_code == 400
    with SimulatorServer(SimulatorConfig(memory=True, port=0, clock="real")) as real:
        response = requests.post(f"{real.url}/_smsim/clock/run-until-idle", timeout=5)
        assert response.status_code == 409
