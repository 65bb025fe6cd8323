"""With SQLite every smsim program is one process (HTTP threads and delivery threads):
asking for more processes exits 2 with one line that says they need PostgreSQL, and a
database file is served and delivered by the process that started, with no children."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from startup_helpers import one_line_error, run_smsim, snapshot

from smsim.simulator.store import Store as SimulatorStore
from smsim.testing import CallbackRecorder, ServeProcess, poll


def _children(pid: int) -> list[int]:
    """The processes ``pid`` started that still run (Linux's per-thread child lists)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(p) for p in (task / "children").read_text().split()]
    return found


@pytest.mark.parametrize(
    ("flags", "name"),
    [
        (["--db", "smsim.db", "--workers", "2"], "--workers 2"),
        (["--memory", "--workers", "3"], "--workers 3"),
        (["--db", "smsim.db", "--delivery-processes", "1"], "--delivery-processes 1"),
    ],
    ids=["file-workers", "memory-workers", "delivery-processes"],
)
def test_serve_refuses_several_processes_on_sqlite(
    tmp_path: Path, flags: list[str], name: str
) -> None:
    line = one_line_error(run_smsim("serve", "--port", "0", *flags, cwd=tmp_path))
    assert "PostgreSQL" in line and "--db postgresql://" in line, line
    assert line.startswith("smsim serve: ")
    assert snapshot(tmp_path) == {}  # no database created


def test_serve_refuses_workers_from_the_environment_too(tmp_path: Path) -> None:
    result = run_smsim(
        "serve", "--port", "0", "--db", "smsim.db", cwd=tmp_path, settings={"SMSIM_WORKERS": "2"}
    )
    line = one_line_error(result)
    assert "workers" in line and "--db postgresql://" in line
    assert snapshot(tmp_path) == {}


def test_one_worker_is_still_accepted_on_sqlite(tmp_path: Path) -> None:
    server = ServeProcess("--db", str(tmp_path / "smsim.db"), "--workers", "1")
    try:
        health = requests.get(server.url + "/_smsim/health", timeout=10).json()
        assert health["process"] == {"pid": server.pid, "role": "all"}
    finally:
        server.stop()


@pytest.mark.parametrize("store", [["--db", "client.db"], ["--memory"]], ids=["file", "memory"])
def test_client_serve_refuses_several_workers(tmp_path: Path, store: list[str]) -> None:
    result = run_smsim("client", "serve", "--port", "0", *store, "--workers", "2", cwd=tmp_path)
    line = one_line_error(result)
    assert line.startswith("smsim client serve: --workers 2: ")
    assert "PostgreSQL" in line and "one process" in line
    assert snapshot(tmp_path) == {}


def test_up_refuses_workers_from_the_environment_and_creates_no_folder(tmp_path: Path) -> None:
    result = run_smsim(
        "up",
        "--sim-port",
        "0",
        "--client-port",
        "0",
        cwd=tmp_path,
        settings={"SMSIM_DELIVERY_PROCESSES": "2"},
    )
    line = one_line_error(result)
    assert line.startswith("smsim up: ") and "--db postgresql://" in line
    assert list(tmp_path.iterdir()) == []


def test_a_database_file_is_served_and_delivered_by_one_process(tmp_path: Path) -> None:
    recorder = CallbackRecorder().start()
    server = ServeProcess("--db", str(tmp_path / "smsim.db"), "--speed", "1000")
    try:
        sid, token = server.full_account
        created = requests.post(
            f"{server.url}/2010-04-01/Accounts/{sid}/Messages.json",
            data={
                "To": "+14155550199",
                "From": "+15005550006",
                "Body": "one process",
                "StatusCallback": recorder.url(),
            },
            auth=(sid, token),
            timeout=10,
        )
        assert created.status_code == 201
        poll(
            lambda: {r.params["MessageStatus"] for r in recorder.requests} >= {"sent", "delivered"},
            30,
            "the sent and delivered callbacks",
        )
        assert _children(server.pid) == []
        health = requests.get(server.url + "/_smsim/health", timeout=10).json()
        assert health["process"] == {"pid": server.pid, "role": "all"}
    finally:
        server.stop()
        recorder.stop()


def test_client_serve_on_a_file_is_one_process(tmp_path: Path) -> None:
    server = ServeProcess(
        "--db",
        str(tmp_path / "client.db"),
        "--twilio-base-url",
        "http://127.0.0.1:9",
        command=("client", "serve"),
    )
    try:
        health = requests.get(server.url + "/api/health", timeout=10).json()
        assert health["process"]["pid"] == server.pid
        assert _children(server.pid) == []
    finally:
        server.stop()


@pytest.mark.parametrize(
    ("command", "health_path"),
    [(("serve",), "/_smsim/health"), (("client", "serve"), "/api/health")],
    ids=["serve", "client-serve"],
)
def test_a_second_process_on_the_same_file_is_refused_until_the_first_dies(
    tmp_path: Path, command: tuple[str, ...], health_path: str
) -> None:
    database = tmp_path / "shared.db"
    extra = () if command == ("serve",) else ("--twilio-base-url", "http://127.0.0.1:9")
    first = ServeProcess("--db", str(database), *extra, command=command)
    try:
        line = one_line_error(
            run_smsim(*command, "--port", "0", "--db", str(database), *extra, cwd=tmp_path)
        )
        assert f"in use by another smsim process (pid {first.pid})" in line, line
        assert "PostgreSQL" in line
        # the first is untouched, and its file stays readable from outside meanwhile
        assert requests.get(first.url + health_path, timeout=10).status_code == 200
        with sqlite3.connect(database) as reader:
            assert reader.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] > 0
        first.kill()  # kill -9: the kernel drops the owner's lock with the process
        second = ServeProcess("--db", str(database), *extra, command=command)
        second.stop()
    finally:
        first.stop()


def test_one_process_may_open_its_own_file_again(tmp_path: Path) -> None:
    """A test reopening its database, or a restart inside one process, is not refused;
    the file is free for another process once every open in this one is closed."""
    path = str(tmp_path / "own.db")
    first = SimulatorStore(path)
    again = SimulatorStore(path)
    again.close()
    assert not _free_for_another_process(path)
    first.close()
    assert _free_for_another_process(path)


def _free_for_another_process(path: str) -> bool:
    probe = subprocess.run(
        [sys.executable, "-c", _OPEN_AND_CLOSE, path], capture_output=True, text=True, timeout=60
    )
    assert probe.returncode in (0, 3), probe.stderr
    return probe.returncode == 0


_OPEN_AND_CLOSE = """
import sys
from smsim.migrations import DatabaseRefused
from smsim.simulator.store import Store
try:
    Store(sys.argv[1]).close()
except DatabaseRefused:
    sys.exit(3)
"""
