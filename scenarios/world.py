"""Where one scenario runs: a fresh simulator and client, or a running ``smsim serve``.

In-process (the default) every scenario gets its own simulator (memory store, virtual
clock) and, when it needs one, its own client integration whose Twilio base URL is that
simulator, both empty (warm ones from :mod:`~smsim.scenarios.pool`, reset) and on free
loopback ports, so scenarios are independent and can run in parallel (worker processes
for ``smsim run``, pytest-xdist workers under pytest).

``against`` a URL, the scenario uses that server through its HTTP surfaces only; its
accounts are new ones (fresh SIDs, named ``scenario: <scenario name> (<alias>)``), the
rules it adds and the accounts it creates (with all they hold) are removed afterwards
unless ``keep_accounts``, and what cannot work there (the client, a carrier profile,
moving a real clock) skips the scenario with the reason.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import time
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import requests

from smsim.scenarios import pool
from smsim.scenarios.model import Scenario
from smsim.scenarios.values import Context, make_faker
from smsim.testing import CallbackRecorder, ControlClient, ControlError

IDLE_TIMEOUT = 60.0


class StepError(Exception):
    """A step (or the setup) could not do its job; the message says what happened."""


class SkipScenario(Exception):
    """The scenario cannot run here; the message is the reason."""


@dataclass(frozen=True)
class RunOptions:
    """How scenarios run: in-process (``against`` None) or against a running server.

    ``seed`` is added to every scenario's own seed (a different seed gives different
    faker values, e.g. fresh phone numbers against a server that keeps its state).
    """

    against: str | None = None
    seed: int = 0
    http_timeout: float = 30.0
    control_token: str | None = None  # of the server ``against`` (default: env)
    keep_accounts: bool = False  # ``against``: leave the scenario's accounts on the server


class World:
    """The servers, HTTP sessions and named things of one running scenario."""

    def __init__(self, scenario: Scenario, options: RunOptions | None = None) -> None:
        self.scenario = scenario
        self.options = options or RunOptions()
        self.ctx = Context(make_faker(scenario.seed + self.options.seed))
        self.http = requests.Session()
        self.http.trust_env = False  # loopback servers: never through a proxy
        self.lease: pool.Lease | None = None
        self.simulator: Any = None
        self.control: ControlClient | None = None
        self.sim_url = ""
        self.client_url: str | None = None
        self.virtual_clock = True
        self.endpoints: dict[str, CallbackRecorder] = {}
        self.accounts: dict[str, dict[str, Any]] = {}
        self.services: dict[str, dict[str, Any]] = {}
        self.providers: dict[str, dict[str, Any]] = {}
        self.rule_ids: list[int] = []
        # ``against``: accounts this scenario left on the shared server, and why when
        # that was not asked for (set by close()).
        self.accounts_left: list[str] = []
        self.cleanup_error: str | None = None
        self.ctx.builtins.update(
            accounts=lambda: self.accounts,
            providers=lambda: self.providers,
            services=lambda: self.services,
            endpoints=lambda: {name: self.endpoint_url(name) for name in self.endpoints},
            client=self.client_info,
            simulator=lambda: {"url": self.sim_url},
        )

    # -- lifecycle --------------------------------------------------------------------

    def __enter__(self) -> World:
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def start(self) -> None:
        """Start (or reach) the simulator, the client if needed, and the endpoints."""
        scenario = self.scenario
        if self.options.against:
            self._reach(self.options.against)
        else:
            self._start_in_process()
        for name in scenario.setup.get("endpoints") or []:
            self.endpoints[name] = CallbackRecorder().start()

    def _reach(self, url: str) -> None:
        scenario = self.scenario
        if scenario.needs_client:
            raise SkipScenario("needs the client integration, which runs in-process only")
        if scenario.setup.get("carrier_profile"):
            raise SkipScenario("sets a carrier profile, which needs an in-process simulator")
        self.sim_url = url.rstrip("/")
        self.control = ControlClient(self.sim_url, self.http, self.options.control_token)
        try:
            health = self.control.health()
        except requests.RequestException as exc:
            raise StepError(f"cannot reach the simulator at {self.sim_url}: {exc}") from None
        self.virtual_clock = health.get("clock") == "virtual"
        if not self.virtual_clock and scenario.uses("advance"):
            raise SkipScenario(
                "moves the clock; the server's clock is real (serve --clock virtual)"
            )

    def _start_in_process(self) -> None:
        from smsim.simulator.config import SimulatorConfig

        scenario = self.scenario
        profile = scenario.setup.get("carrier_profile") or "all-delivered"
        # Only the realistic profile draws outcomes from the seed; every other scenario
        # shares one configuration, so warm simulators can be reused between them.
        seed = self.options.seed + (scenario.seed if profile == "realistic" else 0)
        config = SimulatorConfig(
            memory=True,
            port=0,
            clock="virtual",
            seed=seed,
            carrier_profile=profile,
            create_default_accounts=False,
            threads=8,
            webhook_workers=8,
        )
        self.lease = pool.acquire(config, with_client=scenario.needs_client)
        self.simulator = self.lease.simulator
        self.sim_url = self.simulator.url
        self.control = ControlClient(self.sim_url, self.http)
        if self.lease.client is not None:
            self.client_url = self.lease.client.url

    def remove_rules(self) -> int:
        """Delete the rules this scenario added; returns how many were still there."""
        removed = 0
        for rule_id in self.rule_ids:
            with contextlib.suppress(requests.RequestException):
                url = f"{self.sim_url}/_smsim/rules/{rule_id}"
                removed += self.http.delete(url, timeout=5).status_code == 200
        self.rule_ids.clear()
        return removed

    def remove_accounts(self) -> None:
        """Remove the accounts this scenario created on a shared server (with their
        subaccounts, messages and callbacks); what could not be removed stays listed in
        ``accounts_left`` with the reason in ``cleanup_error``."""
        assert self.control is not None
        for account in self.accounts.values():
            try:
                self.control.remove_account(account["sid"])
            except (ControlError, requests.RequestException) as exc:
                self.accounts_left.append(account["sid"])
                self.cleanup_error = f"DELETE /_smsim/accounts/{account['sid']}: {exc}"

    def close(self) -> None:
        """Stop what was started; on a shared server remove the rules added and, unless
        asked to keep them, the accounts created."""
        if self.options.against and self.control is not None:
            self.remove_rules()
            if self.options.keep_accounts:
                self.accounts_left = [a["sid"] for a in self.accounts.values()]
            else:
                self.remove_accounts()
        for recorder in self.endpoints.values():
            recorder.stop()
        self.endpoints.clear()
        self.http.close()
        if self.lease is not None:
            pool.release(self.lease)
            self.lease = self.simulator = None

    # -- names ------------------------------------------------------------------------

    def client_info(self) -> dict[str, Any]:
        if self.client_url is None:
            raise StepError("this scenario has no client (it runs against a simulator only)")
        return {"url": self.client_url, "callback_url": self.client_url + "/sms/twilio"}

    def endpoint_url(self, name: str) -> str:
        return self.endpoints[name].url(f"/{name}")

    def target(self, value: Any) -> str | None:
        """Resolve a webhook target: ``client``, an endpoint name, or a URL."""
        if value is None:
            return None
        value = self.ctx.render(value)
        if value == "client":
            return self.client_info()["callback_url"]
        if value in self.endpoints:
            return self.endpoint_url(value)
        return str(value)

    def account(self, ref: Any) -> dict[str, Any]:
        return self._named(self.accounts, ref, "account")

    def provider(self, ref: Any) -> dict[str, Any]:
        return self._named(self.providers, ref, "provider")

    def service(self, ref: Any) -> dict[str, Any]:
        return self._named(self.services, ref, "service")

    def _named(self, table: dict[str, dict[str, Any]], ref: Any, what: str) -> dict[str, Any]:
        ref = self.ctx.render(ref)
        if isinstance(ref, dict):
            return ref
        if ref in table:
            return table[ref]
        for item in table.values():  # a SID or an id given directly
            if ref in (item.get("sid"), item.get("id"), str(item.get("id"))):
                return item
        known = ", ".join(table) or "none"
        raise StepError(f"no {what} {ref!r} in this scenario (known: {known})")

    def token_of(self, account_sid: str) -> str | None:
        for account in self.accounts.values():
            if account["sid"] == account_sid:
                return account["auth_token"]
        return None

    # -- HTTP -------------------------------------------------------------------------

    def twilio(
        self, method: str, path: str, account: dict[str, Any], data: Any = None
    ) -> requests.Response:
        """Call the Twilio surface (``/2010-04-01...`` or ``/v1...``) as ``account``."""
        return self._request(
            method,
            self.sim_url + path,
            data=data,
            auth=(account["sid"], account["auth_token"]),
        )

    def client_api(self, method: str, path: str, body: Any = None) -> requests.Response:
        """Call the client integration's HTTP API."""
        base = self.client_info()["url"]
        return self._request(method, base + path, json=body)

    def _request(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        try:
            return self.http.request(method, url, timeout=self.options.http_timeout, **kwargs)
        except requests.RequestException as exc:
            raise StepError(f"{method} {url} failed: {exc}") from None

    def clock_now(self) -> float:
        assert self.control is not None
        return float(self.control.clock()["now"])

    def iso_in(self, seconds: float) -> str:
        """The simulator's now plus ``seconds``, as Twilio's ISO 8601 SendAt."""
        when = dt.datetime.fromtimestamp(self.clock_now() + seconds, dt.UTC)
        return when.replace(microsecond=0).isoformat().replace("+00:00", "Z")

    def run_until_idle(self) -> dict[str, Any]:
        """Virtual clock: run everything pending. Real clock: wait until nothing is."""
        assert self.control is not None
        if self.virtual_clock:
            return self.control.run_until_idle()
        deadline = time.monotonic() + IDLE_TIMEOUT
        while time.monotonic() < deadline:
            health = self.control.health()
            if not health.get("pending_jobs"):
                return health
            time.sleep(0.05)
        raise StepError(f"the simulator still had pending jobs after {IDLE_TIMEOUT:.0f}s")
