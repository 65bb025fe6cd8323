"""The control surface, ``/_smsim/``: JSON endpoints for tests, scenarios and people.

Accounts, rules, inbound messages, the clock, the callback attempts log, messages across
accounts (with a ``wait=`` long-poll), reset, health and the OpenAPI document.
No authentication: the simulator binds to loopback by default.
"""

from __future__ import annotations

import math
import os
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request

from smsim.simulator import render
from smsim.simulator.account_spec import (
    AccountSpecError,
    number_spec,
    parse_account_spec,
    parse_number_spec,
)
from smsim.simulator.engine import Engine
from smsim.simulator.errors import TwilioError, not_found
from smsim.simulator.http.context import change_feed, current_engine, waiting_requests
from smsim.simulator.http.inbox_json import inbox_message
from smsim.simulator.http.params import json_object, required_whole_number, whole_number
from smsim.simulator.messages import INBOX_MAX_LIMIT, InboxPage, InboxQuery
from smsim.simulator.watch import wait_until

blueprint = Blueprint("control", __name__, url_prefix="/_smsim")

MAX_WAIT_SECONDS = 60.0
LAST_INSTANT = 253402300799.0  # 9999-12-31T23:59:59Z, the last instant a date can show


def _bad(message: str) -> TwilioError:
    return TwilioError(20001, 400, message)


# -- health, reset, openapi ---------------------------------------------------------------


@blueprint.get("/health")
def health() -> Response:
    engine = current_engine()
    return jsonify(
        {
            "status": "ok",
            "clock": "virtual" if engine.clock.virtual else "real",
            "now": engine.clock.now(),
            "pending_jobs": engine.scheduler.pending(),
            # long-polls and event streams this process has parked now
            "waiting_requests": waiting_requests(current_app),
            "store": engine.store_location,  # a URL shows no password
            "engine": engine.store_engine,  # "sqlite" or "postgresql"
            # which process answered: "http" workers under `smsim serve --workers N` (PostgreSQL)
            "process": {"pid": os.getpid(), "role": engine.role.value},
        }
    )


@blueprint.post("/reset")
def reset() -> Response:
    current_engine().reset()
    return jsonify(
        {"status": "reset", "accounts": [_account_json(a) for a in current_engine().accounts.all()]}
    )


@blueprint.get("/openapi.json")
def openapi() -> Response:
    from smsim.simulator.http.openapi import build_document

    return jsonify(build_document(current_app))


# -- accounts -----------------------------------------------------------------------------


def _account_json(account: Any) -> dict[str, Any]:
    engine = current_engine()
    return {
        "sid": account.sid,
        "auth_token": account.auth_token,
        "friendly_name": account.friendly_name,
        "type": account.type.lower(),
        "status": account.status,
        "owner_account_sid": account.owner_account_sid,
        "numbers": [
            {
                "sid": n.sid,
                "phone_number": n.phone_number,
                "sms_url": n.sms_url,
                "sms_method": n.sms_method,
            }
            for n in engine.accounts.numbers(account.sid)
        ],
        "verified_numbers": [v.phone_number for v in engine.accounts.verified(account.sid)],
    }


@blueprint.get("/accounts")
def list_accounts() -> Response:
    return jsonify({"accounts": [_account_json(a) for a in current_engine().accounts.all()]})


@blueprint.post("/accounts")
def create_account() -> tuple[Response, int]:
    """Create an account from the spec the ``--config`` file uses (account_spec.schema.json)."""
    try:
        spec = parse_account_spec(json_object())
    except AccountSpecError as exc:
        raise TwilioError(exc.code, 400, exc.message) from None
    if spec.sid is not None and current_engine().accounts.get(spec.sid):
        raise TwilioError(20001, 409, f"sid: account {spec.sid} already exists")
    account = current_engine().accounts.create(
        account_type=spec.type,
        friendly_name=spec.friendly_name,
        sid=spec.sid,
        auth_token=spec.auth_token,
        numbers=[number_spec(n) for n in spec.numbers],
        verified_numbers=spec.verified_numbers,
    )
    return jsonify(_account_json(account)), 201


