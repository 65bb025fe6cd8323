"""Every setting of ``smsim client serve``, declared once.

Each :class:`~smsim.settings.Setting` names its config-file key, type, default, limits and
help; from this table come the keys ``--config`` accepts, the ``SMSIM_CLIENT_*`` variables,
the command's flags and their ``--help``, the per-field checks of
:func:`~smsim.client.config.load_settings` and the list in docs/client.md. The two safety
settings keep the variables both servers read (``SMSIM_ALLOWED_HOSTS``,
``SMSIM_CONTROL_TOKEN``; docs/security.md), and their flags come from ``_safety_flags``.

"Workers" meant three things; the fields say which: ``http_processes`` (``--workers``),
``http_threads`` (``--threads``, WSGI threads in each HTTP process) and
``concurrent_sends`` (``--senders``, Create Message requests a campaign has in flight).
"""

from __future__ import annotations

from typing import Any, ClassVar
from urllib.parse import urlsplit

from smsim import settings

DEFAULT_PORT = 8911
DEFAULT_DB = "smsim-client.db"
DEFAULT_TWILIO_BASE_URL = "https://api.twilio.com"
MAX_THREADS = 256  # per process; the simulator's limit too
MAX_CONCURRENT_SENDS = 256
MAX_REQUEST_TIMEOUT = 300.0  # seconds
MAX_SEND_ATTEMPTS = 20
MAX_RETRY_BACKOFF = 60.0  # seconds
MAX_ACCOUNT_ID = 64


class Setting(settings.Setting):
    """One setting of the client. Its variable is ``SMSIM_CLIENT_<KEY>`` unless it names
    another: the simulator's ``SMSIM_PORT`` must not move the client's port when both read
    one environment (``smsim up``)."""

    env_prefix: ClassVar[str] = "SMSIM_CLIENT_"


def http_url_problem(value: str) -> str | None:
    """What keeps ``value`` from being an absolute http(s) URL with a valid port."""
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        return "must be an http:// or https:// URL with a host"
    try:
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError:
        return "the port must be a number 0-65535"
    return None


def public_url_problem(value: str) -> str | None:
    """An http(s) URL whose host Twilio accepts in callback URLs (no underscore)."""
    problem = http_url_problem(value)
    hostname = urlsplit(value).hostname or ""
    if problem is None and "_" in hostname:
        # Twilio's StatusCallback: "URL must contain a valid hostname and underscores are not
        # allowed" (https://www.twilio.com/docs/messaging/api/message-resource), so every
        # callback URL built from this one would be refused.
        return (
            f"the host {hostname} has an underscore, which Twilio refuses in callback URLs;"
            " use a host name without underscores"
        )
    return problem


def _account_id_problem(value: str) -> str | None:
    if not value.strip() or len(value) > MAX_ACCOUNT_ID:
        return f"must be 1-{MAX_ACCOUNT_ID} characters, not {value!r}"
    return None


def _one_process(value: int) -> str | None:
    if value < 1:
        return f"must be at least 1, not {value}"
    if value > 1:
        return (
            "several processes need PostgreSQL (smsim serve --db postgresql://...); the client"
            " keeps its state in SQLite and runs one process"
        )
    return None


def _count(low: int, high: int) -> dict[str, Any]:
    """The limits and refusal of a count from ``low`` to ``high``."""
    refusal = f"must be at least {low} and at most {high}, not {{value}}"
    return {"low": low, "high": high, "refusal": refusal}


SETTINGS: tuple[Setting, ...] = (
    Setting("host", str, "127.0.0.1", "interface to bind", flag="--host"),
    Setting(
        "port",
        int,
        DEFAULT_PORT,
        "port (0 picks a free one)",
        flag="--port",
        low=0,
        high=65535,
        refusal="must be 0-65535 (0 picks a free port), not {value}",
    ),
    Setting("db_path", str, DEFAULT_DB, "SQLite file", flag="--db", optional=True, aliases=("db",)),
    Setting("memory", bool, False, "keep state in RAM (throwaway)", flag="--memory"),
    Setting(
        "twilio_base_url",
        str,
        DEFAULT_TWILIO_BASE_URL,
        "Twilio REST base URL; point it at smsim",
        flag="--twilio-base-url",
        problem=http_url_problem,
    ),
    Setting(
        "public_url",
        str,
        None,
        "base URL Twilio and handsets reach this integration at (default: its own URL)",
        flag="--public-url",
        optional=True,
        problem=public_url_problem,
    ),
    Setting(
        "account_id",
        str,
        "smsim-client",
        "integration account id (each callback URL's account=)",
        flag="--account-id",
        problem=_account_id_problem,
    ),
    Setting(
        "workers",
        int,
        1,
        "HTTP processes: 1 only (SQLite is one process: HTTP threads and the campaign sender)",
        flag="--workers",
        attribute="http_processes",
        problem=_one_process,
    ),
    Setting(
        "senders",
        int,
        8,
        "concurrent sends: Create Message requests each campaign has in flight",
        flag="--senders",
        attribute="concurrent_sends",
        aliases=("concurrent_sends",),
        **_count(1, MAX_CONCURRENT_SENDS),
    ),
    Setting(
        "threads",
        int,
        8,
        "WSGI threads serving HTTP in each HTTP process",
        flag="--threads",
        attribute="http_threads",
        aliases=("http_threads",),
        **_count(1, MAX_THREADS),
    ),
    Setting(
        "request_timeout",
        float,
        15.0,
        "seconds to wait for Twilio's answer to one request",
        low=0.1,
        high=MAX_REQUEST_TIMEOUT,
        refusal=f"must be 0.1-{MAX_REQUEST_TIMEOUT:g} seconds, not {{value!r}}",
    ),
    Setting(
        "send_max_attempts",
        int,
        4,
        "tries of a campaign recipient Twilio throttles (429, 21611, 5xx)",
        **_count(1, MAX_SEND_ATTEMPTS),
    ),
    Setting(
        "retry_backoff",
        float,
        0.5,
        "seconds of a throttled campaign's first pause (doubled while throttling goes on)",
        low=0.0,
        high=MAX_RETRY_BACKOFF,
        refusal=f"must be 0-{MAX_RETRY_BACKOFF:g} seconds, not {{value!r}}",
    ),
    Setting(
        "inbox_url",
        str,
        None,
        "the simulator's inbox: the dashboard links each message, handset and number to it",
        optional=True,
        problem=http_url_problem,
    ),
    # The two below keep the variables both servers read, and their flags (with their
    # --help) are added by _safety_flags for both servers.
    Setting(
        "allowed_hosts",
        tuple,
        (),
        "comma-separated extra Host names for /api/ and the dashboard",
        flag="--allowed-host",
        variable="SMSIM_ALLOWED_HOSTS",
    ),
    Setting(
        "control_token",
        str,
        None,
        "token that /api/ and the dashboard then require",
        flag="--control-token",
        optional=True,
        variable="SMSIM_CONTROL_TOKEN",
    ),
)

BY_KEY: dict[str, settings.Setting] = settings.by_key(SETTINGS)
