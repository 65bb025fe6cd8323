"""``X-Twilio-Signature``: computed exactly as Twilio does and validated as the SDK does.

Signing (Twilio's algorithm): start from the full URL as requested (scheme, host, path,
query string); append, for each distinct parameter name in sorted order, ``name + value``
for each of that name's distinct values in sorted order; HMAC-SHA1 the UTF-8 string
keyed with the Auth Token; base64-encode.

Validating (twilio-python's ``RequestValidator``): a signature is accepted when it matches
the URL with its explicit port removed or the URL with the scheme's default port added
(Twilio's own signing is inconsistent about ports). We also accept the URL exactly as
given, which the SDK reaches only indirectly. The SDK's port removal splits the network
location at the first ``:``, so a URL with userinfo collapses (``https://u:p@h:8080/x``
becomes ``https://u/x``); we keep that quirk so both sides always agree.

JSON bodies: Twilio adds ``bodySHA256=<hex sha256 of the body>`` to the URL's query and
signs the URL alone. When the URL carries ``bodySHA256`` and ``params`` is the raw body
string, validation checks the hash and then the URL-only signature.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import ParseResult, parse_qs, parse_qsl, urlparse

SIGNATURE_HEADER = "X-Twilio-Signature"

Params = Mapping[str, str | Sequence[str]] | Sequence[tuple[str, str]] | str | bytes | None


def _values_of(params: Mapping[str, object], name: str) -> list[str]:
    # Multi-valued mappings: WebOb MultiDict (getall), werkzeug MultiDict / Django QueryDict
    # (getlist). Otherwise the value itself, which may be a list of values.
    for accessor in ("getall", "getlist"):
        method = getattr(params, accessor, None)
        if callable(method):
            return [str(v) for v in method(name)]
    value = params[name]
    if isinstance(value, str | bytes):
        return [value.decode("utf-8") if isinstance(value, bytes) else value]
    if isinstance(value, Iterable):
        return [str(v) for v in value]
    return [str(value)]


def _grouped(params: Params) -> dict[str, list[str]]:
    """Parameters as name -> values, whatever shape they came in."""
    if params is None:
        return {}
    if isinstance(params, bytes):
        params = params.decode("utf-8")
    if isinstance(params, str):
        # A raw form-encoded body; blank values are parameters too (Twilio sends ToCity=).
        params = parse_qsl(params, keep_blank_values=True)
    if isinstance(params, Mapping):
        return {str(name): _values_of(params, name) for name in params}
    grouped: dict[str, list[str]] = {}
    for name, value in params:
        grouped.setdefault(name, []).append(value)
    return grouped


def signing_string(url: str, params: Params) -> str:
    """The exact string Twilio feeds to HMAC-SHA1 (useful when a signature mismatches)."""
    parts = [url]
    grouped = _grouped(params)
    for name in sorted(grouped):
        for value in sorted(set(grouped[name])):
            parts.append(name + value)
    return "".join(parts)


def compute_signature(url: str, params: Params, auth_token: str) -> str:
    """The ``X-Twilio-Signature`` Twilio would send for a POST of ``params`` to ``url``.

    ``params`` may be a mapping (values a string or a sequence of strings), a sequence
    of ``(name, value)`` pairs, a raw form-encoded body, or None for a request without
    body parameters (GET, or a JSON body signed via ``bodySHA256``).
    """
    mac = hmac.new(
        auth_token.encode("utf-8"), signing_string(url, params).encode("utf-8"), hashlib.sha1
    )
    return base64.b64encode(mac.digest()).decode("ascii").strip()


def body_sha256(body: str | bytes) -> str:
    """Hex SHA-256 of a JSON webhook body, the value of the ``bodySHA256`` query parameter."""
    data = body.encode("utf-8") if isinstance(body, str) else body
    return hashlib.sha256(data).hexdigest()


def _without_port(parsed: ParseResult) -> str:
    if not parsed.port:
        return parsed.geturl()
    return parsed._replace(netloc=parsed.netloc.split(":")[0]).geturl()


def _with_port(parsed: ParseResult) -> str:
    if parsed.port:
        return parsed.geturl()
    port = 443 if parsed.scheme == "https" else 80
    return parsed._replace(netloc=f"{parsed.netloc}:{port}").geturl()


def url_variants(url: str) -> list[str]:
    """The URLs a signature may have been computed over: as given, without port, with port."""
    variants = [url]
    try:
        parsed = urlparse(url)
        candidates = [_without_port(parsed), _with_port(parsed)]
    except ValueError:  # an invalid port such as ":abc": only the URL as given can match
        candidates = []
    for candidate in candidates:
        if candidate not in variants:
            variants.append(candidate)
    return variants


def validate_signature(url: str, params: Params, signature: str | None, auth_token: str) -> bool:
    """True when ``signature`` is what Twilio would send for this request.

    ``url`` is the full URL Twilio requested, query string included and still
    percent-encoded. An empty or missing signature is never valid. For a JSON webhook
    pass the raw body string as ``params``; the URL must then carry ``bodySHA256``. A
    body string without ``bodySHA256`` in the URL is read as a form-encoded body (the
    SDK would fail on it).
    """
    if not signature:
        return False
    if isinstance(params, bytes):
        params = params.decode("utf-8")
    try:
        query = parse_qs(urlparse(url).query)
    except ValueError:
        query = {}
    if "bodySHA256" in query and isinstance(params, str):
        expected_hash = body_sha256(params)
        given_hash = query["bodySHA256"][0].encode("utf-8", "replace")  # may be non-ASCII
        if not hmac.compare_digest(expected_hash.encode(), given_hash):
            return False
        params = None
    expected = signature.encode("utf-8")
    return any(
        hmac.compare_digest(compute_signature(candidate, params, auth_token).encode(), expected)
        for candidate in url_variants(url)
    )


@functools.lru_cache(maxsize=256)
def _keyed_mac(auth_token: str) -> Any:
    """An HMAC-SHA1 keyed with ``auth_token``, to copy (the key setup is done once)."""
    return hmac.new(auth_token.encode("utf-8"), digestmod=hashlib.sha1)


class SignatureCheck:
    """:func:`validate_signature` for one form-encoded request tried against several auth
    tokens and URL spellings: the parameters' part of the signing string and the URL
    variants are computed once, each token's HMAC key once per process.

    Same answers as ``validate_signature(url, params, signature, token)`` for any of
    ``urls`` when ``params`` is a mapping or pairs (not a raw ``bodySHA256`` body)."""

    def __init__(self, urls: Sequence[str], params: Params, signature: str | None) -> None:
        self._expected = (signature or "").encode("utf-8")
        suffix = signing_string("", params).encode("utf-8")
        self._messages: list[bytes] = []
        for url in urls:
            for variant in url_variants(url):
                message = variant.encode("utf-8") + suffix
                if message not in self._messages:
                    self._messages.append(message)

    def matches(self, auth_token: str) -> bool:
        """True when ``auth_token`` signed this request (over any of its URL spellings)."""
        if not self._expected:
            return False
        keyed = _keyed_mac(auth_token)
        for message in self._messages:
            mac = keyed.copy()
            mac.update(message)
            digest = base64.b64encode(mac.digest()).strip()
            if hmac.compare_digest(digest, self._expected):
                return True
        return False
