"""Click tracking: links in a campaign body become per-recipient short links.

Each recipient gets their own code for each link, so a click identifies who clicked
(unique clicks per recipient) without cookies. Codes are random, URL-safe and short
(10 characters, ~60 bits): guessing one is impractical, and a length-10 code keeps a
tracked link short enough not to push a message into another segment needlessly.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable

#: http(s) links as a handset would linkify them; trailing punctuation is not part of a link.
LINK_RE = re.compile(r"https?://[^\s<>\"']+[^\s<>\"'.,;:!?)\]}]")
CODE_ALPHABET = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 10


def new_code() -> str:
    """A fresh random short-link code."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def find_links(body: str) -> list[str]:
    """The http(s) links in a message body, in order."""
    return LINK_RE.findall(body)


def track_links(
    body: str, short_link: Callable[[str], str], make_code: Callable[[], str] = new_code
) -> tuple[str, list[tuple[str, str]]]:
    """Replace every link with a short link; return (new body, [(code, original url)])."""
    created: list[tuple[str, str]] = []

    def replace(match: re.Match[str]) -> str:
        code = make_code()
        created.append((code, match.group(0)))
        return short_link(code)

    return LINK_RE.sub(replace, body), created
