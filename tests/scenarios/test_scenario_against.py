"""``smsim run --against URL``: the Twilio-side scenarios run against a simulator that is
already running (here one started by the test); the rest are skipped with the reason."""

from __future__ import annotations

import json

import pytest

from smsim.cli import main
from smsim.simulator.config import SimulatorConfig
from smsim.simulator.server import SimulatorServer
from smsim.testing import ControlClient


@pytest.fixture
def running_simulator():
    with SimulatorServer(SimulatorConfig(memory=True, port=0, clock="virtual")) as server:
        yield server


def run_against(url: str, tmp_path, *extra: str) -> tuple[int, dict]:
    report = tmp_path / "against.json"
    code = main(["run", "--against", url, "-j", "1", "--json", str(report), *extra])
    return code, json.loads(report.read_text())


def test_library_twilio_side_passes_against_a_running_simulator(running_simulator, tmp_path):
    control = ControlClient(running_simulator.url)
    before = control.accounts()
    code, report = run_against(running_simulator.url, tmp_path)

    assert code == 0
    outcomes = {s["id"]: s for s in report["scenarios"]}
    passed = [s for s in outcomes.values() if s["outcome"] == "passed"]
    assert len(passed) >= 8
    assert all("twilio" in s["tags"] for s in passed)
    skipped = [s for s in outcomes.values() if s["outcome"] == "skipped"]
    assert skipped and all("client integration" in s["reason"] for s in skipped)
    # The scenarios left the shared server as they found it: their rules are gone, and so
    # are the accounts they created (11 of them were left behind), with their messages.
    assert control.rules() == []
    assert control.accounts() == before
    account_sids = {a["sid"] for a in before}
    assert {m["account_sid"] for m in control.messages()} <= account_sids


def test_keep_accounts_leaves_them_named_in_full(running_simulator, tmp_path, capsys):
    control = ControlClient(running_simulator.url)
    before = {a["sid"] for a in control.accounts()}
    code, report = run_against(running_simulator.url, tmp_path, "-k", "twilio", "--keep-accounts")

    assert code == 0
    left = [a for a in control.accounts() if a["sid"] not in before]
    names = {a["friendly_name"] for a in left}
    passed = [s for s in report["scenarios"] if s["outcome"] == "passed"]
    assert left and all(name.startswith("scenario: ") for name in names)
    # Whole scenario names, not cut at 40 characters mid-word.
    assert max(len(s["name"]) for s in passed) > 40
    for scenario in passed:  # each of these creates one account
        assert any(name.startswith(f"scenario: {scenario['name']} (") for name in names)
    assert f"kept {len(left)} scenario accounts on {running_simulator.url}" in (
        capsys.readouterr().out
    )


def test_keep_accounts_without_against_is_a_usage_error(capsys):
    assert main(["run", "--keep-accounts", "-k", "magic"]) == 2
    assert capsys.readouterr().err.splitlines() == [
        "smsim run: --keep-accounts: only with --against (in-process simulators are thrown away)"
    ]


def test_scenarios_get_fresh_numbers_so_a_second_run_passes_too(running_simulator, tmp_path):
    first, _ = run_against(running_simulator.url, tmp_path, "-k", "twilio")
    second, report = run_against(running_simulator.url, tmp_path, "-k", "twilio")

    assert (first, second) == (0, 0)
    assert report["summary"]["passed"] >= 8


def test_scenarios_that_move_the_clock_are_skipped_on_a_real_clock(tmp_path):
    with SimulatorServer(SimulatorConfig(memory=True, port=0, clock="real")) as server:
        code, report = run_against(server.url, tmp_path, "-k", "scheduled")

    assert code == 0
    reasons = {s["name"]: s.get("reason") for s in report["scenarios"]}
    assert "serve --clock virtual" in reasons["a scheduled message waits for SendAt, then goes out"]
    assert reasons["scheduling without a Messaging Service is refused with 35118"] is None


def test_an_unreachable_server_is_one_line_and_nothing_runs(tmp_path, capsys):
    # Before: every scenario failed on its own, 214 lines for the library.
    code = main(["run", "--against", "http://127.0.0.1:9", "-j", "1"])

    out = capsys.readouterr()
    assert code == 2
    assert out.out == ""
    assert out.err.splitlines() == [
        "smsim run: --against http://127.0.0.1:9: cannot connect (connection refused);"
        " nothing was run"
    ]


def test_a_server_that_is_not_smsim_is_one_line_and_nothing_runs(capsys):
    from smsim.testing import CallbackRecorder  # answers 200 to anything, but not as smsim

    with CallbackRecorder().start() as other:
        code = main(["run", "--against", other.url(""), "-j", "1"])

    out = capsys.readouterr()
    assert code == 2
    [line] = out.err.splitlines()
    assert "it answers, but not as an smsim simulator (GET /_smsim/health: HTTP" in line
    assert out.out == ""


def test_a_server_with_a_control_token_is_refused_once_without_it(capsys, monkeypatch):
    monkeypatch.delenv("SMSIM_CONTROL_TOKEN", raising=False)
    config = SimulatorConfig(memory=True, port=0, clock="virtual", control_token="s3cret-token")
    with SimulatorServer(config) as server:
        url = server.url
        code = main(["run", "--against", url, "-k", "magic", "-j", "1"])
        refused = capsys.readouterr()
        token = ["--control-token", "s3cret-token"]
        accepted = main(["run", "--against", url, "-k", "magic", "-j", "1", "-q", *token])

    assert code == 2
    assert refused.err.splitlines() == [
        f"smsim run: --against {url}: it needs its control token (--control-token,"
        " or $SMSIM_CONTROL_TOKEN); nothing was run"
    ]
    assert accepted == 0
