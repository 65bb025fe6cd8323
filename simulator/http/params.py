"""Parsing request parameters into domain values (the blueprints' only logic)."""

from __future__ import annotations

import datetime as dt
from email.utils import parsedate_to_datetime

from smsim.simulator.errors import TwilioError


def parse_date_or_datetime(name: str, raw: str) -> tuple[dt.date | None, float | None]:
    """``2024-01-02`` -> (date, None); ``2024-01-02T03:04:05Z`` or RFC 2822 -> (None, ts).

    Twilio documents GMT ``YYYY-MM-DD``; the SDK sends ISO datetimes (fidelity.md: Messages API).
    """
    text = raw.strip()
    try:
        if len(text) == 10:
            return dt.date.fromisoformat(text), None
        parsed = dt.datetime.fromisoformat(text.replace(" ", "T", 1))
    except ValueError:
        try:
            parsed = parsedate_to_datetime(text)
        except (TypeError, ValueError):
            raise TwilioError(20001, 400, f"Invalid {name} value: {raw}") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return None, parsed.timestamp()


def int_param(name: str, raw: str | None, default: int, low: int, high: int) -> int:
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise TwilioError(20001, 400, f"Invalid {name}: {raw}") from None
    if not low <= value <= high:
        raise TwilioError(20001, 400, f"{name} must be between {low} and {high}")
    return value


def sent_bounds(name: str, raw: str) -> tuple[float, float]:
    """The inclusive (first, last) instants a ``DateSent`` value names.

    ``DateSent`` itself always names a whole GMT day: Twilio documents it as
    ``YYYY-MM-DD``, and the official SDK sends a date as ``2026-11-27T00:00:00Z``, which
    must still mean "sent that day". ``DateSent<``/``DateSent>`` with a time are exact.
    """
    day, instant = parse_date_or_datetime(name, raw)
    if day is None:
        assert instant is not None
        if name != "DateSent":
            return instant, instant
        day = dt.datetime.fromtimestamp(instant, dt.UTC).date()
    start = dt.datetime.combine(day, dt.time(), dt.UTC).timestamp()
    return start, start + 86400 - 1e-6
