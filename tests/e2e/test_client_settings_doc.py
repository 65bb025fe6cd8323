"""docs/client.md lists the client's settings as the settings table declares them: a
setting added, renamed or re-documented in client/settings_table.py fails here until the
doc says the same (paste the table `smsim.settings.markdown_table` renders)."""

from __future__ import annotations

from pathlib import Path

from smsim.client.settings_table import SETTINGS
from smsim.settings import markdown_table

DOC = Path(__file__).resolve().parents[2] / "docs" / "client.md"
START = "<!-- settings table: generated from client/settings_table.py"
END = "<!-- end of settings table -->"


def test_docs_client_md_lists_every_setting_as_declared() -> None:
    text = DOC.read_text(encoding="utf-8")
    after_start = text.split(START, 1)[1].split("\n", 1)[1]
    listed = after_start.split(END, 1)[0].strip()
    assert listed == markdown_table(SETTINGS)
