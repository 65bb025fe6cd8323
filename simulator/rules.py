"""Outcome rules: "messages matching X end with status Y and error Z".

Set through ``/_smsim/rules`` or ``rules:`` in ``--config``. A rule is::

    {"match": {"to": "+14155550100", "to_prefix": "+44", "from": "+1...",
               "body_contains": "promo"},
     "outcome": {"status": "undelivered", "error_code": 30003,
                 "delays": {"sent": 1, "delivered": 5}},
     "probability": 0.5,   # optional, 0-1; drawn from the seeded generator
     "count": 3}           # optional: applies to this many messages, then expires

Every ``match`` key is optional; all given keys must match. The first matching rule wins
(oldest first). ``error_code`` alone implies the catalogue's terminal status.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from smsim.contracts import catalogue
from smsim.contracts.fields import field_errors
from smsim.simulator import bounds
from smsim.simulator.clock import Clock
from smsim.simulator.errors import TwilioError
from smsim.simulator.models import Message
from smsim.simulator.store import dumps, loads
from smsim.simulator.store_api import Store

OUTCOME_STATUSES = ("delivered", "undelivered", "failed", "sent")
DELAY_KEYS = ("sending", "sent", "delivered")


class RuleError(TwilioError):
    """A malformed rule; the message names every bad field ("; " between them) and the
    envelope lists them one by one under ``errors`` (``[{"field", "message"}]``), so a
    form can mark each field at once."""

    def __init__(self, message: str, errors: Sequence[tuple[str, str]] = ()) -> None:
        super().__init__(20001, 400, message)
        self.errors = list(errors)

    @classmethod
    def of(cls, problems: Sequence[tuple[str, str]]) -> RuleError:
        """One error naming each ``(field, what is wrong)`` of ``problems``."""
        text = "; ".join(f"{field}: {message}" if field else message for field, message in problems)
        return cls(text, problems)

    def envelope(self) -> dict[str, object]:
        body = super().envelope()
        if self.errors:
            body["errors"] = [{"field": f, "message": m} for f, m in self.errors]
        return body


@dataclass(frozen=True)
class Outcome:
    """How one message ends, and (optionally) how fast it gets there."""

    status: str
    error_code: int | None = None
    delays: Mapping[str, float] | None = None
    source: str = "profile"


def validate_rule(spec: Any, where: str = "rule") -> dict[str, Any]:
    """Check a rule spec against ``contracts/schemas/rule.schema.json`` and return it
    normalised (raises :class:`RuleError` naming every bad field). What a schema cannot
    say well stays here: the status an error code implies, and which statuses need one."""
    non_finite = bounds.first_non_finite(spec, where)
    if non_finite is not None:
        # JSON Schema's bounds cannot refuse NaN (every comparison with it is false).
        raise RuleError(f"{non_finite}: {bounds.NON_FINITE}")
    problems = [(e.path, e.message) for e in field_errors("rule", spec, where)]
    outcome = spec.get("outcome") if isinstance(spec, dict) else None
    settled = (f"{where}.outcome", f"{where}.outcome.error_code", f"{where}.outcome.status")
    if isinstance(outcome, dict) and not any(field in settled for field, _ in problems):
        problems += _status_problems(outcome, where)
    if problems:
        raise RuleError.of(problems)
    assert isinstance(spec, dict) and isinstance(outcome, dict)  # the schema said so
    code = None if outcome.get("error_code") is None else int(outcome["error_code"])
    status = outcome.get("status") or _implied_status(code)
    count = spec.get("count")
    delays = outcome.get("delays") or {}
    return {
        "match": dict(spec.get("match") or {}),
        "outcome": {
            "status": status,
            "error_code": code,
            "delays": {step: float(delays[step]) for step in DELAY_KEYS if step in delays},
        },
        "probability": float(spec.get("probability", 1.0)),
        "count": None if count is None else int(count),  # 3.0 in JSON is the integer 3
    }


def _status_problems(outcome: Mapping[str, Any], where: str) -> list[tuple[str, str]]:
    """Which statuses need an error code and which refuse one."""
    code = None if outcome.get("error_code") is None else int(outcome["error_code"])
    status = outcome.get("status") or _implied_status(code)
    field = f"{where}.outcome.error_code"
    if status in {"failed", "undelivered"} and code is None:
        return [(field, f"required when status is {status}")]
    if status in {"delivered", "sent"} and code is not None:
        return [(field, f"not allowed when status is {status}")]
    return []


def _implied_status(code: int | None) -> str:
    """No status given: the catalogue's terminal status for the code, else delivered."""
    if code is None:
        return "delivered"
    entry = catalogue.get(code)
    return entry.terminal_status if entry and entry.terminal_status else "undelivered"


