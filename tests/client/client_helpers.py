"""Helpers for the client tests: a tiny fake Twilio, provider settings, signed callbacks.

The fake Twilio is deliberately small: it answers Create Message with Twilio's JSON and
error envelope and records each request, so client tests do not depend on the simulator.
End-to-end tests against the real simulator live in test_e2e.py.
"""

from __future__ import annotations

import base64
import secrets
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import requests
from flask import Flask, jsonify, request
from twilio.request_validator import RequestValidator

ACCOUNT_SID = "AC" + "0" * 31 + "1"
AUTH_TOKEN = "0123456789abcdef0123456789abcdef"
OTHER_TOKEN = "fedcba9876543210fedcba9876543210"
FROM = "+15005550006"

#: Synchronous errors the fake returns, like Twilio's magic numbers.
SYNC_ERRORS = {
    "+15005550009": (21614, "To number: +15005550009, is not a mobile number"),
    "+15005550004": (21610, "Attempt to send to unsubscribed recipient"),
    "+15005550001": (21211, "The 'To' number +15005550001 is not a valid phone number."),
    "+15005550077": (21699, "Some error the catalogue does not know"),
}


@dataclass
class FakeTwilio:
    """Records Create Message requests; trial accounts refuse unverified numbers (21608)."""

    url: str = ""
    accounts: dict[str, str] = field(default_factory=dict)
    trial: dict[str, set[str]] = field(default_factory=dict)
    requests: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def sent_to(self, to: str) -> dict[str, Any]:
        """The last recorded request to ``to``."""
        return [r for r in self.requests if r["To"] == to][-1]


def _error(code: int, message: str, status: int = 400) -> Any:
    body = {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }
    return jsonify(body), status


def fake_twilio_app(state: FakeTwilio) -> Flask:
    app = Flask("fake-twilio")

    @app.post("/2010-04-01/Accounts/<sid>/Messages.json")
    def create(sid: str) -> Any:
        auth = request.headers.get("Authorization", "")
        user, _, password = base64.b64decode(auth[6:]).decode().partition(":")
        if user != sid or state.accounts.get(sid) != password:
            return _error(20003, "Authenticate", 401)
        form = {k: request.form[k] for k in request.form}
        with state.lock:
            state.requests.append(form)
        to = form.get("To", "")
        if to in SYNC_ERRORS:
            return _error(*SYNC_ERRORS[to])
        if sid in state.trial and to not in state.trial[sid]:
            return _error(
                21608,
                f"The number {to} is unverified. Trial accounts cannot send messages to "
                f"unverified numbers; verify {to} at twilio.com/user/account/phone-numbers/"
                "verified, or purchase a Twilio number to send messages to unverified numbers.",
            )
        msg_sid = "SM" + secrets.token_hex(16)
        body = {
            "sid": msg_sid,
            "account_sid": sid,
            "status": "accepted" if form.get("MessagingServiceSid") else "queued",
            "to": to,
            "from": form.get("From"),
            "body": form.get("Body"),
        }
        form["_sid"] = msg_sid
        return jsonify(body), 201

    return app


def provider_settings(**overrides: Any) -> dict[str, Any]:
    settings: dict[str, Any] = {
        "nickname": "twilio-main",
        "account_sid": ACCOUNT_SID,
        "auth_token": AUTH_TOKEN,
        "from_numbers": [FROM],
    }
    settings.update(overrides)
    return settings


def sign(url: str, params: Mapping[str, str], token: str = AUTH_TOKEN) -> str:
    """X-Twilio-Signature as the official SDK computes it (an independent implementation)."""
    return RequestValidator(token).compute_signature(url, dict(params))


def post_signed(
    url: str, params: Mapping[str, str], token: str = AUTH_TOKEN, signature: str | None = None
) -> requests.Response:
    """POST a form to ``url`` the way Twilio does, signed with ``token``."""
    headers = {"X-Twilio-Signature": signature or sign(url, params, token)}
    return requests.post(url, data=dict(params), headers=headers, timeout=10)


def status_params(
    sid: str, status: str, to: str = "+14155550100", error_code: int | None = None, **extra: str
) -> dict[str, str]:
    """A status callback body in the field order of a captured Twilio payload."""
    params = {
        "SmsSid": sid,
        "SmsStatus": status,
        "MessageStatus": status,
        "To": to,
        "MessageSid": sid,
        "AccountSid": ACCOUNT_SID,
        "From": FROM,
        "ApiVersion": "2010-04-01",
    }
    if error_code is not None:
        params["ErrorCode"] = str(error_code)
    params.update(extra)
    return params


def query_of(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query))
