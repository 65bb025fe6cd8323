"""``/_smsim/openapi.json``: an OpenAPI 3.1 document of every API route the server serves.

Derived, so it cannot drift from what the server does: the paths, methods and path
parameters are read from the app's URL map at request time; each endpoint's statuses,
query parameters and body come from its declaration in :mod:`.openapi_routes`; bodies
and responses that a contract validates are the contract itself
(:mod:`.openapi_schemas`). Web pages and their files are not an API and are left out.
An API route without a declaration is still listed from the URL map, and a test fails
until it is declared, so a new route cannot go undocumented.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from werkzeug.routing import Rule

from smsim import __version__
from smsim.simulator.http.context import engine_of
from smsim.simulator.http.openapi_routes import JSON, PAGE_BLUEPRINTS, ROUTES, UNDECLARED, Route
from smsim.simulator.http.openapi_schemas import COMPONENTS, components, ref
from smsim.simulator.http.params import SQLITE_MAX_INTEGER

# Flask's path converters as schemas: the default one takes any text without a slash.
_CONVERTERS: dict[str, dict[str, Any]] = {
    "default": {"type": "string", "minLength": 1, "pattern": "^[^/]+$"},
    "int": {"type": "integer", "minimum": 0, "maximum": SQLITE_MAX_INTEGER},
    "rowid": {"type": "integer", "minimum": 0, "maximum": SQLITE_MAX_INTEGER},
}
_PARAM_NAMES = {"account_sid": "AccountSid", "sid": "Sid"}
_VARIABLE = re.compile(r"<(?:([a-z]+):)?([A-Za-z_]+)>")
_TWILIO_PREFIXES = ("/2010-04-01/", "/v1/")
_REASONS = {
    200: "OK",
    201: "Created",
    204: "Deleted (no body)",
    400: "A parameter or body the route refuses; the message names it",
    401: "No or wrong credentials",
    403: "Refused: a foreign Host or a cross-site write on the control API; on the "
    "Twilio surface, what the account may not do",
    404: "Nothing of that name is visible to the caller",
    409: "Conflicts with the current state",
    413: "The body is over 2 MiB",
    415: "The body is not JSON (Content-Type: application/json)",
    429: "The account's queue is full (21611)",
    503: "Too many requests already wait; try again",
}


def is_page(rule: Rule) -> bool:
    """A route serving a web page or its files (not described by the document)."""
    return rule.endpoint == "static" or rule.endpoint.split(".", 1)[0] in PAGE_BLUEPRINTS


def api_rules(app: Flask) -> list[Rule]:
    """The URL map's API routes, in the map's order."""
    return [rule for rule in app.url_map.iter_rules() if not is_page(rule)]


def api_methods(rule: Rule) -> list[str]:
    """The methods a route serves itself (HEAD and OPTIONS are Flask's, on every route)."""
    return sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})


def openapi_path(rule: Rule) -> str:
    """``/Accounts/<account_sid>.json`` -> ``/Accounts/{AccountSid}.json``."""
    return _VARIABLE.sub(lambda m: "{" + _PARAM_NAMES.get(m[2], m[2]) + "}", rule.rule)


def build_document(app: Flask) -> dict[str, Any]:
    """The OpenAPI document for ``app``'s API routes."""
    token = bool(engine_of(app).config.control_token)
    paths: dict[str, dict[str, Any]] = {}
    named: set[str] = {"error"}
    for rule in api_rules(app):
        # A route nobody declared is still listed, with what the URL map knows (a test
        # fails while any is left).
        route = ROUTES.get(rule.endpoint, UNDECLARED)
        for method in api_methods(rule):
            operation = _operation(rule, method, route, token)
            named.update(_contracts_named(operation))
            paths.setdefault(openapi_path(rule), {})[method.lower()] = operation
    security_schemes: dict[str, Any] = {"basic": {"type": "http", "scheme": "basic"}}
    if token:
        security_schemes["control"] = {"type": "http", "scheme": "bearer"}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "smsim",
            "version": __version__,
            "description": (
                "The Twilio Messages surface smsim simulates (tags `twilio` and "
                "`messaging`), and its control API (`/_smsim/`, JSON; a bearer token when "
                "the server has a control token). Every error is Twilio's envelope. "
                "Request bodies are limited to 2 MiB (413 with code 20001 beyond). "
                "A method a path does not serve answers 405 with an `Allow` header."
            ),
        },
        "servers": [{"url": "/"}],
        "paths": dict(sorted(paths.items())),
        "components": {"schemas": components(named), "securitySchemes": security_schemes},
    }


def _operation(rule: Rule, method: str, route: Route, token: bool) -> dict[str, Any]:
    path = rule.rule
    twilio = path.startswith(_TWILIO_PREFIXES)
    operation: dict[str, Any] = {
        "operationId": f"{rule.endpoint}.{method.lower()}",
        "tags": ["twilio" if path.startswith("/2010") else "messaging" if twilio else "control"],
    }
    if route.description:
        operation["description"] = route.description
    parameters = _path_parameters(rule)
    if method == "GET":
        parameters += [
            {"name": q.name, "in": "query", "required": False, "schema": q.schema}
            | ({"description": q.description} if q.description else {})
            for q in route.query
        ]
    if parameters:
        operation["parameters"] = parameters
    if method == "POST" and route.body is not None:
        operation["requestBody"] = {
            "required": route.body.required,
            "content": {route.body.media_type: {"schema": route.body.schema}},
        }
    operation["responses"] = _responses(rule, method, route, twilio, token)
    if twilio:
        operation["security"] = [{"basic": []}]
    elif token:
        operation["security"] = [{"control": []}]
    return operation


def _path_parameters(rule: Rule) -> list[dict[str, Any]]:
    return [
        {
            "name": _PARAM_NAMES.get(name, name),
            "in": "path",
            "required": True,
            "schema": dict(_CONVERTERS.get(converter or "default", _CONVERTERS["default"])),
        }
        for converter, name in _VARIABLE.findall(rule.rule)
    ]


def _responses(rule: Rule, method: str, route: Route, twilio: bool, token: bool) -> dict[str, Any]:
    statuses = {route.ok, *route.others}
    has_params = "<" in rule.rule
    writes = method == "POST"
    if twilio:
        statuses.add(401)  # Basic auth on every route, before anything else
        if writes:
            statuses.update({400, 413})  # a form that is not UTF-8; a body over 2 MiB
    else:
        statuses.add(403)  # the Host allow-list (docs/security.md)
        if token:
            statuses.add(401)
        if writes:
            statuses.update({400, 403, 413, 415})  # not a JSON object; cross-site; size
    if has_params:
        statuses.add(404)
    responses: dict[str, Any] = {}
    for status in sorted(statuses):
        answer: dict[str, Any] = {"description": _REASONS.get(status, "")}
        if status >= 400:
            answer["content"] = {JSON: {"schema": ref("error")}}
        elif status != 204 and route.response is not None:
            answer["content"] = {route.response_type: {"schema": route.response}} | {
                media_type: {"schema": schema} for media_type, schema in route.also.items()
            }
        responses[str(status)] = answer
    return responses


def _contracts_named(node: Any) -> set[str]:
    """The contracts an operation references."""
    found: set[str] = set()
    if isinstance(node, dict):
        target = node.get("$ref")
        if isinstance(target, str) and target.startswith(COMPONENTS):
            found.add(target[len(COMPONENTS) :].split("/", 1)[0])
        for value in node.values():
            found |= _contracts_named(value)
    elif isinstance(node, list):
        for item in node:
            found |= _contracts_named(item)
    return found
