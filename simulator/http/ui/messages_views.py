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
        codes=[(e.code, e.twilio_title) for e in catalogue.all_entries()],
        page_size=PAGE_SIZE,
    ), (400 if error else 200)


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
    return render_template("ui/message.html", sid=sid, detail=message_detail(engine, found))
