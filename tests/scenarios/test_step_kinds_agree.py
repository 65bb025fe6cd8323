"""The scenario step kinds are listed in five places; they must name the same steps.

The JSON Schema (what a file may say), the runner's registry ``STEPS`` (what runs),
the loader's reference table ``_REFS`` and value references, ``CLIENT_STEPS`` (steps that
need the client) and the Steps table of docs/scenarios.md (what users read).
"""

from __future__ import annotations

import re
from pathlib import Path

from smsim.contracts import schema
from smsim.scenarios import expectations, loader, steps
from smsim.scenarios.model import CLIENT_EXPECTATIONS, CLIENT_STEPS, STEP_OPTIONS

DOC = Path(__file__).resolve().parents[2] / "docs" / "scenarios.md"
# Handled by the runner itself (it checks expectations mid-story), not by a step function.
RUNNER_STEPS = {"check"}


def _schema_kinds() -> set[str]:
    step = schema("scenario")["$defs"]["step"]
    kinds: set[str] = set()
    for alternative in step["anyOf"]:
        kinds.update(alternative.get("enum", []))
        kinds.update(alternative.get("properties", {}))
    return kinds - set(STEP_OPTIONS)


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


def test_schema_registry_and_docs_list_the_same_step_kinds():
    registered = set(steps.STEPS) | RUNNER_STEPS
    assert _schema_kinds() == registered
    assert _documented_kinds("Steps") == registered


def test_loader_tables_and_client_steps_name_real_steps():
    registered = set(steps.STEPS)
    referenced = {kind for where, kind, _ in loader._REFS if where == "step"}
    assert referenced <= registered, referenced - registered
    assert set(loader._VALUE_REFS) <= registered
    assert set(CLIENT_STEPS) <= registered, set(CLIENT_STEPS) - registered


def test_loader_tables_and_client_expectations_name_real_expectations():
    known = set(expectations.EXPECTATIONS)
    referenced = {kind for where, kind, _ in loader._REFS if where == "expect"}
    assert referenced <= known, referenced - known
    assert set(CLIENT_EXPECTATIONS) <= known
    assert _documented_kinds("Expectations") == known
