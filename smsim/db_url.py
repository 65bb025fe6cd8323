"""Database URLs: telling a PostgreSQL URL from an SQLite path, checking it, and the form
of it that may be printed or logged (never its password).

No psycopg here: an SQLite-only install (without the ``postgres`` extra) imports this.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

SCHEMES = ("postgresql://", "postgres://")  # the URL schemes libpq accepts


def is_postgres_url(target: str | None) -> bool:
    """True for a ``postgresql://`` or ``postgres://`` URL."""
    return bool(target) and str(target).lower().startswith(SCHEMES)


def safe_url(url: str) -> str:
    """``url`` without its password (in the authority or as a ``password=`` parameter),
    fit for a banner, a log line or an error message."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port is not None else ""
    except ValueError:  # a port that is not a number: show the scheme only
        return url.split("://", 1)[0] + "://..."
    if ":" in host:  # an IPv6 address
        host = f"[{host}]"
    user = f"{parts.username}@" if parts.username else ""
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query) if k.lower() != "password"])
    return urlunsplit((parts.scheme, f"{user}{host}{port}", parts.path, query, ""))


def url_problem(url: str) -> str | None:
    """Why ``url`` is not a PostgreSQL URL libpq can use, or None if it is."""
    if not is_postgres_url(url):
        return "is not a postgresql:// URL"
    try:
        port = urlsplit(url).port
    except ValueError:
        return "has a port that is not a number from 0 to 65535"
    if port == 0:
        return "has port 0; name the port the server listens on"
    try:
        from psycopg import ProgrammingError, conninfo
    except ImportError:
        return None  # the store says psycopg is missing, with what to install
    try:
        conninfo.conninfo_to_dict(url)
    except ProgrammingError as exc:
        return f"is not a valid PostgreSQL URL ({one_line(exc)})"
    return None


def one_line(exc: BaseException) -> str:
    """An error's text on one line (libpq's messages span several; none holds the
    password)."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return "; ".join(lines[:2]) if lines else type(exc).__name__
