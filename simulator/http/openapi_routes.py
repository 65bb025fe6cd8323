"""What the route table cannot say about each route, for ``/_smsim/openapi.json``.

Paths, methods and path parameters come from Flask's URL map (:mod:`.openapi`); each
endpoint here adds its success status, the other statuses its own code answers, its
query parameters (typed as the route parses them) and its request body. Bodies and
responses the contracts describe are named by contract (``contracts/schemas/``); the
statuses every route of a surface shares (401, 403, 413, ...) are added by the builder.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from smsim.contracts import catalogue
from smsim.contracts.wire import FORM_CONTENT_TYPE
from smsim.simulator.bounds import MAX_INBOUND_SEGMENTS
from smsim.simulator.http.openapi_schemas import ref
from smsim.simulator.http.params import SQLITE_MAX_INTEGER
from smsim.simulator.messages import DEFAULT_VALIDITY_PERIOD, INBOX_MAX_LIMIT, MAX_PAGE_SIZE
from smsim.simulator.services import FIELDS as SERVICE_FIELDS
from smsim.simulator.services import SCAN_VALUES, USECASES
from smsim.simulator.stored_message import NEEDS_CODE as STORED_NEEDS_CODE
from smsim.simulator.stored_message import STATUSES as STORED_STATUSES

JSON = "application/json"
# The account an example names where a route needs one (the document's examples test
# swaps in its own).
EXAMPLE_ACCOUNT = "AC" + "0" * 32

_STRING: dict[str, Any] = {"type": "string"}
_TEXT = {"type": "string", "pattern": "\\S"}  # not empty, not only whitespace
_WHOLE = {"type": "integer", "minimum": 0, "maximum": SQLITE_MAX_INTEGER}


@dataclass(frozen=True)
class Query:
    """A query parameter; ``schema`` says what the route's parser accepts."""

    name: str
    schema: dict[str, Any] = field(default_factory=lambda: dict(_STRING))
    description: str = ""


@dataclass(frozen=True)
class Body:
    """A request body: its media type and schema (a contract reference when one exists)."""

    schema: dict[str, Any]
    media_type: str = JSON
    required: bool = True


@dataclass(frozen=True)
class Route:
    """One endpoint: its success answer, the error statuses its own code raises, its
    query and body. ``response`` is the schema of a success body (None: no body);
    ``others`` are the statuses besides ``ok`` the route's own code answers."""

    description: str = ""
    ok: int = 200
    response: dict[str, Any] | None = field(default_factory=lambda: {"type": "object"})
    others: tuple[int, ...] = ()
    query: tuple[Query, ...] = ()
    body: Body | None = None
    # Other media types the success answer may take (with their schemas), besides JSON.
    also: dict[str, dict[str, Any]] = field(default_factory=dict)
    # The media type of ``response`` (JSON but for the metrics' text format).
    response_type: str = JSON


# -- shared parts -----------------------------------------------------------------------------

PAGING = (
    Query("PageSize", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE}),
    Query("Page", {"type": "integer", "minimum": 0, "maximum": 10**9}),
    Query(
        "PageToken",
        {"type": "string", "pattern": "^(|PA[0-9]{1,18})$"},
        "the next page's token, as the answer's next_page_uri gives it (400 for another)",
    ),
)


# What the routes' parsers accept in a form field, by kind (an empty URL clears it).
_URL = {
    "type": "string",
    # host labels as contracts/callback_url.py takes them: no leading or trailing hyphen
    "pattern": (
        "^(|https?://[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?"
        "([.][A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*[.]?(:[0-9]{1,5})?(/[!-~]*)?)$"
    ),
}
_METHOD = {"type": "string", "pattern": "^ *([Gg][Ee][Tt]|[Pp][Oo][Ss][Tt]) *$"}
_BOOL = {"type": "string", "pattern": "^ *([Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee]) *$"}
_KINDS: dict[str, dict[str, Any]] = {
    "text": {"type": "string", "maxLength": 64},
    "url": _URL,
    "method": _METHOD,
    "bool": _BOOL,
    "validity": {"type": "integer", "minimum": 1, "maximum": DEFAULT_VALIDITY_PERIOD},
    "usecase": {"enum": sorted(USECASES)},
    "scan": {"enum": sorted(SCAN_VALUES)},
}


