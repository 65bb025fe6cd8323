"""Read ``*.scenario.yaml`` files into :class:`~smsim.scenarios.model.Scenario` objects.

Everything that can be wrong with a file is found here, before anything runs: YAML
syntax, the JSON Schema (:mod:`smsim.scenarios.schema`: the scenario schema with the
step registry's kinds), and what a schema cannot say (one kind per step, names that
refer to something defined, ``${...}`` references to known variables). Every problem
is reported as ``file:line: problem`` followed by the lines of the file around it, and
all problems of all files are reported together, so one run shows everything to fix.
"""

from __future__ import annotations

import difflib
import re
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from jsonschema.exceptions import ValidationError, best_match, relevance

from smsim.scenarios import yamlsrc
from smsim.scenarios.model import (
    CLIENT_EXPECTATIONS,
    STEP_OPTIONS,
    Expectation,
    Scenario,
    Step,
)
from smsim.scenarios.schema import validator as scenario_validator
from smsim.scenarios.steps import CLIENT_STEPS, KINDS
from smsim.scenarios.yamlsrc import LDict, LList, line_of

SUFFIX = ".scenario.yaml"
REFERENCE = re.compile(r"\$\{([^}]*)\}")
REFERENCE_PATTERN = r"^\$\{[^}]+\}$"
#: Names every scenario can refer to in ``${...}`` besides its vars and saved results.
BUILTINS = ("accounts", "providers", "services", "endpoints", "client", "simulator", "faker")
SETUP_MAPS = ("accounts", "services", "providers")
MAX_PROBLEMS_PER_FILE = 20

# (expectation kind, field) -> what the field names. "target" is a webhook destination.
# (What a step's fields name is declared with the step: StepKind.refs.)
_EXPECT_REFS: dict[tuple[str, str], str] = {
    ("message", "account"): "accounts",
    ("messages", "account"): "accounts",
    ("callbacks", "at"): "target",
    ("stats", "provider"): "providers",
    ("stats", "campaign"): "saved",
    ("events", "provider"): "providers",
    ("events", "campaign"): "saved",
    ("provider", "provider"): "providers",
}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a file, where it is, and the lines around it."""

    file: Path
    line: int
    message: str
    snippet: str = ""

    def __str__(self) -> str:
        head = (
            f"{self.file}:{self.line}: {self.message}"
            if self.line
            else f"{self.file}: {self.message}"
        )
        return f"{head}\n{self.snippet}" if self.snippet else head


class ScenarioFileError(Exception):
    """One or more files are not valid scenario files; nothing was run."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__(self.render())

    def render(self) -> str:
        """Every problem, each with its snippet."""
        files = len({p.file for p in self.problems})
        head = (
            f"{len(self.problems)} problem{'s' if len(self.problems) != 1 else ''} in "
            f"{files} scenario file{'s' if files != 1 else ''}:"
        )
        return "\n".join([head, *(str(p) for p in self.problems)])


def snippet(lines: Sequence[str], line: int, context: int = 2) -> str:
    """The lines around ``line`` (1-based), numbered, the line itself marked with ``>``."""
    if not line or not lines:
        return ""
    first, last = max(1, line - context), min(len(lines), line + context)
    width = len(str(last))
    out = []
    for number in range(first, last + 1):
        mark = ">" if number == line else " "
        out.append(f"  {mark} {number:>{width}} | {lines[number - 1].rstrip()}")
    return "\n".join(out)


def library_dir() -> Path:
    """The bundled library (``scenarios/library``), installed as package data."""
    return Path(str(resources.files("smsim.scenarios").joinpath("library")))


