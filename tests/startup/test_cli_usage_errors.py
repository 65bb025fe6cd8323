"""A mistake on the command line is one line on stderr and exit 2, naming the command it
was typed after, never argparse's usage block, a payload, a traceback or ``[Errno 2]``."""

from __future__ import annotations

from pathlib import Path

import pytest
from startup_helpers import one_line_error, run_smsim

from smsim.cli import main

# (argv, the one line stderr must be). Each of these printed a usage block (9 lines for
# --clock), the top-level usage (codes --jsn), a payload then InvalidSchema with exit 1
# (replay without a scheme), or "[Errno 2]" with exit 1 (--recipients).
MISTAKES = [
    (
        ["serve", "--clock", "fake"],
        "smsim serve: error: --clock fake: choose from real, virtual; see 'smsim serve --help'",
    ),
    (
        ["up", "--clock", "fake"],
        "smsim up: error: --clock fake: choose from real, virtual; see 'smsim up --help'",
    ),
    (
        ["serve", "--carrier-profile", "realistik"],
        "smsim serve: error: --carrier-profile realistik: choose from all-delivered,"
        " realistic (did you mean realistic?); see 'smsim serve --help'",
    ),
    (
        ["codes", "--jsn"],
        "smsim codes: error: unknown option --jsn (did you mean --json?); see 'smsim codes --help'",
    ),
    (
        ["codes", "extra"],
        "smsim codes: error: unexpected argument 'extra'; see 'smsim codes --help'",
    ),
    (
        ["client", "campaign", "--message", "hi", "--recipients", "r.csv", "--provder", "x"],
        "smsim client campaign: error: unknown option --provder (did you mean --provider?);"
        " see 'smsim client campaign --help'",
    ),
    (
        ["sevre"],
        "smsim: error: unknown command 'sevre' (did you mean serve?); commands: client,"
        " codes, pact, replay, run, serve, up, verify; see 'smsim --help'",
    ),
    (
        ["replay", "--to", "127.0.0.1:8911/sms/twilio", "--code", "30005", "--auth-token", "t"],
        "smsim replay: error: --to: '127.0.0.1:8911/sms/twilio' is not an http:// or https://"
        " URL with a host (e.g. http://127.0.0.1:8911/sms/twilio); see 'smsim replay --help'",
    ),
    (
        ["run", "--against", "localhost:8910"],
        "smsim run: error: --against: 'localhost:8910' is not an http:// or https:// URL"
        " with a host (e.g. http://localhost:8910); see 'smsim run --help'",
    ),
    (
        ["client", "stats", "1", "--url", "127.0.0.1:8911"],
        "smsim client stats: error: --url: '127.0.0.1:8911' is not an http:// or https:// URL"
        " with a host (e.g. http://127.0.0.1:8911); see 'smsim client stats --help'",
    ),
    (
        ["serve", "--config", "missing.yaml"],
        "smsim serve: error: --config: missing.yaml: no such file; see 'smsim serve --help'",
    ),
    (
        ["client", "campaign", "--message", "hi", "--recipients", "missing.csv"],
        "smsim client campaign: error: --recipients: missing.csv: no such file;"
        " see 'smsim client campaign --help'",
    ),
    (
        ["client", "campaign", "--message", "hi", "--recipients", "."],
        "smsim client campaign: error: --recipients: .: is a folder, not a file;"
        " see 'smsim client campaign --help'",
    ),
    (
        ["up", "--speed", "0"],
        "smsim up: error: --speed: '0': must be a number above 0; see 'smsim up --help'",
    ),
    (
        ["serve", "--port", "abc"],
        "smsim serve: error: --port: invalid int value: 'abc'; see 'smsim serve --help'",
    ),
]


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run in an empty folder (relative file names), with a recipients file in it."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "r.csv").write_text("+14155550100\n", encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize(("argv", "line"), MISTAKES, ids=[" ".join(m[0]) for m in MISTAKES])
def test_a_usage_mistake_is_one_line_and_exit_2(
    in_tmp: Path, capsys: pytest.CaptureFixture[str], argv: list[str], line: str
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(argv)

    out = capsys.readouterr()
    assert exited.value.code == 2
    assert out.out == ""
    assert out.err.splitlines() == [line]
    assert sorted(p.name for p in in_tmp.iterdir()) == ["r.csv"]  # nothing was created


def test_the_help_still_lists_every_option(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["up", "--help"])
    assert exited.value.code == 0
    text = capsys.readouterr().out
    assert "--clock {real,virtual}" in text and "--speed" in text


@pytest.mark.parametrize(
    "argv",
    [["codes", "--jsn"], ["serve", "--clock", "fake"], ["serve", "--config", "missing.yaml"]],
    ids=["unknown-option", "bad-choice", "missing-file"],
)
def test_the_real_process_prints_one_line_too(tmp_path: Path, argv: list[str]) -> None:
    result = run_smsim(*argv, cwd=tmp_path)
    line = one_line_error(result)
    assert line.startswith(f"smsim {argv[0]}: error: ")
    assert result.stdout == ""


def test_a_recipients_file_that_is_not_text_is_one_line_and_exit_2(
    in_tmp: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (in_tmp / "photo.csv").write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x80\x81")
    code = main(["client", "campaign", "--message", "hi", "--recipients", "photo.csv"])

    out = capsys.readouterr()
    assert code == 2
    assert out.err.splitlines() == [
        "smsim client campaign: --recipients photo.csv: not a text file (UTF-8); give numbers"
        " one per line or a CSV"
    ]


@pytest.mark.parametrize(
    "argv",
    [
        ["client", "campaign", "--message", "hi", "--recipients", "r.csv"],
        ["client", "stats", "1"],
    ],
    ids=["campaign", "stats"],
)
def test_a_client_that_is_not_running_is_one_short_line(
    in_tmp: Path, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    code = main([*argv, "--url", "http://127.0.0.1:9"])

    out = capsys.readouterr()
    assert code == 1  # documented: the campaign could not be started / read
    assert out.err.splitlines() == [
        f"smsim client {argv[1]}: cannot reach http://127.0.0.1:9 (connection refused)"
    ]


def test_replay_to_a_dead_url_is_one_line_and_nothing_is_printed_or_sent(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Before: a payload and a urllib3 error for each of the catalogue's ~30 posts, exit 1.
    code = main(["replay", "--to", "http://127.0.0.1:9/cb", "--auth-token", "t", "--all"])

    out = capsys.readouterr()
    assert code == 2
    assert out.out == ""
    assert out.err.splitlines() == [
        "smsim replay: --to http://127.0.0.1:9/cb: cannot connect (connection refused);"
        " nothing was sent"
    ]
