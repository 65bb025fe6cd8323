"""The webhook sender: one http.client path for http and https, keep-alive per receiver,
credentials in the URL sent as Basic auth but never logged, compressed answers decoded."""

from __future__ import annotations

import base64
import gzip
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from tls_helpers import self_signed_certificate
from twilio.request_validator import RequestValidator

from smsim.simulator.webhooks import Webhook, WebhookSender
from smsim.testing import CallbackRecorder

TOKEN = "12345678901234567890123456789012"
PARAMS = [("MessageSid", "SM" + "1" * 32), ("MessageStatus", "delivered")]


def _webhook(url: str) -> Webhook:
    return Webhook("status", url, list(PARAMS), "AC" + "1" * 32, "SM" + "1" * 32, status="sent")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    seen: list[tuple[str, dict[str, str], int]] = []

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        self.seen.append((self.path, dict(self.headers), id(self.connection)))
        body = gzip.compress("réponse reçue".encode())
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def tls_receiver(tmp_path: Path) -> Iterator[tuple[str, ssl.SSLContext]]:
    """An https receiver with a fresh self-signed certificate for 127.0.0.1."""
    cert, key = self_signed_certificate(tmp_path)
    server_side = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_side.load_cert_chain(cert, key)
    _Handler.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.socket = server_side.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    client_side = ssl.create_default_context(cafile=str(cert))
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}", client_side
    finally:
        server.shutdown()
        server.server_close()


def test_http_callbacks_reuse_one_connection_and_are_signed():
    with CallbackRecorder() as recorder:
        sender = WebhookSender()
        url = recorder.url("/cb?account=ACME")
        results = [sender.send(_webhook(url), TOKEN) for _ in range(3)]
        assert [r.status_code for r in results] == [200, 200, 200]
        assert all(r.ok and r.error is None for r in results)
        requests = recorder.wait_for(3)
    validator = RequestValidator(TOKEN)
    for request in requests:
        assert request.url == url
        assert validator.validate(url, request.params, request.headers["X-Twilio-Signature"])
        assert request.headers["User-Agent"] == "TwilioProxy/1.1"


def test_https_goes_through_the_same_path_with_credentials_and_gzip(tls_receiver):
    base, trust = tls_receiver
    sender = WebhookSender(tls=trust)
    host = base.removeprefix("https://")
    url = f"https://user%40x:p%3Ass@{host}/status?q=1"
    first = sender.send(_webhook(url), TOKEN)
    second = sender.send(_webhook(url), TOKEN)
    assert (first.status_code, second.status_code) == (200, 200), first.error
    assert first.body == "réponse reçue"  # gzip undone, charset honoured
    (path, headers, conn1), (_, _, conn2) = _Handler.seen
    assert path == "/status?q=1"
    expected = "Basic " + base64.b64encode(b"user@x:p:ss").decode()
    assert headers["Authorization"] == expected
    assert conn1 == conn2  # keep-alive over TLS
    assert "Authorization" not in first.headers  # what the attempts log keeps
    assert RequestValidator(TOKEN).validate(url, dict(PARAMS), headers["X-Twilio-Signature"])


def test_an_untrusted_certificate_is_a_connect_failure(tls_receiver):
    base, _ = tls_receiver
    result = WebhookSender().send(_webhook(base + "/status"), TOKEN)
    assert result.status_code is None and result.failure == "ct"
    assert "CERTIFICATE" in (result.error or "").upper()


def test_a_refused_connection_is_reported_as_such():
    with CallbackRecorder() as recorder:
        url = recorder.url("/cb")
    result = WebhookSender().send(_webhook(url), TOKEN)
    assert (result.failure, result.error) == ("ct", "connection refused")