def _form(
    *names: str,
    required: tuple[str, ...] = (),
    fields: dict[str, Any] | None = None,
    **typed: dict[str, Any],
) -> Body:
    """A Twilio form: ``names`` are read as any text, ``fields`` and ``typed`` fields as
    their schema."""
    properties = {name: dict(_STRING) for name in names} | (fields or {}) | typed
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = list(required)
    return Body(schema, media_type=FORM_CONTENT_TYPE, required=bool(required))


def _json_object(
    properties: dict[str, Any],
    required: tuple[str, ...] = (),
    example: dict[str, Any] | None = None,
    **keywords: Any,
) -> Body:
    schema: dict[str, Any] = {"type": "object", "properties": properties, **keywords}
    if required:
        schema["required"] = list(required)
    if example is not None:
        schema["examples"] = [example]
    return Body(schema, required=bool(required))


# The Create Message form is the contract a sender must meet (see openapi_schemas for
# the one refusal the server does not share: unknown fields).
CREATE_MESSAGE_FORM = Body(ref("create_message_request"), media_type=FORM_CONTENT_TYPE)

_NUMBER_SETTINGS = {
    "sms_url": {**_STRING, "description": "where inbound messages go; empty clears it"},
    "sms_method": {"type": "string", "enum": ["GET", "POST"]},
    "friendly_name": {**_STRING, "minLength": 1},
}
_ONE_RULE = ref("rule")
_RULES_BODY = Body(
    {
        "oneOf": [
            _ONE_RULE,
            {
                "type": "object",
                "properties": {"rules": {"type": "array", "items": _ONE_RULE}},
                "required": ["rules"],
                "additionalProperties": False,
            },
        ]
    }
)
_MESSAGES_QUERY = (
    Query("to"),
    Query("from"),
    Query("status"),
    Query("account_sid"),
    Query("direction"),
    Query("sid"),
    Query("number", description="to or from"),
    Query("q", description="text in the body"),
    Query("error_code", _WHOLE),
    Query("lost_callbacks", {"type": "string", "enum": ["", "0", "1", "true", "false"]}),
    Query("before", _WHOLE, "the answer's `older` cursor"),
    Query("after", _WHOLE, "the answer's `newer` cursor"),
    Query("limit", {**_WHOLE, "default": 100}, f"at most {INBOX_MAX_LIMIT} are answered"),
    Query("wait", {"type": "number"}, "seconds to long-poll for a match (at most 60)"),
)
_DATE_SENT = {
    "description": "a GMT day (YYYY-MM-DD) or an instant; empty is ignored",
    "anyOf": [
        {"type": "string", "format": "date"},
        {"type": "string", "format": "date-time"},
        {"const": ""},
    ],
}
_SERVICE_FIELDS = {f.form: _KINDS[f.kind] for f in SERVICE_FIELDS}
_NONEMPTY_NAME = {
    "FriendlyName": {"type": "string", "minLength": 1, "maxLength": 64, "pattern": "\\S"}
}

# -- the Twilio surface (/2010-04-01, /v1) ----------------------------------------------------

