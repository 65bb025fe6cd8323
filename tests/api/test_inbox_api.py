"""The control routes the web inbox reads: filters and keyset pages on /_smsim/messages,
one message's detail with its timeline and attempts, lost callbacks, redelivery and the
change stream. Virtual clock throughout, so every callback has happened when asked."""

from __future__ import annotations

import threading
from typing import Any

import pytest
import requests
from twilio.request_validator import RequestValidator

from smsim.simulator.config import SimulatorConfig
from smsim.simulator.server import SimulatorServer
from smsim.testing import poll

pytestmark = pytest.mark.both_engines

NUMBER = "+14155550100"
HANDSET = "+14155550123"


def _send(simulator, account, to: str, body: str, callback: str | None = None) -> str:
    form = {"To": to, "From": NUMBER, "Body": body}
    if callback:
        form["StatusCallback"] = callback
    response = requests.post(
        f"{simulator.url}/2010-04-01/Accounts/{account['sid']}/Messages.json",
        data=form,
        auth=(account["sid"], account["auth_token"]),
        timeout=10,
    )
    assert response.status_code == 201, response.text
    return response.json()["sid"]


def _list(simulator, **params: Any) -> dict[str, Any]:
    response = requests.get(f"{simulator.url}/_smsim/messages", params=params, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def _account(smsim_control, recorder=None) -> dict[str, Any]:
    number: dict[str, Any] = {"phone_number": NUMBER}
    if recorder is not None:
        number["sms_url"] = recorder.url("/sms")
    return smsim_control.create_account("full", numbers=[number])


def test_keyset_pages_walk_every_message_once_older_then_newer(simulator, smsim_control) -> None:
    account = _account(smsim_control)
    sent = [_send(simulator, account, f"+1415555{i:04d}", f"message {i}") for i in range(7)]
    newest_first = list(reversed(sent))

    seen, pages, cursor = [], [], None
    while True:
        page = _list(
            simulator, limit=3, account_sid=account["sid"], **({"before": cursor} if cursor else {})
        )
        pages.append(page)
        seen += [m["sid"] for m in page["messages"]]
        cursor = page["older"]
        if cursor is None:
            break
    assert seen == newest_first
    assert [len(p["messages"]) for p in pages] == [3, 3, 1]
    assert pages[0]["newer"] is None and pages[-1]["older"] is None

    back = _list(simulator, limit=3, account_sid=account["sid"], after=pages[-1]["newer"])
    assert [m["sid"] for m in back["messages"]] == [m["sid"] for m in pages[1]["messages"]]
    assert back["older"] is not None and back["newer"] is not None


def test_filters_by_number_status_error_direction_text_and_account(
    simulator, smsim_control, callback_recorder
) -> None:
    account = _account(smsim_control, callback_recorder)
    other = smsim_control.create_account("full", numbers=["+14155550199"])
    to_handset = _send(simulator, account, HANDSET, "Your code is 123456")
    undelivered = _send(simulator, account, "+15005553005", "50% off, today_only")
    failed = _send(simulator, account, "+15005553001", "queue me")
    smsim_control.run_until_idle()
    inbound = smsim_control.inbound(HANDSET, NUMBER, "STOP texting me")["message"]["sid"]
    smsim_control.run_until_idle()

    def sids(**params: Any) -> list[str]:
        return [m["sid"] for m in _list(simulator, **params)["messages"]]

    by_number = sids(number=HANDSET, account_sid=account["sid"], direction="outbound-api")
    assert by_number == [to_handset]
    assert set(sids(number=HANDSET)) >= {to_handset, inbound}  # to or from
    assert sids(status="undelivered") == [undelivered]
    assert sids(error_code="30001") == [failed]
    assert sids(direction="inbound") == [inbound]
    assert sids(q="CODE IS") == [to_handset]  # case-insensitive
    assert sids(q="50%") == [undelivered]  # % and _ are literal text
    assert sids(q="y_o") == [undelivered]
    assert sids(q="zzz") == []
    assert sids(account_sid=other["sid"]) == []
    row = _list(simulator, sid=undelivered)["messages"][0]
    assert row["error_code"] == 30005
    assert row["error_description"] == "Unknown destination handset"
    assert row["date_created_iso"].endswith("Z")


@pytest.mark.parametrize(
    "params, field",
    [
        ({"before": "abc"}, "before"),
        ({"after": "-1"}, "after"),
        ({"error_code": "3000x"}, "error_code"),
        ({"lost_callbacks": "maybe"}, "lost_callbacks"),
        ({"limit": "ten"}, "limit"),
    ],
)
def test_malformed_filters_get_twilio_error_envelope(simulator, params, field) -> None:
    response = requests.get(f"{simulator.url}/_smsim/messages", params=params, timeout=10)
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"code", "message", "more_info", "status"}
    assert body["message"].startswith(field)


