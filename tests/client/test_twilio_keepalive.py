"""The client's Create Message over a kept-alive ``http.client`` connection, against real
local servers: the request Twilio receives, every kind of answer, transport failures
never retried, a connection the server closed while idle replaced without a failure,
one connection per sending thread, https verified, and a proxy still honoured."""

from __future__ import annotations

import base64
import contextlib
import json
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from tls_helpers import self_signed_certificate

from smsim.client.twilio_rest import TwilioClient

SID = "AC" + "a" * 32
TOKEN = "0123456789abcdef0123456789abcdef"
PATH = f"/2010-04-01/Accounts/{SID}/Messages.json"
MESSAGE = {"sid": "SM" + "b" * 32, "status": "queued", "from": "+15005550006", "to": "+1"}
HANG_UP = object()  # read the request, then close the connection without an answer
NEVER = object()  # read the request, then never answer


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    connection: int


class FakeTwilio(ThreadingHTTPServer):
    """Records each request and answers from a queue (default: 201 with a Message);
    counts the connections it accepted and those that ended."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        if tls is not None:
            self.socket = tls.wrap_socket(self.socket, server_side=True)
        self.seen: list[Seen] = []
        self.answers: list[Any] = []
        self.accepted: list[socket.socket] = []
        self.ended = 0
        self.release = threading.Event()
        self._thread = threading.Thread(target=self.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        scheme = "https" if isinstance(self.socket, ssl.SSLSocket) else "http"
        return f"{scheme}://127.0.0.1:{self.server_address[1]}"

    def process_request(self, request: Any, client_address: Any) -> None:
        self.accepted.append(request)
        super().process_request(request, client_address)

    def drop_idle(self) -> None:
        """Close every connection, as a server's idle timeout does."""
        for sock in self.accepted:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        time.sleep(0.1)  # the FIN reaches the client's socket

    def __enter__(self) -> FakeTwilio:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self.shutdown()
        self.server_close()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: FakeTwilio

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = {name.lower(): value for name, value in self.headers.items()}
        self.server.seen.append(Seen("POST", self.path, headers, body, id(self.connection)))
        answer = self.server.answers.pop(0) if self.server.answers else (201, MESSAGE)
        if answer is NEVER:
            self.server.release.wait(10)
        if answer is HANG_UP or answer is NEVER:
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        status, payload = answer
        if isinstance(payload, bytes):
            content, content_type = payload, "text/html"
        else:
            content, content_type = json.dumps(payload).encode(), "application/json"
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)

    def finish(self) -> None:
        super().finish()
        self.server.ended += 1

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def twilio() -> Iterator[FakeTwilio]:
    with FakeTwilio() as server:
        yield server


@pytest.fixture(autouse=True)
def no_proxy_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Sends go straight to the fake, whatever proxy the machine's environment names."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


def _client(url: str, **kwargs: Any) -> tuple[TwilioClient, list[float]]:
    slept: list[float] = []
    return TwilioClient(url, sleep=slept.append, **kwargs), slept


def _send(client: TwilioClient, **kwargs: Any) -> Any:
    return client.send_message(
        account_sid=SID, auth_token=TOKEN, to="+14155550101", body="Hi", **kwargs
    )


def test_twilio_receives_the_exact_create_message_request(twilio):
    client, _ = _client(twilio.url + "/")
    callback = "https://client.example/sms/twilio?account=acme&meta=0.1.1700000000.20231114.0.1"
    try:
        result = client.send_message(
            account_sid=SID,
            auth_token=TOKEN,
            to="+14155550101",
            body="Olá 👋 50% off & more",
            from_="+15005550006",
            status_callback=callback,
        )
    finally:
        client.close()
    assert result.ok
    (seen,) = twilio.seen
    assert (seen.method, seen.path) == ("POST", PATH)
    assert (
        seen.headers["authorization"]
        == "Basic " + base64.b64encode(f"{SID}:{TOKEN}".encode()).decode()
    )
    assert seen.headers["accept"] == "application/json"
    assert seen.headers["accept-charset"] == "utf-8"
    assert seen.headers["content-type"] == "application/x-www-form-urlencoded"
    assert seen.headers["user-agent"].startswith("smsim-client/")
    assert seen.headers["host"] == twilio.url.removeprefix("http://")
    assert seen.body == urlencode(
        [
            ("To", "+14155550101"),
            ("Body", "Olá 👋 50% off & more"),
            ("From", "+15005550006"),
            ("StatusCallback", callback),
        ]
    ).encode("ascii")
    assert int(seen.headers["content-length"]) == len(seen.body)


def test_a_base_url_with_a_path_and_a_messaging_service(twilio):
    client, _ = _client(twilio.url + "/twilio")
    try:
        result = _send(client, from_="+15005550006", messaging_service_sid="MG" + "c" * 32)
    finally:
        client.close()
    assert result.ok
    (seen,) = twilio.seen
    assert seen.path == "/twilio" + PATH
    assert seen.body == f"To=%2B14155550101&Body=Hi&MessagingServiceSid=MG{'c' * 32}".encode()