@blueprint.get("/accounts/<sid>")
def get_account(sid: str) -> Response:
    account = current_engine().accounts.get(sid)
    if account is None:
        raise not_found(request.path)
    return jsonify(_account_json(account))


@blueprint.delete("/accounts/<sid>")
def remove_account(sid: str) -> Response:
    """Remove the account, its subaccounts and everything kept for them."""
    engine = current_engine()
    if engine.accounts.get(sid) is None:
        raise not_found(request.path)
    return jsonify({"removed": engine.removal.remove(sid)})


@blueprint.post("/accounts/<sid>/numbers")
def add_number(sid: str) -> tuple[Response, int]:
    account = current_engine().accounts.get(sid)
    if account is None:
        raise not_found(request.path)
    try:
        # the account spec's number parser: the same rules as POST /_smsim/accounts, and
        # an sms_url is refused with 21502 as the number update route refuses it
        spec = parse_number_spec(json_object())
    except AccountSpecError as exc:
        raise TwilioError(exc.code, 400, exc.message) from None
    number = current_engine().accounts.add_number(sid, number_spec(spec))
    return jsonify(render.phone_number(number)), 201


@blueprint.post("/accounts/<sid>/verified_numbers")
def add_verified(sid: str) -> tuple[Response, int]:
    if current_engine().accounts.get(sid) is None:
        raise not_found(request.path)
    data = json_object()
    if not isinstance(data.get("phone_number"), str):
        raise _bad("phone_number: required")
    verified = current_engine().accounts.add_verified(sid, data["phone_number"])
    return jsonify(render.verified_number(verified)), 201


@blueprint.post("/accounts/<sid>/keys")
def create_api_key(sid: str) -> tuple[Response, int]:
    """An API key (``SK...`` + secret) usable as Basic auth for this account."""
    if current_engine().accounts.get(sid) is None:
        raise not_found(request.path)
    name = json_object().get("friendly_name", "")
    if not isinstance(name, str):
        raise _bad("friendly_name: must be a string")
    key_sid, secret = current_engine().accounts.create_api_key(sid, name)
    return jsonify({"sid": key_sid, "secret": secret, "account_sid": sid}), 201


@blueprint.post("/accounts/<sid>/suspend")
def suspend_account(sid: str) -> Response:
    engine = current_engine()
    if engine.accounts.get(sid) is None:
        raise not_found(request.path)
    account = engine.suspension.suspend(sid)
    return jsonify(_account_json(account))


@blueprint.post("/accounts/<sid>/reactivate")
def reactivate_account(sid: str) -> Response:
    engine = current_engine()
    if engine.accounts.get(sid) is None:
        raise not_found(request.path)
    account = engine.accounts.update(sid, friendly_name=None, status="active")
    return jsonify(_account_json(account))


# -- rules --------------------------------------------------------------------------------


@blueprint.get("/rules")
def list_rules() -> Response:
    return jsonify({"rules": current_engine().rules.all()})


@blueprint.post("/rules")
def add_rule() -> tuple[Response, int]:
    data = json_object()
    specs = data.get("rules") if "rules" in data else [data]
    if not isinstance(specs, list):
        raise _bad("rules: must be a list")
    beside = sorted(set(data) - {"rules"}) if "rules" in data else []
    if beside:  # a rule's fields next to a list would be silently dropped otherwise
        raise _bad(f"{beside[0]}: unknown key beside 'rules' (put each rule in the list)")
    if "rules" not in data:
        return jsonify(current_engine().rules.add(data)), 201
    return jsonify({"rules": current_engine().rules.add_all(specs)}), 201


@blueprint.delete("/rules")
def clear_rules() -> Response:
    return jsonify({"deleted": current_engine().rules.delete()})


@blueprint.delete("/rules/<rowid:rule_id>")
def delete_rule(rule_id: int) -> Response:
    if current_engine().rules.delete(rule_id) == 0:
        raise not_found(request.path)
    return jsonify({"deleted": 1})


# -- clock --------------------------------------------------------------------------------


def _clockjson_object() -> dict[str, Any]:
    engine = current_engine()
    now = engine.clock.now()
    return {
        "mode": "virtual" if engine.clock.virtual else "real",
        "now": now,
        "now_rfc2822": render.rfc2822(now),
        "pending_jobs": engine.scheduler.pending(),
        "next_due": engine.scheduler.next_due(),
    }


