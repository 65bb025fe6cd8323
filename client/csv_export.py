"""CSV export of a campaign's per-recipient table (the dashboard's Export button)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from typing import Any

COLUMNS = (
    ("recipient", "recipient"),
    ("sid", "sid"),
    ("status", "status"),
    ("error_code", "error_code"),
    ("error_description", "error_description"),
    ("updated_at", "updated_at_iso"),
)
#: a cell starting with one of these is read as a formula by spreadsheets
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    # Recipients start with "+": a phone number, not a formula. Anything else that looks
    # like one (a Twilio message quoting user input) is neutralised with a quote.
    if text.startswith(_FORMULA_START) and not text[1:].isdigit():
        return "'" + text
    return text


def messages_csv(messages: Iterable[Mapping[str, Any]]) -> str:
    """A header row, then one row per message, columns as :data:`COLUMNS`."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([title for title, _ in COLUMNS])
    for message in messages:
        writer.writerow([_cell(message.get(key)) for _, key in COLUMNS])
    return out.getvalue()
