"""Sending a logged webhook again by hand, and writing it as a curl command.

The inbox's **Redeliver** button (``POST /_smsim/callbacks/{id}/redeliver``) re-sends
the exact request of a logged attempt: same method, URL and form in the same order, the
same Twilio headers, signed again with the account's auth token, so the receiver gets a
request identical to the original (same ``X-Twilio-Signature`` while the token is
unchanged). It is sent once, at once, with the default timeouts (a fragment's overrides
were stripped from the logged URL), and logged as a new attempt of the same callback
without a job. smsim's choice: the answer to a redelivered inbound webhook is not read
as TwiML again, so a redelivery never sends a second reply.
"""

from __future__ import annotations

import shlex
from typing import Any
from urllib.parse import urlencode

from smsim.simulator.accounts import Accounts
from smsim.simulator.clock import Clock
from smsim.simulator.webhooks import AttemptLog, Sender, Webhook


class Redelivery:
    """Re-sends logged attempts through the engine's webhook sender."""

    def __init__(self, accounts: Accounts, sender: Sender, attempts: AttemptLog, clock: Clock):
        self.accounts = accounts
        self.sender = sender
        self.attempts = attempts
        self.clock = clock

    def redeliver(self, attempt_id: int) -> dict[str, Any] | None:
        """Send attempt ``attempt_id`` again; the new attempt as the log shows it, or None
        when there is no such attempt."""
        original = self.attempts.get(attempt_id)
        if original is None:
            return None
        account = self.accounts.get(original["account_sid"] or "")
        form = [(str(k), str(v)) for k, v in original["form"]]
        webhook = Webhook(
            kind=original["kind"],
            url=_configured_url(original["url"], original["method"], form),
            params=form,
            account_sid=original["account_sid"] or "",
            message_sid=original["message_sid"],
            method=original["method"],
            attempt=self.attempts.next_attempt(original),
            status=original["params"].get("MessageStatus"),
        )
        result = self.sender.send(webhook, account.auth_token if account else "")
        # The new attempt and the cleared "never delivered" flag commit together.
        with self.attempts.store.transaction():
            new_id = self.attempts.record(None, webhook, result, self.clock.now())
            if result.ok:
                self.attempts.recovered(original)
        logged: dict[str, Any] | None = self.attempts.get(new_id)
        return logged


def _configured_url(logged: str, method: str, form: list[tuple[str, str]]) -> str:
    """The URL before the form was put in its query (GET webhooks log the full URL)."""
    if method != "GET":
        return logged
    query = urlencode(form)
    if query and logged.endswith(query):
        base = logged[: -len(query)]
        return base[:-1] if base.endswith(("?", "&")) else base
    return logged


def as_curl(attempt: dict[str, Any]) -> str:
    """The logged request as a curl command: the same method, URL, headers and body bytes
    (so the signature still verifies at the receiver)."""
    parts = ["curl"]
    if attempt["method"] != "GET":
        parts += ["-X", attempt["method"]]
    parts.append(shlex.quote(attempt["url"]))
    for name, value in (attempt.get("headers") or {}).items():
        parts += ["-H", shlex.quote(f"{name}: {value}")]
    if attempt["method"] != "GET":
        parts += ["--data-raw", shlex.quote(urlencode(attempt["form"]))]
    return " ".join(parts)
