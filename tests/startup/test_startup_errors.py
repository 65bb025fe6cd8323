"""Every start-up mistake exits 2 with one line naming the flag, field, port or path and
what to do, and writes nothing where it should not: the commands as a user runs them."""

from __future__ import annotations

import os
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from startup_helpers import (
    CLIENT_V0,
    SIMULATOR_V0,
    busy_port,
    copy_fixture,
    one_line_error,
    run_smsim,
    snapshot,
)

from smsim.migrations import SIMULATOR
from smsim.testing import CallbackRecorder

# -- ports and addresses ---------------------------------------------------------------


@pytest.mark.parametrize("command", [["serve"], ["client", "serve"]], ids=["serve", "client"])
def test_a_port_in_use_is_named_and_no_database_is_created(
    tmp_path: Path, command: list[str]
) -> None:
    with busy_port() as sock:
        port = sock.getsockname()[1]
        result = run_smsim(*command, "--port", str(port), cwd=tmp_path)
    line = one_line_error(result)
    assert f"--port {port}: already in use" in line and "--port 0" in line
    assert snapshot(tmp_path) == {}  # not even the default ./smsim.db


@pytest.mark.parametrize("command", [["serve"], ["client", "serve"]], ids=["serve", "client"])
def test_a_host_that_does_not_resolve_is_named(tmp_path: Path, command: list[str]) -> None:
    result = run_smsim(*command, "--host", "nonsense.invalid", "--port", "0", cwd=tmp_path)
    assert "--host nonsense.invalid: cannot be resolved" in one_line_error(result)
    assert snapshot(tmp_path) == {}


@pytest.mark.parametrize("command", [["serve"], ["client", "serve"]], ids=["serve", "client"])
def test_a_port_out_of_range_is_named(tmp_path: Path, command: list[str]) -> None:
    result = run_smsim(*command, "--port", "70000", cwd=tmp_path)
    assert "--port 70000: must be 0-65535" in one_line_error(result)
    assert snapshot(tmp_path) == {}


@pytest.mark.parametrize("command", [["serve"], ["client", "serve"]], ids=["serve", "client"])
def test_an_unknown_log_level_is_named(tmp_path: Path, command: list[str]) -> None:
    result = run_smsim(*command, "--log-level", "LOUD", "--port", "0", cwd=tmp_path)
    line = one_line_error(result)
    assert "--log-level LOUD: not a log level" in line and "DEBUG" in line
    assert snapshot(tmp_path) == {}


def test_a_public_url_whose_host_has_an_underscore_is_named(tmp_path: Path) -> None:
    result = run_smsim(
        "client", "serve", "--port", "0", "--public-url", "http://my_host:8911", cwd=tmp_path
    )
    line = one_line_error(result)
    assert line.startswith("smsim client serve: --public-url http://my_host:8911:")
    assert "underscore" in line
    assert snapshot(tmp_path) == {}


# -- --db --------------------------------------------------------------------------------

SERVES = [["serve"], ["client", "serve"]]


@pytest.mark.parametrize("command", SERVES, ids=["serve", "client"])
def test_a_db_that_is_a_folder_is_named(tmp_path: Path, command: list[str]) -> None:
    (tmp_path / "data").mkdir()
    result = run_smsim(*command, "--port", "0", "--db", "data", cwd=tmp_path)
    assert "--db data: is a folder; give a file path, e.g. data/" in one_line_error(result)
    assert snapshot(tmp_path) == {}


@pytest.mark.parametrize("command", SERVES, ids=["serve", "client"])
def test_a_db_in_a_missing_folder_is_named_and_the_folder_is_not_made(
    tmp_path: Path, command: list[str]
) -> None:
    result = run_smsim(*command, "--port", "0", "--db", "missing/x.db", cwd=tmp_path)
    assert "--db missing/x.db: folder missing does not exist" in one_line_error(result)
    assert list(tmp_path.iterdir()) == []


@pytest.fixture
def read_only_folder() -> Iterator[Path]:
    """A folder the child cannot write to (the child runs as ``nobody`` when the suite
    runs as root, for whom permission bits do not apply)."""
    folder = Path(tempfile.mkdtemp(prefix="smsim-ro-"))
    os.chmod(folder, 0o555)
    try:
        yield folder
    finally:
        os.chmod(folder, 0o755)
        folder.rmdir()


@pytest.mark.parametrize("command", SERVES, ids=["serve", "client"])
def test_a_db_in_a_read_only_place_is_named(read_only_folder: Path, command: list[str]) -> None:
    target = read_only_folder / "x.db"
    result = run_smsim(
        *command, "--port", "0", "--db", str(target), cwd=read_only_folder, as_nobody=True
    )
    assert f"--db {target}: folder {read_only_folder} is read-only" in one_line_error(result)
    assert list(read_only_folder.iterdir()) == []


def test_a_read_only_db_file_is_named_and_left_untouched(read_only_folder: Path) -> None:
    os.chmod(read_only_folder, 0o755)  # writable by its owner only (root, when root runs)
    target = copy_fixture(SIMULATOR_V0, read_only_folder, "smsim.db")
    os.chmod(target, 0o444)
    before = snapshot(read_only_folder)
    try:
        result = run_smsim(
            "serve", "--port", "0", "--db", str(target), cwd=read_only_folder, as_nobody=True
        )
        assert f"--db {target}: the database file is read-only here" in one_line_error(result)
        assert snapshot(read_only_folder) == before
    finally:
        target.unlink()


