"""Without the postgres extra (no psycopg), a PostgreSQL URL is refused with how to
install it, and the URL's password is not shown."""

from __future__ import annotations

import sys

import pytest

from smsim.migrations import DatabaseRefused
from smsim.simulator.store import open_store


def test_a_postgresql_url_without_psycopg_names_the_extra_and_hides_the_password(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "smsim.simulator.pg_store", None)  # import fails
    with pytest.raises(DatabaseRefused) as refused:
        open_store("postgresql://smsim:s3cret@db.example:5432/smsim")
    message = str(refused.value)
    assert 'pip install ".[postgres]"' in message
    assert "s3cret" not in message and "db.example:5432/smsim" in message
