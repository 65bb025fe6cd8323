"""``smsim client serve --workers N``: the integration as N HTTP worker processes and one
campaign sender process over one SQLite file.

- The parent migrates the database in a short-lived store and closes it, binds the port,
  then forks (no database open, no thread running: a fork copies only the forking thread).
- Each HTTP worker serves the JSON API, the dashboard, the callback receiver and the click
  redirects on a socket the parent bound (one per worker on the shared port where the
  system has ``SO_REUSEPORT``). A campaign it starts is queued in the database
  (``campaign_runs``/``campaign_sends``); a cancel is written there; ``?wait=`` polls it.
- The sender process sends every background campaign: it resumes the ones left
  ``sending``, then watches the database for new ones and for cancels. Only the holder of
  the database's sender lock sends (:func:`sender_lock`), so a restarted sender
  never overlaps a dying one; the claim/settle logic of the queue keeps every recipient
  sent once across a crash.
"""

from __future__ import annotations

import socket
import time
from dataclasses import replace

from smsim import prefork
from smsim.client.app import create_app
from smsim.client.config import ClientConfig, ClientRole
from smsim.client.integration import Integration
from smsim.client.store import Store
from smsim.file_lock import FileLock
from smsim.serving import bind_server


def sender_lock(database_path: str) -> FileLock:
    """The lock whose holder alone sends a database's campaigns: a recipient is sent
    once because only one process claims recipients. A sender started again after a
    crash takes it at once and settles what the dead one had claimed
    (client/campaign_queue.py); a second ``smsim client serve`` on the same file waits
    for it."""
    return FileLock(database_path + "-campaigns.lock")


LOCK_POLL_SECONDS = 0.1


def _http_worker(config: ClientConfig, sock: socket.socket, threads: int) -> prefork.ChildMain:
    def main(life: prefork.ChildLife) -> int:
        integration = Integration(config, role=ClientRole.HTTP)
        app = create_app(config, integration)
        server = bind_server(
            app,
            config.bind_host,
            0,
            threads,
            "smsim-client",
            release=integration.runner.release_waiters,
            sock=sock,
        )
        prefork.serve_until_stopped(life, server, "smsim-client")
        integration.close()
        return 0

    return main


def _sender(config: ClientConfig) -> prefork.ChildMain:
    def main(life: prefork.ChildLife) -> int:
        life.ready()  # serves no HTTP; waiting for the lock is not "not ready"
        lock = sender_lock(str(config.db_path))
        while not lock.try_acquire():
            if life.should_stop:
                return 0
            time.sleep(LOCK_POLL_SECONDS)
        integration = Integration(config, role=ClientRole.SENDER)
        try:
            integration.resume_campaigns()
            integration.runner.watch()
            life.wait(lambda: True)
        finally:
            integration.close()  # lets the requests in flight finish; campaigns resumable
            lock.release()
        return 0

    return main


class ClientProcesses(prefork.ProcessGroup):
    """A running multi-process integration, seen from its parent."""

    def __init__(
        self, config: ClientConfig, host: str, port: int, workers: int, threads: int
    ) -> None:
        if config.memory or not config.db_path:
            raise ValueError("several processes need a database file (--db), not --memory")
        Store(config.db_path).close()  # migrate (or refuse the file) before anything forks
        super().__init__("smsim client serve", host, port, workers)
        self.threads = threads
        # as ClientServer does: its own URL is the default callback and short-link base
        self.config = replace(config, bind_host=host, public_url=config.public_url or self.url)

    def children(self) -> list[prefork.Child]:
        http = [
            prefork.Child(f"HTTP worker {n}", _http_worker(self.config, sock, self.threads))
            for n, sock in enumerate(self.sockets, start=1)
        ]
        # the sender makes the work (each send brings two callbacks) the HTTP workers'
        # receiver must then take in: on a saturated machine it yields to them
        return [*http, prefork.Child("campaign sender", _sender(self.config), niceness=5)]
