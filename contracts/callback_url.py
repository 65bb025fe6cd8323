"""What Twilio accepts as a webhook URL (StatusCallback, SmsUrl, a service's URLs): an
absolute http(s) URL whose host is a valid hostname; "underscores are not allowed" (the
``StatusCallback`` description in Twilio's API reference,
https://www.twilio.com/docs/messaging/api/message-resource). One rule for the simulator,
which refuses such URLs as Twilio does on every route that takes one, and the
integration, which refuses to save them.

smsim's additions (docs/fidelity.md, Messages API): at most :data:`MAX_LENGTH`
characters, and no whitespace or control characters anywhere (Python's ``urlsplit``
silently drops tabs and newlines, so ``http://exa\\nmple.com`` would otherwise pass and
be stored with its newline).
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

#: The longest webhook URL smsim takes (the integration's settings take the same).
MAX_LENGTH = 2048
_UNSAFE = re.compile(r"[\x00-\x20\x7f]")
_LABEL = re.compile(r"[^\W_]([^\W_]|-)*", re.UNICODE)  # letters/digits, inner hyphens


def problem(url: str) -> str | None:
    """Why Twilio would refuse ``url`` as a webhook URL, or None when it is acceptable."""
    if not isinstance(url, str) or not url:
        return "must be an absolute http(s) URL"
    if len(url) > MAX_LENGTH:
        return f"must be at most {MAX_LENGTH} characters"
    if _UNSAFE.search(url):
        return "must not contain spaces or control characters"
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return "must be an absolute http(s) URL with a valid port"
    if parts.scheme not in ("http", "https") or not host:
        return "must be an absolute http(s) URL"
    if "_" in host:
        return "the host name must not contain underscores (Twilio refuses them)"
    if not _valid_host(host):
        return f"{host!r} is not a valid host name"
    return None


def _valid_host(host: str) -> bool:
    if ":" in host:  # an IPv6 literal (urlsplit has removed its brackets)
        try:
            ipaddress.IPv6Address(host.split("%", 1)[0])
        except ValueError:
            return False
        return True
    labels = host[:-1].split(".") if host.endswith(".") else host.split(".")
    return all(_LABEL.fullmatch(label) and not label.endswith("-") for label in labels)


def is_valid(url: str) -> bool:
    return problem(url) is None
