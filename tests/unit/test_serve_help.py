"""``smsim serve --help`` lists every SMSIM_* variable the server reads, and only those."""

from __future__ import annotations

import dataclasses
import re

import pytest

from smsim import cli
from smsim.simulator.config import SimulatorConfig, from_env
from smsim.simulator.errors import ConfigError
from smsim.simulator.settings_table import BY_KEY


def _sample(field: dataclasses.Field, default: object) -> str:
    """A value for SMSIM_<FIELD> that differs from the default."""
    if isinstance(default, bool):
        return "false" if default else "true"
    if isinstance(default, int | float):
        return "3"
    return {"clock": "virtual", "carrier_profile": "realistic"}.get(
        field.name, "http://h.example/x"
    )


def _read_from_environment() -> set[str]:
    base = SimulatorConfig()
    read = set()
    for field in dataclasses.fields(SimulatorConfig):
        default = getattr(base, field.name)
        setting = BY_KEY.get(field.name)
        aliases = setting.env_aliases if setting else ()  # e.g. SMSIM_DB for SMSIM_DB_PATH
        for name in (f"SMSIM_{field.name.upper()}", *aliases):
            try:
                changed = from_env({name: _sample(field, default)}, base) != base
            except ConfigError:
                changed = True  # it was read, and refused
            if changed:
                read.add(name)
    return read


def _help(capsys) -> str:
    with pytest.raises(SystemExit):
        cli.main(["serve", "--help"])
    return capsys.readouterr().out


def test_serve_help_lists_every_environment_variable(capsys) -> None:
    text = _help(capsys)
    listed = set(re.findall(r"^\s+(SMSIM_[A-Z_]+)\s", text, flags=re.M))
    read = _read_from_environment()
    assert len(read) >= 15
    assert read - listed == set(), "read from the environment but not in --help"
    assert listed - read == set(), "in --help but not read"
    assert "2 MiB" in text
