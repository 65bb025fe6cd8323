"""Sending webhooks: signing, timeouts, connection reuse and the attempts log.

This is the one module of the simulator that speaks HTTP outwards (``requests``). Each
worker thread keeps its own ``requests.Session`` so connections to a receiver are reused
(keep-alive) across callbacks: load tests of a receiver measure the receiver, not TCP
set-up. Signing follows Twilio exactly (``smsim.contracts.signature``): the URL as
requested (fragment removed, query kept as given) plus the sorted form parameters.
"""

from __future__ import annotations

import http.client
import select
import threading
import time
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlencode, urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict
from requests.utils import get_encoding_from_headers, requote_uri

from smsim.contracts import payloads
from smsim.contracts.signature import compute_signature
from smsim.simulator import fragments
from smsim.simulator.store import Store, dumps, loads
from smsim.sqlwhere import Where

RESPONSE_BODY_LIMIT = 2048


@dataclass
class Webhook:
    """One webhook to deliver; persisted as a job so a restart does not lose it."""

    kind: str  # "status" or "inbound"
    url: str  # as configured, fragment included
    params: list[tuple[str, str]]
    account_sid: str
    message_sid: str | None
    method: str = "POST"
    attempt: int = 1
    status: str | None = None  # the MessageStatus reported, for the log
    elapsed: float = 0.0  # seconds spent on earlier attempts (for ``#tt``)

    def to_payload(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "url": self.url,
            "params": self.params,
            "account_sid": self.account_sid,
            "message_sid": self.message_sid,
            "method": self.method,
            "attempt": self.attempt,
            "status": self.status,
            "elapsed": self.elapsed,
        }

    @classmethod
    def from_payload(cls, data: dict[str, Any]) -> Webhook:
        data = dict(data)
        data["params"] = [tuple(p) for p in data["params"]]
        return cls(**data)


class Sender(Protocol):
    """Sends one webhook attempt signed with ``auth_token``; never raises for HTTP trouble."""

    def send(self, webhook: Webhook, auth_token: str) -> AttemptResult: ...


@dataclass
class AttemptResult:
    """What happened to one HTTP attempt."""

    url: str
    headers: dict[str, str]
    status_code: int | None
    body: str
    content_type: str
    error: str | None
    failure: str | None  # None on 2xx; else "ct", "rt", "4xx", "5xx"
    duration: float
    overrides: fragments.Overrides = field(default_factory=fragments.Overrides)

    @property
    def ok(self) -> bool:
        return self.failure is None


