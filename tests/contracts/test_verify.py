"""``smsim verify`` judges callback endpoints: a careful one passes, a sloppy one fails
with reasons a QA engineer can act on."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from flask import Flask, jsonify, request
from twilio.request_validator import RequestValidator

from smsim.commands import verify as verify_command
from smsim.contracts import catalogue
from smsim.contracts.verify import VerifyConfig, compare_stats, expected_increase, run

TOKEN = "verify-test-token-9a2e"
RANK = {"queued": 0, "sending": 1, "sent": 2, "delivered": 3, "undelivered": 3, "failed": 3}


@dataclass
class CarefulReceiver:
    """What a correct integration does: verify, validate, record idempotently."""

    forbidden_status: int = 403
    final: dict[str, str] = field(default_factory=dict)
    error_of: dict[str, str] = field(default_factory=dict)
    replies: set[str] = field(default_factory=set)

    def app(self) -> Flask:
        app = Flask("careful")
        validator = RequestValidator(TOKEN)

        @app.post("/sms/twilio")
        def callback() -> Any:
            if request.mimetype != "application/x-www-form-urlencoded":
                return "form bodies only", 415
            signature = request.headers.get("X-Twilio-Signature", "")
            if not validator.validate(request.url, request.form, signature):
                return "bad signature", self.forbidden_status
            form = request.form
            sid = form.get("MessageSid")
            if not sid:
                return "MessageSid required", 400
            if form.get("SmsStatus") == "received":
                self.replies.add(sid)
                return "<Response/>", 200, {"Content-Type": "text/xml"}
            status = form.get("MessageStatus")
            if status not in RANK:
                return "MessageStatus required", 400
            if RANK[status] >= RANK.get(self.final.get(sid, "queued"), 0):
                self.final[sid] = status
            if "ErrorCode" in form:
                self.error_of[sid] = form["ErrorCode"]
            return "", 204

        @app.get("/stats")
        def stats() -> Any:
            errors: dict[str, int] = {}
            for sid, code in self.error_of.items():
                if self.final.get(sid) in ("failed", "undelivered"):
                    errors[code] = errors.get(code, 0) + 1
            finals = list(self.final.values())
            return jsonify(
                delivered=finals.count("delivered"),
                failed=finals.count("failed") + finals.count("undelivered"),
                errors=errors,
                replied=len(self.replies),
                extra_key_is_ignored=True,
            )

        return app


@dataclass
class SloppyReceiver:
    """Trusts everything, crashes on surprises, counts every callback."""

    delivered: int = 0

    def app(self) -> Flask:
        app = Flask("sloppy")

        @app.post("/sms/twilio")
        def callback() -> Any:
            form = request.form.to_dict()
            if form.get("SmsStatus") == "received":
                return "ok"
            if form["MessageStatus"] == "delivered":  # a plain KeyError: HTTP 500
                self.delivered += 1
            return "ok"

        @app.get("/stats")
        def stats() -> Any:
            return jsonify(delivered=self.delivered, failed=0, errors={}, replied=0)

        return app


def cli(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="smsim")
    verify_command.register(parser.add_subparsers())
    args = parser.parse_args(["verify", *argv])
    return int(args.handler(args))


def _names(results: list[Any]) -> set[str]:
    return {r.name for r in results}


def test_careful_receiver_passes_every_case(serve_app: Callable[[Flask], str]) -> None:
    base = serve_app(CarefulReceiver().app())
    config = VerifyConfig(
        callback_url=f"{base}/sms/twilio?account=A1&meta=1.2.3",
        auth_token=TOKEN,
        stats_url=f"{base}/stats",
    )
    report = run(config)
    assert report.failures == []
    names = _names(report.results)
    assert {f"error {c} ({catalogue.describe(c)})" for c in catalogue.async_codes()} <= names
    assert "stats match what was sent" in names
    assert "bad signature is refused" in names
    # one case per async code + sequence, reply, duplicate, out of order, 4 negatives, stats
    assert len(report.results) == len(catalogue.async_codes()) + 9


def test_careful_receiver_via_cli_writes_junit(
    serve_app: Callable[[Flask], str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = serve_app(CarefulReceiver().app())
    junit = tmp_path / "verify.xml"
    argv = ["--callback-url", f"{base}/sms/twilio", "--auth-token", TOKEN]
    argv += ["--stats-url", f"{base}/stats", "--junit", str(junit)]
    assert cli(argv) == 0
    out = capsys.readouterr().out
    assert "FAIL" not in out and TOKEN not in out
    suite = ElementTree.parse(junit).getroot()
    assert suite.get("failures") == "0"
    assert int(suite.get("tests", "0")) == len(suite.findall("testcase")) > 10


def test_sloppy_receiver_fails_with_reasons(
    serve_app: Callable[[Flask], str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = serve_app(SloppyReceiver().app())
    report = run(
        VerifyConfig(callback_url=f"{base}/sms/twilio", auth_token=TOKEN, stats_url=f"{base}/stats")
    )
    failures = {r.name: r.reason for r in report.failures}
    assert set(failures) == {
        "bad signature is refused",
        "missing signature is refused",
        "missing required fields are refused",
        "JSON body is refused",
        "stats match what was sent",
    }
    assert failures["bad signature is refused"] == (
        "delivered, wrong signature: expected 4xx, got HTTP 200 (ok)"
    )
    assert "expected 4xx, got HTTP 500" in failures["missing required fields are refused"]
    assert "expected 4xx, got HTTP 500" in failures["JSON body is refused"]
    stats = failures["stats match what was sent"]
    assert "delivered increased by 6, expected 3" in stats  # duplicates + forgeries counted
    assert "errors[30005] increased by 0, expected 1" in stats
    assert "replied increased by 0, expected 1" in stats

    junit = tmp_path / "verify.xml"
    argv = ["--callback-url", f"{base}/sms/twilio", "--auth-token", TOKEN, "--junit", str(junit)]
    assert cli(argv) == 1
    assert "FAIL  bad signature is refused" in capsys.readouterr().out
    suite = ElementTree.parse(junit).getroot()
    assert suite.get("failures") == "4"
    failed = [c.get("name") for c in suite.findall("testcase") if c.find("failure") is not None]
    assert "JSON body is refused" in failed


def test_401_for_a_bad_signature_passes_with_a_note(serve_app: Callable[[Flask], str]) -> None:
    base = serve_app(CarefulReceiver(forbidden_status=401).app())
    report = run(VerifyConfig(callback_url=f"{base}/sms/twilio", auth_token=TOKEN))
    assert report.passed
    [bad_signature] = [r for r in report.results if r.name == "bad signature is refused"]
    assert "403" in bad_signature.reason


def test_wrong_token_makes_every_positive_case_fail(serve_app: Callable[[Flask], str]) -> None:
    base = serve_app(CarefulReceiver().app())
    report = run(VerifyConfig(callback_url=f"{base}/sms/twilio", auth_token="not-" + TOKEN))
    failed = _names(report.failures)
    assert "status sequence queued/sent/delivered" in failed
    assert "reply (incoming message)" in failed
    assert all("got HTTP 403" in r.reason for r in report.failures)


def test_unreadable_stats_is_a_failure_with_the_reason(serve_app: Callable[[Flask], str]) -> None:
    base = serve_app(CarefulReceiver().app())
    report = run(
        VerifyConfig(
            callback_url=f"{base}/sms/twilio", auth_token=TOKEN, stats_url=f"{base}/no-such"
        )
    )
    [stats] = [r for r in report.results if r.name == "stats match what was sent"]
    assert not stats.passed
    assert stats.reason == f"GET {base}/no-such answered HTTP 404"


def test_compare_stats_uses_the_increase_and_names_bad_keys() -> None:
    before = {"delivered": 10, "failed": 2, "errors": {"30005": 2}, "replied": 4}
    after = {"delivered": 13, "failed": 3, "errors": {"30005": 3}, "replied": "5"}
    expected = {"delivered": 3, "failed": 1, "errors": {"30005": 1}, "replied": 1}
    assert compare_stats(before, after, expected) == ["replied: 'replied' is '5', not an integer"]
    assert compare_stats({}, {"delivered": 3}, {"delivered": 3, "failed": 1}) == [
        "failed: 'failed' is missing"
    ]


def test_expected_increase_covers_every_async_code() -> None:
    increase = expected_increase()
    assert increase["failed"] == len(catalogue.async_codes())
    assert set(increase["errors"]) == {str(c) for c in catalogue.async_codes()}
    assert (increase["delivered"], increase["replied"]) == (3, 1)


def test_token_required(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("TWILIO_AUTH_TOKEN", raising=False)
    assert cli(["--callback-url", "http://127.0.0.1:1/x"]) == 2
    assert "--auth-token is required" in capsys.readouterr().err
