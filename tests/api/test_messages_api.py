"""The Messages surface through the official SDK and raw HTTP: shapes, paging, errors."""

from __future__ import annotations

import re

import pytest
import requests
from twilio.base.exceptions import TwilioRestException

pytestmark = pytest.mark.both_engines

FROM = "+14155550100"
RFC2822 = re.compile(r"^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} \+0000$")


def _messages_url(sim, account):
    return f"{sim.url}/2010-04-01/Accounts/{account['sid']}/Messages.json"


def _auth(account):
    return (account["sid"], account["auth_token"])


def _count(sim, account) -> int:
    body = requests.get(_messages_url(sim, account), auth=_auth(account), timeout=5).json()
    return len(body["messages"])


def test_create_returns_twilio_shape(simulator, twilio_account, spec_schema):
    response = requests.post(
        _messages_url(simulator, twilio_account),
        data={"To": "+14155550199", "From": FROM, "Body": "Hello! 👍"},
        auth=_auth(twilio_account),
        timeout=5,
    )
    assert response.status_code == 201
    body = response.json()
    validator = spec_schema("api.v2010.account.message")
    assert sorted(validator.schema["properties"]) == sorted(body)
    assert list(validator.iter_errors(body)) == []
    assert re.fullmatch(r"SM[0-9a-f]{32}", body["sid"])
    assert body["status"] == "queued"
    assert body["num_segments"] == "1" and body["num_media"] == "0"
    assert body["body"] == "Hello! 👍"
    assert body["direction"] == "outbound-api"
    assert body["date_sent"] is None and RFC2822.match(body["date_created"])
    assert body["error_code"] is None and body["price"] is None
    assert (
        body["uri"] == f"/2010-04-01/Accounts/{twilio_account['sid']}/Messages/{body['sid']}.json"
    )
    assert body["subresource_uris"]["media"] == body["uri"][:-5] + "/Media.json"


def test_sdk_round_trip_create_fetch_update_delete(twilio_client, smsim_control):
    msg = twilio_client.messages.create(to="+14155550199", from_=FROM, body="round trip")
    fetched = twilio_client.messages(msg.sid).fetch()
    assert fetched.sid == msg.sid and fetched.body == "round trip"
    with pytest.raises(TwilioRestException) as refused:
        twilio_client.messages(msg.sid).delete()
    assert refused.value.status == 409
    smsim_control.run_until_idle()
    assert twilio_client.messages(msg.sid).fetch().status == "delivered"
    redacted = twilio_client.messages(msg.sid).update(body="")
    assert redacted.body == ""
    assert twilio_client.messages(msg.sid).delete() is True
    with pytest.raises(TwilioRestException) as gone:
        twilio_client.messages(msg.sid).fetch()
    assert (gone.value.status, gone.value.code) == (404, 20404)


def test_sdk_lists_across_pages_newest_first(twilio_client, spec_schema, simulator, twilio_account):
    sids = [
        twilio_client.messages.create(to="+14155550199", from_=FROM, body=f"n{i}").sid
        for i in range(7)
    ]
    listed = twilio_client.messages.list(limit=7, page_size=3)
    assert [m.sid for m in listed] == list(reversed(sids))
    page = requests.get(
        _messages_url(simulator, twilio_account),
        params={"PageSize": 3},
        auth=_auth(twilio_account),
        timeout=5,
    ).json()
    assert "&PageToken=PA" in page["next_page_uri"]
    assert (page["start"], page["end"], page["page_size"]) == (0, 2, 3)
    second = requests.get(
        simulator.url + page["next_page_uri"], auth=_auth(twilio_account), timeout=5
    ).json()
    assert (second["page"], second["start"], second["end"]) == (1, 3, 5)
    assert second["previous_page_uri"] is not None


