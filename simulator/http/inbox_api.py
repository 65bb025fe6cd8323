"""Control routes the web inbox reads besides the list: one message's whole story
(``GET /_smsim/messages/{sid}``) and a live stream of changes (``GET /_smsim/stream``).

The stream is Server-Sent Events: an ``event: change`` whenever the store changed rows
(the app's change feed, ``smsim.simulator.watch``; coalesced to at most one event every
``MIN_EVENT_GAP`` seconds), a comment as heartbeat every ``HEARTBEAT_SECONDS``; it ends
when the server stops (the feed is closed; checked at least every ``STOP_CHECK_SECONDS``).
It runs on the server's waiter pool, not an API worker (``smsim.serving``). Pages re-read
what they show on each event through the ordinary JSON routes, so a stream never carries
data a filter would hide.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

from flask import Blueprint, Response, current_app, jsonify, request

from smsim.simulator.errors import not_found
from smsim.simulator.http.context import change_feed, current_engine
from smsim.simulator.http.inbox_json import message_detail
from smsim.simulator.watch import ChangeFeed

blueprint = Blueprint("inbox_api", __name__, url_prefix="/_smsim")

STOP_CHECK_SECONDS = 1.0
HEARTBEAT_SECONDS = 15.0
MIN_EVENT_GAP = 0.2


@blueprint.get("/messages/<sid>")
def message(sid: str) -> Response:
    """One message of any account with its timeline and every webhook attempt."""
    engine = current_engine()
    found = engine.messages.find(sid)
    if found is None:
        raise not_found(request.path)
    return jsonify(message_detail(engine, found))


@blueprint.get("/stream")
def stream() -> Response:
    """``text/event-stream`` of change notifications (see the module docstring). A request
    that does not accept ``text/event-stream`` (EventSource always does) gets the current
    change counter as JSON at once instead of a response that never ends."""
    feed = change_feed(current_app)
    if "text/event-stream" not in request.headers.get("Accept", ""):
        return jsonify({"version": feed.current(), "stream": "ask with Accept: text/event-stream"})
    return Response(
        change_events(feed),
        mimetype="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


def change_events(feed: ChangeFeed) -> Iterator[str]:
    """The stream's text: a first comment so the browser opens it at once, then events."""
    seen = feed.current()
    yield "retry: 1000\n: connected\n\n"
    last_sent = time.monotonic()
    while not feed.closed:
        feed.wait_past(seen, STOP_CHECK_SECONDS)
        if feed.closed:
            return
        version = feed.current()
        now = time.monotonic()
        if version != seen:
            seen = version
            yield f"event: change\ndata: {version}\n\n"
            last_sent = now
            time.sleep(MIN_EVENT_GAP)  # coalesce bursts: pages re-read at most 5 times/s
        elif now - last_sent >= HEARTBEAT_SECONDS:
            yield ": heartbeat\n\n"
            last_sent = now
