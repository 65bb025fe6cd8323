"""Control routes over the webhook attempts log beyond listing it:
``POST /_smsim/callbacks/{id}/redeliver`` sends a logged attempt again (signed as the
original, logged as a new attempt; see ``smsim.simulator.redelivery``) and
``GET /_smsim/callbacks/lost`` counts the callbacks never delivered.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from smsim.simulator.errors import not_found
from smsim.simulator.http.context import current_engine
from smsim.simulator.http.inbox_json import iso
from smsim.simulator.redelivery import Redelivery, as_curl

blueprint = Blueprint("control_callbacks", __name__, url_prefix="/_smsim")


@blueprint.post("/callbacks/<rowid:attempt_id>/redeliver")
def redeliver(attempt_id: int) -> tuple[Response, int]:
    """Send attempt ``attempt_id`` again now; answers the new attempt (201)."""
    engine = current_engine()
    redelivery = Redelivery(
        engine.accounts, engine.dispatcher.sender, engine.attempts, engine.clock
    )
    attempt = redelivery.redeliver(attempt_id)
    if attempt is None:
        raise not_found(request.path)
    return jsonify({**attempt, "at_iso": iso(attempt["at"]), "curl": as_curl(attempt)}), 201


@blueprint.get("/callbacks/lost")
def lost() -> Response:
    """How many callbacks were never delivered (every attempt failed, none left to try);
    ``GET /_smsim/messages?lost_callbacks=true`` lists their messages."""
    return jsonify({"count": current_engine().attempts.lost_count()})
