"""The step registry: one small function per step kind.

A step function gets the :class:`World` and the step's arguments with every ``${...}``
already resolved, does one thing through a public surface (the client's HTTP API, the
Twilio API, the simulator's control API, or a handset's HTTP request), and returns a
:class:`StepResult`: the HTTP status and body when there was an answer (what ``expect``
on the step checks and what ``save`` keeps), and a one-line summary for reports.

This registry is the only list of step kinds: the loader's schema
(:mod:`smsim.scenarios.schema`), its reference checks, the runner and the docs' Steps
table all follow :data:`KINDS`. A new kind is one ``@step(...)`` function here (and a row
in docs/scenarios.md, which a test asks for).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import phonenumbers
import requests

from smsim.contracts import replay as replay_mod
from smsim.scenarios.provision import add_rule, provider_settings
from smsim.scenarios.values import duration
from smsim.scenarios.world import StepError, World

CAMPAIGN_WAIT = 120.0
FORGED_TOKEN = "f0rged0000000000000000000000000f"


@dataclass(frozen=True)
class StepResult:
    """What a step produced: an HTTP ``status`` and ``body`` (None without an answer)."""

    status: int | None = None
    body: Any = None
    summary: str = ""


StepFn = Callable[[World, Any], StepResult]
Schema = dict[str, Any]


@dataclass(frozen=True)
class StepKind:
    """Everything about one step kind, written once: what a scenario file may give it (a
    JSON Schema fragment for the scenario schema, whose description the docs repeat),
    which of its fields name something defined in the file, whether it needs the client,
    and the function that runs it (None for ``check``, which the runner does itself)."""

    name: str
    args: Schema
    run: StepFn | None = None
    refs: Mapping[str, str] = field(default_factory=dict)
    value_ref: str | None = None
    client: bool = False
    bare: bool = False


#: The step registry: every step kind a scenario file may use.
KINDS: dict[str, StepKind] = {}
#: The kinds that run as a function (every kind but ``check``).
STEPS: dict[str, StepFn] = {}


def declare(kind: StepKind) -> None:
    """Add a step kind to the registry (the loader, the schema and the docs read it)."""
    if kind.name in KINDS:
        raise ValueError(f"step kind {kind.name!r} is registered twice")
    KINDS[kind.name] = kind
    if kind.run is not None:
        STEPS[kind.name] = kind.run


def step(
    name: str,
    *,
    args: Schema,
    refs: Mapping[str, str] | None = None,
    value_ref: str | None = None,
    client: bool = False,
    bare: bool = False,
) -> Callable[[StepFn], StepFn]:
    """Register a step kind run by the decorated function.

    ``args`` is the JSON Schema of the step's value; ``refs`` maps its fields to what they
    name (``accounts``, ``providers``, ``services``, or ``target`` for a webhook
    destination); ``value_ref`` is that for a step whose whole value is a name;
    ``client`` marks steps that need the client integration; ``bare`` steps may be
    written as their name alone.
    """

    def register(fn: StepFn) -> StepFn:
        declare(StepKind(name, args, fn, dict(refs or {}), value_ref, client, bare))
        return fn

    return register


def _def(name: str) -> Schema:
    """A reference to a definition of the scenario schema (``#/$defs/<name>``)."""
    return {"$ref": f"#/$defs/{name}"}


def _or_expr(schema: Schema) -> Schema:
    """``schema``, or a whole-value ``${...}`` reference."""
    return {"anyOf": [schema, _def("expr")]}


def _answer(response: requests.Response, summary: str) -> StepResult:
    try:
        body: Any = response.json()
    except ValueError:
        body = response.text
    return StepResult(response.status_code, body, f"{summary} -> {response.status_code}")


def _provider_id(world: World, ref: Any) -> int:
    if ref is None:
        if len(world.providers) == 1:
            return int(next(iter(world.providers.values()))["id"])
        raise StepError("name the provider: this scenario has several (or none)")
    return int(world.provider(ref)["id"])


# -- through the client -----------------------------------------------------------------


@step(
    "send_test_sms",
    args={
        "type": "object",
        "properties": {
            "provider": _def("ref"),
            "to": _def("phone"),
            "country_code": _or_expr({"type": ["string", "integer"]}),
            "mobile_number": _or_expr({"type": ["string", "integer"]}),
            "message": {"type": "string"},
            "template_id": {"type": "string"},
        },
        "additionalProperties": False,
        "required": ["message"],
        "description": (
            "Settings > Channels > SMS > Send Test SMS, through the client's HTTP API. Give `to` "
            "(E.164) or `country_code` and `mobile_number`."
        ),
    },
    refs={"provider": "providers"},
    client=True,
)
def send_test_sms(world: World, args: dict[str, Any]) -> StepResult:
    provider_id = _provider_id(world, args.get("provider"))
    body: dict[str, Any] = {"message": args.get("message")}
    if args.get("to"):
        try:
            parsed = phonenumbers.parse(str(args["to"]))
        except phonenumbers.NumberParseException as exc:
            raise StepError(f"to: {args['to']!r} is not a phone number ({exc})") from None
        body["country_code"] = f"+{parsed.country_code}"
        body["mobile_number"] = phonenumbers.national_significant_number(parsed)
    else:
        body["country_code"] = args.get("country_code")
        body["mobile_number"] = args.get("mobile_number")
    if args.get("template_id") is not None:
        body["template_id"] = args["template_id"]
    response = world.client_api("POST", f"/api/providers/{provider_id}/test-sms", body)
    return _answer(response, f"test SMS to {body['country_code']} {body['mobile_number']}")


@step(
    "send_campaign",
    args={
        "type": "object",
        "properties": {
            "provider": _def("ref"),
            "message": {"type": "string"},
            "recipients": _or_expr({"type": "array", "items": _def("phone")}),
            "click_tracking": _or_expr({"type": "boolean"}),
            "template_id": {"type": "string"},
            "name": {"type": "string"},
            "variant": _or_expr({"type": "integer"}),
            "wait": {
                "type": "boolean",
                "description": (
                    "Wait until every recipient is handed to Twilio (default true); the step's "
                    "body is then the campaign's stats with its state and progress. With false, "
                    "the body is the 202 answer."
                ),
            },
        },
        "additionalProperties": False,
        "required": ["message", "recipients"],
        "description": (
            "A campaign through the client's HTTP API; without `provider` the client picks its "
            "default provider."
        ),
    },
    refs={"provider": "providers"},
    client=True,
)
def send_campaign(world: World, args: dict[str, Any]) -> StepResult:
    body: dict[str, Any] = {
        key: args[key]
        for key in ("message", "recipients", "click_tracking", "template_id", "name", "variant")
        if key in args
    }
    if args.get("provider") is not None:
        body["provider"] = _provider_id(world, args["provider"])
    response = world.client_api("POST", "/api/campaigns", body)
    count = len(args.get("recipients") or [])
    summary = f"campaign to {count} recipient{'s' if count != 1 else ''}"
    if response.status_code != 202 or not args.get("wait", True):
        return _answer(response, summary)
    # The client sends in the background: wait until every recipient is handed to
    # Twilio, then show the campaign's stats (what a blocking campaign call returned).
    campaign_id = response.json()["id"]
    deadline = time.monotonic() + CAMPAIGN_WAIT
    while True:
        campaign = world.client_api("GET", f"/api/campaigns/{campaign_id}?wait=5").json()
        if campaign["state"] != "sending":
            break
        if time.monotonic() > deadline:
            raise StepError(f"campaign {campaign_id} still sending after {CAMPAIGN_WAIT:g}s")
    report = world.client_api("GET", f"/api/campaigns/{campaign_id}/stats").json()
    report.update(state=campaign["state"], progress=campaign["progress"])
    return StepResult(202, report, f"{summary} -> 202, {campaign['state']}")


@step(
    "add_provider",
    args=_def("new_provider"),
    refs={"account": "accounts", "service": "services", "callback_url": "target"},
    client=True,
)
def add_provider(world: World, args: dict[str, Any]) -> StepResult:
    alias = args.get("alias")
    response = world.client_api("POST", "/api/providers", provider_settings(world, args, alias))
    if response.status_code == 201 and alias:
        world.providers[alias] = {**response.json(), "alias": alias}
    return _answer(response, f"add provider {alias or ''}".strip())


@step(
    "update_provider",
    args={
        "type": "object",
        "properties": {
            "provider": _def("ref"),
            "nickname": {"type": "string"},
            "callback_url": _or_expr({"type": ["string", "null"]}),
            "from_numbers": _or_expr({"type": "array", "items": _def("phone")}),
            "service": _def("ref"),
            "template_id_required": _or_expr({"type": "boolean"}),
            "is_default": _or_expr({"type": "boolean"}),
        },
        "additionalProperties": False,
        "required": ["provider"],
        "description": "Change some fields of a saved provider (PATCH).",
    },
    refs={"provider": "providers", "service": "services", "callback_url": "target"},
    client=True,
)
def update_provider(world: World, args: dict[str, Any]) -> StepResult:
    provider = world.provider(args["provider"])
    changes = {k: v for k, v in args.items() if k not in ("provider", "service", "callback_url")}
    if "service" in args:
        changes["service_sid"] = world.service(args["service"])["sid"] if args["service"] else None
    if "callback_url" in args:
        changes["callback_url"] = world.target(args["callback_url"])
    response = world.client_api("PATCH", f"/api/providers/{provider['id']}", changes)
    if response.status_code == 200:
        provider.update(response.json())
    return _answer(response, f"update provider {provider.get('alias', provider['id'])}")


@step(
    "restore_callback_url",
    args={
        "$ref": "#/$defs/ref",
        "description": (
            "Click Restore on a provider: its callback URL becomes the client's own again."
        ),
    },
    value_ref="providers",
    client=True,
)
def restore_callback_url(world: World, ref: Any) -> StepResult:
    provider = world.provider(ref)
    response = world.client_api("POST", f"/api/providers/{provider['id']}/restore-callback")
    if response.status_code == 200:
        provider.update(response.json())
    return _answer(response, f"Restore the callback URL of {provider.get('alias', ref)}")


@step(
    "click",
    args={
        "type": "object",
        "properties": {
            "recipient": _def("phone"),
            "link": _or_expr({"type": "integer"}),
            "times": _or_expr({"type": "integer"}),
        },
        "additionalProperties": False,
        "required": ["recipient"],
        "description": (
            "The handset opens the tracked link in the last message it received (`link`: which "
            "one, from 0)."
        ),
    },
    client=True,
)
def click(world: World, args: dict[str, Any]) -> StepResult:
    """The handset opens a tracked link from the last message it received."""
    recipient = args["recipient"]
    base = world.client_info()["url"] + "/c/"
    assert world.control is not None
    received = [
        m for m in world.control.messages(to=recipient) if m["direction"].startswith("outbound")
    ]
    if not received:
        raise StepError(f"{recipient} has received no message, so there is no link to click")
    links = re.findall(re.escape(base) + r"[A-Za-z0-9]+", received[0]["body"] or "")
    index = int(args.get("link", 0))
    if index >= len(links):
        raise StepError(
            f"the last message to {recipient} has {len(links)} tracked link(s); "
            f"body: {received[0]['body']!r}"
        )
    response = None
    for _ in range(int(args.get("times", 1))):
        response = world.http.get(links[index], allow_redirects=False, timeout=10)
    assert response is not None
    body = {"url": links[index], "location": response.headers.get("Location")}
    return StepResult(response.status_code, body, f"{recipient} clicks {links[index]}")


# -- straight to Twilio -----------------------------------------------------------------


@step(
    "twilio_send",
    args={
        "type": "object",
        "properties": {
            "account": _def("ref"),
            "to": _def("phone"),
            "from": _def("phone"),
            "body": {"type": "string"},
            "service": _def("ref"),
            "status_callback": _def("target"),
            "send_at_in": _def("duration"),
            "validity_period": _or_expr({"type": "integer"}),
            "max_price": {"type": "string"},
            "params": {
                "type": "object",
                "additionalProperties": {"type": ["string", "number", "boolean"]},
            },
        },
        "additionalProperties": False,
        "required": ["account", "to"],
        "description": (
            "Create a Message straight on the Twilio API (Basic auth with the account's token). "
            "`send_at_in` schedules it that long after the simulator's now (needs `service`)."
        ),
    },
    refs={"account": "accounts", "service": "services", "status_callback": "target"},
)
def twilio_send(world: World, args: dict[str, Any]) -> StepResult:
    account = world.account(args["account"])
    form: dict[str, str] = {"To": str(args["to"])}
    if args.get("from") is not None:
        form["From"] = str(args["from"])
    if args.get("body") is not None:
        form["Body"] = str(args["body"])
    if args.get("service") is not None:
        form["MessagingServiceSid"] = world.service(args["service"])["sid"]
    if args.get("status_callback") is not None:
        form["StatusCallback"] = str(world.target(args["status_callback"]))
    if args.get("send_at_in") is not None:
        form["ScheduleType"] = "fixed"
        form["SendAt"] = world.iso_in(duration(args["send_at_in"]))
    if args.get("validity_period") is not None:
        form["ValidityPeriod"] = str(args["validity_period"])
    if args.get("max_price") is not None:
        form["MaxPrice"] = str(args["max_price"])
    for key, value in (args.get("params") or {}).items():
        form[str(key)] = str(value).lower() if isinstance(value, bool) else str(value)
    path = f"{_account_path(account)}/Messages.json"
    return _answer(world.twilio("POST", path, account, form), f"API send to {form['To']}")


@step(
    "twilio_cancel",
    args={
        "type": "object",
        "properties": {"account": _def("ref"), "sid": {"type": "string"}},
        "additionalProperties": False,
        "required": ["account", "sid"],
        "description": "Cancel a scheduled message (Status=canceled).",
    },
    refs={"account": "accounts"},
)
def twilio_cancel(world: World, args: dict[str, Any]) -> StepResult:
    account = world.account(args["account"])
    path = f"{_account_path(account)}/Messages/{args['sid']}.json"
    response = world.twilio("POST", path, account, {"Status": "canceled"})
    return _answer(response, f"cancel {args['sid']}")


def _account_path(account: dict[str, Any]) -> str:
    return f"/2010-04-01/Accounts/{account['sid']}"


# -- handsets, time and the simulator's knobs -------------------------------------------


@step(
    "reply",
    args={
        "type": "object",
        "properties": {"from": _def("phone"), "to": _def("phone"), "body": {"type": "string"}},
        "additionalProperties": False,
        "required": ["from", "body"],
        "description": (
            "A handset texts a Twilio number; without `to`, the number that last texted the "
            "handset."
        ),
    },
)
def reply(world: World, args: dict[str, Any]) -> StepResult:
    """A handset texts a Twilio number (by default the one that last texted it)."""
    assert world.control is not None
    handset = args["from"]
    number = args.get("to")
    if number is None:
        sent = [
            m for m in world.control.messages(to=handset) if m["direction"].startswith("outbound")
        ]
        if not sent or not sent[0].get("from"):
            raise StepError(f"nobody has texted {handset} yet; give the Twilio number as `to`")
        number = sent[0]["from"]
    payload = {"from": handset, "to": number, "body": args["body"]}
    response = world.http.post(f"{world.sim_url}/_smsim/inbound", json=payload, timeout=30)
    return _answer(response, f"{handset} texts {args['body']!r} to {number}")


@step(
    "advance",
    args={
        "$ref": "#/$defs/duration",
        "description": (
            "Move the virtual clock forward, running what falls due (seconds, or 90s, 15m, 2h, 1d)."
        ),
    },
)
def advance(world: World, value: Any) -> StepResult:
    assert world.control is not None
    seconds = duration(value)
    moved = world.control.advance(seconds)
    return StepResult(None, moved, f"clock +{seconds:g}s ({moved.get('jobs_run', 0)} jobs)")


@step(
    "run_until_idle",
    args={
        "type": ["null", "object"],
        "additionalProperties": False,
        "description": (
            "Run every pending lifecycle step and webhook, moving virtual time as far as needed."
        ),
    },
    bare=True,
)
def run_until_idle(world: World, _: Any) -> StepResult:
    ran = world.run_until_idle()
    return StepResult(None, ran, f"run until idle ({ran.get('jobs_run', 0)} jobs)")


@step(
    "set_rule",
    args=_def("rule"),
)
def set_rule(world: World, rule: dict[str, Any]) -> StepResult:
    added = add_rule(world, rule)
    return StepResult(201, added, f"rule {added['id']}: {added['match']} -> {added['outcome']}")


@step(
    "clear_rules",
    args={
        "type": ["null", "object"],
        "additionalProperties": False,
        "description": "Remove the rules this scenario added.",
    },
    bare=True,
)
def clear_rules(world: World, _: Any) -> StepResult:
    """Remove the rules this scenario added (on a shared server, nobody else's)."""
    removed = world.remove_rules()
    return StepResult(None, {"deleted": removed}, f"{removed} rule(s) cleared")


@step(
    "suspend",
    args={
        "anyOf": [_def("alias"), _def("expr")],
        "description": (
            "Suspend an account of the setup: its queued messages fail with 30002, new sends are "
            "refused."
        ),
    },
    value_ref="accounts",
)
def suspend(world: World, ref: Any) -> StepResult:
    assert world.control is not None
    account = world.account(ref)
    answer = world.control.suspend(account["sid"])
    return StepResult(200, answer, f"account {account['alias']} suspended")


@step(
    "replay",
    args={
        "type": "object",
        "properties": {
            "to": _def("target"),
            "account": _def("ref"),
            "status": {
                "enum": [
                    "queued",
                    "sending",
                    "sent",
                    "delivered",
                    "undelivered",
                    "failed",
                    "canceled",
                    "read",
                ]
            },
            "code": _or_expr({"type": "integer"}),
            "reply": {"type": "string"},
            "message": {"type": "string"},
            "recipient": _def("phone"),
            "from": _def("phone"),
            "forge": _or_expr({"type": "boolean"}),
        },
        "additionalProperties": False,
        "required": ["to", "account"],
        "description": (
            "Post a signed webhook shaped like the samples in CleverTap's documentation (a "
            "status, an error `code`, or a `reply`) as Twilio would; `forge: true` signs it with "
            "a wrong token."
        ),
    },
    refs={"to": "target", "account": "accounts"},
)
def replay(world: World, args: dict[str, Any]) -> StepResult:
    """Post a signed, seed-shaped webhook as Twilio would (or a forged one)."""
    account = world.account(args["account"])
    url = str(world.target(args["to"]))
    sid = args.get("message")
    recipient, number = args.get("recipient"), args.get("from")
    if sid and (recipient is None or number is None):
        assert world.control is not None
        found = world.control.messages(sid=sid)
        if found:
            recipient = recipient or found[0]["to"]
            number = number or found[0]["from"]
    who = replay_mod.Identity(
        account_sid=account["sid"],
        from_=number or (account["numbers"] or ["+15005550006"])[0],
        to=recipient or "+15005550006",
        message_sid=sid,
    )
    token = FORGED_TOKEN if args.get("forge") else account["auth_token"]
    if args.get("reply") is not None:
        request = replay_mod.reply_request(url, token, who, str(args["reply"]))
    else:
        code = int(args["code"]) if args.get("code") is not None else None
        request = replay_mod.status_request(url, token, who, args.get("status"), code=code)
    outcome = replay_mod.send(request)
    if outcome.error:
        raise StepError(f"replay to {url} failed: {outcome.error}")
    try:
        body: Any = json.loads(outcome.body) if outcome.body else None
    except ValueError:
        body = outcome.body
    forged = "forged " if args.get("forge") else ""
    return StepResult(
        outcome.status_code, body, f"{forged}replay {request.label} -> {outcome.status_code}"
    )


# -- handled by the runner --------------------------------------------------------------

declare(
    StepKind(
        "check",
        args={
            "type": "array",
            "items": _def("expectation"),
            "minItems": 1,
            "description": "Check expectations in the middle of the story.",
        },
    )
)
#: Step kinds that talk to the client integration (they need the in-process client).
CLIENT_STEPS = frozenset(kind.name for kind in KINDS.values() if kind.client)
