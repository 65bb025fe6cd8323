"""Long-polls never hold an API worker thread: parked waiters leave creates as fast as
without them, the waiter pool is bounded with a clear 503, and a stop wakes them."""

from __future__ import annotations

import http.client
import logging
import threading
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qsl

import pytest
import requests
from serving_helpers import HOST, answers, create_messages, open_long_polls, poll

from smsim.serving import start_server, stop_server, waits
from smsim.simulator.config import SimulatorConfig
from smsim.simulator.server import SimulatorServer
from smsim.testing import ServeProcess

OTP_NUMBER = "+14155550123"


@pytest.fixture
def sim() -> Iterator[SimulatorServer]:
    server = SimulatorServer(SimulatorConfig(memory=True, port=0, enforce_throughput=False))
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _full_account(sim: SimulatorServer) -> tuple[str, str]:
    assert sim.engine is not None
    account = next(a for a in sim.engine.accounts.all() if a.type.lower() == "full")
    return account.sid, account.auth_token


def test_a_hundred_waiters_leave_creates_answering_and_all_get_the_otp(sim: SimulatorServer):
    sid, token = _full_account(sim)
    # Each waiter asks to wait longer than any safety net below: an answer that came from
    # a waiter's own timeout could not arrive before the test has already failed.
    waiters = open_long_polls(sim.port, 100, OTP_NUMBER, wait=120)
    try:
        poll(lambda: sim.waiting_requests == 100, 15, "100 parked long-polls")
        health = requests.get(f"{sim.url}/_smsim/health", timeout=30).json()
        assert health["waiting_requests"] == 100
        # Before: the 16 API threads were held by the first 16 waiters, so a create
        # waited out their wait. Now 20 creates answer while every waiter is still
        # parked (how fast they answer is a figure for bench/waiters.py, not a test).
        create_messages(sim.url, sid, token, 20)
        assert sim.waiting_requests == 100
        otp = create_messages(sim.url, sid, token, 1, to=OTP_NUMBER)[0]
        got = answers(waiters)
        # Woken by the OTP (a waiter that timed out would answer an empty list).
        assert [status for status, _ in got] == [200] * 100
        assert all([m["sid"] for m in body["messages"]] == [otp] for _, body in got)
    finally:
        for conn in waiters:
            conn.close()


def test_stop_wakes_parked_waiters_and_ends_promptly(caplog: pytest.LogCaptureFixture):
    sim = SimulatorServer(SimulatorConfig(memory=True, port=0)).start()
    waiters = open_long_polls(sim.port, 50, OTP_NUMBER, wait=120)
    poll(lambda: sim.waiting_requests == 50, 15, "50 parked long-polls")
    results: list[Any] = []
    reader = threading.Thread(target=lambda: results.extend(answers(waiters)))
    reader.start()
    with caplog.at_level(logging.WARNING, logger="smsim.serving"):
        sim.stop()
    reader.join(30)
    # Before: the dispatcher's 5 s drain ran out with the waiters still parked, and they
    # went unanswered. Now the stop wakes them first, so the drain ends with none left ...
    assert "still running" not in caplog.text
    # ... and each is answered by the stop (they asked for 120 s) with what it had: nothing.
    assert not reader.is_alive(), "a parked waiter was not answered on stop"
    assert [(status, body["messages"]) for status, body in results] == [(200, [])] * 50


def test_a_bad_wait_is_a_400_not_a_hang(sim: SimulatorServer):
    for value in ("nan", "soon"):
        response = requests.get(f"{sim.url}/_smsim/messages", params={"wait": value}, timeout=5)
        assert response.status_code == 400
        assert response.json()["message"] == "wait: must be a number of seconds"


# -- the dispatcher on its own, with an app that parks until told -------------------------


class ParkingApp:
    """Parks requests that ask to wait until ``release`` is set; answers others at once."""

    def __init__(self) -> None:
        self.release = threading.Event()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        query = dict(parse_qsl(environ.get("QUERY_STRING", "")))
        parked = float(query.get("wait", 0)) > 0 or "event-stream" in environ.get("HTTP_ACCEPT", "")
        if parked:
            self.release.wait(30)
        body = b"parked" if parked else b"quick"
        start_response("200 OK", [("Content-Length", str(len(body)))])
        return [body]


def test_waiter_pool_is_bounded_with_a_twilio_503_and_the_api_stays_free():
    app = ParkingApp()
    # One API thread only: if a parked request sat on it, "quick" could never answer.
    server, thread = start_server(app, HOST, 0, 1, "test", max_waiters=3, release=app.release.set)
    port = server.effective_port
    parked = []
    try:
        for path, headers in (
            ("/a?wait=5", {}),
            ("/b?x=1&wait=0.5", {}),
            ("/stream", {"Accept": "text/event-stream"}),
        ):
            conn = http.client.HTTPConnection(HOST, port, timeout=30)
            conn.request("GET", path, headers=headers)
            parked.append(conn)
        poll(lambda: server.task_dispatcher.waiting == 3, 10, "3 parked requests")
        quick = requests.get(f"http://{HOST}:{port}/now?wait=0", timeout=5)
        assert quick.text == "quick"
        refused = requests.get(f"http://{HOST}:{port}/more?wait=5", timeout=5)
        assert refused.status_code == 503
        assert refused.headers["Retry-After"] == "1"
        body = refused.json()
        assert body["code"] == 20503 and body["status"] == 503
        assert body["message"].startswith("Too many waiting requests (at most 3 at once)")
        assert set(body) == {"code", "message", "more_info", "status"}
        app.release.set()
        for conn in parked:
            assert conn.getresponse().read() == b"parked"
        poll(lambda: server.task_dispatcher.waiting == 0, 10, "waiter threads to end")
    finally:
        for conn in parked:
            conn.close()
        stop_server(server, thread)


