"""Check a third party's Twilio callback endpoint: post signed webhooks exactly as Twilio
would and judge the answers, the time they take and, with ``stats_url``, the counts.

The checks come from ``verify_plan`` (derived from the status table and the error-code
catalogue). Each must be answered 2xx (the refusals: 4xx) within ``timeout`` seconds,
Twilio's limit for a webhook answer (15 s, docs/fidelity.md "Lifecycle and callbacks");
a slower answer is the 11205 Twilio would log. Before anything is sent, the target is
reached once: an unreachable one raises :class:`Unreachable` and nothing is posted.

With ``stats_url``, the endpoint is read (GET, JSON) before the run and after every
check, and the increase must equal what that check adds under Twilio's final-status
rules (``statuses.final_status``). Expected JSON shape (extra keys are ignored)::

    {
      "delivered": 3,            # distinct messages whose final status is delivered
      "failed": 14,              # distinct messages that ended failed or undelivered
      "errors": {"30005": 1},    # failed/undelivered messages by ErrorCode (string keys)
      "replied": 1               # distinct incoming messages, keywords included
    }

Earlier traffic does not matter (only increases are compared). The stats are read right
after a check's last answer: an endpoint that counts asynchronously must be done by then.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests

from smsim.contracts import payloads
from smsim.contracts.replay import SignedRequest
from smsim.contracts.verify_plan import Check, Identity, Planner, StatsDelta
from smsim.contracts.verify_report import CaseResult, Report
from smsim.websafety import control_headers

__all__ = [
    "CaseResult",
    "Report",
    "Unreachable",
    "VerifyConfig",
    "compare_stats",
    "expected_increase",
    "run",
]

# Twilio waits 15 s for a webhook's answer and tries a connection for 5 s (error 11205,
# docs/fidelity.md "Lifecycle and callbacks").
TWILIO_READ_TIMEOUT = 15.0
TWILIO_CONNECT_TIMEOUT = 5.0
STATS_CASE = "stats match what was sent"


class Unreachable(Exception):
    """The callback URL or the stats URL cannot be used: nothing was sent."""


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
    timeout: float = TWILIO_READ_TIMEOUT
    control_token: str | None = None  # sent to stats_url only (docs/security.md)

    def __post_init__(self) -> None:
        for name, sid, prefix in (
            ("account_sid", self.account_sid, "AC"),
            ("messaging_service_sid", self.messaging_service_sid, "MG"),
        ):
            if sid is not None and not (
                len(sid) == 34 and sid.startswith(prefix) and _is_hex(sid[2:])
            ):
                raise ValueError(f"{name} must be {prefix} and 32 hex digits, got {sid!r}")
        if not self.timeout > 0:
            raise ValueError(f"timeout must be more than 0 seconds, got {self.timeout}")


def _is_hex(text: str) -> bool:
    return all(c in "0123456789abcdefABCDEF" for c in text)


@dataclass(frozen=True)
class _Answer:
    request: SignedRequest
    status_code: int | None
    body: str
    seconds: float
    error: str | None = None  # a connection problem
    timed_out: bool = False

    def line(self) -> str:
        if self.timed_out:
            return f"{self.request.label}: no answer within {self.seconds:.2f} s"
        got = self.error or f"HTTP {self.status_code}"
        return f"{self.request.label}: {got} in {self.seconds:.3f} s"


def probe(url: str, timeout: float = TWILIO_CONNECT_TIMEOUT) -> None:
    """Open one TCP connection to ``url``'s host; :class:`Unreachable` saying why if not."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Unreachable(f"{url}: not an http(s) URL")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        with socket.create_connection((parts.hostname, port), timeout=timeout):
            pass
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        if isinstance(exc, TimeoutError):
            reason = f"no connection within {timeout:g} s"
        raise Unreachable(
            f"cannot reach {parts.hostname}:{port} ({reason}); nothing was sent"
        ) from None


