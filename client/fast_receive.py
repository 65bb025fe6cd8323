"""The callback receiver without Flask's request machinery: during a campaign every
message brings two signed status callbacks, so this route is most of the client's work.

``POST /sms/twilio`` with a form body is answered here, in front of the Flask app, by what
the Flask view calls (:func:`~smsim.client.app.requested_urls`, ``handle_callback``) and
with the answers it gives. The route is open to any Host (docs/security.md), so no guard
applies. A request it does not recognise (another content type, no Content-Length, a body
over the limit, a body or query with anything but ASCII, whose decoding Flask does its own
way) goes to the Flask app unchanged: the body it read is handed on.

It pays (``python bench/receive.py``: one ``smsim client serve`` process on an SQLite
file, 2 cores, signed callbacks with and without it in the same runs): 1.49x the
callbacks per second through Flask (median of 5 runs of 8 s: 1,734 against 1,154 req/s,
p99 9.4 against 13.7 ms; 1.51x at the previous stop, on a busier machine). Its parity
with the Flask view is tests/client/test_receiver_fast_path.py.
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Callable, Iterable
from typing import Any, cast
from urllib.parse import parse_qsl

from flask import Flask

from smsim.client.app import EMPTY_TWIML, requested_urls
from smsim.client.config import RECEIVER_PATH
from smsim.client.integration import Integration
from smsim.contracts.signature import SIGNATURE_HEADER
from smsim.contracts.wire import FORM_CONTENT_TYPE
from smsim.serving import status_line

log = logging.getLogger("smsim.client")

_SIGNATURE_KEY = "HTTP_" + SIGNATURE_HEADER.upper().replace("-", "_")  # its WSGI environ key
# A percent escape of a byte >= 0x80: werkzeug decodes those its own way.
_HIGH_ESCAPE = re.compile(rb"%[89a-fA-F][0-9a-fA-F]")


class ReceiverFastPath:
    """A WSGI app: status callbacks and replies answered directly, the rest by ``app``."""

    def __init__(self, app: Flask, max_body: int) -> None:
        self.flask = app
        self.app: Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]] = app.wsgi_app
        self.max_body = max_body

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        length = environ.get("CONTENT_LENGTH", "")
        if (
            environ.get("REQUEST_METHOD") != "POST"
            or environ.get("PATH_INFO") != RECEIVER_PATH
            or environ.get("CONTENT_TYPE", "").partition(";")[0].strip().lower()
            != FORM_CONTENT_TYPE
            or not length.isdigit()
            or int(length) > self.max_body
        ):
            return self.app(environ, start_response)
        body = environ["wsgi.input"].read(int(length))
        query = environ.get("QUERY_STRING", "").encode("latin-1")
        if not (body + query).isascii() or _HIGH_ESCAPE.search(body + query):
            environ["wsgi.input"] = io.BytesIO(body)  # Flask reads what we read
            return self.app(environ, start_response)
        try:
            status, ctype, data = self._receive(environ, body.decode("ascii"))
        except Exception:  # a bug: answered as the Flask app's handler answers it
            log.exception("unexpected error")
            status, ctype = 500, "application/json"
            data = self._json({"error": "internal error", "fields": {}})
        start_response(
            status_line(status),
            [("Content-Type", ctype), ("Content-Length", str(len(data)))],
        )
        return [data]

    def _receive(self, environ: dict[str, Any], text: str) -> tuple[int, str, bytes]:
        integration = cast(Integration, self.flask.extensions["smsim_client"])
        form: dict[str, list[str]] = {}
        for key, value in parse_qsl(text, keep_blank_values=True):
            form.setdefault(key, []).append(value)
        args: dict[str, str] = {}
        for key, value in parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True):
            args.setdefault(key, value)
        result = integration.handle_callback(
            requested_urls(environ, integration.config.base_url),
            args,
            form,
            environ.get(_SIGNATURE_KEY),
        )
        if result.status_code != 200:
            error = self._json({"error": result.detail or result.outcome})
            return result.status_code, "application/json", error
        if result.kind == "reply":
            return 200, "text/xml; charset=utf-8", EMPTY_TWIML.encode()
        return 200, "application/json", self._json({"outcome": result.outcome, **result.extra})

    def _json(self, body: dict[str, Any]) -> bytes:
        """The bytes Flask's ``jsonify`` writes with this app's JSON settings."""
        return (self.flask.json.dumps(body, separators=(",", ":")) + "\n").encode()
