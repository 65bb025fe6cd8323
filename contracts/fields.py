"""Field-by-field validation against a contract schema, in the project's wording.

``contracts.validate`` answers "does this payload satisfy its contract" for machines (one
error, a JSON path). Input typed by people (a ``--config`` file, a control-API body, the
client's provider form) needs every problem named the way the rest of smsim names them::

    accounts[1].type: must be 'trial' or 'full', not 'gold'

:func:`field_errors` returns those, one per field, in the order the schema lists its
keywords. A schema chooses its own wording with the ``errorMessage`` annotation (ignored
by JSON Schema itself): a string for any failure of that subschema, or an object from
keyword (``type``, ``pattern``, ``enum``, ``minimum``, ``required``,
``additionalProperties``, ...) to message, with ``default`` for the rest. ``{value!r}``
in a message is the offending value. A missing property is reported at the property's
path with the property's own ``errorMessage.required`` (else "is required"); an unknown
property at its own path with the object's ``errorMessage.additionalProperties`` (else
"unknown field").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from smsim.contracts import (
    SCHEMA_BASE_URI,
    SCHEMA_SUFFIX,
    _fast_validator,
    _registry,
    format_checker,
    schema,
)

__all__ = ["FieldError", "field_errors", "first_error"]

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_REPR_LIMIT = 60


@dataclass(frozen=True)
class FieldError:
    """One problem: ``path`` like ``accounts[1].type`` ("" for the whole value)."""

    path: str
    message: str
    #: The path as keys and indexes, without ``where`` (``("numbers", 0)``).
    location: tuple[str | int, ...] = ()

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


def field_errors(name: str, instance: object, where: str = "") -> list[FieldError]:
    """Every field of ``instance`` that breaks schema ``name``, at most one per field.

    ``name`` is a schema name (``"rule"``) optionally followed by a JSON pointer into it
    (``"provider_input#/$defs/create"``); ``where`` prefixes every path (``"rules[0]"``).
    """
    fast = _fast_validator(name) if "#" not in name else None
    if fast is not None and fast.is_valid(instance):
        return []  # the common case, ~40x faster; any refusal is explained by jsonschema
    seen: dict[str, FieldError] = {}
    for error in _validator(name).iter_errors(instance):
        for found in _explain(error, where):
            seen.setdefault(found.path, found)
    return list(seen.values())


def first_error(name: str, instance: object, where: str = "") -> FieldError | None:
    """The first problem :func:`field_errors` would report, or None when valid."""
    errors = field_errors(name, instance, where)
    return errors[0] if errors else None


@cache
def _validator(name: str) -> Draft202012Validator:
    base, _, pointer = name.partition("#")
    schema(base)  # a KeyError listing the known names when there is no such schema
    reference = {"$ref": f"{SCHEMA_BASE_URI}{base}{SCHEMA_SUFFIX}#{pointer}"}
    return Draft202012Validator(reference, registry=_registry(), format_checker=format_checker())


def _explain(error: ValidationError, where: str) -> Iterator[FieldError]:
    path = list(error.absolute_path)
    subschema = error.schema if isinstance(error.schema, dict) else {}
    instance = error.instance
    if error.validator == "required" and isinstance(instance, dict):
        for key in error.validator_value:
            if key not in instance:
                own = subschema.get("properties", {}).get(key, {})
                message = _annotation(own, "required") or "is required"
                yield FieldError(_render(where, [*path, key]), message, (*path, key))
        return
    if error.validator == "additionalProperties" and isinstance(instance, dict):
        known = set(subschema.get("properties", {}))
        message = _annotation(subschema, "additionalProperties") or "unknown field"
        for key in _unknown(instance, known):
            yield FieldError(_render(where, [*path, key]), _fill(message, key), (*path, key))
        return
    message = _annotation(subschema, str(error.validator)) or _plain(error)
    yield FieldError(_render(where, path), _fill(message, instance), tuple(path))


def _unknown(instance: dict[Any, Any], known: set[str]) -> Iterable[Any]:
    return [key for key in instance if key not in known]


def _annotation(subschema: Any, keyword: str) -> str | None:
    if not isinstance(subschema, dict):
        return None
    note = subschema.get("errorMessage")
    if isinstance(note, str):
        return None if keyword in ("required", "additionalProperties") else note
    if isinstance(note, dict):
        found = note.get(keyword, note.get("default"))
        return found if isinstance(found, str) else None
    return None


def _plain(error: ValidationError) -> str:
    """jsonschema's own message, without the value it starts with when that is long."""
    text = str(error.message)
    if len(text) > 2 * _REPR_LIMIT:
        text = text[: 2 * _REPR_LIMIT - 3] + "..."
    return text


def _fill(message: str, value: object) -> str:
    if "{value" not in message:
        return message
    shown = repr(value)
    if len(shown) > _REPR_LIMIT:
        shown = shown[: _REPR_LIMIT - 3] + "..."
    return message.replace("{value!r}", shown)


def _render(where: str, parts: Iterable[Any]) -> str:
    out = where
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _IDENTIFIER.match(str(part)):
            out += f".{part}" if out else str(part)
        else:
            out += f"[{str(part)!r}]"
    return out
