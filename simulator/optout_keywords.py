"""STOP / START / HELP keyword handling (fidelity.md: Inbound and opt-out).

Twilio's default opt-out handling on long codes and toll-free numbers recognises
these keywords when they are the **whole** message: "STOP PLEASE" does nothing.
Matching is case-insensitive.

smsim's reading of "whole message": surrounding whitespace is ignored, and so is a
run of trailing ``.`` or ``!`` (phones add a full stop after a double space, and
"STOP!" is how people type). Any other character, or a second word, means the
message is ordinary text. Twilio does not document punctuation handling.
"""

from __future__ import annotations

from typing import Literal

__all__ = [
    "HELP_KEYWORDS",
    "HELP_REPLY",
    "START_KEYWORDS",
    "START_REPLY",
    "STOP_KEYWORDS",
    "STOP_REPLY",
    "Keyword",
    "classify",
]

Keyword = Literal["STOP", "START", "HELP"]

# Default English keywords of Twilio's (Advanced) Opt-Out, fidelity.md: Inbound and opt-out
STOP_KEYWORDS = frozenset(
    {"STOP", "UNSUBSCRIBE", "END", "QUIT", "STOPALL", "REVOKE", "OPTOUT", "CANCEL"}
)
START_KEYWORDS = frozenset({"START", "YES", "UNSTOP"})
HELP_KEYWORDS = frozenset({"HELP", "INFO"})

_GROUP: dict[str, Keyword] = {
    **dict.fromkeys(STOP_KEYWORDS, "STOP"),
    **dict.fromkeys(START_KEYWORDS, "START"),
    **dict.fromkeys(HELP_KEYWORDS, "HELP"),
}
_TRAILING = ".!"

# Default auto-replies. STOP and START are Twilio's texts as quoted in fidelity.md: Inbound and
# opt-out
STOP_REPLY = (
    "You have successfully been unsubscribed. You will not receive any more messages "
    "from this number. Reply START to resubscribe."
)
START_REPLY = (
    "You have successfully been re-subscribed to messages from this number. "
    "Reply HELP for help. Reply STOP to unsubscribe. Msg&Data Rates May Apply."
)
# Twilio's default HELP text is not confirmed by any source: this is smsim's choice,
# written in the style of the two replies above.
HELP_REPLY = "Reply STOP to unsubscribe. Msg&Data Rates May Apply."


def classify(body: str) -> Keyword | None:
    """Which opt-out keyword group ``body`` is, or None for ordinary text.

    ``" stop "``, ``"Stop."`` and ``"UNSUBSCRIBE!!"`` are ``"STOP"``; ``"STOP PLEASE"``,
    ``"STOP?"`` and ``"S T O P"`` are None.
    """
    word = body.strip().rstrip(_TRAILING)
    if not word.isascii() or len(word) > 11:  # UNSUBSCRIBE is the longest keyword
        return None
    return _GROUP.get(word.upper())
