"""The simulator's configuration: one frozen object, built from flags, env or a file.

Nothing is read at import time. ``load_config`` merges, in rising precedence: defaults,
a YAML/JSON file (``--config``), ``SMSIM_*`` environment variables, then CLI flags.
Every problem raises :class:`ConfigError` naming the field, e.g.
``accounts[1].type: must be 'trial' or 'full', not 'gold'``.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import yaml

from smsim.contracts import callback_url
from smsim.simulator import bounds
from smsim.simulator.account_spec import AccountConfig, AccountSpecError, parse_account_spec
from smsim.simulator.errors import ConfigError


@dataclass(frozen=True)
class Delays:
    """Seconds from departure (the end of the sender's queue) to each lifecycle step,
    before ``speed`` divides them. A rule's delays are merged over these, and each step
    runs no earlier than the one before it (docs/control-api.md, "Delays")."""

    sending: float = 0.1
    sent: float = 0.5
    delivered: float = 2.0
    jitter: float = 0.0  # +/- fraction of each delay, drawn from the seeded generator


@dataclass(frozen=True)
class SimulatorConfig:
    """Everything that shapes one simulator instance."""

    host: str = "127.0.0.1"
    port: int = 8910
    db_path: str | None = "smsim.db"
    memory: bool = False
    seed: int = 0
    clock: str = "real"  # "real" or "virtual"
    speed: float = 1.0
    delays: Delays = field(default_factory=Delays)
    status_callback: str | None = None  # server-wide default StatusCallback
    accounts: tuple[AccountConfig, ...] = ()
    create_default_accounts: bool = True
    rules: tuple[Mapping[str, Any], ...] = ()
    carrier_profile: str = "all-delivered"
    callback_on_sending: bool = False
    legacy_max_price: bool = False
    # WSGI worker threads per HTTP worker process; 0: 16 in one process, 4 per worker
    # process (more threads per process only queue on its one GIL)
    threads: int = 0
    # HTTP worker processes beside the delivery processes (docs/scaling.md); 0: the cores
    # the delivery processes leave (at least one). Only with the real clock and a
    # database file: a virtual clock and an in-memory store live in one process.
    workers: int = 0
    # processes running lifecycle steps and webhooks; 0: one per two cores (at least one)
    delivery_processes: int = 0
    webhook_workers: int = 16
    price_table: Mapping[str, float] = field(default_factory=dict)
    enforce_throughput: bool = True
    validate_contracts: bool = False  # check every response/webhook against contracts/
    ui: bool = True  # serve the web inbox at /
    # docs/security.md: extra Host names accepted by the control plane and the UI ("*" =
    # any), and the token they require when set (never logged).
    allowed_hosts: tuple[str, ...] = ()
    control_token: str | None = None
    # The client's dashboard when it runs beside this simulator (``smsim up`` passes it):
    # the inbox's nav links it, and a message sent through it links to its campaign.
    dashboard_url: str | None = None

    def with_overrides(self, **changes: Any) -> SimulatorConfig:
        return replace(self, **changes)

    @property
    def store_target(self) -> str | None:
        return None if self.memory else self.db_path

    @property
    def multi_process(self) -> bool:
        """Whether ``smsim serve`` runs HTTP worker processes and a delivery process (the
        real clock and a database file) rather than one process for everything."""
        return self.clock == "real" and self.store_target is not None

    @property
    def http_threads(self) -> int:
        """WSGI worker threads in each process that serves HTTP."""
        if self.threads:
            return self.threads
        return 4 if self.multi_process else 16

    @property
    def delivery_process_count(self) -> int:
        """How many delivery processes ``smsim serve`` runs (with :attr:`multi_process`)."""
        return self.delivery_processes or max(1, (os.cpu_count() or 1) // 2)

    @property
    def worker_processes(self) -> int:
        """How many HTTP worker processes ``smsim serve`` runs (with :attr:`multi_process`)."""
        if not self.multi_process:
            return 1
        cores = os.cpu_count() or 1
        return self.workers or max(1, cores - self.delivery_process_count)


_SCALARS = {
    "host": str,
    "port": int,
    "db_path": str,
    "memory": bool,
    "seed": int,
    "clock": str,
    "speed": float,
    "status_callback": str,
    "create_default_accounts": bool,
    "carrier_profile": str,
    "callback_on_sending": bool,
    "legacy_max_price": bool,
    "threads": int,
    "workers": int,
    "delivery_processes": int,
    "webhook_workers": int,
    "enforce_throughput": bool,
    "validate_contracts": bool,
    "ui": bool,
    "control_token": str,
    "dashboard_url": str,
}
_ALIASES = {"db": "db_path", "status-callback": "status_callback"}
CARRIER_PROFILES = ("all-delivered", "realistic")
MAX_WORKERS = 64


def read_config_file(path: str | Path) -> dict[str, Any]:
    """Parse a YAML or JSON config file into a mapping (ConfigError if unreadable)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"config: cannot read {p}: {exc.strerror}") from exc
    try:
        data = json.loads(text) if p.suffix == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"config: {p} is not valid YAML/JSON: {exc}") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"config: {p} must hold a mapping at the top level")
    return data


