"""A correct Twilio callback receiver: what every mutant in this package starts from.

It verifies the signature over the URL Twilio requested, refuses what is not a signed
form, records each (MessageSid, status) once, keeps the first final status a message
reaches (Twilio's callbacks may arrive out of order or be retried), and counts replies
by MessageSid. Each mutant overrides one method with one realistic bug.
"""

from __future__ import annotations

import sys
import threading
import time
from typing import Any

from flask import Flask, Request, jsonify, request
from twilio.request_validator import RequestValidator

TOKEN = "mutation-suite-token-5c1d"
FINAL = ("delivered", "undelivered", "failed", "canceled", "partially_delivered")
RANK = {"queued": 1, "sending": 2, "sent": 3}
# How long a timing mutant takes to answer; the suite runs verify with a shorter --timeout.
SLOW_SECONDS = 3.0


class Receiver:
    """One integration's callback endpoint and the stats it shows."""

    #: The class of check verify must name when it fails this receiver (None: must pass).
    catches: str | None = None

    @classmethod
    def bug(cls) -> str:
        """What the bug is, as a reviewer would describe it: the module's docstring."""
        return " ".join((sys.modules[cls.__module__].__doc__ or "").split())

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.validator = RequestValidator(TOKEN)
        self.seen: set[tuple[str, str]] = set()
        self.state: dict[str, str] = {}
        self.error_of: dict[str, str] = {}
        self.replies: set[str] = set()

    # -- the steps a mutant may get wrong ------------------------------------------------

    def signed_url(self, req: Request) -> str:
        return req.url

    def authentic(self, req: Request) -> bool:
        signature = req.headers.get("X-Twilio-Signature", "")
        return bool(self.validator.validate(self.signed_url(req), req.form, signature))

    def refuse(self, req: Request) -> tuple[str, int] | None:
        """The answer for a request that is not a signed Twilio form, else None."""
        if req.mimetype != "application/x-www-form-urlencoded":
            return "form bodies only", 415
        if not self.authentic(req):
            return "bad signature", 403
        if not req.form.get("MessageSid"):
            return "MessageSid required", 400
        return None

    def prepare(self, form: Any) -> None:
        """Work done before recording, outside the lock (a lookup, a download): nothing here."""

    def is_new(self, sid: str, status: str, form: Any) -> bool:
        key = (sid, status)
        if key in self.seen:
            return False
        self.seen.add(key)
        return True

    def apply(self, sid: str, status: str, form: Any) -> None:
        """Move the message to ``status`` unless it already has a final or later one."""
        current = self.state.get(sid)
        if current in FINAL:
            return
        if status in FINAL or RANK.get(status, 0) > RANK.get(current or "", 0):
            self.state[sid] = status
            if "ErrorCode" in form:
                self.error_of[sid] = form["ErrorCode"]

    def on_status(self, form: Any) -> tuple[str, int]:
        sid, status = form["MessageSid"], form.get("MessageStatus", "")
        if not status:
            return "MessageStatus required", 400
        if self.is_new(sid, status, form):
            self.apply(sid, status, form)
        return "", 204

    def on_reply(self, form: Any) -> tuple[str, int]:
        self.count_reply(form)
        return "<Response/>", 200

    def count_reply(self, form: Any) -> None:
        self.replies.add(form["MessageSid"])

    def stats(self) -> dict[str, Any]:
        finals = list(self.state.values())
        errors: dict[str, int] = {}
        for sid, code in self.error_of.items():
            if self.state.get(sid) in ("failed", "undelivered"):
                errors[code] = errors.get(code, 0) + 1
        return {
            "delivered": finals.count("delivered"),
            "failed": finals.count("failed") + finals.count("undelivered"),
            "errors": errors,
            "replied": len(self.replies),
        }

    # -- HTTP --------------------------------------------------------------------------

    def app(self) -> Flask:
        app = Flask(type(self).__name__)

        @app.post("/sms/twilio")
        def webhook() -> Any:
            refused = self.refuse(request)
            if refused is not None:
                return refused
            self.prepare(request.form)
            with self.lock:
                if request.form.get("SmsStatus") == "received":
                    body, code = self.on_reply(request.form)
                    return body, code, {"Content-Type": "text/xml"}
                return self.on_status(request.form)

        @app.get("/stats")
        def stats() -> Any:
            with self.lock:
                return jsonify(self.stats())

        return app


def pause(seconds: float) -> None:
    """A slow dependency (a CRM call, a cold database): what timing mutants wait on."""
    time.sleep(seconds)