def test_list_page_matches_spec(simulator, twilio_account, spec_document):
    from jsonschema import Draft202012Validator

    requests.post(
        _messages_url(simulator, twilio_account),
        data={"To": "+14155550199", "From": FROM, "Body": "x"},
        auth=_auth(twilio_account),
        timeout=5,
    )
    page = requests.get(
        _messages_url(simulator, twilio_account), auth=_auth(twilio_account), timeout=5
    ).json()
    op = spec_document["paths"]["/2010-04-01/Accounts/{AccountSid}/Messages.json"]["get"]
    schema = op["responses"]["200"]["content"]["application/json"]["schema"]
    shape = {k: v for k, v in schema["properties"].items() if k != "messages"}
    assert set(schema["properties"]) <= set(page)
    for key, prop in shape.items():
        expected = {"integer": int, "string": str}[prop["type"]]
        assert (page[key] is None and prop.get("nullable")) or isinstance(page[key], expected)
    assert Draft202012Validator({"type": "array"}).is_valid(page["messages"])


def test_list_filters_by_to_from_and_date_sent(twilio_client, smsim_control):
    import datetime as dt

    twilio_client.messages.create(to="+14155550111", from_=FROM, body="a")
    twilio_client.messages.create(to="+14155550122", from_=FROM, body="b")
    assert [m.body for m in twilio_client.messages.list(to="+14155550122")] == ["b"]
    assert len(twilio_client.messages.list(from_=FROM)) == 2
    today = dt.datetime.now(dt.UTC).date()
    assert twilio_client.messages.list(date_sent=today) == []  # nothing sent yet
    smsim_control.run_until_idle()
    assert len(twilio_client.messages.list(date_sent_after=dt.datetime(2000, 1, 1))) == 2
    assert twilio_client.messages.list(date_sent_before=dt.datetime(2000, 1, 1)) == []
    assert len(twilio_client.messages.list(date_sent=today)) == 2
    # Given together, the filters narrow each other.
    assert (
        twilio_client.messages.list(date_sent=today, date_sent_before=dt.datetime(2000, 1, 1)) == []
    )


# -- errors: status, code, message, and nothing stored ------------------------------------

ERROR_CASES = [
    ({"From": FROM, "Body": "x"}, 21604, 400, "A 'To' phone number is required."),
    ({"To": "+14155550199", "Body": "x"}, 21603, 400, "A 'From' phone number is required."),
    ({"To": "123", "From": FROM, "Body": "x"}, 21211, 400, "The 'To' number 123 is not a valid"),
    ({"To": "+14155550199", "From": "+15005550001", "Body": "x"}, 21212, 400, "+15005550001"),
    ({"To": "+14155550199", "From": "+15005550007", "Body": "x"}, 21606, 400, "+15005550007"),
    ({"To": "+14155550199", "From": "+14155559999", "Body": "x"}, 21606, 400, "+14155559999"),
    ({"To": "+14155550199", "From": FROM, "Body": ""}, 21602, 400, "Message body is required."),
    ({"To": "+14155550199", "From": FROM}, 21619, 400, "A message body"),
    ({"To": "+14155550199", "From": FROM, "Body": "x" * 1601}, 21617, 400, "1600 character"),
    ({"To": "+15005550002", "From": FROM, "Body": "x"}, 21612, 400, "not currently reachable"),
    ({"To": "+15005550003", "From": FROM, "Body": "x"}, 21408, 400, "Permission to send"),
    ({"To": "+15005550004", "From": FROM, "Body": "x"}, 21610, 400, "unsubscribed"),
    ({"To": "+15005550009", "From": FROM, "Body": "x"}, 21614, 400, "is not a mobile number"),
    ({"To": "+15005550001", "From": FROM, "Body": "x"}, 21211, 400, "+15005550001"),
    ({"To": "+14155550199", "From": "+15005550008", "Body": "x"}, 21611, 429, "SMS queue is full."),
]


