"""How to get each catalogued error on demand: the numbers and requests that trigger it.

The inbox's Outcomes page shows the error catalogue with, for every code, what makes the
simulator produce it: one of Twilio's magic test numbers (refused synchronously), a
catalogue number ``+1500555 3XXX`` (accepted, then failed with ``30XXX``), or a request
shape. Every code that can arrive in a status callback can also be forced with a rule.
The numbers come from the tables the simulator itself uses, so the page cannot drift.
No Flask here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from smsim.contracts import catalogue
from smsim.contracts.wire import MAX_BODY_CHARS
from smsim.simulator.messages import MAGIC_FROM_ERRORS, MAGIC_TO_ERRORS
from smsim.simulator.outcomes import CATALOGUE_PREFIX, catalogue_outcome

TriggerKind = Literal["to", "from", "request"]

# Codes that a request's shape (not a number) produces; wording for people.
REQUEST_TRIGGERS: dict[int, str] = {
    11200: "a webhook URL that answers an error or does not answer",
    20003: "a wrong AccountSid or auth token",
    20404: "fetching a SID that does not exist",
    21602: "an empty Body",
    21603: "neither From nor MessagingServiceSid",
    21604: "no To",
    21608: "a trial account sending to a number it has not verified",
    21610: "sending to a handset that texted STOP to the sender",
    21617: f"a Body over {MAX_BODY_CHARS:,} characters",
    21619: "no Body, MediaUrl or ContentSid",
    21624: "a ValidityPeriod outside 1-36,000 seconds",
    21701: "a MessagingServiceSid that does not exist",
    21703: "a Messaging Service none of whose numbers can reach the recipient",
    21704: "a Messaging Service with no numbers",
    30002: "suspending the account while messages are queued",
    30009: 'an inbound message posted with "lost_segment": true',
    35111: "ScheduleType=fixed without SendAt",
    35114: "a SendAt less than 15 minutes or more than 7 days ahead",
    35118: "scheduling without a Messaging Service",
}


@dataclass(frozen=True)
class Trigger:
    """One way to produce a code: a ``To`` or ``From`` number, or a request shape."""

    kind: TriggerKind
    value: str


@dataclass(frozen=True)
class OutcomeRow:
    """One catalogue code as the Outcomes page lists it."""

    code: int
    clevertap_description: str | None
    twilio_title: str
    kind: str  # sync, async, both, logged
    terminal_status: str | None
    http_status: int | None
    more_info: str
    triggers: tuple[Trigger, ...]

    @property
    def is_sync(self) -> bool:
        """True when Twilio refuses the API call with this code."""
        return self.kind in ("sync", "both")

    @property
    def ruleable(self) -> bool:
        """True when a rule's ``error_code`` can end a message with this code."""
        return self.kind in ("async", "both")


def catalogue_number(code: int) -> str | None:
    """``30005`` -> ``+15005553005``, when that number makes the simulator fail with it."""
    if not 30000 <= code <= 30999:
        return None
    number = f"{CATALOGUE_PREFIX}{code - 30000:03d}"
    outcome = catalogue_outcome(number)
    return number if outcome is not None and outcome.error_code == code else None


def triggers_for(code: int) -> tuple[Trigger, ...]:
    """Every way smsim knows to produce ``code``, numbers first."""
    found = [Trigger("to", n) for n, c in sorted(MAGIC_TO_ERRORS.items()) if c == code]
    found += [Trigger("from", n) for n, c in sorted(MAGIC_FROM_ERRORS.items()) if c == code]
    number = catalogue_number(code)
    if number is not None:
        found.append(Trigger("to", number))
    if code in REQUEST_TRIGGERS:
        found.append(Trigger("request", REQUEST_TRIGGERS[code]))
    return tuple(found)


def outcome_rows() -> list[OutcomeRow]:
    """The whole catalogue, ordered by code, with its triggers."""
    return [
        OutcomeRow(
            code=entry.code,
            clevertap_description=entry.seed_description,
            twilio_title=entry.twilio_title,
            kind=entry.kind,
            terminal_status=entry.terminal_status,
            http_status=entry.http_status,
            more_info=entry.more_info,
            triggers=triggers_for(entry.code),
        )
        for entry in catalogue.all_entries()
    ]