class WebhookSender:
    """Signs and sends webhooks, one pooled session per thread."""

    def __init__(self) -> None:
        self._local = threading.local()

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            adapter = HTTPAdapter(pool_connections=8, pool_maxsize=8, max_retries=0)
            session.mount("http://", adapter)
            session.mount("https://", adapter)
            session.headers.clear()
            session.trust_env = False  # never route loopback callbacks through a proxy
            self._local.session = session
        return session

    def send(self, webhook: Webhook, auth_token: str) -> AttemptResult:
        """One attempt: sign, send, classify the outcome. Never raises for HTTP trouble."""
        url, overrides = fragments.split(webhook.url)
        headers = {
            "User-Agent": payloads.USER_AGENT,
            "Accept": "*/*",
            "Cache-Control": "max-age=259200",
            "I-Twilio-Idempotency-Token": f"{webhook.message_sid or ''}-{webhook.status or ''}",
        }
        if webhook.method == "GET":
            request_url = _with_query(url, webhook.params)
            headers["X-Twilio-Signature"] = compute_signature(request_url, None, auth_token)
            data = None
        else:
            request_url = url
            headers["Content-Type"] = "application/x-www-form-urlencoded; charset=utf-8"
            headers["X-Twilio-Signature"] = compute_signature(url, webhook.params, auth_token)
            data = urlencode(webhook.params).encode("utf-8")
        remaining = max(0.1, overrides.total_timeout - webhook.elapsed)
        timeout = (
            min(overrides.connect_timeout, remaining),
            min(overrides.read_timeout, remaining),
        )
        started = time.perf_counter()
        plain = _plain_target(request_url)
        if plain is not None:
            return self._send_plain(
                webhook.method, request_url, plain, data, headers, timeout, overrides, started
            )
        try:
            response = self._session().request(
                webhook.method,
                request_url,
                data=data,
                headers=headers,
                timeout=timeout,
                allow_redirects=False,
            )
        except requests.exceptions.ConnectTimeout as exc:
            return self._failed(
                request_url, headers, "ct", f"connect timeout: {exc}", started, overrides
            )
        except requests.exceptions.ConnectionError as exc:
            kind = "rt" if isinstance(exc, requests.exceptions.ReadTimeout) else "ct"
            return self._failed(request_url, headers, kind, _reason(exc), started, overrides)
        except requests.exceptions.Timeout as exc:
            return self._failed(
                request_url, headers, "rt", f"read timeout: {exc}", started, overrides
            )
        except requests.exceptions.RequestException as exc:
            return self._failed(request_url, headers, "ct", _reason(exc), started, overrides)
        duration = time.perf_counter() - started
        code = response.status_code
        failure = None if 200 <= code < 300 else ("4xx" if code < 500 else "5xx")
        return AttemptResult(
            url=request_url,
            headers=headers,
            status_code=code,
            body=response.text[: 64 * 1024 + 1],
            content_type=response.headers.get("Content-Type", ""),
            error=None if failure is None else f"HTTP {code}",
            failure=failure,
            duration=duration,
            overrides=overrides,
        )

    def _send_plain(
        self,
        method: str,
        url: str,
        target: tuple[str, int, str],
        data: bytes | None,
        headers: dict[str, str],
        timeout: tuple[float, float],
        overrides: fragments.Overrides,
        started: float,
    ) -> AttemptResult:
        """``send`` for a plain ``http://`` URL over ``http.client``, with the same wire
        request, timeouts and outcome classes as the ``requests`` path, at a fraction of
        its CPU cost (the dominant cost of a callback in load tests). One keep-alive
        connection per thread and host; a connection the peer closed while idle is
        replaced before use, as urllib3 does."""
        host, port, path = target
        conns: dict[tuple[str, int], http.client.HTTPConnection] = self._local.__dict__.setdefault(
            "plain", {}
        )
        conn = conns.get((host, port))
        if conn is None:
            conn = conns[(host, port)] = http.client.HTTPConnection(host, port)
        if conn.sock is not None and _dropped(conn.sock):
            conn.close()
        connect_timeout, read_timeout = timeout
        if conn.sock is None:
            conn.timeout = connect_timeout
            try:
                conn.connect()
            except TimeoutError:
                conn.close()
                return self._failed(
                    url,
                    headers,
                    "ct",
                    f"connect timeout: {host}:{port}: timed out "
                    f"(connect timeout={connect_timeout:g})",
                    started,
                    overrides,
                )
            except OSError as exc:
                conn.close()
                return self._failed(url, headers, "ct", _reason(exc), started, overrides)
        try:
            assert conn.sock is not None
            conn.sock.settimeout(read_timeout)
            conn.putrequest(method, path)
            for name, value in headers.items():
                conn.putheader(name, value)
            if data is not None:
                conn.putheader("Content-Length", str(len(data)))
            conn.endheaders(data)
            response = conn.getresponse()
            content = response.read()
        except TimeoutError:
            conn.close()
            return self._failed(
                url,
                headers,
                "rt",
                f"read timeout: {host}:{port}: Read timed out. (read timeout={read_timeout:g})",
                started,
                overrides,
            )
        except (OSError, http.client.HTTPException, ValueError) as exc:
            conn.close()
            # Worded as urllib3 words a connection lost mid-request.
            aborted = (
                ConnectionError(("Connection aborted.", exc))
                if isinstance(exc, OSError | http.client.HTTPException)
                else exc
            )
            return self._failed(url, headers, "ct", _reason(aborted), started, overrides)
        duration = time.perf_counter() - started
        code = response.status
        content_type = response.headers.get("Content-Type", "")
        content = _decoded(content, response.headers.get("Content-Encoding", ""))
        failure = None if 200 <= code < 300 else ("4xx" if code < 500 else "5xx")
        return AttemptResult(
            url=url,
            headers=headers,
            status_code=code,
            body=_text(content, content_type)[: 64 * 1024 + 1],
            content_type=content_type,
            error=None if failure is None else f"HTTP {code}",
            failure=failure,
            duration=duration,
            overrides=overrides,
        )

    def _failed(
        self,
        url: str,
        headers: dict[str, str],
        failure: str,
        error: str,
        started: float,
        overrides: fragments.Overrides,
    ) -> AttemptResult:
        """A failed attempt, keeping the URL's overrides so its retry policy applies."""
        return AttemptResult(
            url=url,
            headers=headers,
            status_code=None,
            body="",
            content_type="",
            error=error,
            failure=failure,
            duration=time.perf_counter() - started,
            overrides=overrides,
        )