def test_detail_has_timeline_segments_and_signed_attempts(
    simulator, smsim_control, callback_recorder
) -> None:
    account = _account(smsim_control)
    sid = _send(simulator, account, HANDSET, "hi ✓", callback_recorder.url("/status#rc=2&rp=all"))
    smsim_control.run_until_idle()
    detail = requests.get(f"{simulator.url}/_smsim/messages/{sid}", timeout=10).json()

    statuses = [p["status"] for p in detail["timeline"]]
    assert statuses == ["queued", "sending", "sent", "delivered"]
    times = [p["at"] for p in detail["timeline"]]
    assert times == sorted(times) and times[-1] > times[0]
    assert detail["segments"] == 1 and detail["encoding"] == "UCS-2"
    assert detail["message"]["price"] is not None
    assert detail["webhook"]["fragment"] == "rc=2&rp=all"
    assert detail["webhook"]["retry_count"] == 2 and detail["webhook"]["retry_on"] == ["all"]

    attempts = detail["callbacks"]
    assert [a["params"]["MessageStatus"] for a in attempts] == ["sent", "delivered"]
    validator = RequestValidator(account["auth_token"])
    for attempt in attempts:
        signature = attempt["headers"]["X-Twilio-Signature"]
        assert validator.validate(attempt["url"], attempt["params"], signature)
        assert attempt["status_code"] == 200 and attempt["duration_ms"] >= 0
        assert f"-H 'X-Twilio-Signature: {signature}'" in attempt["curl"]
    received = callback_recorder.requests[-1]
    assert received.headers["X-Twilio-Signature"] == attempts[-1]["headers"]["X-Twilio-Signature"]


def test_detail_of_unknown_message_is_a_404_envelope(simulator) -> None:
    response = requests.get(f"{simulator.url}/_smsim/messages/SM{'0' * 32}", timeout=10)
    assert response.status_code == 404
    assert response.json()["code"] == 20404


def test_redeliver_sends_the_identical_signed_request_and_logs_a_new_attempt(
    simulator, smsim_control, callback_recorder
) -> None:
    account = _account(smsim_control)
    sid = _send(simulator, account, HANDSET, "hi", callback_recorder.url("/status?x=1"))
    smsim_control.run_until_idle()
    before = smsim_control.callbacks(message_sid=sid)
    original = before[-1]
    count = len(callback_recorder.requests)

    response = requests.post(
        f"{simulator.url}/_smsim/callbacks/{original['id']}/redeliver", timeout=10
    )
    assert response.status_code == 201, response.text
    new = response.json()

    assert len(callback_recorder.requests) == count + 1
    first, again = callback_recorder.requests[count - 1], callback_recorder.requests[count]
    assert again.body == first.body and again.url == first.url
    assert again.headers["X-Twilio-Signature"] == first.headers["X-Twilio-Signature"]
    assert RequestValidator(account["auth_token"]).validate(
        again.url, again.params, again.headers["X-Twilio-Signature"]
    )
    after = smsim_control.callbacks(message_sid=sid)
    assert len(after) == len(before) + 1
    assert after[-1]["id"] == new["id"] and after[-1]["redelivery"] is True
    assert after[-1]["attempt"] == original["attempt"] + 1 and after[-1]["status_code"] == 200

    missing = requests.post(f"{simulator.url}/_smsim/callbacks/999999/redeliver", timeout=10)
    assert missing.status_code == 404 and missing.json()["code"] == 20404


