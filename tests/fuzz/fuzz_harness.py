"""schemathesis, run as its users run it (the ``st`` command line), against a live
simulator on port 0: the harness the tests in this folder share (the server is the
``fuzz_server`` fixture of conftest.py).

Bounded and reproducible: a fixed seed, a few examples per operation, one worker, no
shrinking. The server's account is fixed (``--config``-style), so ``POST /_smsim/reset``
re-seeds the very credentials the fuzzer sends. Webhooks reach only 127.0.0.1: a fuzzed
StatusCallback or SmsUrl naming any other host is answered by a guard in place of the
network. Accepted failures are schemathesis baselines (``*_baseline.json`` here): each
entry names one failure (operation, check, failure kind, signature) and says why.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ACCOUNT_SID = "AC" + "5" * 32
AUTH_TOKEN = "fuzz" * 8
SEED = 20261207
EXAMPLES = 10  # per operation and phase




@dataclass(frozen=True)
class Run:
    """One schemathesis run: its exit code, its JSON report and its console output."""

    exit_code: int
    report: dict[str, Any]
    output: str

    @property
    def generated(self) -> int:
        return int(self.report["test_cases"]["generated"])

    @property
    def failures(self) -> list[dict[str, Any]]:
        """Failures no baseline entry accepts (each: code, title, count, operations)."""
        return list(self.report["failures"])

    @property
    def known(self) -> int:
        baseline = self.report.get("baseline") or {}
        return int(baseline.get("known") or 0)

    def summary(self) -> str:
        """What to read when the run failed: the failures, then the console's end."""
        lines = [
            f"{f['code']} {f['title']} x{f['count']}: {f['operations']}" for f in self.failures
        ]
        lines.append(f"accepted by the baseline: {self.known}")
        return "\n".join(lines) + "\n\n" + self.output[-12000:]


def schemathesis(location: str, workdir: Path, *args: str, baseline: Path | None = None) -> Run:
    """``st run location`` with the harness' bounds; ``args`` add the surface's own."""
    workdir.mkdir(parents=True, exist_ok=True)
    report = workdir / "report.json"
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "--config-file",
        str(HERE / "schemathesis.toml"),
        "run",
        location,
        "--seed",
        str(SEED),
        "--max-examples",
        str(EXAMPLES),
        "--workers",
        "1",
        "--no-shrink",
        "--request-timeout",
        "20",
        "--auth",
        f"{ACCOUNT_SID}:{AUTH_TOKEN}",
        "--report",
        "json",
        "--report-json-path",
        str(report),
        *args,
    ]
    if baseline is not None:
        # schemathesis records a run into a baseline file that does not exist, and may
        # update one: it reads a copy, so a run never writes into the checkout.
        assert baseline.exists(), f"missing {baseline}"
        copy = workdir / baseline.name
        copy.write_bytes(baseline.read_bytes())
        command += ["--baseline", str(copy)]
    env = {**os.environ, "NO_COLOR": "1", "SMSIM_FUZZ_ACCOUNT": ACCOUNT_SID}
    done = subprocess.run(
        command, cwd=workdir, env=env, capture_output=True, text=True, timeout=600, check=False
    )
    output = done.stdout + done.stderr
    assert report.exists(), f"schemathesis wrote no report (exit {done.returncode}):\n{output}"
    return Run(done.returncode, json.loads(report.read_text(encoding="utf-8")), output)
