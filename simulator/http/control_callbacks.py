"""Control routes over the webhook attempts log beyond listing it:
``POST /_smsim/callbacks/{id}/redeliver`` sends a logged attempt again (signed as the
original, or for a new ``url``; logged as a new attempt; see
``smsim.simulator.redelivery``), ``POST /_smsim/callbacks/redeliver`` with
``{"lost": true}`` sends every callback never delivered again, and
``GET /_smsim/callbacks/lost`` counts the callbacks never delivered.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request

from smsim.simulator.errors import not_found
from smsim.simulator.http.context import current_engine
from smsim.simulator.http.inbox_json import iso
from smsim.simulator.http.params import json_object
from smsim.simulator.redelivery import Redelivery, RedeliveryError, as_curl, checked_url

blueprint = Blueprint("control_callbacks", __name__, url_prefix="/_smsim")


def _redelivery() -> Redelivery:
    engine = current_engine()
    return Redelivery(engine.accounts, engine.dispatcher.sender, engine.attempts, engine.clock)


def _body(allowed: tuple[str, ...]) -> dict[str, Any]:
    """The JSON body, every key in ``allowed``; an unknown key is named back."""
    data = json_object()
    for key in data:
        if key not in allowed:
            raise RedeliveryError(f"{key}: unknown field (use {', '.join(allowed)})")
        if data[key] is None:  # leave a key out to mean "not given"
            raise RedeliveryError(f"{key}: must not be null")
    return data


@blueprint.post("/callbacks/<rowid:attempt_id>/redeliver")
def redeliver(attempt_id: int) -> tuple[Response, int]:
    """Send attempt ``attempt_id`` again now, to ``{"url": ...}`` when given; answers the
    new attempt (201)."""
    url = checked_url(_body(("url",)).get("url"))
    attempt = _redelivery().redeliver(attempt_id, url)
    if attempt is None:
        raise not_found(request.path)
    return jsonify({**attempt, "at_iso": iso(attempt["at"]), "curl": as_curl(attempt)}), 201


@blueprint.post("/callbacks/redeliver")
def redeliver_lost() -> Response:
    """``{"lost": true, "url"?, "message_sid"?}``: send every callback never delivered
    (of one message, or all) again; answers how many were sent, delivered and are still
    lost."""
    data = _body(("lost", "url", "message_sid"))
    if data.get("lost") is not True:
        raise RedeliveryError("lost: must be true (only lost callbacks are redelivered in bulk)")
    message_sid = data.get("message_sid")
    if "message_sid" in data and (not isinstance(message_sid, str) or not message_sid):
        raise RedeliveryError("message_sid: must be a message SID")
    url = checked_url(data.get("url"))
    return jsonify(_redelivery().redeliver_lost(url, message_sid).as_json())


@blueprint.get("/callbacks/lost")
def lost() -> Response:
    """How many callbacks were never delivered (every attempt failed, none left to try);
    ``GET /_smsim/messages?lost_callbacks=true`` lists their messages."""
    return jsonify({"count": current_engine().attempts.lost_count()})
