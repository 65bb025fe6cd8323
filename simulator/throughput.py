"""Per-sender sending rates and queue capacity (fidelity.md: Throughput, queues, validity).

Twilio queues outbound messages per sender and drains each queue at the sender's
rate in segments per second (MPS). A queue holds :data:`QUEUE_HOURS` hours of
segments at that rate; creating a message that would overflow it fails with 21611
(or later with 30001 through a Messaging Service).

Everything here is pure: the engine keeps ``busy_until`` per sender and calls
:func:`reserve` for each new message.
"""

from __future__ import annotations

import math
from typing import NamedTuple

from .phone import country_of, normalize, sender_kind

__all__ = [
    "QUEUE_HOURS",
    "Reservation",
    "mps_for",
    "queue_capacity_segments",
    "reserve",
]

QUEUE_HOURS = 10
_QUEUE_SECONDS = QUEUE_HOURS * 3600
# Tolerance for float noise when turning seconds of backlog back into segments.
_EPSILON = 1e-6

_NANP_LOCAL = frozenset({"US", "CA"})
_MPS_LONG_CODE_US_CA = 1.0
_MPS_TOLL_FREE_US_CA = 3.0
_MPS_INTERNATIONAL = 10.0
_MPS_SHORT_CODE = 100.0
_MPS_ALPHANUMERIC = 10.0


def mps_for(sender: str, to: str) -> float:
    """Default segments per second for ``sender`` sending to ``to`` (fidelity.md: Throughput,
    queues, validity table).

    * short code: 100, whatever the destination;
    * alphanumeric sender ID: 10;
    * long code to US/CA: 1; toll-free to US/CA: 3;
    * any long code or toll-free number to another country: 10.

    ``to`` may be E.164 or anything :func:`~smsim.simulator.phone.normalize` accepts;
    a destination whose country is unknown counts as international. Raises
    ValueError for a sender that is no valid From (the engine has refused it with
    21212 long before).
    """
    kind = sender_kind(sender)
    if kind is None:
        raise ValueError(f"not a valid sender: {sender!r}")
    if kind == "short_code":
        return _MPS_SHORT_CODE
    if kind == "alphanumeric":
        return _MPS_ALPHANUMERIC
    to_e164 = to if to.startswith("+") else normalize(to)
    if to_e164 is not None and country_of(to_e164) in _NANP_LOCAL:
        return _MPS_TOLL_FREE_US_CA if kind == "toll_free" else _MPS_LONG_CODE_US_CA
    return _MPS_INTERNATIONAL


def queue_capacity_segments(mps: float) -> int:
    """Segments one sender's queue holds: ``QUEUE_HOURS`` of sending at ``mps``.

    36,000 for a 1-MPS US long code ("Each queue can hold up to 10 hours' worth of
    message segments based on the sending rate", fidelity.md: Throughput, queues, validity).
    """
    if not mps > 0:
        raise ValueError(f"mps must be positive, got {mps!r}")
    return int(mps * _QUEUE_SECONDS + _EPSILON)


class Reservation(NamedTuple):
    """Where a new message lands in its sender's queue.

    ``send_at``: when its first segment leaves (the sender is free then).
    ``busy_until``: when its last segment has left; store it as the sender's new
    ``busy_until`` if, and only if, the message is accepted.
    ``backlog_segments``: segments queued at ``now`` with this message included;
    compare it with :func:`queue_capacity_segments` (or use :meth:`overflows`).
    """

    send_at: float
    busy_until: float
    backlog_segments: int

    def overflows(self, mps: float) -> bool:
        """True when accepting the message would exceed the queue (Twilio: 21611)."""
        return self.backlog_segments > queue_capacity_segments(mps)


def reserve(busy_until: float, now: float, segments: int, mps: float) -> Reservation:
    """Place a ``segments``-segment message in a sender queue drained at ``mps``.

    The message starts when the sender is free (``max(now, busy_until)``) and holds
    the sender for ``segments / mps`` seconds: a 3-segment message on a 1-MPS long
    code takes 3 s (fidelity.md: Throughput, queues, validity). With 36,000 one-segment messages
    created at once on a 1-MPS sender the backlog reaches exactly the capacity, so they are all
    accepted and the next one overflows.
    """
    if not mps > 0:
        raise ValueError(f"mps must be positive, got {mps!r}")
    if segments < 0:
        raise ValueError(f"segments must be >= 0, got {segments!r}")
    start = max(now, busy_until)
    done = start + segments / mps
    backlog = max(0, math.ceil((done - now) * mps - _EPSILON))
    return Reservation(start, done, backlog)