TWILIO: dict[str, Route] = {
    "twilio_api.list_accounts": Route(query=(Query("FriendlyName"), Query("Status"))),
    "twilio_api.create_subaccount": Route(ok=201, others=(403,), body=_form("FriendlyName")),
    "twilio_api.fetch_account": Route(),
    "twilio_api.update_account": Route(
        others=(400,),
        body=_form("FriendlyName", Status={"enum": ["active", "suspended", "closed"]}),
    ),
    "twilio_api.create_message": Route(
        ok=201, response=ref("message"), others=(400, 403, 429), body=CREATE_MESSAGE_FORM
    ),
    "twilio_api.list_messages": Route(
        response=ref("message_list"),
        others=(400,),
        query=(
            Query("To"),
            Query("From"),
            Query("DateSent", _DATE_SENT),
            Query("DateSent<", _DATE_SENT),
            Query("DateSent>", _DATE_SENT),
            *PAGING,
        ),
    ),
    "twilio_api.fetch_message": Route(response=ref("message")),
    "twilio_api.update_message": Route(
        response=ref("message"),
        others=(400, 409),
        body=_form(Body={"const": ""}, Status={"const": "canceled"}),
    ),
    "twilio_api.delete_message": Route(ok=204, response=None, others=(409,)),
    "media_api.list_media": Route(
        "A message's Media, in MediaUrl order; paged as Messages are.",
        response=ref("media_list"),
        others=(400,),
        query=(
            Query("DateCreated", _DATE_SENT),
            Query("DateCreated<", _DATE_SENT),
            Query("DateCreated>", _DATE_SENT),
            *PAGING,
        ),
    ),
    "media_api.fetch_media": Route(response=ref("media")),
    "media_api.delete_media": Route(ok=204, response=None),
    "media_api.create_feedback": Route(
        "Report whether the message reached the user (`Outcome`: confirmed or unconfirmed).",
        response=ref("message_feedback"),
        others=(400,),
        body=_form(fields={"Outcome": {"type": "string", "enum": ["confirmed", "unconfirmed"]}}),
    ),
    "twilio_api.list_numbers": Route(query=(Query("PhoneNumber"),)),
    "twilio_api.create_number": Route(
        ok=201,
        body=_form(
            "FriendlyName",
            required=("PhoneNumber",),
            PhoneNumber=_TEXT,
            SmsUrl=_URL,
            SmsFallbackUrl=_URL,
            SmsMethod=_METHOD,
        ),
    ),
    "twilio_api.fetch_number": Route(),
    "twilio_api.update_number": Route(
        body=_form(
            "FriendlyName",
            SmsUrl=_URL,
            SmsFallbackUrl=_URL,
            StatusCallback=_URL,
            SmsMethod=_METHOD,
            SmsFallbackMethod=_METHOD,
        ),
    ),
    "twilio_api.delete_number": Route(ok=204, response=None),
    "twilio_api.list_verified": Route(query=(Query("PhoneNumber"),)),
    "twilio_api.add_verified": Route(
        body=_form("FriendlyName", required=("PhoneNumber",), PhoneNumber=_TEXT)
    ),
    "twilio_api.fetch_verified": Route(),
    "twilio_api.delete_verified": Route(ok=204, response=None),
    "messaging.create_service": Route(
        ok=201,
        body=_form(required=("FriendlyName",), fields=_SERVICE_FIELDS | _NONEMPTY_NAME),
    ),
    "messaging.list_services": Route(others=(400,), query=PAGING),
    "messaging.fetch_service": Route(),
    "messaging.update_service": Route(body=_form(fields=_SERVICE_FIELDS | _NONEMPTY_NAME)),
    "messaging.delete_service": Route(ok=204, response=None),
    "messaging.add_number": Route(ok=201, others=(409,), body=_form("PhoneNumberSid")),
    "messaging.list_numbers": Route(others=(400,), query=PAGING),
    "messaging.fetch_number": Route(),
    "messaging.remove_number": Route(ok=204, response=None),
}

# -- the control API (/_smsim) ----------------------------------------------------------------

