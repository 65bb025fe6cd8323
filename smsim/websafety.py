"""Cross-site safety for smsim's HTTP servers: one guard, installed on both apps.

smsim is a local test tool: its control surfaces (the simulator's ``/_smsim/``, the
client's ``/api/`` and both web UIs) have no user accounts. What must not happen is that
a web page the developer happens to open reaches them through the browser. So every
route is protected by default, and only the authenticated machine surfaces are left open
(the Twilio API, which checks Basic auth on every request; the client's signed callback
receiver; its click redirects). Protected routes get, in order:

1. a Host allow-list: loopback names, the bound address and ``--allowed-host`` names.
   A DNS-rebinding page reaches the server under its own name, so it is refused (403);
2. a cross-site refusal for POST/PUT/PATCH/DELETE: ``Sec-Fetch-Site`` other than
   ``same-origin``/``none``, or an ``Origin`` that is not the request's own (403).
   Scripts, SDKs and curl send neither header and are unaffected;
3. the control token, when one is set (401 without it): ``Authorization: Bearer``,
   ``X-Smsim-Control-Token``, or a cookie a browser gets from ``?token=`` on a GET;
4. JSON routes refuse a body that is not ``application/json`` (415), so nothing is ever
   created from a body that was not read.

See docs/security.md for the whole model.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

from flask import Flask, Response, g, request
from werkzeug.exceptions import Forbidden, Unauthorized, UnsupportedMediaType

TOKEN_ENV = "SMSIM_CONTROL_TOKEN"
ALLOWED_HOSTS_ENV = "SMSIM_ALLOWED_HOSTS"
TOKEN_HEADER = "X-Smsim-Control-Token"
TOKEN_QUERY = "token"
COOKIE_PREFIX = "smsim_control_"
STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
SAFE_FETCH_SITES = frozenset({"same-origin", "none"})
DEFAULT_PORTS = {"http": 80, "https": 443}
JSON_REQUIRED = "This route reads JSON: send the body with 'Content-Type: application/json'"


@dataclass(frozen=True)
class SafetyPolicy:
    """What one server accepts on its protected routes.

    ``open_prefixes`` are the machine surfaces left open (a prefix ending in ``/`` matches
    everything under it, any other matches that path and what is under it);
    ``json_prefixes`` are the routes whose bodies must be JSON. ``allowed_hosts`` holds
    extra Host names (``.example.com`` also matches its subdomains, ``*`` turns the Host
    check off). ``control_token`` None or empty means no token is required.
    """

    bound_host: str = "127.0.0.1"
    allowed_hosts: tuple[str, ...] = ()
    control_token: str | None = None
    open_prefixes: tuple[str, ...] = ()
    json_prefixes: tuple[str, ...] = ()


def install(app: Flask, policy: SafetyPolicy) -> None:
    """Guard every request of ``app``; refusals raise HTTP errors the app renders."""
    guard = _Guard(policy)
    app.before_request(guard.check)
    app.after_request(guard.remember_token)


def is_loopback(host: str) -> bool:
    """True for ``localhost``, ``*.localhost``, ``127.0.0.0/8`` and ``::1`` (any spelling)."""
    name = host.strip().strip("[]").rstrip(".").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def exposure_warning(command: str, host: str, control_token: str | None) -> str | None:
    """The one-line warning ``command`` prints when it binds beyond loopback without a
    control token, else None."""
    if is_loopback(host) or control_token:
        return None
    shown = host or "all interfaces"
    return (
        f"{command}: warning: --host {shown} exposes the unauthenticated control plane "
        "to the network; set --control-token (or SMSIM_CONTROL_TOKEN) and name the hosts "
        "clients use with --allowed-host"
    )


def names_this_server(host: str, policy: SafetyPolicy) -> bool:
    """Whether a Host header value is one this server's protected routes accept: a
    loopback name, the bound address, an ``--allowed-host`` name (any with ``*``).
    Links built from the Host use it only then, so a forged one never reaches a URL a
    client follows with its credentials."""
    guard = _guard_for(policy)
    return guard.any_host or guard._host_allowed(_host_name(host))


@lru_cache(maxsize=16)
def _guard_for(policy: SafetyPolicy) -> _Guard:
    return _Guard(policy)


def control_headers(token: str | None) -> dict[str, str]:
    """Headers that authenticate a script to a server started with ``token``."""
    return {TOKEN_HEADER: token} if token else {}


class _Guard:
    """The checks, with everything derived from the policy computed once."""

    def __init__(self, policy: SafetyPolicy) -> None:
        self.policy = policy
        self.open_prefixes = policy.open_prefixes
        self.json_prefixes = policy.json_prefixes
        self.any_host = "*" in policy.allowed_hosts
        extra = {_host_name(h) for h in policy.allowed_hosts if h != "*"}
        # The bound address itself; for 0.0.0.0 or :: that Host only names this machine.
        bound = _host_name(policy.bound_host)
        if bound:
            extra.add(bound)
        self.exact_hosts = frozenset(h for h in extra if not h.startswith("."))
        self.suffixes = tuple(h for h in extra if h.startswith("."))
        token = policy.control_token or None
        self.token = token.encode("utf-8") if token else None
        # The browser keeps a value derived from the token, not the token itself (and an
        # ASCII one: cookie values cannot carry every character a token may have).
        self.cookie_value = (
            hmac.new(self.token, b"smsim control cookie", hashlib.sha256).hexdigest()
            if self.token
            else ""
        )

    # -- before the view --------------------------------------------------------------

    def check(self) -> None:
        path = request.path
        if _under(path, self.open_prefixes):
            return None
        self._check_host()
        if request.method in STATE_CHANGING:
            self._check_same_origin()
        if self.token is not None:
            self._check_token()
        if request.method in STATE_CHANGING and _under(path, self.json_prefixes):
            self._check_json_body()
        return None

    def _check_host(self) -> None:
        if self.any_host:
            return
        raw = request.environ.get("HTTP_HOST")
        if not raw:  # HTTP/1.0 without Host: not a browser, nothing to rebind
            return
        name = _host_name(raw)
        if self._host_allowed(name):
            return
        shown = name[:100]
        raise Forbidden(
            f"Host {shown!r} is not allowed here (protection against DNS rebinding). "
            f"If you reach this server under that name, start it with --allowed-host {shown} "
            f"(or {ALLOWED_HOSTS_ENV}={shown})."
        )

    def _host_allowed(self, name: str) -> bool:
        return (
            name in self.exact_hosts
            or any(name == s[1:] or name.endswith(s) for s in self.suffixes)
            or is_loopback(name)
        )

    def _check_same_origin(self) -> None:
        site = request.headers.get("Sec-Fetch-Site")
        if site is not None and site.strip().lower() not in SAFE_FETCH_SITES:
            raise Forbidden(
                f"Cross-site request refused (Sec-Fetch-Site: {site[:40]}): a page from "
                "another site, or another port, may not change this server's state. "
                "Use the server's own pages, or a script that sends no Origin."
            )
        origin = request.headers.get("Origin")
        if origin is not None and not _same_origin(
            origin, request.scheme, request.environ.get("HTTP_HOST", "")
        ):
            raise Forbidden(
                f"Cross-site request refused (Origin: {origin[:100]}): a page from another "
                "origin may not change this server's state. Use the server's own pages, or "
                "a script that sends no Origin."
            )

    def _check_token(self) -> None:
        assert self.token is not None
        if any(self._matches(_header_bytes(value)) for value in _offered_tokens()):
            return
        cookie = request.cookies.get(cookie_name(request.environ))
        if cookie and hmac.compare_digest(
            cookie.encode("utf-8", "replace"), self.cookie_value.encode()
        ):
            return
        query = request.args.get(TOKEN_QUERY)
        if request.method in {"GET", "HEAD"} and query and self._matches(query.encode()):
            g.smsim_set_token_cookie = True
            return
        raise Unauthorized(
            "This server requires its control token: send 'Authorization: Bearer <token>' "
            f"or '{TOKEN_HEADER}: <token>', or open a page once with ?{TOKEN_QUERY}=<token>."
        )

    def _matches(self, candidate: bytes | None) -> bool:
        assert self.token is not None
        if not candidate:
            return False
        return hmac.compare_digest(candidate, self.token)

    def _check_json_body(self) -> None:
        if not _has_body() or request.is_json:
            return
        sent = request.mimetype or "no Content-Type"
        raise UnsupportedMediaType(f"{JSON_REQUIRED} (got {sent[:80]}); nothing was changed.")

    # -- after the view ---------------------------------------------------------------

    def remember_token(self, response: Response) -> Response:
        """Give a browser that opened a page with the right ``?token=`` its cookie."""
        if g.get("smsim_set_token_cookie") and self.token is not None:
            response.set_cookie(
                cookie_name(request.environ),
                self.cookie_value,
                httponly=True,
                samesite="Strict",
                secure=request.scheme == "https",
                path="/",
            )
            # The token is in this page's URL: never send it on in a Referer.
            response.headers["Referrer-Policy"] = "no-referrer"
        return response


def cookie_name(environ: dict[str, object]) -> str:
    """Cookies ignore ports, so each server (simulator, client) names its own by port."""
    return f"{COOKIE_PREFIX}{environ.get('SERVER_PORT', '')}"


def _offered_tokens() -> list[str | None]:
    auth = request.headers.get("Authorization", "")
    bearer = auth[7:].strip() if auth[:7].lower() == "bearer " else None
    return [bearer, request.headers.get(TOKEN_HEADER)]


def _header_bytes(value: str | None) -> bytes | None:
    """The bytes a header (or cookie) value was sent as: WSGI decodes them as latin-1,
    so a UTF-8 token in a header compares equal to the token given on the command line."""
    if value is None:
        return None
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError:
        return value.encode("utf-8", "replace")


def _under(path: str, prefixes: tuple[str, ...]) -> bool:
    for prefix in prefixes:
        if prefix.endswith("/"):
            if path.startswith(prefix):
                return True
        elif path == prefix or path.startswith(prefix + "/"):
            return True
    return False


def _has_body() -> bool:
    length = request.content_length
    if length:
        return True
    chunked = request.headers.get("Transfer-Encoding", "").lower() == "chunked"
    return chunked and bool(request.get_data(cache=True))


@lru_cache(maxsize=256)
def _host_name(host: str) -> str:
    """The name in a Host header or address: no port, no brackets, lower case."""
    text = host.strip().lower()
    if text.startswith("["):
        return text[1 : text.find("]")] if "]" in text else text[1:]
    if text.count(":") == 1:
        text = text.split(":", 1)[0]
    return text.rstrip(".")


@lru_cache(maxsize=256)
def _same_origin(origin: str, scheme: str, host: str) -> bool:
    """Does ``Origin`` name this request's scheme, host and port (default ports filled)?"""
    try:
        parts = urlsplit(origin.strip())
        origin_port = parts.port or DEFAULT_PORTS.get(parts.scheme)
    except ValueError:
        return False
    if not parts.scheme or not parts.hostname:
        return False  # "null" (sandboxed frames, file pages) is never this server
    try:
        own = urlsplit(f"{scheme}://{host}")
        own_port = own.port or DEFAULT_PORTS.get(scheme)
    except ValueError:
        return False
    return (parts.scheme.lower(), parts.hostname, origin_port) == (
        scheme.lower(),
        own.hostname,
        own_port,
    )
