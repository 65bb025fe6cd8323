"""Shared helpers for the Twilio-surface tests."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest

SHARED_SPEC = (
    Path(__file__).resolve().parents[2].parent / "shared" / "twilio" / "twilio_api_v2010.json"
)


@cache
def _spec() -> dict[str, Any] | None:
    if not SHARED_SPEC.exists():
        return None
    return json.loads(SHARED_SPEC.read_text(encoding="utf-8"))


def _to_json_schema(node: Any) -> Any:
    """OpenAPI 3.0 -> JSON Schema: ``nullable`` becomes a null type; formats stay
    annotations (RFC 2822 dates are checked by the tests themselves)."""
    if isinstance(node, dict):
        out = {k: _to_json_schema(v) for k, v in node.items() if k not in {"nullable", "format"}}
        if node.get("nullable"):
            if "type" in out:
                out["type"] = [out["type"], "null"]
            elif "$ref" in out or "enum" in out:
                out = {"anyOf": [out, {"type": "null"}]}
        if "enum" in out and node.get("nullable"):
            pass
        return out
    if isinstance(node, list):
        return [_to_json_schema(v) for v in node]
    return node


@pytest.fixture
def spec_schema():
    """``spec_schema("api.v2010.account.message")`` -> a JSON Schema validator from
    Twilio's published spec (shared beside the repository; skipped when absent)."""
    spec = _spec()
    if spec is None:
        pytest.skip("Twilio's OpenAPI spec is not beside the repository (../shared/twilio)")
    from jsonschema import Draft202012Validator

    components = _to_json_schema(spec["components"]["schemas"])

    def make(name: str) -> Draft202012Validator:
        schema = dict(components[name])
        schema["$defs"] = components
        text = json.dumps(schema).replace("#/components/schemas/", "#/$defs/")
        return Draft202012Validator(json.loads(text))

    return make


@pytest.fixture
def spec_document() -> dict[str, Any]:
    spec = _spec()
    if spec is None:
        pytest.skip("Twilio's OpenAPI spec is not beside the repository (../shared/twilio)")
    return spec
