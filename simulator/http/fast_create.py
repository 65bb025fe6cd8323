"""Create Message without Flask's request machinery: the one route a load test hammers.

``POST /2010-04-01/Accounts/{sid}/Messages.json`` with a plain form body is answered here,
in front of the Flask app, by the same functions the Flask view calls (authentication,
:func:`~smsim.simulator.http.twilio_api.create_message_json`, the error envelope). What it
skips is what the route does not need: a request context, URL routing, the hooks of the
guarded surfaces (the Twilio surfaces are open: docs/security.md) and a response object.
Anything unusual (another content type, no Content-Length, a body over the limit) goes to
the Flask app, which then answers exactly as it always did. With contract checking on,
its answers are checked as the Flask route's are.

It pays (``python bench/api.py``, ``creates`` against ``creates-via-flask``: one
``smsim serve`` process on an SQLite file, 2 cores, the same runs): 1.31x the creates per
second through Flask (median of 5 runs of 8 s: 1,017 against 787 req/s; CPU per create
with its lifecycle steps 1.01 against 1.30 ms; 1.50x at the previous stop, on a busier
machine). Its parity with the
Flask route is tests/api/test_create_fast_path.py.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qsl

from werkzeug.datastructures import Authorization, MultiDict

from smsim.contracts.wire import FORM_CONTENT_TYPE
from smsim.serving import status_line
from smsim.simulator import contract_check
from smsim.simulator.engine import Engine
from smsim.simulator.errors import TwilioError, authentication_failed
from smsim.simulator.http.params import check_utf8_form
from smsim.simulator.http.twilio_api import create_message_json

log = logging.getLogger("smsim.http")

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
_CREATE_PATH = re.compile(r"/2010-04-01/Accounts/([^/]+)/Messages\.json")


class CreateFastPath:
    """A WSGI app: creates answered directly, every other request to ``app``."""

    def __init__(self, app: WSGIApp, engine: Engine, max_body: int) -> None:
        self.app = app
        self.engine = engine
        self.max_body = max_body

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") != "POST":
            return self.app(environ, start_response)
        match = _CREATE_PATH.fullmatch(environ.get("PATH_INFO", ""))
        length = environ.get("CONTENT_LENGTH", "")
        mimetype = environ.get("CONTENT_TYPE", "").partition(";")[0].strip().lower()
        if (
            match is None
            or mimetype != FORM_CONTENT_TYPE
            or not length.isdigit()
            or int(length) > self.max_body
        ):
            return self.app(environ, start_response)
        try:
            status, body = 201, self._create(environ, match.group(1), int(length))
        except TwilioError as exc:
            status, body = exc.status, exc.envelope()
        except Exception:
            log.exception("unexpected error on POST %s", environ.get("PATH_INFO"))
            error = TwilioError(20500, 500, "An internal server error has occurred")
            status, body = error.status, error.envelope()
        if self.engine.validate_contracts:
            contract_check.check_response("POST", environ["PATH_INFO"], status, body)
        # the bytes Flask's jsonify writes: compact, no ASCII escaping, a final newline
        text = json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        data = (text + "\n").encode()
        start_response(
            status_line(status),
            [("Content-Type", "application/json"), ("Content-Length", str(len(data)))],
        )
        return [data]

    def _create(self, environ: dict[str, Any], account_sid: str, length: int) -> dict[str, Any]:
        # in the Flask app's order: the UTF-8 check is an app hook, authentication the
        # Twilio blueprint's, which runs after it
        text = check_utf8_form(environ["wsgi.input"].read(length))
        auth = Authorization.from_header(environ.get("HTTP_AUTHORIZATION"))
        if auth is None or auth.type != "basic":
            raise authentication_failed()
        principal = self.engine.accounts.authenticate(auth.username, auth.password)
        form: MultiDict[str, str] = MultiDict(parse_qsl(text, keep_blank_values=True))
        return create_message_json(self.engine, principal, account_sid, form)
