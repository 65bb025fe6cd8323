"""What ``smsim verify`` sends: its checks, derived from data rather than listed by hand.

* ``status handling``: every status Twilio POSTs to a StatusCallback (``statuses.json``),
  each as the lifecycle that reaches it, with and without a Messaging Service;
* ``error codes``: every catalogued callback error code (``catalogue.json``) with the
  statuses that precede it, in lifecycle order;
* ``ordering``: the same, with the failure arriving before one or more of the statuses
  that precede it (Twilio does not guarantee order), so ``sent`` arrives late;
* ``idempotency``: a final status, then Twilio's retry of it (the same request, same
  ``I-Twilio-Idempotency-Token``), also after a late status; a retried reply;
* ``handset replies``: every incoming message of ``handset_replies.json`` (GSM-7, UCS-2,
  emoji, empty bodies, media, STOP/START/HELP);
* ``signature and refusals``: forged, unsigned, incomplete and JSON requests, which a
  receiver must refuse with 4xx.

Each check carries the stats increase a correct integration shows after it (Twilio's
final-status rules, ``statuses.final_status``) and what a mishandled check looks like
in production.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

from smsim.contracts import catalogue, payloads, segments, statuses
from smsim.contracts.replay import SignedRequest, sign, wire_url
from smsim.contracts.signature import SIGNATURE_HEADER, body_sha256, compute_signature

# Sent with every webhook; a retry repeats its request's token (docs/fidelity.md, "Status
# callbacks, as smsim verify sends them").
IDEMPOTENCY_HEADER = "I-Twilio-Idempotency-Token"
REPLIES_FILE = "handset_replies.json"

CLASSES = (
    "status handling",
    "error codes",
    "ordering",
    "idempotency",
    "handset replies",
    "signature and refusals",
)
Expect = Literal["2xx", "4xx"]


@dataclass(frozen=True)
class Identity:
    """Who the webhooks are about."""

    account_sid: str
    twilio_number: str
    handset: str
    service_sid: str


@dataclass(frozen=True)
class StatsDelta:
    """How much a correct integration's stats grow after one check."""

    delivered: int = 0
    failed: int = 0
    errors: Mapping[str, int] = field(default_factory=dict)
    replied: int = 0

    def __add__(self, other: StatsDelta) -> StatsDelta:
        errors = dict(self.errors)
        for code, n in other.errors.items():
            errors[code] = errors.get(code, 0) + n
        return StatsDelta(
            self.delivered + other.delivered,
            self.failed + other.failed,
            errors,
            self.replied + other.replied,
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "delivered": self.delivered,
            "failed": self.failed,
            "errors": dict(self.errors),
            "replied": self.replied,
        }


@dataclass(frozen=True)
class Check:
    """One verify check: requests sent in order, the answer each must get, the stats it adds."""

    klass: str
    name: str
    requests: tuple[SignedRequest, ...]
    expect: Expect
    stats: StatsDelta
    production: str  # what the integration shows in production when this goes wrong
    kind: Literal["status", "reply", "refusal"] = "status"
    preferred: int | None = None  # the answer Twilio's docs suggest, noted when another is used


@cache
def handset_replies() -> list[dict[str, Any]]:
    """The rows of ``handset_replies.json``."""
    text = resources.files(__package__).joinpath(REPLIES_FILE).read_text(encoding="utf-8")
    rows: list[dict[str, Any]] = json.loads(text)["replies"]
    return rows


def late_orders(path: Sequence[str]) -> Iterator[tuple[str, list[str]]]:
    """Every order in which the last status of ``path`` overtakes some of the earlier
    ones, as (label, arrival order): ``[sent, undelivered]`` gives
    ``("late sent after undelivered", [undelivered, sent])``."""
    *before, last = path
    for cut in range(len(before) - 1, -1, -1):
        late = before[cut:]
        label = f"late {', '.join(late)} after {last}"
        yield label, [*before[:cut], last, *late]


