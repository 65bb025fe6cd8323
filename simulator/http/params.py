"""Parsing request parameters into domain values (the blueprints' only logic)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import parse_qsl

from flask import request

from smsim import strict_json, websafety
from smsim.contracts import callback_url
from smsim.contracts.wire import FORM_CONTENT_TYPE
from smsim.simulator.errors import TwilioError

# A percent escape of a byte >= 0x80: only these can spell invalid UTF-8.
_HIGH_ESCAPE = re.compile(r"%[89a-fA-F][0-9a-fA-F]")


def require_utf8_form() -> None:
    """Refuse a form body that is not UTF-8 (Twilio's API is UTF-8 throughout).

    Werkzeug's form parser drops a whole body it cannot decode, so without this check a
    request whose ``To`` holds one stray byte would be answered "'To' is required". Raw
    bytes are decoded once; percent escapes are re-read strictly only when they can spell
    a non-ASCII byte, so plain ASCII forms (the usual case) cost one decode.
    """
    if request.mimetype != FORM_CONTENT_TYPE:
        return
    check_utf8_form(request.get_data(cache=True))


def check_utf8_form(raw: bytes) -> str:
    """The body of a form as text, or 20001 if it is not UTF-8 (see
    :func:`require_utf8_form`)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _not_utf8(f"byte 0x{raw[exc.start]:02x} at position {exc.start}") from None
    if _HIGH_ESCAPE.search(text):
        try:
            parse_qsl(text, keep_blank_values=True, encoding="utf-8", errors="strict")
        except UnicodeDecodeError:
            raise _not_utf8("a percent-encoded parameter") from None
    return text


def _not_utf8(where: str) -> TwilioError:
    return TwilioError(
        20001,
        400,
        f"The request body is not valid UTF-8 ({where}); "
        f"send form parameters as UTF-8, {FORM_CONTENT_TYPE}",
    )


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
    """An integer query parameter between ``low`` and ``high``, ``default`` when absent
    or empty; 20001 (400) for anything but ASCII digits (``int`` also reads Arabic-Indic and
    other scripts' digits, and ' 5', '+5', '5_0') or a value out of range."""
    if raw is None or raw == "":
        return default
    negative = raw.startswith("-") and low < 0
    digits = raw[1:] if negative else raw
    if not (digits.isascii() and digits.isdigit()):
        raise TwilioError(20001, 400, f"Invalid {name}: {raw[:40]} (must be an integer)")
    # more than 19 digits is out of any range here (and spares int() a huge string)
    value = int(digits) if len(digits) <= 19 else 10**19
    value = -value if negative else value
    if not low <= value <= high:
        raise TwilioError(20001, 400, f"{name} must be between {low} and {high}")
    return value


#: Twilio's PageSize: 1 to 1,000, 50 when absent (the API reference's list operations).
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000
MAX_PAGE_NUMBER = 10**9
_PAGE_TOKEN = re.compile(r"PA[0-9A-Za-z]{1,64}")


@dataclass(frozen=True)
class Paging:
    """The paging parameters of a Twilio list request."""

    size: int
    number: int
    token: str | None


def paging(args: Mapping[str, str]) -> Paging:
    """``PageSize``, ``Page`` and ``PageToken`` of a list request: the one rule every
    Twilio list route (2010 API and v1) checks them by, with the same error (20001, 400;
    docs/fidelity.md, Messages API). A token is ``PA`` and a few ASCII letters or digits
    (what smsim and Twilio issue); anything else is refused here, before a list reads it
    (``PA`` and 5,000 digits was a 500: ``int()`` refuses that many)."""
    token = args.get("PageToken") or None
    if token is not None and not _PAGE_TOKEN.fullmatch(token):
        raise TwilioError(20001, 400, f"Invalid PageToken {token[:80]}")
    return Paging(
        size=int_param("PageSize", args.get("PageSize"), DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE),
        number=int_param("Page", args.get("Page"), 0, 0, MAX_PAGE_NUMBER),
        token=token,
    )


# The largest integer SQLite stores: a filter or cursor past it cannot match a row.
SQLITE_MAX_INTEGER = 2**63 - 1


def whole_number(name: str, raw: str | None) -> int | None:
    """A non-negative integer query parameter, None when absent (``None`` or empty);
    20001 (400) for anything but ASCII digits (``str.isdigit`` also accepts '²', which
    ``int`` refuses) or a value past what SQLite stores."""
    if raw is None or raw == "":
        return None
    if not (raw.isascii() and raw.isdigit()) or int(raw) > SQLITE_MAX_INTEGER:
        raise TwilioError(20001, 400, f"{name}: must be a positive integer")
    return int(raw)


def required_whole_number(name: str, raw: str) -> int:
    """:func:`whole_number` for a parameter that must have a value: the caller passes the
    query's text or its default as text, so ``limit=`` (empty) is refused, not defaulted."""
    value = whole_number(name, raw or "-")
    assert value is not None
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
        try:
            day = dt.datetime.fromtimestamp(instant, dt.UTC).date()
        except (OverflowError, ValueError):  # 9999-12-31T23:59:59-14:00 is in year 10000
            raise TwilioError(20001, 400, f"Invalid {name} value: {raw[:100]}") from None
    start = dt.datetime.combine(day, dt.time(), dt.UTC).timestamp()
    return start, start + 86400 - 1e-6


def json_object() -> dict[str, Any]:
    """The JSON object a control route was sent, ``{}`` for no body; any other body is
    refused, never ignored (``request.data`` is empty for a form, which used to pass as
    "no body"). Every JSON body is read here, strictly (:mod:`smsim.strict_json`): no
    NaN or Infinity, no integer SQLite cannot store, no nesting past a few levels."""
    if not request.get_data(cache=True):
        return {}
    if not request.is_json:
        raise TwilioError(20001, 415, websafety.JSON_REQUIRED)
    try:
        data = strict_json.loads(request.get_data(cache=True))
    except strict_json.JsonInputError as exc:
        raise TwilioError(20001, 400, f"{exc}; nothing was changed") from None
    if not isinstance(data, dict):
        raise TwilioError(20001, 400, "Request body must be a JSON object")
    return data


def webhook_url(field: str, raw: str | None, code: int) -> str | None:
    """A webhook URL parameter (``StatusCallback``, ``SmsUrl``, ``sms_url``...), None
    when absent or empty, else the URL; ``code`` (400) naming ``field`` when Twilio would
    refuse it (:mod:`smsim.contracts.callback_url`: absolute http(s), a valid host, no
    whitespace, a sane length). Every route that takes a webhook URL reads it here."""
    if raw is None or raw == "":
        return None
    problem = callback_url.problem(raw)
    if problem is not None:
        raise TwilioError(code, 400, f"{field}: not a valid http(s) URL ({problem}): {raw[:200]}")
    return raw
