"""docs/ci.md's pipelines, run: the shell steps of every job of the GitHub Actions and
GitLab CI examples, with this interpreter as ``python``/``smsim``/``pytest``, in a temp
directory, on free ports. Only the ``pip install`` lines are left out. Every job must
succeed and write its JUnit reports, with tests in them and no failures."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "ci.md"

pytestmark = [
    pytest.mark.slow,
    # The pipelines wait for the servers with curl, as CI images have it (.ci/run
    # installs it); a developer's machine without it skips, saying so.
    pytest.mark.skipif(shutil.which("curl") is None, reason="docs/ci.md's jobs need curl"),
]


def _yaml_examples() -> dict[str, dict[str, Any]]:
    text = DOC.read_text(encoding="utf-8")
    blocks = re.findall(r"^## (.+?)\n.*?```yaml\n(.*?)```", text, flags=re.S | re.M)
    return {title.strip(): yaml.safe_load(body) for title, body in blocks}


def _github_jobs(workflow: dict[str, Any]) -> list[tuple[str, dict[str, str], list[str]]]:
    jobs = []
    for name, job in workflow["jobs"].items():
        steps = [step["run"] for step in job["steps"] if "run" in step]
        jobs.append((name, dict(job.get("env") or {}), steps))
    return jobs


def _gitlab_jobs(pipeline: dict[str, Any]) -> list[tuple[str, dict[str, str], list[str]]]:
    shared = dict(pipeline.get("variables") or {})
    jobs = []
    for name, job in pipeline.items():
        if isinstance(job, dict) and "script" in job:
            env = {**shared, **(job.get("variables") or {})}
            jobs.append((name, env, [*job.get("before_script", []), *job["script"]]))
    return jobs


def _jobs() -> list[tuple[str, str, dict[str, str], list[str]]]:
    examples = _yaml_examples()
    assert set(examples) == {"GitHub Actions", "GitLab CI"}
    found = [("github", *job) for job in _github_jobs(examples["GitHub Actions"])]
    found += [("gitlab", *job) for job in _gitlab_jobs(examples["GitLab CI"])]
    return found


def _without_pip(step: str) -> str:
    return "\n".join(line for line in step.splitlines() if not line.strip().startswith("pip "))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _shims(directory: Path) -> Path:
    """``python``, ``smsim`` and ``pytest`` that run this interpreter on this checkout."""
    bin_dir = directory / "bin"
    bin_dir.mkdir(parents=True)
    for name, module in (
        ("python", None),
        ("python3", None),
        ("smsim", "smsim"),
        ("pytest", "pytest"),
    ):
        target = f'exec "{sys.executable}"' + (f" -m {module}" if module else "") + ' "$@"\n'
        shim = bin_dir / name
        shim.write_text("#!/bin/sh\n" + target, encoding="utf-8")
        shim.chmod(0o755)
    return bin_dir


def _workspace(tmp_path: Path) -> Path:
    """A project as the examples assume: tests/contract holds the README's example test."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    example = re.findall(r"```python\n(.*?)```", readme.split("## In your tests", 1)[1], re.S)[0]
    contract = tmp_path / "tests" / "contract"
    contract.mkdir(parents=True)
    (contract / "test_delivery_callback.py").write_text(example, encoding="utf-8")
    return tmp_path


def _junit_files(steps: list[str]) -> list[str]:
    return [m for step in steps for m in re.findall(r"--junit(?:xml)?[= ](\S+)", step)]


def _check_junit(path: Path) -> None:
    assert path.is_file(), f"{path.name} was not written"
    root = ET.parse(path).getroot()
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite") or [root]
    tests = sum(int(s.get("tests", 0)) for s in suites) or int(root.get("tests", 0))
    failures = sum(int(s.get("failures", 0)) + int(s.get("errors", 0)) for s in suites)
    assert tests > 0 and failures == 0, f"{path.name}: {tests} tests, {failures} failed"


def test_both_examples_have_the_documented_jobs() -> None:
    names = {(ci, name) for ci, name, _, _ in _jobs()}
    for ci in ("github", "gitlab"):
        assert {(ci, "contract-tests"), (ci, "scenarios-and-verify")} <= names
    for _, _, _env, steps in _jobs():
        script = "\n".join(steps)
        if "smsim serve" in script:
            assert "/_smsim/health" in script, "a job starts smsim serve without waiting for it"


@pytest.mark.parametrize(
    ("ci", "job"),
    [(ci, name) for ci, name, _, _ in _jobs()],
)
def test_ci_example_job_runs(tmp_path: Path, ci: str, job: str) -> None:
    _, _, env, steps = next(j for j in _jobs() if j[:2] == (ci, job))
    workspace = _workspace(tmp_path)
    variables = {k: str(v) for k, v in env.items()}
    for key in variables:
        if key.endswith("_PORT"):
            variables[key] = str(_free_port())
    script = "set -eo pipefail\n" + "\n".join(_without_pip(step) for step in steps)
    environ = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SMSIM_", "PYTEST_"))},
        **variables,
        "PATH": f"{_shims(tmp_path / '.ci')}{os.pathsep}{os.environ['PATH']}",
        "PYTHONPATH": str(ROOT),
    }
    process = subprocess.Popen(
        ["bash", "-c", script],
        cwd=workspace,
        env=environ,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group: the servers it starts go with it
    )
    try:
        output, _ = process.communicate(timeout=300)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
    logs = "".join(
        f"\n--- {log.name}\n{log.read_text(encoding='utf-8', errors='replace')[-2000:]}"
        for log in workspace.glob("smsim-*.log")
    )
    assert process.returncode == 0, output[-4000:] + logs
    junit = _junit_files(steps)
    assert junit, "the job writes no JUnit report"
    for name in junit:
        _check_junit(workspace / name)
