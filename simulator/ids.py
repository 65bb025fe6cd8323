"""Twilio-shaped identifiers: a two-letter prefix and 32 lowercase hex digits."""

from __future__ import annotations

import re
import secrets

from smsim.contracts.payloads import new_sid

__all__ = ["SID_PATTERN", "is_sid", "new_auth_token", "new_sid"]

SID_PATTERN = re.compile(r"^[A-Z]{2}[0-9a-fA-F]{32}$")


def new_auth_token() -> str:
    """A 32-hex-digit auth token, the shape Twilio issues."""
    return secrets.token_hex(16)


def is_sid(value: str, prefix: str) -> bool:
    """True when ``value`` is ``prefix`` followed by exactly 32 hex digits."""
    return value.startswith(prefix) and bool(SID_PATTERN.match(value))
