"""``smsim serve --workers N --delivery-processes M`` on PostgreSQL: one instance as N
HTTP worker processes and M delivery processes (docs/scaling.md has the design and the
figures). Several machines may each run one on the same database.

- The parent migrates the database and seeds the accounts in a short-lived engine, closes
  it, binds the port, then forks (nothing open, no thread running).
- Each HTTP worker builds an :class:`Engine` in the ``HTTP`` role: it answers every API,
  control and inbox request and schedules jobs, and runs none.
- Each delivery process builds one in the ``DELIVERY`` role: it claims due jobs under a
  lease (:mod:`smsim.simulator.scheduler`), runs lifecycle steps and sends webhooks. A
  job scheduled anywhere wakes it through ``LISTEN/NOTIFY``; the jobs of one that died
  run again in any other, of this instance or another, once their lease ends.

SQLite is one process (HTTP threads and delivery threads), and so is the virtual clock on
either engine (:class:`~smsim.simulator.server.SimulatorServer`): its time lives in that
process' memory.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass

from smsim import prefork
from smsim.serving import bind_server
from smsim.simulator.config import SimulatorConfig
from smsim.simulator.engine import Engine, Role
from smsim.simulator.http.app import create_app, release_waiters
from smsim.simulator.http.context import bind_waiting_count

# HTTP workers make work (each create schedules steps and callbacks) that the delivery
# processes must then do; on a saturated machine they yield to them, else two workers on
# two cores built a 14 s backlog of callbacks in a 30 s load (docs/scaling.md).
PRODUCER_NICENESS = 5


@dataclass(frozen=True)
class AccountSummary:
    """What the banner and the ready file say of one account."""

    sid: str
    auth_token: str
    type: str
    numbers: tuple[str, ...]


def account_summaries(engine: Engine) -> list[AccountSummary]:
    return [
        AccountSummary(
            account.sid,
            account.auth_token,
            account.type.lower(),
            tuple(n.phone_number for n in engine.accounts.numbers(account.sid)),
        )
        for account in engine.accounts.all()
    ]


def _http_worker(config: SimulatorConfig, sock: socket.socket) -> prefork.ChildMain:
    def main(life: prefork.ChildLife) -> int:
        engine = Engine(config, Role.HTTP)
        app = create_app(engine=engine)
        server = bind_server(
            app,
            config.host,
            0,
            config.http_threads,
            "smsim",
            release=lambda: release_waiters(app),
            sock=sock,
        )
        bind_waiting_count(app, lambda: int(server.task_dispatcher.waiting))
        prefork.serve_until_stopped(life, server, "smsim")
        engine.close()
        return 0

    return main


def _delivery(config: SimulatorConfig) -> prefork.ChildMain:
    def main(life: prefork.ChildLife) -> int:
        engine = Engine(config, Role.DELIVERY)
        engine.start()
        life.ready()
        life.wait(lambda: True)
        engine.close()  # waits for the webhooks in flight
        return 0

    return main


class SimulatorProcesses(prefork.ProcessGroup):
    """A running multi-process simulator, seen from its parent."""

    def __init__(self, config: SimulatorConfig) -> None:
        self.config = config
        setup = Engine(config)  # migrates, seeds; runs nothing
        try:
            self.accounts = account_summaries(setup)
            self.store_location = setup.store_location
        finally:
            setup.close()
        super().__init__("smsim serve", config.host, config.port, config.worker_processes)

    def children(self) -> list[prefork.Child]:
        http = [
            prefork.Child(f"HTTP worker {n}", _http_worker(self.config, sock), PRODUCER_NICENESS)
            for n, sock in enumerate(self.sockets, start=1)
        ]
        count = self.config.delivery_process_count
        return http + [
            prefork.Child("delivery" if count == 1 else f"delivery {n}", _delivery(self.config))
            for n in range(1, count + 1)
        ]
