"""Which outcome a message gets; the first that applies wins (README, "Getting failures on
demand"):

1. Twilio's magic test numbers (synchronous; handled at create time in ``messages``);
2. the catalogue numbers ``+1500555 3XXX`` -> asynchronous error ``30XXX``;
3. rules (``/_smsim/rules`` or config);
4. the carrier profile: ``all-delivered`` or ``realistic`` (a seeded mix).
"""

from __future__ import annotations

import hashlib
import random

from smsim.contracts import catalogue
from smsim.simulator.models import Message
from smsim.simulator.rules import Outcome, RuleBook

CATALOGUE_PREFIX = "+15005553"

# The "realistic" profile: roughly what a healthy A2P campaign sees. Weights in percent.
REALISTIC_MIX: tuple[tuple[int | None, float], ...] = (
    (None, 90.0),
    (30003, 2.5),
    (30005, 2.0),
    (30006, 1.5),
    (30007, 1.5),
    (30008, 1.0),
    (30004, 1.0),
    (30001, 0.5),
)


def catalogue_outcome(to: str) -> Outcome | None:
    """``+15005553005`` -> undelivered 30005; ``+15005553001`` -> failed 30001."""
    if not (to.startswith(CATALOGUE_PREFIX) and len(to) == 12 and to[-3:].isdigit()):
        return None
    code = 30000 + int(to[-3:])
    entry = catalogue.get(code)
    if entry is None or entry.terminal_status is None or entry.kind not in {"async", "both"}:
        return None
    return Outcome(entry.terminal_status, code, None, "catalogue number")


def message_rng(seed: int, to: str, ordinal: int) -> random.Random:
    """A generator that depends only on the seed, the recipient and which message to that
    recipient this is (1st, 2nd, ...), so a run with the same seed gets the same outcomes
    whatever order concurrent sends land in, whatever sender a service picks, and
    whatever varies in the body (tracked links carry random codes)."""
    digest = hashlib.blake2b(f"{seed}\x00{to}\x00{ordinal}".encode(), digest_size=8).digest()
    return random.Random(int.from_bytes(digest, "big"))


def decide(message: Message, rules: RuleBook, profile: str, seed: int, ordinal: int = 1) -> Outcome:
    """The outcome for an outbound ``message``, the ``ordinal``-th to its recipient."""
    fixed = catalogue_outcome(message.to_number)
    if fixed is not None:
        return fixed
    rng = message_rng(seed, message.to_number, ordinal)
    ruled = rules.match(message, rng)
    if ruled is not None:
        return ruled
    if profile == "realistic":
        return _realistic(rng)
    return Outcome("delivered")


def _realistic(rng: random.Random) -> Outcome:
    pick = rng.uniform(0, sum(w for _, w in REALISTIC_MIX))
    chosen: int | None = None
    for code, weight in REALISTIC_MIX:
        chosen = code
        pick -= weight
        if pick <= 0:
            break
    if chosen is None:
        return Outcome("delivered", source="realistic profile")
    entry = catalogue.require(chosen)
    return Outcome(entry.terminal_status or "undelivered", chosen, None, "realistic profile")
