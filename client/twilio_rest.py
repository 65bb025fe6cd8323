"""The Twilio REST sender: create Messages over HTTP with ``requests``.

One :class:`requests.Session` is shared by every thread; its adapter's connection pool is
sized to the number of sender threads, so a 10,000-recipient campaign reuses a handful of
keep-alive connections instead of opening one per message. Auth is HTTP Basic
(AccountSid:AuthToken). Twilio's error envelope ``{"code", "message", "more_info",
"status"}`` becomes a :class:`SendResult` with ``ok=False``; nothing here raises for an
HTTP error, because to a campaign a refused message is a result, not an exception.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

import requests
from requests.adapters import HTTPAdapter

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
        self.session.proxies.update(requests.utils.get_environ_proxies(self.base_url))
        ca_bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
        if ca_bundle:
            self.session.verify = ca_bundle
        self.session.trust_env = False

    def close(self) -> None:
        """Release pooled connections."""
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
        url = self.messages_url(account_sid)
        attempt = 0
        while True:
            try:
                resp = self.session.post(
                    url,
                    data=form,  # requests encodes str values as UTF-8
                    auth=(account_sid, auth_token),
                    timeout=self.timeout,
                )
            except requests.RequestException as exc:
                # Not retried: the request may have reached Twilio, and a retry could send twice.
                return SendResult(ok=False, error_message=f"could not reach Twilio: {exc}")
            result = parse_response(resp.status_code, _json(resp))
            retryable = (
                resp.status_code in RETRY_HTTP_STATUS
                and result.error_code not in NON_RETRYABLE_CODES
            )
            if not retry or not retryable or attempt >= len(RETRY_BACKOFF):
                return result
            self._sleep(RETRY_BACKOFF[attempt])
            attempt += 1

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