def test_answers_become_the_same_results_as_before(twilio):
    envelope = {
        "code": 21211,
        "message": "The 'To' number +15005550001 is not a valid phone number.",
        "more_info": "https://www.twilio.com/docs/errors/21211",
        "status": 400,
    }
    twilio.answers = [(201, MESSAGE), (400, envelope), (502, b"<h1>Bad gateway</h1>")]
    client, slept = _client(twilio.url)
    try:
        created, refused, garbled = (_send(client, retry=False) for _ in range(3))
    finally:
        client.close()
    assert (created.ok, created.sid, created.status, created.from_number) == (
        True,
        MESSAGE["sid"],
        "queued",
        "+15005550006",
    )
    assert created.http_status == 201
    assert (refused.ok, refused.error_code, refused.http_status) == (False, 21211, 400)
    assert refused.error_message == envelope["message"]
    assert refused.more_info == envelope["more_info"]
    assert not refused.transport_error
    assert (garbled.ok, garbled.http_status, garbled.error_code) == (False, 502, None)
    assert garbled.error_message == "unexpected response from Twilio (HTTP 502, not JSON)"
    assert slept == []


def test_a_429_is_retried_after_the_backoff_and_then_succeeds(twilio):
    busy = {"code": 20429, "message": "Too Many Requests", "status": 429}
    twilio.answers = [(429, busy), (201, MESSAGE)]
    client, slept = _client(twilio.url)
    try:
        result = _send(client)
    finally:
        client.close()
    assert result.ok and result.sid == MESSAGE["sid"]
    assert len(twilio.seen) == 2 and twilio.seen[0].body == twilio.seen[1].body
    assert slept == [0.2]


def test_without_retry_a_429_is_the_answer(twilio):
    twilio.answers = [(429, {"code": 20429, "message": "Too Many Requests", "status": 429})]
    client, slept = _client(twilio.url)
    try:
        result = _send(client, retry=False)
    finally:
        client.close()
    assert (result.ok, result.http_status, result.error_code) == (False, 429, 20429)
    assert len(twilio.seen) == 1 and slept == []


def test_a_refused_connection_is_a_transport_error_not_retried():
    with socket.create_server(("127.0.0.1", 0)) as closed:
        port = closed.getsockname()[1]
    client, slept = _client(f"http://127.0.0.1:{port}")
    try:
        result = _send(client)
    finally:
        client.close()
    assert not result.ok and result.transport_error and result.http_status is None
    assert result.error_message == f"could not reach Twilio: 127.0.0.1:{port}: connection refused"
    assert slept == []


def test_a_connection_reset_after_the_request_is_not_retried(twilio):
    twilio.answers = [HANG_UP]
    client, slept = _client(twilio.url)
    try:
        result = _send(client)
        after = _send(client)  # the broken connection is not reused
    finally:
        client.close()
    assert result.transport_error
    assert (result.error_message or "").startswith("could not reach Twilio: 127.0.0.1:")
    assert slept == []
    assert len(twilio.seen) == 2  # the failed send reached Twilio once, never twice
    assert after.ok


def test_a_read_timeout_is_a_transport_error_not_retried(twilio):
    twilio.answers = [NEVER]
    client, slept = _client(twilio.url, timeout=0.3)
    try:
        started = time.monotonic()
        result = _send(client)
        took = time.monotonic() - started
    finally:
        client.close()
    assert result.transport_error and "timed out" in (result.error_message or "")
    assert took < 5 and slept == [] and len(twilio.seen) == 1


def test_sends_from_one_thread_share_one_connection_and_close_ends_it(twilio):
    client, _ = _client(twilio.url)
    results = [_send(client) for _ in range(5)]
    assert all(r.ok for r in results)
    assert len(twilio.accepted) == 1
    assert len({seen.connection for seen in twilio.seen}) == 1
    other = threading.Thread(target=lambda: results.append(_send(client)))
    other.start()
    other.join()
    assert results[-1].ok and len(twilio.accepted) == 2  # a connection per sending thread
    client.close()
    deadline = time.monotonic() + 5
    while twilio.ended < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert twilio.ended == 2  # close() ended both threads' connections


def test_a_connection_twilio_closed_while_idle_is_replaced_without_a_failure(twilio):
    client, slept = _client(twilio.url)
    try:
        first = _send(client)
        twilio.drop_idle()
        second = _send(client)
    finally:
        client.close()
    assert first.ok and second.ok, second.error_message
    assert len(twilio.accepted) == 2 and len(twilio.seen) == 2
    assert slept == []


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    """A fresh self-signed certificate for 127.0.0.1 (cert, key)."""
    return self_signed_certificate(tmp_path)


def test_https_is_verified_against_the_ca_bundle_of_the_environment(certificate, monkeypatch):
    cert, key = certificate
    server_side = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_side.load_cert_chain(cert, key)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    with FakeTwilio(tls=server_side) as twilio:
        untrusting, _ = _client(twilio.url)
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert))
        trusting, _ = _client(twilio.url)
        try:
            refused = _send(untrusting)
            results = [_send(trusting) for _ in range(2)]
        finally:
            untrusting.close()
            trusting.close()
    assert refused.transport_error and "CERTIFICATE" in (refused.error_message or "").upper()
    assert all(r.ok for r in results), results
    assert len({seen.connection for seen in twilio.seen}) == 1  # kept alive over TLS


def test_a_proxy_in_the_environment_is_used_for_twilio(twilio, monkeypatch):
    monkeypatch.setenv("HTTP_PROXY", twilio.url)  # the fake answers the proxy's request
    client, _ = _client("http://api.twilio.test")
    try:
        result = _send(client)
    finally:
        client.close()
    assert result.ok
    (seen,) = twilio.seen
    assert seen.path == "http://api.twilio.test" + PATH  # a proxy's request: the whole URL
    assert seen.headers["authorization"].startswith("Basic ")
