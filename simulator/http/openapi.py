"""``/_smsim/openapi.json``: an OpenAPI 3.0 document of every route the server serves.

Built from the app's URL map at request time, so a new route is described the moment it
exists; the parameter tables below add what the URL map cannot know (form fields, query
parameters, JSON bodies).
"""

from __future__ import annotations

import re
from typing import Any

from flask import Flask

from smsim import __version__
from smsim.simulator.services import FIELDS as SERVICE_FIELDS

_STRING = {"type": "string"}
_ERROR = {
    "type": "object",
    "properties": {
        "code": {"type": "integer"},
        "message": {"type": "string"},
        "more_info": {"type": "string"},
        "status": {"type": "integer"},
    },
    "required": ["code", "message", "more_info", "status"],
}

# Form fields of POST routes on the Twilio surface (spec names).
FORM_FIELDS: dict[str, list[str]] = {
    "/2010-04-01/Accounts/{AccountSid}/Messages.json": [
        "To",
        "From",
        "MessagingServiceSid",
        "Body",
        "MediaUrl",
        "StatusCallback",
        "ValidityPeriod",
        "MaxPrice",
        "SmartEncoded",
        "ScheduleType",
        "SendAt",
        "ContentSid",
        "ApplicationSid",
        "Attempt",
    ],
    "/2010-04-01/Accounts/{AccountSid}/Messages/{Sid}.json": ["Body", "Status"],
    "/2010-04-01/Accounts.json": ["FriendlyName"],
    "/2010-04-01/Accounts/{AccountSid}.json": ["FriendlyName", "Status"],
    "/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers.json": [
        "PhoneNumber",
        "SmsUrl",
        "SmsMethod",
        "FriendlyName",
    ],
    "/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers/{Sid}.json": [
        "SmsUrl",
        "SmsMethod",
        "SmsFallbackUrl",
        "SmsFallbackMethod",
        "FriendlyName",
        "StatusCallback",
    ],
    "/2010-04-01/Accounts/{AccountSid}/OutgoingCallerIds.json": ["PhoneNumber", "FriendlyName"],
    "/v1/Services/{Sid}/PhoneNumbers": ["PhoneNumberSid"],
}
# Messaging Services take every writable setting on create and update.
FORM_FIELDS["/v1/Services"] = [f.form for f in SERVICE_FIELDS]
FORM_FIELDS["/v1/Services/{Sid}"] = [f.form for f in SERVICE_FIELDS]

QUERY_PARAMS: dict[str, list[str]] = {
    "/2010-04-01/Accounts/{AccountSid}/Messages.json": [
        "To",
        "From",
        "DateSent",
        "DateSent<",
        "DateSent>",
        "PageSize",
        "Page",
        "PageToken",
    ],
    "/_smsim/callbacks": ["message_sid", "status", "url", "kind", "account_sid", "limit"],
    "/_smsim/messages": [
        "to",
        "from",
        "status",
        "account_sid",
        "direction",
        "sid",
        "wait",
        "limit",
    ],
}

JSON_BODIES: dict[str, dict[str, Any]] = {
    "/_smsim/accounts": {
        "type": "object",
        "properties": {
            "type": {"type": "string", "enum": ["trial", "full"]},
            "sid": _STRING,
            "auth_token": _STRING,
            "friendly_name": _STRING,
            "numbers": {"type": "array", "items": _STRING},
            "verified_numbers": {"type": "array", "items": _STRING},
        },
    },
    "/_smsim/clock/advance": {
        "type": "object",
        "properties": {"seconds": {"type": "number", "minimum": 0}},
        "required": ["seconds"],
    },
    "/_smsim/inbound": {
        "type": "object",
        "properties": {
            "from": _STRING,
            "to": _STRING,
            "body": _STRING,
            "num_segments": {"type": "integer", "minimum": 1},
            "lost_segment": {"type": "boolean"},
            "media_urls": {"type": "array", "items": _STRING, "maxItems": 10},
        },
        "required": ["from", "to", "body"],
    },
    "/_smsim/rules": {"type": "object"},
    "/_smsim/accounts/{Sid}/numbers": {
        "type": "object",
        "properties": {"phone_number": _STRING, "sms_url": _STRING, "sms_method": _STRING},
        "required": ["phone_number"],
    },
    "/_smsim/accounts/{Sid}/verified_numbers": {
        "type": "object",
        "properties": {"phone_number": _STRING},
        "required": ["phone_number"],
    },
    "/_smsim/accounts/{Sid}/keys": {
        "type": "object",
        "properties": {"friendly_name": _STRING},
    },
    "/_smsim/accounts/{Sid}/numbers/{number_sid}": {
        "type": "object",
        "properties": {"sms_url": _STRING, "sms_method": _STRING, "friendly_name": _STRING},
    },
}

_CONVERTER = re.compile(r"<(?:[a-z]+:)?([A-Za-z_]+)>")


def _openapi_path(rule: str) -> str:
    path = _CONVERTER.sub(lambda m: "{" + _param_name(m.group(1)) + "}", rule)
    return path


def _param_name(name: str) -> str:
    return {"account_sid": "AccountSid", "sid": "Sid"}.get(name, name)


def build_document(app: Flask) -> dict[str, Any]:
    """The OpenAPI document for ``app``'s routes."""
    paths: dict[str, dict[str, Any]] = {}
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        path = _openapi_path(rule.rule)
        twilio = path.startswith("/2010-04-01") or path.startswith("/v1/")
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            operation: dict[str, Any] = {
                "operationId": f"{rule.endpoint}.{method.lower()}",
                "tags": ["twilio" if twilio else "control"],
                "responses": {
                    "default": {
                        "description": "Twilio's error envelope on failure",
                        "content": {"application/json": {"schema": _ERROR}},
                    },
                    "200": {"description": "OK"},
                },
            }
            parameters = [
                {"name": name, "in": "path", "required": True, "schema": _STRING}
                for name in re.findall(r"{([^}]+)}", path)
            ]
            if method == "GET":
                parameters += [
                    {"name": name, "in": "query", "required": False, "schema": _STRING}
                    for name in QUERY_PARAMS.get(path, [])
                ]
            if parameters:
                operation["parameters"] = parameters
            if method == "POST" and path in FORM_FIELDS:
                operation["requestBody"] = {
                    "content": {
                        "application/x-www-form-urlencoded": {
                            "schema": {
                                "type": "object",
                                "properties": {f: _STRING for f in FORM_FIELDS[path]},
                            }
                        }
                    }
                }
            elif method == "POST" and path in JSON_BODIES:
                operation["requestBody"] = {
                    "content": {"application/json": {"schema": JSON_BODIES[path]}}
                }
            if twilio:
                operation["security"] = [{"basic": []}]
            paths.setdefault(path, {})[method.lower()] = operation
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "smsim",
            "version": __version__,
            "description": "The Twilio Messages surface smsim simulates, and its control API.",
        },
        "servers": [{"url": "/"}],
        "components": {"securitySchemes": {"basic": {"type": "http", "scheme": "basic"}}},
        "paths": dict(sorted(paths.items())),
    }
