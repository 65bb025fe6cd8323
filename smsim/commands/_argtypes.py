"""Argument types that turn a wrong value into a usage error while the line is parsed.

Used as ``type=`` of an argparse argument: a mistake (no URL scheme, a file that is not
there, a speed of 0) then reaches :class:`~smsim.commands._parser.SmsimParser` and is
said in one line naming the flag, exit 2, before the command does anything, instead of
failing later with a payload already printed or an ``[Errno 2]``.
"""

from __future__ import annotations

import argparse
import math
import os
from pathlib import Path
from urllib.parse import urlsplit


def http_url(value: str) -> str:
    """An absolute ``http://`` or ``https://`` URL with a host and a valid port."""
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        example = f"http://{value}" if "://" not in value else "http://127.0.0.1:8911/sms/twilio"
        raise argparse.ArgumentTypeError(
            f"{value!r} is not an http:// or https:// URL with a host (e.g. {example})"
        )
    try:
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r}: the port must be a number 0-65535") from None
    return value


def readable_file(value: str) -> Path:
    """A file that exists and can be read now (it is read later, after other work)."""
    path = Path(value)
    if not path.exists():
        raise argparse.ArgumentTypeError(f"{value}: no such file")
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{value}: is a folder, not a file")
    if not os.access(path, os.R_OK):
        raise argparse.ArgumentTypeError(f"{value}: cannot be read (permission denied)")
    return path


def positive_number(value: str) -> float:
    """A finite number above 0 (a speed factor, a timeout)."""
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number") from None
    if not number > 0 or math.isinf(number):
        raise argparse.ArgumentTypeError(f"{value!r}: must be a number above 0")
    return number
