"""A running simulator as the provider of a pact: its control API and Twilio surface over
HTTP, and a local receiver for the webhooks it sends.

Everything goes through public routes, so the same code drives an in-process server and
one reached with ``--against URL`` (which must be able to reach this machine's loopback
for message interactions: the webhooks are sent to a receiver here).
"""

from __future__ import annotations

import itertools
import time
from typing import Any

import requests

from smsim.simulator import phone
from smsim.testing import CallbackRecorder, RecordedRequest
from smsim.websafety import TOKEN_ENV, control_headers

WEBHOOK_TIMEOUT = 30.0  # seconds a real-clock server gets to send a webhook
REQUEST_TIMEOUT = 30.0


class StateError(Exception):
    """A provider state could not be set up; the message says why, in words."""


class Provider:
    """The simulator at ``url`` (``token``: its control token, if it has one)."""

    def __init__(self, url: str, token: str | None = None) -> None:
        self.url = url.rstrip("/")
        self.session = requests.Session()
        self.session.trust_env = False
        if token:
            self.session.headers.update(control_headers(token))
        self.recorder = CallbackRecorder()
        self._paths = itertools.count(1)
        self.virtual_clock = False

    def start(self) -> Provider:
        health = self.control("GET", "/health")
        self.virtual_clock = health.get("clock") == "virtual"
        self.recorder.start()
        return self

    def stop(self) -> None:
        self.recorder.stop()
        self.session.close()

    # -- the control API -----------------------------------------------------------------

    def control(self, method: str, path: str, body: Any = None) -> Any:
        """Call ``/_smsim{path}``; a refusal becomes a :class:`StateError` with its message."""
        try:
            answer = self.session.request(
                method, f"{self.url}/_smsim{path}", json=body, timeout=REQUEST_TIMEOUT
            )
        except requests.RequestException as exc:
            raise StateError(
                f"{method} /_smsim{path}: the simulator did not answer ({exc})"
            ) from None
        if answer.status_code >= 400:
            raise StateError(_refusal(answer, f"{method} /_smsim{path}"))
        return answer.json() if answer.content else None

    def reset(self) -> None:
        self.control("POST", "/reset")

    def run_until_idle(self) -> None:
        """On a virtual clock, run every pending step now (a real one runs by itself)."""
        if self.virtual_clock:
            self.control("POST", "/clock/run-until-idle")

    def account(self, sid: str) -> dict[str, Any] | None:
        answer = self.session.get(f"{self.url}/_smsim/accounts/{sid}", timeout=REQUEST_TIMEOUT)
        if answer.status_code == 404:
            return None
        if answer.status_code >= 400:
            raise StateError(_refusal(answer, f"GET /_smsim/accounts/{sid}"))
        found: dict[str, Any] = answer.json()
        return found

    def put_account(self, spec: dict[str, Any]) -> dict[str, Any]:
        """Create the account ``spec`` describes, taking its numbers from any other account
        that owns them (released through the Twilio API, with the owner's credentials).

        An account already there with that SID (one the server's --config declares, which
        a reset re-seeds) is taken when it has the same Auth Token and type, and gets the
        numbers it lacks; with another token or type it is refused in words: no public
        route changes an account's credentials."""
        wanted = [_phone_of(n) for n in spec.get("numbers") or []]
        self._release(wanted, keep=spec.get("sid"))
        answer = self.session.post(
            f"{self.url}/_smsim/accounts", json=spec, timeout=REQUEST_TIMEOUT
        )
        if answer.status_code != 409:
            if answer.status_code >= 400:
                raise StateError(_refusal(answer, "POST /_smsim/accounts"))
            created: dict[str, Any] = answer.json()
            return created
        sid = str(spec["sid"])
        existing = self.account(sid)
        if existing is None:
            raise StateError(f"account {sid} was refused as existing, then not found: retry")
        wanted_type = str(spec.get("type", "full")).lower()
        if existing["auth_token"] != spec.get("auth_token") or existing["type"] != wanted_type:
            raise StateError(
                f"account {sid} is declared by the server (its --config) with another "
                "Auth Token or type; smsim creates accounts for a pact but cannot change "
                "the credentials of one the server declares"
            )
        owned = {n["phone_number"] for n in existing.get("numbers") or []}
        for number in spec.get("numbers") or []:
            if _phone_of(number) not in owned:
                body = number if isinstance(number, dict) else {"phone_number": number}
                self.control("POST", f"/accounts/{sid}/numbers", body)
        verified = set(existing.get("verified_numbers") or [])
        for number in spec.get("verified_numbers") or []:
            if number not in verified:
                self.control("POST", f"/accounts/{sid}/verified_numbers", {"phone_number": number})
        return self.account(sid) or existing

    def _release(self, numbers: list[str], keep: object) -> None:
        """Release ``numbers`` from every account but ``keep`` that owns one."""
        if not any(numbers):
            return
        for account in self.control("GET", "/accounts")["accounts"]:
            if account["sid"] == keep:
                continue
            for owned in account.get("numbers") or []:
                if owned["phone_number"] in numbers:
                    path = (
                        f"/2010-04-01/Accounts/{account['sid']}"
                        f"/IncomingPhoneNumbers/{owned['sid']}.json"
                    )
                    self.twilio("DELETE", path, (account["sid"], account["auth_token"]), [])

    # -- the Twilio surface --------------------------------------------------------------

    def twilio(
        self, method: str, path: str, auth: tuple[str, str], form: list[tuple[str, str]]
    ) -> dict[str, Any]:
        answer = self.session.request(
            method, f"{self.url}{path}", data=form, auth=auth, timeout=REQUEST_TIMEOUT
        )
        if answer.status_code >= 400:
            raise StateError(_refusal(answer, f"{method} {path}"))
        result: dict[str, Any] = answer.json() if answer.content else {}
        return result

    # -- webhooks ------------------------------------------------------------------------

    def webhook_url(self, kind: str) -> str:
        """A fresh URL on the local receiver, so one interaction's webhooks never mix with
        another's."""
        return self.recorder.url(f"/{kind}/{next(self._paths)}")

    def wait_for_webhook(self, url: str, what: str, **params: str) -> RecordedRequest:
        """The first request to ``url`` whose form has ``params``; :class:`StateError`
        when none came within :data:`WEBHOOK_TIMEOUT` seconds."""
        path = url.split("://", 1)[1].split("/", 1)[1]
        deadline = time.monotonic() + WEBHOOK_TIMEOUT
        while True:
            for request in list(self.recorder.requests):
                form = request.params
                if request.path == f"/{path}" and all(form.get(k) == v for k, v in params.items()):
                    return request
            if time.monotonic() >= deadline:
                raise StateError(
                    f"smsim sent no {what} within {WEBHOOK_TIMEOUT:g} s "
                    f"(can the server reach {url}?)"
                )
            time.sleep(0.02)


def _phone_of(number: Any) -> str:
    """A number of an account spec (a string or a mapping) in E.164, as accounts list it."""
    raw = number.get("phone_number") if isinstance(number, dict) else number
    text = str(raw or "")
    return phone.normalize(text) or text


def _refusal(answer: requests.Response, what: str) -> str:
    try:
        message = answer.json().get("message")
    except ValueError:
        message = None
    return f"{what} was refused ({answer.status_code}): {message or answer.text[:200]}"


__all__ = ["TOKEN_ENV", "Provider", "StateError"]
