"""`smsim up` names its start-up mistakes in one line, as `smsim serve` does, and creates
no data folder when it refuses to start."""

from __future__ import annotations

from pathlib import Path

import pytest
from startup_helpers import busy_port, one_line_error, run_smsim, snapshot


@pytest.mark.parametrize("flag", ["--sim-port", "--client-port"])
def test_a_port_in_use_is_named_and_no_data_folder_is_created(tmp_path: Path, flag: str) -> None:
    other = "--client-port" if flag == "--sim-port" else "--sim-port"
    with busy_port() as sock:
        port = sock.getsockname()[1]
        result = run_smsim("up", flag, str(port), other, "0", cwd=tmp_path)
    line = one_line_error(result)
    assert f"{flag} {port}: already in use" in line and f"{flag} 0" in line
    assert snapshot(tmp_path) == {} and list(tmp_path.iterdir()) == []


def test_data_that_is_a_file_is_named_and_left_as_it_was(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine\n")
    result = run_smsim(
        "up", "--data", "notes.txt", "--sim-port", "0", "--client-port", "0", cwd=tmp_path
    )
    assert "--data notes.txt: is a file, not a folder" in one_line_error(result)
    assert (tmp_path / "notes.txt").read_text() == "mine\n"
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


def test_an_unknown_log_level_and_one_port_for_both_are_named(tmp_path: Path) -> None:
    level = run_smsim("up", "--log-level", "LOUD", "--memory", cwd=tmp_path)
    assert "--log-level LOUD: not a log level" in one_line_error(level)
    same = run_smsim(
        "up", "--sim-port", "18999", "--client-port", "18999", "--memory", cwd=tmp_path
    )
    assert "--client-port 18999: the same port as --sim-port" in one_line_error(same)
    assert list(tmp_path.iterdir()) == []


def test_the_simulators_clock_variable_applies_under_up_and_is_checked(tmp_path: Path) -> None:
    """Without --clock, SMSIM_CLOCK is read as `smsim serve` reads it (before, up's own
    default overrode it unseen)."""
    result = run_smsim(
        "up",
        "--sim-port",
        "0",
        "--client-port",
        "0",
        cwd=tmp_path,
        timeout=30,
        settings={"SMSIM_CLOCK": "sundial"},
    )
    line = one_line_error(result)
    assert line == "smsim up: clock: must be 'real' or 'virtual', not 'sundial'"
    assert list(tmp_path.iterdir()) == []
