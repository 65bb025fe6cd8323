"""Is the URL a command was pointed at there, and is it what the command expects?

Checked once, before a command starts its work, so that a dead target is one line naming
it and why (``connection refused``, ``no answer within 10 s``, ``not an smsim
simulator``) instead of one failure per request, each carrying urllib3's text. Each
function returns ``None`` when the target is fine, else that reason, worded to follow
"cannot use URL: ".
"""

from __future__ import annotations

import os
import re
import socket
from urllib.parse import urlsplit

from smsim.websafety import TOKEN_ENV, control_headers

HEALTH_PATH = "/_smsim/health"
_ERRNO_TEXT = re.compile(r"\[Errno -?\d+\] ([^'\")\]]+)")


def connect_problem(url: str, timeout: float) -> str | None:
    """Why nothing accepts a TCP connection at ``url``'s host and port, or ``None``.

    Nothing is sent: any path of any integration can be checked this way. When the
    environment routes ``url`` through a proxy, the proxy decides and this says ``None``.
    """
    import requests

    if requests.utils.get_environ_proxies(url):
        return None
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        socket.create_connection((host, port), timeout=timeout).close()
    except TimeoutError:
        return f"no answer within {timeout:g} s"
    except OSError as exc:
        return f"cannot connect ({_lower(exc.strerror or str(exc))})"
    return None


def simulator_problem(url: str, control_token: str | None, timeout: float) -> str | None:
    """Why ``url`` is not a running smsim simulator this command may use, or ``None``.

    Asks ``GET /_smsim/health`` once, with the control token (``$SMSIM_CONTROL_TOKEN``
    when none is given), as every control call of the run will."""
    import requests

    token = control_token or os.environ.get(TOKEN_ENV)
    health = url.rstrip("/") + HEALTH_PATH
    try:
        with requests.Session() as http:
            http.trust_env = False  # as the run's own session: never through a proxy
            response = http.get(health, headers=control_headers(token), timeout=timeout)
    except requests.Timeout:
        return f"no answer within {timeout:g} s"
    except requests.RequestException as exc:
        return f"cannot connect ({short_reason(exc)})"
    if response.status_code in (401, 403):
        given = "the control token given is refused" if token else "it needs its control token"
        return f"{given} (--control-token, or ${TOKEN_ENV})"
    try:
        body = response.json()
    except ValueError:
        body = None
    if response.status_code != 200 or not isinstance(body, dict) or body.get("status") != "ok":
        status = response.status_code
        return f"it answers, but not as an smsim simulator (GET {HEALTH_PATH}: HTTP {status})"
    return None


def short_reason(exc: BaseException) -> str:
    """The operating system's words inside a requests/urllib3 error ("connection
    refused", "name or service not known"), else the exception's class name."""
    found = _ERRNO_TEXT.search(str(exc))
    if found:
        return _lower(found.group(1).strip())
    return type(exc).__name__


def _lower(text: str) -> str:
    return text[:1].lower() + text[1:]