class RuleBook:
    """Rules persisted in the store, matched oldest first."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    def add(self, spec: Any, origin: str = "api") -> dict[str, Any]:
        """Add a rule; ``origin`` is ``"api"`` or ``"config"`` (a --config file's)."""
        rule = validate_rule(spec)
        rule_id = self.store.scalar(  # finished under the store's lock (Scheduler.schedule)
            "INSERT INTO rules (spec, remaining, date_created, origin) VALUES (?, ?, ?, ?)"
            " RETURNING id",
            (dumps(rule), rule["count"], self.clock.now(), origin),
        )
        return {"id": int(rule_id), **rule, "remaining": rule["count"]}

    def add_all(self, specs: Sequence[Any]) -> list[dict[str, Any]]:
        """Add several rules (``{"rules": [...]}``): all of them, or none when one is bad
        (the :class:`RuleError` names it, ``rules[1].count: ...``)."""
        wanted = [validate_rule(spec, f"rules[{i}]") for i, spec in enumerate(specs)]
        with self.store.transaction():
            return [self.add(rule) for rule in wanted]

    def replace_config_rules(self, specs: Sequence[Any]) -> None:
        """Make the config file's rules exactly ``specs``; rules added through the API stay.

        Unchanged rules are left as they are, so a restart with the same file keeps their
        place in the matching order and what remains of their ``count``.
        """
        wanted = [validate_rule(spec, f"rules[{i}]") for i, spec in enumerate(specs)]
        with self.store.transaction():
            rows = self.store.all("SELECT spec FROM rules WHERE origin = 'config' ORDER BY id")
            if [loads(r["spec"]) for r in rows] == wanted:
                return
            self.store.execute("DELETE FROM rules WHERE origin = 'config'")
            for rule in wanted:
                self.add(rule, origin="config")

    def all(self) -> list[dict[str, Any]]:
        rows = self.store.all("SELECT id, spec, remaining FROM rules ORDER BY id")
        return [{"id": r["id"], **loads(r["spec"]), "remaining": r["remaining"]} for r in rows]

    def delete(self, rule_id: int | None = None) -> int:
        """Delete one rule, or all of them; returns how many went."""
        if rule_id is None:
            return self.store.execute("DELETE FROM rules").rowcount
        return self.store.execute("DELETE FROM rules WHERE id = ?", (rule_id,)).rowcount

    def match(self, message: Message, rng: random.Random) -> Outcome | None:
        """The outcome of the first rule that matches (and consumes one use of it)."""
        with self.store.transaction():
            for rule in self.all():
                if rule["remaining"] is not None and rule["remaining"] <= 0:
                    continue
                if not _matches(rule["match"], message):
                    continue
                if rule["probability"] < 1 and rng.random() >= rule["probability"]:
                    continue
                if rule["remaining"] is not None and not self._spend_one(rule["id"]):
                    continue  # another process spent its last use since we read it
                out = rule["outcome"]
                return Outcome(
                    out["status"], out["error_code"], out["delays"] or None, f"rule {rule['id']}"
                )
        return None

    def _spend_one(self, rule_id: int) -> bool:
        """Spend one use of a counted rule; False when none is left. One conditional row
        update, so two processes (or instances on one PostgreSQL) never both spend the
        last use: the second one's update matches no row."""
        spent = self.store.one(
            "UPDATE rules SET remaining = remaining - 1 WHERE id = ? AND remaining > 0"
            " RETURNING remaining",
            (rule_id,),
        )
        return spent is not None


def _matches(match: Mapping[str, str], message: Message) -> bool:
    to = message.to_number
    if "to" in match and match["to"] != to:
        return False
    if "to_prefix" in match and not to.startswith(match["to_prefix"]):
        return False
    if "from" in match and match["from"] != (message.from_number or ""):
        return False
    return not ("body_contains" in match and match["body_contains"] not in message.body)
