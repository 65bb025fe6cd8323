"""Check a third party's Twilio callback endpoint against the catalogue.

``run(config)`` posts signed webhooks exactly as Twilio would, each about a fresh
message SID, and judges the answers:

* ``status sequence``: queued, sent, delivered for one message -> every answer 2xx;
* ``error <code>``: one failed/undelivered callback per catalogued async code -> 2xx;
* ``reply``: an incoming message -> 2xx;
* ``duplicate``: the same delivered callback twice -> 2xx both times (Twilio may retry);
* ``out of order``: delivered before sent -> 2xx both (Twilio does not guarantee order);
* negatives, which must be refused with 4xx and never 2xx or 5xx: a wrong signature
  (403 expected), no signature, a correctly signed payload missing required fields, and a
  JSON body (signed the way Twilio signs JSON webhooks, so only the content type is wrong).

With ``stats_url``, the endpoint is fetched (GET, JSON) before and after the run and the
*increase* of its counts is checked against what was sent, so earlier traffic does not
matter. Expected JSON shape (extra keys are ignored)::

    {
      "delivered": 3,            # distinct messages whose final status is delivered
      "failed": 14,              # distinct messages that ended failed or undelivered
      "errors": {"30005": 1},    # failed/undelivered messages by ErrorCode (string keys)
      "replied": 1               # incoming messages received
    }

A verify run adds exactly: delivered +3 (sequence, duplicate counted once, out of
order), failed +1 and errors[code] +1 for each catalogued async code, replied +1; the
negative cases add nothing. The stats are read once, right after the last POST: an
endpoint that processes callbacks asynchronously must have finished by then.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit
from xml.etree import ElementTree

import requests

from smsim.contracts import catalogue, payloads
from smsim.contracts.replay import (
    Outcome,
    SignedRequest,
    send,
    sign,
    wire_url,
)
from smsim.contracts.signature import SIGNATURE_HEADER, body_sha256, compute_signature
from smsim.websafety import control_headers


@dataclass(frozen=True)
class VerifyConfig:
    """Where and as whom to verify."""

    callback_url: str
    auth_token: str
    account_sid: str = field(default_factory=lambda: payloads.new_sid("AC"))
    from_: str = "+15005550006"
    to: str = "+14155550100"
    messaging_service_sid: str | None = None
    stats_url: str | None = None
    timeout: float = 10.0
    control_token: str | None = None  # sent to stats_url only (docs/security.md)


@dataclass(frozen=True)
class CaseResult:
    """One verification case: its name, verdict and the reason a reader needs."""

    name: str
    passed: bool
    reason: str
    exchanges: tuple[str, ...] = ()


@dataclass
class Report:
    """All case results of a run."""

    results: list[CaseResult] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.results)

    @property
    def failures(self) -> list[CaseResult]:
        return [r for r in self.results if not r.passed]

    def to_junit_xml(self) -> str:
        """JUnit XML: one testsuite, one testcase per case, the reason as failure text."""
        suite = ElementTree.Element(
            "testsuite",
            name="smsim verify",
            tests=str(len(self.results)),
            failures=str(len(self.failures)),
            errors="0",
        )
        for result in self.results:
            case = ElementTree.SubElement(
                suite, "testcase", classname="smsim.verify", name=result.name
            )
            if not result.passed:
                failure = ElementTree.SubElement(case, "failure", message=result.reason)
                failure.text = "\n".join([result.reason, *result.exchanges])
            else:
                out = ElementTree.SubElement(case, "system-out")
                out.text = "\n".join([result.reason, *result.exchanges])
        return ElementTree.tostring(suite, encoding="unicode", xml_declaration=True)


def _exchange(outcome: Outcome) -> str:
    answer = outcome.error or f"HTTP {outcome.status_code}"
    return f"{outcome.request.label}: {answer}"


def _is_2xx(outcome: Outcome) -> bool:
    return outcome.ok


def _is_4xx(outcome: Outcome) -> bool:
    return outcome.status_code is not None and 400 <= outcome.status_code < 500


class _Runner:
    def __init__(self, config: VerifyConfig) -> None:
        self.config = config
        self.report = Report()

    # -- building requests -------------------------------------------------------------

    def _status(self, sid: str, status: str, code: int | None = None) -> SignedRequest:
        form = payloads.status_callback(
            status=status,
            account_sid=self.config.account_sid,
            message_sid=sid,
            from_=self.config.from_,
            to=self.config.to,
            messaging_service_sid=self.config.messaging_service_sid,
            error_code=code,
            raw_dlr_date=payloads.raw_dlr_done_date(),
        )
        label = status if code is None else f"{status} {code}"
        return sign(label, self.config.callback_url, form, self.config.auth_token)

    def _reply(self) -> SignedRequest:
        form = payloads.incoming_message(
            account_sid=self.config.account_sid,
            message_sid=payloads.new_sid("SM"),
            from_=self.config.to,
            to=self.config.from_,
            body="STOP",
            messaging_service_sid=self.config.messaging_service_sid,
        )
        return sign(
            "reply",
            self.config.callback_url,
            form,
            self.config.auth_token,
            schema="incoming_message",
        )

    # -- judging -----------------------------------------------------------------------

    def _case(
        self,
        name: str,
        planned: list[SignedRequest],
        accept: Callable[[Outcome], bool],
        expectation: str,
        note: Callable[[list[Outcome]], str] | None = None,
    ) -> list[Outcome]:
        outcomes = [send(r, timeout=self.config.timeout) for r in planned]
        exchanges = tuple(_exchange(o) for o in outcomes)
        bad = [o for o in outcomes if not accept(o)]
        if bad:
            first = bad[0]
            got = first.error or f"HTTP {first.status_code}"
            body = (first.body or "").strip()[:200]
            reason = f"{first.request.label}: expected {expectation}, got {got}"
            reason += f" ({body})" if body else ""
            self.report.results.append(CaseResult(name, False, reason, exchanges))
        else:
            reason = f"{len(outcomes)} request(s) answered {expectation}"
            if note is not None:
                reason += note(outcomes)
            self.report.results.append(CaseResult(name, True, reason, exchanges))
        return outcomes

    # -- cases -------------------------------------------------------------------------

    def positives(self) -> None:
        sid = payloads.new_sid("SM")
        sequence = [self._status(sid, s) for s in ("queued", "sent", "delivered")]
        self._case("status sequence queued/sent/delivered", sequence, _is_2xx, "2xx")
        for code in catalogue.async_codes():
            request = self._status(
                payloads.new_sid("SM"), catalogue.require(code).terminal_status or "failed", code
            )
            self._case(f"error {code} ({catalogue.describe(code)})", [request], _is_2xx, "2xx")
        self._case("reply (incoming message)", [self._reply()], _is_2xx, "2xx")
        duplicate = self._status(payloads.new_sid("SM"), "delivered")
        self._case("duplicate delivered callback", [duplicate, duplicate], _is_2xx, "2xx")
        sid = payloads.new_sid("SM")
        late = [self._status(sid, "delivered"), self._status(sid, "sent")]
        self._case("out of order (delivered before sent)", late, _is_2xx, "2xx")

    def negatives(self) -> None:
        forged = self._status(payloads.new_sid("SM"), "delivered")
        forged_headers = {
            **forged.headers,
            SIGNATURE_HEADER: compute_signature(forged.url, dict(forged.form), "not-the-token"),
        }
        self._case(
            "bad signature is refused",
            [_replace(forged, "delivered, wrong signature", headers=forged_headers)],
            _is_4xx,
            "4xx",
            note=lambda o: "" if o[0].status_code == 403 else " (Twilio's docs suggest 403)",
        )
        unsigned = self._status(payloads.new_sid("SM"), "delivered")
        headers = {k: v for k, v in unsigned.headers.items() if k != SIGNATURE_HEADER}
        self._case(
            "missing signature is refused",
            [_replace(unsigned, "delivered, no signature", headers=headers)],
            _is_4xx,
            "4xx",
        )
        self._case("missing required fields are refused", [self._incomplete()], _is_4xx, "4xx")
        self._case("JSON body is refused", [self._json_body()], _is_4xx, "4xx")

    def _incomplete(self) -> SignedRequest:
        full = self._status(payloads.new_sid("SM"), "delivered")
        dropped = {"MessageSid", "SmsSid", "MessageStatus", "SmsStatus"}
        form = tuple((k, v) for k, v in full.form if k not in dropped)
        headers = {
            **full.headers,
            SIGNATURE_HEADER: compute_signature(full.url, list(form), self.config.auth_token),
        }
        return SignedRequest("delivered without MessageSid/MessageStatus", full.url, form, headers)

    def _json_body(self) -> SignedRequest:
        # Signed as Twilio signs JSON webhooks (bodySHA256 in the query, URL-only
        # signature), so a receiver can only refuse it for being JSON.
        full = self._status(payloads.new_sid("SM"), "delivered")
        body = json.dumps(dict(full.form))
        url = _with_query_param(wire_url(self.config.callback_url), "bodySHA256", body_sha256(body))
        headers = {
            "Content-Type": "application/json",
            "User-Agent": payloads.USER_AGENT,
            SIGNATURE_HEADER: compute_signature(url, None, self.config.auth_token),
        }
        return SignedRequest("delivered as JSON", url, full.form, headers, raw_body=body)

    # -- stats ---------------------------------------------------------------------------

    def fetch_stats(self) -> Mapping[str, Any] | str:
        """The stats JSON, or a string saying why it could not be read."""
        assert self.config.stats_url is not None
        try:
            response = requests.get(
                self.config.stats_url,
                headers={
                    "Accept": "application/json",
                    **control_headers(self.config.control_token),
                },
                timeout=self.config.timeout,
            )
        except requests.RequestException as exc:
            return f"GET {self.config.stats_url} failed: {type(exc).__name__}: {exc}"
        if response.status_code != 200:
            return f"GET {self.config.stats_url} answered HTTP {response.status_code}"
        try:
            data = response.json()
        except ValueError:
            return f"GET {self.config.stats_url} did not return JSON"
        if not isinstance(data, dict):
            return f"GET {self.config.stats_url} returned {type(data).__name__}, not an object"
        return data

    def check_stats(self, before: Mapping[str, Any] | str) -> None:
        after = self.fetch_stats()
        for snapshot in (before, after):
            if isinstance(snapshot, str):
                self.report.results.append(CaseResult("stats match what was sent", False, snapshot))
                return
        assert not isinstance(before, str) and not isinstance(after, str)
        problems = compare_stats(before, after, expected_increase())
        if problems:
            reason = "; ".join(problems)
            self.report.results.append(CaseResult("stats match what was sent", False, reason))
        else:
            self.report.results.append(
                CaseResult("stats match what was sent", True, "every count increased as sent")
            )


def expected_increase() -> dict[str, Any]:
    """How much a verify run increases each stats count (see the module docstring)."""
    codes = catalogue.async_codes()
    return {
        "delivered": 3,
        "failed": len(codes),
        "errors": {str(code): 1 for code in codes},
        "replied": 1,
    }


def _count(stats: Mapping[str, Any], key: str, code: str | None = None) -> int | str:
    value: Any = stats.get(key)
    if code is not None:
        if not isinstance(value, Mapping):
            return f"'{key}' is not an object"
        value = value.get(code, 0)
    if value is None and key in stats:
        return f"'{key}' is null"
    if value is None:
        return f"'{key}' is missing"
    if not isinstance(value, int) or isinstance(value, bool):
        return f"'{key}' is {value!r}, not an integer"
    return value


def compare_stats(
    before: Mapping[str, Any], after: Mapping[str, Any], expected: Mapping[str, Any]
) -> list[str]:
    """Human-readable mismatches between the stats increase and ``expected``."""
    problems: list[str] = []
    checks: list[tuple[str, str | None, int]] = []
    for key, want in expected.items():
        if isinstance(want, Mapping):
            checks += [(key, code, n) for code, n in want.items()]
        else:
            checks.append((key, None, int(want)))
    for key, code, want in checks:
        label = f"{key}[{code}]" if code is not None else key
        old = _count(before, key, code) if key in before else 0
        new = _count(after, key, code)
        if isinstance(new, str) or isinstance(old, str):
            problems.append(f"{label}: {new if isinstance(new, str) else old}")
            continue
        if new - old != want:
            problems.append(f"{label} increased by {new - old}, expected {want}")
    return problems


def _replace(request: SignedRequest, label: str, *, headers: Mapping[str, str]) -> SignedRequest:
    return SignedRequest(
        label, request.url, request.form, dict(headers), request.schema, request.raw_body
    )


def _with_query_param(url: str, name: str, value: str) -> str:
    parts = urlsplit(url)
    query = f"{parts.query}&{name}={value}" if parts.query else f"{name}={value}"
    return urlunsplit(parts._replace(query=query))


def run(config: VerifyConfig) -> Report:
    """Run every case against ``config.callback_url`` and return the report."""
    runner = _Runner(config)
    before = runner.fetch_stats() if config.stats_url else None
    runner.positives()
    runner.negatives()
    if before is not None:
        runner.check_stats(before)
    return runner.report