def test_lost_callbacks_are_counted_listed_and_cleared_by_a_good_redelivery(
    simulator, smsim_control, callback_recorder
) -> None:
    account = _account(smsim_control)
    callback_recorder.respond(500, "down")  # an HTTP error is not retried by default
    lost = _send(simulator, account, HANDSET, "lost", callback_recorder.url("/status"))
    fine = _send(simulator, account, "+14155550124", "fine")  # no callback at all
    smsim_control.run_until_idle()

    count = requests.get(f"{simulator.url}/_smsim/callbacks/lost", timeout=10).json()["count"]
    assert count == 2  # sent and delivered
    listed = _list(simulator, lost_callbacks="true")["messages"]
    assert [m["sid"] for m in listed] == [lost] and fine not in [m["sid"] for m in listed]
    attempts = smsim_control.callbacks(message_sid=lost)
    assert [a["never_delivered"] for a in attempts] == [True, True]

    callback_recorder.respond(200, "")
    requests.post(f"{simulator.url}/_smsim/callbacks/{attempts[0]['id']}/redeliver", timeout=10)
    count = requests.get(f"{simulator.url}/_smsim/callbacks/lost", timeout=10).json()["count"]
    assert count == 1


def test_connection_refused_callbacks_are_lost_after_twilios_one_retry(
    simulator, smsim_control
) -> None:
    account = _account(smsim_control)
    sid = _send(simulator, account, HANDSET, "nobody listens", "http://127.0.0.1:9/status")
    smsim_control.run_until_idle()
    attempts = smsim_control.callbacks(message_sid=sid)
    assert [(a["params"]["MessageStatus"], a["attempt"]) for a in attempts] == [
        ("sent", 1),
        ("sent", 2),
        ("delivered", 1),
        ("delivered", 2),
    ]
    assert [a["never_delivered"] for a in attempts] == [False, True, False, True]
    assert requests.get(f"{simulator.url}/_smsim/callbacks/lost", timeout=10).json()["count"] == 2


def _lost_count(simulator) -> int:
    return requests.get(f"{simulator.url}/_smsim/callbacks/lost", timeout=10).json()["count"]


def test_redeliver_to_a_new_url_signs_for_that_url_and_clears_the_lost_callback(
    simulator, smsim_control, callback_recorder
) -> None:
    account = _account(smsim_control)
    sid = _send(simulator, account, HANDSET, "to a dead URL", "http://127.0.0.1:9/status")
    smsim_control.run_until_idle()
    assert _lost_count(simulator) == 2
    lost = [a for a in smsim_control.callbacks(message_sid=sid) if a["never_delivered"]]

    fixed = callback_recorder.url("/fixed?account=ACME")
    answer = requests.post(
        f"{simulator.url}/_smsim/callbacks/{lost[0]['id']}/redeliver",
        json={"url": fixed},
        timeout=10,
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["url"] == fixed and answer.json()["status_code"] == 200
    received = callback_recorder.wait_for(1)[0]
    assert received.params == lost[0]["params"]
    validator = RequestValidator(account["auth_token"])
    assert validator.validate(fixed, received.params, received.headers["X-Twilio-Signature"])
    assert _lost_count(simulator) == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "ftp://example.com/x"}, "url"),
        ({"url": "http://bad_host.example/x"}, "url"),
        ({"url": 7}, "url"),
        ({"uri": "http://127.0.0.1/x"}, "uri"),
    ],
)
def test_redeliver_refuses_a_bad_url_naming_the_field(
    simulator, smsim_control, body, field
) -> None:
    account = _account(smsim_control)
    sid = _send(simulator, account, HANDSET, "x", "http://127.0.0.1:9/status")
    smsim_control.run_until_idle()
    before = smsim_control.callbacks(message_sid=sid)
    answer = requests.post(
        f"{simulator.url}/_smsim/callbacks/{before[0]['id']}/redeliver", json=body, timeout=10
    )
    assert answer.status_code == 400 and answer.json()["message"].startswith(field + ":")
    assert len(smsim_control.callbacks(message_sid=sid)) == len(before)  # nothing sent


def test_redeliver_every_lost_callback_to_a_fixed_receiver(
    simulator, smsim_control, callback_recorder
) -> None:
    account = _account(smsim_control)
    first = _send(simulator, account, HANDSET, "one", "http://127.0.0.1:9/status")
    second = _send(simulator, account, "+14155550124", "two", "http://127.0.0.1:9/status")
    smsim_control.run_until_idle()
    assert _lost_count(simulator) == 4

    url = f"{simulator.url}/_smsim/callbacks/redeliver"
    fixed = callback_recorder.url("/fixed")
    one = requests.post(url, json={"lost": True, "url": fixed, "message_sid": first}, timeout=10)
    assert one.status_code == 200, one.text
    assert {k: one.json()[k] for k in ("sent", "delivered", "failed", "still_lost")} == {
        "sent": 2,
        "delivered": 2,
        "failed": 0,
        "still_lost": 0,
    }
    assert _lost_count(simulator) == 2

    again_dead = requests.post(url, json={"lost": True}, timeout=10).json()
    assert (again_dead["sent"], again_dead["delivered"], again_dead["still_lost"]) == (2, 0, 2)

    rest = requests.post(url, json={"lost": True, "url": fixed}, timeout=10).json()
    assert (rest["sent"], rest["delivered"], rest["still_lost"]) == (2, 2, 0)
    assert _lost_count(simulator) == 0
    received = callback_recorder.wait_for(4)
    assert sorted(r.params["MessageSid"] for r in received) == sorted([first] * 2 + [second] * 2)
    validator = RequestValidator(account["auth_token"])
    for request in received:
        assert validator.validate(fixed, request.params, request.headers["X-Twilio-Signature"])

    refused = requests.post(url, json={"lost": False}, timeout=10)
    assert refused.status_code == 400 and refused.json()["message"].startswith("lost:")


