"""Binding beyond loopback without a control token prints one warning line on stderr;
both serve commands document the new flags in ``--help``."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from smsim.cli import build_parser
from smsim.websafety import exposure_warning, is_loopback

WARNING = re.compile(
    r"warning: --host 0\.0\.0\.0 exposes the unauthenticated control plane .*--control-token"
    r".*--allowed-host"
)


def serve_output(*args: str) -> tuple[str, str]:
    """Start a serve command on port 0, read its start-up output, stop it: (stdout, stderr)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "smsim", *args, "--port", "0", "--memory"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1", "SMSIM_CONTROL_TOKEN": ""},
    )
    assert proc.stdout is not None
    first = proc.stdout.readline()  # the "listening on" line: start-up is over
    proc.terminate()
    proc.wait(15)
    # read() and not communicate(): readline() left the rest of stdout in the text buffer.
    out, err = proc.stdout.read(), proc.stderr.read()  # small: the pipes never filled
    assert "listening on" in first, first + out + err
    return first + out, err


@pytest.mark.slow
@pytest.mark.parametrize("command", [["serve"], ["client", "serve"]], ids=["serve", "client"])
def test_binding_all_interfaces_warns_once_on_stderr(command):
    out, err = serve_output(*command, "--host", "0.0.0.0")
    warnings = [line for line in err.splitlines() if "warning" in line]
    assert len(warnings) == 1 and WARNING.search(warnings[0])
    assert "warning" not in out


@pytest.mark.slow
@pytest.mark.parametrize("command", [["serve"], ["client", "serve"]], ids=["serve", "client"])
def test_a_control_token_means_no_warning(command):
    # (Loopback binds print none either: the unit test below, and every other serve test.)
    _, err = serve_output(*command, "--host", "0.0.0.0", "--control-token", "t0ken")
    assert "warning" not in err


def test_the_warning_is_only_for_non_loopback_addresses_without_a_token():
    assert exposure_warning("smsim serve", "127.0.0.1", None) is None
    assert exposure_warning("smsim serve", "::1", None) is None
    assert exposure_warning("smsim serve", "localhost", None) is None
    assert exposure_warning("smsim serve", "192.168.1.5", "t") is None
    warning = exposure_warning("smsim client serve", "192.168.1.5", None)
    assert warning is not None and warning.startswith("smsim client serve: warning: --host")
    assert "\n" not in warning
    assert is_loopback("127.8.9.10") and not is_loopback("10.0.0.1")


@pytest.mark.parametrize("command", [["serve"], ["client", "serve"]], ids=["serve", "client"])
def test_help_describes_the_new_flags(command, capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args([*command, "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "--allowed-host NAME" in text and "SMSIM_ALLOWED_HOSTS" in text
    assert "--control-token TOKEN" in text and "SMSIM_CONTROL_TOKEN" in text
    assert "DNS rebinding" in text and "?token=TOKEN" in text
