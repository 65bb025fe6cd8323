"""Inbox pages about messages: the live list (home), a handset's conversation, one message.

Each page is rendered with the data of its JSON route already in it (the same helpers
``/_smsim/messages`` and ``/_smsim/messages/{sid}`` answer with), so it shows at once;
its script (``inbox.js``) draws it, then re-reads the JSON route whenever the change
stream (``/_smsim/stream``) says something moved.
"""

from __future__ import annotations

from typing import Any

from flask import render_template, request
from werkzeug.datastructures import MultiDict

from smsim.contracts import catalogue
from smsim.simulator import lifecycle
from smsim.simulator.errors import TwilioError, not_found
from smsim.simulator.http.context import current_engine
from smsim.simulator.http.control import messages_json, messages_query
from smsim.simulator.http.inbox_json import message_detail
from smsim.simulator.http.ui import blueprint
from smsim.simulator.http.ui.client_links import client_origin, client_receiver

PAGE_SIZE = 50
THREAD_SIZE = 200
DIRECTIONS = ("inbound", "outbound-api", "outbound-reply")
FILTERS = ("account_sid", "number", "status", "error_code", "direction", "q", "lost_callbacks")


def _accounts() -> list[dict[str, Any]]:
    return [
        {
            "sid": a.sid,
            "friendly_name": a.friendly_name,
            "numbers": [n.phone_number for n in current_engine().accounts.numbers(a.sid)],
        }
        for a in current_engine().accounts.all()
    ]


@blueprint.get("/")
def home() -> tuple[str, int]:
    """Every message, newest first, filtered and keyset-paged by the query string."""
    args = MultiDict(request.args)
    args.setdefault("limit", str(PAGE_SIZE))
    error = None
    try:
        query = messages_query(args)
        listing = messages_json(current_engine().messages.inbox(query))
    except TwilioError as exc:
        error = exc.message
        listing = {"messages": [], "older": None, "newer": None}
    filters = {key: request.args.get(key, "") for key in FILTERS}
    return render_template(
        "ui/messages.html",
        listing=listing,
        filters=filters,
        error=error,
        accounts=_accounts(),
        statuses=sorted(lifecycle.TRANSITIONS),
        directions=DIRECTIONS,
        codes=[(e.code, _code_label(e)) for e in catalogue.all_entries()],
        page_size=PAGE_SIZE,
        first_send=_first_send(),
        client_receiver=client_receiver(current_engine().config.dashboard_url),
    ), (400 if error else 200)


def _code_label(entry: catalogue.ErrorEntry) -> str:
    """CleverTap's description and Twilio's title, labelled, as the message page shows them."""
    if entry.seed_description and entry.seed_description != entry.twilio_title:
        return f"{entry.seed_description} (CleverTap) · {entry.twilio_title} (Twilio)"
    return entry.twilio_title


def _first_send() -> dict[str, str] | None:
    """What the empty inbox shows to send a first message: a curl line against this
    server that works as shown (None without an account to send from). It sends from an
    account's own number: a full account's to any handset, else a trial account's to a
    number it has verified (anything else is refused with 21608). ``shown`` masks the
    auth token, as the Accounts page does until asked; ``curl`` is what Copy copies."""
    engine = current_engine()
    accounts = sorted(engine.accounts.all(), key=lambda a: (a.is_trial, a.sid))
    for account in accounts:
        numbers = engine.accounts.numbers(account.sid)
        if account.status != "active" or not numbers:
            continue
        to = "+14155550123"
        if account.is_trial:
            verified = engine.accounts.verified(account.sid)
            if not verified:
                continue
            to = verified[0].phone_number
        base = request.host_url.rstrip("/")
        line = (
            "curl -u '{sid}:{token}'"
            f" {base}/2010-04-01/Accounts/{account.sid}/Messages.json"
            f" --data-urlencode 'From={numbers[0].phone_number}' --data-urlencode 'To={to}'"
            " --data-urlencode 'Body=Hello from smsim'"
        )
        return {
            "account_sid": account.sid,
            "curl": line.format(sid=account.sid, token=account.auth_token),
            "shown": line.format(sid=account.sid, token="•" * 8 + account.auth_token[-4:]),
        }
    return None


@blueprint.get("/conversations/<handset>")
def conversation(handset: str) -> str:
    """Everything between one handset and an account's numbers, as a phone shows it."""
    accounts = _accounts()
    account_sid = request.args.get("account_sid", "")
    args = MultiDict({"number": handset, "limit": str(THREAD_SIZE)})
    if account_sid:
        args["account_sid"] = account_sid
    listing = messages_json(current_engine().messages.inbox(messages_query(args)))
    return render_template(
        "ui/conversation.html",
        handset=handset,
        account_sid=account_sid,
        accounts=accounts,
        listing=listing,
        thread_size=THREAD_SIZE,
    )


@blueprint.get("/messages/<sid>")
def message_page(sid: str) -> str:
    """One message: fields, lifecycle timeline, every webhook attempt."""
    engine = current_engine()
    found = engine.messages.find(sid)
    if found is None:
        raise not_found(request.path)
    detail = message_detail(engine, found)
    callback = (detail["webhook"] or {}).get("url") if found.direction != "inbound" else None
    origin = client_origin(callback, engine.config.dashboard_url)
    return render_template(
        "ui/message.html",
        sid=sid,
        detail=detail,
        origin=origin,
        # The address offered for a redelivery: the client's receiver when the message
        # came through the client and its dashboard is known, else the webhook URL itself.
        redeliver_url=(origin.receiver_url if origin and origin.receiver_url else callback) or "",
    )
