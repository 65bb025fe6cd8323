"""Sending webhooks: signing, timeouts, connection reuse and the attempts log.

This is the one module of the simulator that speaks HTTP outwards (``http.client``, one
code path for http and https). Each worker thread keeps one connection per receiver
(``smsim.keepalive``) so connections are reused (keep-alive) across callbacks: load tests
of a receiver measure the receiver, not TCP set-up. Signing follows Twilio exactly
(``smsim.contracts.signature``): the URL as requested (fragment removed, query kept as
given) plus the sorted form parameters.
"""

from __future__ import annotations

import base64
import http.client
import ssl
import time
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import unquote, urlencode, urlsplit, urlunsplit

import requests
from requests.structures import CaseInsensitiveDict
from requests.utils import get_encoding_from_headers, requote_uri

from smsim.contracts import payloads
from smsim.contracts.signature import SIGNATURE_HEADER, compute_signature
from smsim.contracts.wire import FORM_CONTENT_TYPE
from smsim.keepalive import ConnectionCache
from smsim.simulator import fragments
from smsim.simulator.store import dumps, loads
from smsim.simulator.store_api import Store
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
    """Signs and sends webhooks over ``http.client``, http and https alike: one keep-alive
    connection per worker thread and host, so a receiver under load is measured, not TCP
    set-up. ``requests`` and ``urllib3`` were measured at 3.5x and 1.8x the CPU per
    callback of this path, the dominant cost of a callback in load tests.

    The wire request matches what ``requests`` sent before: the URL re-quoted the same way,
    credentials in the URL sent as Basic auth (never logged), no redirects followed, no
    proxy. Outcomes are classified like Twilio's retry policies: ``ct`` (could not connect
    or the connection broke), ``rt`` (read timeout), ``4xx``, ``5xx``.
    """

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        # The system's CA store is loaded on the first https webhook only (see keepalive).
        self._connections = ConnectionCache(tls)

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
            headers[SIGNATURE_HEADER] = compute_signature(request_url, None, auth_token)
            data = None
        else:
            request_url = url
            headers["Content-Type"] = f"{FORM_CONTENT_TYPE}; charset=utf-8"
            headers[SIGNATURE_HEADER] = compute_signature(url, webhook.params, auth_token)
            data = urlencode(webhook.params).encode("utf-8")
        remaining = max(0.1, overrides.total_timeout - webhook.elapsed)
        connect_timeout = min(overrides.connect_timeout, remaining)
        read_timeout = min(overrides.read_timeout, remaining)
        started = time.perf_counter()
        try:
            target = _target(request_url)
        except ValueError as exc:
            return _failed(request_url, headers, "ct", f"invalid URL: {exc}", started, overrides)
        conn = self._connections.connection(target.scheme, target.host, target.port)
        if conn.sock is None:
            conn.timeout = connect_timeout
            try:
                conn.connect()
            except TimeoutError:
                conn.close()
                reason = (
                    f"connect timeout: {target.host}:{target.port}: timed out "
                    f"(connect timeout={connect_timeout:g})"
                )
                return _failed(request_url, headers, "ct", reason, started, overrides)
            except OSError as exc:
                conn.close()
                return _failed(request_url, headers, "ct", _reason(exc), started, overrides)
        try:
            assert conn.sock is not None
            conn.sock.settimeout(read_timeout)
            conn.putrequest(webhook.method, target.path)
            for name, value in headers.items():
                conn.putheader(name, value)
            if target.authorization:
                conn.putheader("Authorization", target.authorization)
            if data is not None:
                conn.putheader("Content-Length", str(len(data)))
            conn.endheaders(data)
            response = conn.getresponse()
            content = response.read()
        except TimeoutError:
            conn.close()
            reason = (
                f"read timeout: {target.host}:{target.port}: Read timed out. "
                f"(read timeout={read_timeout:g})"
            )
            return _failed(request_url, headers, "rt", reason, started, overrides)
        except (OSError, http.client.HTTPException, ValueError) as exc:
            conn.close()
            # Worded as urllib3 words a connection lost mid-request.
            aborted = (
                ConnectionError(("Connection aborted.", exc))
                if isinstance(exc, OSError | http.client.HTTPException)
                else exc
            )
            return _failed(request_url, headers, "ct", _reason(aborted), started, overrides)
        duration = time.perf_counter() - started
        code = response.status
        content_type = response.headers.get("Content-Type", "")
        content = _decoded(content, response.headers.get("Content-Encoding", ""))
        failure = None if 200 <= code < 300 else ("4xx" if code < 500 else "5xx")
        return AttemptResult(
            url=request_url,
            headers=headers,
            status_code=code,
            body=_text(content, content_type)[: 64 * 1024 + 1],
            content_type=content_type,
            error=None if failure is None else f"HTTP {code}",
            failure=failure,
            duration=duration,
            overrides=overrides,
        )