def discover(paths: Iterable[str | Path]) -> list[Path]:
    """Scenario files named by ``paths``: files as given, directories searched recursively."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found.extend(sorted(path.rglob(f"*{SUFFIX}")))
        else:
            found.append(path)
    unique: dict[Path, None] = {}
    for path in found:
        unique.setdefault(path, None)
    return list(unique)


def load_paths(paths: Iterable[str | Path]) -> list[Scenario]:
    """Load every scenario under ``paths``; raises one :class:`ScenarioFileError` listing
    the problems of all files (nothing is returned unless every file is valid)."""
    scenarios: list[Scenario] = []
    problems: list[Problem] = []
    for path in discover(paths):
        try:
            scenarios.extend(load_file(path))
        except ScenarioFileError as exc:
            problems.extend(exc.problems)
    if problems:
        raise ScenarioFileError(problems)
    return scenarios


def load_file(path: str | Path) -> list[Scenario]:
    """Load one file; raises :class:`ScenarioFileError` naming file, line and problem."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioFileError([Problem(path, 0, f"cannot read the file: {exc}")]) from None
    return load_text(text, path)


def load_text(text: str, path: str | Path = "<scenario>") -> list[Scenario]:
    """Load scenarios from ``text`` as if read from ``path``."""
    path = Path(path)
    lines = tuple(text.splitlines())

    def problem(line: int, message: str) -> Problem:
        return Problem(path, line, message, snippet(lines, line))

    if not path.name.endswith(SUFFIX) and path.name != "<scenario>":
        raise ScenarioFileError([problem(0, f"a scenario file's name must end with {SUFFIX}")])
    try:
        data = yamlsrc.load(text)
    except yamlsrc.YamlProblem as exc:
        raise ScenarioFileError([problem(exc.line, exc.message)]) from None
    if data is None:
        raise ScenarioFileError([problem(1, "the file is empty: write a scenario (name, steps)")])
    problems = [problem(line, message) for line, message in schema_problems(data)]
    if problems:
        raise ScenarioFileError(problems[:MAX_PROBLEMS_PER_FILE])
    builder = _Builder(path, data, lines)
    scenarios = builder.build()
    if builder.problems:
        found = sorted(builder.problems, key=lambda p: p[0])
        raise ScenarioFileError([problem(line, msg) for line, msg in found][:MAX_PROBLEMS_PER_FILE])
    return scenarios


# -- schema -------------------------------------------------------------------------------


def schema_problems(data: Any) -> list[tuple[int, str]]:
    """(line, message) for each JSON Schema violation, in file order."""
    found: dict[tuple[int, str], None] = {}
    for error in scenario_validator().iter_errors(data):
        for leaf in _leaves(error):
            path, label, message = _describe(leaf)
            key = message.startswith("unknown key")
            found.setdefault((line_of(data, path, key=key), f"{_dotted(label)}: {message}"), None)
    return sorted(found, key=lambda item: item[0])


def _leaves(error: ValidationError) -> Iterator[ValidationError]:
    """The telling errors under an ``anyOf``: those of the branch meant for the value's
    own type (a mapping step is judged as a mapping, not as a bare step name)."""
    if not error.context:
        yield error
        return
    branches: dict[Any, list[ValidationError]] = {}
    for sub in error.context:
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)
    fitting = [subs for subs in branches.values() if not any(_is_type_miss(s, error) for s in subs)]
    if not fitting:
        yield from _leaves(best_match(error.context))
        return
    best = max((sub for subs in fitting for sub in subs), key=relevance)
    chosen = next(subs for subs in fitting if best in subs)
    if len(branches) > 1 and all(_is_reference_miss(sub) for sub in chosen):
        # A plain value where a number (or a reference) goes: the number is what was meant.
        misses = [s for subs in branches.values() for s in subs if _is_type_miss(s, error)]
        if misses:
            yield misses[0]
            return
    for sub in chosen:
        yield from _leaves(sub)


def _is_reference_miss(error: ValidationError) -> bool:
    schema = error.schema if isinstance(error.schema, dict) else {}
    return error.validator == "pattern" and schema.get("pattern") == REFERENCE_PATTERN


def _is_type_miss(error: ValidationError, parent: ValidationError) -> bool:
    return error.validator == "type" and list(error.absolute_path) == list(parent.absolute_path)


def _describe(error: ValidationError) -> tuple[list[Any], list[Any], str]:
    """(path to locate the line, path to name, message)."""
    path, message = _explain(error)
    label = list(error.absolute_path)
    return path, label, message


