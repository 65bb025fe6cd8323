"""What Twilio accepts as a webhook URL (StatusCallback, SmsUrl, a service's URLs): an
absolute http(s) URL whose host is a valid hostname; "underscores are not allowed" (the
``StatusCallback`` description in Twilio's API reference,
https://www.twilio.com/docs/messaging/api/message-resource). One rule for the simulator,
which refuses such URLs as Twilio does, and the integration, which refuses to save them.
"""

from __future__ import annotations

from urllib.parse import urlsplit


def problem(url: str) -> str | None:
    """Why Twilio would refuse ``url`` as a webhook URL, or None when it is acceptable."""
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
    return None


def is_valid(url: str) -> bool:
    return problem(url) is None
