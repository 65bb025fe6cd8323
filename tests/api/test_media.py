"""MMS media and Feedback as Twilio serves them (docs/fidelity.md, Messages API: Media
and Feedback): every MediaUrl is a Media resource that can be listed (paged as Messages
are), fetched and deleted; more than 10 or a non-http(s) URL is refused; the Feedback
route that ``subresource_uris`` advertises exists."""

from __future__ import annotations

import re
from email.utils import parsedate_to_datetime
from typing import Any

import pytest
import requests
from twilio.base.exceptions import TwilioRestException

from smsim.testing import ControlError

pytestmark = pytest.mark.both_engines

FROM = "+14155550100"
TO = "+14155550199"
HANDSET = "+12125550123"
MEDIA_KEYS = {
    "account_sid",
    "content_type",
    "date_created",
    "date_updated",
    "parent_sid",
    "sid",
    "uri",
}
CAT = "https://cdn.example.com/pics/cat.JPG?size=large#top"
CLIP = "http://cdn.example.com/clip.mp4"
BLOB = "https://cdn.example.com/download?id=7"


def _session(account: dict[str, Any]) -> requests.Session:
    session = requests.Session()
    session.auth = (account["sid"], account["auth_token"])
    return session


def _create(simulator, account, media: list[str], **extra: str) -> requests.Response:
    return _session(account).post(
        f"{simulator.url}/2010-04-01/Accounts/{account['sid']}/Messages.json",
        data={"To": TO, "From": FROM, "Body": "look", "MediaUrl": media, **extra},
        timeout=5,
    )


def _media_list(simulator, account, message: dict[str, Any], **params: Any) -> requests.Response:
    return _session(account).get(
        simulator.url + message["subresource_uris"]["media"], params=params, timeout=5
    )


def test_each_media_url_becomes_a_media_resource(simulator, twilio_account):
    created = _create(simulator, twilio_account, [CAT, CLIP, BLOB])
    assert created.status_code == 201, created.text
    message = created.json()
    assert message["num_media"] == "3"

    listed = _media_list(simulator, twilio_account, message)

    assert listed.status_code == 200, listed.text
    items = listed.json()["media_list"]
    assert [m["content_type"] for m in items] == [
        "image/jpeg",  # the path's extension, any case; query and fragment ignored
        "video/mp4",
        "application/octet-stream",  # no extension: nothing to guess from
    ]
    for item in items:
        assert set(item) == MEDIA_KEYS
        assert re.fullmatch(r"ME[0-9a-f]{32}", item["sid"])
        assert item["parent_sid"] == message["sid"]
        assert item["account_sid"] == twilio_account["sid"]
        assert item["uri"] == message["uri"][:-5] + f"/Media/{item['sid']}.json"
        assert parsedate_to_datetime(item["date_created"]) == parsedate_to_datetime(
            message["date_created"]
        )
        assert item["date_updated"] == item["date_created"]
        fetched = _session(twilio_account).get(simulator.url + item["uri"], timeout=5)
        assert fetched.status_code == 200 and fetched.json() == item
    assert len({m["sid"] for m in items}) == 3


def test_media_json_matches_twilios_spec(simulator, twilio_account, spec_schema):
    message = _create(simulator, twilio_account, [CAT]).json()
    page = _media_list(simulator, twilio_account, message).json()

    spec_schema("api.v2010.account.message.media").validate(page["media_list"][0])
    assert set(page) == {
        "end",
        "first_page_uri",
        "media_list",
        "next_page_uri",
        "page",
        "page_size",
        "previous_page_uri",
        "start",
        "uri",
    }


