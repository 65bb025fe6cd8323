"""Paging survives deletion: a PageToken is a position in the list, not a row that must
still exist, so deleting while paging (the SDK's stream-and-delete loop, or other
clients at the same time) never answers 400 "Invalid PageToken" and skips nothing."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
import requests

pytestmark = pytest.mark.both_engines

FROM = "+14155550100"
KEEP_TO = "+14155550111"
DOOMED_TO = "+14155550122"


def _list_url(simulator, account) -> str:
    return f"{simulator.url}/2010-04-01/Accounts/{account['sid']}/Messages.json"


def _auth(account) -> tuple[str, str]:
    return (account["sid"], account["auth_token"])


def test_sdk_stream_and_delete_removes_every_message(twilio_client, smsim_control):
    for i in range(65):
        twilio_client.messages.create(to="+14155550199", from_=FROM, body=f"m{i}")
    smsim_control.run_until_idle()  # only final messages can be deleted

    deleted = 0
    for message in twilio_client.messages.stream(page_size=20):
        assert message.delete() is True
        deleted += 1

    assert deleted == 65
    assert twilio_client.messages.list() == []


def test_token_of_a_deleted_message_resumes_after_it(simulator, twilio_account, smsim_control):
    session = requests.Session()
    session.auth = _auth(twilio_account)
    for i in range(5):
        session.post(
            _list_url(simulator, twilio_account),
            data={"To": KEEP_TO, "From": FROM, "Body": f"k{i}"},
            timeout=5,
        ).raise_for_status()
    smsim_control.run_until_idle()
    first = session.get(_list_url(simulator, twilio_account), params={"PageSize": 2}, timeout=5)
    last_shown = first.json()["messages"][-1]["sid"]
    gone = session.delete(
        f"{simulator.url}/2010-04-01/Accounts/{twilio_account['sid']}/Messages/{last_shown}.json",
        timeout=5,
    )
    assert gone.status_code == 204

    second = session.get(simulator.url + first.json()["next_page_uri"], timeout=5)

    assert second.status_code == 200, second.text
    assert [m["body"] for m in second.json()["messages"]] == ["k2", "k1"]


def test_malformed_page_token_is_a_clear_400(simulator, twilio_account):
    # 19 nines pass a length check but not SQLite's integer range; '²' passes isdigit().
    for token in ("nonsense", "PA", "PAxyz", "PA-3", "PA" + "9" * 40, "PA" + "9" * 19, "PA\u00b2"):
        response = requests.get(
            _list_url(simulator, twilio_account),
            params={"PageToken": token},
            auth=_auth(twilio_account),
            timeout=5,
        )
        assert response.status_code == 400, token
        assert response.json()["code"] == 20001
        assert token in response.json()["message"]


def test_services_page_tokens_and_inbox_numbers_out_of_range_are_400s(simulator, twilio_account):
    services = requests.get(
        f"{simulator.url}/v1/Services",
        params={"PageToken": "PA\u00b2"},
        auth=_auth(twilio_account),
        timeout=5,
    )
    assert services.status_code == 400 and services.json()["code"] == 20001
    for key, value in (("before", "9" * 20), ("error_code", "\u00b2"), ("limit", "\u00b2")):
        inbox = requests.get(f"{simulator.url}/_smsim/messages", params={key: value}, timeout=5)
        assert inbox.status_code == 400, (key, inbox.text)
        assert f"{key}: must be a positive integer" in inbox.json()["message"]
    page = requests.get(f"{simulator.url}/", params={"error_code": "\u00b2"}, timeout=5)
    assert page.status_code == 400 and "error_code" in page.text


def test_concurrent_create_list_delete_never_breaks_paging(
    simulator, twilio_account, smsim_control
):
    """One thread creates, one deletes, two page through everything: no 400, and every
    message that exists for the whole run is seen exactly once by every full listing."""
    url = _list_url(simulator, twilio_account)
    setup = requests.Session()
    setup.auth = _auth(twilio_account)
    keepers = []
    for i in range(40):
        for to in (KEEP_TO, DOOMED_TO):
            response = setup.post(url, data={"To": to, "From": FROM, "Body": f"{i}"}, timeout=5)
            response.raise_for_status()
            if to == KEEP_TO:
                keepers.append(response.json()["sid"])
    smsim_control.run_until_idle()

    stop = threading.Event()
    problems: list[str] = []
    listings: list[list[str]] = []

    def creator() -> None:
        session = requests.Session()
        session.auth = _auth(twilio_account)
        while not stop.is_set():
            response = session.post(
                url, data={"To": "+14155550133", "From": FROM, "Body": "new"}, timeout=10
            )
            if response.status_code != 201:
                problems.append(f"create {response.status_code} {response.text}")

    def deleter() -> None:
        session = requests.Session()
        session.auth = _auth(twilio_account)
        doomed = session.get(url, params={"To": DOOMED_TO, "PageSize": 1000}, timeout=10).json()
        for message in doomed["messages"]:
            response = session.delete(f"{simulator.url}{message['uri']}", timeout=10)
            if response.status_code != 204:
                problems.append(f"delete {response.status_code} {response.text}")
        stop.set()

    def lister() -> None:
        session = requests.Session()
        session.auth = _auth(twilio_account)
        while True:  # at least one full listing, then more until the deletes are done
            seen: list[str] = []
            path = f"{url}?PageSize=3"
            while path:
                response = session.get(path, timeout=10)
                if response.status_code != 200:
                    problems.append(f"list {response.status_code} {response.text}")
                    return
                page = response.json()
                seen += [m["sid"] for m in page["messages"]]
                path = simulator.url + page["next_page_uri"] if page["next_page_uri"] else ""
            listings.append(seen)
            if stop.is_set():
                return

    threads = [threading.Thread(target=f) for f in (creator, deleter, lister, lister)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert not any(t.is_alive() for t in threads)
    assert problems == []
    assert listings, "no full listing finished while deletes ran"
    for seen in listings:
        counts = Counter(seen)
        assert all(counts[sid] == 1 for sid in keepers), "a keeper was skipped or repeated"
        assert max(counts.values()) == 1, "a message was listed twice"
    remaining = setup.get(url, params={"To": DOOMED_TO}, timeout=5).json()["messages"]
    assert remaining == []