@dataclass(frozen=True)
class Target:
    """Where a webhook goes: connection key, request target and Basic credentials."""

    scheme: str
    host: str
    port: int
    path: str  # the request target: path and query, re-quoted as requests did
    authorization: str | None  # from user:password@ in the URL


def _target(url: str) -> Target:
    """Parse a webhook URL (ValueError when it cannot be requested)."""
    parts = urlsplit(requote_uri(url))
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{url!r} is not an absolute http(s) URL")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    authorization = None
    if parts.username is not None or parts.password is not None:
        credentials = f"{unquote(parts.username or '')}:{unquote(parts.password or '')}"
        authorization = "Basic " + base64.b64encode(credentials.encode("latin-1")).decode()
    return Target(parts.scheme, parts.hostname, port, path, authorization)


def _failed(
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


def _storable(text: str) -> str:
    """A receiver's answer as the log keeps it: a NUL character (a binary body) shown as
    U+FFFD, since PostgreSQL's text cannot hold one. The body was already read as sent
    (TwiML, redirects); the log only shows it."""
    return text.replace("\x00", "\ufffd")


# How an attempt ended, from its row: the classes of WebhookSender (2xx, 4xx, 5xx, a read
# timeout, a connection that failed or broke).
_OUTCOME_SQL = (
    "CASE WHEN status_code BETWEEN 200 AND 299 THEN '2xx'"
    " WHEN status_code >= 500 THEN '5xx'"
    " WHEN status_code IS NOT NULL THEN '4xx'"
    " WHEN error LIKE 'read timeout%' THEN 'read_timeout'"
    " ELSE 'connection_error' END"
)


@dataclass(frozen=True)
class AttemptTally:
    """Attempts of one kind and outcome: how many, their summed duration, and how many
    took at most each bound (milliseconds) of the query."""

    kind: str
    outcome: str
    count: int
    duration_ms: float
    at_most: tuple[int, ...]


class AttemptLog:
    """Every webhook attempt, queryable by tests and the control API."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def record(
        self,
        job_id: int | None,
        webhook: Webhook,
        result: AttemptResult,
        at: float,
        gave_up: bool = False,
    ) -> int:
        """Log one attempt; ``gave_up`` marks a failed one after which nothing more will
        be tried, so the callback was never delivered. Returns the attempt's id."""
        cursor = self.store.execute(
            "INSERT INTO callback_attempts (job_id, message_sid, account_sid, kind, url, method,"
            " params, headers, attempt, status_code, response_body, error, at, duration_ms)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?) RETURNING id",
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
                _storable(result.body[:RESPONSE_BODY_LIMIT]),
                result.error,
                at,
                round(result.duration * 1000, 3),
            ),
        )
        attempt_id = int(cursor.fetchone()[0])
        if gave_up:
            self.store.execute(
                "INSERT INTO lost_callbacks (attempt_id, message_sid, at) VALUES (?, ?, ?)",
                (attempt_id, webhook.message_sid, at),
            )
        return attempt_id

    def remove_of_account(self, account_sid: str) -> None:
        """Forget every attempt made for ``account_sid``, lost ones included (the account
        is being removed)."""
        self.store.execute(
            "DELETE FROM lost_callbacks WHERE attempt_id IN"
            " (SELECT id FROM callback_attempts WHERE account_sid = ?)",
            (account_sid,),
        )
        self.store.execute("DELETE FROM callback_attempts WHERE account_sid = ?", (account_sid,))

    def get(self, attempt_id: int) -> dict[str, Any] | None:
        """One attempt as :meth:`query` shows it, or None."""
        row = self.store.one(_SELECT_ATTEMPTS + " WHERE a.id = ?", (attempt_id,))
        return None if row is None else _attempt_json(row)

    def tally_since(
        self, after_id: int, bounds_ms: Sequence[float], most: int
    ) -> tuple[int, list[AttemptTally]]:
        """The attempts logged after ``after_id`` (ids up to ``after_id + most``): (the
        last id tallied, a tally per kind and outcome). Ids only grow (AUTOINCREMENT) and
        a row is visible only once its transaction committed, so calling again with the
        returned id counts each attempt once; attempts deleted before they were tallied
        (account removal) are not."""
        newest = int(self.store.scalar("SELECT MAX(id) FROM callback_attempts") or 0)
        last = min(newest, after_id + most)
        if last <= after_id:
            return after_id, []
        buckets = ", ".join(
            f"SUM(CASE WHEN duration_ms <= {float(b)!r} THEN 1 ELSE 0 END)" for b in bounds_ms
        )
        rows = self.store.all(
            f"SELECT kind, {_OUTCOME_SQL} AS outcome, COUNT(*), SUM(duration_ms)"
            f"{', ' + buckets if buckets else ''} FROM callback_attempts"
            " WHERE id > ? AND id <= ? GROUP BY kind, outcome",
            (after_id, last),
        )
        return last, [
            AttemptTally(
                kind=str(r[0]),
                outcome=str(r[1]),
                count=int(r[2]),
                duration_ms=float(r[3] or 0.0),
                at_most=tuple(int(r[4 + i] or 0) for i in range(len(bounds_ms))),
            )
            for r in rows
        ]

    def lost_count(self) -> int:
        """Callbacks never delivered: every attempt failed and none is left to try."""
        return int(self.store.scalar("SELECT COUNT(*) FROM lost_callbacks") or 0)

    def lost(self, message_sid: str | None = None) -> list[dict[str, Any]]:
        """The attempts after which their callback was given up (of one message, or all),
        oldest first: one per callback never delivered."""
        where = " WHERE l.message_sid = ?" if message_sid is not None else ""
        params = (message_sid,) if message_sid is not None else ()
        rows = self.store.all(
            "SELECT a.*, 1 AS lost FROM lost_callbacks l"
            f" JOIN callback_attempts a ON a.id = l.attempt_id{where} ORDER BY a.id",
            params,
        )
        return [_attempt_json(row) for row in rows]

    def lost_of(self, message_sid: str) -> int:
        """How many callbacks of one message were never delivered."""
        return int(
            self.store.scalar(
                "SELECT COUNT(*) FROM lost_callbacks WHERE message_sid = ?", (message_sid,)
            )
            or 0
        )

    def next_attempt(self, attempt: dict[str, Any]) -> int:
        """The number the next attempt of ``attempt``'s callback gets."""
        highest = self.store.scalar(
            "SELECT MAX(attempt) FROM callback_attempts"
            " WHERE message_sid IS NOT DISTINCT FROM ? AND kind = ? AND url = ? AND params = ?",
            (attempt["message_sid"], attempt["kind"], attempt["url"], dumps(attempt["form"])),
        )
        return int(highest or attempt["attempt"]) + 1

    def recovered(self, attempt: dict[str, Any]) -> int:
        """A redelivery of ``attempt`` succeeded: its callback is no longer lost. Clears
        the flag of every attempt of the same callback (same message, kind, URL, form)."""
        cursor = self.store.execute(
            "DELETE FROM lost_callbacks WHERE attempt_id IN (SELECT id FROM callback_attempts"
            " WHERE message_sid IS NOT DISTINCT FROM ? AND kind = ? AND url = ? AND params = ?)",
            (attempt["message_sid"], attempt["kind"], attempt["url"], dumps(attempt["form"])),
        )
        return int(cursor.rowcount or 0)

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
            .equals("a.message_sid", message_sid)
            .equals("a.kind", kind)
            .equals("a.account_sid", account_sid)
        )
        if url:
            where.add("(a.url = ? OR a.url LIKE ?)", url, url + "?%")
        if status:
            # params is stored as a JSON list of [name, value] pairs; filtering here, before
            # the LIMIT, keeps status=delivered&limit=3 from coming back short.
            where.add(_STATUS_SENT[self.store.dialect], status)
        rows = self.store.all(
            f"{_SELECT_ATTEMPTS}{where.sql} ORDER BY a.id LIMIT ?", [*where.params, limit]
        )
        return [_attempt_json(row) for row in rows]