def test_the_sdk_lists_fetches_and_deletes_media(twilio_client, smsim_control):
    message = twilio_client.messages.create(
        to=TO, from_=FROM, body="two pictures", media_url=[CAT, CLIP]
    )
    media = twilio_client.messages(message.sid).media

    listed = media.list()
    assert [m.content_type for m in listed] == ["image/jpeg", "video/mp4"]
    first = media(listed[0].sid).fetch()
    assert (first.sid, first.parent_sid, first.content_type) == (
        listed[0].sid,
        message.sid,
        "image/jpeg",
    )

    assert media(first.sid).delete() is True

    assert [m.sid for m in media.list()] == [listed[1].sid]
    with pytest.raises(TwilioRestException) as gone:
        media(first.sid).fetch()
    assert (gone.value.status, gone.value.code) == (404, 20404)
    # the message still says how many media it was sent with (docs/fidelity.md)
    assert twilio_client.messages(message.sid).fetch().num_media == "2"


def test_ten_media_urls_are_accepted_and_eleven_refused_with_21623(simulator, twilio_account):
    ten = [f"https://cdn.example.com/{i}.png" for i in range(10)]
    accepted = _create(simulator, twilio_account, ten)
    assert accepted.status_code == 201, accepted.text
    assert len(_media_list(simulator, twilio_account, accepted.json()).json()["media_list"]) == 10

    refused = _create(simulator, twilio_account, [*ten, "https://cdn.example.com/10.png"])

    assert refused.status_code == 400
    assert refused.json()["code"] == 21623
    assert "11" in refused.json()["message"]
    listed = _session(twilio_account).get(
        f"{simulator.url}/2010-04-01/Accounts/{twilio_account['sid']}/Messages.json", timeout=5
    )
    assert len(listed.json()["messages"]) == 1  # nothing stored for the refused one


@pytest.mark.parametrize(
    "url",
    [
        "ftp://cdn.example.com/a.png",
        "javascript:alert(1)",
        "file:///etc/passwd",
        "/relative/a.png",
        "cdn.example.com/a.png",
        "https://",
        "https://cdn.example.com:99999/a.png",
        "https://cdn.example.com/a b.png",
    ],
)
def test_a_media_url_that_is_not_absolute_http_is_refused_with_21620(
    simulator, twilio_account, url
):
    refused = _create(simulator, twilio_account, ["https://cdn.example.com/ok.png", url])

    assert refused.status_code == 400, refused.text
    assert refused.json()["code"] == 21620
    assert url in refused.json()["message"]


def test_media_list_pages_like_messages(simulator, twilio_account):
    message = _create(simulator, twilio_account, [CAT, CLIP, BLOB]).json()
    all_sids = [
        m["sid"] for m in _media_list(simulator, twilio_account, message).json()["media_list"]
    ]

    first = _media_list(simulator, twilio_account, message, PageSize=2).json()
    second = _session(twilio_account).get(simulator.url + first["next_page_uri"], timeout=5).json()

    assert (first["page"], first["page_size"], first["start"], first["end"]) == (0, 2, 0, 1)
    assert (second["page"], second["start"], second["end"]) == (1, 2, 2)
    assert second["next_page_uri"] is None
    assert second["previous_page_uri"].endswith("PageSize=2&Page=0")
    assert [m["sid"] for m in first["media_list"] + second["media_list"]] == all_sids
    for bad in ("0", "1001", "-5", "x"):
        refused = _media_list(simulator, twilio_account, message, PageSize=bad)
        assert refused.status_code == 400, bad
        assert refused.json()["code"] == 20001
    bad_token = _media_list(simulator, twilio_account, message, PageToken="PAnope")
    assert (bad_token.status_code, bad_token.json()["code"]) == (400, 20001)


def test_media_list_filters_by_date_created(simulator, twilio_account):
    message = _create(simulator, twilio_account, [CAT]).json()
    day = parsedate_to_datetime(message["date_created"]).date()

    def count(**params: str) -> int:
        response = _media_list(simulator, twilio_account, message, **params)
        assert response.status_code == 200, response.text
        return len(response.json()["media_list"])

    assert count(DateCreated=day.isoformat()) == 1
    assert count(DateCreated="2001-01-01") == 0
    assert count(**{"DateCreated<": "2001-01-01"}) == 0
    assert count(**{"DateCreated>": "2001-01-01"}) == 1
    refused = _media_list(simulator, twilio_account, message, DateCreated="yesterday")
    assert (refused.status_code, refused.json()["code"]) == (400, 20001)


