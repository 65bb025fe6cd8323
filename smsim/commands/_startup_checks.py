"""Checks a command runs on its arguments before it starts anything.

Each check raises :class:`StartupError` whose text is the one line the user reads: the
flag and value at fault, what is wrong, and what to do. Commands print it after their own
name and exit 2, instead of failing later with a traceback after a database was created,
a port half-bound or (``smsim verify``) callbacks already posted.

Nothing here writes: paths are judged with ``stat``/``access``, and a port by binding a
throwaway socket that is closed at once.
"""

from __future__ import annotations

import errno
import logging
import os
import socket
import sys
from pathlib import Path
from urllib.parse import urlsplit

from smsim.db_url import is_postgres_url, safe_url, url_problem

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class StartupError(Exception):
    """A mistake in how a command was started; ``str()`` is one line naming the fix."""


def refuse(command: str, message: object) -> int:
    """Print ``command: message`` on stderr as the one line a refused start shows, and
    return the exit status for it (2)."""
    print(f"{command}: {message}", file=sys.stderr)
    return 2


def log_level(value: str, flag: str = "--log-level") -> int:
    """The numeric level for a level name such as ``info``."""
    name = value.strip().upper()
    if name not in LOG_LEVELS:
        raise StartupError(f"{flag} {value}: not a log level; use one of {', '.join(LOG_LEVELS)}")
    return int(logging.getLevelName(name))


def port_number(port: int, flag: str = "--port") -> None:
    """A TCP port: 1-65535, or 0 for a free one."""
    if not 0 <= port <= 65535:
        raise StartupError(f"{flag} {port}: must be 0-65535 (0 picks a free port)")


def server_start(bind_host: str, port: int, database: str | None) -> None:
    """Every mistake a server's start can catch before it opens its database (a file or
    a PostgreSQL URL, or None for none to check) or binds its port."""
    host(bind_host)
    port_number(port)
    if database:
        database_target(database)
    port_free(bind_host, port)


def host(name: str, flag: str = "--host") -> None:
    """A bind address that resolves (a name that does not would fail inside waitress)."""
    try:
        socket.getaddrinfo(name, None, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (socket.gaierror, UnicodeError) as exc:
        raise StartupError(
            f"{flag} {name}: cannot be resolved ({_reason(exc)}); use an address of this"
            " machine such as 127.0.0.1, or 0.0.0.0 for every interface"
        ) from None


def port_free(name: str, port: int, host_flag: str = "--host", port_flag: str = "--port") -> None:
    """Bind ``name:port`` as the server will (SO_REUSEADDR, as waitress sets it) and let
    go at once; port 0 is always free."""
    if port == 0:
        return
    addresses = {
        (family, address[:2])
        for family, _, _, _, address in socket.getaddrinfo(
            name, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )
    }
    for family, address in sorted(addresses):
        probe = socket.socket(family, socket.SOCK_STREAM)
        try:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(address)
        except OSError as exc:
            raise _bind_error(exc, name, port, host_flag, port_flag) from None
        finally:
            probe.close()


def _bind_error(exc: OSError, name: str, port: int, host_flag: str, port_flag: str) -> StartupError:
    if exc.errno == errno.EADDRINUSE:
        return StartupError(
            f"{port_flag} {port}: already in use on {name} (is another server running?);"
            f" stop it, choose another port, or use {port_flag} 0 for a free one"
        )
    if exc.errno == errno.EADDRNOTAVAIL:
        return StartupError(
            f"{host_flag} {name}: not an address of this machine; use 127.0.0.1, 0.0.0.0"
            " or one of this machine's own addresses"
        )
    if exc.errno == errno.EACCES:
        return StartupError(
            f"{port_flag} {port}: not allowed to listen there (ports below 1024 need"
            " privileges); choose a port from 1024 up"
        )
    return StartupError(f"{host_flag} {name} {port_flag} {port}: cannot listen ({_reason(exc)})")


def database_target(target: str, flag: str = "--db") -> None:
    """An SQLite path (see :func:`database_path`) or a PostgreSQL URL libpq can parse.
    Whether the server answers, and the database is smsim's, is the store's check; a
    message never shows the URL's password."""
    if not is_postgres_url(target):
        database_path(target, flag)
        return
    problem = url_problem(target)
    if problem:
        raise StartupError(f"{flag} {safe_url(target)}: {problem}")


def database_path(path: str, flag: str = "--db") -> None:
    """A place SQLite can create or open read-write, with its journal files beside it.

    Whether an existing file is the right kind of database is the store's check
    (:class:`smsim.migrations.DatabaseRefused`), made before it writes anything.
    """
    _writable_file(path, flag, example="smsim.db", what="database")


_EXAMPLES = {"--json": "report.json", "--ready-file": "ready.json"}


def report_path(path: str, flag: str) -> None:
    """A file written once the work is done or the server answers (``--junit``,
    ``--json``, ``--ready-file``): its folder must exist and be writable now."""
    example = _EXAMPLES.get(flag, "report.xml")
    _writable_file(path, flag, example=example, what="report")


def _writable_file(path: str, flag: str, *, example: str, what: str) -> None:
    target = Path(path)
    if target.is_dir():
        raise StartupError(f"{flag} {path}: is a folder; give a file path, e.g. {target / example}")
    folder = target.parent
    if not folder.exists():
        raise StartupError(
            f"{flag} {path}: folder {folder} does not exist; create it first or choose another path"
        )
    if not folder.is_dir():
        raise StartupError(f"{flag} {path}: {folder} is not a folder; choose another path")
    if target.exists() and not os.access(target, os.R_OK | os.W_OK):
        raise StartupError(
            f"{flag} {path}: the {what} file is read-only here; make it writable or choose"
            " another file"
        )
    if not os.access(folder, os.W_OK | os.X_OK):
        raise StartupError(
            f"{flag} {path}: folder {folder} is read-only here; choose a writable folder"
        )


def http_url(url: str, flag: str) -> None:
    """An absolute http(s) URL with a host and, if any, a valid port."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise StartupError(f"{flag} {url}: must be an http:// or https:// URL with a host")
    try:
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError:
        raise StartupError(f"{flag} {url}: the port must be a number 0-65535") from None


def public_url(url: str, flag: str) -> None:
    """An http(s) URL with a host Twilio accepts in callback URLs (no underscore)."""
    http_url(url, flag)
    hostname = urlsplit(url).hostname or ""
    if "_" in hostname:
        # Twilio's StatusCallback: "URL must contain a valid hostname and underscores are not
        # allowed" (https://www.twilio.com/docs/messaging/api/message-resource), so every
        # callback URL built from this one would be refused.
        raise StartupError(
            f"{flag} {url}: the host {hostname} has an underscore, which Twilio refuses"
            " in callback URLs; use a host name without underscores"
        )


def _reason(exc: BaseException) -> str:
    text = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    return text or type(exc).__name__
