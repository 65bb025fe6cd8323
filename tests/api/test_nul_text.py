"""A NUL character (U+0000) in what a user sends or what a receiver answers: SQLite stores
it, PostgreSQL's text type cannot. Neither engine answers a 500 or loses the message:
PostgreSQL refuses the request with a 400 naming the character (nothing stored), and a
receiver's binary answer is logged with U+FFFD in its place on both."""

from __future__ import annotations

import pytest
import requests

pytestmark = pytest.mark.both_engines

FROM = "+14155550100"


def test_a_nul_in_a_body_is_stored_or_refused_never_a_500(simulator, twilio_account, db_engine):
    url = f"{simulator.url}/2010-04-01/Accounts/{twilio_account['sid']}/Messages.json"
    auth = (twilio_account["sid"], twilio_account["auth_token"])
    response = requests.post(
        url, data={"To": "+14155550199", "From": FROM, "Body": "a\x00b"}, auth=auth, timeout=10
    )
    listed = requests.get(url, auth=auth, timeout=10).json()["messages"]
    if db_engine == "sqlite":
        assert response.status_code == 201 and response.json()["body"] == "a\x00b"
        assert len(listed) == 1
    else:
        assert response.status_code == 400
        assert response.json()["code"] == 20001 and "NUL" in response.json()["message"]
        assert listed == []
    # a filter with a NUL is answered too (no 500), and the server goes on serving
    found = requests.get(f"{simulator.url}/_smsim/callbacks?url=x%00y", timeout=10)
    assert found.status_code in {200, 400}
    ok = requests.post(
        url, data={"To": "+14155550199", "From": FROM, "Body": "ok"}, auth=auth, timeout=10
    )
    assert ok.status_code == 201


def test_a_receivers_binary_answer_is_logged_with_a_replacement(
    simulator, twilio_account, smsim_control, callback_recorder
):
    callback_recorder.respond(200, "GIF89a\x00\x01", "image/gif")
    url = f"{simulator.url}/2010-04-01/Accounts/{twilio_account['sid']}/Messages.json"
    created = requests.post(
        url,
        data={
            "To": "+14155550199",
            "From": FROM,
            "Body": "hi",
            "StatusCallback": callback_recorder.url(),
        },
        auth=(twilio_account["sid"], twilio_account["auth_token"]),
        timeout=10,
    ).json()
    smsim_control.run_until_idle()
    attempts = smsim_control.callbacks(message_sid=created["sid"])
    assert attempts and all(a["status_code"] == 200 for a in attempts)
    assert {a["response_body"] for a in attempts} == {"GIF89a\ufffd\x01"}