class _Request:
    def __init__(self, query: str, accept: str = "") -> None:
        self.query = query
        self.headers = {"ACCEPT": accept} if accept else {}


@pytest.mark.parametrize(
    ("query", "accept", "parks"),
    [
        ("", "", False),
        ("to=%2B1415&wait=10", "", True),
        ("wait=0.5", "", True),
        ("wait=0", "", False),
        ("wait=", "", False),
        ("wait=-3", "", False),
        ("wait=nan", "", False),
        ("wait=soon", "", False),
        ("await=5", "", False),
        ("", "text/event-stream", True),
        ("", "application/json, text/event-stream;q=0.9", True),
        ("", "application/json", False),
    ],
)
def test_which_requests_wait(query: str, accept: str, parks: bool):
    assert waits(_Request(query, accept)) is parks


# -- the change feed ----------------------------------------------------------------------


def test_change_feed_wakes_on_a_change_and_its_poller_ends_with_the_last_waiter():
    from smsim.simulator.watch import ChangeFeed

    changes = [0]
    feed = ChangeFeed(lambda: changes[0], every=0.01)
    seen = feed.current()
    woke = threading.Event()

    def waiter() -> None:
        feed.wait_past(seen, 3600)  # longer than any net below: only the change wakes it
        woke.set()

    thread = threading.Thread(target=waiter)
    thread.start()
    assert not woke.wait(0.1)  # nothing changed: still waiting
    changes[0] += 1
    assert woke.wait(30), "the change did not wake the waiter"
    thread.join(30)
    poll(
        lambda: not any(t.name == "smsim-change-feed" and t.is_alive() for t in _feed_threads()),
        5,
        "the poller to end with no waiters",
    )
    feed.close()
    # closed: a wait of an hour returns (the join is only a net for a hang)
    late = threading.Thread(target=feed.wait_past, args=(feed.current(), 3600), daemon=True)
    late.start()
    late.join(30)
    assert not late.is_alive(), "a wait on a closed feed did not return"


def _health(url: str) -> dict[str, Any]:
    return dict(requests.get(f"{url}/_smsim/health", timeout=30).json())


def _feed_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "smsim-change-feed"]


@pytest.mark.slow
def test_sigterm_with_long_polls_open_ends_smsim_serve_promptly():
    server = ServeProcess("--memory")
    try:
        port = int(server.url.rsplit(":", 1)[1])
        waiters = open_long_polls(port, 30, OTP_NUMBER, wait=120)
        poll(lambda: _health(server.url)["waiting_requests"] == 30, 15, "30 parked long-polls")
        server.proc.terminate()
        # The waiters asked for 120 s: ending before that (the wait is only a net) and
        # answering each means the SIGTERM woke them.
        assert server.proc.wait(60) == 0
        assert [(status, body["messages"]) for status, body in answers(waiters)] == [(200, [])] * 30
        assert "still running" not in "".join(server.lines)
    finally:
        server.stop()


def test_live_streams_run_off_the_api_pool_and_end_on_stop(caplog: pytest.LogCaptureFixture):
    sim = SimulatorServer(SimulatorConfig(memory=True, port=0, threads=2)).start()
    streams = []
    try:
        for _ in range(10):  # five times the API threads
            conn = http.client.HTTPConnection(HOST, sim.port, timeout=30)
            conn.request("GET", "/_smsim/stream", headers={"Accept": "text/event-stream"})
            response = conn.getresponse()
            assert response.status == 200
            assert response.read(6) == b"retry:"  # the stream is open
            streams.append((conn, response))
        assert sim.waiting_requests == 10
        # the two API threads still answer with ten streams open
        health = requests.get(f"{sim.url}/_smsim/health", timeout=30).json()
        assert health["status"] == "ok" and health["waiting_requests"] == 10
        with caplog.at_level(logging.WARNING, logger="smsim.serving"):
            sim.stop()
        assert "still running" not in caplog.text  # the drain ended with no stream left
        for _, response in streams:
            response.read()  # ends: the server finished every stream
    finally:
        sim.stop()
        for conn, _ in streams:
            conn.close()


def test_urls_of_a_wildcard_bind_name_the_loopback_host() -> None:
    """Bound to every interface, the banner and the client's own callback URL must still
    be addresses a process on this machine can open."""
    from smsim.serving import url_for

    assert url_for("0.0.0.0", 8910) == "http://127.0.0.1:8910"
    assert url_for("::", 8911) == "http://[::1]:8911"
    assert url_for("127.0.0.2", 1) == "http://127.0.0.2:1"
    assert url_for("::1", 2) == "http://[::1]:2"