@pytest.mark.parametrize(("form", "code", "status", "text"), ERROR_CASES)
def test_create_errors_match_twilio(simulator, twilio_account, form, code, status, text):
    response = requests.post(
        _messages_url(simulator, twilio_account), data=form, auth=_auth(twilio_account), timeout=5
    )
    body = response.json()
    assert response.status_code == status
    assert body == {
        "code": code,
        "message": body["message"],
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }
    assert text in body["message"]
    assert _count(simulator, twilio_account) == 0


@pytest.mark.parametrize(
    "callback", ["not a url", "ftp://example.com/cb", "http://bad_host.example.com/cb"]
)
def test_invalid_status_callback_is_refused(simulator, twilio_account, callback):
    response = requests.post(
        _messages_url(simulator, twilio_account),
        data={"To": "+14155550199", "From": FROM, "Body": "x", "StatusCallback": callback},
        auth=_auth(twilio_account),
        timeout=5,
    )
    assert (response.status_code, response.json()["code"]) == (400, 21609)
    assert _count(simulator, twilio_account) == 0


def test_1600_characters_accepted(simulator, twilio_account):
    response = requests.post(
        _messages_url(simulator, twilio_account),
        data={"To": "+14155550199", "From": FROM, "Body": "x" * 1600},
        auth=_auth(twilio_account),
        timeout=5,
    )
    assert response.status_code == 201
    assert response.json()["num_segments"] == "11"


def test_sdk_exception_carries_code_and_status(twilio_client):
    with pytest.raises(TwilioRestException) as caught:
        twilio_client.messages.create(to="+15005550009", from_=FROM, body="x")
    assert (caught.value.code, caught.value.status) == (21614, 400)
    assert "is not a mobile number" in caught.value.msg


def test_wrong_credentials_get_20003(simulator, twilio_account):
    response = requests.get(
        _messages_url(simulator, twilio_account), auth=(twilio_account["sid"], "nope"), timeout=5
    )
    assert response.status_code == 401
    assert response.json()["code"] == 20003
    assert response.json()["message"] == "Authenticate"
    assert requests.get(_messages_url(simulator, twilio_account), timeout=5).status_code == 401


def test_unknown_message_and_route_get_20404(simulator, twilio_account):
    base = f"{simulator.url}/2010-04-01/Accounts/{twilio_account['sid']}"
    for url in (f"{base}/Messages/SM{'0' * 32}.json", f"{base}/Messages/nonsense.json"):
        response = requests.get(url, auth=_auth(twilio_account), timeout=5)
        assert (response.status_code, response.json()["code"]) == (404, 20404)
    # Twilio authenticates first: an unknown route is 404 only to a caller it knows.
    response = requests.get(f"{simulator.url}/2010-04-01/Nothing.json", timeout=5)
    assert (response.status_code, response.json()["code"]) == (401, 20003)
    response = requests.get(
        f"{simulator.url}/2010-04-01/Nothing.json", auth=_auth(twilio_account), timeout=5
    )
    assert (response.status_code, response.json()["code"]) == (404, 20404)


def test_national_formats_are_normalised(twilio_client):
    msg = twilio_client.messages.create(to="(708) 503-8000", from_=FROM, body="x")
    assert msg.to == "+17085038000"


def test_api_key_credentials(simulator, twilio_account):
    key = requests.post(
        f"{simulator.url}/_smsim/accounts/{twilio_account['sid']}/keys", json={}, timeout=5
    ).json()
    key_sid, secret = key["sid"], key["secret"]
    assert re.fullmatch(r"SK[0-9a-f]{32}", key_sid)
    response = requests.post(
        _messages_url(simulator, twilio_account),
        data={"To": "+14155550199", "From": FROM, "Body": "via key"},
        auth=(key_sid, secret),
        timeout=5,
    )
    assert response.status_code == 201
    assert response.json()["account_sid"] == twilio_account["sid"]
    bad = requests.get(_messages_url(simulator, twilio_account), auth=(key_sid, "x"), timeout=5)
    assert bad.status_code == 401
