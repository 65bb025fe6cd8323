"""A fresh PostgreSQL database per test, on the server named by ``SMSIM_TEST_POSTGRES``.

The variable holds a URL of a server where the tests may create databases (a superuser's,
e.g. ``postgresql://postgres@127.0.0.1:5432/postgres``); ``.ci/run`` starts a throwaway
server and sets it. Each test gets ``CREATE DATABASE`` of its own, dropped after it (``WITH
(FORCE)``: a connection a test left open does not keep it). Without the variable the
PostgreSQL tests skip, except in CI (``CI=true``), where they fail: a PostgreSQL test that
skipped there would pass while testing nothing.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

import pytest

VARIABLE = "SMSIM_TEST_POSTGRES"


def server_url() -> str:
    """The test server's URL, or skip (fail in CI) when none is configured."""
    url = os.environ.get(VARIABLE, "")
    if not url:
        reason = f"{VARIABLE} is not set: no PostgreSQL server to test on"
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL tests must run in CI: {reason}", pytrace=False)
        pytest.skip(reason)
    return url


def database_url(server: str, name: str) -> str:
    """``server``'s URL naming database ``name`` instead."""
    parts = urlsplit(server)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, ""))


def admin(sql: str) -> None:
    """One statement on the test server's own database, outside any transaction."""
    import psycopg

    with psycopg.connect(server_url(), autocommit=True) as conn:
        conn.execute(sql)


@contextmanager
def fresh_database(prefix: str = "smsim_test") -> Iterator[str]:
    """A new, empty database; yields its URL and drops it afterwards."""
    server = server_url()
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin(f'CREATE DATABASE "{name}"')
    try:
        yield database_url(server, name)
    finally:
        admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
