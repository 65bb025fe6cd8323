"""The Message and Message-list schemas agree with Twilio's published OpenAPI spec.

``test_schemas.py`` already checks that the message schema has the spec's property names,
enums, types and patterns, and that the list schema has the spec's property names. This
module covers the rest: nullability, length limits and formats property by property, the
list's types and its reference to the message schema, and both directions of the examples
(every response Twilio documents for the Messages resource satisfies our schemas; every
example in our schemas satisfies Twilio's). The spec (OpenAPI 3.0, ``nullable``) lives
beside the repository in ``shared/twilio``; without it these tests skip with the reason.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from jsonschema import Draft202012Validator, FormatChecker

from smsim.contracts import ContractError, format_checker, schema, validate

MESSAGE_COMPONENT = "api.v2010.account.message"
LIST_PATH = "/2010-04-01/Accounts/{AccountSid}/Messages.json"
ITEM_PATH = "/2010-04-01/Accounts/{AccountSid}/Messages/{Sid}.json"
COMPONENT_PREFIX = "#/components/schemas/"


def _types(prop: dict[str, Any]) -> set[str]:
    """The JSON types a property of *our* schema allows (``const``/``enum`` included)."""
    if "const" in prop:
        return {type(prop["const"]).__name__.replace("str", "string")}
    if "enum" in prop:
        return {"null" if v is None else "string" for v in prop["enum"]}
    declared = prop.get("type")
    return set(declared) if isinstance(declared, list) else {declared}


def _resolve(spec: dict[str, Any], prop: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in prop:
        return spec["components"]["schemas"][prop["$ref"].removeprefix(COMPONENT_PREFIX)]
    return prop


def _list_response(spec: dict[str, Any]) -> dict[str, Any]:
    ok = spec["paths"][LIST_PATH]["get"]["responses"]["200"]
    return ok["content"]["application/json"]["schema"]


def _to_json_schema(node: Any) -> Any:
    """OpenAPI 3.0 -> JSON Schema 2020-12: ``nullable`` becomes a null type, component
    references point into ``$defs``."""
    if isinstance(node, list):
        return [_to_json_schema(v) for v in node]
    if not isinstance(node, dict):
        return node
    out = {k: _to_json_schema(v) for k, v in node.items() if k != "nullable"}
    if isinstance(out.get("$ref"), str):
        out["$ref"] = out["$ref"].replace(COMPONENT_PREFIX, "#/$defs/")
    if node.get("nullable"):
        if "type" in out:
            out["type"] = [out["type"], "null"]
            if "enum" in out:
                out["enum"] = [*out["enum"], None]
        else:
            out = {"anyOf": [out, {"type": "null"}]}
    return out


def _spec_validator(spec: dict[str, Any], root: dict[str, Any]) -> Draft202012Validator:
    """A validator for ``root`` (a spec schema), with Twilio's RFC 2822 date format checked.

    Other formats stay annotations: the spec marks the list's relative URIs as ``uri``."""
    document = dict(_to_json_schema(root))
    document["$defs"] = _to_json_schema(spec["components"]["schemas"])
    checker = FormatChecker(formats=())
    checker.checks("date-time-rfc-2822")(format_checker().checkers["date-time-rfc-2822"][0])
    return Draft202012Validator(json.loads(json.dumps(document)), format_checker=checker)


