"""The control API is documented where users look: every ``/_smsim/`` route has a
description in ``/_smsim/openapi.json`` and a row in docs/control-api.md, every route that
reads a JSON body has a schema, and each schema's example is accepted by the server."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import requests
from jsonschema import Draft202012Validator

DOC = Path(__file__).resolve().parents[2] / "docs" / "control-api.md"
JSON_BODY_ROUTES = {
    "/_smsim/accounts",
    "/_smsim/accounts/{Sid}/numbers",
    "/_smsim/accounts/{Sid}/verified_numbers",
    "/_smsim/accounts/{Sid}/keys",
    "/_smsim/accounts/{Sid}/numbers/{number_sid}",
    "/_smsim/rules",
    "/_smsim/clock/advance",
    "/_smsim/inbound",
}


def _control_operations(document: dict) -> dict[tuple[str, str], dict]:
    return {
        (method.upper(), path): operation
        for path, operations in document["paths"].items()
        if path.startswith("/_smsim/")
        for method, operation in operations.items()
    }


@pytest.fixture
def document(simulator) -> dict:
    return requests.get(f"{simulator.url}/_smsim/openapi.json", timeout=5).json()


def test_every_control_route_is_described(document) -> None:
    operations = _control_operations(document)
    assert len(operations) >= 20
    undescribed = [f"{m} {p}" for (m, p), op in operations.items() if not op.get("description")]
    assert undescribed == []
    assert "2 MiB" in document["info"]["description"]


def test_json_body_routes_have_schemas_with_valid_examples(document) -> None:
    operations = _control_operations(document)
    for path in JSON_BODY_ROUTES:
        schema = operations[("POST", path)]["requestBody"]["content"]["application/json"]["schema"]
        Draft202012Validator.check_schema(schema)
        validator = Draft202012Validator(schema)
        assert list(validator.iter_errors(schema["example"])) == [], path
    rules = operations[("POST", "/_smsim/rules")]["requestBody"]["content"]["application/json"]
    rule_validator = Draft202012Validator(rules["schema"])
    assert not rule_validator.is_valid({"match": {"to": "+1"}})  # outcome is required
    assert not rule_validator.is_valid({"outcome": {}, "colour": "red"})


def test_each_schema_example_is_accepted_by_the_server(simulator, document) -> None:
    """What the document shows works when sent as shown."""
    operations = _control_operations(document)
    owner = requests.post(
        f"{simulator.url}/_smsim/accounts", json={"numbers": ["+14155550149"]}, timeout=5
    ).json()
    for path in sorted(JSON_BODY_ROUTES):
        body = operations[("POST", path)]["requestBody"]["content"]["application/json"]
        url = simulator.url + path.replace("{Sid}", owner["sid"]).replace(
            "{number_sid}", owner["numbers"][0]["sid"]
        )
        response = requests.post(url, json=body["schema"]["example"], timeout=5)
        assert response.status_code in (200, 201), (path, response.text)


def test_docs_list_every_control_route(document) -> None:
    text = DOC.read_text(encoding="utf-8")
    documented = {
        (method, re.sub(r"\{[^}]+\}", "{}", path))
        for method, path in re.findall(r"`(GET|POST|DELETE) (/_smsim/[^`?\s]*)`", text)
    }
    served = {
        (method, re.sub(r"\{[^}]+\}", "{}", path)) for method, path in _control_operations(document)
    }
    assert served - documented == set()
    assert documented - served == set()
