"""The control API is documented where users look: every ``/_smsim/`` route has a
description in ``/_smsim/openapi.json`` and a row in docs/control-api.md (the document's
bodies and examples: test_openapi_document.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import requests

DOC = Path(__file__).resolve().parents[2] / "docs" / "control-api.md"


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
