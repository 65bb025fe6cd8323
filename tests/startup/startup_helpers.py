"""Helpers for the start-up tests: run ``python -m smsim`` as a user would, and prove
that a refused start wrote nothing."""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
SIMULATOR_V0 = FIXTURES / "simulator-v0.db"
CLIENT_V0 = FIXTURES / "client-v0.db"
# What the simulator fixture holds (tests/fixtures/README.md).
V0_FULL_ACCOUNT = "AC8ebb27cfe2d4208d3c9cbd04dfce23dd"
V0_MESSAGE = "SM7d4a8ef9cf478f5e52fb427949fe88ea"
NOBODY = 65534


def header(path: Path) -> tuple[int, int]:
    """(application_id, user_version) as stored in the file."""
    conn = sqlite3.connect(path)
    try:
        return (
            conn.execute("PRAGMA application_id").fetchone()[0],
            conn.execute("PRAGMA user_version").fetchone()[0],
        )
    finally:
        conn.close()


def copy_fixture(source: Path, folder: Path, name: str | None = None) -> Path:
    """A private copy of a fixture database (opening it may upgrade it in place)."""
    target = folder / (name or source.name)
    shutil.copyfile(source, target)
    return target


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` with the SHA-256 of its bytes."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def run_smsim(
    *args: str,
    cwd: Path,
    timeout: float = 60,
    as_nobody: bool = False,
    settings: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """``python -m smsim ARGS`` in ``cwd``, run to completion (a start that is refused
    exits at once; one that is not would hang until ``timeout``). The caller's
    ``SMSIM_*`` variables are left out; ``settings`` gives the run its own."""
    env = {**os.environ, "PYTHONPATH": _source_root(), "PYTHONDONTWRITEBYTECODE": "1"}
    env = {k: v for k, v in env.items() if not k.startswith("SMSIM_")}
    env.update(settings or {})
    launch = ["-c", _AS_NOBODY] if as_nobody and os.geteuid() == 0 else ["-m", "smsim"]
    return subprocess.run(
        [sys.executable, *launch, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


# Permission bits do not stop root, so a suite running as root checks "read-only" as the
# user nobody: the child loads every module the commands may import lazily and builds the
# parser, which lists the command modules' folder (the interpreter and the checkout may
# live where nobody cannot read, as in a folder from mktemp -d), then gives up root and
# runs the real command line.
_AS_NOBODY = f"""
import importlib, os, pkgutil, sys
import smsim.client, smsim.commands, smsim.simulator
from smsim import cli
for package in (smsim.commands, smsim.simulator, smsim.client):
    for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        importlib.import_module(info.name)
parser = cli.build_parser()
cli.build_parser = lambda: parser
main = cli.main
os.setgroups([])
os.setgid({NOBODY})
os.setuid({NOBODY})
sys.exit(main(sys.argv[1:]))
"""


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    """The refusal a start printed, checked to be exit 2 with a single stderr line and
    no traceback."""
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


def busy_port() -> socket.socket:
    """A listening socket on 127.0.0.1; its port is in use until it is closed."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(1)
    return sock


def _source_root() -> str:
    """The checkout the suite runs from, so the child runs this code, not an install."""
    return str(Path(__file__).resolve().parents[2])
