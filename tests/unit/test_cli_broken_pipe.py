"""A command whose reader has gone (`smsim codes --json | head -1`) ends quietly, with no
traceback on the terminal."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


@pytest.mark.parametrize("words", [["codes"], ["codes", "--json"]])
def test_codes_into_a_pipe_nobody_reads_prints_no_traceback(words: list[str]) -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the first line: every write fails
    try:
        done = subprocess.run(
            [sys.executable, "-m", "smsim", *words],
            stdout=write_end,
            stderr=subprocess.PIPE,
            timeout=60,
            check=False,
        )
    finally:
        os.close(write_end)
    stderr = done.stderr.decode()
    assert "Traceback" not in stderr
    assert "BrokenPipeError" not in stderr
    assert done.returncode == 1
