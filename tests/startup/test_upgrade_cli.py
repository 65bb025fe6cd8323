"""A user upgrading smsim keeps their data: both servers start on a database the release
before versioning wrote, serve its rows, and leave the file stamped."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests
from startup_helpers import (
    CLIENT_V0,
    SIMULATOR_V0,
    V0_FULL_ACCOUNT,
    V0_MESSAGE,
    copy_fixture,
    header,
)

from smsim.client.migrations import MIGRATIONS as CLIENT_MIGRATIONS
from smsim.migrations import CLIENT, SIMULATOR, latest_version
from smsim.simulator.migrations import MIGRATIONS as SIMULATOR_MIGRATIONS
from smsim.testing import ServeProcess


@pytest.mark.slow
def test_smsim_serve_upgrades_an_old_database_and_serves_its_messages(tmp_path: Path) -> None:
    db = copy_fixture(SIMULATOR_V0, tmp_path)
    server = ServeProcess("--db", str(db))
    try:
        sid, token = server.full_account
        assert sid == V0_FULL_ACCOUNT  # the stored account, not a freshly seeded one
        assert len(server.accounts) == 2
        message = requests.get(
            f"{server.url}/2010-04-01/Accounts/{sid}/Messages/{V0_MESSAGE}.json",
            auth=(sid, token),
            timeout=10,
        ).json()
        assert (message["body"], message["status"]) == ("legacy hello", "delivered")
    finally:
        server.stop()
    assert header(db) == (SIMULATOR.application_id, latest_version(SIMULATOR_MIGRATIONS))


@pytest.mark.slow
def test_smsim_client_serve_upgrades_an_old_database_and_lists_its_provider(
    tmp_path: Path,
) -> None:
    db = copy_fixture(CLIENT_V0, tmp_path)
    server = ServeProcess("--db", str(db), command=("client", "serve"))
    try:
        providers = requests.get(f"{server.url}/api/providers", timeout=10).json()["providers"]
        assert [p["nickname"] for p in providers] == ["legacy"]
    finally:
        server.stop()
    assert header(db) == (CLIENT.application_id, latest_version(CLIENT_MIGRATIONS))
