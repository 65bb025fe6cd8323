"""The Rust fast path must agree with jsonschema on every verdict it gives."""

from __future__ import annotations

import copy

import pytest

from smsim.contracts import _fast_validator, schema, schema_names, validator


def _mutations(example: object) -> list[object]:
    """Each example with one field dropped, nulled, retyped or emptied."""
    if not isinstance(example, dict):
        return []
    out: list[object] = []
    for key, value in example.items():
        dropped = copy.deepcopy(example)
        del dropped[key]
        out.append(dropped)
        for replacement in (None, 12345, "", "x" * 2000, [value], {"k": value}):
            changed = copy.deepcopy(example)
            changed[key] = replacement
            out.append(changed)
    return out


@pytest.mark.parametrize("name", schema_names())
def test_fast_and_reference_validators_agree(name):
    fast = _fast_validator(name)
    if fast is None:
        pytest.skip("jsonschema-rs is not installed; the pure-Python path serves alone")
    reference = validator(name)
    examples = schema(name).get("examples", [])
    assert examples, f"{name} has no examples to check against"
    checked = 0
    for example in examples:
        assert fast.is_valid(example) and reference.is_valid(example)
        for instance in _mutations(example):
            assert fast.is_valid(instance) == reference.is_valid(instance), (name, instance)
            checked += 1
    assert checked > 0 or not isinstance(examples[0], dict)
