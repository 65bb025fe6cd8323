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
from smsim.simulator.rules import DELAY_KEYS, MATCH_KEYS, OUTCOME_STATUSES
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
        "number",
        "error_code",
        "q",
        "lost_callbacks",
        "before",
        "after",
    ],
    "/conversations/{handset}": ["account_sid"],
    "/": ["account_sid", "number", "status", "error_code", "direction", "q", "before", "after"],
}

_NUMBER = {
    "oneOf": [
        {"type": "string", "description": "an E.164 number, e.g. +14155550100"},
        {
            "type": "object",
            "properties": {
                "phone_number": _STRING,
                "sms_url": {**_STRING, "description": "where inbound messages are POSTed"},
                "sms_method": {"type": "string", "enum": ["GET", "POST"]},
                "friendly_name": _STRING,
            },
            "required": ["phone_number"],
        },
    ]
}
_RULE = {
    "type": "object",
    "description": "Messages matching `match` end as `outcome` (first matching rule wins).",
    "properties": {
        "match": {
            "type": "object",
            "description": "every key optional; all given keys must match",
            "properties": {k: {"type": "string", "minLength": 1} for k in MATCH_KEYS},
            "additionalProperties": False,
        },
        "outcome": {
            "type": "object",
            "properties": {
                "status": {"type": "string", "enum": list(OUTCOME_STATUSES)},
                "error_code": {
                    "type": "integer",
                    "description": "alone, implies the catalogue's terminal status",
                },
                "delays": {
                    "type": "object",
                    "description": "seconds before each step",
                    "properties": {k: {"type": "number", "minimum": 0} for k in DELAY_KEYS},
                    "additionalProperties": False,
                },
            },
            "additionalProperties": False,
        },
        "probability": {"type": "number", "minimum": 0, "maximum": 1},
        "count": {"type": "integer", "minimum": 1, "description": "expires after this many"},
    },
    "required": ["outcome"],
    "additionalProperties": False,
}

JSON_BODIES: dict[str, dict[str, Any]] = {
    "/_smsim/accounts": {
        "type": "object",
        "properties": {
            "type": {"type": "string", "enum": ["trial", "full"], "default": "full"},
            "sid": {**_STRING, "pattern": "^AC[0-9a-fA-F]{32}$"},
            "auth_token": _STRING,
            "friendly_name": _STRING,
            "numbers": {"type": "array", "items": _NUMBER},
            "verified_numbers": {"type": "array", "items": _STRING},
        },
        "example": {"type": "trial", "numbers": ["+14155550141"], "verified_numbers": []},
    },
    "/_smsim/clock/advance": {
        "type": "object",
        "properties": {"seconds": {"type": "number", "minimum": 0}},
        "required": ["seconds"],
        "example": {"seconds": 5},
    },
    "/_smsim/inbound": {
        "type": "object",
        "properties": {
            "from": {**_STRING, "description": "the handset"},
            "to": {**_STRING, "description": "a Twilio number some account owns"},
            "body": _STRING,
            "num_segments": {"type": "integer", "minimum": 1},
            "lost_segment": {
                "type": "boolean",
                "description": "30009: stored undelivered, no webhook sent",
            },
            "media_urls": {"type": "array", "items": _STRING, "maxItems": 10},
        },
        "required": ["from", "to"],
        "description": "`body` is required unless `media_urls` are given.",
        "example": {"from": "+14155550199", "to": "+15005550006", "body": "See you at 5"},
    },
    "/_smsim/rules": {
        "oneOf": [
            _RULE,
            {
                "type": "object",
                "properties": {"rules": {"type": "array", "items": _RULE}},
                "required": ["rules"],
                "additionalProperties": False,
            },
        ],
        "example": {"match": {"to_prefix": "+44"}, "outcome": {"error_code": 30003}},
    },
    "/_smsim/accounts/{Sid}/numbers": {
        "type": "object",
        "properties": {
            "phone_number": _STRING,
            "sms_url": _STRING,
            "sms_method": {"type": "string", "enum": ["GET", "POST"]},
        },
        "required": ["phone_number"],
        "example": {"phone_number": "+14155550142", "sms_url": "http://127.0.0.1:5000/sms"},
    },
    "/_smsim/accounts/{Sid}/verified_numbers": {
        "type": "object",
        "properties": {"phone_number": _STRING},
        "required": ["phone_number"],
        "example": {"phone_number": "+14155550143"},
    },
    "/_smsim/accounts/{Sid}/keys": {
        "type": "object",
        "properties": {"friendly_name": _STRING},
        "example": {"friendly_name": "ci"},
    },
    "/_smsim/accounts/{Sid}/numbers/{number_sid}": {
        "type": "object",
        "properties": {
            "sms_url": {**_STRING, "description": "where inbound messages go; empty clears it"},
            "sms_method": {"type": "string", "enum": ["GET", "POST"]},
            "friendly_name": {**_STRING, "minLength": 1},
        },
        "additionalProperties": False,
        "example": {"sms_url": "http://127.0.0.1:5000/sms", "sms_method": "POST"},
    },
}

