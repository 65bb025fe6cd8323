"""`smsim client serve --config FILE`: the client's settings from a YAML or JSON file,
under its `SMSIM_CLIENT_*` variables and its flags, every refusal one line naming the key,
variable or flag (exit 2) before anything is written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests
from startup_helpers import one_line_error, run_smsim, snapshot

from smsim import cli
from smsim.client.settings_table import SETTINGS
from smsim.testing import ServeProcess

OFFLINE = "http://127.0.0.1:9"  # never called: no campaign is sent


def test_a_config_file_is_applied(tmp_path: Path) -> None:
    config = tmp_path / "client.yaml"
    config.write_text(
        f"db: {tmp_path / 'from-file.db'}\n"
        "public_url: https://client.example.com\n"
        f"twilio_base_url: {OFFLINE}\n"
        "senders: 3\n",
        encoding="utf-8",
    )
    server = ServeProcess("--config", str(config), command=("client", "serve"))
    try:
        assert server.ready["callback_url"] == "https://client.example.com/sms/twilio"
        assert requests.get(server.url + "/api/health", timeout=10).status_code == 200
        assert (tmp_path / "from-file.db").is_file()
        assert f"twilio base URL: {OFFLINE}" in "".join(server.lines)
    finally:
        server.stop()


def test_flags_win_over_variables_which_win_over_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "client.json"
    config.write_text(
        json.dumps(
            {
                "db_path": str(tmp_path / "file.db"),
                "public_url": "https://file.example.com",
                "twilio_base_url": OFFLINE,
            }
        ),
        encoding="utf-8",
    )
    monkeypatch.setenv("SMSIM_CLIENT_DB_PATH", str(tmp_path / "env.db"))
    monkeypatch.setenv("SMSIM_CLIENT_PUBLIC_URL", "https://env.example.com")
    server = ServeProcess(
        "--config", str(config), "--db", str(tmp_path / "flag.db"), command=("client", "serve")
    )
    try:
        # public_url: the variable over the file; the database: the flag over both
        assert server.ready["callback_url"] == "https://env.example.com/sms/twilio"
        assert sorted(p.name for p in tmp_path.glob("*.db")) == ["flag.db"]
    finally:
        server.stop()


def test_an_unknown_key_is_named_and_nothing_is_written(tmp_path: Path) -> None:
    (tmp_path / "client.yaml").write_text("port: 0\nsendrs: 4\n", encoding="utf-8")
    before = snapshot(tmp_path)
    result = run_smsim("client", "serve", "--config", "client.yaml", cwd=tmp_path)
    line = one_line_error(result)
    assert line.startswith("smsim client serve: config client.yaml: sendrs: unknown setting")
    assert "senders" in line  # the known keys are listed
    assert snapshot(tmp_path) == before  # no smsim-client.db


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("threads: 0\n", "config client.yaml: threads: must be at least 1"),
        ("public_url: http://my_host:8911\n", "config client.yaml: public_url: the host my_host"),
        ("request_timeout: .nan\n", "config client.yaml: request_timeout: must be a finite"),
        ("- port\n", "config: client.yaml must hold a mapping at the top level"),
    ],
    ids=["range", "url", "nan", "not-a-mapping"],
)
def test_a_bad_value_in_the_file_is_named(tmp_path: Path, text: str, says: str) -> None:
    (tmp_path / "client.yaml").write_text(text, encoding="utf-8")
    before = snapshot(tmp_path)
    line = one_line_error(run_smsim("client", "serve", "--config", "client.yaml", cwd=tmp_path))
    assert line.startswith(f"smsim client serve: {says}"), line
    assert snapshot(tmp_path) == before


def test_a_bad_variable_is_named(tmp_path: Path) -> None:
    result = run_smsim(
        "client", "serve", "--memory", cwd=tmp_path, settings={"SMSIM_CLIENT_PORT": "eighty"}
    )
    line = one_line_error(result)
    assert line == "smsim client serve: SMSIM_CLIENT_PORT: must be a whole number, not 'eighty'"


def test_a_config_file_that_is_not_there_is_named(tmp_path: Path) -> None:
    result = run_smsim("client", "serve", "--config", "nope.yaml", cwd=tmp_path)
    assert "--config: nope.yaml: no such file" in one_line_error(result)


def test_help_lists_every_setting_with_its_text(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main(["client", "serve", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "--config" in text
    for setting in SETTINGS:
        assert setting.env in text, setting.name
        assert " ".join(setting.environment_help.split()) in text, setting.name
        if setting.flag is not None:
            assert setting.flag in text, setting.name
