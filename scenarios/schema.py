"""The JSON Schema of scenario files, its step kinds read from the step registry.

``contracts/schemas/scenario.schema.json`` writes what a file may hold (setup, values,
expectations, a step's ``name``/``save``/``expect``); which step kinds exist and what
each takes come from :data:`smsim.scenarios.steps.KINDS`, so the loader validates with
:func:`scenario_schema`, never with the step list written in the file. The file keeps a
copy of the generated step definition for editors; ``python -m smsim.scenarios.schema``
rewrites it and a test fails while it is stale.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from smsim.contracts import SCHEMA_SUFFIX, format_checker, schema
from smsim.scenarios.model import STEP_OPTIONS
from smsim.scenarios.steps import KINDS

NAME = "scenario"


def step_schema(options: dict[str, Any]) -> dict[str, Any]:
    """``$defs.step``: a bare kind's name, or a mapping with one registered kind (plus
    the ``options`` schemas, keyed by :data:`STEP_OPTIONS`)."""
    bare = [kind.name for kind in KINDS.values() if kind.bare]
    return {
        "anyOf": [
            {"type": "string", "enum": bare},
            {
                "type": "object",
                "minProperties": 1,
                "properties": {
                    **{kind.name: kind.args for kind in KINDS.values()},
                    **{name: options[name] for name in STEP_OPTIONS},
                },
                "additionalProperties": False,
            },
        ],
        "description": (
            "one step: a mapping with one step kind (plus optional "
            f"{', '.join(STEP_OPTIONS)}), or a bare {' / '.join(bare)}"
        ),
    }


def _with_registry_steps(document: dict[str, Any]) -> dict[str, Any]:
    written = document["$defs"]["step"]["anyOf"][1]["properties"]
    document["$defs"]["step"] = step_schema({name: written[name] for name in STEP_OPTIONS})
    # Serialised and read back, so the schema holds no object a step declaration shares.
    copy: dict[str, Any] = json.loads(json.dumps(document))
    return copy


@cache
def _scenario_schema() -> str:
    return json.dumps(_with_registry_steps(schema(NAME)), indent=2, ensure_ascii=False)


def scenario_schema() -> dict[str, Any]:
    """The scenario file schema with the registry's step kinds (a fresh copy)."""
    document: dict[str, Any] = json.loads(_scenario_schema())
    return document


@cache
def validator() -> Draft202012Validator:
    """A validator for scenario files (compiled once per process)."""
    return Draft202012Validator(scenario_schema(), format_checker=format_checker())


def schema_file() -> Path:
    """Where the editors' copy of the schema lives."""
    return Path(str(resources.files("smsim.contracts").joinpath("schemas", NAME + SCHEMA_SUFFIX)))


def rendered() -> str:
    """The schema file's text as it should be on disk."""
    document = scenario_schema()
    document.pop("$id", None)  # added when contracts loads it
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def main() -> None:
    """Rewrite the schema file's step definition from the registry."""
    schema_file().write_text(rendered(), encoding="utf-8")
    print(f"wrote {schema_file()}")


if __name__ == "__main__":
    main()
