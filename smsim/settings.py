"""Settings declared once: the machinery both servers' settings tables are built with.

A :class:`Setting` names its config-file key, type, default, limits and help. From a
table of them come the keys a ``--config`` file accepts (:func:`values_from_mapping`),
the environment variables (:func:`values_from_env`), the command's flags and their
``--help`` (``smsim.commands._setting_flags``), the per-field checks and the settings
list in the docs (:func:`markdown_table`). ``simulator/settings_table.py`` declares the
simulator's settings (``smsim serve``), ``client/settings_table.py`` the client's
(``smsim client serve``).

Every refusal is a :class:`SettingError` (or the error type a table's rows name) whose
text starts with the key at fault: ``port: must be 0-65535, not 70000``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import yaml


class SettingError(Exception):
    """A setting refused; ``str()`` names the key and what it accepts."""


@dataclass(frozen=True)
class Setting:
    """One setting: where it is read from, what it accepts, and what it means."""

    #: The error a refusal raises; a table whose callers expect their own error type
    #: declares its rows with a subclass naming it (the simulator's ``ConfigError``).
    error: ClassVar[type[Exception]] = SettingError
    #: What a variable's name starts with, before the key in capitals.
    env_prefix: ClassVar[str] = "SMSIM_"

    name: str  # the config-file key, and the field it sets unless `field` says otherwise
    kind: type  # str, int, float, bool, or tuple (a list of names)
    default: Any
    help: str  # what it does; the flag's --help and the variable's line in the epilog
    flag: str | None = None  # the command's flag, when there is one
    flag_help: str | None = None  # a longer --help than `help`, when the flag needs one
    env_help: str | None = None  # the epilog's line, when it differs from `help`
    optional: bool = False  # None (YAML null) allowed
    choices: tuple[str, ...] = ()
    low: float | None = None
    high: float | None = None
    accepts: Callable[[Any], bool] | None = None  # a check beyond choices and limits
    refusal: str = ""  # after "<name>: "; {value} is the refused value
    problem: Callable[[Any], str | None] | None = None  # what is wrong with a value, if any
    aliases: tuple[str, ...] = ()  # other config-file keys for it
    variable: str | None = None  # the environment variable, when not <env_prefix><NAME>
    env_aliases: tuple[str, ...] = ()  # other variables for it (`env` wins over them)
    attribute: str | None = None  # the config object's field, when not `name`

    @property
    def env(self) -> str:
        """The environment variable that gives this setting."""
        return self.variable or f"{self.env_prefix}{self.name.upper()}"

    @property
    def field(self) -> str:
        """The field of the config object this setting fills."""
        return self.attribute or self.name

    @property
    def environment_help(self) -> str:
        """The epilog's line for the variable: a switch says which value turns it."""
        if self.env_help:
            return self.env_help
        if self.kind is bool:
            return f"{'false' if self.default else 'true'}: {self.help}"
        return self.help

    def coerce(self, value: Any) -> Any:
        """The value as its type (text from the environment or a flag, YAML's scalars)."""
        if value is None and self.optional:
            return None
        if self.kind is tuple:
            return self._names(value)
        kind = self.kind
        try:
            if kind is bool:
                return _switch(value)
            if kind is int and (
                isinstance(value, bool) or (isinstance(value, float) and not value.is_integer())
            ):
                raise ValueError(value)  # 80.5 is not a port, nor True a seed
            converted = kind(value)
            if kind is float and not math.isfinite(converted):
                raise ValueError(value)  # "nan" and "inf" from the environment, YAML's .inf
            return converted
        except (TypeError, ValueError, OverflowError):
            shown = "a finite number" if kind is float else "a whole number" if kind is int else ""
            raise self.error(
                f"{self.name}: must be {shown or kind.__name__}, not {value!r}"
            ) from None

    def check(self, value: Any) -> None:
        """The table's error naming the setting when ``value`` is outside what it accepts."""
        if value is None:
            return
        refused = (
            (self.choices and value not in self.choices)
            or (
                self.low is not None
                and self.high is not None
                and not (math.isfinite(value) and self.low <= value <= self.high)
            )
            or (self.accepts is not None and not self.accepts(value))
        )
        if refused:
            raise self.error(f"{self.name}: {self.refusal.format(value=value)}")
        reason = self.problem(value) if self.problem is not None else None
        if reason:
            raise self.error(f"{self.name}: {reason}")

    def _names(self, value: Any) -> tuple[str, ...]:
        """A list of names (Host names), or one comma-separated string of them."""
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            raise self.error(f"{self.name}: must be a list of host names (or 'a,b' text)")
        names = (part.strip().lower() for item in value for part in item.split(","))
        return tuple(name for name in names if name)


