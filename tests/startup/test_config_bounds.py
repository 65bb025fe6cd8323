"""Every number in a ``--config`` file (or ``SMSIM_*`` variable) is bounded: a bad one is
a ConfigError naming its key (``smsim serve`` exits 2 with it), never a traceback, never
a value that freezes or overflows later. YAML writes NaN and infinity ``.nan``/``.inf``."""

from __future__ import annotations

from pathlib import Path

import pytest

from smsim.simulator.config import SimulatorConfig, load_config
from smsim.simulator.errors import ConfigError


def _load(tmp_path: Path, text: str, environ: dict[str, str] | None = None) -> SimulatorConfig:
    file = tmp_path / "smsim.yaml"
    file.write_text(text, encoding="utf-8")
    return load_config(str(file), {"memory": True}, environ=environ or {})


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("delays: {sent: .inf}", "delays.sent: must be a finite number"),
        ("delays: {sent: .nan}", "delays.sent: must be a finite number"),
        ("delays: {delivered: 604801}", "delays.delivered: must be a number of seconds from 0"),
        ("delays: {sending: -0.5}", "delays.sending: must be a number of seconds from 0"),
        ("delays: {jitter: 1.5}", "delays.jitter: must be a fraction from 0 to 1"),
        ("speed: .nan", "speed: must be a finite number"),
        ("speed: .inf", "speed: must be a finite number"),
        ("speed: 0.01", "speed: must be a number from 0.1 to 1000000"),
        ("speed: 1.0e+7", "speed: must be a number from 0.1 to 1000000"),
        ("port: .inf", "port: must be a finite number"),  # was an OverflowError traceback
        ("port: 8080.5", "port: must be a whole number, not 8080.5"),
        ("seed: 9223372036854775808", "seed: must fit in 64 bits"),
        ("threads: 100000", "threads: must be 1-256"),
        ("webhook_workers: 1000000", "webhook_workers: must be 1-1024"),
        ("price_table: {US: .nan}", "price_table.US: must be a finite number"),
        ("price_table: {US: 1.0e+300}", "price_table.US: must be a number of USD from 0 to 100"),
        ("rules: [{outcome: {error_code: 30003}, probability: .nan}]", "rules[0].probability:"),
        (
            "rules: [{outcome: {error_code: 30003}, count: 9223372036854775808}]",
            "rules[0].count: must be a whole number from 1 to 1000000000",
        ),
        ("rules: [{outcome: {delays: {sent: .inf}}}]", "rules[0].outcome.delays.sent:"),
    ],
)
def test_an_out_of_range_number_is_named(tmp_path: Path, text: str, says: str) -> None:
    with pytest.raises(ConfigError) as refused:
        _load(tmp_path, text)
    assert str(refused.value).startswith(says), str(refused.value)


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("SMSIM_SPEED", "nan", "speed: must be a finite number, not 'nan'"),
        ("SMSIM_SPEED", "inf", "speed: must be a finite number, not 'inf'"),
        ("SMSIM_PORT", "1e400", "port: must be a whole number, not '1e400'"),
        ("SMSIM_SEED", "-9223372036854775809", "seed: must fit in 64 bits"),
    ],
)
def test_an_out_of_range_environment_variable_is_named(
    tmp_path: Path, variable: str, value: str, says: str
) -> None:
    with pytest.raises(ConfigError) as refused:
        _load(tmp_path, "", {variable: value})
    assert str(refused.value).startswith(says), str(refused.value)


def test_the_limits_themselves_are_accepted(tmp_path: Path) -> None:
    config = _load(
        tmp_path,
        "delays: {sending: 0, sent: 604800, delivered: 604800, jitter: 1}\n"
        "speed: 0.1\nseed: 9223372036854775807\nthreads: 256\nwebhook_workers: 1024\n"
        "price_table: {US: 100}\nport: 8080.0\n",
    )
    assert config.port == 8080
    assert (config.delays.sent, config.delays.jitter, config.speed) == (604800.0, 1.0, 0.1)
    assert config.seed == 2**63 - 1
