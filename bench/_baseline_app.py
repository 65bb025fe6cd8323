"""The baseline of bench/api.py: a bare Flask app that answers a Create Message POST with a
message-sized JSON, served by gunicorn (``gunicorn _baseline_app:app``).

It reads the form and renders a dict of a Message's size and shape on every request, so
the only difference from ``smsim serve`` is everything smsim does for a message.
"""

from __future__ import annotations

import json

from flask import Flask, Response, request

app = Flask(__name__)

_MESSAGE = {
    "account_sid": "AC" + "0" * 32,
    "api_version": "2010-04-01",
    "body": "smsim benchmark message",
    "date_created": "Sun, 29 Nov 2026 20:00:00 +0000",
    "date_sent": None,
    "date_updated": "Sun, 29 Nov 2026 20:00:00 +0000",
    "direction": "outbound-api",
    "error_code": None,
    "error_message": None,
    "from": "+15005550006",
    "messaging_service_sid": None,
    "num_media": "0",
    "num_segments": "1",
    "price": None,
    "price_unit": "USD",
    "sid": "SM" + "0" * 32,
    "status": "queued",
    "subresource_uris": {
        "media": "/2010-04-01/Accounts/AC00/Messages/SM00/Media.json",
        "feedback": "/2010-04-01/Accounts/AC00/Messages/SM00/Feedback.json",
    },
    "to": "+14155550100",
    "uri": "/2010-04-01/Accounts/AC00/Messages/SM00.json",
}


@app.post("/2010-04-01/Accounts/<account_sid>/Messages.json")
def create_message(account_sid: str) -> Response:
    form = request.form
    message = dict(_MESSAGE, account_sid=account_sid, to=form.get("To", ""))
    message["body"] = form.get("Body", "")
    return Response(json.dumps(message), status=201, mimetype="application/json")
