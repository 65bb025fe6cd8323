"""Helpers for the fault tests: `smsim serve` as a process (URL and accounts read from
its `--ready-file`, never from the banner's wording), a receiver that can be down
on a reserved port and come up on it, polling with deadlines, and a sender for child
processes. Everything listens on 127.0.0.1 only."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

import requests
from waitress.server import create_server

from smsim.serving import stop_server
from smsim.testing import ServeProcess as Serve  # noqa: F401 - re-exported for the tests
from smsim.testing import poll  # noqa: F401 - re-exported for the tests

HOST = "127.0.0.1"


class Receiver:
    """A status-callback receiver on a port reserved up front.

    While down, the port is bound but not listening, so every connection is refused and
    no other program can take the port; ``up()`` starts serving on that same socket.
    Records every request as (MessageSid, MessageStatus) and answers 200.
    """

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((HOST, 0))
        self.port = self.sock.getsockname()[1]
        self.received: list[tuple[str, str]] = []
        self.cond = threading.Condition()
        self._server: Any = None
        self._thread: threading.Thread | None = None

    def url(self, path: str = "/cb") -> str:
        return f"http://{HOST}:{self.port}{path}"

    def _app(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        params = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
        with self.cond:
            self.received.append((params.get("MessageSid", ""), params.get("MessageStatus", "")))
            self.cond.notify_all()
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "0")])
        return [b""]

    def up(self) -> Receiver:
        self._server = create_server(self._app, sockets=[self.sock], threads=8, ident="faults")
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        return self

    def count(self) -> int:
        with self.cond:
            return len(self.received)

    def pairs(self) -> set[tuple[str, str]]:
        with self.cond:
            return set(self.received)

    def close(self) -> None:
        if self._server is not None:
            stop_server(self._server, self._thread)
            self._server = None
        else:
            self.sock.close()


def send_messages(
    base_url: str, sid: str, token: str, tags: list[str], status_callback: str | None = None
) -> list[tuple[str, int, str | None]]:
    """POST one message per tag (its Body); returns (tag, HTTP status, SID or None)."""
    session = requests.Session()
    session.trust_env = False
    out = []
    for tag in tags:
        data = {"To": "+14155550100", "From": "+15005550006", "Body": tag}
        if status_callback:
            data["StatusCallback"] = status_callback
        response = session.post(
            f"{base_url}/2010-04-01/Accounts/{sid}/Messages.json",
            data=data,
            auth=(sid, token),
            timeout=30,
        )
        sent_sid = response.json().get("sid") if response.status_code == 201 else None
        out.append((tag, response.status_code, sent_sid))
    session.close()
    return out


def sender_process(
    base_url: str, sid: str, token: str, process: int, threads: int, per_thread: int, out: Any
) -> None:
    """Child process: ``threads`` threads, each sending ``per_thread`` tagged messages."""
    results: list[tuple[str, int, str | None]] = []
    lock = threading.Lock()

    def work(thread: int) -> None:
        tags = [f"p{process}-t{thread}-m{m}" for m in range(per_thread)]
        got = send_messages(base_url, sid, token, tags)
        with lock:
            results.extend(got)

    workers = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(120)
    out.put(results)
