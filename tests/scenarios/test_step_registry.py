"""Step kinds are declared once, in the step registry; the schema file and the docs follow.

The loader validates with the schema built from the registry; these tests keep the two
copies people read in line with it: the schema file editors use, and the Steps table of
docs/scenarios.md.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from smsim.scenarios import expectations, loader
from smsim.scenarios.loader import load_text
from smsim.scenarios.schema import rendered, scenario_schema, schema_file
from smsim.scenarios.steps import KINDS, STEPS

DOC = Path(__file__).resolve().parents[2] / "docs" / "scenarios.md"


def _doc_section(title: str) -> str:
    text = DOC.read_text(encoding="utf-8")
    start = text.index(f"## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def _documented_kinds(title: str) -> set[str]:
    kinds: set[str] = set()
    for line in _doc_section(title).splitlines():
        if line.startswith("| `"):
            first_cell = line.split(" | ")[0]
            kinds.update(re.findall(r"`(\w+)(?::|`)", first_cell))
    return kinds


def test_the_schema_file_is_the_one_generated_from_the_registry():
    assert schema_file().read_text(encoding="utf-8") == rendered(), (
        "contracts/schemas/scenario.schema.json is stale: run python -m smsim.scenarios.schema"
    )


def test_the_loaders_schema_takes_each_step_kind_from_the_registry():
    step = scenario_schema()["$defs"]["step"]
    bare, mapping = step["anyOf"]
    assert bare["enum"] == [k.name for k in KINDS.values() if k.bare]
    assert {name: mapping["properties"][name] for name in KINDS} == {
        name: kind.args for name, kind in KINDS.items()
    }


def test_the_docs_list_every_registered_step_kind_and_no_other():
    assert _documented_kinds("Steps") == set(KINDS)


def test_every_kind_but_check_runs_as_a_step_function():
    assert set(KINDS) - set(STEPS) == {"check"}


def _fields(args: dict[str, Any]) -> set[str]:
    definitions = scenario_schema()["$defs"]
    while "$ref" in args:
        args = definitions[args["$ref"].removeprefix("#/$defs/")]
    return set(args.get("properties", {}))


def test_each_step_reference_field_is_one_the_step_takes():
    for kind in KINDS.values():
        assert set(kind.refs) <= _fields(kind.args), kind.name


def test_a_declared_reference_is_checked_against_the_setup():
    text = """
name: suspends an account nobody defined
setup: {accounts: {acme: {}}}
steps:
  - suspend: acne
  - twilio_send: {account: acme, to: "+15005550006", service: nope}
"""
    try:
        load_text(text)
    except loader.ScenarioFileError as exc:
        messages = [p.message for p in exc.problems]
    else:
        raise AssertionError("a scenario naming undefined accounts and services loaded")
    assert any("acne" in m for m in messages), messages
    assert any("nope" in m for m in messages), messages


def test_expectation_references_and_docs_name_real_expectations():
    known = set(expectations.EXPECTATIONS)
    assert {kind for kind, _ in loader._EXPECT_REFS} <= known
    assert _documented_kinds("Expectations") == known
