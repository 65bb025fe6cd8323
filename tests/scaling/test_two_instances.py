"""Two smsim instances on one PostgreSQL database, coordinated by nothing but it: what one
is told, the other serves (fetch, list, long-poll, the inbox stream), every message is
delivered once, and a rule's count is spent exactly across both."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests
from scaling_helpers import FAST, create, full_account, message

from smsim.simulator.config import SimulatorConfig
from smsim.simulator.lifecycle import FINAL_STATUSES
from smsim.simulator.server import SimulatorServer
from smsim.testing import CallbackRecorder, ControlClient, poll


@pytest.fixture
def two(postgres_url: str) -> Iterator[tuple[SimulatorServer, SimulatorServer]]:
    config = SimulatorConfig(db_path=postgres_url, **FAST)  # type: ignore[arg-type]
    first = SimulatorServer(config).start()
    try:
        second = SimulatorServer(config).start()
    except BaseException:
        first.stop()
        raise
    try:
        yield first, second
    finally:
        second.stop()
        first.stop()


def _idle(*servers: SimulatorServer) -> bool:
    return all(ControlClient(s.url).health()["pending_jobs"] == 0 for s in servers)


def test_a_message_created_on_one_is_fetched_listed_and_long_polled_on_the_other(two):
    first, second = two
    account = full_account(first.url)
    to = "+14155550111"
    found: list[list[dict[str, Any]]] = []
    # parked on the second before the message exists; only a change wakes it early
    waiter = threading.Thread(
        target=lambda: found.append(ControlClient(second.url).messages(wait=8, to=to))
    )
    waiter.start()
    poll(lambda: second.waiting_requests == 1, 10, "the long-poll to park")

    with requests.Session() as session:
        sid = create(session, first.url, account, to)["sid"]
    waiter.join(30)

    assert [m["sid"] for m in found[0]] == [sid]
    assert message(second.url, account, sid)["body"] == "across instances"
    listed = requests.get(
        f"{second.url}/2010-04-01/Accounts/{account[0]}/Messages.json",
        params={"To": to},
        auth=account,
        timeout=30,
    ).json()["messages"]
    assert [m["sid"] for m in listed] == [sid]


def test_the_inbox_stream_of_one_reports_a_message_created_on_the_other(two):
    first, second = two
    account = full_account(first.url)
    with requests.get(
        f"{second.url}/_smsim/stream",
        headers={"Accept": "text/event-stream"},
        stream=True,
        timeout=30,
    ) as stream:
        lines = stream.iter_lines(decode_unicode=True)
        assert next(line for line in lines if line.startswith(": connected"))
        with requests.Session() as session:
            create(session, first.url, account, "+14155550112")
        assert next(line for line in lines if line.startswith("event: change"))


def test_every_message_ends_final_with_each_callback_sent_once(two):
    first, second = two
    account = full_account(first.url)
    with CallbackRecorder() as recorder, requests.Session() as session:
        sids = [
            create(session, server.url, account, f"+1415555{n:04d}", recorder.url())["sid"]
            for n in range(40)
            for server in (two[n % 2],)
        ]
        poll(
            lambda: all(
                message(second.url, account, sid)["status"] in FINAL_STATUSES for sid in sids
            ),
            60,
            "every message to end",
        )
        poll(lambda: _idle(first, second), 60, "every callback to be sent")
        sent = Counter(
            (r.params["MessageSid"], r.params["MessageStatus"]) for r in recorder.requests
        )
    assert {message(first.url, account, sid)["status"] for sid in sids} == {"delivered"}
    assert set(sent) == {(sid, status) for sid in sids for status in ("sent", "delivered")}
    assert set(sent.values()) == {1}, "a callback was sent twice"


def test_a_rule_with_count_10_fails_exactly_10_of_60_concurrent_creates_over_both(two):
    first, second = two
    account = full_account(first.url)
    ControlClient(first.url).add_rule({"count": 10, "outcome": {"error_code": 30003}})

    def send(n: int) -> str:
        with requests.Session() as session:
            return str(create(session, two[n % 2].url, account, f"+1415556{n:04d}")["sid"])

    with ThreadPoolExecutor(max_workers=60) as pool:
        sids = list(pool.map(send, range(60)))
    poll(
        lambda: all(message(first.url, account, s)["status"] in FINAL_STATUSES for s in sids),
        60,
        "every message to end",
    )
    statuses = Counter(message(second.url, account, sid)["status"] for sid in sids)
    assert statuses == {"undelivered": 10, "delivered": 50}
    assert [rule["remaining"] for rule in ControlClient(second.url).rules()] == [0]


def test_an_account_suspended_through_one_cannot_send_through_the_other(two):
    first, second = two
    account = full_account(first.url)
    with requests.Session() as session:
        create(session, second.url, account, "+14155550113")  # the second caches it
        ControlClient(first.url).suspend(account[0])
        refused = session.post(
            f"{second.url}/2010-04-01/Accounts/{account[0]}/Messages.json",
            data={"To": "+14155550114", "From": "+15005550006", "Body": "after"},
            auth=account,
            timeout=30,
        )
    assert refused.status_code == 403 and refused.json()["code"] == 20005