def _documented_responses(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(where, our schema name, example) for every JSON example of the Messages resource."""
    found = []
    for path in (LIST_PATH, ITEM_PATH):
        for method, operation in spec["paths"][path].items():
            if not isinstance(operation, dict):
                continue
            for status, response in operation.get("responses", {}).items():
                content = response.get("content", {}).get("application/json", {})
                for name, example in content.get("examples", {}).items():
                    value = example["value"]
                    kind = "message_list" if "messages" in value else "message"
                    found.append((f"{method.upper()} {path} {status} {name}", kind, value))
    return found


# -- the Message resource -----------------------------------------------------------------


def test_every_message_property_is_always_present(twilio_spec: dict[str, Any]) -> None:
    # Twilio's responses carry every property (null when unknown); so must ours.
    spec_message = twilio_spec["components"]["schemas"][MESSAGE_COMPONENT]
    ours = schema("message")
    assert set(ours["required"]) == set(spec_message["properties"])
    assert ours["additionalProperties"] is False


def test_message_nulls_only_where_twilio_allows_them(twilio_spec: dict[str, Any]) -> None:
    spec_props = twilio_spec["components"]["schemas"][MESSAGE_COMPONENT]["properties"]
    ours = schema("message")["properties"]
    for name, prop in spec_props.items():
        spec_prop = _resolve(twilio_spec, prop)
        spec_nullable = bool(prop.get("nullable") or spec_prop.get("nullable"))
        if "null" in _types(ours[name]):
            assert spec_nullable, f"{name}: we may send null, Twilio's spec never does"


def test_message_types_formats_and_lengths_agree(twilio_spec: dict[str, Any]) -> None:
    spec_props = twilio_spec["components"]["schemas"][MESSAGE_COMPONENT]["properties"]
    ours = schema("message")["properties"]
    for name, prop in spec_props.items():
        spec_prop = _resolve(twilio_spec, prop)
        our_prop = ours[name]
        assert spec_prop["type"] in _types(our_prop), name
        assert _types(our_prop) - {"null"} == {spec_prop["type"]}, f"{name}: extra types"
        if spec_prop.get("format") == "date-time-rfc-2822":
            assert our_prop.get("format") == "date-time-rfc-2822", name
        for limit in ("minLength", "maxLength"):
            if limit in spec_prop:
                assert our_prop.get(limit) == spec_prop[limit], (name, limit)


def test_message_enums_are_twilios_enums(twilio_spec: dict[str, Any]) -> None:
    components = twilio_spec["components"]["schemas"]
    ours = schema("message")["properties"]
    assert ours["status"]["enum"] == components["message_enum_status"]["enum"]
    assert ours["direction"]["enum"] == components["message_enum_direction"]["enum"]
    # The statuses smsim reports in callbacks are statuses a Message can have.
    callback_statuses = schema("status_callback")["properties"]["MessageStatus"]["enum"]
    assert set(callback_statuses) <= set(components["message_enum_status"]["enum"])


# -- the list page ------------------------------------------------------------------------


def test_list_page_types_and_nulls_agree(twilio_spec: dict[str, Any]) -> None:
    page = _list_response(twilio_spec)
    ours = schema("message_list")
    assert set(ours["required"]) == set(page["properties"])
    for name, prop in page["properties"].items():
        our_types = _types(ours["properties"][name])
        assert our_types - {"null"} == {prop["type"]}, name
        assert ("null" in our_types) == bool(prop.get("nullable")), name


def test_list_items_are_the_message_resource(twilio_spec: dict[str, Any]) -> None:
    spec_items = _list_response(twilio_spec)["properties"]["messages"]["items"]
    assert spec_items["$ref"] == COMPONENT_PREFIX + MESSAGE_COMPONENT
    assert schema("message_list")["properties"]["messages"]["items"] == {
        "$ref": "message.schema.json"
    }


# -- documented examples, both ways -------------------------------------------------------


def test_every_documented_messages_response_satisfies_our_schemas(
    twilio_spec: dict[str, Any],
) -> None:
    documented = _documented_responses(twilio_spec)
    kinds = {kind for _, kind, _ in documented}
    assert kinds == {"message", "message_list"} and len(documented) >= 10
    for where, kind, example in documented:
        try:
            validate(kind, example)
        except ContractError as exc:  # name the example that broke
            raise AssertionError(f"{where}: {exc}") from exc


def test_our_examples_satisfy_twilios_spec(twilio_spec: dict[str, Any]) -> None:
    message = _spec_validator(twilio_spec, {"$ref": COMPONENT_PREFIX + MESSAGE_COMPONENT})
    page = _spec_validator(twilio_spec, _list_response(twilio_spec))
    for name, validator in (("message", message), ("message_list", page)):
        for example in schema(name)["examples"]:
            errors = [e.message for e in validator.iter_errors(example)]
            assert errors == [], (name, errors)


def test_the_spec_validator_is_not_vacuous(twilio_spec: dict[str, Any]) -> None:
    message = _spec_validator(twilio_spec, {"$ref": COMPONENT_PREFIX + MESSAGE_COMPONENT})
    example = schema("message")["examples"][0]
    assert message.is_valid(example)
    for field, bad in (
        ("status", "lost"),
        ("num_segments", 1),
        ("date_created", "2015-07-30"),
        ("sid", "SM1"),
    ):
        assert not message.is_valid({**example, field: bad}), field
    assert message.is_valid({**example, "price": None})


@pytest.mark.parametrize("name", ["message", "message_list"])
def test_our_schemas_are_stricter_than_the_spec_where_they_differ(
    twilio_spec: dict[str, Any], name: str
) -> None:
    # Where the spec allows null and we do not, a null is refused by our schema, naming
    # the property: smsim's output is deliberately stricter there (identifiers, dates).
    spec_props = (
        twilio_spec["components"]["schemas"][MESSAGE_COMPONENT]["properties"]
        if name == "message"
        else _list_response(twilio_spec)["properties"]
    )
    example = schema(name)["examples"][0]
    stricter = [
        prop
        for prop, spec_prop in spec_props.items()
        if _resolve(twilio_spec, spec_prop).get("nullable")
        and "null" not in _types(schema(name)["properties"][prop])
    ]
    for prop in stricter:
        with pytest.raises(ContractError, match=rf"\$\.{prop} = None"):
            validate(name, {**example, prop: None})
    if name == "message":
        assert {"sid", "account_sid", "date_created", "to"} <= set(stricter)
