"""`smsim up --client-config FILE`: the client beside the simulator takes its settings as
`smsim client serve --config` does (and its `SMSIM_CLIENT_*` variables), except the ones
`smsim up` wires itself, which a file is refused for naming them."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest
import requests
from startup_helpers import one_line_error, run_smsim
from up_helpers import start_up_process


def test_the_client_config_file_is_applied(tmp_path: Path) -> None:
    (tmp_path / "client.yaml").write_text(
        "port: 0\npublic_url: https://client.example.com\nsenders: 2\n", encoding="utf-8"
    )
    proc, _, _, sim_url = start_up_process("--client-config", "client.yaml", cwd=tmp_path)
    try:
        accounts = requests.get(sim_url + "/_smsim/accounts", timeout=10).json()["accounts"]
        sms_urls = {n["sms_url"] for a in accounts for n in a["numbers"]}
        # every number was wired to the receiver at the public URL the file gave
        assert sms_urls == {"https://client.example.com/sms/twilio"}
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(20) == 0


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("twilio_base_url: https://api.twilio.com\n", "twilio_base_url: smsim up sets it"),
        ("db: other.db\n", "db: smsim up sets it (--data)"),
        ("sendrs: 2\n", "sendrs: unknown setting"),
        ("threads: 0\n", "threads: must be at least 1"),
    ],
    ids=["set-by-up", "alias-set-by-up", "unknown", "range"],
)
def test_a_client_config_mistake_is_named_and_no_folder_is_created(
    tmp_path: Path, text: str, says: str
) -> None:
    (tmp_path / "client.yaml").write_text(text, encoding="utf-8")
    result = run_smsim(
        "up",
        "--sim-port",
        "0",
        "--client-port",
        "0",
        "--client-config",
        "client.yaml",
        cwd=tmp_path,
    )
    line = one_line_error(result)
    assert line.startswith("smsim up: ") and says in line and "client.yaml" in line, line
    assert [p.name for p in tmp_path.iterdir()] == ["client.yaml"]  # no smsim-data


def test_a_client_variable_is_read_and_named_when_wrong(tmp_path: Path) -> None:
    result = run_smsim(
        "up",
        "--sim-port",
        "0",
        "--client-port",
        "0",
        cwd=tmp_path,
        settings={"SMSIM_CLIENT_SENDERS": "0"},
    )
    line = one_line_error(result)
    assert line == "smsim up: SMSIM_CLIENT_SENDERS: must be at least 1 and at most 256, not 0"
    assert list(tmp_path.iterdir()) == []