# What each control route does and answers ("METHOD path" -> description); the document
# shows it, and a test keeps it complete. docs/control-api.md has the long form.
CONTROL_DESCRIPTIONS: dict[str, str] = {
    "GET /_smsim/health": "Liveness: `status`, clock mode, `now`, `pending_jobs`, `store`.",
    "POST /_smsim/reset": "Forget every account, message, rule and callback, then re-seed "
    "the configured accounts. No body. Answers the new `accounts`.",
    "GET /_smsim/openapi.json": "This document.",
    "GET /_smsim/metrics": "Prometheus metrics in the text exposition format, read from the "
    "store: messages created and stored (by direction, status, error code), webhook attempts "
    "by outcome and their latency, lost callbacks, pending jobs.",
    "GET /_smsim/accounts": "Every account with its credentials, numbers and verified numbers.",
    "POST /_smsim/accounts": "Create an account (trial or full) with numbers and verified "
    "numbers; `sid`/`auth_token` to choose them. Answers 201 with the account.",
    "GET /_smsim/accounts/{Sid}": "One account, as in the list.",
    "DELETE /_smsim/accounts/{Sid}": "Remove the account, its subaccounts and everything "
    "kept for them (messages, pending steps, callback attempts, services, opt-outs, numbers); "
    'answers `{"removed": [sid, ...]}`, the account\'s SID last.',
    "POST /_smsim/accounts/{Sid}/numbers": "Give the account a number (an IncomingPhoneNumber"
    "); answers 201 with Twilio's IncomingPhoneNumber JSON.",
    "POST /_smsim/accounts/{Sid}/verified_numbers": "Verify a number for the account (trial "
    "accounts may text only these); answers 201 with the OutgoingCallerId JSON.",
    "POST /_smsim/accounts/{Sid}/keys": "Create an API key: answers 201 with `sid` (SK...) and "
    "`secret`, accepted as Basic auth for the account.",
    "POST /_smsim/accounts/{Sid}/suspend": "Suspend: unsent messages fail with 30002, new "
    "sends get 20005. No body. Answers the account.",
    "POST /_smsim/accounts/{Sid}/reactivate": "Make a suspended account active again. No body.",
    "POST /_smsim/accounts/{Sid}/numbers/{number_sid}": "Change an owned number's inbound "
    "webhook (`sms_url`, empty clears it; `sms_method`) or `friendly_name`; answers Twilio's "
    "IncomingPhoneNumber JSON.",
    "GET /_smsim/accounts/{Sid}/services": "The account's Messaging Services, each with its "
    "`senders` (the pool, in joining order).",
    "GET /_smsim/accounts/{Sid}/keys": "The account's API keys (`sid`, `friendly_name`, "
    "`date_created`), never their secrets.",
    "GET /_smsim/rules": "The outcome rules, oldest (first to match) first, with `remaining`.",
    "POST /_smsim/rules": 'Add one rule, or several as `{"rules": [...]}`; answers 201 with '
    "the rule(s) as stored, each with its `id`.",
    "DELETE /_smsim/rules": "Delete every rule; answers `deleted` (how many).",
    "DELETE /_smsim/rules/{rule_id}": "Delete one rule; 404 when there is none.",
    "GET /_smsim/clock": "Clock `mode`, `now` (epoch seconds and RFC 2822), `pending_jobs`, "
    "`next_due`.",
    "POST /_smsim/clock/advance": "Virtual clock only (409 otherwise): move time forward, "
    "running what falls due; answers the clock and `jobs_run`.",
    "POST /_smsim/clock/run-until-idle": "Virtual clock only: run every pending step (sends, "
    "callbacks, retries), moving time as needed. No body.",
    "GET /_smsim/callbacks": "Every webhook attempt (status callbacks and inbound): url, "
    "params, headers, response, error, attempt; filtered by the query.",
    "GET /_smsim/messages": "Messages across accounts, newest first; `wait=S` long-polls up "
    "to S seconds (at most 60) until one matches. Filters: `number` (to or from), `q` (text "
    "in the body), `error_code`, `lost_callbacks`, ...; keyset pages: `before`/`after` take "
    "the answer's `older`/`newer` cursor.",
    "GET /_smsim/messages/{Sid}": "One message of any account: the Message JSON with ISO "
    "times, its status `timeline`, segments, encoding, the webhook URL's retry policy and "
    "every webhook attempt (`callbacks`, each also as `curl`).",
    "GET /_smsim/stream": "Server-Sent Events (with `Accept: text/event-stream`): an "
    "`event: change` whenever stored data changed, a heartbeat comment every 15 s; without "
    "that Accept, the change counter as JSON.",
    "POST /_smsim/callbacks/{attempt_id}/redeliver": "Send a logged webhook attempt again "
    "now, signed as the original; logged as a new attempt. No body. Answers 201 with it.",
    "GET /_smsim/callbacks/lost": "How many callbacks were never delivered (every attempt "
    "failed, none left to try): `count`.",
    "POST /_smsim/inbound": "A handset texts a Twilio number: stores the message, applies "
    "opt-out keywords, sends the webhook; answers the message, `opt_out_type`, "
    "`auto_reply`, `webhook` and TwiML `replies` (201, or 200 when not stored).",
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
            described = CONTROL_DESCRIPTIONS.get(f"{method} {path}")
            if described:
                operation["description"] = described
            if twilio:
                operation["security"] = [{"basic": []}]
            paths.setdefault(path, {})[method.lower()] = operation
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "smsim",
            "version": __version__,
            "description": (
                "The Twilio Messages surface smsim simulates, and its control API "
                "(`/_smsim/`, JSON; a bearer token when the server has a control token). "
                "Request bodies are limited to 2 MiB "
                "(413 with code 20001 beyond)."
            ),
        },
        "servers": [{"url": "/"}],
        "components": {"securitySchemes": {"basic": {"type": "http", "scheme": "basic"}}},
        "paths": dict(sorted(paths.items())),
    }
