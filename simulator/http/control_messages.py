"""``POST /_smsim/messages``: store an outbound message as if it had been sent and reached
a status (:mod:`smsim.simulator.stored_message`), e.g. for a Pact provider state `a
message` (docs/pact.md). Answers 201 with Twilio's Message JSON."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from smsim.simulator import render, stored_message
from smsim.simulator.http.context import current_engine
from smsim.simulator.http.params import json_object

blueprint = Blueprint("control_messages", __name__, url_prefix="/_smsim")


@blueprint.post("/messages")
def store_message() -> tuple[Response, int]:
    spec = stored_message.parse_spec(json_object())
    engine = current_engine()
    message = stored_message.save(engine.accounts, engine.messages, engine.clock, spec)
    return jsonify(render.message(message)), 201
