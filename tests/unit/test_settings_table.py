"""The settings table is the one declaration of every scalar setting: what it declares
is what the file, the environment and `smsim serve`'s flags accept and refuse."""

from __future__ import annotations

import dataclasses

import pytest

from smsim import cli
from smsim.simulator import config as config_module
from smsim.simulator.config import SimulatorConfig, from_env, from_mapping
from smsim.simulator.errors import ConfigError
from smsim.simulator.settings_table import SETTINGS, Setting

LIMITED = [s for s in SETTINGS if s.high is not None]


def test_every_config_field_is_declared_once() -> None:
    """A field added to SimulatorConfig without a row (or a file-only parser) could be
    set by nothing; a field declared twice would be read twice."""
    declared = [s.name for s in SETTINGS] + list(config_module._STRUCTURED)
    assert len(declared) == len(set(declared))
    assert set(declared) == {f.name for f in dataclasses.fields(SimulatorConfig)}


def test_defaults_are_the_declared_ones() -> None:
    base = SimulatorConfig()
    assert {s.name: getattr(base, s.name) for s in SETTINGS} == {
        s.name: s.default for s in SETTINGS
    }


@pytest.mark.parametrize("setting", LIMITED, ids=lambda s: s.name)
def test_past_the_limit_is_refused_from_file_and_environment(setting: Setting) -> None:
    assert setting.high is not None
    too_big = int(setting.high) + 1
    with pytest.raises(ConfigError) as from_file:
        from_mapping({setting.name: too_big})
    with pytest.raises(ConfigError) as from_environment:
        from_env({setting.env: str(too_big)}, SimulatorConfig())
    assert str(from_file.value).startswith(f"{setting.name}: ")
    assert str(from_file.value) == str(from_environment.value)
    # the top of the range is accepted (process counts on PostgreSQL: SQLite is one process)
    top = setting.high if setting.kind is float else int(setting.high)
    accepted = from_mapping({setting.name: top, "db_path": "postgresql://localhost/smsim"})
    assert getattr(accepted, setting.name) == top


@pytest.mark.parametrize("setting", [s for s in LIMITED if s.flag], ids=lambda s: s.name)
def test_past_the_limit_is_refused_from_the_flag(setting: Setting, capsys) -> None:
    assert setting.flag is not None and setting.high is not None
    code = cli.main(["serve", "--memory", setting.flag, str(int(setting.high) + 1)])
    err = capsys.readouterr().err
    assert code == 2
    assert setting.name in err or setting.flag in err


@pytest.mark.parametrize("setting", [s for s in SETTINGS if s.choices], ids=lambda s: s.name)
def test_choices_are_the_flags_choices(setting: Setting, capsys) -> None:
    assert setting.flag is not None
    with pytest.raises(SystemExit) as refused:
        cli.main(["serve", setting.flag, "nonesuch"])
    assert refused.value.code == 2
    err = capsys.readouterr().err
    assert all(choice in err for choice in setting.choices)
    with pytest.raises(ConfigError, match=f"^{setting.name}: "):
        from_env({setting.env: "nonesuch"}, SimulatorConfig())


def test_every_flag_is_in_help_with_its_text(capsys) -> None:
    with pytest.raises(SystemExit):
        cli.main(["serve", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for setting in SETTINGS:
        if setting.flag is not None:
            assert setting.flag in text
            assert " ".join((setting.flag_help or setting.help).split()) in text
