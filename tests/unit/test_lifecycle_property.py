"""Property: no combination of rules, config delays, queues, validity periods, scheduling,
cancels, suspensions and restarts leaves a message without its final status or without
the status callbacks it owes.

A hypothesis state machine drives one engine on a database file with the virtual clock:
it adds and deletes rules (random match, status, error code, partial delays in any
order, count, probability), creates messages (plain, through a Messaging Service,
scheduled; short validity periods; callbacks to a receiver that answers 200 or one that
fails and asks for retries), moves the clock, cancels, suspends and reactivates the
account, and restarts the engine on the same file, cleanly or as a crash, with new
configured delays and config rules. After ``run-until-idle`` every message it created
is final (``sent`` only when a rule asked for it), no job is left, every move followed
the lifecycle in time order, and every status the message passed through that a
callback reports was attempted at its URL, and nothing else was.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import shutil
import tempfile
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

import postgres_helpers
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    multiple,
    precondition,
    rule,
)

from smsim.contracts import catalogue
from smsim.simulator import bounds, contract_check, fragments, lifecycle
from smsim.simulator.accounts import NumberSpec
from smsim.simulator.config import Delays, SimulatorConfig
from smsim.simulator.engine import Engine
from smsim.simulator.errors import TwilioError
from smsim.simulator.messages import CreateRequest
from smsim.simulator.outcomes import REALISTIC_MIX
from smsim.simulator.webhooks import AttemptResult, Webhook

POOL = ("+14155550100", "+14155550101")  # the Messaging Service's senders
PLAIN_FROM = "+15005550006"  # Twilio's magic From that always passes
RECIPIENTS = ("+14155550190", "+14155550191", "+14155550192", "+447700900123")
CATALOGUE_TO = ("+15005553005", "+15005553001")  # undelivered 30005, failed 30001
OK_URL = "http://127.0.0.1:9/ok"
FAILING_URL = "http://127.0.0.1:9/down#rc=2&rp=5xx"  # answered 500, retried twice
SERVICE_URL = "http://127.0.0.1:9/service"
DEFAULT_URL = "http://127.0.0.1:9/default"
# Failures smsim itself decides: queue full, validity period over, account suspended.
SYSTEM_FAILURES = {("failed", 30001), ("failed", 30036), ("failed", 30002)}

ERROR_CODES = (30001, 30003, 30005, 30007, 30008, 12345)
seconds = st.one_of(
    st.floats(0, 10, allow_nan=False),
    st.sampled_from([0, 0.5, 3600.0, float(bounds.MAX_DELAY_SECONDS)]),
)
delays = st.dictionaries(st.sampled_from(["sending", "sent", "delivered"]), seconds, max_size=3)


@st.composite
def rules(draw: st.DrawFn) -> dict[str, Any]:
    match = draw(
        st.one_of(
            st.just({}),
            st.builds(lambda to: {"to": to}, st.sampled_from(RECIPIENTS + CATALOGUE_TO)),
            st.just({"to_prefix": "+1415"}),
            st.just({"body_contains": "promo"}),
        )
    )
    status = draw(st.sampled_from([None, "delivered", "sent", "undelivered", "failed"]))
    code = None
    if status in {None, "undelivered", "failed"}:
        code = draw(
            st.sampled_from(ERROR_CODES) if status else st.none() | st.sampled_from(ERROR_CODES)
        )
    spec: dict[str, Any] = {"match": match, "outcome": {"status": status, "error_code": code}}
    spec["outcome"]["delays"] = draw(delays)
    probability = draw(st.none() | st.floats(0, 1))
    if probability is not None:
        spec["probability"] = probability
    count = draw(st.none() | st.integers(1, 3))
    if count is not None:
        spec["count"] = count
    return spec


configured_delays = st.builds(
    Delays,
    sending=st.floats(0, 20),
    sent=st.floats(0, 20),
    delivered=st.floats(0, 20),
    jitter=st.sampled_from([0.0, 0.5, 1.0]),
)


class Receiver:
    """Answers every webhook without the network: 200, or 500 for the failing URL."""

    def send(self, webhook: Webhook, auth_token: str) -> AttemptResult:
        url, overrides = fragments.split(webhook.url)
        down = url.endswith("/down")
        return AttemptResult(
            url, {}, 500 if down else 200, "", "text/plain", None,
            "5xx" if down else None, 0.0, overrides,
        )  # fmt: skip


def possible_outcomes(spec: dict[str, Any]) -> tuple[str, int | None]:
    """The (status, error code) a rule gives, as the engine normalises it."""
    code = spec["outcome"]["error_code"]
    status = spec["outcome"]["status"]
    if status is None:
        entry = catalogue.get(code) if code is not None else None
        status = (
            "delivered" if code is None else (entry and entry.terminal_status) or ("undelivered")
        )
    return status, code


class MessageLifecycle(RuleBasedStateMachine):
    """One engine on one database file, driven at random; see the module docstring."""

    messages = Bundle("messages")

    def __init__(self) -> None:
        super().__init__()
        self.folder = Path(tempfile.mkdtemp(prefix="smsim-lifecycle-"))
        self.engine: Engine | None = None
        self.sids: list[str] = []
        self.canceled: set[str] = set()
        self.allowed: set[tuple[str, int | None]] = {("delivered", None)} | SYSTEM_FAILURES
        self.allowed |= {("undelivered", 30005), ("failed", 30001)}  # the catalogue numbers
        self.suspended = False
        self.callback_on_sending = False
        self.profile = "all-delivered"
        self.service_sid = ""
        self.account_sid = ""

    # -- the engine ----------------------------------------------------------------------

    def _config(
        self, delays: Delays, speed: float, config_rules: tuple[dict[str, Any], ...] = ()
    ) -> SimulatorConfig:
        return SimulatorConfig(
            rules=config_rules,
            db_path=str(self.folder / "smsim.db"),
            port=0,
            clock="virtual",
            delays=delays,
            speed=speed,
            status_callback=DEFAULT_URL,
            callback_on_sending=self.callback_on_sending,
            carrier_profile=self.profile,
            webhook_workers=2,
            validate_contracts=True,
        )

    def _open(
        self, delays: Delays, speed: float, config_rules: tuple[dict[str, Any], ...] = ()
    ) -> Engine:
        engine = Engine(self._config(delays, speed, config_rules))
        engine.dispatcher.sender = contract_check.CheckingSender(Receiver())
        engine.start()
        self.engine = engine
        return engine

    @property
    def live(self) -> Engine:
        assert self.engine is not None
        return self.engine

    @initialize(
        delays=configured_delays,
        speed=st.sampled_from([bounds.MIN_SPEED, 1.0, 10.0, 1000.0]),
        callback_on_sending=st.booleans(),
        profile=st.sampled_from(["all-delivered", "realistic"]),
    )
    def start(self, delays: Delays, speed: float, callback_on_sending: bool, profile: str) -> None:
        self.callback_on_sending = callback_on_sending
        self.profile = profile
        if profile == "realistic":
            self.allowed |= {
                (catalogue.require(code).terminal_status or "undelivered", code)
                for code, _ in REALISTIC_MIX
                if code is not None
            }
        engine = self._open(delays, speed)
        account = next(a for a in engine.accounts.all() if not a.is_trial)
        self.account_sid = account.sid
        service = engine.services.create(
            account.sid, {"friendly_name": "pool", "status_callback": SERVICE_URL}
        )
        self.service_sid = service.sid
        for number in POOL:
            added = engine.accounts.add_number(account.sid, NumberSpec(number))
            engine.services.add_number(account.sid, service.sid, added.sid)

    def teardown(self) -> None:
        try:
            if self.engine is not None:
                self.live.run_until_idle()
                self.check_every_message_final()
        finally:
            if self.engine is not None:
                self.engine.close()
            shutil.rmtree(self.folder, ignore_errors=True)

    # -- rules ---------------------------------------------------------------------------

    @rule(spec=rules())
    def add_rule(self, spec: dict[str, Any]) -> None:
        self.live.rules.add(spec)
        self.allowed.add(possible_outcomes(spec))

    @rule()
    def delete_rules(self) -> None:
        self.live.rules.delete()

    # -- messages --------------------------------------------------------------------------

    @rule(
        target=messages,
        how=st.sampled_from(["plain", "service", "scheduled"]),
        to=st.sampled_from(RECIPIENTS + CATALOGUE_TO),
        n=st.integers(1, 4),
        validity=st.none() | st.integers(1, 5),
        callback=st.sampled_from([None, OK_URL, FAILING_URL]),
        body=st.sampled_from(["hi", "promo " * 40]),
        ahead=st.integers(15 * 60 + 1, 7 * 86400 - 1),  # Twilio's SendAt window
    )
    def create(
        self,
        how: str,
        to: str,
        n: int,
        validity: int | None,
        callback: str | None,
        body: str,
        ahead: int,
    ) -> Any:
        engine = self.live
        account = engine.accounts.get(self.account_sid)
        assert account is not None
        # SendAt has whole seconds: from the next whole second, so ``ahead`` stays exact.
        send_at = dt.datetime.fromtimestamp(math.ceil(engine.clock.now()) + ahead, dt.UTC)
        request = CreateRequest(
            to=to,
            from_=PLAIN_FROM if how == "plain" else None,
            messaging_service_sid=None if how == "plain" else self.service_sid,
            body=body,
            media_urls=(),
            content_sid=None,
            status_callback=callback,
            validity_period=None if validity is None else str(validity),
            max_price=None,
            smart_encoded=False,
            schedule_type="fixed" if how == "scheduled" else None,
            send_at=send_at.strftime("%Y-%m-%dT%H:%M:%SZ") if how == "scheduled" else None,
            attempt=None,
        )
        created = []
        for _ in range(n):
            try:
                created.append(engine.messages.create(account, request).sid)
            except TwilioError as refused:  # suspended (20005), queue full (21611)
                assert refused.code in {20005, 21611}, refused
        self.sids.extend(created)
        return multiple(*created)

    @rule(sid=messages)
    def cancel(self, sid: str) -> None:
        try:
            self.live.messages.update(self.account_sid, sid, None, "canceled")
        except TwilioError as refused:
            assert refused.code == 30409, refused  # no longer cancelable
        else:
            self.canceled.add(sid)

    @rule()
    def suspend_or_reactivate(self) -> None:
        if self.suspended:
            self.live.accounts.update(self.account_sid, friendly_name=None, status="active")
        else:
            self.live.suspension.suspend(self.account_sid)
        self.suspended = not self.suspended

    # -- time and restarts ---------------------------------------------------------------

    @rule(seconds=st.one_of(st.floats(0, 30), st.sampled_from([0.1, 3600.0, 86400.0])))
    def advance(self, seconds: float) -> None:
        self.live.advance(seconds)

    @rule(
        delays=configured_delays,
        speed=st.sampled_from([bounds.MIN_SPEED, 1.0, 10.0, 1000.0]),
        crash=st.booleans(),
        config_rules=st.lists(rules(), max_size=2),
    )
    def restart(
        self, delays: Delays, speed: float, crash: bool, config_rules: list[dict[str, Any]]
    ) -> None:
        """A new start on the same file, with new ``delays:`` and ``rules:`` in its config
        (which replace the previous start's config rules, as ``--config`` does)."""
        self.allowed |= {possible_outcomes(spec) for spec in config_rules}
        engine = self.live
        if crash:  # no clean stop: the virtual clock's last saved instant is what remains
            engine.scheduler.stop()
            engine.coordination.close()  # a dead process' sessions end, and their locks
            engine.store.close()
        else:
            engine.close()
        self.engine = None
        self._open(delays, speed, tuple(config_rules))

    @precondition(lambda self: self.engine is not None)
    @rule()
    def settle(self) -> None:
        self.live.run_until_idle()
        self.check_every_message_final()

    # -- the property --------------------------------------------------------------------

    def check_every_message_final(self) -> None:
        engine = self.live
        assert engine.scheduler.pending() == 0, "jobs left after run-until-idle"
        sent_allowed = any(status == "sent" for status, _ in self.allowed)
        for sid in self.sids:
            message = engine.messages.find(sid)
            assert message is not None, sid
            final = message.status in lifecycle.FINAL_STATUSES or (
                message.status == "sent" and sent_allowed
            )
            assert final, f"{sid} stuck in {message.status}: {message.status_history}"
            event(f"final: {message.status} {message.error_code or ''}".strip())
            if sid in self.canceled:
                assert message.status == "canceled", (sid, message.status)
            elif message.status != "canceled":
                outcome = (message.status, message.error_code)
                if message.status in {"delivered", "sent"}:
                    outcome = (message.status, None)
                assert outcome in self.allowed, (sid, outcome, message.status_history)
            self._check_history(sid, message.status_history)
            self._check_callbacks(sid, message)

    def _check_history(self, sid: str, history: list[list[Any]]) -> None:
        times = [float(at) for _, _, at in history]
        assert times == sorted(times), (sid, history)
        for before, after, _ in history:
            assert lifecycle.can_move(before, after), (sid, history)

    def _check_callbacks(self, sid: str, message: Any) -> None:
        engine = self.live
        url = message.status_callback or (
            SERVICE_URL if message.messaging_service_sid else DEFAULT_URL
        )
        owed: Counter[str] = Counter()
        for before, after, _ in message.status_history:
            if after not in lifecycle.CALLBACK_STATUSES:
                continue
            if after == "sending" and not self.callback_on_sending:
                continue
            if after == "queued" and before not in {"accepted", "scheduled"}:
                continue
            owed[after] += 1
        attempts = [
            a for a in engine.attempts.query(message_sid=sid, kind="status") if a["attempt"] == 1
        ]
        attempted = Counter(a["params"]["MessageStatus"] for a in attempts)
        assert attempted == owed, (sid, owed, attempted, message.status_history)
        assert {a["url"] for a in attempts} <= {fragments.split(url)[0]}, (sid, attempts)


MessageLifecycle.TestCase.settings = settings(
    max_examples=60,
    stateful_step_count=14,
    deadline=None,
    derandomize=True,  # the same cases every run: a failure here is a real regression
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
TestMessageLifecycle = MessageLifecycle.TestCase


class MessageLifecycleOnPostgres(MessageLifecycle):
    """The same machine with its state in PostgreSQL: a fresh database per example, kept
    across the machine's restarts as the file is."""

    def __init__(self) -> None:
        super().__init__()
        self.database = contextlib.ExitStack()
        self.url = self.database.enter_context(postgres_helpers.fresh_database("smsim_life"))

    def _config(
        self, delays: Delays, speed: float, config_rules: tuple[dict[str, Any], ...] = ()
    ) -> SimulatorConfig:
        return replace(super()._config(delays, speed, config_rules), db_path=self.url)

    def teardown(self) -> None:
        try:
            super().teardown()
        finally:
            self.database.close()


# A database per example costs a CREATE DATABASE: fewer examples, the same rules.
MessageLifecycleOnPostgres.TestCase.settings = settings(
    MessageLifecycle.TestCase.settings, max_examples=8
)
TestMessageLifecycleOnPostgres = MessageLifecycleOnPostgres.TestCase