def _explain(error: ValidationError) -> tuple[list[Any], str]:
    path = list(error.absolute_path)
    value = error.instance
    schema = error.schema if isinstance(error.schema, dict) else {}
    kind = error.validator
    if kind == "additionalProperties" and isinstance(value, dict):
        known = list(schema.get("properties", {}))
        unexpected = [k for k in value if k not in known]
        if unexpected and known:
            key = unexpected[0]
            return [*path, key], f"unknown key {key!r}{_did_you_mean(str(key), known)}"
    if kind == "required" and isinstance(value, dict):
        missing = [k for k in error.validator_value if k not in value]
        if missing:
            return path, f"missing required key {missing[0]!r}"
    if kind == "type":
        expected = error.validator_value
        names = expected if isinstance(expected, list) else [expected]
        wanted = " or ".join(_TYPE_NAMES.get(str(n), str(n)) for n in names)
        hint = ""
        if isinstance(value, bool) and "string" in names:
            hint = " (quote it)"
        if isinstance(value, str) and _allows_reference(error):
            wanted += " (or a ${...} reference)"
        return path, f"expected {wanted}, got {_short(value)}{hint}"
    if kind == "pattern" and schema.get("description"):
        return path, f"{_short(value)} is not {schema['description']}"
    if kind == "enum":
        options = ", ".join(str(v) for v in error.validator_value)
        extra = _did_you_mean(str(value), [str(v) for v in error.validator_value])
        return path, f"{_short(value)} is not one of: {options}{extra}"
    if kind == "propertyNames":
        return path, f"{error.message}: names are letters, digits, _ and -"
    if kind in ("minItems", "minProperties") and not value:
        return path, "must not be empty"
    return path, error.message


def _allows_reference(error: ValidationError) -> bool:
    parent = error.parent
    if parent is None or parent.validator != "anyOf":
        return False
    return any(
        isinstance(b, dict) and b.get("$ref") == "#/$defs/expr" for b in parent.validator_value
    )


_TYPE_NAMES = {
    "object": "a mapping",
    "array": "a list",
    "string": "text",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "null": "nothing",
}


def _short(value: Any) -> str:
    text = repr(yamlsrc.plain(value))
    return text if len(text) <= 60 else text[:57] + "..."


