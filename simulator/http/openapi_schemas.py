"""The contract schemas (``contracts/schemas/``) as OpenAPI 3.1 components.

OpenAPI 3.1 schemas are JSON Schema 2020-12, the dialect of the contracts, so a contract
is embedded as it is: only its references are re-pointed into the document
(``#/$defs/x`` and ``other.schema.json`` name places in their own file) and the parts
meant for smsim alone are dropped (``$id``/``$schema``, and the ``errorMessage``
wording the server answers with). The document never restates a contract.
"""

from __future__ import annotations

from typing import Any

from smsim.contracts import SCHEMA_SUFFIX, schema

COMPONENTS = "#/components/schemas/"
_DROPPED = frozenset({"$id", "$schema", "errorMessage"})
# Form contracts that refuse unknown fields to catch a typo in a sender, where Twilio, and
# smsim as its stand-in, ignore a form field they do not know (docs/fidelity.md, Messages
# API): the document describes the server, so it leaves that one refusal out.
OPEN_FORMS = frozenset({"create_message_request"})


def ref(name: str) -> dict[str, str]:
    """A reference to contract ``name`` (e.g. ``"rule"``) among the components."""
    return {"$ref": COMPONENTS + name}


def components(names: set[str]) -> dict[str, Any]:
    """The contracts ``names`` and every contract they reference, ready for
    ``components.schemas``."""
    found: dict[str, Any] = {}
    pending = sorted(names)
    while pending:
        name = pending.pop()
        if name in found:
            continue
        referenced: set[str] = set()
        embedded = _embedded(schema(name), name, referenced)
        if name in OPEN_FORMS:
            embedded.pop("additionalProperties", None)
        found[name] = embedded
        pending.extend(sorted(referenced - set(found)))
    return dict(sorted(found.items()))


def _embedded(node: Any, owner: str, referenced: set[str]) -> Any:
    if isinstance(node, list):
        return [_embedded(item, owner, referenced) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in _DROPPED:
            continue
        if key == "$ref" and isinstance(value, str):
            out[key] = _pointer(value, owner, referenced)
        elif key in {"properties", "$defs", "patternProperties"} and isinstance(value, dict):
            # keys here are names, not keywords: a property called errorMessage stays
            out[key] = {k: _embedded(v, owner, referenced) for k, v in value.items()}
        else:
            out[key] = _embedded(value, owner, referenced)
    return out


def _pointer(target: str, owner: str, referenced: set[str]) -> str:
    """``#/$defs/x`` -> ``#/components/schemas/owner/$defs/x``; ``other.schema.json#/y``
    -> ``#/components/schemas/other/y``."""
    file, _, fragment = target.partition("#")
    name = owner
    if file:
        name = file.rsplit("/", 1)[-1].removesuffix(SCHEMA_SUFFIX)
        referenced.add(name)
    return COMPONENTS + name + fragment.rstrip("/")
