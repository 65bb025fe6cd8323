"""The limits on every number a person types into a rule or the configuration.

The rule's limits are stated in ``contracts/schemas/rule.schema.json`` too (a test keeps
the two the same).

A number outside them is refused naming its field (a 400 on the control API, exit 2 for
``--config``), never stored: ``NaN`` or ``Infinity`` made ``GET /_smsim/rules`` invalid
JSON, an integer past SQLite's 64 bits failed the insert with a 500, and a delay of
``1e308`` put a message's next step past any clock. The limits are documented in
docs/control-api.md ("Limits on numbers"); together they keep the whole life of a message (a
``SendAt`` up to 7 days ahead, a sender queue up to its ``ValidityPeriod``, the steps'
delays, all divided by ``speed``) within the year ``run-until-idle`` moves the clock.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

MAX_DELAY_SECONDS = 7 * 86_400  # a step at most a week after the message leaves its queue
DELAY_RANGE = f"from 0 to {MAX_DELAY_SECONDS} (7 days)"
MAX_JITTER = 1.0  # +/- 100% of a delay
MIN_SPEED = 0.1  # ten times slower than real time
MAX_SPEED = 1_000_000.0
MAX_RULE_COUNT = 1_000_000_000
MAX_ERROR_CODE = 99_999  # Twilio's error codes have five digits
# A concatenated SMS counts its parts in one byte (3GPP TS 23.040, 9.2.3.24.1)
MAX_INBOUND_SEGMENTS = 255
MAX_PRICE_USD = 100.0  # per segment, in a price_table
MAX_THREADS = 256
MAX_WEBHOOK_WORKERS = 1_024
# SQLite stores integers in 64 bits (https://www.sqlite.org/datatype3.html)
SQLITE_MIN_INTEGER = -(2**63)
SQLITE_MAX_INTEGER = 2**63 - 1

NON_FINITE = "must be a finite number (NaN and Infinity are not accepted)"


def first_non_finite(value: Any, where: str) -> str | None:
    """The path (``rules[0].probability``) of the first ``NaN`` or infinite number
    anywhere in ``value`` (mappings and lists walked), or None when every number is
    finite. YAML writes them ``.nan`` and ``.inf``; Python's JSON parser reads ``NaN``
    and ``Infinity``; JSON Schema's ``minimum``/``maximum`` let ``NaN`` through."""
    if isinstance(value, float):
        return None if math.isfinite(value) else where
    if isinstance(value, Mapping):
        for key, item in value.items():
            found = first_non_finite(item, f"{where}.{key}" if where else str(key))
            if found is not None:
                return found
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            found = first_non_finite(item, f"{where}[{index}]")
            if found is not None:
                return found
    return None


def in_range(value: float, low: float, high: float) -> bool:
    """True for a finite ``value`` from ``low`` to ``high`` (``NaN`` is never in range)."""
    return math.isfinite(value) and low <= value <= high
