"""``/_smsim/openapi.json`` tells the truth about the server: it lists exactly the API
routes Flask serves (no page, nothing missing), each with the statuses its code answers,
typed query parameters and the contract schemas that validate its bodies."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from jsonschema import Draft202012Validator

from smsim.contracts import schema as contract
from smsim.simulator.config import SimulatorConfig
from smsim.simulator.http.app import create_app
from smsim.simulator.http.openapi import api_methods, api_rules, build_document, openapi_path
from smsim.simulator.http.openapi_routes import EXAMPLE_ACCOUNT, ROUTES
from smsim.simulator.server import SimulatorServer

MESSAGES = "/2010-04-01/Accounts/{AccountSid}/Messages.json"


@pytest.fixture(scope="module")
def app() -> Any:
    return create_app(SimulatorConfig(memory=True, port=0))


@pytest.fixture(scope="module")
def document(app: Any) -> dict[str, Any]:
    with app.app_context():
        return build_document(app)


def test_the_document_lists_exactly_the_api_routes_flask_serves(app, document) -> None:
    served = {
        (openapi_path(rule), method.lower())
        for rule in api_rules(app)
        for method in api_methods(rule)
    }
    documented = {(path, method) for path, ops in document["paths"].items() for method in ops}
    assert documented == served
    assert len(served) >= 55
    # web pages and their files are not an API
    assert not [
        p for p in document["paths"] if not p.startswith(("/2010-04-01/", "/v1/", "/_smsim/"))
    ]


def test_every_api_route_is_declared(app) -> None:
    endpoints = {rule.endpoint for rule in api_rules(app)}
    assert endpoints - set(ROUTES) == set(), "declare these in openapi_routes.py"
    assert set(ROUTES) - endpoints == set(), "declared but not served"


def test_creating_posts_document_201_and_deletes_204(document) -> None:
    paths = document["paths"]
    assert set(paths[MESSAGES]["post"]["responses"]) >= {"201", "400", "401", "429"}
    assert "200" not in paths[MESSAGES]["post"]["responses"]
    for path in ("/_smsim/accounts", "/_smsim/rules", "/v1/Services", "/2010-04-01/Accounts.json"):
        assert "201" in paths[path]["post"]["responses"], path
    assert "409" in paths["/_smsim/accounts"]["post"]["responses"]
    deleted = paths["/2010-04-01/Accounts/{AccountSid}/Messages/{Sid}.json"]["delete"]
    assert set(deleted["responses"]) == {"204", "401", "404", "409"}
    assert "content" not in deleted["responses"]["204"]
    stream = paths["/_smsim/stream"]["get"]["responses"]["200"]["content"]
    assert set(stream) == {"application/json", "text/event-stream"}
    # the inbound route answers 200 when no message was stored
    assert {"200", "201"} <= set(paths["/_smsim/inbound"]["post"]["responses"])


def test_every_error_status_is_twilios_envelope(document) -> None:
    for operations in document["paths"].values():
        for operation in operations.values():
            for status, answer in operation["responses"].items():
                if int(status) >= 400:
                    schema = answer["content"]["application/json"]["schema"]
                    assert schema == {"$ref": "#/components/schemas/error"}


def test_query_parameters_are_typed_as_the_routes_parse_them(document) -> None:
    def query(path: str) -> dict[str, Any]:
        parameters = document["paths"][path]["get"]["parameters"]
        return {p["name"]: p["schema"] for p in parameters if p["in"] == "query"}

    messages = query("/_smsim/messages")
    assert messages["limit"]["type"] == "integer" and messages["limit"]["minimum"] == 0
    assert messages["wait"]["type"] == "number"
    assert messages["before"]["type"] == "integer"
    assert query("/_smsim/callbacks")["limit"]["type"] == "integer"
    assert query(MESSAGES)["PageSize"] == {"type": "integer", "minimum": 1, "maximum": 1000}
    rule_id = document["paths"]["/_smsim/rules/{rule_id}"]["delete"]["parameters"][0]
    assert rule_id["schema"]["type"] == "integer"


def test_bodies_and_responses_are_the_contracts(document) -> None:
    """No hand-written copy: the rule and account bodies, the Message and the list are
    the contract schemas themselves, minus the wording only smsim reads."""
    components = document["components"]["schemas"]
    rule = contract("rule")
    assert components["rule"]["properties"].keys() == rule["properties"].keys()
    assert components["rule"]["properties"]["id"] == rule["properties"]["id"]  # accepted back
    assert "null" in components["rule"]["properties"]["match"]["type"]
    assert "errorMessage" not in _keys(components) and "$id" not in _keys(components)
    accounts = document["paths"]["/_smsim/accounts"]["post"]["requestBody"]
    assert accounts["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/account_spec"
    }
    created = document["paths"][MESSAGES]["post"]
    form = created["requestBody"]["content"]["application/x-www-form-urlencoded"]
    assert form["schema"] == {"$ref": "#/components/schemas/create_message_request"}
    assert created["responses"]["201"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/message"
    }
    listed = document["paths"][MESSAGES]["get"]["responses"]["200"]["content"]
    assert listed["application/json"]["schema"] == {"$ref": "#/components/schemas/message_list"}
    # message_list's reference to message.schema.json points into the document
    items = components["message_list"]["properties"]["messages"]["items"]
    assert items["$ref"] == "#/components/schemas/message"


def _keys(node: Any) -> set[str]:
    if isinstance(node, dict):
        return set(node).union(*(_keys(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(_keys(v) for v in node))
    return set()


def _validator(document: dict[str, Any], schema: dict[str, Any]) -> Draft202012Validator:
    """``schema`` with the document's components beside it, so its references resolve."""
    return Draft202012Validator({**schema, "components": document["components"]})


