"""Every scalar setting of the simulator, declared once.

Each :class:`Setting` names its config-file key, type, default, limits and help; from
the table come the keys ``--config`` accepts, the ``SMSIM_*`` variables, the flags of
``smsim serve`` and their ``--help``, and the per-field checks of
:func:`~smsim.simulator.config.validate`. The machinery is :mod:`smsim.settings`, shared
with the client's table. The structured settings a file alone gives
(``accounts``, ``rules``, ``delays``, ``price_table``) are parsed in ``config.py``.
Limits come from :mod:`~smsim.simulator.bounds`.
"""

from __future__ import annotations

from typing import Any, ClassVar

from smsim import settings
from smsim.contracts import callback_url
from smsim.simulator import bounds
from smsim.simulator.errors import ConfigError

CARRIER_PROFILES = ("all-delivered", "realistic")
CLOCKS = ("real", "virtual")
MAX_WORKERS = 64


class Setting(settings.Setting):
    """One setting of the simulator (:class:`smsim.settings.Setting`); a refusal is a
    :class:`~smsim.simulator.errors.ConfigError`."""

    error: ClassVar[type[Exception]] = ConfigError


def _absolute_url(value: str) -> bool:
    return callback_url.problem(value) is None


SETTINGS: tuple[Setting, ...] = (
    Setting("host", str, "127.0.0.1", "interface to bind", flag="--host"),
    Setting(
        "port",
        int,
        8910,
        "port (0 picks a free one)",
        flag="--port",
        low=0,
        high=65535,
        refusal="must be 0-65535, not {value}",
    ),
    Setting(
        "db_path",
        str,
        "smsim.db",
        "SQLite file, or a postgresql://user:pass@host:port/db URL",
        flag="--db",
        env_help="SQLite file, or a postgresql://user:pass@host:port/db URL (or SMSIM_DB)",
        optional=True,
        aliases=("db",),
        env_aliases=("SMSIM_DB",),
    ),
    Setting("memory", bool, False, "keep state in RAM", flag="--memory"),
    Setting(
        "seed",
        int,
        0,
        "seed for realistic outcomes",
        flag="--seed",
        low=bounds.SQLITE_MIN_INTEGER,
        high=bounds.SQLITE_MAX_INTEGER,
        refusal="must fit in 64 bits (-2**63 to 2**63-1), not {value}",
    ),
    Setting(
        "clock",
        str,
        "real",
        "real or virtual",
        flag="--clock",
        choices=CLOCKS,
        refusal="must be 'real' or 'virtual', not {value!r}",
    ),
    Setting(
        "speed",
        float,
        1.0,
        "divide every lifecycle delay by this",
        flag="--speed",
        low=bounds.MIN_SPEED,
        high=bounds.MAX_SPEED,
        refusal=f"must be a number from {bounds.MIN_SPEED:g} to {bounds.MAX_SPEED:.0f},"
        " not {value!r}",
    ),
    Setting(
        "status_callback",
        str,
        None,
        "server-wide default StatusCallback URL",
        flag="--status-callback",
        optional=True,
    ),
    Setting(
        "carrier_profile",
        str,
        "all-delivered",
        "all-delivered or realistic",
        flag="--carrier-profile",
        choices=CARRIER_PROFILES,
        refusal=f"must be one of {', '.join(CARRIER_PROFILES)}, not {{value!r}}",
    ),
    Setting("create_default_accounts", bool, True, "start with no accounts"),
    Setting("callback_on_sending", bool, False, "also call back for 'sending'"),
    Setting("legacy_max_price", bool, False, "MaxPrice fails a dearer message with 30010"),
    Setting("enforce_throughput", bool, True, "no per-sender pacing (load tests)"),
    Setting(
        "workers",
        int,
        0,
        "HTTP worker processes, on PostgreSQL (0: the cores delivery leaves)",
        flag="--workers",
        flag_help="HTTP worker processes beside the delivery processes, on PostgreSQL only"
        " (default: the cores they leave, at least one); with SQLite (a file or --memory) or"
        " the virtual clock smsim is one process",
        low=0,
        high=MAX_WORKERS,
        refusal=f"must be 1-{MAX_WORKERS} (or 0: automatic)",
    ),
    Setting(
        "delivery_processes",
        int,
        0,
        "delivery processes, on PostgreSQL (0: one per two cores)",
        flag="--delivery-processes",
        flag_help="processes running lifecycle steps and sending webhooks, on PostgreSQL only"
        " (default: one per two cores, at least one); with SQLite delivery runs in threads"
        " of the one process",
        low=0,
        high=MAX_WORKERS,
        refusal=f"must be 1-{MAX_WORKERS} (or 0: one per two cores)",
    ),
    Setting(
        "job_lease",
        float,
        10.0,
        "seconds a claimed job stays with a process that stopped renewing it (PostgreSQL)",
        env_help="seconds before a dead process' jobs run elsewhere, on PostgreSQL (default 10)",
        low=0.1,
        high=3600.0,
        refusal="must be a number of seconds from 0.1 to 3600, not {value!r}",
    ),
    Setting(
        "threads",
        int,
        0,
        "WSGI worker threads per worker process",
        flag="--threads",
        flag_help="WSGI worker threads per HTTP process (default 4 per worker process, 16 in one)",
        low=0,
        high=bounds.MAX_THREADS,
        refusal=f"must be 1-{bounds.MAX_THREADS} (or 0: automatic)",
    ),
    Setting(
        "webhook_workers",
        int,
        16,
        "webhook threads: the threads sending webhooks, in each process that delivers",
        low=1,
        high=bounds.MAX_WEBHOOK_WORKERS,
        refusal=f"must be 1-{bounds.MAX_WEBHOOK_WORKERS}",
    ),
    Setting(
        "validate_contracts",
        bool,
        False,
        "check every response and webhook against contracts/",
    ),
    Setting(
        "ui",
        bool,
        True,
        "do not serve the web inbox",
        flag="--no-ui",
        flag_help="do not serve the web inbox at /",
    ),
    Setting(
        "dashboard_url",
        str,
        None,
        "the client's dashboard: the inbox links it and its campaigns",
        optional=True,
        accepts=_absolute_url,
        refusal="must be an absolute http(s) URL, not {value!r}",
    ),
    # The two below have their flags from _safety_flags (shared with `smsim client serve`).
    Setting(
        "allowed_hosts",
        tuple,
        (),
        "comma-separated extra Host names for /_smsim/ and the UI",
    ),
    Setting(
        "control_token",
        str,
        None,
        "token that /_smsim/ and the UI then require",
        optional=True,
    ),
)

BY_KEY: dict[str, settings.Setting] = settings.by_key(SETTINGS)


def default(name: str) -> Any:
    """The declared default of a setting (SimulatorConfig's field defaults)."""
    return BY_KEY[name].default
