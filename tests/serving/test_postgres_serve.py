"""`smsim serve --db postgresql://...` as a user runs it: it serves and delivers from the
database, the banner and /_smsim/health name the engine and the URL without its
password, and a restart on the same database finds the messages again."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import pytest
import requests
from serving_helpers import poll

from smsim.testing import ServeProcess

pytestmark = pytest.mark.slow  # real `smsim serve` processes


def _with_password(url: str, password: str) -> str:
    """``url`` with a password (ignored by the test server's trust authentication)."""
    parts = urlsplit(url)
    login = f"{parts.username}:{password}@{parts.hostname}:{parts.port}"
    return urlunsplit((parts.scheme, login, parts.path, parts.query, ""))


def test_serve_on_postgresql_delivers_shows_no_password_and_keeps_messages(
    postgres_url: str,
) -> None:
    url = _with_password(postgres_url, "hunter2")
    server = ServeProcess("--db", url)
    try:
        health = requests.get(f"{server.url}/_smsim/health", timeout=10).json()
        assert health["engine"] == "postgresql"
        assert health["store"].startswith("postgresql://") and "hunter2" not in health["store"]
        sid, token = server.full_account
        messages = f"{server.url}/2010-04-01/Accounts/{sid}/Messages.json"
        created = requests.post(
            messages,
            data={"To": "+14155550100", "From": "+15005550006", "Body": "kept"},
            auth=(sid, token),
            timeout=10,
        ).json()

        def status() -> str:
            fetched = requests.get(
                messages.replace(".json", f"/{created['sid']}.json"), auth=(sid, token), timeout=10
            )
            return str(fetched.json()["status"])

        poll(lambda: status() == "delivered", 30, "the message delivered on the real clock")
    finally:
        server.stop()
    banner = "".join(server.lines)
    assert "store: postgresql://" in banner and "hunter2" not in banner
    again = ServeProcess("--db", url)  # a restart: the same accounts and messages
    try:
        assert again.full_account == (sid, token)
        listed = requests.get(
            messages.replace(server.url, again.url), auth=(sid, token), timeout=10
        )
        assert [m["body"] for m in listed.json()["messages"]] == ["kept"]
    finally:
        again.stop()
