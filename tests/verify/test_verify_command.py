"""``smsim verify`` as a user meets it: the report, JUnit, stats, timeouts, a dead target."""

from __future__ import annotations

import argparse
import socket
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from flask import Flask, jsonify, request
from mutants.correct import TOKEN, Receiver

from smsim.commands import verify as verify_command
from smsim.contracts import catalogue, statuses
from smsim.contracts.verify import (
    Unreachable,
    VerifyConfig,
    compare_stats,
    expected_increase,
    run,
)
from smsim.contracts.verify_plan import CLASSES


def cli(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="smsim")
    verify_command.register(parser.add_subparsers())
    args = parser.parse_args(["verify", *argv])
    return int(args.handler(args))


class Counting(Receiver):
    """The correct receiver, counting the webhooks it gets."""

    def __init__(self) -> None:
        super().__init__()
        self.posts = 0

    def refuse(self, req: Any) -> tuple[str, int] | None:
        self.posts += 1
        return super().refuse(req)


def test_correct_receiver_passes_every_check_derived_from_the_data(
    serve: Callable[[Flask], str],
) -> None:
    base = serve(Receiver().app())
    report = run(
        VerifyConfig(
            callback_url=f"{base}/sms/twilio?account=A1&meta=1.2.3",
            auth_token=TOKEN,
            stats_url=f"{base}/stats",
        )
    )
    assert report.failures == [], "\n".join(report.lines())
    assert list(report.by_class()) == [*CLASSES, "stats"]
    names = " | ".join(r.name for r in report.results)
    for status in statuses.callback_statuses():  # every status Twilio calls back for
        assert f"{status} (with a Messaging Service)" in names
    for code in catalogue.async_codes():  # every code, in order, late and retried
        assert f"error {code} ({catalogue.describe(code)}): " in names
        assert f"error {code} ({catalogue.describe(code)}): late " in names
    assert "after undelivered" in names and "after failed" in names
    assert report.results[-1].name == "stats match what was sent"


