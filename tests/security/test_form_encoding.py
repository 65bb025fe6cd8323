"""Form bodies on the Twilio surface must be UTF-8. Werkzeug drops a whole body it cannot
decode, which used to turn one stray byte into "A 'To' phone number is required"."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from security_helpers import TIMEOUT, control_state, http, seed_state

FORM = "application/x-www-form-urlencoded"


def create_raw(sim, account, body: bytes):
    with http() as session:
        return session.post(
            f"{sim.url}/2010-04-01/Accounts/{account['sid']}/Messages.json",
            data=body,
            headers={"Content-Type": FORM},
            auth=(account["sid"], account["auth_token"]),
            timeout=TIMEOUT,
        )


@pytest.mark.parametrize(
    ("body", "where"),
    [
        (b"To=%2B14155550199&From=%2B14155550111&Body=caf\xe9", "byte 0xe9 at position 46"),
        (b"To=%2B14155550199\xff&From=%2B14155550111&Body=hi", "byte 0xff at position 17"),
        (b"To=%2B14155550199&From=%2B14155550111&Body=caf%E9", "a percent-encoded parameter"),
    ],
    ids=["latin-1-body", "stray-byte-in-to", "percent-encoded-latin-1"],
)
def test_invalid_utf8_is_a_400_naming_the_encoding(sim, body, where):
    account = seed_state(sim)
    before = control_state(sim)["messages"]

    response = create_raw(sim, account, body)

    assert response.status_code == 400
    error = response.json()
    assert set(error) == {"code", "message", "more_info", "status"}
    assert error["status"] == 400 and error["code"] == 20001
    assert "not valid UTF-8" in error["message"] and where in error["message"]
    assert "'To'" not in error["message"]
    assert control_state(sim)["messages"] == before


def test_utf8_bodies_raw_or_percent_encoded_are_sent_as_written(sim):
    account = seed_state(sim)
    text = "café ✓ 😀"
    raw = f"To=%2B14155550199&From=%2B14155550111&Body={text}".encode()
    encoded = f"To=%2B14155550199&From=%2B14155550111&Body={quote(text)}".encode()

    first, second = create_raw(sim, account, raw), create_raw(sim, account, encoded)

    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["body"] == second.json()["body"] == text


def test_non_ascii_credentials_are_refused_with_401_not_a_500(sim, start_simulator):
    account = seed_state(sim)
    with http() as session:
        basic = session.get(
            f"{sim.url}/2010-04-01/Accounts/{account['sid']}.json",
            auth=(account["sid"].encode(), "pässwörd".encode()),
            timeout=TIMEOUT,
        )
        api_key = session.get(
            f"{sim.url}/2010-04-01/Accounts/{account['sid']}.json",
            auth=(("SK" + "0" * 32).encode(), "sécret".encode()),
            timeout=TIMEOUT,
        )
    assert (basic.status_code, api_key.status_code) == (401, 401)
    assert basic.json()["code"] == api_key.json()["code"] == 20003

    protected = start_simulator(control_token="tökén")
    with http() as session:
        wrong = session.get(
            f"{protected.url}/_smsim/health",
            headers={"Authorization": "Bearer tøken".encode()},
            timeout=TIMEOUT,
        )
        right = session.get(
            f"{protected.url}/_smsim/health",
            headers={"X-Smsim-Control-Token": "tökén".encode()},
            timeout=TIMEOUT,
        )
    assert wrong.status_code == 401
    assert right.status_code == 200


def test_a_non_ascii_body_hash_on_the_callback_receiver_is_refused_not_a_500(start_client):
    client = start_client()
    with http() as session:
        response = session.post(
            f"{client.url}/sms/twilio?bodySHA256=%C3%A9",
            data={"MessageSid": "SM" + "0" * 32, "MessageStatus": "delivered"},
            headers={"X-Twilio-Signature": "abc"},
            timeout=TIMEOUT,
        )
    assert response.status_code == 403