class Planner:
    """Builds the signed requests of every check for one callback URL and token."""

    def __init__(self, callback_url: str, auth_token: str, who: Identity) -> None:
        self.url = callback_url
        self.token = auth_token
        self.who = who

    # -- requests ----------------------------------------------------------------------

    def _headers(self, request: SignedRequest) -> SignedRequest:
        headers = {**request.headers, IDEMPOTENCY_HEADER: uuid.uuid4().hex}
        return SignedRequest(
            request.label, request.url, request.form, headers, request.schema, request.raw_body
        )

    def status(
        self, sid: str, status: str, *, code: int | None = None, with_service: bool
    ) -> SignedRequest:
        """A signed status callback, as Twilio sends it for this status."""
        canceled_before_sender = status == "canceled"  # no From: no sender was picked yet
        form = payloads.status_callback(
            status=status,
            account_sid=self.who.account_sid,
            message_sid=sid,
            from_=None if canceled_before_sender else self.who.twilio_number,
            to=self.who.handset,
            messaging_service_sid=self.who.service_sid if with_service else None,
            error_code=code if status in payloads.FAILURE_STATUSES else None,
            raw_dlr_date=payloads.raw_dlr_done_date(),
        )
        label = (
            status
            if code is None or status not in payloads.FAILURE_STATUSES
            else (f"{status} {code}")
        )
        return self._headers(sign(label, self.url, form, self.token))

    def reply(self, sid: str, row: Mapping[str, Any], *, with_service: bool) -> SignedRequest:
        media = [
            (url.format(account=self.who.account_sid, message=sid), content_type)
            for url, content_type in row.get("media", ())
        ]
        form = payloads.incoming_message(
            account_sid=self.who.account_sid,
            message_sid=sid,
            from_=self.who.handset,
            to=self.who.twilio_number,
            body=row["body"],
            messaging_service_sid=self.who.service_sid if with_service else None,
            media=media,
            opt_out_type=row.get("opt_out_type"),
        )
        request = sign(
            f"reply {row['name']}", self.url, form, self.token, schema="incoming_message"
        )
        return self._headers(request)

    def sequence(
        self, arrivals: Sequence[str], *, code: int | None, with_service: bool
    ) -> tuple[tuple[SignedRequest, ...], StatsDelta]:
        """One message's callbacks in ``arrivals`` order, and the stats they add."""
        sid = payloads.new_sid("SM")
        requests = tuple(
            self.status(sid, s, code=code, with_service=with_service) for s in arrivals
        )
        return requests, expected_for(arrivals, code)

    # -- checks ------------------------------------------------------------------------

    def status_checks(self) -> Iterator[Check]:
        for status in statuses.callback_statuses():
            for with_service in (False, True):
                if not statuses.row(status).called_back(with_service):
                    continue  # queued is the initial status without a service: no callback
                if statuses.row(status).service_only and not with_service:
                    continue
                code = _code_for(status)
                path = statuses.lifecycle(status, with_service=with_service)
                requests, stats = self.sequence(path, code=code, with_service=with_service)
                service = "with" if with_service else "without"
                yield Check(
                    "status handling",
                    f"{status} ({service} a Messaging Service): {' > '.join(path)}",
                    requests,
                    "2xx",
                    stats,
                    f"messages that reach '{status}' keep an earlier status in the integration",
                )

    def error_checks(self) -> Iterator[Check]:
        for index, code in enumerate(catalogue.async_codes()):
            entry = catalogue.require(code)
            terminal = entry.terminal_status or "failed"
            title = f"error {code} ({catalogue.describe(code)})"
            lost = (
                f"messages failing with {code} are not counted as failed and {code} "
                "never shows among the integration's errors"
            )
            with_service = index % 2 == 1
            path = statuses.lifecycle(terminal, with_service=with_service)
            requests, stats = self.sequence(path, code=code, with_service=with_service)
            yield Check("error codes", f"{title}: {' > '.join(path)}", requests, "2xx", stats, lost)
            for label, order in late_orders(path):
                requests, stats = self.sequence(order, code=code, with_service=not with_service)
                yield Check(
                    "ordering",
                    f"{title}: {label} ({' > '.join(order)})",
                    requests,
                    "2xx",
                    stats,
                    f"when Twilio's callbacks arrive in this order, a message failing with {code} "
                    "ends in the wrong state or is counted wrongly",
                )
            yield self._retry_check(title, path, code, with_service=not with_service)

    def _retry_check(
        self, title: str, path: Sequence[str], code: int, *, with_service: bool
    ) -> Check:
        requests, stats = self.sequence(path, code=code, with_service=with_service)
        *before, final = requests
        late = [r for r in before if r.form != final.form][-1:]
        arrivals = (*before, final, final, *late, final)
        names = " > ".join(r.label for r in arrivals)
        return Check(
            "idempotency",
            f"{title}: {final.label} retried with the same {IDEMPOTENCY_HEADER} ({names})",
            arrivals,
            "2xx",
            stats,
            "a message Twilio retried a callback for is counted twice",
        )

    def idempotency_checks(self) -> Iterator[Check]:
        path = statuses.lifecycle("delivered", with_service=False)
        requests, stats = self.sequence(path, code=None, with_service=False)
        names = " > ".join([*path, path[-1]])
        yield Check(
            "idempotency",
            f"delivered retried with the same {IDEMPOTENCY_HEADER} ({names})",
            (*requests, requests[-1]),
            "2xx",
            stats,
            "a delivered message Twilio retried the callback for is counted twice",
        )
        reply = self.reply(payloads.new_sid("SM"), handset_replies()[0], with_service=False)
        yield Check(
            "idempotency",
            f"reply retried with the same {IDEMPOTENCY_HEADER}",
            (reply, reply),
            "2xx",
            StatsDelta(replied=1),
            "a reply Twilio retried the webhook for is counted twice",
            kind="reply",
        )

    def reply_checks(self) -> Iterator[Check]:
        for index, row in enumerate(handset_replies()):
            with_service = index % 2 == 1
            request = self.reply(payloads.new_sid("SM"), row, with_service=with_service)
            info = segments.analyze(row["body"])
            media = len(row.get("media", ()))
            shape = f"{info.encoding}, {len(row['body'])} characters, {media} media"
            keyword = row.get("opt_out_type")
            lost = f"handsets' {row['name']} replies are lost: Replied is short"
            if keyword:
                lost += f" and the {keyword} is never recorded by the integration"
            yield Check(
                "handset replies",
                f"{row['name']} ({shape})",
                (request,),
                "2xx",
                StatsDelta(replied=1),
                lost,
                kind="reply",
            )

    def refusal_checks(self) -> Iterator[Check]:
        forged = self.status(payloads.new_sid("SM"), "delivered", with_service=False)
        bad = compute_signature(forged.url, dict(forged.form), "not-the-token")
        unsigned = self.status(payloads.new_sid("SM"), "delivered", with_service=False)
        risk = "anyone who knows the URL can change the integration's delivery records"
        yield Check(
            "signature and refusals",
            "bad signature is refused",
            (_with_headers(forged, "delivered, wrong signature", {SIGNATURE_HEADER: bad}),),
            "4xx",
            StatsDelta(),
            risk,
            kind="refusal",
            preferred=403,
        )
        yield Check(
            "signature and refusals",
            "missing signature is refused",
            (_with_headers(unsigned, "delivered, no signature", {SIGNATURE_HEADER: None}),),
            "4xx",
            StatsDelta(),
            risk,
            kind="refusal",
        )
        yield Check(
            "signature and refusals",
            "missing required fields are refused",
            (self._incomplete(),),
            "4xx",
            StatsDelta(),
            "a request that is not a Twilio callback is recorded as one",
            kind="refusal",
        )
        yield Check(
            "signature and refusals",
            "JSON body is refused",
            (self._json_body(),),
            "4xx",
            StatsDelta(),
            "a request that is not a Twilio callback is recorded as one",
            kind="refusal",
        )

    def _incomplete(self) -> SignedRequest:
        full = self.status(payloads.new_sid("SM"), "delivered", with_service=False)
        dropped = {"MessageSid", "SmsSid", "MessageStatus", "SmsStatus"}
        form = tuple((k, v) for k, v in full.form if k not in dropped)
        headers = {
            **full.headers,
            SIGNATURE_HEADER: compute_signature(full.url, list(form), self.token),
        }
        return SignedRequest("delivered without MessageSid/MessageStatus", full.url, form, headers)

    def _json_body(self) -> SignedRequest:
        # Signed as Twilio signs JSON webhooks (bodySHA256 in the query, URL-only
        # signature), so a receiver can only refuse it for being JSON.
        full = self.status(payloads.new_sid("SM"), "delivered", with_service=False)
        body = json.dumps(dict(full.form))
        url = _with_query_param(wire_url(self.url), "bodySHA256", body_sha256(body))
        headers = {
            "Content-Type": "application/json",
            "User-Agent": payloads.USER_AGENT,
            SIGNATURE_HEADER: compute_signature(url, None, self.token),
        }
        return SignedRequest("delivered as JSON", url, full.form, headers, raw_body=body)

    def checks(self) -> list[Check]:
        """Every check, in the order they run (refusals last: they must change nothing)."""
        return [
            *self.status_checks(),
            *self.error_checks(),
            *self.idempotency_checks(),
            *self.reply_checks(),
            *self.refusal_checks(),
        ]


def _code_for(status: str) -> int | None:
    """A catalogued code that ends in ``status`` (failed/undelivered need one), else None."""
    if status not in payloads.FAILURE_STATUSES:
        return None
    return next(
        c for c in catalogue.async_codes() if catalogue.require(c).terminal_status == status
    )


def expected_for(arrivals: Sequence[str], code: int | None) -> StatsDelta:
    """What one message with these callbacks adds to a correct integration's stats."""
    bucket = statuses.bucket(arrivals)
    if bucket == "delivered":
        return StatsDelta(delivered=1)
    if bucket == "failed":
        return StatsDelta(failed=1, errors={str(code): 1} if code is not None else {})
    return StatsDelta()


def _with_headers(
    request: SignedRequest, label: str, changes: Mapping[str, str | None]
) -> SignedRequest:
    headers = {k: v for k, v in request.headers.items() if k not in changes}
    headers.update({k: v for k, v in changes.items() if v is not None})
    return SignedRequest(
        label, request.url, request.form, headers, request.schema, request.raw_body
    )


def _with_query_param(url: str, name: str, value: str) -> str:
    parts = urlsplit(url)
    query = f"{parts.query}&{name}={value}" if parts.query else f"{name}={value}"
    return urlunsplit(parts._replace(query=query))