def from_mapping(data: Mapping[str, Any], base: SimulatorConfig | None = None) -> SimulatorConfig:
    """Build a config from a plain mapping, validating every field."""
    config = base or SimulatorConfig()
    non_finite = bounds.first_non_finite(data, "")
    if non_finite is not None:  # YAML's .nan and .inf, anywhere in the file
        raise ConfigError(f"{non_finite}: {bounds.NON_FINITE}")
    changes: dict[str, Any] = {}
    known = {f.name for f in fields(SimulatorConfig)}
    for raw_key, value in data.items():
        key = _ALIASES.get(raw_key, str(raw_key).replace("-", "_"))
        if key not in known:
            raise ConfigError(f"{raw_key}: unknown setting (known: {', '.join(sorted(known))})")
        if key in _SCALARS:
            changes[key] = _coerce(key, value, _SCALARS[key])
        elif key == "delays":
            changes[key] = _delays(value)
        elif key == "accounts":
            changes[key] = _accounts(value)
        elif key == "rules":
            changes[key] = _rules(value)
        elif key == "price_table":
            changes[key] = _price_table(value)
        elif key == "allowed_hosts":
            changes[key] = _host_names(value)
    result = replace(config, **changes)
    validate(result)
    return result


def validate(config: SimulatorConfig) -> None:
    """Cross-field checks, each naming its field."""
    if config.clock not in {"real", "virtual"}:
        raise ConfigError(f"clock: must be 'real' or 'virtual', not {config.clock!r}")
    if not bounds.in_range(config.speed, bounds.MIN_SPEED, bounds.MAX_SPEED):
        raise ConfigError(
            f"speed: must be a number from {bounds.MIN_SPEED:g} to {bounds.MAX_SPEED:.0f},"
            f" not {config.speed!r}"
        )
    if not 0 <= config.port <= 65535:
        raise ConfigError(f"port: must be 0-65535, not {config.port}")
    if not bounds.SQLITE_MIN_INTEGER <= config.seed <= bounds.SQLITE_MAX_INTEGER:
        raise ConfigError(f"seed: must fit in 64 bits (-2**63 to 2**63-1), not {config.seed}")
    if config.carrier_profile not in CARRIER_PROFILES:
        raise ConfigError(
            f"carrier_profile: must be one of {', '.join(CARRIER_PROFILES)}, "
            f"not {config.carrier_profile!r}"
        )
    if not 0 <= config.threads <= bounds.MAX_THREADS:
        raise ConfigError(f"threads: must be 1-{bounds.MAX_THREADS} (or 0: automatic)")
    if not 1 <= config.webhook_workers <= bounds.MAX_WEBHOOK_WORKERS:
        raise ConfigError(f"webhook_workers: must be 1-{bounds.MAX_WEBHOOK_WORKERS}")
    if not 0 <= config.workers <= MAX_WORKERS:
        raise ConfigError(f"workers: must be 1-{MAX_WORKERS} (or 0: automatic)")
    if not 0 <= config.delivery_processes <= MAX_WORKERS:
        raise ConfigError(f"delivery_processes: must be 1-{MAX_WORKERS} (or 0: one per two cores)")
    if config.dashboard_url is not None and callback_url.problem(config.dashboard_url):
        raise ConfigError(
            f"dashboard_url: must be an absolute http(s) URL, not {config.dashboard_url!r}"
        )
    if config.workers > 1 and config.clock == "virtual":
        raise ConfigError("workers: more than 1 needs the real clock (virtual time is in-process)")
    if config.workers > 1 and not config.store_target:
        raise ConfigError("workers: more than 1 needs a database file, not --memory")


def from_env(environ: Mapping[str, str], base: SimulatorConfig) -> SimulatorConfig:
    """Apply ``SMSIM_<SETTING>`` variables (scalars only)."""
    data = {
        key: environ[f"SMSIM_{key.upper()}"]
        for key in _SCALARS
        if f"SMSIM_{key.upper()}" in environ
    }
    if "SMSIM_ALLOWED_HOSTS" in environ:  # comma-separated
        data["allowed_hosts"] = environ["SMSIM_ALLOWED_HOSTS"]
    return from_mapping(data, base) if data else base


