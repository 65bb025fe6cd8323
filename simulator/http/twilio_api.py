"""The Twilio REST surface (``/2010-04-01``): parse the request, call the engine, render.

HTTP Basic auth on every route (checked first, by ``twilio_auth``, before routing); a parent
account's credentials reach its subaccounts.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, g, jsonify, request
from werkzeug.datastructures import MultiDict

from smsim.contracts import callback_url
from smsim.simulator import render
from smsim.simulator.accounts import NumberSpec
from smsim.simulator.engine import Engine
from smsim.simulator.errors import TwilioError, not_found, twilio_error
from smsim.simulator.http.context import current_engine
from smsim.simulator.http.params import paging, sent_bounds, webhook_url
from smsim.simulator.ids import is_sid
from smsim.simulator.messages import (
    CreateRequest,
    ListFilter,
)
from smsim.simulator.models import Account

blueprint = Blueprint("twilio_api", __name__, url_prefix="/2010-04-01")


def _account(account_sid: str) -> Account:
    """The account in the path, if the caller's credentials reach it."""
    return current_engine().accounts.authorize(g.principal, account_sid)


def _created(body: dict[str, Any]) -> tuple[Response, int]:
    return jsonify(body), 201


# -- Accounts -----------------------------------------------------------------------------


@blueprint.get("/Accounts.json")
def list_accounts() -> Response:
    paging(request.args)  # one page, but PageSize is checked as on every list
    accounts = current_engine().accounts.subaccounts(g.principal.sid)
    friendly = request.args.get("FriendlyName")
    status = request.args.get("Status")
    items = [
        render.account(a)
        for a in accounts
        if (not friendly or a.friendly_name == friendly) and (not status or a.status == status)
    ]
    return jsonify(render.list_envelope("accounts", "/2010-04-01/Accounts.json", items))


@blueprint.post("/Accounts.json")
def create_subaccount() -> tuple[Response, int]:
    principal: Account = g.principal
    if principal.owner_account_sid:
        raise TwilioError(20008, 403, "Subaccounts cannot create subaccounts")
    account = current_engine().accounts.create(
        account_type="trial" if principal.is_trial else "full",
        friendly_name=request.form.get("FriendlyName")
        or f"SubAccount Created at {render.rfc2822(current_engine().clock.now())}",
        owner_account_sid=principal.sid,
    )
    return _created(render.account(account))


@blueprint.get("/Accounts/<account_sid>.json")
def fetch_account(account_sid: str) -> Response:
    return jsonify(render.account(_account(account_sid)))


@blueprint.post("/Accounts/<account_sid>.json")
def update_account(account_sid: str) -> Response:
    account = _account(account_sid)
    status = request.form.get("Status")
    if status == "suspended":
        current_engine().suspension.suspend(account.sid)
        status = None
    updated = current_engine().accounts.update(
        account.sid, friendly_name=request.form.get("FriendlyName"), status=status
    )
    return jsonify(render.account(updated))


# -- Messages -----------------------------------------------------------------------------


@blueprint.post("/Accounts/<account_sid>/Messages.json")
def create_message(account_sid: str) -> tuple[Response, int]:
    return _created(create_message_json(current_engine(), g.principal, account_sid, request.form))


def create_message_json(
    engine: Engine, principal: Account, account_sid: str, form: MultiDict[str, str]
) -> dict[str, Any]:
    """Create Message: the form of ``POST .../Messages.json`` in, the message's JSON out
    (also the create fast path's, :mod:`smsim.simulator.http.fast_create`)."""
    account = engine.accounts.authorize(principal, account_sid)
    create = CreateRequest.from_form(form, form.getlist("MediaUrl"))
    if create.status_callback and not callback_url.is_valid(create.status_callback):
        raise TwilioError(
            21609, 400, f"The StatusCallback URL {create.status_callback[:200]} is not a valid URL."
        )
    if create.content_sid is not None and not is_sid(create.content_sid, "HX"):
        # Twilio's "The ContentSid is Invalid": HX and 32 hex digits
        # (https://www.twilio.com/docs/api/errors/21655).
        raise twilio_error(21655)
    return render.message(engine.messages.create(account, create))


@blueprint.get("/Accounts/<account_sid>/Messages.json")
def list_messages(account_sid: str) -> Response:
    account = _account(account_sid)
    args = request.args
    query: list[tuple[str, str]] = []
    for key in ("To", "From"):
        if args.get(key):
            query.append((key, args[key]))
    # DateSent (one day or instant), DateSent< (on or before), DateSent> (on or after);
    # given together they narrow each other.
    after: float | None = None
    before: float | None = None
    for key in ("DateSent", "DateSent<", "DateSent>"):
        raw = args.get(key)
        if not raw:
            continue
        query.append((key, raw))
        first, last = sent_bounds(key, raw)
        if key != "DateSent<":
            after = first if after is None else max(after, first)
        if key != "DateSent>":
            before = last if before is None else min(before, last)
    filters = ListFilter(
        to=args.get("To") or None,
        from_=args.get("From") or None,
        date_sent_before=before,
        date_sent_after=after,
    )
    asked = paging(args)
    page = current_engine().messages.page(
        account.sid, filters, asked.size, asked.number, asked.token
    )
    return jsonify(render.message_page(account.sid, page, query))


@blueprint.get("/Accounts/<account_sid>/Messages/<sid>.json")
def fetch_message(account_sid: str, sid: str) -> Response:
    account = _account(account_sid)
    return jsonify(render.message(current_engine().messages.get(account.sid, sid)))


