"""The client's settings table is the one declaration of every `smsim client serve`
setting: each row is reachable from the config file, its variable and its flag, in that
rising precedence, and refused there naming its key."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from smsim.cli import build_parser
from smsim.client.config import ClientConfig, ClientSettings, apply, load_settings
from smsim.client.settings_table import SETTINGS
from smsim.commands._setting_flags import given_flags
from smsim.settings import Setting, SettingError

# A valid value other than the default, for the settings whose kind alone cannot say one.
TEXT_EXAMPLES = {
    "host": "0.0.0.0",
    "db_path": "elsewhere.db",
    "twilio_base_url": "http://127.0.0.1:8910",
    "public_url": "https://client.example.com",
    "account_id": "acme",
    "inbox_url": "http://127.0.0.1:8910",
    "control_token": "s3cret-token",
}
# Settings with no valid value but the default: each surface must refuse this one.
ONLY_REFUSED = {"workers": 2}  # several processes need PostgreSQL


def example(setting: Setting) -> Any:
    """A value the setting accepts that is not its default (or refuses, if it has none)."""
    if setting.name in ONLY_REFUSED:
        return ONLY_REFUSED[setting.name]
    if setting.kind is bool:
        return not setting.default
    if setting.kind is tuple:
        return ("dashboard.example.com",)
    if setting.kind in (int, float):
        assert setting.low is not None and setting.high is not None
        value = setting.high if setting.high != setting.default else setting.low
        return setting.kind(value)
    return TEXT_EXAMPLES[setting.name]  # a new text setting needs an example here


def as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return ",".join(value)
    return str(value)


def test_every_settings_field_is_declared_once() -> None:
    declared = [s.field for s in SETTINGS]
    assert len(declared) == len(set(declared))
    assert set(declared) == {f.name for f in dataclasses.fields(ClientSettings)}


def test_every_integration_field_is_a_setting() -> None:
    """A field added to ClientConfig without a row could be set by nothing from the CLI.
    (bind_host is the host setting; db_path and memory are decided by store_target.)"""
    integration = {f.name for f in dataclasses.fields(ClientConfig)} - {"bind_host"}
    assert integration <= {s.field for s in SETTINGS}


def test_defaults_are_the_declared_ones() -> None:
    base = ClientSettings()
    assert {s.field: getattr(base, s.field) for s in SETTINGS} == {
        s.field: s.default for s in SETTINGS
    }
    integration = ClientConfig(memory=True)
    for setting in SETTINGS:
        if setting.field in {"db_path", "memory"}:
            continue
        if hasattr(integration, setting.field):
            assert getattr(integration, setting.field) == setting.default, setting.name


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: s.name)
def test_each_setting_is_reachable_from_the_file_and_its_variable(
    setting: Setting, tmp_path: Path
) -> None:
    value = example(setting)
    config = tmp_path / "client.yaml"
    config.write_text(f"{setting.name}: {as_text(value)}\n", encoding="utf-8")
    if setting.name in ONLY_REFUSED:
        with pytest.raises(SettingError, match=f"^config {config}: {setting.name}: "):
            load_settings(config, environ={})
        with pytest.raises(SettingError, match=f"^{setting.env}: "):
            load_settings(environ={setting.env: as_text(value)})
        return
    from_file = load_settings(config, environ={})
    assert getattr(from_file, setting.field) == value
    from_environment = load_settings(environ={setting.env: as_text(value)})
    assert getattr(from_environment, setting.field) == value


@pytest.mark.parametrize("setting", [s for s in SETTINGS if s.flag], ids=lambda s: s.name)
def test_each_flag_reaches_its_setting(setting: Setting) -> None:
    """`smsim client serve`'s parser gives the flag to the setting it names."""
    assert setting.flag is not None
    value = example(setting)
    words = [setting.flag] if setting.kind is bool else [setting.flag, as_text(value)]
    args = build_parser().parse_args(["client", "serve", *words])
    flags = given_flags(args, SETTINGS)
    if setting.name in ONLY_REFUSED:
        with pytest.raises(SettingError, match=f"^{setting.flag} {value}: "):
            load_settings(flags=flags, environ={})
        return
    assert getattr(load_settings(flags=flags, environ={}), setting.field) == value


def test_variables_are_the_clients_own_but_for_the_shared_safety_ones() -> None:
    """The simulator's SMSIM_PORT must not move the client's port (`smsim up` reads one
    environment for both), while one token and one Host list serve both servers."""
    assert {s.name: s.env for s in SETTINGS if not s.env.startswith("SMSIM_CLIENT_")} == {
        "allowed_hosts": "SMSIM_ALLOWED_HOSTS",
        "control_token": "SMSIM_CONTROL_TOKEN",
    }
    assert load_settings(environ={"SMSIM_PORT": "9999"}).port == 8911