class _Runner:
    def __init__(self, config: VerifyConfig) -> None:
        self.config = config
        self.session = requests.Session()
        self.report = Report()
        self.limit = config.timeout

    # -- HTTP --------------------------------------------------------------------------

    def post(self, request: SignedRequest) -> _Answer:
        started = time.perf_counter()
        try:
            response = self.session.post(
                request.url,
                data=request.body.encode("utf-8"),
                headers=dict(request.headers),
                timeout=(min(TWILIO_CONNECT_TIMEOUT, self.limit), self.limit),
                allow_redirects=False,
            )
        except requests.Timeout:
            return _Answer(request, None, "", time.perf_counter() - started, timed_out=True)
        except requests.RequestException as exc:
            elapsed = time.perf_counter() - started
            return _Answer(request, None, "", elapsed, error=f"{type(exc).__name__}: {exc}")
        elapsed = time.perf_counter() - started
        late = elapsed > self.limit
        return _Answer(request, response.status_code, response.text, elapsed, timed_out=late)

    def fetch_stats(self) -> Mapping[str, Any] | str:
        """The stats JSON, or a string saying why it could not be read."""
        url = self.config.stats_url
        assert url is not None
        try:
            response = self.session.get(
                url,
                headers={
                    "Accept": "application/json",
                    **control_headers(self.config.control_token),
                },
                timeout=(TWILIO_CONNECT_TIMEOUT, max(self.limit, TWILIO_READ_TIMEOUT)),
            )
        except requests.RequestException as exc:
            return f"GET {url} failed: {type(exc).__name__}"
        if response.status_code != 200:
            return f"GET {url} answered HTTP {response.status_code}"
        try:
            data = response.json()
        except ValueError:
            return f"GET {url} did not return JSON"
        if not isinstance(data, dict):
            return f"GET {url} returned {type(data).__name__}, not an object"
        return data

    # -- judging -----------------------------------------------------------------------

    def judge(self, check: Check, answers: list[_Answer]) -> CaseResult | None:
        """A failing result for the first wrong answer, or None when all are right."""
        exchanges = tuple(a.line() for a in answers)
        for answer in answers:
            label = answer.request.label
            if answer.timed_out:
                took = (
                    f"took {answer.seconds:.2f} s to answer {label}"
                    if answer.status_code is not None
                    else f"had not answered {label} after {answer.seconds:.2f} s"
                )
                return self._failed(
                    check,
                    "timeout",
                    f"{label}: slower than Twilio's {self.limit:g} s limit (11205)",
                    took,
                    f"Twilio stops waiting after {self.limit:g} s, logs error 11205 and does "
                    "not send this webhook again (it retries only failed connections)",
                    exchanges,
                )
            if answer.error is not None:
                return self._failed(
                    check,
                    "unreachable",
                    f"{label}: {answer.error}",
                    f"dropped the connection on {label}",
                    "Twilio retries the connection once after 5 s, then logs error 11205",
                    exchanges,
                )
            code = answer.status_code or 0
            ok = 200 <= code < 300 if check.expect == "2xx" else 400 <= code < 500
            if ok:
                continue
            body = " ".join(answer.body.split())[:120]
            did = f"answered {label} with HTTP {code}" + (f" ({body})" if body else "")
            reason = f"{label}: expected {check.expect}, got HTTP {code}"
            return self._failed(check, "answer", reason, did, _twilio_next(check, code), exchanges)
        return None

    def _failed(
        self,
        check: Check,
        failure: Any,
        reason: str,
        did: str,
        twilio_next: str,
        exchanges: tuple[str, ...],
    ) -> CaseResult:
        return CaseResult(
            check.name,
            False,
            reason,
            exchanges,
            klass=check.klass,
            failure=failure,
            did=did,
            twilio_next=twilio_next,
            production=check.production,
        )

    def run_check(self, check: Check, before: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
        """Run one check, record its result; returns the stats snapshot after it."""
        answers = [self.post(r) for r in check.requests]
        failed = self.judge(check, answers)
        exchanges = tuple(a.line() for a in answers)
        after: Mapping[str, Any] | None = None
        if before is not None:  # read even after a failure: the next check's baseline
            snapshot = self.fetch_stats()
            if isinstance(snapshot, str):
                if failed is None:
                    failed = self._failed(check, "stats", snapshot, snapshot, "nothing", exchanges)
            else:
                after = snapshot
                problems = compare_stats(before, after, check.stats.as_dict())
                if failed is None and problems:
                    failed = CaseResult(
                        check.name,
                        False,
                        "stats: " + "; ".join(problems),
                        exchanges,
                        klass=check.klass,
                        failure="stats",
                        did="counted it wrongly: " + "; ".join(problems),
                        twilio_next="nothing: every webhook was answered 2xx, so Twilio is done",
                        production=_stats_production(check.stats),
                    )
        if failed is not None:
            self.report.results.append(failed)
        else:
            n = len(answers)
            reason = f"{n} request(s) answered {check.expect}"
            reason += ", stats grew as expected" if before is not None else ""
            if check.preferred and answers[-1].status_code != check.preferred:
                reason += f" (Twilio's docs suggest {check.preferred})"
            self.report.results.append(
                CaseResult(check.name, True, reason, exchanges, klass=check.klass)
            )
        return after


def _twilio_next(check: Check, code: int) -> str:
    if check.kind == "refusal":
        if 200 <= code < 300:
            return "nothing: Twilio never sends this request; someone else can"
        return "nothing; a refusal should be 4xx (403 for a bad signature), not a crash"
    what = "reply" if check.kind == "reply" else "callback"
    return (
        f"Twilio logs error 11200 (HTTP retrieval failure) in its Debugger and does not "
        f"send this {what} again (by default it retries only failed connections)"
    )


def _stats_production(expected: StatsDelta) -> str:
    wanted = ", ".join(f"{k} {v:+d}" for k, v in expected.as_dict().items() if v and k != "errors")
    if expected.errors:
        wanted += ", " + ", ".join(f"errors[{c}] {n:+d}" for c, n in expected.errors.items())
    return (
        "the integration's Delivered / Failed / Errors / Replied numbers drift from what "
        f"Twilio reported (this message should add {wanted or 'nothing'})"
    )


def expected_increase() -> dict[str, Any]:
    """How much a whole verify run increases each stats count."""
    who = Identity(payloads.new_sid("AC"), "+15005550006", "+14155550100", payloads.new_sid("MG"))
    total = StatsDelta()
    for check in Planner("http://127.0.0.1/", "token", who).checks():
        total = total + check.stats
    return total.as_dict()


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
    """Human-readable mismatches between the stats increase and ``expected``.

    Error codes ``expected`` does not name must not grow either.
    """
    problems: list[str] = []
    checks: list[tuple[str, str | None, int]] = []
    for key, want in expected.items():
        if isinstance(want, Mapping):
            seen = set(want)
            for snapshot in (before, after):
                codes = snapshot.get(key)
                seen |= set(codes) if isinstance(codes, Mapping) else set()
            checks += [(key, code, int(want.get(code, 0))) for code in sorted(seen)]
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
            problems.append(f"{label} grew by {new - old}, expected {want}")
    return problems


def run(config: VerifyConfig) -> Report:
    """Run every check against ``config.callback_url`` and return the report.

    Raises :class:`Unreachable` before sending anything when the callback URL cannot be
    connected to or the stats URL cannot be read.
    """
    started = time.perf_counter()
    probe(config.callback_url, min(TWILIO_CONNECT_TIMEOUT, max(config.timeout, 1.0)))
    runner = _Runner(config)
    try:
        _run_checks(runner, config)
    finally:
        runner.session.close()
    runner.report.seconds = time.perf_counter() - started
    return runner.report


def _run_checks(runner: _Runner, config: VerifyConfig) -> None:
    first: Mapping[str, Any] | None = None
    if config.stats_url:
        snapshot = runner.fetch_stats()
        if isinstance(snapshot, str):
            raise Unreachable(f"stats: {snapshot}; nothing was sent")
        first = snapshot
    who = Identity(
        config.account_sid,
        config.from_,
        config.to,
        config.messaging_service_sid or payloads.new_sid("MG"),
    )
    before, total = first, StatsDelta()
    for check in Planner(config.callback_url, config.auth_token, who).checks():
        after = runner.run_check(check, before)
        total = total + check.stats
        if runner.report.results[-1].failure == "unreachable":
            runner.report.results.append(
                CaseResult(
                    "run stopped",
                    False,
                    "the receiver stopped accepting connections; the remaining checks were not run",
                    klass="run",
                    failure="unreachable",
                )
            )
            return
        if before is not None and after is not None:
            before = after
    if first is not None:
        runner.report.results.append(_whole_run(runner, first, total))


def _whole_run(runner: _Runner, first: Mapping[str, Any], total: StatsDelta) -> CaseResult:
    last = runner.fetch_stats()
    if isinstance(last, str):
        return CaseResult(STATS_CASE, False, last, klass="stats", failure="stats")
    problems = compare_stats(first, last, total.as_dict())
    if problems:
        shown = "; ".join(problems[:3])
        if len(problems) > 3:
            shown += f"; and {len(problems) - 3} more counts"
        return CaseResult(
            STATS_CASE,
            False,
            shown,
            klass="stats",
            failure="stats",
            did=f"over the whole run: {'; '.join(problems)}",
            twilio_next="nothing: Twilio considers every answered webhook done",
            production=(
                "the integration's numbers drift from what Twilio reported; the checks "
                "above that failed on stats show which messages it counted wrongly"
            ),
        )
    return CaseResult(STATS_CASE, True, "every count increased as sent", klass="stats")