CONTROL: dict[str, Route] = {
    "control.health": Route(
        "Liveness: `status`, clock mode, `now`, `pending_jobs`, `waiting_requests` (long-polls"
        " and event streams this process has parked now), `store` (a file, `:memory:` or a"
        " PostgreSQL URL without its password), `engine` (`sqlite` or `postgresql`), `process`."
    ),
    "control.reset": Route(
        "Forget every account, message, rule and callback, then re-seed the configured "
        "accounts. No body. Answers the new `accounts`."
    ),
    "control.openapi": Route("This document."),
    "metrics.metrics": Route(
        "Prometheus metrics in the text exposition format (OpenMetrics when the scraper's "
        "Accept asks), read from the store: messages created and stored (by status, error "
        "code), webhook attempts by outcome and their latency, lost callbacks, pending jobs.",
        response={"type": "string"},
        response_type="text/plain",
        also={"application/openmetrics-text": {"type": "string"}},
    ),
    "control.list_accounts": Route(
        "Every account with its credentials, numbers and verified numbers."
    ),
    "control.create_account": Route(
        "Create an account (trial or full) with numbers and verified numbers; "
        "`sid`/`auth_token` to choose them. Answers 201 with the account; 409 when the "
        "`sid` exists.",
        ok=201,
        others=(409,),
        body=Body(ref("account_spec"), required=False),
    ),
    "control.get_account": Route("One account, as in the list."),
    "control.remove_account": Route(
        "Remove the account, its subaccounts and everything they hold (messages, media, "
        "callbacks, services, opt-outs, keys, numbers). Answers the SIDs `removed`.",
    ),
    "control.add_number": Route(
        "Give the account a number (an IncomingPhoneNumber); answers 201 with Twilio's "
        "IncomingPhoneNumber JSON.",
        ok=201,
        body=_json_object(
            {"phone_number": _STRING, **_NUMBER_SETTINGS},
            ("phone_number",),
            {"phone_number": "+14155550142", "sms_url": "http://127.0.0.1:5000/sms"},
        ),
    ),
    "control.add_verified": Route(
        "Verify a number for the account (trial accounts may text only these); answers "
        "201 with the OutgoingCallerId JSON.",
        ok=201,
        body=_json_object(
            {"phone_number": _STRING}, ("phone_number",), {"phone_number": "+14155550143"}
        ),
    ),
    "control.create_api_key": Route(
        "Create an API key: answers 201 with `sid` (SK...) and `secret`, accepted as Basic "
        "auth for the account.",
        ok=201,
        body=_json_object({"friendly_name": _STRING}, example={"friendly_name": "ci"}),
    ),
    "control.suspend_account": Route(
        "Suspend: unsent messages fail with 30002, new sends get 20005. No body. Answers "
        "the account."
    ),
    "control.reactivate_account": Route("Make a suspended account active again. No body."),
    "control_admin.update_number": Route(
        "Change an owned number's inbound webhook (`sms_url`, empty clears it; "
        "`sms_method`) or `friendly_name`; answers Twilio's IncomingPhoneNumber JSON.",
        body=_json_object(
            _NUMBER_SETTINGS,
            example={"sms_url": "http://127.0.0.1:5000/sms", "sms_method": "POST"},
            additionalProperties=False,
        ),
    ),
    "control_admin.list_services": Route(
        "The account's Messaging Services, each with its `senders` (the pool, in joining order)."
    ),
    "control_admin.list_api_keys": Route(
        "The account's API keys (`sid`, `friendly_name`, `date_created`), never their secrets."
    ),
    "control.list_rules": Route(
        "The outcome rules, oldest (first to match) first, with `remaining`."
    ),
    "control.add_rule": Route(
        'Add one rule, or several as `{"rules": [...]}`; answers 201 with the rule(s) as '
        "stored, each with its `id`.",
        ok=201,
        body=_RULES_BODY,
    ),
    "control.clear_rules": Route("Delete every rule; answers `deleted` (how many)."),
    "control.delete_rule": Route("Delete one rule; 404 when there is none."),
    "control.get_clock": Route(
        "Clock `mode`, `now` (epoch seconds and RFC 2822), `pending_jobs`, `next_due`."
    ),
    "control.advance_clock": Route(
        "Virtual clock only (409 otherwise): move time forward, running what falls due; "
        "answers the clock and `jobs_run`.",
        others=(409,),
        body=_json_object(
            {"seconds": {"type": "number", "minimum": 0}}, ("seconds",), {"seconds": 5}
        ),
    ),
    "control.run_until_idle": Route(
        "Virtual clock only (409 otherwise): run every pending step (sends, callbacks, "
        "retries), moving time as needed. No body.",
        others=(409,),
    ),
    "control.callbacks": Route(
        "Every webhook attempt (status callbacks and inbound): url, params, headers, "
        "response, error, attempt; filtered by the query.",
        others=(400,),
        query=(
            Query("message_sid"),
            Query("status"),
            Query("url"),
            Query("kind"),
            Query("account_sid"),
            Query("limit", {**_WHOLE, "default": 1000}),
        ),
    ),
    "control.messages": Route(
        "Messages across accounts, newest first; `wait=S` long-polls up to S seconds (at "
        "most 60) until one matches. Filters: `number` (to or from), `q` (text in the "
        "body), `error_code`, `lost_callbacks`, ...; keyset pages: `before`/`after` take "
        "the answer's `older`/`newer` cursor.",
        others=(400, 503),
        query=_MESSAGES_QUERY,
    ),
    "inbox_api.message": Route(
        "One message of any account: the Message JSON with ISO times, its status "
        "`timeline`, segments, encoding, the webhook URL's retry policy and every webhook "
        "attempt (`callbacks`, each also as `curl`)."
    ),
    "inbox_api.stream": Route(
        "Server-Sent Events (with `Accept: text/event-stream`): an `event: change` whenever "
        "stored data changed, a heartbeat comment every 15 s; without that Accept, the "
        "change counter as JSON.",
        others=(503,),
        also={"text/event-stream": {"type": "string"}},
    ),
    "control_messages.store_message": Route(
        "Store an outbound message as if it had been sent and reached `status` (priced and "
        "dated, no step scheduled, no callback); `sid` to choose it. Answers 201 with "
        "Twilio's Message JSON; 404 for an unknown account, 409 for a taken SID.",
        ok=201,
        response=ref("message"),
        others=(404, 409),
        body=_json_object(
            {
                "account_sid": {"type": "string", "pattern": "^AC[0-9a-fA-F]{32}$"},
                "sid": {"type": "string", "pattern": "^(SM|MM)[0-9a-fA-F]{32}$"},
                "to": {**_TEXT, "description": "the handset (E.164)"},
                "from": {**_TEXT, "description": "the sender (E.164)"},
                "body": _STRING,
                "status": {"enum": list(STORED_STATUSES)},
                "error_code": {
                    "enum": sorted(e.code for e in catalogue.all_entries()),
                    "description": "with failed or undelivered (and only then): a catalogued code",
                },
            },
            required=("account_sid", "to", "from", "body", "status"),
            anyOf=[
                {
                    "properties": {"status": {"enum": sorted(STORED_NEEDS_CODE)}},
                    "required": ["error_code"],
                },
                {
                    "properties": {
                        "status": {
                            "enum": [s for s in STORED_STATUSES if s not in STORED_NEEDS_CODE]
                        }
                    },
                    "not": {"required": ["error_code"]},
                },
            ],
            example={
                "account_sid": EXAMPLE_ACCOUNT,
                "to": "+14155550100",
                "from": "+15005550006",
                "body": "Your code is 1234",
                "status": "undelivered",
                "error_code": 30003,
            },
            additionalProperties=False,
        ),
    ),
    "control_callbacks.redeliver": Route(
        "Send a logged webhook attempt again now, signed as the original, or to a new `url` "
        "(signed for it); logged as a new attempt. Answers 201 with it.",
        ok=201,
        body=_json_object(
            {
                "url": {
                    **_URL,
                    "minLength": 1,
                    "description": "send it here instead (a receiver since fixed)",
                }
            },
            example={"url": "http://127.0.0.1:5000/sms/twilio"},
            additionalProperties=False,
        ),
    ),
    "control_callbacks.redeliver_lost": Route(
        'With `{"lost": true}`: send every callback never delivered (of `message_sid`, or '
        "all) again, to `url` when given; answers `sent`, `delivered`, `failed`, "
        "`still_lost`, `not_tried` and the new `attempts`.",
        body=_json_object(
            {
                "lost": {"const": True},
                "url": {**_URL, "minLength": 1, "description": "send them here instead"},
                "message_sid": {
                    "type": "string",
                    "minLength": 1,
                    "description": "only this message's lost callbacks",
                },
            },
            required=("lost",),
            example={"lost": True, "url": "http://127.0.0.1:5000/sms/twilio"},
            additionalProperties=False,
        ),
    ),
    "control_callbacks.lost": Route(
        "How many callbacks were never delivered (every attempt failed, none left to try): `count`."
    ),
    "inbound_api.inbound": Route(
        "A handset texts a Twilio number: stores the message, applies opt-out keywords, "
        "sends the webhook; answers the message, `opt_out_type`, `auto_reply`, `webhook` "
        "and TwiML `replies` (201, or 200 when not stored).",
        ok=201,
        others=(200,),
        body=_json_object(
            {
                "from": {**_TEXT, "description": "the handset"},
                "to": {**_TEXT, "description": "a Twilio number some account owns"},
                "body": _STRING,
                "num_segments": {
                    "type": ["integer", "null"],
                    "minimum": 1,
                    "maximum": MAX_INBOUND_SEGMENTS,
                    "description": "null or absent: counted from the body",
                },
                "lost_segment": {
                    "type": "boolean",
                    "description": "30009: stored undelivered, no webhook sent",
                },
                "media_urls": {"type": "array", "items": _TEXT, "maxItems": 10},
            },
            ("from", "to"),
            {"from": "+14155550199", "to": "+15005550006", "body": "See you at 5"},
            # a text, some media, or both
            anyOf=[
                {"required": ["body"], "properties": {"body": {"minLength": 1}}},
                {"required": ["media_urls"], "properties": {"media_urls": {"minItems": 1}}},
            ],
        ),
    ),
}

ROUTES: dict[str, Route] = {**TWILIO, **CONTROL}
UNDECLARED = Route("Not yet declared in openapi_routes: statuses and body unknown.")

# Blueprints that serve pages and their files, not an API: left out of the document.
PAGE_BLUEPRINTS = frozenset({"ui", "smsim_web"})