@pytest.mark.parametrize("command", SERVES, ids=["serve", "client"])
def test_a_db_that_is_not_sqlite_is_left_untouched(tmp_path: Path, command: list[str]) -> None:
    (tmp_path / "notes.db").write_text("my notes, not a database\n" * 50)
    before = snapshot(tmp_path)
    result = run_smsim(*command, "--port", "0", "--db", "notes.db", cwd=tmp_path)
    assert "--db notes.db is not an SQLite database" in one_line_error(result)
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize(
    ("command", "fixture", "says"),
    [
        (["serve"], CLIENT_V0, "is the client's database (smsim client serve)"),
        (["client", "serve"], SIMULATOR_V0, "is the simulator's database (smsim serve)"),
    ],
    ids=["serve-given-client-db", "client-given-simulator-db"],
)
def test_the_other_programs_database_is_refused_untouched(
    tmp_path: Path, command: list[str], fixture: Path, says: str
) -> None:
    copy_fixture(fixture, tmp_path, "other.db")
    before = snapshot(tmp_path)
    result = run_smsim(*command, "--port", "0", "--db", "other.db", cwd=tmp_path)
    line = one_line_error(result)
    assert f"--db other.db {says}" in line and "its own file" in line
    assert snapshot(tmp_path) == before


def test_a_database_from_a_newer_smsim_is_refused_untouched(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "newer.db", isolation_level=None)
    conn.execute(f"PRAGMA application_id = {SIMULATOR.application_id}")
    conn.execute("PRAGMA user_version = 42")
    conn.execute("CREATE TABLE accounts (sid TEXT)")
    conn.close()
    before = snapshot(tmp_path)
    result = run_smsim("serve", "--port", "0", "--db", "newer.db", cwd=tmp_path)
    line = one_line_error(result)
    assert "--db newer.db was written by a newer smsim (schema version 42" in line
    assert "upgrade smsim" in line
    assert snapshot(tmp_path) == before


# -- --config ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("config", "says"),
    [
        (
            {"accounts": [{"numbers": "+14155550100"}]},
            "config error: accounts[0].numbers: must be a list",
        ),
        (
            {"accounts": [{"numbers": ["+1415"]}]},
            "config error: accounts[0].numbers[0]: '+1415' is not a phone number",
        ),
        (
            {"rules": [{"match": {"to": "+14155550100"}, "outcome": {"status": "vanished"}}]},
            "config error: rules[0].outcome.status: must be one of",
        ),
        ({"delays": {"sent": float("inf")}}, "config error: delays.sent: must be a finite number"),
        (
            {"rules": [{"outcome": {"error_code": 30003}, "count": 2**63}]},
            "config error: rules[0].count: must be a whole number from 1 to 1000000000",
        ),
    ],
    ids=["numbers-string", "invalid-number", "rule-status", "delay-inf", "rule-count-huge"],
)
def test_a_bad_config_is_named_before_the_database_is_created(
    tmp_path: Path, config: dict[str, object], says: str
) -> None:
    (tmp_path / "smsim.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    before = snapshot(tmp_path)
    result = run_smsim(
        "serve", "--port", "0", "--db", "smsim.db", "--config", "smsim.yaml", cwd=tmp_path
    )
    assert f"smsim serve: {says}" in one_line_error(result)
    assert snapshot(tmp_path) == before  # no smsim.db


# -- report paths: checked before any work runs ------------------------------------------


@pytest.mark.parametrize("flag", ["--junit", "--json"])
def test_run_checks_its_report_paths_before_running_anything(tmp_path: Path, flag: str) -> None:
    result = run_smsim("run", flag, "no/such/dir/report", cwd=tmp_path)
    line = one_line_error(result)
    assert f"smsim run: {flag} no/such/dir/report: folder no/such/dir does not exist" in line
    assert result.stdout == ""  # no scenario was started
    assert list(tmp_path.iterdir()) == []


def test_verify_checks_its_report_path_before_posting_any_callback(tmp_path: Path) -> None:
    with CallbackRecorder() as receiver:
        result = run_smsim(
            "verify",
            "--callback-url",
            receiver.url("/sms/twilio"),
            "--auth-token",
            "secret-token",
            "--junit",
            "no/such/dir/verify.xml",
            cwd=tmp_path,
        )
        line = one_line_error(result)
        assert "smsim verify: --junit no/such/dir/verify.xml: folder no/such/dir" in line
        assert receiver.requests == []  # nothing was posted


@pytest.mark.parametrize("command", SERVES, ids=["serve", "client"])
def test_a_ready_file_in_a_missing_folder_is_named_before_the_server_starts(
    tmp_path: Path, command: list[str]
) -> None:
    result = run_smsim(
        *command, "--port", "0", "--db", "x.db", "--ready-file", "gone/ready.json", cwd=tmp_path
    )
    assert "--ready-file gone/ready.json: folder gone does not exist" in one_line_error(result)
    assert snapshot(tmp_path) == {}  # the database was not created either


@pytest.mark.parametrize("flag", ["--workers", "--senders", "--threads"])
def test_client_worker_counts_below_one_are_named(tmp_path: Path, flag: str) -> None:
    result = run_smsim("client", "serve", "--port", "0", flag, "0", cwd=tmp_path)
    assert f"smsim client serve: {flag} 0: must be at least 1" in one_line_error(result)
    assert snapshot(tmp_path) == {}