def _did_you_mean(word: str, options: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _dotted(path: Sequence[Any]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


# -- building -----------------------------------------------------------------------------


class _Builder:
    """Turns schema-valid data into Scenarios, collecting what the schema cannot check."""

    def __init__(self, path: Path, data: LDict, lines: tuple[str, ...]) -> None:
        self.path = path
        self.data = data
        self.lines = lines
        self.problems: list[tuple[int, str]] = []
        self.uses_client = False  # set by _check for the scenario being built

    def fail(self, line: int, message: str) -> None:
        self.problems.append((line, message))

    def build(self) -> list[Scenario]:
        if "scenarios" in self.data:
            shared_vars = self.data.get("vars") or LDict()
            shared_setup = self.data.get("setup") or LDict()
            raw = self.data["scenarios"]
            prefix = "scenarios"
        else:
            shared_vars, shared_setup = LDict(), LDict()
            raw = LList([self.data])
            raw.item_lines = [self.data.line]
            prefix = ""
        scenarios: list[Scenario] = []
        seen: dict[str, int] = {}
        for i, item in enumerate(raw):
            where = f"{prefix}[{i}]" if prefix else ""
            for scenario in self._scenarios(item, where, shared_vars, shared_setup):
                if scenario.name in seen:
                    self.fail(
                        scenario.line,
                        f"{scenario.name!r}: another scenario has this name "
                        f"(line {seen[scenario.name]}); names identify test items",
                    )
                seen.setdefault(scenario.name, scenario.line)
                scenarios.append(scenario)
        return scenarios

    def _scenarios(
        self, item: LDict, where: str, shared_vars: LDict, shared_setup: LDict
    ) -> Iterator[Scenario]:
        line = item.key_lines.get("name", item.line)
        setup = _merge_setup(shared_setup, item.get("setup") or LDict())
        steps = self._steps(item.get("steps") or LList(), _join(where, "steps"))
        expect = self._expectations(item.get("expect") or LList(), "expect")
        vars_ = [*shared_vars.items(), *(item.get("vars") or {}).items()]
        param_sets = item.get("parametrize") or [None]
        names = [str(k) for k, _ in vars_]
        self._check(item, setup, steps, expect, names, param_sets)
        for index, params in enumerate(param_sets):
            name = str(item["name"])
            params = params or {}
            if params:
                name = _param_name(name, params, index, len(param_sets))
            yield Scenario(
                name=name,
                file=self.path,
                line=line,
                description=str(item.get("description") or "").strip(),
                setup=yamlsrc.plain(setup),
                setup_lines=_setup_lines(setup, item.get("setup"), shared_setup),
                vars=tuple((str(k), yamlsrc.plain(v)) for k, v in [*params.items(), *vars_]),
                steps=steps,
                expect=expect,
                skip=item.get("skip"),
                seed=int(item["seed"]) if "seed" in item else _seed(self.path, name),
                tags=tuple(item.get("tags") or ()),
                source=self.lines,
                needs_client=self.uses_client or _needs_client(setup, steps, expect),
            )

    def _steps(self, raw: LList, where: str) -> tuple[Step, ...]:
        steps = []
        for i, item in enumerate(raw):
            line = raw.item_lines[i] if i < len(raw.item_lines) else raw.line
            if isinstance(item, str):
                steps.append(Step(i, item, None, line))
                continue
            kinds = [k for k in item if k not in STEP_OPTIONS]
            if len(kinds) != 1:
                found = ", ".join(kinds) if kinds else "none"
                self.fail(line, f"{where}[{i}]: a step has exactly one kind (found: {found})")
                continue
            kind = kinds[0]
            args = item[kind]
            step = Step(
                index=i,
                kind=kind,
                args=yamlsrc.plain(args),
                line=line,
                name=item.get("name"),
                save=item.get("save"),
                expect=yamlsrc.plain(item.get("expect")),
            )
            if kind == "check":
                checks = self._expectations(args, step.label)
                step = Step(i, kind, checks, line, step.name, step.save, step.expect)
            steps.append(step)
        return tuple(steps)

    def _expectations(self, raw: LList, within: str) -> tuple[Expectation, ...]:
        out = []
        for i, item in enumerate(raw):
            line = raw.item_lines[i] if i < len(raw.item_lines) else raw.line
            if len(item) != 1:
                self.fail(
                    line,
                    f"{within}[{i}]: an expectation has exactly one kind "
                    f"(found: {', '.join(map(str, item))}); start another list item",
                )
                continue
            kind = next(iter(item))
            out.append(Expectation(i, kind, yamlsrc.plain(item[kind]), line, within))
        return tuple(out)

    # -- references ---------------------------------------------------------------------

    def _check(
        self,
        item: LDict,
        setup: LDict,
        steps: tuple[Step, ...],
        expect: tuple[Expectation, ...],
        var_names: list[str],
        param_sets: Sequence[Any],
    ) -> None:
        self.uses_client = False
        known: dict[str, set[str]] = {
            name: set((setup.get(name) or {}).keys()) for name in SETUP_MAPS
        }
        known["endpoints"] = set(setup.get("endpoints") or [])
        known["saved"] = set()
        params = {str(k) for p in param_sets if p for k in p}
        names = set(var_names) | params
        for step in steps:
            if (
                step.kind == "add_provider"
                and isinstance(step.args, dict)
                and step.args.get("alias")
            ):
                known["providers"].add(step.args["alias"])
            if step.save:
                known["saved"].add(step.save)
        clash = (known["saved"] | names) & set(BUILTINS)
        if clash:
            self.fail(item.line, f"{sorted(clash)[0]!r} is a built-in name; choose another")
        self._check_setup(setup, known)
        roots = names | known["saved"] | set(BUILTINS)
        for step in steps:
            self._check_step(step, known)
            for line, ref in _references(step.args, step.line):
                self._check_reference(ref, line, roots)
            for line, ref in _references(step.expect, step.line):
                self._check_reference(ref, line, roots)
            if step.kind == "check":
                for exp in step.args:
                    self._check_expectation(exp, known, roots)
        for exp in expect:
            self._check_expectation(exp, known, roots)
        for line, ref in _references(setup, item.line):
            self._check_reference(ref, line or setup.line, roots)
        for _, value in [*(item.get("vars") or {}).items()]:
            for line, ref in _references(value, item.line):
                self._check_reference(ref, line, roots)

    def _check_setup(self, setup: LDict, known: dict[str, set[str]]) -> None:
        for alias, spec in (setup.get("services") or {}).items():
            line = setup["services"].value_lines.get(alias, setup.line)
            self._check_name(spec.get("account"), "accounts", known, line)
            for key in ("inbound_request_url", "status_callback"):
                self._check_target(spec.get(key), known, line)
        for alias, spec in (setup.get("providers") or {}).items():
            line = setup["providers"].value_lines.get(alias, setup.line)
            self._check_name(spec.get("account"), "accounts", known, line)
            self._check_name(spec.get("service"), "services", known, line)
            self._check_target(spec.get("callback_url"), known, line)
        for alias, spec in (setup.get("accounts") or {}).items():
            line = setup["accounts"].value_lines.get(alias, setup.line)
            for number in spec.get("numbers") or []:
                if isinstance(number, dict) and number.get("sms_url") is not None:
                    self._check_target(number["sms_url"], known, line)

    def _check_step(self, step: Step, known: dict[str, set[str]]) -> None:
        kind = KINDS[step.kind]
        if kind.value_ref:
            self._check_name(step.args, kind.value_ref, known, step.line)
            return
        if not isinstance(step.args, dict):
            return
        for field, value in step.args.items():
            what = kind.refs.get(field)
            if what == "target":
                self._check_target(value, known, step.line)
            elif what:
                self._check_name(value, what, known, step.line)

    def _check_expectation(
        self, exp: Expectation, known: dict[str, set[str]], roots: set[str]
    ) -> None:
        if isinstance(exp.args, dict):
            for field, value in exp.args.items():
                what = _EXPECT_REFS.get((exp.kind, field))
                if what == "target":
                    self._check_target(value, known, exp.line)
                elif what:
                    self._check_name(value, what, known, exp.line)
            if exp.kind == "stats" and ("provider" in exp.args) == ("campaign" in exp.args):
                self.fail(exp.line, "stats: give either provider or campaign")
        for line, ref in _references(exp.args, exp.line):
            self._check_reference(ref, line, roots)

    def _check_name(self, value: Any, what: str, known: dict[str, set[str]], line: int) -> None:
        if value is None or not isinstance(value, str) or value.startswith("${"):
            return
        if value not in known[what]:
            label = {"saved": "a step's save name"}.get(what, what.rstrip("s"))
            options = sorted(known[what])
            listed = f" (defined: {', '.join(options)})" if options else f" (no {what} defined)"
            self.fail(line, f"unknown {label} {value!r}{_did_you_mean(value, options)}{listed}")

    def _check_target(self, value: Any, known: dict[str, set[str]], line: int) -> None:
        if value == "client":
            self.uses_client = True
        if not isinstance(value, str) or value.startswith(("${", "http://", "https://")):
            return
        if value != "client" and value not in known["endpoints"]:
            options = ["client", *sorted(known["endpoints"])]
            self.fail(
                line,
                f"unknown webhook target {value!r}{_did_you_mean(value, options)}: use client, "
                "an endpoint named in setup.endpoints, or an http(s) URL",
            )

    def _check_reference(self, ref: str, line: int, roots: set[str]) -> None:
        root = re.split(r"[.(\[]", ref.strip(), maxsplit=1)[0]
        if root == "client":
            self.uses_client = True
        if not root:
            self.fail(line, "empty ${} reference")
        elif root not in roots:
            self.fail(
                line,
                f"unknown reference ${{{ref}}}: {root!r} is not a var, a saved step result "
                f"or a built-in{_did_you_mean(root, roots)}",
            )


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _merge_setup(shared: LDict, own: LDict) -> LDict:
    """A scenario's setup over the file's: named entries merge, rules add up."""
    merged = LDict(shared)
    merged.line = own.line or shared.line
    merged.key_lines = {**shared.key_lines, **own.key_lines}
    merged.value_lines = {**shared.value_lines, **own.value_lines}
    for key, value in own.items():
        if key in SETUP_MAPS and key in shared:
            both = LDict({**shared[key], **value})
            both.line = value.line
            both.key_lines = {**shared[key].key_lines, **value.key_lines}
            both.value_lines = {**shared[key].value_lines, **value.value_lines}
            merged[key] = both
        elif key in ("rules", "endpoints") and key in shared:
            both_list = LList([*shared[key], *value])
            both_list.line = value.line
            both_list.item_lines = [*shared[key].item_lines, *value.item_lines]
            merged[key] = both_list
        else:
            merged[key] = value
    return merged


def _setup_lines(setup: LDict, own: Any, shared: Any) -> dict[str, int]:
    """Line of each setup entry (``accounts.acme``, ``rules[0]``) for error reports."""
    lines: dict[str, int] = {
        "": setup.line or getattr(own, "line", 0) or getattr(shared, "line", 0)
    }
    for key, value in setup.items():
        lines[key] = setup.key_lines.get(key, lines[""])
        if isinstance(value, LDict):
            for alias in value:
                lines[f"{key}.{alias}"] = value.key_lines.get(alias, lines[key])
        elif isinstance(value, LList):
            for i, line in enumerate(value.item_lines):
                lines[f"{key}[{i}]"] = line
    return lines


def _references(value: Any, line: int) -> Iterator[tuple[int, str]]:
    """(line, expression) of every ``${...}`` in a value, with the best line known."""
    if isinstance(value, LDict):
        for key, item in value.items():
            yield from _references(key, value.key_lines.get(key, line))
            yield from _references(item, value.value_lines.get(key, line))
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _references(key, line)
            yield from _references(item, line)
    elif isinstance(value, LList):
        for i, item in enumerate(value):
            yield from _references(item, value.item_lines[i] if i < len(value.item_lines) else line)
    elif isinstance(value, list | tuple):
        for item in value:
            if isinstance(item, Expectation):
                continue
            yield from _references(item, line)
    elif isinstance(value, str):
        for match in REFERENCE.finditer(value.replace("$${", "")):
            yield line, match.group(1)


def _needs_client(
    setup: dict[str, Any], steps: Sequence[Step], expect: Sequence[Expectation]
) -> bool:
    """True when the scenario's setup, steps or expectations use the client integration
    (webhook targets named ``client`` and ``${client...}`` are found by the checks)."""
    if setup.get("providers"):
        return True
    checks = [*expect, *(e for s in steps if s.kind == "check" for e in s.args)]
    return any(s.kind in CLIENT_STEPS for s in steps) or any(
        e.kind in CLIENT_EXPECTATIONS for e in checks
    )


def _param_name(name: str, params: dict[str, Any], index: int, total: int) -> str:
    if "${" in name:

        def sub(match: re.Match[str]) -> str:
            key = match.group(1).strip()
            return str(params[key]) if key in params else match.group(0)

        rendered = REFERENCE.sub(sub, name)
        if rendered != name:
            return rendered
    key, value = next(iter(params.items()))
    return f"{name}[{key}={value}]" if total > 1 else name


def _seed(path: Path, name: str) -> int:
    """A per-scenario seed that only depends on the file name and the scenario name."""
    return zlib.crc32(f"{path.name}\x00{name}".encode())


__all__ = [
    "SUFFIX",
    "Problem",
    "ScenarioFileError",
    "discover",
    "library_dir",
    "load_file",
    "load_paths",
    "load_text",
    "snippet",
]