@blueprint.post("/Accounts/<account_sid>/Messages/<sid>.json")
def update_message(account_sid: str, sid: str) -> Response:
    account = _account(account_sid)
    form = request.form
    body = form.get("Body") if "Body" in form else None
    status = form.get("Status") if "Status" in form else None
    message = current_engine().messages.update(account.sid, sid, body, status)
    return jsonify(render.message(message))


@blueprint.delete("/Accounts/<account_sid>/Messages/<sid>.json")
def delete_message(account_sid: str, sid: str) -> tuple[str, int]:
    account = _account(account_sid)
    current_engine().messages.delete(account.sid, sid)
    return "", 204


# -- IncomingPhoneNumbers -----------------------------------------------------------------

# The webhook URLs of a number, refused with 21502 (Twilio's "Invalid URL") on create
# and update alike.
NUMBER_URL_FIELDS = ("SmsUrl", "SmsFallbackUrl", "StatusCallback")
_NUMBER_FIELDS = {
    "FriendlyName": "friendly_name",
    "SmsUrl": "sms_url",
    "SmsMethod": "sms_method",
    "SmsFallbackUrl": "sms_fallback_url",
    "SmsFallbackMethod": "sms_fallback_method",
    "StatusCallback": "status_callback",
}


@blueprint.get("/Accounts/<account_sid>/IncomingPhoneNumbers.json")
def list_numbers(account_sid: str) -> Response:
    paging(request.args)  # one page, but PageSize is checked as on every list
    account = _account(account_sid)
    numbers = current_engine().accounts.numbers(account.sid, request.args.get("PhoneNumber"))
    path = f"/2010-04-01/Accounts/{account.sid}/IncomingPhoneNumbers.json"
    items = [render.phone_number(n) for n in numbers]
    return jsonify(render.list_envelope("incoming_phone_numbers", path, items))


@blueprint.post("/Accounts/<account_sid>/IncomingPhoneNumbers.json")
def create_number(account_sid: str) -> tuple[Response, int]:
    account = _account(account_sid)
    form = request.form
    wanted = form.get("PhoneNumber")
    if not wanted:
        raise TwilioError(21452, 400, "A PhoneNumber or AreaCode is required.")
    for url_field in NUMBER_URL_FIELDS:
        webhook_url(url_field, form.get(url_field), 21502)
    number = current_engine().accounts.add_number(
        account.sid,
        NumberSpec(
            phone_number=wanted,
            sms_url=form.get("SmsUrl") or None,
            sms_method=form.get("SmsMethod", "POST"),
            friendly_name=form.get("FriendlyName") or None,
        ),
    )
    return _created(render.phone_number(number))


@blueprint.get("/Accounts/<account_sid>/IncomingPhoneNumbers/<sid>.json")
def fetch_number(account_sid: str, sid: str) -> Response:
    account = _account(account_sid)
    return jsonify(render.phone_number(current_engine().accounts.number(account.sid, sid)))


@blueprint.post("/Accounts/<account_sid>/IncomingPhoneNumbers/<sid>.json")
def update_number(account_sid: str, sid: str) -> Response:
    account = _account(account_sid)
    form = request.form
    for url_field in NUMBER_URL_FIELDS:
        webhook_url(url_field, form.get(url_field), 21502)
    changes = {_NUMBER_FIELDS[k]: (v or None) for k, v in form.items() if k in _NUMBER_FIELDS}
    number = current_engine().accounts.update_number(account.sid, sid, changes)
    return jsonify(render.phone_number(number))


@blueprint.delete("/Accounts/<account_sid>/IncomingPhoneNumbers/<sid>.json")
def delete_number(account_sid: str, sid: str) -> tuple[str, int]:
    account = _account(account_sid)
    current_engine().accounts.remove_number(account.sid, sid)
    return "", 204


# -- OutgoingCallerIds (verified numbers) -------------------------------------------------


@blueprint.get("/Accounts/<account_sid>/OutgoingCallerIds.json")
def list_verified(account_sid: str) -> Response:
    paging(request.args)  # one page, but PageSize is checked as on every list
    account = _account(account_sid)
    items = current_engine().accounts.verified(account.sid, request.args.get("PhoneNumber"))
    path = f"/2010-04-01/Accounts/{account.sid}/OutgoingCallerIds.json"
    rendered = [render.verified_number(v) for v in items]
    return jsonify(render.list_envelope("outgoing_caller_ids", path, rendered))


@blueprint.post("/Accounts/<account_sid>/OutgoingCallerIds.json")
def add_verified(account_sid: str) -> Response:
    """Twilio answers 200 with a ValidationRequest and verifies by a call; smsim verifies
    at once (docs/fidelity.md, Accounts)."""
    account = _account(account_sid)
    number = request.form.get("PhoneNumber")
    if not number:
        raise TwilioError(21604, 400, "A 'PhoneNumber' is required.")
    validation = current_engine().accounts.request_validation(
        account.sid, number, request.form.get("FriendlyName", "")
    )
    return jsonify(render.validation_request(validation))


@blueprint.get("/Accounts/<account_sid>/OutgoingCallerIds/<sid>.json")
def fetch_verified(account_sid: str, sid: str) -> Response:
    account = _account(account_sid)
    for item in current_engine().accounts.verified(account.sid):
        if item.sid == sid:
            return jsonify(render.verified_number(item))
    raise not_found(request.path)


@blueprint.delete("/Accounts/<account_sid>/OutgoingCallerIds/<sid>.json")
def delete_verified(account_sid: str, sid: str) -> tuple[str, int]:
    account = _account(account_sid)
    current_engine().accounts.remove_verified(account.sid, sid)
    return "", 204