def test_precedence_is_flags_then_environment_then_file_then_defaults(tmp_path: Path) -> None:
    config = tmp_path / "client.json"
    config.write_text('{"port": 9001, "senders": 3, "threads": 5}', encoding="utf-8")
    environ = {"SMSIM_CLIENT_PORT": "9002", "SMSIM_CLIENT_SENDERS": "4"}
    loaded = load_settings(config, {"port": 9003}, environ)
    assert (loaded.port, loaded.concurrent_sends, loaded.http_threads) == (9003, 4, 5)
    assert loaded.account_id == "smsim-client"  # nobody gave it: the default


def test_an_unknown_key_is_named_with_the_known_ones(tmp_path: Path) -> None:
    config = tmp_path / "client.yaml"
    config.write_text("port: 9000\nsendrs: 4\n", encoding="utf-8")
    with pytest.raises(SettingError) as refused:
        load_settings(config, environ={})
    message = str(refused.value)
    assert message.startswith(f"config {config}: sendrs: unknown setting (known: ")
    assert "senders" in message and "twilio_base_url" in message


@pytest.mark.parametrize(
    ("key", "value", "says"),
    [
        ("port", 70000, "port: must be 0-65535 (0 picks a free port), not 70000"),
        ("senders", 0, "senders: must be at least 1 and at most 256, not 0"),
        ("workers", 3, "workers: several processes need PostgreSQL"),
        ("threads", 8.5, "threads: must be a whole number, not 8.5"),
        ("request_timeout", ".inf", "request_timeout: must be a finite number"),
        ("twilio_base_url", "api.twilio.com", "twilio_base_url: must be an http:// or https://"),
        ("public_url", "http://my_host:8911", "public_url: the host my_host has an underscore"),
        ("memory", "maybe", "memory: must be bool, not 'maybe'"),
    ],
)
def test_a_bad_value_in_the_file_is_named_by_its_key(
    tmp_path: Path, key: str, value: Any, says: str
) -> None:
    config = tmp_path / "client.yaml"
    config.write_text(f"{key}: {value}\n", encoding="utf-8")
    with pytest.raises(SettingError) as refused:
        load_settings(config, environ={})
    assert str(refused.value).startswith(f"config {config}: {says}")


def test_a_bad_variable_is_named_by_the_variable() -> None:
    with pytest.raises(
        SettingError, match=r"^SMSIM_CLIENT_SENDERS: must be at least 1 and at most 256, not 999$"
    ):
        load_settings(environ={"SMSIM_CLIENT_SENDERS": "999"})


def test_a_bad_flag_value_is_named_by_the_flag() -> None:
    with pytest.raises(SettingError, match=r"^--port 70000: must be 0-65535"):
        load_settings(flags={"port": 70000}, environ={})


@pytest.mark.parametrize(
    "setting", [s for s in SETTINGS if s.high is not None], ids=lambda s: s.name
)
def test_the_top_of_each_range_is_accepted_and_past_it_refused(setting: Setting) -> None:
    assert setting.high is not None
    top = setting.kind(setting.high)
    assert getattr(apply({setting.name: top}), setting.field) == top
    with pytest.raises(SettingError, match=f"^{setting.name}: "):
        apply({setting.name: setting.kind(setting.high + 1)})


def test_the_integration_gets_its_part_of_the_settings() -> None:
    loaded = apply({"db": "x.db", "senders": 3, "host": "0.0.0.0", "control_token": ""})
    integration = loaded.integration()
    assert (integration.db_path, integration.memory) == ("x.db", False)
    assert integration.concurrent_sends == 3 and integration.bind_host == "0.0.0.0"
    assert integration.control_token is None  # an empty token is no token
    in_ram = apply({"memory": True}).integration()
    assert (in_ram.db_path, in_ram.memory) == (None, True)


def test_every_shared_field_reaches_the_integration() -> None:
    """Each setting the integration has a field for is handed to it, not left default."""
    given = {s.name: example(s) for s in SETTINGS if s.name not in {*ONLY_REFUSED, "memory"}}
    integration = apply(given).integration()
    for setting in SETTINGS:
        if setting.name in given and hasattr(integration, setting.field):
            assert getattr(integration, setting.field) == given[setting.name], setting.name
    assert integration.bind_host == given["host"]
