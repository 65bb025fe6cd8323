"""Replay Twilio webhooks at an integration: build, sign, send (or print as curl).

This is QA tooling, not domain code, so it may use ``requests``. A request is signed
over the exact URL that goes on the wire: the URL is prepared the way ``requests``
prepares it (fragment removed, unsafe characters quoted, ``/`` added to a bare host)
and the signature is computed over that, so the receiver sees the URL that was signed.
The query string is otherwise kept exactly as given (``?account=...&meta=...``).
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urldefrag, urlencode

import requests

from smsim.contracts import catalogue, payloads, validate
from smsim.contracts.signature import SIGNATURE_HEADER, compute_signature
from smsim.contracts.wire import FORM_CONTENT_TYPE


@dataclass(frozen=True)
class Identity:
    """Who a replayed payload claims to be about. Missing SIDs are generated."""

    account_sid: str
    from_: str
    to: str
    messaging_service_sid: str | None = None
    message_sid: str | None = None

    def sid(self) -> str:
        """The message SID to use: the given one, or a fresh ``SM`` SID."""
        return self.message_sid or payloads.new_sid("SM")


@dataclass(frozen=True)
class SignedRequest:
    """A webhook request ready to send: URL as it goes on the wire, ordered form, headers."""

    label: str
    url: str
    form: tuple[tuple[str, str], ...]
    headers: Mapping[str, str] = field(default_factory=dict)
    schema: str = "status_callback"
    raw_body: str | None = None  # sent instead of the form (e.g. a JSON body)

    @property
    def body(self) -> str:
        return self.raw_body if self.raw_body is not None else urlencode(self.form)

    @property
    def signature(self) -> str:
        return self.headers[SIGNATURE_HEADER]


@dataclass(frozen=True)
class Outcome:
    """What happened when a request was sent."""

    request: SignedRequest
    status_code: int | None
    body: str
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.status_code is not None and 200 <= self.status_code < 300


def wire_url(url: str) -> str:
    """The URL exactly as ``requests`` will put it on the wire, fragment removed.

    A Twilio connection-override fragment (``#rc=3``) is never sent, so it is not signed.
    """
    without_fragment, _ = urldefrag(url)
    prepared = requests.Request("POST", without_fragment).prepare()
    return prepared.url or without_fragment


def sign(
    label: str,
    url: str,
    form: Mapping[str, str],
    auth_token: str,
    *,
    schema: str = "status_callback",
) -> SignedRequest:
    """Validate ``form`` against ``schema`` and sign it for ``url``."""
    validate(schema, dict(form))
    target = wire_url(url)
    headers = {
        "Content-Type": FORM_CONTENT_TYPE,
        "User-Agent": payloads.USER_AGENT,
        SIGNATURE_HEADER: compute_signature(target, form, auth_token),
    }
    return SignedRequest(label, target, tuple(form.items()), headers, schema)


def callback_status_for(code: int) -> str:
    """The status a callback carrying ``code`` reports.

    A catalogued callback code has its terminal status in the catalogue. Any other code
    (Twilio has hundreds) is ``undelivered`` when it is a 30xxx delivery error, the family
    carriers and handsets report after the message left Twilio, and ``failed`` otherwise
    (the message never left Twilio, as with 21610/21614). ``--status`` overrides it.
    """
    entry = catalogue.get(code)
    if entry is not None and entry.terminal_status is not None:
        return str(entry.terminal_status)
    return "undelivered" if 30000 <= code <= 30999 else "failed"


def status_request(
    url: str,
    auth_token: str,
    who: Identity,
    status: str | None = None,
    *,
    code: int | None = None,
) -> SignedRequest:
    """A signed status callback.

    With ``code`` (any Twilio error code), ``status`` defaults to
    :func:`callback_status_for`; without, it defaults to ``delivered``.
    """
    if code is not None:
        status = status or callback_status_for(code)
        label = f"{status} {code} ({catalogue.describe(code)})"
    else:
        status = status or "delivered"
        label = status
    form = payloads.status_callback(
        status=status,
        account_sid=who.account_sid,
        message_sid=who.sid(),
        from_=who.from_,
        to=who.to,
        messaging_service_sid=who.messaging_service_sid,
        error_code=code,
        raw_dlr_date=payloads.raw_dlr_done_date(),
    )
    return sign(label, url, form, auth_token)


def with_fields(
    request: SignedRequest, fields: Mapping[str, str], auth_token: str
) -> SignedRequest:
    """``request`` with ``fields`` overriding (in place) or added (at the end), re-signed
    and checked against the same schema, so an override cannot break the contract
    silently."""
    if not fields:
        return request
    form = dict(request.form)
    form.update(fields)
    changed = ", ".join(f"{k}={v}" for k, v in fields.items())
    return sign(
        f"{request.label} [{changed}]", request.url, form, auth_token, schema=request.schema
    )


def parse_payload(text: str) -> dict[str, str]:
    """A captured webhook payload: a JSON object, or a form-encoded body
    (``MessageSid=SM...&MessageStatus=delivered``). Field order is kept; JSON numbers
    become digits, as they travel in a form. Raises ValueError saying what is wrong."""
    stripped = text.strip()
    if stripped.startswith("{"):
        try:
            raw = json.loads(stripped)
        except json.JSONDecodeError as exc:
            raise ValueError(f"payload is not valid JSON: {exc}") from None
        form: dict[str, str] = {}
        for name, value in raw.items():
            if isinstance(value, bool) or not isinstance(value, str | int | float):
                raise ValueError(f"payload field {name}: must be a string or number")
            form[name] = value if isinstance(value, str) else str(value)
        return form
    try:
        pairs = parse_qsl(stripped, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        raise ValueError(
            "payload is neither a JSON object nor form-encoded (Name=Value&Name=Value)"
        ) from None
    return dict(pairs)


def payload_request(url: str, auth_token: str, form: Mapping[str, str]) -> SignedRequest:
    """A captured payload, checked against its contract and signed for ``url``: an
    incoming message when ``SmsStatus`` is ``received``, else a status callback."""
    is_reply = form.get("SmsStatus") == "received"
    schema = "incoming_message" if is_reply else "status_callback"
    label = f"captured {'reply' if is_reply else form.get('MessageStatus', 'callback')}"
    return sign(label, url, form, auth_token, schema=schema)


def reply_request(url: str, auth_token: str, who: Identity, text: str) -> SignedRequest:
    """A signed incoming message: the handset (``who.to``) texts the Twilio number."""
    form = payloads.incoming_message(
        account_sid=who.account_sid,
        message_sid=who.sid(),
        from_=who.to,
        to=who.from_,
        body=text,
        messaging_service_sid=who.messaging_service_sid,
    )
    return sign(f"reply {text!r}", url, form, auth_token, schema="incoming_message")


def full_run(url: str, auth_token: str, who: Identity, reply_text: str) -> list[SignedRequest]:
    """delivered, every catalogued async code, and a reply; each about a fresh message."""
    fresh = Identity(who.account_sid, who.from_, who.to, who.messaging_service_sid)
    run = [status_request(url, auth_token, fresh, "delivered")]
    run += [status_request(url, auth_token, fresh, code=c) for c in catalogue.async_codes()]
    run.append(reply_request(url, auth_token, fresh, reply_text))
    return run


def send(request: SignedRequest, *, timeout: float = 10.0) -> Outcome:
    """POST ``request``; connection problems become an Outcome with ``error`` set."""
    try:
        response = requests.post(
            request.url,
            data=request.body.encode("utf-8"),
            headers=dict(request.headers),
            timeout=timeout,
            allow_redirects=False,
        )
    except requests.RequestException as exc:
        return Outcome(request, None, "", f"{type(exc).__name__}: {exc}")
    return Outcome(request, response.status_code, response.text)


def send_all(requests_: Iterable[SignedRequest], *, timeout: float = 10.0) -> list[Outcome]:
    """Send each request in order."""
    return [send(r, timeout=timeout) for r in requests_]


def to_curl(request: SignedRequest) -> str:
    """The equivalent curl command: one ``--data-urlencode`` per field, like the sample in
    CleverTap's documentation."""
    lines = [f"curl --location {shlex.quote(request.url)}"]
    lines += [f"--header {shlex.quote(f'{k}: {v}')}" for k, v in request.headers.items()]
    lines += [f"--data-urlencode {shlex.quote(f'{k}={v}')}" for k, v in request.form]
    return " \\\n  ".join(lines)