def test_unknown_media_and_other_accounts_are_refused(simulator, smsim_control, twilio_account):
    message = _create(simulator, twilio_account, [CAT]).json()
    media = _media_list(simulator, twilio_account, message).json()["media_list"][0]
    other = _create(simulator, twilio_account, [CLIP]).json()
    session = _session(twilio_account)

    for path in (
        message["uri"][:-5] + "/Media/ME" + "0" * 32 + ".json",
        message["uri"][:-5] + "/Media/nonsense.json",
        # a real Media SID under another message of the same account
        other["uri"][:-5] + f"/Media/{media['sid']}.json",
    ):
        missing = session.get(simulator.url + path, timeout=5)
        assert (missing.status_code, missing.json()["code"]) == (404, 20404), path
        assert session.delete(simulator.url + path, timeout=5).status_code == 404
    no_message = session.get(
        simulator.url
        + message["subresource_uris"]["media"].replace(message["sid"], "SM" + "0" * 32),
        timeout=5,
    )
    assert (no_message.status_code, no_message.json()["code"]) == (404, 20404)
    stranger = smsim_control.create_account("full")
    for method in ("get", "delete"):
        refused = getattr(requests, method)(
            simulator.url + media["uri"], auth=(stranger["sid"], stranger["auth_token"]), timeout=5
        )
        assert refused.status_code == 401, method
    assert requests.get(simulator.url + media["uri"], timeout=5).status_code == 401
    assert session.get(simulator.url + media["uri"], timeout=5).status_code == 200


def test_deleting_the_message_deletes_its_media_and_feedback(
    simulator, smsim_control, twilio_account
):
    message = _create(simulator, twilio_account, [CAT, CLIP]).json()
    session = _session(twilio_account)
    session.post(simulator.url + message["subresource_uris"]["feedback"], timeout=5)
    smsim_control.run_until_idle()  # only a final message can be deleted

    gone = session.delete(simulator.url + message["uri"], timeout=5)

    assert gone.status_code == 204
    store = simulator.engine.store
    assert store.scalar("SELECT COUNT(*) FROM media WHERE parent_sid = ?", (message["sid"],)) == 0
    assert (
        store.scalar(
            "SELECT COUNT(*) FROM message_feedback WHERE message_sid = ?", (message["sid"],)
        )
        == 0
    )


def test_a_text_message_has_an_empty_media_list(simulator, twilio_account):
    message = _create(simulator, twilio_account, []).json()

    listed = _media_list(simulator, twilio_account, message)

    assert message["num_media"] == "0" and message["sid"].startswith("SM")
    assert listed.status_code == 200 and listed.json()["media_list"] == []


def test_inbound_handset_media_are_media_resources(simulator, smsim_control, callback_recorder):
    account = smsim_control.create_account(
        "full", numbers=[{"phone_number": FROM, "sms_url": callback_recorder.url("/sms")}]
    )
    urls = ["https://handset.example.net/IMG_0001.HEIC", "https://handset.example.net/v.3gp"]

    result = smsim_control.inbound(HANDSET, FROM, "", media_urls=urls)

    params = callback_recorder.requests[0].params
    listed = _media_list(simulator, account, result["message"]).json()["media_list"]
    assert params["NumMedia"] == "2"
    assert [m["content_type"] for m in listed] == [
        params["MediaContentType0"],
        params["MediaContentType1"],
    ]
    assert [params["MediaUrl0"], params["MediaUrl1"]] == urls
    assert all(m["parent_sid"] == result["message"]["sid"] for m in listed)


def test_inbound_media_urls_must_be_http(simulator, smsim_control):
    smsim_control.create_account("full", numbers=[FROM])

    with pytest.raises(ControlError) as refused:
        smsim_control.inbound(
            HANDSET, FROM, "", media_urls=["https://ok.example/a.png", "ftp://x/y"]
        )

    assert "-> 400" in str(refused.value)
    assert "media_urls[1]" in str(refused.value)