def _json_bodies(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        path: ops["post"]["requestBody"]["content"]["application/json"]["schema"]
        for path, ops in document["paths"].items()
        if "post" in ops
        and "application/json" in ops["post"].get("requestBody", {}).get("content", {})
    }


def _examples(document: dict[str, Any], schema: dict[str, Any]) -> list[Any]:
    target = schema.get("$ref") or (schema.get("oneOf") or [{}])[0].get("$ref")
    if target:
        schema = document["components"]["schemas"][target.rsplit("/", 1)[-1]]
    return list(schema.get("examples", []))


def test_every_json_body_has_examples_its_schema_accepts(document) -> None:
    bodies = _json_bodies(document)
    assert len(bodies) >= 8
    for path, schema in bodies.items():
        examples = _examples(document, schema)
        assert examples, path
        validator = _validator(document, schema)
        for example in examples:
            assert list(validator.iter_errors(example)) == [], (path, example)
    rules = _validator(document, bodies["/_smsim/rules"])
    assert not rules.is_valid({"match": {"to": "+1"}})  # outcome is required
    assert not rules.is_valid({"outcome": {}, "colour": "red"})
    assert rules.is_valid({"id": 3, "match": None, "outcome": {}})  # a listed rule, posted back


def test_each_example_is_accepted_by_the_server(document) -> None:
    """What the document shows works when sent as shown."""
    config = SimulatorConfig(memory=True, port=0, clock="virtual", create_default_accounts=False)
    with SimulatorServer(config) as server:
        base = server.url
        owner = requests.post(
            f"{base}/_smsim/accounts", json={"numbers": ["+15005550006"]}, timeout=5
        ).json()
        for path, schema in sorted(_json_bodies(document).items()):
            for example in _examples(document, schema):
                if example.get("account_sid") == EXAMPLE_ACCOUNT:
                    example = {**example, "account_sid": owner["sid"]}
                if example.get("numbers") == ["+15005550006"]:
                    example = {**example, "numbers": ["+15005550007"]}  # the owner has it
                url = base + path.replace("{Sid}", owner["sid"]).replace(
                    "{number_sid}", owner["numbers"][0]["sid"]
                )
                answer = requests.post(url, json=example, timeout=5)
                if "{" in url:  # names a row this fresh server has none of (a webhook attempt)
                    assert answer.status_code == 404 and answer.json()["code"] == 20404
                    continue
                assert answer.status_code in (200, 201), (path, example, answer.text)


def test_control_security_is_declared_only_with_a_token() -> None:
    app = create_app(SimulatorConfig(memory=True, port=0, control_token="s3cret"))
    with app.app_context():
        document = build_document(app)
    health = document["paths"]["/_smsim/health"]["get"]
    assert health["security"] == [{"control": []}] and "401" in health["responses"]
    assert document["paths"][MESSAGES]["post"]["security"] == [{"basic": []}]


def test_the_server_serves_the_document(simulator) -> None:
    served = requests.get(f"{simulator.url}/_smsim/openapi.json", timeout=5).json()
    assert served["openapi"] == "3.1.0"
    assert "security" not in served["paths"]["/_smsim/health"]["get"]  # no token here