class AttemptLog:
    """Every webhook attempt, queryable by tests and the control API."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def record(
        self, job_id: int | None, webhook: Webhook, result: AttemptResult, at: float
    ) -> None:
        self.store.execute(
            "INSERT INTO callback_attempts (job_id, message_sid, account_sid, kind, url, method,"
            " params, headers, attempt, status_code, response_body, error, at, duration_ms)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                job_id,
                webhook.message_sid,
                webhook.account_sid,
                webhook.kind,
                result.url,
                webhook.method,
                dumps(webhook.params),
                dumps(result.headers),  # the signature is a MAC, not a secret
                webhook.attempt,
                result.status_code,
                result.body[:RESPONSE_BODY_LIMIT],
                result.error,
                at,
                round(result.duration * 1000, 3),
            ),
        )

    def query(
        self,
        message_sid: str | None = None,
        status: str | None = None,
        url: str | None = None,
        kind: str | None = None,
        account_sid: str | None = None,
        limit: int = 1000,
    ) -> list[dict[str, Any]]:
        """Attempts, oldest first, filtered like ``GET /_smsim/callbacks``."""
        where = (
            Where()
            .equals("message_sid", message_sid)
            .equals("kind", kind)
            .equals("account_sid", account_sid)
        )
        if url:
            where.add("(url = ? OR url LIKE ?)", url, url + "?%")
        if status:
            # params is stored as a JSON list of [name, value] pairs.
            where.add(
                "EXISTS (SELECT 1 FROM json_each(params) AS p"
                " WHERE json_extract(p.value, '$[0]') = 'MessageStatus'"
                " AND json_extract(p.value, '$[1]') = ?)",
                status,
            )
        rows = self.store.all(
            f"SELECT * FROM callback_attempts{where.sql} ORDER BY id LIMIT ?",
            [*where.params, limit],
        )
        result = []
        for row in rows:
            params = dict(loads(row["params"]) or [])
            result.append(
                {
                    "id": row["id"],
                    "kind": row["kind"],
                    "message_sid": row["message_sid"],
                    "account_sid": row["account_sid"],
                    "url": row["url"],
                    "method": row["method"],
                    "params": params,
                    "headers": loads(row["headers"]),
                    "attempt": row["attempt"],
                    "status_code": row["status_code"],
                    "response_body": row["response_body"],
                    "error": row["error"],
                    "at": row["at"],
                    "duration_ms": row["duration_ms"],
                }
            )
        return result


def _with_query(url: str, params: Sequence[tuple[str, str]]) -> str:
    parts = urlsplit(url)
    query = "&".join(filter(None, [parts.query, urlencode(list(params))]))
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))


def _plain_target(url: str) -> tuple[str, int, str] | None:
    """(host, port, request target) when ``url`` can go over ``http.client`` exactly as
    ``requests`` would send it: plain http, no credentials, nothing ``requests`` would
    re-quote. Anything else (https, user:pass@, unusual characters) keeps ``requests``."""
    if not url.startswith("http://") or requote_uri(url) != url:
        return None
    try:
        parts = urlsplit(url)
        port = parts.port or 80
    except ValueError:
        return None
    if not parts.hostname or "@" in parts.netloc or (url.endswith("?") and not parts.query):
        return None
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return parts.hostname, port, path


def _dropped(sock: Any) -> bool:
    """True when an idle keep-alive socket is readable: the peer closed it (or broke
    protocol), so it must not carry the next request."""
    try:
        poller = select.poll()
        poller.register(sock, select.POLLIN)
        return bool(poller.poll(0))
    except (OSError, ValueError):
        return True


def _decoded(content: bytes, encoding: str) -> bytes:
    """Undo a gzip/deflate Content-Encoding, as ``requests`` does for its ``.text``."""
    kind = encoding.strip().lower()
    if not content or kind not in {"gzip", "x-gzip", "deflate"}:
        return content
    try:
        if kind == "deflate":
            try:
                return zlib.decompress(content)
            except zlib.error:
                return zlib.decompress(content, -zlib.MAX_WBITS)
        return zlib.decompress(content, 16 + zlib.MAX_WBITS)
    except zlib.error:
        return content


def _text(content: bytes, content_type: str) -> str:
    """The body as ``requests.Response.text`` decodes it (header charset, else the
    default for the type, else detection)."""
    if not content:
        return ""
    headers = CaseInsensitiveDict({"content-type": content_type} if content_type else {})
    encoding = get_encoding_from_headers(headers)
    detector = requests.compat.chardet
    if encoding is None and detector is not None:
        encoding = detector.detect(content)["encoding"]
    try:
        return str(content, encoding or "utf-8", errors="replace")
    except LookupError:
        return str(content, errors="replace")


def _reason(exc: Exception) -> str:
    text = str(exc)
    if "Connection refused" in text or "Errno 111" in text:
        return "connection refused"
    if "Read timed out" in text:
        return "read timeout"
    return text[:300]
