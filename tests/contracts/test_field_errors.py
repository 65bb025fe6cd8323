"""contracts.fields: schema validation that names each bad field in smsim's wording."""

from __future__ import annotations

import pytest

from smsim.contracts.fields import FieldError, field_errors, first_error


def test_valid_rule_has_no_errors() -> None:
    assert field_errors("rule", {"match": {"to": "+14155550100"}, "outcome": {}}) == []


def test_every_bad_field_is_named_once_with_the_schema_wording() -> None:
    errors = field_errors(
        "rule",
        {"match": {"too": "+1"}, "outcome": {"status": "gold"}, "count": 0, "colour": 1},
        "rules[2]",
    )
    assert [str(e) for e in errors] == [
        "rules[2].colour: unknown field",
        "rules[2].match.too: unknown (use to, to_prefix, from, body_contains)",
        "rules[2].outcome.status: must be one of delivered, undelivered, failed, sent, not 'gold'",
        "rules[2].count: must be a whole number from 1 to 1000000000",
    ]


def test_missing_property_uses_its_own_required_message() -> None:
    assert first_error("rule", {}, "rule") == FieldError(
        "rule.outcome", 'required, e.g. {"error_code": 30003}', ("outcome",)
    )


def test_whole_value_error_has_no_path() -> None:
    error = first_error("rule", ["not", "a", "rule"])
    assert error is not None and str(error) == "must be an object"


def test_long_values_are_shortened_in_messages() -> None:
    error = first_error("rule", {"outcome": {"status": "x" * 500}})
    assert error is not None and len(error.message) < 150 and error.message.endswith("...")


def test_unknown_schema_is_a_key_error_listing_known_names() -> None:
    with pytest.raises(KeyError, match="known:"):
        field_errors("no_such_schema", {})


def test_a_pointer_names_a_definition_inside_a_schema() -> None:
    errors = field_errors(
        "provider_settings#/$defs/create", {"account_sid": "AC1", "from_numbers": ["0800"]}
    )
    assert {e.location[0]: e.message for e in errors} == {
        "nickname": "is required",
        "account_sid": "must be AC followed by 32 hex digits",
        "auth_token": "is required",
        "from_numbers": "'0800': each From number must be in E.164 format, e.g. +14155550100",
    }
    assert [e.path for e in errors if e.location[0] == "from_numbers"] == ["from_numbers[0]"]
