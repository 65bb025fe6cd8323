"""The simulator's configuration: one frozen object, built from flags, env or a file.

Nothing is read at import time. ``load_config`` merges, in rising precedence: defaults,
a YAML/JSON file (``--config``), ``SMSIM_*`` environment variables, then CLI flags.
Every problem raises :class:`ConfigError` naming the field, e.g.
``accounts[1].type: must be 'trial' or 'full', not 'gold'``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from smsim import settings
from smsim.db_url import is_postgres_url
from smsim.simulator import bounds
from smsim.simulator.account_spec import AccountConfig, AccountSpecError, parse_account_spec
from smsim.simulator.errors import ConfigError
from smsim.simulator.settings_table import SETTINGS, default


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
    """Everything that shapes one simulator instance. The scalar settings' defaults,
    limits and help are declared once in :mod:`~smsim.simulator.settings_table`."""

    host: str = default("host")
    port: int = default("port")
    db_path: str | None = default("db_path")
    memory: bool = default("memory")
    seed: int = default("seed")
    clock: str = default("clock")  # "real" or "virtual"
    speed: float = default("speed")
    delays: Delays = field(default_factory=Delays)
    status_callback: str | None = default("status_callback")  # server-wide StatusCallback
    accounts: tuple[AccountConfig, ...] = ()
    create_default_accounts: bool = default("create_default_accounts")
    rules: tuple[Mapping[str, Any], ...] = ()
    carrier_profile: str = default("carrier_profile")
    callback_on_sending: bool = default("callback_on_sending")
    legacy_max_price: bool = default("legacy_max_price")
    # WSGI worker threads per HTTP worker process; 0: 16 in one process, 4 per worker
    # process (more threads per process only queue on its one GIL)
    threads: int = default("threads")
    # HTTP worker processes beside the delivery processes (docs/scaling.md); 0: the cores
    # the delivery processes leave (at least one). Only on PostgreSQL with the real
    # clock: SQLite and the virtual clock live in one process.
    workers: int = default("workers")
    # processes running lifecycle steps and webhooks; 0: one per two cores (at least one).
    # Only on PostgreSQL, as ``workers``.
    delivery_processes: int = default("delivery_processes")
    webhook_workers: int = default("webhook_workers")
    # PostgreSQL: how long a claimed job stays with a process that stopped renewing it
    # (it died); its jobs run elsewhere within 1.25 leases (smsim.simulator.scheduler)
    job_lease: float = default("job_lease")
    price_table: Mapping[str, float] = field(default_factory=dict)
    enforce_throughput: bool = default("enforce_throughput")
    validate_contracts: bool = default("validate_contracts")  # check against contracts/
    ui: bool = default("ui")  # serve the web inbox at /
    # docs/security.md: extra Host names accepted by the control plane and the UI ("*" =
    # any), and the token they require when set (never logged).
    allowed_hosts: tuple[str, ...] = default("allowed_hosts")
    control_token: str | None = default("control_token")
    # The client's dashboard when it runs beside this simulator (``smsim up`` passes it):
    # the inbox's nav links it, and a message sent through it links to its campaign.
    dashboard_url: str | None = default("dashboard_url")

    def with_overrides(self, **changes: Any) -> SimulatorConfig:
        return replace(self, **changes)

    @property
    def store_target(self) -> str | None:
        return None if self.memory else self.db_path

    @property
    def on_postgresql(self) -> bool:
        """Whether the store is a PostgreSQL server (``--db postgresql://...``) rather than
        SQLite (a file or ``--memory``)."""
        return self.store_target is not None and is_postgres_url(self.store_target)

    @property
    def multi_process(self) -> bool:
        """Whether ``smsim serve`` runs HTTP worker processes and delivery processes (the
        real clock on PostgreSQL) rather than one process for everything. SQLite is always
        one process (docs/scaling.md): its single writer is best used by one process's
        threads, with no lock or cache shared across processes."""
        return self.clock == "real" and self.on_postgresql

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


# Settings only a file gives, each parsed by its own function below.
_STRUCTURED: dict[str, Callable[[Any], Any]] = {}  # filled in at the end of the module


def read_config_file(path: str | Path) -> dict[str, Any]:
    """Parse a YAML or JSON config file into a mapping (ConfigError if unreadable)."""
    return settings.read_mapping_file(path, ConfigError)


def from_mapping(data: Mapping[str, Any], base: SimulatorConfig | None = None) -> SimulatorConfig:
    """Build a config from a plain mapping, validating every field."""
    config = base or SimulatorConfig()
    non_finite = bounds.first_non_finite(data, "")
    if non_finite is not None:  # YAML's .nan and .inf, anywhere in the file
        raise ConfigError(f"{non_finite}: {bounds.NON_FINITE}")
    # status-callback is status_callback; an unknown key is refused naming every known one
    changes = settings.values_from_mapping(SETTINGS, data, _STRUCTURED)
    result = replace(config, **changes)
    validate(result)
    return result


def validate(config: SimulatorConfig) -> None:
    """Each setting within its declared limits, then the checks across settings."""
    for setting in SETTINGS:
        setting.check(getattr(config, setting.name))
    if config.memory and is_postgres_url(config.db_path):
        raise ConfigError(
            "memory: a PostgreSQL database (db) is not kept in RAM; give one or the other"
        )
    if (config.workers > 1 or config.delivery_processes) and not config.on_postgresql:
        name = "workers" if config.workers > 1 else "delivery_processes"
        raise ConfigError(
            f"{name}: several processes need PostgreSQL (--db postgresql://...); with SQLite"
            " smsim serves HTTP and delivers in one process"
        )
    if config.workers > 1 and config.clock == "virtual":
        raise ConfigError("workers: more than 1 needs the real clock (virtual time is in-process)")


def from_env(environ: Mapping[str, str], base: SimulatorConfig) -> SimulatorConfig:
    """Apply the ``SMSIM_<SETTING>`` variables of the settings table."""
    data = settings.values_from_env(SETTINGS, environ)
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


_STRUCTURED.update(delays=_delays, accounts=_accounts, rules=_rules, price_table=_price_table)
