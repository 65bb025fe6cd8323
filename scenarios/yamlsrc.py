"""YAML that remembers where things are: every mapping and list knows its lines.

Scenario files are read with :func:`load`, a ``yaml.SafeLoader`` whose mappings are
:class:`LDict` and whose lists are :class:`LList`. They behave as plain ``dict`` and
``list`` (JSON Schema validation and the runner see ordinary data) but also carry the
1-based line of the node, of each key and of each value, so any problem found later,
by the schema or by the runner, can be reported as ``file:line`` with the snippet.

Two YAML 1.1 surprises are switched off because scenario files are full of phone
numbers and message bodies: ``+14155550100`` stays a string (not the integer
14155550100), and only ``true``/``false`` are booleans (a reply ``YES`` or ``on`` stays
text). A key given twice in one mapping is an error naming both lines, not a silent
overwrite.
"""

from __future__ import annotations

from typing import Any

import yaml


class YamlProblem(Exception):
    """A syntax problem; ``line`` is 1-based (0 when unknown)."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


class LDict(dict):
    """A mapping with ``line`` (its first line), ``key_lines`` and ``value_lines``."""

    line: int = 0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.key_lines: dict[Any, int] = {}
        self.value_lines: dict[Any, int] = {}


class LList(list):
    """A list with ``line`` (its first line) and ``item_lines``."""

    line: int = 0

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.item_lines: list[int] = []


class _Loader(yaml.SafeLoader):
    """SafeLoader building LDict/LList, YAML-1.2-like scalars, duplicate keys refused."""


def _map(loader: _Loader, node: yaml.MappingNode) -> Any:
    data = LDict()
    data.line = node.start_mark.line + 1
    yield data
    loader.flatten_mapping(node)  # resolves ``<<: *anchor`` merge keys
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError:
            raise YamlProblem(
                key_node.start_mark.line + 1, "a mapping key must be a scalar"
            ) from None
        line = key_node.start_mark.line + 1
        if key in data.key_lines and data.key_lines[key] != line:
            raise YamlProblem(
                line, f"duplicate key {key!r} (first given at line {data.key_lines[key]})"
            )
        data[key] = loader.construct_object(value_node, deep=True)
        data.key_lines[key] = line
        data.value_lines[key] = value_node.start_mark.line + 1


def _seq(loader: _Loader, node: yaml.SequenceNode) -> Any:
    data = LList()
    data.line = node.start_mark.line + 1
    yield data
    for item in node.value:
        data.append(loader.construct_object(item, deep=True))
        data.item_lines.append(item.start_mark.line + 1)


def _int(loader: _Loader, node: yaml.ScalarNode) -> Any:
    if str(node.value).startswith("+"):
        return str(node.value)  # an E.164 number, not an integer
    return loader.construct_yaml_int(node)


def _bool(loader: _Loader, node: yaml.ScalarNode) -> Any:
    text = str(node.value)
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    return text  # yes/no/on/off/y/n are text here


_Loader.add_constructor("tag:yaml.org,2002:map", _map)
_Loader.add_constructor("tag:yaml.org,2002:seq", _seq)
_Loader.add_constructor("tag:yaml.org,2002:int", _int)
_Loader.add_constructor("tag:yaml.org,2002:bool", _bool)


def load(text: str) -> Any:
    """Parse one YAML document; raises :class:`YamlProblem` with the line on any error."""
    try:
        return yaml.load(text, Loader=_Loader)
    except YamlProblem:
        raise
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 0
        problem = exc.problem or "invalid YAML"
        if exc.context:
            problem = f"{problem} ({exc.context})"
        raise YamlProblem(line, f"invalid YAML: {problem}") from None
    except yaml.YAMLError as exc:
        raise YamlProblem(0, f"invalid YAML: {exc}") from None


def line_of(root: Any, path: list[Any] | tuple[Any, ...], *, key: bool = False) -> int:
    """The line of the node at ``path`` under ``root`` (the nearest known ancestor's
    line when the path leaves the tree). With ``key``, a mapping entry's key line."""
    node = root
    line = getattr(root, "line", 0) or 1
    for i, part in enumerate(path):
        last = i == len(path) - 1
        if isinstance(node, LDict) and part in node:
            lines = node.key_lines if (key and last) else node.value_lines
            line = lines.get(part, line)
            node = node[part]
        elif isinstance(node, LList) and isinstance(part, int) and 0 <= part < len(node):
            line = node.item_lines[part] if part < len(node.item_lines) else line
            node = node[part]
        else:
            break
    return line


def plain(value: Any) -> Any:
    """A deep copy as ordinary dicts and lists (for JSON output and comparisons)."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value