def test_cli_report_is_one_line_per_class_and_junit_one_case_per_check(
    serve: Callable[[Flask], str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = serve(Receiver().app())
    junit = tmp_path / "verify.xml"
    argv = ["--callback-url", f"{base}/sms/twilio", "--auth-token", TOKEN]
    argv += ["--stats-url", f"{base}/stats", "--junit", str(junit)]
    assert cli(argv) == 0
    out = capsys.readouterr().out.splitlines()
    assert "PASS  stats match what was sent: every count increased as sent" in out
    assert len(out) == len(CLASSES) + 2 and TOKEN not in "".join(out)
    assert out[-1].startswith(f"{int(out[-1].split('/')[0])}/") and " checks passed in " in out[-1]
    suite = ElementTree.parse(junit).getroot()
    cases = suite.findall("testcase")
    assert suite.get("failures") == "0" and int(suite.get("tests", "0")) == len(cases) > 80
    assert {c.get("classname") for c in cases} >= {"smsim.verify.ordering", "smsim.verify.stats"}


class FiveStatuses(Receiver):
    """Answers 400 to statuses beyond the SMS ones; counts undelivered as delivered."""

    SMS = ("queued", "sending", "sent", "delivered", "undelivered", "failed")

    def on_status(self, form: Any) -> tuple[str, int]:
        if form.get("MessageStatus") not in self.SMS:
            return "unknown status", 400
        return super().on_status(form)

    def stats(self) -> dict[str, Any]:
        stats = super().stats()
        undelivered = list(self.state.values()).count("undelivered")
        stats["delivered"] += undelivered
        stats["failed"] -= undelivered
        return stats


def test_a_failure_says_what_the_receiver_did_what_twilio_does_and_what_production_shows(
    serve: Callable[[Flask], str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = serve(FiveStatuses().app())
    junit = tmp_path / "verify.xml"
    argv = ["--callback-url", f"{base}/sms/twilio", "--auth-token", TOKEN]
    argv += ["--stats-url", f"{base}/stats", "--junit", str(junit)]
    assert cli(argv) == 1
    out = capsys.readouterr().out
    assert "receiver:    answered read with HTTP 400 (unknown status)" in out
    assert "Twilio next: Twilio logs error 11200 (HTTP retrieval failure)" in out
    assert "production:  messages that reach 'read' keep an earlier status" in out
    # The undelivered one is a stats failure naming the counts.
    assert (
        "counted it wrongly: delivered grew by 1, expected 0; failed grew by 0, expected 1" in out
    )
    assert "... and " in out  # many failures in a class: the first few, then a count
    suite = ElementTree.parse(junit).getroot()
    failed = [c for c in suite.findall("testcase") if c.find("failure") is not None]
    assert int(suite.get("failures", "0")) == len(failed) > 10


class Slow(Receiver):
    def __init__(self, answered: threading.Event) -> None:
        super().__init__()
        self.answered = answered

    def prepare(self, form: Any) -> None:
        if form.get("MessageStatus") == "read":
            self.answered.wait(5)  # until verify has given up on this answer


def test_an_answer_slower_than_the_timeout_is_twilios_11205_with_the_time(
    serve: Callable[[Flask], str],
) -> None:
    given_up = threading.Event()
    base = serve(Slow(given_up).app())
    config = VerifyConfig(callback_url=f"{base}/sms/twilio", auth_token=TOKEN, timeout=0.3)
    report = run(config)
    given_up.set()
    slow = next(r for r in report.failures if r.name.startswith("read "))
    assert slow.klass == "status handling" and slow.failure == "timeout"
    assert slow.reason == "read: slower than Twilio's 0.3 s limit (11205)"
    assert slow.did.startswith("had not answered read after 0.")
    assert "logs error 11205" in slow.twilio_next


def test_a_dead_target_is_one_line_and_nothing_else(capsys: pytest.CaptureFixture[str]) -> None:
    # A port held bound but never listening refuses connections for as long as it is held:
    # no other test's server can be given it meanwhile.
    with socket.socket() as dead:
        dead.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{dead.getsockname()[1]}/sms/twilio"
        assert cli(["--callback-url", url, "--auth-token", TOKEN]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    [line] = captured.err.splitlines()
    assert line.startswith("smsim verify: cannot reach 127.0.0.1:") and "nothing was sent" in line


def test_an_unreadable_stats_url_stops_the_run_before_anything_is_posted(
    serve: Callable[[Flask], str],
) -> None:
    receiver = Counting()
    base = serve(receiver.app())
    config = VerifyConfig(
        callback_url=f"{base}/sms/twilio", auth_token=TOKEN, stats_url=f"{base}/no-such"
    )
    with pytest.raises(Unreachable, match=rf"GET {base}/no-such answered HTTP 404"):
        run(config)
    assert receiver.posts == 0


def test_a_target_that_drops_connections_stops_the_run_with_one_failure() -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def hang_up() -> None:  # accepts (so the start-up check passes), answers nothing
        listener.settimeout(0.05)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            conn.close()

    thread = threading.Thread(target=hang_up, daemon=True)
    thread.start()
    try:
        port = listener.getsockname()[1]
        report = run(VerifyConfig(callback_url=f"http://127.0.0.1:{port}/x", auth_token=TOKEN))
    finally:
        stop.set()
        thread.join(5)
        listener.close()
    first, stopped = report.results
    assert first.failure == "unreachable" and "Twilio retries the connection" in first.twilio_next
    assert stopped.name == "run stopped"


def test_401_for_a_bad_signature_passes_with_a_note(serve: Callable[[Flask], str]) -> None:
    class Says401(Receiver):
        def refuse(self, req: Any) -> tuple[str, int] | None:
            refused = super().refuse(req)
            return ("bad signature", 401) if refused == ("bad signature", 403) else refused

    base = serve(Says401().app())
    report = run(VerifyConfig(callback_url=f"{base}/sms/twilio", auth_token=TOKEN))
    assert report.passed
    [bad_signature] = [r for r in report.results if r.name == "bad signature is refused"]
    assert "Twilio's docs suggest 403" in bad_signature.reason


def test_wrong_token_fails_every_positive_check_and_the_output_stays_short(
    serve: Callable[[Flask], str], capsys: pytest.CaptureFixture[str]
) -> None:
    base = serve(Receiver().app())
    assert cli(["--callback-url", f"{base}/sms/twilio", "--auth-token", "not-" + TOKEN]) == 1
    out = capsys.readouterr().out.splitlines()
    assert len(out) < 150  # five failures shown per class, not one line per check
    assert "receiver:    answered queued with HTTP 403 (bad signature)" in "\n".join(out)
    assert "PASS  signature and refusals: 4/4 checks" in out


def test_compare_stats_uses_the_increase_and_names_bad_keys() -> None:
    before = {"delivered": 10, "failed": 2, "errors": {"30005": 2}, "replied": 4}
    after = {"delivered": 13, "failed": 3, "errors": {"30005": 3}, "replied": "5"}
    expected = {"delivered": 3, "failed": 1, "errors": {"30005": 1}, "replied": 1}
    assert compare_stats(before, after, expected) == ["replied: 'replied' is '5', not an integer"]
    assert compare_stats({}, {"delivered": 3}, {"delivered": 3, "failed": 1}) == [
        "failed: 'failed' is missing"
    ]
    # A code that grew though none was expected is named too.
    wrong_code = {"errors": {"30005": 2, "30003": 1}}
    assert compare_stats({"errors": {"30005": 2}}, wrong_code, {"errors": {}}) == [
        "errors[30003] grew by 1, expected 0"
    ]


def test_expected_increase_counts_every_async_code_from_the_catalogue() -> None:
    increase = expected_increase()
    assert set(increase["errors"]) == {str(c) for c in catalogue.async_codes()}
    assert increase["failed"] == sum(increase["errors"].values())
    assert increase["delivered"] > 0 and increase["replied"] > 0


def test_token_required(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("TWILIO_AUTH_TOKEN", raising=False)
    assert cli(["--callback-url", "http://127.0.0.1:1/x"]) == 2
    assert "--auth-token is required" in capsys.readouterr().err


def test_timeout_must_be_positive(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        cli(["--callback-url", "http://127.0.0.1:1/x", "--auth-token", "t", "--timeout", "0"]) == 2
    )
    assert "timeout must be more than 0 seconds" in capsys.readouterr().err


def test_stats_endpoint_shape_is_read_from_json(serve: Callable[[Flask], str]) -> None:
    app = Flask("stats-only")

    @app.get("/stats")
    def stats() -> Any:
        return jsonify([1, 2]) if request.args.get("list") else jsonify(delivered=0)

    base = serve(app)
    with pytest.raises(Unreachable, match="returned list, not an object"):
        run(
            VerifyConfig(
                callback_url=f"{base}/x", auth_token=TOKEN, stats_url=f"{base}/stats?list=1"
            )
        )
