"""Migration 6 (Media and Feedback): a database whose MMS messages were stored before
Media resources existed upgrades with a Media resource for each of their URLs; the
resources then survive a restart like every other row."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from startup_helpers import SIMULATOR_V0, V0_FULL_ACCOUNT, V0_MESSAGE, copy_fixture

from smsim.migrations import SIMULATOR, migrate
from smsim.simulator.config import SimulatorConfig
from smsim.simulator.engine import Engine
from smsim.simulator.messages import CreateRequest
from smsim.simulator.migrations import MIGRATIONS

LEGACY_MMS = "MM" + "1" * 32
URLS = ["https://cdn.example.com/a.png", "https://cdn.example.com/b"]


def _engine(db: Path) -> Engine:
    return Engine(SimulatorConfig(db_path=str(db), port=0, clock="virtual"))


def test_mms_stored_before_media_resources_gets_one_per_url(tmp_path: Path) -> None:
    db = copy_fixture(SIMULATOR_V0, tmp_path)
    conn = sqlite3.connect(db, isolation_level=None)
    migrate(conn, SIMULATOR, MIGRATIONS[:5], str(db))  # the schema just before media
    conn.execute(
        "INSERT INTO messages (sid, account_sid, direction, from_number, to_number, body,"
        " status, num_segments, num_media, date_created, date_updated, extra)"
        " VALUES (?, ?, 'outbound-api', '+15005550006', '+14155550100', '', 'delivered',"
        " 1, 2, 1700000000.0, 1700000000.0, ?)",
        (LEGACY_MMS, V0_FULL_ACCOUNT, json.dumps({"media_urls": URLS})),
    )
    conn.close()

    engine = _engine(db)
    try:
        page = engine.subresources.media.page(
            V0_FULL_ACCOUNT, LEGACY_MMS, (None, None), 50, 0, None
        )
        text_only = engine.subresources.media.page(
            V0_FULL_ACCOUNT, V0_MESSAGE, (None, None), 50, 0, None
        )
    finally:
        engine.close()

    assert [(m.url, m.content_type) for m in page.items] == [
        (URLS[0], "image/png"),
        (URLS[1], "application/octet-stream"),
    ]
    assert {m.date_created for m in page.items} == {1700000000.0}
    assert all(m.sid.startswith("ME") and len(m.sid) == 34 for m in page.items)
    assert text_only.items == []


def test_media_survive_a_restart(tmp_path: Path) -> None:
    db = tmp_path / "smsim.db"
    engine = _engine(db)
    try:
        account = next(a for a in engine.accounts.all() if a.type == "Full")
        form = {"To": "+14155550100", "From": "+15005550006", "Body": "pics"}
        message = engine.messages.create(account, CreateRequest.from_form(form, URLS))
    finally:
        engine.close()

    engine = _engine(db)
    try:
        page = engine.subresources.media.page(account.sid, message.sid, (None, None), 50, 0, None)
    finally:
        engine.close()

    assert [m.url for m in page.items] == URLS
