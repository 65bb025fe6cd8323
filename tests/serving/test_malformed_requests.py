"""Every request gets an HTTP answer: bytes the HTTP server cannot parse are answered
400, as plain waitress answers them, never by a silent close.

Before the fix, smsim's waiting-request classifier (``smsim.serving.waits``) read
``query`` from a parser that had failed before setting it; the exception on waitress'
loop thread closed the connection without a byte written.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from types import SimpleNamespace

import pytest
from serving_helpers import HOST

from smsim.serving import SplitDispatcher, waits
from smsim.simulator.config import SimulatorConfig
from smsim.simulator.server import SimulatorServer

MALFORMED = {
    "header line without a colon": b"GET /_smsim/health HTTP/1.1\r\nHost: x\r\nNoColonHere\r\n\r\n",
    "NUL in a header value": b"GET /_smsim/health HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n",
    "garbage request line": b"GARBAGE\r\n\r\n",
    "bad header on a long-poll": (
        b"GET /_smsim/messages?wait=30 HTTP/1.1\r\nHost: x\r\nNoColonHere\r\n\r\n"
    ),
    "bad header on an event stream": (
        b"GET /_smsim/stream HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\nBad\r\n\r\n"
    ),
}


@pytest.fixture(scope="module")
def sim() -> Iterator[SimulatorServer]:
    server = SimulatorServer(SimulatorConfig(memory=True, port=0, clock="virtual"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _exchange(port: int, data: bytes) -> bytes:
    """Send ``data`` and read until the server closes (or 10 s of silence)."""
    with socket.create_connection((HOST, port), timeout=10) as sock:
        sock.sendall(data)
        received = b""
        while True:
            try:
                chunk = sock.recv(65536)
            except TimeoutError:
                break
            if not chunk:
                break
            received += chunk
    return received


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_a_request_the_server_cannot_parse_is_answered_400(sim: SimulatorServer, name: str):
    answer = _exchange(sim.port, MALFORMED[name])
    status_line = answer.split(b"\r\n", 1)[0]
    assert status_line.startswith(b"HTTP/1.") and b" 400 " in status_line, (name, answer[:200])


def test_the_server_still_answers_after_malformed_requests(sim: SimulatorServer):
    for data in MALFORMED.values():
        _exchange(sim.port, data)
    answer = _exchange(
        sim.port, b"GET /_smsim/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    assert answer.startswith(b"HTTP/1.1 200"), answer[:200]


def test_the_classifier_never_raises_on_a_failed_parser():
    # What waitress hands over for a request it could not parse: an error, no query.
    failed = SimpleNamespace(error=object(), headers={})
    assert waits(failed) is False
    # Whatever the request looks like, routing it cannot raise on the loop thread.
    assert SplitDispatcher._waits(object()) is False


def test_the_integrations_server_answers_malformed_requests_too():
    from smsim.client import ClientConfig, ClientServer

    config = ClientConfig(memory=True, account_id="acme", twilio_base_url="http://127.0.0.1:9")
    with ClientServer(config, threads=2) as server:
        port = int(server.url.rsplit(":", 1)[1])
        for name in ("header line without a colon", "garbage request line"):
            answer = _exchange(port, MALFORMED[name])
            assert answer.split(b"\r\n", 1)[0].endswith(b" 400 Bad Request"), (name, answer[:200])