# An attempt that sent ``MessageStatus=<status>``: ``params`` is a JSON list of
# [name, value] pairs, looked into with each engine's JSON functions.
_STATUS_SENT = {
    "sqlite": "EXISTS (SELECT 1 FROM json_each(a.params) AS p"
    " WHERE json_extract(p.value, '$[0]') = 'MessageStatus'"
    " AND json_extract(p.value, '$[1]') = ?)",
    "postgresql": "EXISTS (SELECT 1 FROM json_array_elements(a.params::json) AS p (pair)"
    " WHERE p.pair ->> 0 = 'MessageStatus' AND p.pair ->> 1 = ?)",
}

_SELECT_ATTEMPTS = (
    "SELECT a.*, l.attempt_id IS NOT NULL AS lost FROM callback_attempts a"
    " LEFT JOIN lost_callbacks l ON l.attempt_id = a.id"
)


def _attempt_json(row: Any) -> dict[str, Any]:
    form = [tuple(p) for p in loads(row["params"]) or []]
    return {
        "id": row["id"],
        "kind": row["kind"],
        "message_sid": row["message_sid"],
        "account_sid": row["account_sid"],
        "url": row["url"],
        "method": row["method"],
        "params": dict(form),
        "form": form,
        "headers": loads(row["headers"]),
        "attempt": row["attempt"],
        "status_code": row["status_code"],
        "response_body": row["response_body"],
        "error": row["error"],
        "at": row["at"],
        "duration_ms": row["duration_ms"],
        "redelivery": row["job_id"] is None,
        "never_delivered": bool(row["lost"]),
    }


def _with_query(url: str, params: Sequence[tuple[str, str]]) -> str:
    parts = urlsplit(url)
    query = "&".join(filter(None, [parts.query, urlencode(list(params))]))
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))


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
