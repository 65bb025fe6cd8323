"""The Message subresources on the Twilio surface: Media (list, fetch, delete) and
Feedback (create), under ``/2010-04-01/Accounts/{AccountSid}/Messages/{MessageSid}/``.

Parse, call the owners, render; HTTP Basic auth as on every Twilio route
(docs/fidelity.md, Messages API: Media and Feedback).
"""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, Response, g, jsonify, request

from smsim.simulator import render
from smsim.simulator.feedback import parse_outcome
from smsim.simulator.http.context import current_engine
from smsim.simulator.http.params import paging, parse_date_or_datetime
from smsim.simulator.messages import (
    invalid_page_token,
    parse_page_token,
)
from smsim.simulator.models import Account, Message

blueprint = Blueprint("media_api", __name__, url_prefix="/2010-04-01/Accounts/<account_sid>")

MESSAGE = "/Messages/<message_sid>"


def _message(account_sid: str, message_sid: str) -> tuple[Account, Message]:
    """The account in the path, if the caller's credentials reach it, and its message
    (20404 when it has none of that SID)."""
    engine = current_engine()
    account = engine.accounts.authorize(g.principal, account_sid)
    return account, engine.messages.get(account.sid, message_sid)


@blueprint.get(f"{MESSAGE}/Media.json")
def list_media(account_sid: str, message_sid: str) -> Response:
    account, message = _message(account_sid, message_sid)
    query, created = _created_filters()
    paged = paging(request.args)  # the one PageSize/Page/PageToken rule of every list
    position = None
    if paged.token:
        named = parse_page_token(paged.token)
        if not isinstance(named, int):
            raise invalid_page_token(paged.token)
        position = named
    page = current_engine().subresources.media.page(
        account.sid, message.sid, created, paged.size, paged.number, position
    )
    return jsonify(render.media_page(account.sid, message.sid, page, query))


@blueprint.get(f"{MESSAGE}/Media/<sid>.json")
def fetch_media(account_sid: str, message_sid: str, sid: str) -> Response:
    account, message = _message(account_sid, message_sid)
    media = current_engine().subresources.media.get(account.sid, message.sid, sid)
    return jsonify(render.media(media))


@blueprint.delete(f"{MESSAGE}/Media/<sid>.json")
def delete_media(account_sid: str, message_sid: str, sid: str) -> tuple[str, int]:
    account, message = _message(account_sid, message_sid)
    current_engine().subresources.media.delete(account.sid, message.sid, sid)
    return "", 204


@blueprint.post(f"{MESSAGE}/Feedback.json")
def create_feedback(account_sid: str, message_sid: str) -> Response:
    """200, not 201: what the spec's CreateMessageFeedback answers."""
    account, message = _message(account_sid, message_sid)
    outcome = parse_outcome(request.form.get("Outcome"))
    engine = current_engine()
    feedback = engine.subresources.feedback.record(
        account.sid, message.sid, outcome, engine.clock.now()
    )
    return jsonify(render.feedback(feedback))


def _created_filters() -> tuple[list[tuple[str, str]], tuple[float | None, float | None]]:
    """``DateCreated`` (a whole GMT day), ``DateCreated<`` and ``DateCreated>`` (on or
    before, on or after: a day's end or start, or an exact instant), as the spec's
    ListMedia documents them: the filters as sent, and the inclusive range they leave."""
    query: list[tuple[str, str]] = []
    after: float | None = None
    before: float | None = None
    for key in ("DateCreated", "DateCreated<", "DateCreated>"):
        raw = request.args.get(key)
        if not raw:
            continue
        query.append((key, raw))
        day, instant = parse_date_or_datetime(key, raw)
        if day is None and key == "DateCreated":
            assert instant is not None
            day = dt.datetime.fromtimestamp(instant, dt.UTC).date()
        if day is not None:
            start = dt.datetime.combine(day, dt.time(), dt.UTC).timestamp()
            first, last = start, start + 86400 - 1e-6
        else:
            assert instant is not None
            first = last = instant
        if key != "DateCreated<":
            after = first if after is None else max(after, first)
        if key != "DateCreated>":
            before = last if before is None else min(before, last)
    return query, (after, before)
