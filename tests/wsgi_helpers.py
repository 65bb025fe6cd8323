"""Calling a WSGI app directly, as a server would, for tests that compare two ways of
answering the same request (the fast paths against the Flask routes)."""

from __future__ import annotations

import io
from typing import Any


def call_wsgi(
    app: Any,
    path: str,
    body: bytes,
    *,
    ctype: str = "application/x-www-form-urlencoded",
    query: str = "",
    headers: dict[str, str] | None = None,
    host: str = "127.0.0.1:8910",
) -> tuple[str, str | None, bytes]:
    """POST ``body`` to ``path``; returns (status line, Content-Type, body)."""
    name, _, port = host.partition(":")
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": name,
        "SERVER_PORT": port or "80",
        "HTTP_HOST": host,
        "CONTENT_TYPE": ctype,
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        "wsgi.url_scheme": "http",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.errors": io.StringIO(),
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "wsgi.version": (1, 0),
        **{"HTTP_" + k.upper().replace("-", "_"): v for k, v in (headers or {}).items()},
    }
    seen: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc: Any = None) -> None:
        seen["status"], seen["type"] = status, dict(headers).get("Content-Type")

    data = b"".join(app(environ, start_response))
    return seen["status"], seen["type"], data