def _switch(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"1", "true", "yes", "on"}:
        return True
    if text in {"0", "false", "no", "off"}:
        return False
    raise ValueError(value)


def by_key(settings: Iterable[Setting]) -> dict[str, Setting]:
    """Each config-file key (names and aliases) to its setting."""
    return {key: setting for setting in settings for key in (setting.name, *setting.aliases)}


def values_from_mapping(
    settings: tuple[Setting, ...],
    data: Mapping[str, Any],
    parsers: Mapping[str, Callable[[Any], Any]] | None = None,
) -> dict[str, Any]:
    """``{field: value}`` for each key of ``data`` (a file, the environment, the flags),
    in its order, coerced to its type; a key no setting has is refused naming it and
    every known key. ``parsers`` reads the structured keys a table has no row for (the
    simulator's ``accounts``, ``rules``, ...)."""
    keys = by_key(settings)
    parsers = parsers or {}
    values: dict[str, Any] = {}
    for raw_key, value in data.items():
        key = str(raw_key).replace("-", "_")  # public-url is public_url
        setting = keys.get(str(raw_key)) or keys.get(key)
        if setting is not None:
            values[setting.field] = setting.coerce(value)
        elif key in parsers:
            values[key] = parsers[key](value)
        else:
            known = ", ".join(sorted({s.name for s in settings} | set(parsers)))
            error = settings[0].error if settings else SettingError
            raise error(f"{raw_key}: unknown setting (known: {known})")
    return values


def values_from_env(settings: Iterable[Setting], environ: Mapping[str, str]) -> dict[str, str]:
    """``{name: text}`` for each setting whose variable (or one of its aliases) is set;
    the setting's own variable wins over its aliases."""
    return {
        setting.name: environ[name]
        for setting in settings
        for name in reversed((setting.env, *setting.env_aliases))  # own variable last: wins
        if name in environ
    }


def check_all(settings: Iterable[Setting], config: Any) -> None:
    """Each setting of ``config`` (read by field) within its declared limits."""
    for setting in settings:
        setting.check(getattr(config, setting.field))


def read_mapping_file(path: str | Path, error: type[Exception] = SettingError) -> dict[str, Any]:
    """Parse a YAML or JSON config file (``.json`` is JSON) into a mapping; ``error``
    naming ``config:`` when it cannot be read or is not one mapping."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise error(f"config: cannot read {p}: {exc.strerror}") from exc
    except UnicodeDecodeError:
        raise error(f"config: {p} is not UTF-8 text") from None
    try:
        data = json.loads(text) if p.suffix == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise error(f"config: {p} is not valid YAML/JSON: {exc}") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise error(f"config: {p} must hold a mapping at the top level")
    return data


def shown_default(setting: Setting) -> str:
    """The default as a person writes it in a file (``true``, ``8911``, nothing)."""
    value = setting.default
    if value is None or value == ():
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def markdown_table(settings: Iterable[Setting]) -> str:
    """The settings as a Markdown table (key, flag, variable, default, meaning): the list
    the docs hold, so a test can keep the two the same."""
    lines = [
        "| Key | Flag | Variable | Default | Meaning |",
        "|---|---|---|---|---|",
    ]
    for setting in settings:
        flag = f"`{setting.flag}`" if setting.flag else ""
        default = shown_default(setting)
        meaning = " ".join((setting.flag_help or setting.help).split())
        lines.append(
            f"| `{setting.name}` | {flag} | `{setting.env}` | {default and f'`{default}`'} |"
            f" {meaning} |"
        )
    return "\n".join(lines)
