"""Configuration of the client integration: frozen objects, built by the caller.

:class:`ClientConfig` is what the integration needs (the embeddable server and the app
factory take it); :class:`ClientSettings` is everything ``smsim client serve`` is started
with, loaded by :func:`load_settings` from defaults, a YAML/JSON file (``--config``),
the environment and the flags, in rising precedence. Both take their defaults, limits
and help from :mod:`~smsim.client.settings_table`. Nothing is read at import time.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from smsim import settings
from smsim.client.settings_table import BY_KEY, SETTINGS
from smsim.settings import SettingError


def default(name: str) -> Any:
    """The declared default of a setting, by its key."""
    return BY_KEY[name].default


RECEIVER_PATH = "/sms/twilio"
CLICK_PATH_PREFIX = "/c/"


@dataclass(frozen=True)
class ClientConfig:
    """Everything the integration needs to run.

    ``public_url`` is the base URL Twilio and handsets use to reach this integration: the
    default callback URL (``public_url + /sms/twilio``) and tracked short links
    (``public_url + /c/<code>``) are built from it. The embeddable server fills it in
    with its own URL when it is left empty. Its host name is also accepted as a Host by
    the API and UI, like ``bind_host`` and ``allowed_hosts``.
    """

    db_path: str | None = None
    memory: bool = False
    twilio_base_url: str = default("twilio_base_url")
    public_url: str | None = default("public_url")
    account_id: str = default("account_id")
    #: concurrent sends: Create Message requests a campaign has in flight at once
    #: (``smsim client serve --senders``)
    concurrent_sends: int = default("senders")
    request_timeout: float = default("request_timeout")
    #: a campaign recipient Twilio throttles (429, 21611, 5xx) is tried this many times
    send_max_attempts: int = default("send_max_attempts")
    #: first pause of a throttled campaign, in seconds (doubles while throttling goes on)
    retry_backoff: float = default("retry_backoff")
    # docs/security.md: the address the server is bound to, extra Host names its API and UI
    # accept ("*" = any), and the control token they require when set (never logged).
    bind_host: str = "127.0.0.1"
    allowed_hosts: tuple[str, ...] = default("allowed_hosts")
    control_token: str | None = default("control_token")
    #: the simulator's inbox (its base URL) when the client runs beside it (``smsim up``):
    #: the dashboard then links each message, handset and verified number to it
    inbox_url: str | None = default("inbox_url")

    def __post_init__(self) -> None:
        if not self.memory and not self.db_path:
            raise ValueError("ClientConfig needs db_path, or memory=True for a throwaway store")
        if self.memory and self.db_path:
            raise ValueError("ClientConfig takes db_path or memory=True, not both")
        if self.concurrent_sends < 1:
            raise ValueError("concurrent_sends must be at least 1")

    @property
    def base_url(self) -> str:
        """The public URL without a trailing slash (empty when unknown)."""
        return (self.public_url or "").rstrip("/")

    @property
    def default_callback_url(self) -> str:
        """The integration's own receiver URL, pre-filled in every new provider."""
        return self.base_url + RECEIVER_PATH

    def short_link(self, code: str) -> str:
        """The public URL of a tracked short link."""
        return self.base_url + CLICK_PATH_PREFIX + code


@dataclass(frozen=True)
class ClientSettings:
    """Everything ``smsim client serve`` is started with: one field per row of the
    settings table (whose keys, variables and flags say the public names)."""

    host: str = default("host")
    port: int = default("port")
    db_path: str | None = default("db_path")
    memory: bool = default("memory")
    twilio_base_url: str = default("twilio_base_url")
    public_url: str | None = default("public_url")
    account_id: str = default("account_id")
    #: HTTP worker processes (``--workers``); 0: automatic
    http_processes: int = default("workers")
    #: Create Message requests each campaign has in flight (``--senders``)
    concurrent_sends: int = default("senders")
    #: WSGI threads serving HTTP in each HTTP process (``--threads``)
    http_threads: int = default("threads")
    request_timeout: float = default("request_timeout")
    send_max_attempts: int = default("send_max_attempts")
    retry_backoff: float = default("retry_backoff")
    inbox_url: str | None = default("inbox_url")
    allowed_hosts: tuple[str, ...] = default("allowed_hosts")
    control_token: str | None = default("control_token")

    @property
    def store_target(self) -> str | None:
        """The database file, or None for a store in RAM (``memory`` wins over a file)."""
        return None if self.memory else (self.db_path or default("db_path"))

    def integration(self) -> ClientConfig:
        """The integration's part of these settings: every field the two share, by name,
        with the store, the bound host and the token as the integration takes them."""
        mine = {f.name for f in fields(self)}
        shared = {f.name: getattr(self, f.name) for f in fields(ClientConfig) if f.name in mine}
        target = self.store_target
        return ClientConfig(
            **{
                **shared,
                "db_path": target,
                "memory": target is None,
                "bind_host": self.host,
                "control_token": self.control_token or None,  # an empty token is no token
            }
        )


def apply(data: Mapping[str, Any], base: ClientSettings | None = None) -> ClientSettings:
    """``base`` with the settings of ``data`` (keys or aliases of the table), each
    coerced and checked; SettingError naming the first key at fault."""
    result = replace(base or ClientSettings(), **settings.values_from_mapping(SETTINGS, data))
    settings.check_all(SETTINGS, result)
    return result


def load_settings(
    file: str | Path | None = None,
    flags: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> ClientSettings:
    """Defaults < file < environment (``SMSIM_CLIENT_*``) < flags given (not None).

    ``flags`` maps keys to the values the command line gave. Each layer is checked as it
    is applied, and a refusal says where the value came from: ``config FILE: senders:
    ...``, ``SMSIM_CLIENT_SENDERS: ...``, ``--senders 0: ...``."""
    result = ClientSettings()
    if file is not None:
        data = settings.read_mapping_file(file)  # its refusals name the file already
        try:
            result = apply(data, result)
        except SettingError as exc:
            raise SettingError(f"config {file}: {exc}") from None
    environment = os.environ if environ is None else environ
    for name, text in settings.values_from_env(SETTINGS, environment).items():
        try:
            result = apply({name: text}, result)
        except SettingError as exc:
            raise SettingError(f"{BY_KEY[name].env}: {_reason(exc)}") from None
    for name, value in (flags or {}).items():
        if value is None:
            continue
        try:
            result = apply({name: value}, result)
        except SettingError as exc:
            shown = ",".join(value) if isinstance(value, list | tuple) else value
            raise SettingError(f"{BY_KEY[name].flag or name} {shown}: {_reason(exc)}") from None
    return result


def _reason(exc: SettingError) -> str:
    """A refusal without the key it starts with (``port: must be ...`` -> ``must be ...``)."""
    return str(exc).split(": ", 1)[-1]
