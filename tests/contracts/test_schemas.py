"""JSON Schemas: valid themselves, satisfied by their examples, and clear when violated."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from smsim import contracts
from smsim.contracts import ContractError, schema, schema_names, validate

CONTRACTS_DIR = Path(contracts.__file__).parent
OWN_SCHEMAS = [
    "account_spec",
    "catalogue",
    "create_message_request",
    "error",
    "incoming_message",
    "media",
    "media_list",
    "message",
    "message_feedback",
    "message_list",
    "rule",
    "status_callback",
]
# The CleverTap seed's sample callback, field for field. It uses placeholders, so it is a
# documented non-conforming example: a receiver must cope, but smsim never sends it.
SEED_SAMPLE_CALLBACK = {
    "ErrorCode": "30005",
    "SmsSid": "SMXXXXXXXXXXXXXXXXXXXXXXX",
    "SmsStatus": "failed",
    "MessageStatus": "failed",
    "To": "000000000000",
    "MessagingServiceSid": "MGXXXXXXXXXXXX",
    "MessageSid": "SMXXXXXXXXXXXXXXX",
    "AccountSid": "AAAAAAA000000",
    "From": "0000000000",
    "ApiVersion": "2010-04-0",
}


def _example(name: str, index: int = 0) -> dict[str, Any]:
    return copy.deepcopy(schema(name)["examples"][index])


def test_all_own_schemas_are_discovered() -> None:
    assert set(OWN_SCHEMAS) <= set(schema_names())
    on_disk = {
        p.name.removesuffix(".schema.json") for p in CONTRACTS_DIR.glob("schemas/*.schema.json")
    }
    assert set(schema_names()) == on_disk


@pytest.mark.parametrize("name", OWN_SCHEMAS)
def test_schema_is_valid_2020_12_with_title_and_examples(name: str) -> None:
    document = schema(name)
    Draft202012Validator.check_schema(document)
    assert document["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert document["title"] and document["description"]
    assert document["examples"], f"{name} has no examples"


@pytest.mark.parametrize("name", sorted(set(OWN_SCHEMAS)))
def test_schema_examples_validate(name: str) -> None:
    for example in schema(name)["examples"]:
        validate(name, example)


def test_every_discovered_schema_compiles_and_its_examples_validate() -> None:
    # Schemas added by other teams are held to the same rule as ours.
    for name in schema_names():
        Draft202012Validator.check_schema(schema(name))
        for example in schema(name).get("examples", []):
            validate(name, example)


def test_catalogue_file_satisfies_catalogue_schema() -> None:
    raw = json.loads((CONTRACTS_DIR / "catalogue.json").read_text(encoding="utf-8"))
    validate("catalogue", raw)


def test_catalogue_schema_rejects_async_entry_without_terminal_status() -> None:
    raw = json.loads((CONTRACTS_DIR / "catalogue.json").read_text(encoding="utf-8"))
    index = next(i for i, e in enumerate(raw["entries"]) if e["code"] == 30005)
    raw["entries"][index]["terminal_status"] = None
    with pytest.raises(ContractError) as info:
        validate("catalogue", raw)
    assert f"$.entries[{index}].terminal_status" in str(info.value)


def test_bad_value_names_schema_path_and_value() -> None:
    page = _example("message_list")
    page["messages"][0]["num_segments"] = 1
    with pytest.raises(ContractError) as info:
        validate("message_list", page)
    error = info.value
    assert str(error).startswith("message_list: $.messages[0].num_segments = 1:")
    assert "not of type 'string'" in str(error)
    assert (error.schema_name, error.path, error.value) == (
        "message_list",
        "$.messages[0].num_segments",
        1,
    )
    assert isinstance(error, ValueError)


def test_missing_property_is_reported_at_its_own_path() -> None:
    callback = _example("status_callback")
    del callback["AccountSid"]
    with pytest.raises(ContractError, match=r"status_callback: \$\.AccountSid = <missing>"):
        validate("status_callback", callback)


def test_unexpected_property_is_named() -> None:
    message = _example("message")
    message["tags"] = {"campaign": "x"}
    with pytest.raises(ContractError, match=r"message: \$\.tags = \{'campaign': 'x'\}"):
        validate("message", message)


def test_long_values_are_truncated_in_the_message() -> None:
    message = _example("message")
    message["body"] = "x" * 5000
    with pytest.raises(ContractError) as info:
        validate("message", message)
    assert "$.body" in str(info.value)
    assert len(str(info.value)) < 400


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("sid", "SM123"),
        ("sid", "XX" + "0" * 32),
        ("error_code", "30005"),
        ("num_media", 0),
        ("date_created", "2015-07-30T20:12:31Z"),
        ("date_sent", "Thu, 30 Jul 2015 20:12:33 GMT"),
        ("status", "bogus"),
        ("api_version", "2010-04-0"),
    ],
)
def test_message_rejects_shapes_twilio_never_sends(field: str, value: object) -> None:
    message = _example("message")
    message[field] = value
    with pytest.raises(ContractError, match=rf"\$\.{field} = "):
        validate("message", message)


def test_failed_message_must_say_why() -> None:
    message = _example("message")
    message["status"] = "failed"
    with pytest.raises(ContractError, match=r"\$\.error_(code|message) = None"):
        validate("message", message)
    message.update(error_code=30001, error_message="Queue overflow")
    validate("message", message)


def test_create_request_needs_a_sender_and_content() -> None:
    with pytest.raises(ContractError, match="21603"):
        validate("create_message_request", {"To": "+15005550006", "Body": "hi"})
    with pytest.raises(ContractError, match="21602"):
        validate("create_message_request", {"To": "+15005550006", "From": "+15005550006"})
    validate(
        "create_message_request",
        {"To": "+1", "MessagingServiceSid": "MG" + "a" * 32, "ContentSid": "HX" + "b" * 32},
    )


def test_create_request_refuses_misspelled_fields() -> None:
    with pytest.raises(ContractError, match=r"\$\.Statuscallback"):
        validate(
            "create_message_request",
            {"To": "+1", "From": "+2", "Body": "x", "Statuscallback": "https://x.example/"},
        )


def test_status_callback_error_code_iff_failure() -> None:
    delivered = _example("status_callback", 1)
    delivered["ErrorCode"] = "30005"
    with pytest.raises(ContractError, match=r"status_callback: \$"):
        validate("status_callback", delivered)
    failed = _example("status_callback", 2)
    del failed["ErrorCode"]
    with pytest.raises(ContractError, match=r"\$\.ErrorCode = <missing>"):
        validate("status_callback", failed)


def test_status_callback_allows_fields_twilio_adds_later() -> None:
    callback = _example("status_callback")
    callback["ChannelPrefix"] = "sms"
    validate("status_callback", callback)


def test_seed_sample_payload_is_a_documented_non_conforming_example() -> None:
    validator = contracts.validator("status_callback")
    bad_fields = {e.absolute_path[0] for e in validator.iter_errors(SEED_SAMPLE_CALLBACK)}
    assert bad_fields == {"MessageSid", "SmsSid", "AccountSid", "MessagingServiceSid", "ApiVersion"}
    # With real identifiers the seed's shape conforms (same fields, same order).
    fixed = dict(
        SEED_SAMPLE_CALLBACK,
        SmsSid="SM" + "1" * 32,
        MessageSid="SM" + "1" * 32,
        MessagingServiceSid="MG" + "2" * 32,
        AccountSid="AC" + "3" * 32,
        ApiVersion="2010-04-01",
    )
    validate("status_callback", fixed)
    assert list(fixed) == list(SEED_SAMPLE_CALLBACK)


def test_incoming_message_media_fields() -> None:
    inbound = _example("incoming_message")
    inbound["MediaUrl0"] = "not a url"
    with pytest.raises(ContractError, match=r"\$\.MediaUrl0 = 'not a url'"):
        validate("incoming_message", inbound)


def test_error_envelope() -> None:
    validate(
        "error",
        {
            "code": 21211,
            "message": "m",
            "more_info": "https://www.twilio.com/docs/errors/21211",
            "status": 400,
        },
    )
    with pytest.raises(ContractError, match=r"error: \$\.code = '21211'"):
        validate(
            "error",
            {
                "code": "21211",
                "message": "m",
                "more_info": "https://www.twilio.com/docs/errors/21211",
                "status": 400,
            },
        )


def test_unknown_schema_name_lists_known_ones() -> None:
    with pytest.raises(KeyError, match="status_callback"):
        validate("no_such_schema", {})


def test_schema_returns_a_copy() -> None:
    schema("message")["title"] = "changed"
    assert schema("message")["title"] == "Message"


# -- agreement with Twilio's published spec ------------------------------------------------


def _spec_type(spec: dict[str, Any], prop: dict[str, Any]) -> tuple[str | None, list[str] | None]:
    if "$ref" in prop:
        target = spec["components"]["schemas"][prop["$ref"].rsplit("/", 1)[-1]]
        return target.get("type"), target.get("enum")
    return prop.get("type"), prop.get("enum")


def test_message_schema_matches_twilio_spec(twilio_spec: dict[str, Any]) -> None:
    spec_message = twilio_spec["components"]["schemas"]["api.v2010.account.message"]
    ours = schema("message")["properties"]
    assert set(ours) == set(spec_message["properties"])
    for name, prop in spec_message["properties"].items():
        spec_type, spec_enum = _spec_type(twilio_spec, prop)
        if spec_enum is not None:
            assert ours[name]["enum"] == spec_enum, name
            continue
        our_type = ours[name].get("type", "string" if "const" in ours[name] else None)
        our_types = our_type if isinstance(our_type, list) else [our_type]
        assert spec_type in our_types, name
        if "pattern" in prop:
            assert ours[name]["pattern"] == prop["pattern"], name


def test_create_request_schema_covers_twilio_spec_fields(twilio_spec: dict[str, Any]) -> None:
    post = twilio_spec["paths"]["/2010-04-01/Accounts/{AccountSid}/Messages.json"]["post"]
    form = post["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"]
    ours = schema("create_message_request")
    assert set(form["properties"]) <= set(ours["properties"])
    assert ours["required"] == form["required"] == ["To"]


def test_message_list_schema_matches_twilio_spec(twilio_spec: dict[str, Any]) -> None:
    get = twilio_spec["paths"]["/2010-04-01/Accounts/{AccountSid}/Messages.json"]["get"]
    page = get["responses"]["200"]["content"]["application/json"]["schema"]
    assert set(schema("message_list")["properties"]) == set(page["properties"])
