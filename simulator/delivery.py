"""The delivery engine: a stored message moves through its lifecycle on the clock and
every status change a caller can observe is reported by a signed status callback.

``start`` plans the whole path at creation (outcome, departure time under the sender's
throughput, step delays) and stores the first step as a job; each step, when due, moves
the message (checked against ``lifecycle.TRANSITIONS``), queues its callback as a webhook
job, and stores the next step. Everything is a row, so a restart resumes where it was.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
from collections import OrderedDict
from typing import Any

from smsim.contracts import catalogue, payloads
from smsim.simulator import lifecycle, outcomes, pricing, throughput
from smsim.simulator.accounts import Accounts
from smsim.simulator.clock import Clock
from smsim.simulator.config import SimulatorConfig
from smsim.simulator.dispatch import WEBHOOK
from smsim.simulator.errors import TwilioError, twilio_error
from smsim.simulator.messages import DEFAULT_VALIDITY_PERIOD, CreateRequest, MessageRows
from smsim.simulator.models import Account, Message
from smsim.simulator.optouts import OptOuts
from smsim.simulator.rules import Outcome, RuleBook
from smsim.simulator.scheduler import Job, Scheduler
from smsim.simulator.services import Services
from smsim.simulator.store_api import Store
from smsim.simulator.webhooks import Webhook

log = logging.getLogger("smsim.delivery")

STEP = "step"
DELAY_ORDER = ("sending", "sent", "delivered")  # the steps a delay sets, in lifecycle order


class Delivery:
    """Plans, runs and reports the lifecycle of outbound messages."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        config: SimulatorConfig,
        accounts: Accounts,
        rules: RuleBook,
        scheduler: Scheduler,
        services: Services,
        optouts: OptOuts,
        rows: MessageRows,
    ) -> None:
        self.store = store  # for transactions; the rows belong to ``messages``
        self.rows = rows
        self.clock = clock
        self.config = config
        self.accounts = accounts
        self.rules = rules
        self.scheduler = scheduler
        self.services = services
        self.optouts = optouts
        self.prices = (
            pricing.PriceTable.from_mapping(config.price_table)
            if config.price_table
            else pricing.DEFAULT
        )
        # (account, recipient) -> (id, messages to them with a smaller id); see _ordinal.
        self._earlier: OrderedDict[tuple[str, str], tuple[int, int]] = OrderedDict()
        self._earlier_generation = store.generation
        scheduler.inline[STEP] = self._run_step

    # -- DeliveryPlanner ----------------------------------------------------------------

    def admit(
        self, account: Account, message: Message, request: CreateRequest
    ) -> throughput.Reservation | None:
        """Refuse a send to a handset that opted out of this sender (21610, fidelity.md: Inbound and
        opt-out) or whose sender's queue is full (21611). Returns the message's place in
        its sender's queue (None without pacing), which :meth:`start` then takes."""
        scopes = [message.from_number or ""]
        if message.from_number:
            # A STOP to a number in a Messaging Service blocks the whole service.
            scopes.append(self.services.service_sid_of_number(message.from_number) or "")
        scopes.append(message.messaging_service_sid or "")
        unique = list(dict.fromkeys(s for s in scopes if s))
        if self.optouts.blocked(account.sid, message.to_number, unique):
            raise twilio_error(21610, to=message.to_number)
        if message.status != "queued":
            return None
        reservation = self._reserve_sender(message, self.clock.now())
        if reservation is None:
            return None
        slot, full = reservation
        if full:
            # Refused here, before the message is stored: creates share a transaction
            # (Messages.create), and a refusal after the insert would undo the batch.
            raise twilio_error(21611)
        return slot

    def start(self, message: Message, request: CreateRequest, admission: object) -> None:
        """Plan the message's path and store its first step (in the create transaction),
        from the queue place :meth:`admit` found (the queue's row is still locked); with
        no ``admission`` (an auto-reply) the queue is looked at here, 21611 when full."""
        now = self.clock.now()
        if message.status in {"accepted", "scheduled"}:
            due = now if message.status == "accepted" else float(message.send_at or now)
            self.scheduler.schedule(due, STEP, message.sid, {"status": "queued"})
            return
        reserved = admission if isinstance(admission, throughput.Reservation) else None
        self._plan_from_queue(message, now, request.max_price, True, reserved)

    def cancel(self, message: Message) -> None:
        """``Status=canceled`` on a message not yet sent: its callback says ``canceled``."""
        with self.store.transaction():
            self.scheduler.cancel(message.sid, STEP)
            self._move(message, "canceled", {})

    def fail(self, message: Message, code: int) -> Message | None:
        """Fail a message that has not left Twilio (no ``sent`` yet) with ``code``,
        dropping its planned steps; its ``failed`` callback is queued as usual."""
        if not lifecycle.can_move(message.status, "failed"):
            return None
        entry = catalogue.get(code)
        with self.store.transaction():
            self.scheduler.cancel(message.sid, STEP)
            return self._move(
                message,
                "failed",
                {"error_code": code, "error_message": entry.twilio_title if entry else None},
            )

    # -- planning -------------------------------------------------------------------------

    def _plan_from_queue(
        self,
        message: Message,
        now: float,
        max_price: str | None,
        raise_when_full: bool,
        reserved: throughput.Reservation | None = None,
    ) -> None:
        """From ``queued``: departure under the sender's rate (``reserved`` when a create's
        admission already placed it), then the outcome's path."""
        speed = self.config.speed
        depart = now
        reservation = (
            (reserved, False) if reserved is not None else self._reserve_sender(message, now)
        )
        if reservation is not None and message.from_number:
            slot, full = reservation
            if full:
                if raise_when_full:
                    raise twilio_error(21611)
                self._schedule_step(message, now, "failed", error_code=30001)
                return
            self.rows.set_sender_busy_until(message.from_number, slot.busy_until)
            depart = slot.send_at
        validity = float(message.validity_period or DEFAULT_VALIDITY_PERIOD) / speed
        if depart - now > validity:
            # Still queued when its ValidityPeriod ran out: Twilio fails it with 30036.
            self._schedule_step(message, now + validity, "failed", error_code=30036)
            return
        ordinal = self._ordinal(message)
        outcome = self._outcome(message, max_price, ordinal)
        rng = outcomes.message_rng(self.config.seed, message.to_number, ordinal)
        offsets = self._offsets(outcome, rng)
        steps: list[dict[str, Any]] = []
        for status in lifecycle.path_to(outcome.status):  # in lifecycle order
            key = "sent" if status == "failed" else status
            key = key if key in ("sending", "sent") else "delivered"
            code = outcome.error_code if status in {"failed", "undelivered"} else None
            steps.append({"status": status, "at": depart + offsets[key], "error_code": code})
        first, rest = steps[0], steps[1:]
        self.scheduler.schedule(
            first["at"], STEP, message.sid, {**first, "rest": rest, "source": outcome.source}
        )

    def _reserve_sender(
        self, message: Message, now: float
    ) -> tuple[throughput.Reservation, bool] | None:
        """Where ``message`` would go in its sender's queue, and whether that queue is full
        (fidelity.md: Throughput, queues, validity); None when pacing is off or there is no
        sender yet. The queue's row stays locked until the transaction ends."""
        if not (self.config.enforce_throughput and message.from_number):
            return None
        speed = self.config.speed
        segments = int(message.segments or message.num_segments or 1)
        mps = throughput.mps_for(message.from_number, message.to_number) * speed
        busy_until = self.rows.hold_sender_queue(message.from_number)
        slot = throughput.reserve(busy_until or now, now, segments, mps)
        return slot, slot.backlog_segments > throughput.queue_capacity_segments(mps / speed)

    def _schedule_step(self, message: Message, at: float, status: str, error_code: int) -> None:
        self.scheduler.schedule(
            at, STEP, message.sid, {"status": status, "error_code": error_code, "rest": []}
        )

    def _ordinal(self, message: Message) -> int:
        """Which message to its recipient (in its account) this is: 1 for the first.

        The count of earlier messages is kept per recipient (the last 4,096 recipients)
        so that only the rows since the last one planned are counted: counting them all
        grew with the recipient's history (15 ms per create after 100,000 messages to one
        number, a load test's usual shape). Ids only grow, so the kept count stays exact
        until rows disappear, and then the store's generation drops every kept count.
        """
        with self.store.transaction():  # one consistent view, and the store's lock
            row_id = self.rows.id_of(message.sid)
            if row_id is None:
                return 1
            if self._earlier_generation != self.store.generation:
                self._earlier.clear()
                self._earlier_generation = self.store.generation
            key = (message.account_sid, message.to_number)
            since, before = self._earlier.get(key, (0, 0))
            if since > row_id:
                since, before = 0, 0
            before += self.rows.count_to(message.account_sid, message.to_number, since, row_id)
            self._earlier[key] = (row_id, before)
            self._earlier.move_to_end(key)
            if len(self._earlier) > 4096:
                self._earlier.popitem(last=False)
            return before + 1  # this message itself

    def _outcome(self, message: Message, max_price: str | None, ordinal: int) -> Outcome:
        if self.config.legacy_max_price and max_price:
            price = abs(float(self.prices.price_for(message.to_number, 1)))
            segments = int(message.segments or 1)
            try:
                limit = float(max_price)
            except ValueError:
                limit = float("inf")
            if price * segments > limit:
                return Outcome("failed", 30010, None, "legacy max price")
        return outcomes.decide(
            message, self.rules, self.config.carrier_profile, self.config.seed, ordinal
        )

    def _offsets(self, outcome: Outcome, rng: random.Random) -> dict[str, float]:
        """Seconds after departure of each step (docs/control-api.md, "Delays").

        The outcome's delays (a rule's) are merged over the configured ones, each is
        jittered, then each offset is made at least the one before it in lifecycle order:
        a step never runs before the step it follows, so ``{"sent": 5}`` alone (with the
        default ``delivered`` of 2 s) delivers at 5 s rather than leaving the message in
        ``sent`` with a ``delivered`` step that can no longer apply.
        """
        delays = self.config.delays
        merged = {"sending": delays.sending, "sent": delays.sent, "delivered": delays.delivered}
        for step, value in (outcome.delays or {}).items():
            if step in merged:
                merged[step] = float(value)
        offsets: dict[str, float] = {}
        floor = 0.0
        for step in DELAY_ORDER:
            value = merged[step]
            if delays.jitter:
                value *= 1 + rng.uniform(-delays.jitter, delays.jitter)
            floor = max(floor, value)
            offsets[step] = floor / self.config.speed
        return offsets

    # -- running steps (inline, inside the scheduler's batch transaction) -----------------

    def _run_step(self, job: Job) -> None:
        message = self.rows.find(job.ref)
        if message is None:
            return  # deleted meanwhile
        target = job.payload["status"]
        if target == "queued" and message.status in {"accepted", "scheduled"}:
            self._leave_service_queue(message)
            return
        if not lifecycle.can_move(message.status, target):
            self._finish_out_of_step(message, job)
            return
        changes: dict[str, Any] = {}
        code = job.payload.get("error_code")
        if code is not None:
            changes = self._error_changes(int(code))
        if target == "sent":
            changes.update(self._sent_changes(message))
        moved = self._move(message, target, changes)
        rest = job.payload.get("rest") or []
        if rest and moved:
            nxt, after = rest[0], rest[1:]
            self.scheduler.hand_over(job, nxt["at"], {**nxt, "rest": after})

    @staticmethod
    def _error_changes(code: int) -> dict[str, Any]:
        entry = catalogue.get(code)
        return {
            "error_code": code,
            "error_message": entry.twilio_title if entry else "Unknown error",
        }

    def _sent_changes(self, message: Message) -> dict[str, Any]:
        # A price fixed at creation wins (Twilio's free opt-out auto-replies, fidelity.md:
        # Inbound and opt-out).
        price = message.fixed_price or self.prices.price_for(
            message.to_number, message.num_segments
        )
        return {"date_sent": self.clock.now(), "price": price}

    def _finish_out_of_step(self, message: Message, job: Job) -> None:
        """A step that cannot apply to the message as it is now.

        A canceled or final message has left its plan: nothing more happens. Anything
        else (a plan stored by an older smsim, whose steps were sorted by time with
        ``delivered`` before ``sent``) is driven at once through the statuses that lead
        to the plan's outcome, each with its callback, rather than the steps after this
        one being dropped and the message staying where it is for ever.
        """
        if message.status in lifecycle.FINAL_STATUSES:
            return
        if message.status in {"accepted", "scheduled"}:
            self._leave_service_queue(message)
            return
        plan = [job.payload, *(job.payload.get("rest") or [])]
        outcome = max(plan, key=lambda step: lifecycle.RANK.get(step["status"], -1))
        code = outcome.get("error_code")
        route = lifecycle.route(message.status, outcome["status"])
        if route is None:  # e.g. already sent, a plan to fail: the carrier's outcome instead
            route = lifecycle.route(
                message.status, "undelivered" if code is not None else "delivered"
            )
        log.warning(
            "message %s is %s, its step %s no longer applies; moving it through %s",
            message.sid,
            message.status,
            job.payload["status"],
            route,
        )
        for status in route or []:
            changes: dict[str, Any] = {}
            if status in {"failed", "undelivered"} and code is not None:
                changes = self._error_changes(int(code))
            if status == "sent":
                changes.update(self._sent_changes(message))
            self._move(message, status, changes)

    def _leave_service_queue(self, message: Message) -> None:
        """A Messaging Service send gets its sender, moves to ``queued`` (with a
        callback, fidelity.md: Lifecycle and callbacks), then follows the plain path."""
        try:
            sender = self.services.assign_sender(message)
        except TwilioError as exc:
            self._move(message, "failed", {"error_code": exc.code, "error_message": exc.message})
            return
        segments = int(message.segments or 1)
        moved = self._move(message, "queued", {"from_number": sender, "num_segments": segments})
        if moved is not None:
            self._plan_from_queue(moved, self.clock.now(), None, raise_when_full=False)

    def _move(self, message: Message, status: str, changes: dict[str, Any]) -> Message | None:
        """Apply one lifecycle move and queue its callback. Returns the moved message."""
        if not lifecycle.can_move(message.status, status):
            return None
        now = self.clock.now()
        # Each move is also appended to the message's status history (the inbox's
        # timeline reads it) in the same statement: no extra write is paid.
        self.rows.move(
            message.sid,
            {"status": status, "date_updated": now, **changes},
            (message.status, status, now),
        )
        message.status_history.append([message.status, status, now])
        for key, value in changes.items():
            setattr(message, key, value)
        previous = message.status
        message.status = status
        message.date_updated = now
        self._queue_callback(message, previous)
        return message

    # -- callbacks --------------------------------------------------------------------------

    def callback_url(self, message: Message) -> str | None:
        """Message StatusCallback > Messaging Service's > server default (fidelity.md: Lifecycle and
        callbacks)."""
        if message.status_callback:
            return message.status_callback
        if message.messaging_service_sid:
            url = self.services.service_status_callback(message.messaging_service_sid)
            if url:
                return url
        return self.config.status_callback

    def _queue_callback(self, message: Message, previous: str) -> None:
        status = message.status
        if status not in lifecycle.CALLBACK_STATUSES:
            return
        if status == "sending" and not self.config.callback_on_sending:
            return
        if status == "queued" and previous not in {"accepted", "scheduled"}:
            return
        url = self.callback_url(message)
        if not url:
            return
        webhook = Webhook(
            kind="status",
            url=url,
            params=status_params(message, self.clock.now()),
            account_sid=message.account_sid,
            message_sid=message.sid,
            status=status,
        )
        self.scheduler.schedule(self.clock.now(), WEBHOOK, message.sid, webhook.to_payload())

    def queue_webhook(self, webhook: Webhook, at: float | None = None) -> None:
        """Queue any webhook (inbound ones come from ``inbound``)."""
        self.scheduler.schedule(
            self.clock.now() if at is None else at,
            WEBHOOK,
            webhook.message_sid or "",
            webhook.to_payload(),
        )


def status_params(message: Message, now: float) -> list[tuple[str, str]]:
    """A status callback's form fields (built by ``contracts.payloads``, the one source of
    Twilio's callback shape)."""
    failing = message.status in payloads.FAILURE_STATUSES
    form = payloads.status_callback(
        status=message.status,
        account_sid=message.account_sid,
        message_sid=message.sid,
        from_=message.from_number or None,
        to=message.to_number,
        messaging_service_sid=message.messaging_service_sid,
        error_code=message.error_code if failing else None,
        raw_dlr_date=payloads.raw_dlr_done_date(dt.datetime.fromtimestamp(now, dt.UTC)),
    )
    return list(form.items())
