"""Test helpers for users and for smsim's own suite.

- :class:`ControlClient`: the ``/_smsim`` control API as Python calls.
- :class:`CallbackRecorder`: a real HTTP receiver on a free port that records every
  request (for status callbacks and inbound webhooks) and answers what a test says.
- :class:`ServeProcess`: ``smsim serve`` (or ``smsim client serve``) as a child
  process, as a user runs it (restart and ``kill -9`` tests, benchmarks); it learns URL
  and credentials from the ``--ready-file`` JSON.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import requests

from smsim.contracts.wire import FORM_CONTENT_TYPE
from smsim.serving import start_server, stop_server
from smsim.websafety import TOKEN_ENV, control_headers


def poll(predicate: Callable[[], Any], timeout: float, what: str, every: float = 0.05) -> Any:
    """Return ``predicate()`` once it is truthy; fail naming ``what`` after ``timeout``
    seconds. For waiting on something another process or thread does, without sleeping
    a fixed time and hoping."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(every)


def process_alive(pid: int) -> bool:
    """Whether process ``pid`` runs: a zombie (ended, not reaped yet; a container's first
    process may never reap it) counts as gone."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: it exists
        return True
    stat = Path(f"/proc/{pid}/stat")
    try:
        return stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):  # no /proc here, or it ended meanwhile
        return True


class ControlError(AssertionError):
    """A control API call failed; the message carries the response."""


class ControlClient:
    """Python access to a running simulator's control API.

    ``token`` is the server's control token (default: ``$SMSIM_CONTROL_TOKEN``); when
    there is one, the session sends it on every request (a server without a token
    ignores it).
    """

    def __init__(
        self, base_url: str, session: requests.Session | None = None, token: str | None = None
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.session = session or requests.Session()
        self.session.trust_env = False
        token = token or os.environ.get(TOKEN_ENV)
        if token:
            self.session.headers.update(control_headers(token))

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.session.request(method, f"{self.base_url}/_smsim{path}", **kwargs)
        if response.status_code >= 400:
            raise ControlError(f"{method} /_smsim{path} -> {response.status_code}: {response.text}")
        return response.json() if response.content else None

    def health(self) -> dict[str, Any]:
        return self._call("GET", "/health")

    def reset(self) -> dict[str, Any]:
        return self._call("POST", "/reset")

    def create_account(
        self,
        type: str = "full",
        numbers: list[Any] | None = None,
        verified_numbers: list[str] | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        body = {"type": type, "numbers": numbers or [], "verified_numbers": verified_numbers or []}
        return self._call("POST", "/accounts", json={**body, **extra})

    def accounts(self) -> list[dict[str, Any]]:
        return self._call("GET", "/accounts")["accounts"]

    def suspend(self, account_sid: str) -> dict[str, Any]:
        return self._call("POST", f"/accounts/{account_sid}/suspend")

    def add_rule(self, rule: dict[str, Any]) -> dict[str, Any]:
        return self._call("POST", "/rules", json=rule)

    def remove_account(self, sid: str) -> list[str]:
        """Remove the account, its subaccounts and all they hold; the SIDs removed."""
        return self._call("DELETE", f"/accounts/{sid}")["removed"]

    def rules(self) -> list[dict[str, Any]]:
        return self._call("GET", "/rules")["rules"]

    def clear_rules(self) -> None:
        self._call("DELETE", "/rules")

    def clock(self) -> dict[str, Any]:
        return self._call("GET", "/clock")

    def advance(self, seconds: float) -> dict[str, Any]:
        return self._call("POST", "/clock/advance", json={"seconds": seconds})

    def run_until_idle(self) -> dict[str, Any]:
        return self._call("POST", "/clock/run-until-idle")

    def callbacks(self, **filters: str) -> list[dict[str, Any]]:
        return self._call("GET", "/callbacks", params=filters)["callbacks"]

    def messages(self, wait: float = 0, **filters: str) -> list[dict[str, Any]]:
        params = {**filters, "wait": str(wait)} if wait else filters
        return self._call("GET", "/messages", params=params)["messages"]

    def inbound(self, from_: str, to: str, body: str, **extra: Any) -> dict[str, Any]:
        return self._call("POST", "/inbound", json={"from": from_, "to": to, "body": body, **extra})


@dataclass
class RecordedRequest:
    method: str
    path: str
    url: str
    query: str
    headers: dict[str, str]
    form: list[tuple[str, str]]
    body: bytes
    at: float = field(default_factory=time.time)

    @property
    def params(self) -> dict[str, str]:
        return dict(self.form)


Responder = Callable[[RecordedRequest], tuple[int, str, str]]


class CallbackRecorder:
    """A loopback HTTP server that records requests; ``respond`` sets the answer.

    The default answer is ``200`` with an empty TwiML ``<Response/>``.
    """

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self.requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._responder: Responder = lambda req: (
            200,
            '<?xml version="1.0" encoding="UTF-8"?><Response/>',
            "text/xml",
        )
        self._server: Any = None
        self._thread: threading.Thread | None = None

    def respond(self, status: int = 200, body: str = "", content_type: str = "text/xml") -> None:
        self._responder = lambda req: (status, body, content_type)

    def respond_with(self, responder: Responder) -> None:
        self._responder = responder

    def url(self, path: str = "/callback") -> str:
        return f"http://{self.host}:{self._server.effective_port}{path}"

    def _app(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        from urllib.parse import parse_qsl

        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        headers = {
            key[5:].replace("_", "-").title(): value
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        if environ.get("CONTENT_TYPE"):
            headers["Content-Type"] = environ["CONTENT_TYPE"]
        query = environ.get("QUERY_STRING", "")
        host = environ.get("HTTP_HOST", f"{self.host}:{self._server.effective_port}")
        url = f"http://{host}{environ.get('PATH_INFO', '')}" + (f"?{query}" if query else "")
        form: list[tuple[str, str]] = []
        if FORM_CONTENT_TYPE in environ.get("CONTENT_TYPE", ""):
            form = parse_qsl(body.decode("utf-8"), keep_blank_values=True)
        elif environ["REQUEST_METHOD"] == "GET":
            form = parse_qsl(query, keep_blank_values=True)
        recorded = RecordedRequest(
            environ["REQUEST_METHOD"], environ.get("PATH_INFO", ""), url, query, headers, form, body
        )
        status, text, content_type = self._responder(recorded)
        with self._cond:
            self.requests.append(recorded)
            self._cond.notify_all()
        payload = text.encode("utf-8")
        start_response(
            f"{status} X",
            [("Content-Type", content_type), ("Content-Length", str(len(payload)))],
        )
        return [payload]

    def wait_for(self, count: int, timeout: float = 10.0) -> list[RecordedRequest]:
        """Block until ``count`` requests arrived (real-clock tests only)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self.requests) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(
                        f"expected {count} requests, got {len(self.requests)}: "
                        + ", ".join(f"{r.method} {r.path} {r.params}" for r in self.requests)
                    )
                self._cond.wait(remaining)
            return list(self.requests)

    def start(self, port: int = 0) -> CallbackRecorder:
        self._server, self._thread = start_server(self._app, self.host, port, 8, "recorder")
        return self

    def stop(self) -> None:
        if self._server is not None:
            stop_server(self._server, self._thread)
            self._server = None

    def __enter__(self) -> CallbackRecorder:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class ServeProcess:
    """``smsim serve --port 0 ARGS`` as a child process, as a user runs it (or
    ``smsim client serve`` with ``command=("client", "serve")``; ``launcher`` replaces
    ``-m smsim``, e.g. with a script of the benchmarks).

    Its URL, pid and accounts come from the JSON it writes with ``--ready-file`` once it
    answers, not from the banner (whose wording is for people). Its output is drained
    from the start into ``lines``, so a chatty log can never block it on a full pipe.
    """

    def __init__(
        self,
        *args: str,
        host: str = "127.0.0.1",
        timeout: float = 60.0,
        command: tuple[str, ...] = ("serve",),
        launcher: tuple[str, ...] = ("-m", "smsim"),
    ) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="smsim-ready-")
        ready_path = Path(self._dir.name) / "ready.json"
        argv = [sys.executable, *launcher, *command, "--host", host, "--port", "0"]
        self.proc = subprocess.Popen(
            [*argv, "--ready-file", str(ready_path), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        self.lines: list[str] = []
        self._drainer = threading.Thread(target=self._drain, daemon=True)
        self._drainer.start()
        name = "smsim " + " ".join(command)
        deadline = time.monotonic() + timeout
        while not ready_path.exists():
            if self.proc.poll() is not None:
                self._drainer.join(5)
                raise RuntimeError(f"{name} exited {self.proc.returncode}: " + "".join(self.lines))
            if time.monotonic() >= deadline:
                self.stop()
                raise RuntimeError(
                    f"{name} was not ready within {timeout:g} s: " + "".join(self.lines)
                )
            time.sleep(0.02)
        self.ready: dict[str, Any] = json.loads(ready_path.read_text(encoding="utf-8"))
        self.url: str = self.ready["url"]
        self.accounts: list[tuple[str, str, str]] = [
            (account["type"], account["sid"], account["auth_token"])
            for account in self.ready.get("accounts", [])
        ]

    def _drain(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line)

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def full_account(self) -> tuple[str, str]:
        """(sid, auth token) of its first full account."""
        _, sid, token = next(a for a in self.accounts if a[0] == "full")
        return sid, token

    def kill(self) -> None:
        """``kill -9``: no clean-up of any kind."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)
        self._dir.cleanup()

    def stop(self) -> None:
        """SIGTERM, then ``kill -9`` if it has not exited within 15 s."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()
        self._dir.cleanup()
