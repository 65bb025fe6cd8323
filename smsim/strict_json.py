"""Reading a JSON request body strictly: the one parser behind every JSON route.

Python's ``json`` module is lenient where a server must not be:

- it accepts ``NaN``, ``Infinity`` and ``-Infinity``, which are not JSON (RFC 8259 §6):
  stored, they make every later answer that shows them invalid JSON (``JSON.parse``
  in a browser or in Node throws);
- it reads ``1e400`` as infinity, and integers of any size, which SQLite cannot store
  (past 2**63 - 1 it raises ``OverflowError``);
- it recurses once per nesting level, so 100,000 ``[`` end in ``RecursionError``.

:func:`loads` refuses all of these with a :class:`JsonInputError` that names where the
problem is (``rules[0].count: ...``), so each surface turns it into its own 400.
"""

from __future__ import annotations

import json
import math
from typing import Any

#: Levels of arrays and objects a body may nest; every smsim body needs fewer than 10.
MAX_DEPTH = 32
#: The range of an integer SQLite stores (and so of every id, count and number smsim keeps).
MAX_INTEGER = 2**63 - 1
MIN_INTEGER = -(2**63)


class JsonInputError(ValueError):
    """A body smsim does not take; ``where`` is the field path (``""`` for the body)."""

    def __init__(self, where: str, problem: str) -> None:
        self.where = where or "body"
        self.problem = problem
        super().__init__(f"{self.where}: {problem}")


def loads(raw: bytes | str) -> Any:
    """The value of a JSON body (UTF-8), or :class:`JsonInputError`."""
    if isinstance(raw, bytes):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise JsonInputError("", f"not UTF-8 (byte {exc.start})") from None
    else:
        text = raw
    try:
        # NaN, Infinity and 1e400 parse as floats here; check() names where they are
        value = json.loads(text)
    except RecursionError:
        raise JsonInputError(
            "", f"nested too deeply (at most {MAX_DEPTH} levels of arrays and objects)"
        ) from None
    except ValueError as exc:  # JSONDecodeError, or an integer of over 4,300 digits
        raise JsonInputError("", f"not a valid JSON object ({exc})") from None
    check(value)
    return value


def check(value: Any) -> None:
    """Refuse nesting past :data:`MAX_DEPTH`, integers SQLite cannot store and
    non-finite numbers anywhere in ``value`` (an iterative walk: no recursion)."""
    stack: list[tuple[Any, str, int]] = [(value, "", 1)]
    while stack:
        item, where, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > MAX_DEPTH:
                raise JsonInputError(
                    where,
                    f"nested too deeply (at most {MAX_DEPTH} levels of arrays and objects)",
                )
            if isinstance(item, dict):
                for key, child in item.items():
                    name = key if len(key) <= 60 else key[:57] + "..."
                    stack.append((child, f"{where}.{name}" if where else name, depth + 1))
            else:
                for index, child in enumerate(item):
                    stack.append((child, f"{where}[{index}]", depth + 1))
        elif isinstance(item, bool):
            continue
        elif isinstance(item, int):
            if not MIN_INTEGER <= item <= MAX_INTEGER:
                digits = len(str(abs(item)))
                shown = str(item) if digits <= 30 else f"a {digits}-digit integer"
                raise JsonInputError(
                    where, f"{shown} is out of range (integers are at most {MAX_INTEGER})"
                )
        elif isinstance(item, float) and not math.isfinite(item):
            raise JsonInputError(
                where, "must be a finite number (NaN and Infinity are not JSON numbers)"
            )


def dumps(value: Any, **options: Any) -> str:
    """``json.dumps`` that refuses to write NaN or Infinity (which would not be JSON)."""
    return json.dumps(value, allow_nan=False, **options)
