"""The message lifecycle as data (fidelity.md: Messages API; Lifecycle and callbacks).

``TRANSITIONS`` lists, for each status, the statuses it may move to. The engine refuses
anything else, so a bug cannot move a delivered message back to ``sent``. Which
transitions emit a status callback is data too: Twilio sends no callback for the initial
status (``queued`` for plain sends, ``accepted``/``scheduled`` for Messaging Services).
"""

from __future__ import annotations

from collections import deque

TRANSITIONS: dict[str, frozenset[str]] = {
    "accepted": frozenset({"queued", "failed", "canceled"}),
    "scheduled": frozenset({"queued", "failed", "canceled"}),
    "queued": frozenset({"sending", "failed", "canceled"}),
    "sending": frozenset({"sent", "failed"}),
    "sent": frozenset({"delivered", "undelivered"}),
    "receiving": frozenset({"received"}),
    "delivered": frozenset(),
    "undelivered": frozenset(),
    "failed": frozenset(),
    "canceled": frozenset(),
    "received": frozenset(),
}

FINAL_STATUSES = frozenset(s for s, nexts in TRANSITIONS.items() if not nexts)

# How far along its life an outbound message is: a later status ranks higher.
RANK = {
    status: rank
    for rank, status in enumerate(
        ("accepted", "scheduled", "queued", "sending", "sent", "delivered", "undelivered", "failed")
    )
}

# Statuses that a status callback reports. ``sending`` is a real intermediate status;
# whether Twilio calls back for it on SMS is uncertain (fidelity.md: Lifecycle and callbacks), so it
# is opt-in (``callback_on_sending``). ``queued`` is reported only when it is not the first status.
CALLBACK_STATUSES = frozenset(
    {"queued", "sending", "sent", "delivered", "undelivered", "failed", "canceled"}
)


def can_move(current: str, target: str) -> bool:
    """True when the lifecycle allows ``current`` -> ``target``."""
    return target in TRANSITIONS.get(current, frozenset())


def path_to(final_status: str) -> list[str]:
    """The statuses an outbound message passes through after ``queued``.

    ``failed`` means the message never left Twilio (no ``sent``); ``undelivered`` and
    ``delivered`` are carrier outcomes after ``sent``.
    """
    if final_status == "failed":
        return ["failed"]
    if final_status in {"delivered", "undelivered"}:
        return ["sending", "sent", final_status]
    if final_status == "sent":
        return ["sending", "sent"]
    raise ValueError(f"not an outbound final status: {final_status!r}")


def route(current: str, target: str) -> list[str] | None:
    """The fewest moves from ``current`` to ``target`` the lifecycle allows (the statuses
    after ``current``, ending with ``target``); ``[]`` when already there, None when
    ``target`` cannot be reached (e.g. ``sent`` -> ``failed``)."""
    came_from: dict[str, str] = {current: current}
    todo = deque([current])
    while todo:
        status = todo.popleft()
        if status == target:
            path: list[str] = []
            while status != current:
                path.append(status)
                status = came_from[status]
            return path[::-1]
        for nxt in sorted(TRANSITIONS.get(status, frozenset())):
            if nxt not in came_from:
                came_from[nxt] = status
                todo.append(nxt)
    return None
