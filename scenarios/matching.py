"""Does an actual value contain what a scenario expects? And if not, where not?

Rules, chosen so that expectations stay short and failures stay readable:

- a mapping matches when every expected key is present and matches (extra keys are
  fine: an expectation names what matters);
- a list matches a list of the same length, item by item;
- a number matches its text (callback fields are strings: ``ErrorCode: 30005`` matches
  ``"30005"``); otherwise values must be equal;
- a mapping whose keys all start with ``$`` is a matcher: ``$contains``,
  ``$startswith``, ``$regex``, ``$gte``, ``$lte``, ``$gt``, ``$lt``, ``$approx``,
  ``$len``, ``$in``, ``$exists``, ``$not``.

:func:`compare` returns every :class:`Mismatch` (path, expected, actual), never just
"not equal", so a report can show exactly which field differed and how.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any


class _Missing:
    """The marker for a key that is not there; one instance, even across processes."""

    def __repr__(self) -> str:
        return "(missing)"

    def __reduce__(self) -> str:
        return "_MISSING"


_MISSING = _Missing()


@dataclass(frozen=True)
class Mismatch:
    """One difference: where, what was expected, what was there (and a hint)."""

    path: str
    expected: Any
    actual: Any
    note: str = ""


def missing() -> Any:
    """The marker used as ``actual`` for a key that is not there."""
    return _MISSING


def show(value: Any) -> str:
    """A value as a report shows it."""
    if value is _MISSING:
        return "(missing)"
    return repr(value)


def is_matcher(value: Any) -> bool:
    return isinstance(value, Mapping) and bool(value) and all(str(k).startswith("$") for k in value)


def loose_equal(expected: Any, actual: Any) -> bool:
    """Equality where a number also equals its text (``30005 == "30005"``)."""
    if expected == actual and type(expected) is not bool and type(actual) is not bool:
        return True
    if isinstance(expected, bool) or isinstance(actual, bool):
        return expected is actual
    if isinstance(expected, int | float) and isinstance(actual, str):
        return _num(actual) == expected
    if isinstance(expected, str) and isinstance(actual, int | float):
        return _num(expected) == actual
    return expected == actual


def _num(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def compare(expected: Any, actual: Any, path: str = "") -> list[Mismatch]:
    """Every way ``actual`` fails to match ``expected`` (empty when it matches)."""
    if is_matcher(expected):
        return _matcher(expected, actual, path)
    if isinstance(expected, Mapping):
        if not isinstance(actual, Mapping):
            return [Mismatch(path or "(value)", expected, actual, "expected a mapping")]
        out: list[Mismatch] = []
        for key, want in expected.items():
            key_path = f"{path}.{key}" if path else str(key)
            if key not in actual:
                found = _find_key(actual, key)
                if found is not _MISSING:
                    out.extend(compare(want, actual[found], key_path))
                    continue
                if is_matcher(want) and want.get("$exists") is False:
                    continue
                close = difflib.get_close_matches(str(key), [str(k) for k in actual], n=2)
                note = f"keys nearby: {', '.join(close)}" if close else ""
                out.append(Mismatch(key_path, want, _MISSING, note))
                continue
            out.extend(compare(want, actual[key], key_path))
        return out
    if isinstance(expected, list):
        if not isinstance(actual, list | tuple):
            return [Mismatch(path or "(value)", expected, actual, "expected a list")]
        if len(expected) != len(actual):
            return [Mismatch(path or "(value)", expected, list(actual), "lists differ in length")]
        out = []
        for i, (want, got) in enumerate(zip(expected, actual, strict=True)):
            out.extend(compare(want, got, f"{path}[{i}]"))
        return out
    if loose_equal(expected, actual):
        return []
    return [Mismatch(path or "(value)", expected, actual)]


def _find_key(actual: Mapping[Any, Any], key: Any) -> Any:
    """A YAML key ``30005`` also finds the JSON key ``"30005"`` (and the reverse)."""
    for candidate in actual:
        if str(candidate) == str(key):
            return candidate
    return _MISSING


def _matcher(spec: Mapping[str, Any], actual: Any, path: str) -> list[Mismatch]:
    out: list[Mismatch] = []
    for op, arg in spec.items():
        check = _OPERATORS.get(op)
        if check is None:
            known = ", ".join(_OPERATORS)
            out.append(Mismatch(path, spec, actual, f"unknown matcher {op} (known: {known})"))
            continue
        if actual is _MISSING and op != "$exists":
            out.append(Mismatch(path, spec, actual))
            continue
        try:
            ok = check(arg, actual)
        except (TypeError, ValueError, re.error) as exc:
            out.append(Mismatch(path, {op: arg}, actual, f"cannot apply {op}: {exc}"))
            continue
        if not ok:
            out.append(Mismatch(path or "(value)", {op: arg}, actual))
    return out


def _number(value: Any) -> float:
    if isinstance(value, bool) or value is None:
        raise TypeError(f"{value!r} is not a number")
    return float(value)


def _approx(arg: Any, actual: Any) -> bool:
    if isinstance(arg, Mapping):
        target, tolerance = float(arg["value"]), float(arg.get("tolerance", 1e-4))
    else:
        target, tolerance = float(arg), 1e-4
    return math.isclose(_number(actual), target, abs_tol=tolerance)


_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "$contains": lambda arg, actual: (
        str(arg) in actual if isinstance(actual, str) else any(loose_equal(arg, a) for a in actual)
    ),
    "$startswith": lambda arg, actual: str(actual).startswith(str(arg)),
    "$regex": lambda arg, actual: re.search(str(arg), str(actual)) is not None,
    "$gte": lambda arg, actual: _number(actual) >= _number(arg),
    "$lte": lambda arg, actual: _number(actual) <= _number(arg),
    "$gt": lambda arg, actual: _number(actual) > _number(arg),
    "$lt": lambda arg, actual: _number(actual) < _number(arg),
    "$approx": _approx,
    "$len": lambda arg, actual: len(actual) == int(arg),
    "$in": lambda arg, actual: any(loose_equal(a, actual) for a in arg),
    "$exists": lambda arg, actual: (actual is not _MISSING) == bool(arg),
    "$not": lambda arg, actual: bool(compare(arg, actual)),
}
