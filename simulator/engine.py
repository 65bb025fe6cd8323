"""The simulator as one object: store, clock, accounts, messages, delivery, scheduler.

The engine builds every module itself, in dependency order, and hands each its typed
collaborators; nothing is plugged in or patched afterwards. The HTTP layer
(``smsim.simulator.http``) and the embeddable server wrap an :class:`Engine`; tests may
also drive it directly. No Flask, no requests here.
"""

from __future__ import annotations

import enum
import logging

from smsim.simulator import contract_check, meta
from smsim.simulator.account_removal import AccountRemoval
from smsim.simulator.accounts import Accounts, NumberSpec
from smsim.simulator.clock import make_clock
from smsim.simulator.config import SimulatorConfig
from smsim.simulator.coordination import Coordination
from smsim.simulator.declared import apply_config
from smsim.simulator.delivery import Delivery
from smsim.simulator.dispatch import Dispatcher
from smsim.simulator.inbound import Inbound
from smsim.simulator.messages import MessageRows, Messages
from smsim.simulator.optouts import OptOuts
from smsim.simulator.rules import RuleBook
from smsim.simulator.scheduler import Scheduler
from smsim.simulator.services import Services
from smsim.simulator.store import open_store
from smsim.simulator.store_api import Store
from smsim.simulator.subresources import Subresources
from smsim.simulator.suspension import Suspension
from smsim.simulator.watch import ChangeFeed
from smsim.simulator.webhooks import AttemptLog, Sender, WebhookSender

log = logging.getLogger("smsim")

RESET_WAIT_SECONDS = 5.0

DEFAULT_ACCOUNTS = (
    ("full", "smsim default full account", "+15005550006"),
    ("trial", "smsim default trial account", None),
)


class Role(enum.Enum):
    """What one process of the simulator does (``smsim serve --workers N`` runs several)."""

    ALL = "all"  # one process: seeds the accounts, serves HTTP and runs the jobs
    HTTP = "http"  # a worker process: serves HTTP and schedules jobs, runs none
    DELIVERY = "delivery"  # the delivery process: runs the jobs, serves nothing


class Engine:
    """Everything one running simulator holds."""

    def __init__(self, config: SimulatorConfig, role: Role = Role.ALL) -> None:
        self.config = config
        self.role = role
        self.store = open_store(config.store_target, memory=config.memory)
        try:
            self.coordination = Coordination(
                self.store, config.store_target, virtual_clock=config.clock == "virtual"
            )
        except BaseException:  # a virtual clock meeting another instance: refused
            self.store.close()
            raise
        self.clock = make_clock(config.clock, _saved_clock(self.store))
        self.accounts = Accounts(self.store, self.clock)
        self.rules = RuleBook(self.store, self.clock)
        self.scheduler = Scheduler(
            self.store,
            self.clock,
            workers=config.webhook_workers,
            lease_seconds=config.job_lease,
        )
        self.coordination.listen(
            self.scheduler.wake if role != Role.HTTP else None, serves_http=role != Role.DELIVERY
        )
        self.attempts = AttemptLog(self.store)
        self.message_rows = MessageRows(self.store)
        self.services = Services(self.store, self.clock, self.accounts, self.message_rows)
        self.optouts = OptOuts(self.store)
        self.delivery = Delivery(
            self.store,
            self.clock,
            config,
            self.accounts,
            self.rules,
            self.scheduler,
            self.services,
            self.optouts,
            self.message_rows,
        )
        self.subresources = Subresources(self.store)
        self.messages = Messages(
            self.store, self.clock, self.accounts, self.delivery, self.services, self.subresources
        )
        self.inbound = Inbound(
            self.store,
            self.clock,
            self.accounts,
            self.messages,
            self.delivery,
            self.services,
            self.optouts,
            self.scheduler,
            self.attempts,
        )
        self.suspension = Suspension(self.store, self.accounts, self.messages, self.delivery)
        self.removal = AccountRemoval(
            self.store,
            self.accounts,
            self.messages,
            self.scheduler,
            self.attempts,
            self.services,
            self.optouts,
        )
        self.validate_contracts = contract_check.enabled(config.validate_contracts)
        sender: Sender = WebhookSender()
        if self.validate_contracts:
            sender = contract_check.CheckingSender(sender)
        self.dispatcher = Dispatcher(
            self.store,
            self.clock,
            self.accounts,
            self.scheduler,
            sender,
            self.attempts,
            self.inbound.handle_response,
        )
        try:
            if role == Role.ALL:  # a worker's parent seeded before it started any
                self._seed_state()
        except BaseException:  # e.g. a --config naming a number another account owns
            self.coordination.close()
            self.store.close()
            raise

    def _seed_state(self) -> None:
        """A default full and trial account on first start (unless the config names
        accounts); then, on every start, what the config file declares (see
        :mod:`smsim.simulator.declared`)."""
        with self.store.transaction():
            first_start = not meta.get(self.store, "seeded")
            if first_start and not self.config.accounts and self.config.create_default_accounts:
                for kind, name, number in DEFAULT_ACCOUNTS:
                    numbers = [NumberSpec(number)] if number else []
                    self.accounts.create(account_type=kind, friendly_name=name, numbers=numbers)
            apply_config(self.config, self.accounts, self.rules, self.store)
            meta.put(self.store, "seeded", "1")

    def change_feed(self) -> ChangeFeed:
        """A new feed of this engine's store changes, for requests that wait on them."""
        return self.coordination.change_feed()

    @property
    def store_location(self) -> str:
        """The database file, ``:memory:``, or a PostgreSQL URL without its password."""
        return self.store.location

    @property
    def store_engine(self) -> str:
        """Which database engine keeps the state: ``sqlite`` or ``postgresql``."""
        return self.store.dialect

    def start(self) -> None:
        if self.role != Role.HTTP:
            self.scheduler.start()

    def stop(self) -> None:
        self.scheduler.stop()
        if self.clock.virtual:
            meta.put(self.store, "virtual_now", repr(self.clock.now()))

    def close(self) -> None:
        self.stop()
        self.coordination.close()
        self.store.close()

    def reset(self) -> None:
        """Forget all state, then seed again (control API ``/_smsim/reset``).

        Webhooks in flight would write their attempts into the emptied database, so they
        finish first: this process' own, or, in an HTTP worker, the delivery processes'
        (every ``running`` job, for at most :data:`RESET_WAIT_SECONDS` under load), and
        on PostgreSQL every instance's."""
        if self.role == Role.HTTP or self.store.dialect == "postgresql":
            self.scheduler.wait_until_none_running(RESET_WAIT_SECONDS)
        else:
            self.scheduler.wait_in_flight()
        self.store.reset()  # its new generation drops every cached account
        self._seed_state()

    def advance(self, seconds: float) -> int:
        ran = self.scheduler.advance(seconds)
        meta.put(self.store, "virtual_now", repr(self.clock.now()))
        return ran

    def run_until_idle(self) -> int:
        ran = self.scheduler.run_until_idle()
        meta.put(self.store, "virtual_now", repr(self.clock.now()))
        return ran


def _saved_clock(store: Store) -> float | None:
    """A virtual clock resumes where it stopped, so persisted jobs keep their order."""
    saved = meta.get(store, "virtual_now")
    return float(saved) if saved else None
