"""The README's pytest example, run as a user would run it: it passes with the SDK
installed, and without the SDK it fails saying what to install instead of skipping (a
skipped contract test passes CI while testing nothing)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Runs pytest in a fresh interpreter; with "block" as argv[1], ``import twilio`` fails
# there as it does where the SDK is not installed.
RUNNER = """
import sys
if sys.argv.pop(1) == "block":
    sys.modules["twilio"] = None
import pytest
sys.exit(pytest.main(sys.argv[1:]))
"""


def _readme_example() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## In your tests", 1)[1]
    blocks = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    assert blocks, "the README's pytest section lost its example"
    return blocks[0]


def _run_example(tmp_path: Path, mode: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "test_from_readme.py").write_text(_readme_example(), encoding="utf-8")
    return subprocess.run(
        [
            sys.executable,
            "-c",
            RUNNER,
            mode,
            "-q",
            "-p",
            "no:cacheprovider",
            "-rA",
            "-W",
            "ignore::DeprecationWarning",
            str(tmp_path),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


@pytest.mark.slow
def test_readme_example_passes_with_the_sdk(tmp_path: Path):
    result = _run_example(tmp_path, "allow")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout


@pytest.mark.slow
def test_readme_example_without_the_sdk_fails_saying_what_to_install(tmp_path: Path):
    result = _run_example(tmp_path, "block")
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "skipped" not in output
    assert "1 error" in output
    assert 'pip install "smsim[sdk]"' in output