# -- Feedback --------------------------------------------------------------------------------


def test_feedback_records_the_outcome(simulator, twilio_account, smsim_control):
    message = _create(simulator, twilio_account, [], **{"ProvideFeedback": "true"}).json()
    url = simulator.url + message["subresource_uris"]["feedback"]
    session = _session(twilio_account)

    first = session.post(url, data={"Outcome": "unconfirmed"}, timeout=5)
    smsim_control.advance(5)
    second = session.post(url, data={"Outcome": "confirmed"}, timeout=5)

    assert first.status_code == 200, first.text
    assert first.json() == {
        "account_sid": twilio_account["sid"],
        "date_created": first.json()["date_created"],
        "date_updated": first.json()["date_created"],
        "message_sid": message["sid"],
        "outcome": "unconfirmed",
        "uri": message["uri"][:-5] + "/Feedback.json",
    }
    assert second.json()["outcome"] == "confirmed"
    assert second.json()["date_created"] == first.json()["date_created"]
    assert parsedate_to_datetime(second.json()["date_updated"]) > parsedate_to_datetime(
        first.json()["date_updated"]
    )
    assert session.post(url, timeout=5).json()["outcome"] == "confirmed"  # the default
    bad = session.post(url, data={"Outcome": "delivered"}, timeout=5)
    assert (bad.status_code, bad.json()["code"]) == (400, 20001)
    missing = session.post(url.replace(message["sid"], "SM" + "0" * 32), timeout=5)
    assert (missing.status_code, missing.json()["code"]) == (404, 20404)


def test_the_sdk_sends_feedback(twilio_client):
    message = twilio_client.messages.create(to=TO, from_=FROM, body="your code is 1234")

    feedback = twilio_client.messages(message.sid).feedback.create(outcome="confirmed")

    assert (feedback.message_sid, feedback.outcome) == (message.sid, "confirmed")


def test_every_advertised_subresource_is_served(simulator, twilio_account):
    message = _create(simulator, twilio_account, [CAT]).json()
    session = _session(twilio_account)

    answers = {
        name: (session.post if name == "feedback" else session.get)(simulator.url + uri, timeout=5)
        for name, uri in message["subresource_uris"].items()
    }

    assert {name: r.status_code for name, r in answers.items()} == {"media": 200, "feedback": 200}


def test_feedback_json_matches_twilios_spec(simulator, twilio_account, spec_schema):
    message = _create(simulator, twilio_account, []).json()
    feedback = _session(twilio_account).post(
        simulator.url + message["subresource_uris"]["feedback"], timeout=5
    )

    spec_schema("api.v2010.account.message.message_feedback").validate(feedback.json())


def test_a_twiml_reply_with_relative_media_gets_media_resources(
    simulator, smsim_control, callback_recorder
):
    account = smsim_control.create_account(
        "full", numbers=[{"phone_number": FROM, "sms_url": callback_recorder.url("/hooks/sms")}]
    )
    callback_recorder.respond(
        200,
        '<?xml version="1.0" encoding="UTF-8"?><Response>'
        "<Message>here<Media>/pics/a.png</Media><Media>https://cdn.example.com/b.gif</Media>"
        "</Message></Response>",
        "text/xml",
    )

    result = smsim_control.inbound(HANDSET, FROM, "send pics")

    (reply,) = result["replies"]
    listed = _media_list(simulator, account, reply).json()["media_list"]
    assert [m["content_type"] for m in listed] == ["image/png", "image/gif"]
    stored = simulator.engine.messages.find(reply["sid"])
    # resolved against the webhook URL, as Twilio resolves relative TwiML URLs
    assert stored.media_urls == [
        callback_recorder.url("/pics/a.png"),
        "https://cdn.example.com/b.gif",
    ]