@blueprint.get("/clock")
def get_clock() -> Response:
    return jsonify(_clockjson_object())


def _require_virtual() -> Engine:
    engine = current_engine()
    if not engine.clock.virtual:
        raise TwilioError(20001, 409, "The clock is real; start with --clock virtual to move it")
    return engine


@blueprint.post("/clock/advance")
def advance_clock() -> Response:
    engine = _require_virtual()
    seconds = json_object().get("seconds")
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0:
        raise _bad("seconds: must be a non-negative number")
    if not math.isfinite(seconds) or engine.clock.now() + seconds > LAST_INSTANT:
        # JSON allows 1e300 (and Python's parser Infinity): a clock past year 9999 could
        # not be written as a date anywhere, so such a move is refused, not made.
        raise _bad("seconds: too far; the clock must stay before the year 10000")
    ran = engine.advance(float(seconds))
    return jsonify({**_clockjson_object(), "jobs_run": ran})


@blueprint.post("/clock/run-until-idle")
def run_until_idle() -> Response:
    engine = _require_virtual()
    ran = engine.run_until_idle()
    return jsonify({**_clockjson_object(), "jobs_run": ran})


# -- callbacks log ------------------------------------------------------------------------


@blueprint.get("/callbacks")
def callbacks() -> Response:
    args = request.args
    limit = required_whole_number("limit", args.get("limit", "1000"))
    items = current_engine().attempts.query(
        message_sid=args.get("message_sid"),
        status=args.get("status"),
        url=args.get("url"),
        kind=args.get("kind"),
        account_sid=args.get("account_sid"),
        limit=min(limit, 100000),
    )
    return jsonify({"callbacks": items})


# -- messages across accounts -------------------------------------------------------------


@blueprint.get("/messages")
def messages() -> Response:
    """Messages across accounts; ``wait=N`` long-polls until one matches (OTP tests).

    A waiting request runs on the server's waiter pool, not an API worker
    (``smsim.serving``), and sleeps on the app's change feed, which ends it at once when
    the server stops."""
    args = request.args
    try:
        asked = float(args.get("wait", "0") or 0)
    except ValueError:
        raise _bad("wait: must be a number of seconds") from None
    if not math.isfinite(asked):  # "1e309", "inf" and "nan" are floats to Python
        raise _bad("wait: must be a number of seconds")
    wait = min(asked, MAX_WAIT_SECONDS)
    query = messages_query(args)
    engine = current_engine()
    page = wait_until(
        change_feed(current_app),
        lambda: _messages_page(engine, query),
        lambda found: bool(found.messages),
        wait,
    )
    return jsonify(messages_json(page))


def messages_query(args: Any) -> InboxQuery:
    """The filters and cursor of ``GET /_smsim/messages`` (400 on a malformed one)."""
    limit = required_whole_number("limit", args.get("limit", "100"))
    numbers = {key: whole_number(key, args.get(key)) for key in ("error_code", "before", "after")}
    lost = args.get("lost_callbacks", "")
    if lost not in {"", "0", "1", "true", "false"}:
        raise _bad("lost_callbacks: must be true or false")
    return InboxQuery(
        account_sid=args.get("account_sid") or None,
        to=args.get("to") or None,
        from_=args.get("from") or None,
        number=args.get("number") or None,
        status=args.get("status") or None,
        error_code=numbers["error_code"],
        direction=args.get("direction") or None,
        sid=args.get("sid") or None,
        text=args.get("q") or None,
        lost_callbacks=lost in {"1", "true"},
        before=numbers["before"],
        after=numbers["after"],
        limit=min(limit, INBOX_MAX_LIMIT),
    )


def _messages_page(engine: Engine, query: InboxQuery) -> InboxPage:
    if query.limit == 0:
        return InboxPage([], None, None)
    return engine.messages.inbox(query)


def messages_json(page: InboxPage) -> dict[str, Any]:
    """The list, plus the cursors of the older and newer pages (``before=``/``after=``)."""
    return {
        "messages": [inbox_message(m) for m in page.messages],
        "older": None if page.older is None else str(page.older),
        "newer": None if page.newer is None else str(page.newer),
    }
