"""Twilio-shaped identifiers: a two-letter prefix and 32 lowercase hex digits."""

from __future__ import annotations

import re
import secrets

from smsim.contracts.payloads import new_sid

__all__ = ["SID_PATTERN", "is_sid", "new_auth_token", "new_sid"]

SID_PATTERN = re.compile(r"[A-Z]{2}[0-9a-fA-F]{32}")


def new_auth_token() -> str:
    """A 32-hex-digit auth token, the shape Twilio issues."""
    return secrets.token_hex(16)


def is_sid(value: object, prefix: str) -> bool:
    """True when ``value`` is ``prefix`` followed by exactly 32 hex digits: the one SID
    check of every route and parser (``AC``, ``SM``/``MM``, ``MG``, ``PN``, ``HX``...).
    A whole match: a ``$`` pattern would also take a SID with a trailing newline."""
    return (
        isinstance(value, str)
        and value.startswith(prefix)
        and SID_PATTERN.fullmatch(value) is not None
    )
