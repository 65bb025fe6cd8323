"""The callback receiver is answered in front of Flask (two callbacks per message make it
most of a campaign's client work). Two clients set up alike get the same requests, one
through the fast path and one through the Flask route only: every answer (status, content
type, body) and the stats they end with must be the same."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from client_helpers import (
    ACCOUNT_SID,
    FROM,
    FakeTwilio,
    provider_settings,
    sign,
    status_params,
)
from wsgi_helpers import call_wsgi

from smsim.client import ClientConfig
from smsim.client.app import create_app
from smsim.client.fast_receive import ReceiverFastPath

HOST = "127.0.0.1:8911"
FORM = "application/x-www-form-urlencoded"
TO = "+14155550123"


def _client_app(twilio_url: str) -> Any:
    app = create_app(ClientConfig(memory=True, twilio_base_url=twilio_url))
    created = app.test_client().post("/api/providers", json=provider_settings())
    assert created.status_code == 201, created.get_data(as_text=True)
    app.config["provider_id"] = created.get_json()["id"]
    return app


def _send_test_sms(app: Any, fake: FakeTwilio, to: str) -> str:
    """A message the client knows, so its callbacks count; returns its SID."""
    sent = app.test_client().post(
        f"/api/providers/{app.config['provider_id']}/test-sms",
        json={"country_code": "1", "mobile_number": to[2:], "message": "hi"},
    )
    assert sent.status_code < 300, sent.get_data(as_text=True)
    return str(fake.sent_to(to)["_sid"])


def _call(wsgi: Any, query: str, body: bytes, headers: dict[str, str], ctype: str) -> tuple:
    return call_wsgi(
        wsgi, "/sms/twilio", body, ctype=ctype, query=query, headers=headers, host=HOST
    )


def _signed(params: dict[str, str], query: str = "", **extra: Any) -> tuple:
    url = f"http://{HOST}/sms/twilio" + (f"?{query}" if query else "")
    return query, urlencode(params).encode(), {"X-Twilio-Signature": sign(url, params)}, FORM


def _cases(known: tuple[str, str]) -> list[tuple[str, tuple]]:
    sid = "SM" + "a" * 32
    delivered = status_params(sid, "delivered")
    first, second = (status_params(s, "delivered", to=TO) for s in known)
    failed = status_params("SM" + "b" * 32, "undelivered", error_code=30005)
    reply = {
        "MessageSid": "SM" + "c" * 32,
        "AccountSid": ACCOUNT_SID,
        "From": "+14155550100",
        "To": FROM,
        "Body": "STOP",
        "NumMedia": "0",
    }
    unsigned = (urlencode(delivered).encode(), {})
    return [
        ("a known message delivered", ((first, second), _signed(first))),
        ("delivered", _signed(delivered)),
        ("the same again", _signed(delivered)),
        ("an error code", _signed(failed)),
        ("with the account query", _signed(delivered, "account=smsim-client")),
        ("a reply", _signed(reply)),
        ("no signature", ("", unsigned[0], {}, FORM)),
        ("a forged signature", ("", unsigned[0], {"X-Twilio-Signature": "AAAA"}, FORM)),
        ("an empty body", ("", b"", {}, FORM)),
        ("JSON", ("", json.dumps(delivered).encode(), {}, "application/json")),
        ("non-ASCII", _signed({**delivered, "Body": "héllo"})),
    ]


def test_the_fast_path_answers_every_callback_as_the_flask_route_does(fake_twilio):
    fast_app, flask_app = _client_app(fake_twilio.url), _client_app(fake_twilio.url)
    known = (_send_test_sms(fast_app, fake_twilio, TO), _send_test_sms(flask_app, fake_twilio, TO))
    fast, flask_only = fast_app.wsgi_app, flask_app.wsgi_app.app
    assert isinstance(fast, ReceiverFastPath), "the fast path is not installed"
    for name, case in _cases(known):
        if isinstance(case[0], tuple):  # each app is told of its own message
            (one, other), _ = case
            via_fast = _call(fast, *_signed(one))
            via_flask = _call(flask_only, *_signed(other))
            assert via_fast[:2] == via_flask[:2] == ("200 OK", "application/json"), name
            assert json.loads(via_fast[2])["outcome"] == json.loads(via_flask[2])["outcome"]
            continue
        query, body, headers, ctype = case
        via_fast = _call(fast, query, body, headers, ctype)
        via_flask = _call(flask_only, query, body, headers, ctype)
        assert via_fast == via_flask, name
    assert via_fast[0].startswith("2"), "the last case was refused by both"
    stats = [
        app.test_client().get(f"/api/providers/{app.config['provider_id']}/stats").get_json()
        for app in (fast_app, flask_app)
    ]
    assert stats[0] == stats[1]
    events = [app.test_client().get("/api/events").get_json() for app in (fast_app, flask_app)]
    assert len(events[0]["events"]) == len(events[1]["events"]) > 0
