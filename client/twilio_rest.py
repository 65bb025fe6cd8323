"""The Twilio REST sender: create Messages over a kept-alive ``http.client`` connection.

A campaign is thousands of Create Message POSTs to one host, so the CPU each costs the
client is what bounds a campaign's rate. Through ``requests`` most of it went to the
library: the sending thread's CPU per send (``time.thread_time``) of a Twilio-sized form,
answered with a Message's JSON by a trivial local waitress app (as the simulator serves),
median of 5 runs of 2,000 sends alternating between the two, was 0.50 ms through one
``requests.Session`` and 0.15 ms on this path. (Against ``http.server``, whose answers in
two writes stall on Nagle's algorithm, both grow: 1.40 and 0.45 ms.) So each sender
thread keeps its own connection to Twilio (``smsim.keepalive``), reused send after send;
a socket Twilio closed while idle is noticed before the next request is written and
replaced, never reported as a failed send. A request that fails once written is not
retried: it may have reached Twilio, and a retry could send the message twice. https is
verified against ``REQUESTS_CA_BUNDLE`` or ``CURL_CA_BUNDLE`` when set, else certifi's
bundle, as ``requests`` does.

Proxies: when the environment names a proxy for the Twilio base URL (``HTTPS_PROXY``,
``HTTP_PROXY``, ``ALL_PROXY``, not bypassed by ``NO_PROXY``; read once, at construction),
every request goes through the ``requests.Session`` instead, which speaks proxies. List
Messages (:meth:`TwilioClient.find_message`, rare) always does.

Auth is HTTP Basic (AccountSid:AuthToken; never logged). Twilio's error envelope
``{"code", "message", "more_info", "status"}`` becomes a :class:`SendResult` with
``ok=False``; nothing here raises for an HTTP error, because to a campaign a refused
message is a result, not an exception.
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlencode, urlsplit

import requests
from requests.adapters import HTTPAdapter
from requests.utils import requote_uri, select_proxy

from smsim import __version__
from smsim.contracts.wire import FORM_CONTENT_TYPE
from smsim.keepalive import ConnectionCache

USER_AGENT = f"smsim-client/{__version__}"
#: Worth another try: Twilio's REST concurrency limit and transient server errors.
RETRY_HTTP_STATUS = frozenset({429, 502, 503, 504})
NON_RETRYABLE_CODES = frozenset({21611})  # SMS queue is full: per sender, not transient
RETRY_BACKOFF = (0.2, 0.5)


@dataclass(frozen=True)
class SendResult:
    """What Twilio answered to one Create Message request."""

    ok: bool
    sid: str | None = None
    status: str | None = None
    from_number: str | None = None
    error_code: int | None = None
    error_message: str | None = None
    http_status: int | None = None
    more_info: str | None = None

    @property
    def transport_error(self) -> bool:
        """True when Twilio could not be reached or answered something that is not Twilio."""
        return not self.ok and self.error_code is None


class TwilioClient:
    """A minimal, thread-safe Twilio Messages client bound to one base URL."""

    def __init__(
        self,
        base_url: str,
        *,
        pool_size: int = 8,
        timeout: float = 15.0,
        sleep: Any = time.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._sleep = sleep
        self.session = requests.Session()
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=max(pool_size, 1))
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers.update({"Accept": "application/json", "Accept-Charset": "utf-8"})
        # Read proxy and CA settings from the environment once, not on every request:
        # with trust_env on, requests re-reads them per call (a third of the sending CPU
        # in the campaign benchmark). Behaviour is the same unless the environment
        # changes while the process runs.
        proxies = requests.utils.get_environ_proxies(self.base_url)
        self.session.proxies.update(proxies)
        ca_bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
        if ca_bundle:
            self.session.verify = ca_bundle
        self.session.trust_env = False
        #: None when a proxy is named for the base URL (or it is not an http(s) URL, which
        #: ``requests`` reports as it always did): every send goes through ``session``
        self._connections: ConnectionCache | None = None
        self._scheme, self._host, self._port = _origin(self.base_url)
        if self._host and select_proxy(self.base_url, proxies) is None:
            self._connections = ConnectionCache(make_tls=lambda: _tls_context(ca_bundle))
        self._paths: dict[str, str] = {}

    def close(self) -> None:
        """Release every kept-alive connection, of every thread."""
        if self._connections is not None:
            self._connections.close()
        self.session.close()

    def messages_url(self, account_sid: str) -> str:
        """The Create Message endpoint of an account."""
        return f"{self.base_url}/2010-04-01/Accounts/{account_sid}/Messages.json"

    def send_message(
        self,
        *,
        account_sid: str,
        auth_token: str,
        to: str,
        body: str,
        from_: str | None = None,
        messaging_service_sid: str | None = None,
        status_callback: str | None = None,
        retry: bool = True,
    ) -> SendResult:
        """POST one message; retries only what is safe to retry (429/5xx answers), unless
        ``retry`` is False (the campaign sender backs off a whole campaign instead)."""
        form: dict[str, str] = {"To": to, "Body": body}
        if messaging_service_sid:
            form["MessagingServiceSid"] = messaging_service_sid
        if from_ and not messaging_service_sid:
            form["From"] = from_
        if status_callback:
            form["StatusCallback"] = status_callback
        attempt = 0
        while True:
            if self._connections is None:
                answer = self._post_via_session(account_sid, auth_token, form)
            else:
                answer = self._post(account_sid, auth_token, form)
            if isinstance(answer, SendResult):
                # Not retried: the request may have reached Twilio, and a retry could send twice.
                return answer
            http_status, payload = answer
            result = parse_response(http_status, payload)
            retryable = (
                http_status in RETRY_HTTP_STATUS and result.error_code not in NON_RETRYABLE_CODES
            )
            if not retry or not retryable or attempt >= len(RETRY_BACKOFF):
                return result
            self._sleep(RETRY_BACKOFF[attempt])
            attempt += 1

    def _post(
        self, account_sid: str, auth_token: str, form: dict[str, str]
    ) -> tuple[int, Any] | SendResult:
        """One POST over this thread's kept-alive connection: (HTTP status, JSON or None),
        or the failed :class:`SendResult` when Twilio could not be reached."""
        assert self._connections is not None
        host, port = self._host, self._port
        data = urlencode(form).encode("utf-8")
        conn = self._connections.connection(self._scheme, host, port)
        try:
            if conn.sock is None:
                conn.timeout = self.timeout
                conn.connect()
            conn.putrequest("POST", self._path(account_sid))
            conn.putheader("User-Agent", USER_AGENT)
            conn.putheader("Accept", "application/json")
            conn.putheader("Accept-Charset", "utf-8")
            conn.putheader("Authorization", _basic(account_sid, auth_token))
            conn.putheader("Content-Type", FORM_CONTENT_TYPE)
            conn.putheader("Content-Length", str(len(data)))
            conn.endheaders(data)
            response = conn.getresponse()
            content = response.read()
        except (OSError, http.client.HTTPException) as exc:
            conn.close()  # whatever it was in the middle of, it cannot carry the next one
            return SendResult(
                ok=False, error_message=f"could not reach Twilio: {_reason(exc, host, port)}"
            )
        return response.status, _json_body(content, response.headers.get("Content-Type", ""))

    def _post_via_session(
        self, account_sid: str, auth_token: str, form: dict[str, str]
    ) -> tuple[int, Any] | SendResult:
        """:meth:`_post` through ``requests`` (a proxy is configured)."""
        try:
            resp = self.session.post(
                self.messages_url(account_sid),
                data=form,  # requests encodes str values as UTF-8
                auth=(account_sid, auth_token),
                timeout=self.timeout,
            )
        except requests.RequestException as exc:
            return SendResult(ok=False, error_message=f"could not reach Twilio: {exc}")
        return resp.status_code, _json(resp)

    def _path(self, account_sid: str) -> str:
        """The request target of an account's Create Message, quoted as requests quotes it."""
        path = self._paths.get(account_sid)
        if path is None:
            parts = urlsplit(requote_uri(self.messages_url(account_sid)))
            path = self._paths[account_sid] = parts.path + (
                f"?{parts.query}" if parts.query else ""
            )
        return path

    def find_message(
        self, *, account_sid: str, auth_token: str, to: str, body: str, since: float
    ) -> str | None:
        """The SID of a message to ``to`` with exactly ``body`` created at or after ``since``
        (epoch seconds), from List Messages filtered by To (newest first); None when there is
        none. Raises :class:`TwilioLookupError` when Twilio cannot be asked."""
        try:
            resp = self.session.get(
                self.messages_url(account_sid),
                params={"To": to, "PageSize": "50"},
                auth=(account_sid, auth_token),
                timeout=self.timeout,
            )
        except requests.RequestException as exc:
            raise TwilioLookupError(f"could not reach Twilio: {exc}") from exc
        payload = _json(resp)
        if resp.status_code != 200 or not isinstance(payload, Mapping):
            raise TwilioLookupError(f"List Messages answered HTTP {resp.status_code}")
        for message in payload.get("messages") or []:
            created = _rfc2822(message.get("date_created"))
            if message.get("body") == body and created is not None and created >= since:
                return str(message["sid"])
        return None


