"""Contracts: JSON Schemas for every payload smsim exchanges, and the error-code catalogue.

``validate(name, instance)`` checks ``instance`` against ``schemas/<name>.schema.json``
(JSON Schema 2020-12, formats checked) and raises :class:`ContractError` naming the
schema, the JSON path and the offending value. Any ``*.schema.json`` dropped in
``schemas/`` is picked up; schemas may ``$ref`` each other by file name
(``"$ref": "message.schema.json"``). Validators are compiled once per process.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from email.utils import parsedate_to_datetime
from functools import cache
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError, best_match
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SCHEMA_SUFFIX = ".schema.json"
SCHEMA_BASE_URI = "https://schemas.smsim.invalid/"
_VALUE_REPR_LIMIT = 80

__all__ = ["MISSING", "ContractError", "schema", "schema_names", "validate", "validator"]


class ContractError(ValueError):
    """An instance does not satisfy a schema.

    ``str(error)`` reads like ``message: $.messages[0].num_segments = 1: 1 is not of type
    'string'``; the parts are also attributes for programmatic use.
    """

    def __init__(self, schema_name: str, path: str, value: object, reason: str) -> None:
        self.schema_name = schema_name
        self.path = path
        self.value = value
        self.reason = reason
        super().__init__(f"{schema_name}: {path} = {_short_repr(value)}: {reason}")


def _short_repr(value: object) -> str:
    text = repr(value)
    if len(text) > _VALUE_REPR_LIMIT:
        text = text[: _VALUE_REPR_LIMIT - 3] + "..."
    return text


_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def json_path(parts: Any) -> str:
    """A JSONPath-like rendering of a jsonschema error path: ``$.a[0]['b-c']``."""
    out = "$"
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _IDENTIFIER.match(str(part)):
            out += f".{part}"
        else:
            out += f"[{str(part)!r}]"
    return out


def _schemas_dir() -> Any:
    return resources.files(__package__).joinpath("schemas")


@cache
def _raw_schemas() -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for entry in _schemas_dir().iterdir():
        if entry.name.endswith(SCHEMA_SUFFIX):
            name = entry.name[: -len(SCHEMA_SUFFIX)]
            document = json.loads(entry.read_text(encoding="utf-8"))
            # Give every schema a base URI so file-name $refs resolve even without $id.
            document.setdefault("$id", SCHEMA_BASE_URI + entry.name)
            found[name] = document
    return found


def schema_names() -> list[str]:
    """Names of all schemas (file names without ``.schema.json``), sorted."""
    return sorted(_raw_schemas())


def schema(name: str) -> dict[str, Any]:
    """The parsed schema ``name`` (a deep copy: callers may modify it freely)."""
    try:
        document = _raw_schemas()[name]
    except KeyError:
        raise KeyError(f"no schema named {name!r}; known: {', '.join(schema_names())}") from None
    copy: dict[str, Any] = json.loads(json.dumps(document))
    return copy


@cache
def _registry() -> Registry:
    resources_ = [
        (document["$id"], Resource.from_contents(document, default_specification=DRAFT202012))
        for document in _raw_schemas().values()
    ]
    return Registry().with_resources(resources_).crawl()


def _is_rfc2822(value: object) -> bool:
    if not isinstance(value, str):
        return True
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return False
    return parsed.tzinfo is not None


_RFC3339 = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$",
)


def _is_date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not _RFC3339.match(value):
        return False
    try:
        datetime.fromisoformat(value.replace("z", "Z"))
    except ValueError:
        return False
    return True


def _is_uri(value: object) -> bool:
    if not isinstance(value, str):
        return True
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return bool(parts.scheme) and bool(parts.netloc or parts.path) and " " not in value


@cache
def format_checker() -> FormatChecker:
    """jsonschema's format checker plus the formats Twilio's payloads use.

    ``date-time-rfc-2822`` is Twilio's own format name; ``date-time`` and ``uri`` are
    implemented here so that no optional jsonschema dependency is needed.
    """
    checker = FormatChecker()
    checker.checks("date-time-rfc-2822")(_is_rfc2822)
    checker.checks("date-time")(_is_date_time)
    checker.checks("uri")(_is_uri)
    return checker


@cache
def validator(name: str) -> Draft202012Validator:
    """The compiled validator for schema ``name`` (cached)."""
    document = _raw_schemas().get(name)
    if document is None:
        schema(name)  # raises the KeyError that lists the known names
    return Draft202012Validator(document, registry=_registry(), format_checker=format_checker())


class _Missing:
    def __repr__(self) -> str:
        return "<missing>"


MISSING = _Missing()


def _locate(error: ValidationError) -> tuple[list[Any], object]:
    """The path and value to report: for a missing or unexpected property, the property."""
    path = list(error.absolute_path)
    instance = error.instance
    if isinstance(instance, dict):
        if error.validator == "required":
            missing = [key for key in error.validator_value if key not in instance]
            if missing:
                return [*path, missing[0]], MISSING
        if error.validator == "additionalProperties" and error.validator_value is False:
            known = set(error.schema.get("properties", {}))
            patterns = [re.compile(p) for p in error.schema.get("patternProperties", {})]
            for key in instance:
                if key not in known and not any(p.search(key) for p in patterns):
                    return [*path, key], instance[key]
    return path, instance


@cache
def _fast_validator(name: str) -> Any:
    """A jsonschema-rs validator for ``name`` (Rust; ~100x faster), or None when the
    library is missing or cannot compile the schema. It only answers "valid or not":
    every refusal is re-checked by ``jsonschema``, which writes the error message, and
    whose verdict wins. Integrations validate every callback, so this is a hot path."""
    try:
        import jsonschema_rs
    except ImportError:  # optional speed-up
        return None
    documents = {doc["$id"]: doc for doc in _raw_schemas().values()}
    try:
        return jsonschema_rs.validator_for(
            _raw_schemas()[name],
            formats={
                "date-time-rfc-2822": _is_rfc2822,
                "date-time": _is_date_time,
                "uri": _is_uri,
            },
            validate_formats=True,
            retriever=lambda uri: documents[uri],
        )
    except Exception:  # any schema it cannot handle: the pure-Python path serves
        return None


def validate(name: str, instance: object) -> None:
    """Raise :class:`ContractError` unless ``instance`` satisfies schema ``name``."""
    fast = _fast_validator(name) if name in _raw_schemas() else None
    if fast is not None and fast.is_valid(instance):
        return
    error = best_match(validator(name).iter_errors(instance))
    if error is None:
        return
    path, value = _locate(error)
    reason = error.message.replace(repr(error.instance), _short_repr(error.instance))
    if len(reason) > 2 * _VALUE_REPR_LIMIT:
        reason = reason[: 2 * _VALUE_REPR_LIMIT - 3] + "..."
    rule = error.schema.get("description") if isinstance(error.schema, dict) else None
    if error.validator in ("anyOf", "oneOf") and rule:
        reason = f"does not satisfy the rule: {rule}"
    raise ContractError(name, json_path(path), value, reason)
