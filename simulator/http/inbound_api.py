"""``POST /_smsim/inbound``: a handset texts a Twilio number (fidelity.md: Inbound and opt-out).

Body (JSON): ``{"from": handset, "to": twilio_number, "body": "...", "num_segments"?: n,
"lost_segment"?: true, "media_urls"?: [...]}``. The answer holds the stored ``message``
(Twilio's Message JSON, or null when a Messaging Service has receiving disabled), the
opt-out keyword recognised, the ``auto_reply``, the ``webhook`` outcome and the
``replies`` created from the receiver's TwiML.

With a virtual clock the route runs what is due now before answering, so the webhook has
been delivered (and its TwiML read) when the call returns; with a real clock the
scheduler delivers it and ``webhook.status`` is ``queued``.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify

from smsim.simulator import bounds, render
from smsim.simulator.errors import TwilioError
from smsim.simulator.http.context import current_engine
from smsim.simulator.http.params import json_object
from smsim.simulator.inbound import Inbound, InboundRequest, InboundResult

blueprint = Blueprint("inbound_api", __name__, url_prefix="/_smsim")


def _bad(message: str) -> TwilioError:
    return TwilioError(20001, 400, message)


def parse_request(data: Any) -> InboundRequest:
    """Check the JSON body's types; the engine checks the numbers."""
    if not isinstance(data, dict):
        raise _bad("Request body must be a JSON object")
    for key in ("from", "to"):
        if not isinstance(data.get(key), str) or not data[key].strip():
            raise _bad(f"{key}: required, a phone number string")
    body = data.get("body", "")
    if not isinstance(body, str):
        raise _bad("body: must be a string")
    segments = data.get("num_segments")
    if segments is not None and (
        isinstance(segments, bool)
        or not isinstance(segments, int)
        or not 1 <= segments <= bounds.MAX_INBOUND_SEGMENTS
    ):
        raise _bad(f"num_segments: must be a whole number from 1 to {bounds.MAX_INBOUND_SEGMENTS}")
    lost = data.get("lost_segment", False)
    if not isinstance(lost, bool):
        raise _bad("lost_segment: must be true or false")
    media = data.get("media_urls", [])
    if not isinstance(media, list) or not all(isinstance(u, str) and u for u in media):
        raise _bad("media_urls: must be a list of URLs")
    if not body and not media:
        raise _bad("body: required unless media_urls are given")
    return InboundRequest(
        from_=data["from"],
        to=data["to"],
        body=body,
        num_segments=segments,
        lost_segment=lost,
        media_urls=tuple(media),
    )


@blueprint.post("/inbound")
def inbound() -> tuple[Response, int]:
    engine = current_engine()
    handler = engine.inbound
    result = handler.receive(parse_request(json_object()))
    if engine.clock.virtual and result.webhook_queued:
        engine.advance(0)
    return jsonify(_render(handler, result)), 201 if result.message is not None else 200


def _render(handler: Inbound, result: InboundResult) -> dict[str, Any]:
    replies = handler.replies(result.message.sid) if result.message is not None else []
    auto_reply = handler.messages.find(result.auto_reply.sid) if result.auto_reply else None
    auto_sid = auto_reply.sid if auto_reply is not None else None
    return {
        "received": result.message is not None,
        "message": render.message(result.message) if result.message is not None else None,
        "opt_out_type": result.keyword,
        "auto_reply": render.message(auto_reply) if auto_reply is not None else None,
        "webhook": handler.webhook_outcome(result),
        "replies": [render.message(m) for m in replies if m.sid != auto_sid],
    }
