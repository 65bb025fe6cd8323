"""Sending a logged webhook again by hand, and writing it as a curl command.

The inbox's **Redeliver** button (``POST /_smsim/callbacks/{id}/redeliver``) re-sends
the exact request of a logged attempt: same method, URL and form in the same order, the
same Twilio headers, signed again with the account's auth token, so the receiver gets a
request identical to the original (same ``X-Twilio-Signature`` while the token is
unchanged). It is sent once, at once, with the default timeouts (a fragment's overrides
were stripped from the logged URL), and logged as a new attempt of the same callback
without a job. smsim's choice: the answer to a redelivered inbound webhook is not read
as TwiML again, so a redelivery never sends a second reply.

A receiver that was down may come back at another address: given a ``url``, the same form
goes there instead, signed for that URL (Twilio signs the URL it posts to), and a success
there counts as the callback delivered. ``POST /_smsim/callbacks/redeliver`` with
``{"lost": true}`` does this for every callback never delivered (of one message, or all),
one after the other, and stops early once ``LOST_BATCH_SECONDS`` of sending have passed,
so one request never holds a worker for long; what was not tried yet is still counted as
lost, and the next call picks it up.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from smsim.contracts import callback_url
from smsim.simulator.accounts import Accounts
from smsim.simulator.clock import Clock
from smsim.simulator.errors import TwilioError
from smsim.simulator.webhooks import AttemptLog, Sender, Webhook

#: Seconds of sending after which a "redeliver every lost callback" call stops.
LOST_BATCH_SECONDS = 20.0


class RedeliveryError(TwilioError):
    """A redelivery request smsim cannot act on; the message names the field."""

    def __init__(self, message: str) -> None:
        super().__init__(20001, 400, message)


def checked_url(url: Any) -> str | None:
    """``url`` when it is a webhook URL Twilio would accept, None when not given; else a
    :class:`RedeliveryError` naming what is wrong."""
    if url is None:
        return None
    if not isinstance(url, str) or not url.strip():
        raise RedeliveryError("url: must be an absolute http(s) URL")
    text: str = url.strip()
    problem = callback_url.problem(text)
    if problem is not None:
        raise RedeliveryError(f"url: {problem}")
    return text


@dataclass(frozen=True)
class LostRedelivery:
    """What one "redeliver every lost callback" call did."""

    sent: int  # attempts made
    delivered: int  # of which the receiver answered 2xx
    still_lost: int  # callbacks still never delivered (in the scope asked) afterwards
    not_tried: int  # lost callbacks left for the next call (the time budget ran out)
    attempt_ids: tuple[int, ...]  # the new attempts, in order

    def as_json(self) -> dict[str, Any]:
        return {
            "sent": self.sent,
            "delivered": self.delivered,
            "failed": self.sent - self.delivered,
            "still_lost": self.still_lost,
            "not_tried": self.not_tried,
            "attempts": list(self.attempt_ids),
        }


class Redelivery:
    """Re-sends logged attempts through the engine's webhook sender."""

    def __init__(self, accounts: Accounts, sender: Sender, attempts: AttemptLog, clock: Clock):
        self.accounts = accounts
        self.sender = sender
        self.attempts = attempts
        self.clock = clock

    def redeliver(self, attempt_id: int, url: str | None = None) -> dict[str, Any] | None:
        """Send attempt ``attempt_id`` again (to ``url`` when given, an already
        :func:`checked_url`); the new attempt as the log shows it, or None when there is
        no such attempt."""
        original = self.attempts.get(attempt_id)
        if original is None:
            return None
        new_id, _, _ = self._send(original, url)
        return self.attempts.get(new_id)

    def redeliver_lost(
        self, url: str | None = None, message_sid: str | None = None
    ) -> LostRedelivery:
        """Send every callback never delivered (of ``message_sid``, or all) again, oldest
        first, to ``url`` when given; each success takes one off the lost count."""
        lost = self.attempts.lost(message_sid)
        tried = sent = delivered = 0
        spent = 0.0
        new_ids: list[int] = []
        for original in lost:
            if spent >= LOST_BATCH_SECONDS:
                break
            tried += 1
            current = self.attempts.get(original["id"])
            if current is None or not current["never_delivered"]:
                continue  # delivered meanwhile (another redelivery of the same callback)
            new_id, ok, seconds = self._send(original, url)
            sent += 1
            delivered += int(ok)
            spent += seconds
            new_ids.append(new_id)
        still = (
            self.attempts.lost_of(message_sid)
            if message_sid is not None
            else self.attempts.lost_count()
        )
        return LostRedelivery(sent, delivered, still, len(lost) - tried, tuple(new_ids))

    def _send(self, original: dict[str, Any], url: str | None) -> tuple[int, bool, float]:
        """One new attempt of ``original``'s callback: its id, whether the receiver
        answered 2xx, and the seconds it took."""
        account = self.accounts.get(original["account_sid"] or "")
        form = [(str(k), str(v)) for k, v in original["form"]]
        webhook = Webhook(
            kind=original["kind"],
            url=url or _configured_url(original["url"], original["method"], form),
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
        return new_id, result.ok, result.duration


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