def _read_events(response, out: list[str], ended: list[BaseException | None]) -> None:
    """Collect the stream's lines; ``ended`` gets None when the server finished the
    stream, or the error that cut it (a read timeout, a reset)."""
    try:
        for line in response.iter_lines(decode_unicode=True):
            out.append(line)
    except requests.RequestException as error:
        ended.append(error)
        return
    ended.append(None)


def test_stream_reports_a_new_message_and_ends_when_the_server_stops() -> None:
    config = SimulatorConfig(memory=True, port=0, clock="virtual")
    server = SimulatorServer(config).start()
    try:
        response = requests.get(
            f"{server.url}/_smsim/stream",
            headers={"Accept": "text/event-stream"},
            stream=True,
            timeout=60,
        )
        assert response.headers["Content-Type"].startswith("text/event-stream")
        lines: list[str] = []
        ended: list[BaseException | None] = []
        reader = threading.Thread(target=_read_events, args=(response, lines, ended), daemon=True)
        reader.start()
        poll(lambda: ": connected" in lines, 30, "the stream's greeting")
        requests.post(
            f"{server.url}/_smsim/accounts", json={"type": "full"}, timeout=10
        ).raise_for_status()
        poll(lambda: "event: change" in lines, 30, "a change event for the new account")
    finally:
        server.stop()
    reader.join(30)  # a net for a hang: the read timeout is 60 s
    # Ended by the server finishing the stream on stop, not by a timeout or a reset.
    assert ended == [None], "the stream did not end when the server stopped"


def test_timeline_of_a_message_stored_before_moves_were_recorded(simulator, smsim_control) -> None:
    account = _account(smsim_control)
    sid = _send(simulator, account, HANDSET, "old")
    smsim_control.run_until_idle()
    store = simulator.engine.store
    forget = {
        "sqlite": "json_remove(extra, '$.status_history')",
        "postgresql": "(extra::jsonb - 'status_history')::text",
    }[store.dialect]
    store.execute(f"UPDATE messages SET extra = {forget} WHERE sid = ?", (sid,))
    detail = requests.get(f"{simulator.url}/_smsim/messages/{sid}", timeout=10).json()
    assert [p["status"] for p in detail["timeline"]] == ["created", "delivered"]


def test_stream_without_event_stream_accept_answers_at_once(simulator) -> None:
    response = requests.get(
        f"{simulator.url}/_smsim/stream", headers={"Accept": "application/json"}, timeout=5
    )
    assert response.status_code == 200
    assert isinstance(response.json()["version"], int)


def test_pages_render_their_data_and_a_bad_filter_is_a_clear_400(simulator, smsim_control) -> None:
    account = _account(smsim_control)
    sid = _send(simulator, account, HANDSET, "</script><b>bold</b>")
    home = requests.get(f"{simulator.url}/", timeout=10)
    assert home.status_code == 200 and sid in home.text
    assert "</script><b>" not in home.text  # embedded data cannot close its script tag
    detail = requests.get(f"{simulator.url}/messages/{sid}", timeout=10)
    assert detail.status_code == 200 and sid in detail.text
    thread = requests.get(f"{simulator.url}/conversations/{HANDSET}", timeout=10)
    assert thread.status_code == 200 and sid in thread.text
    bad = requests.get(f"{simulator.url}/", params={"before": "soon"}, timeout=10)
    assert bad.status_code == 400 and "before: must be a positive integer" in bad.text
    missing = requests.get(f"{simulator.url}/messages/SM{'0' * 32}", timeout=10)
    assert missing.status_code == 404