def load_config(
    file: str | None = None,
    overrides: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> SimulatorConfig:
    """Defaults < file < environment < explicit overrides (CLI flags)."""
    config = SimulatorConfig()
    if file:
        config = from_mapping(read_config_file(file), config)
    config = from_env(os.environ if environ is None else environ, config)
    if overrides:
        config = from_mapping({k: v for k, v in overrides.items() if v is not None}, config)
    return config


def _host_names(value: Any) -> tuple[str, ...]:
    """A list of Host names, or one comma-separated string of them."""
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise ConfigError("allowed_hosts: must be a list of host names (or 'a,b' text)")
    return tuple(v.strip().lower() for v in value if v.strip())


def _coerce(key: str, value: Any, kind: type) -> Any:
    if value is None and key in {"db_path", "status_callback", "control_token", "dashboard_url"}:
        return None
    try:
        if kind is bool:
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in {"1", "true", "yes", "on"}:
                return True
            if text in {"0", "false", "no", "off"}:
                return False
            raise ValueError(value)
        if kind is int and (
            isinstance(value, bool) or (isinstance(value, float) and not value.is_integer())
        ):
            raise ValueError(value)  # 80.5 is not a port, nor True a seed
        converted = kind(value)
        if kind is float and not math.isfinite(converted):
            raise ValueError(value)  # "nan" and "inf" from the environment
        return converted
    except (TypeError, ValueError, OverflowError):
        shown = "a finite number" if kind is float else "a whole number" if kind is int else ""
        raise ConfigError(f"{key}: must be {shown or kind.__name__}, not {value!r}") from None


def _price_table(value: Any) -> dict[str, float]:
    if not isinstance(value, dict):
        raise ConfigError("price_table: must map country codes to USD prices")
    for country, price in value.items():
        if (
            isinstance(price, bool)
            or not isinstance(price, int | float)
            or not bounds.in_range(price, 0, bounds.MAX_PRICE_USD)
        ):
            raise ConfigError(
                f"price_table.{country}: must be a number of USD from 0 to"
                f" {bounds.MAX_PRICE_USD:g}, not {price!r}"
            )
    return {country: float(price) for country, price in value.items()}


def _delays(value: Any) -> Delays:
    if not isinstance(value, dict):
        raise ConfigError("delays: must be a mapping like {sent: 0.5, delivered: 2}")
    known = {f.name for f in fields(Delays)}
    out: dict[str, float] = {}
    for key, raw in value.items():
        if key not in known:
            raise ConfigError(f"delays.{key}: unknown step (known: {', '.join(sorted(known))})")
        high, what = (
            (bounds.MAX_JITTER, "a fraction from 0 to 1")
            if key == "jitter"
            else (bounds.MAX_DELAY_SECONDS, f"a number of seconds {bounds.DELAY_RANGE}")
        )
        if (
            isinstance(raw, bool)
            or not isinstance(raw, int | float)
            or not bounds.in_range(raw, 0, high)
        ):
            raise ConfigError(f"delays.{key}: must be {what}, not {raw!r}")
        out[key] = float(raw)
    return Delays(**out)


def _accounts(value: Any) -> tuple[AccountConfig, ...]:
    if not isinstance(value, list):
        raise ConfigError("accounts: must be a list")
    try:
        result = [parse_account_spec(raw, f"accounts[{i}]") for i, raw in enumerate(value)]
    except AccountSpecError as exc:
        raise ConfigError(exc.message) from None
    _no_shared_numbers(result)
    _no_shared_sids(result)
    return tuple(result)


def _no_shared_numbers(accounts: list[AccountConfig]) -> None:
    owner: dict[str, int] = {}
    for i, account in enumerate(accounts):
        for j, spec in enumerate(account.numbers):
            number = spec["phone_number"]
            if number in owner:
                raise ConfigError(
                    f"accounts[{i}].numbers[{j}]: {number} is already owned by"
                    f" accounts[{owner[number]}]; a number has one owner"
                )
            owner[number] = i


def _no_shared_sids(accounts: list[AccountConfig]) -> None:
    seen: dict[str, int] = {}
    for i, account in enumerate(accounts):
        if account.sid is not None:
            if account.sid in seen:
                raise ConfigError(
                    f"accounts[{i}].sid: {account.sid} is also accounts[{seen[account.sid]}]"
                )
            seen[account.sid] = i


def _rules(value: Any) -> tuple[Mapping[str, Any], ...]:
    """Rules, checked now (as the control API checks them) rather than when the engine
    starts, so a bad file is refused naming the field before anything is opened."""
    from smsim.simulator.rules import RuleError, validate_rule

    if not isinstance(value, list):
        raise ConfigError("rules: must be a list of rule mappings")
    try:
        return tuple(validate_rule(rule, f"rules[{i}]") for i, rule in enumerate(value))
    except RuleError as exc:
        raise ConfigError(exc.message) from None