class TwilioLookupError(Exception):
    """Twilio could not be asked (unreachable, or an answer that is not a message list)."""


def _rfc2822(value: Any) -> float | None:
    """Twilio's dates (``Wed, 18 Aug 2021 20:01:51 +0000``) as epoch seconds."""
    if not isinstance(value, str):
        return None
    try:
        return parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError):
        return None


def _json(resp: requests.Response) -> Any:
    try:
        return resp.json()
    except ValueError:
        return None


def _json_body(content: bytes, content_type: str) -> Any:
    """An answer's JSON as ``requests`` reads it (the charset the Content-Type names, else
    UTF-8), or None when it is not JSON."""
    charset = "utf-8"
    for param in content_type.split(";")[1:]:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset" and value.strip(" \"'"):
            charset = value.strip(" \"'")
    try:
        return json.loads(content.decode(charset, errors="replace"))
    except (ValueError, LookupError):
        return None


def _origin(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of an http(s) URL; the host is empty for any other URL."""
    parts = urlsplit(requote_uri(url))
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:  # not a port number
        return parts.scheme, "", 0
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return parts.scheme, "", 0
    return parts.scheme, parts.hostname, port


def _basic(username: str, password: str) -> str:
    """An HTTP Basic Authorization value, encoded as ``requests`` encodes it (latin-1)."""
    token = base64.b64encode(f"{username}:{password}".encode("latin-1")).decode("ascii")
    return f"Basic {token}"


def _tls_context(ca_bundle: str | None) -> ssl.SSLContext:
    """Verification as ``requests`` does it: the named bundle (a file or a folder of
    certificates), else certifi's."""
    if ca_bundle and os.path.isdir(ca_bundle):
        return ssl.create_default_context(capath=ca_bundle)
    return ssl.create_default_context(cafile=ca_bundle or requests.certs.where())


def _reason(exc: BaseException, host: str, port: int) -> str:
    """Why a send did not get an answer, for the campaign's failed recipients."""
    if isinstance(exc, TimeoutError):
        return f"{host}:{port}: timed out"
    if isinstance(exc, ConnectionRefusedError):
        return f"{host}:{port}: connection refused"
    return f"{host}:{port}: {str(exc) or type(exc).__name__}"


def parse_response(http_status: int, payload: Any) -> SendResult:
    """Turn a Create Message answer (Message JSON or error envelope) into a SendResult."""
    if not isinstance(payload, Mapping):
        return SendResult(
            ok=False,
            http_status=http_status,
            error_message=f"unexpected response from Twilio (HTTP {http_status}, not JSON)",
        )
    if 200 <= http_status < 300 and payload.get("sid"):
        return SendResult(
            ok=True,
            sid=str(payload["sid"]),
            status=str(payload.get("status") or "queued"),
            from_number=payload.get("from"),
            http_status=http_status,
        )
    code = payload.get("code")
    try:
        error_code = int(code) if code is not None else None
    except (TypeError, ValueError):
        error_code = None
    return SendResult(
        ok=False,
        error_code=error_code,
        error_message=str(payload.get("message") or f"HTTP {http_status}"),
        http_status=http_status,
        more_info=payload.get("more_info"),
    )
