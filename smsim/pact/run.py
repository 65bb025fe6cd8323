"""``smsim pact verify``: replay pacts of Twilio against the simulator with pact's verifier.

HTTP interactions are replayed on the Twilio surface by pact's own verifier (the Rust
core, through pact-python), with the pact's matching rules. Message interactions are
answered with the webhook smsim really sent (:mod:`smsim.pact.webhooks`) and matched by
the same verifier. Before each interaction its provider states are set up
(:mod:`smsim.pact.states`); after it the simulator is reset, so no interaction sees
another's accounts, rules or messages.
"""

from __future__ import annotations

import io
import json
import os
import sys
import tempfile
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, redirect_stderr, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pact import Verifier
from pact.types import Message

from smsim.pact.provider import WEBHOOK_TIMEOUT, Provider, StateError
from smsim.pact.sources import PactFile, find, load
from smsim.pact.states import set_up
from smsim.pact.webhooks import CapturedWebhook

_PASSED = frozenset({"ok", "success", "pass", "passed"})


@dataclass(frozen=True)
class Result:
    """One interaction's verdict, with every problem in words."""

    pact: str
    consumer: str
    provider: str
    description: str
    kind: str
    problems: tuple[str, ...]

    @property
    def passed(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class Report:
    results: tuple[Result, ...]
    provider_version: str | None
    against: str
    verifier_output: str  # pact's own account of the run (``--verbose`` prints it)

    @property
    def passed(self) -> bool:
        return bool(self.results) and all(r.passed for r in self.results)


def verify(
    paths: Sequence[str],
    against: str | None = None,
    provider_version: str | None = None,
    token: str | None = None,
) -> Report:
    """Verify every pact in ``paths`` against the simulator at ``against`` (default: a
    fresh in-process one). Raises :class:`smsim.pact.sources.PactFileError` for a path
    that is not a pact file, before anything runs."""
    pacts = [load(path) for path in find(paths)]
    # smsim runs offline: pact's core would otherwise try to send usage statistics.
    os.environ.setdefault("PACT_DO_NOT_TRACK", "true")
    results: list[Result] = []
    outputs: list[str] = []
    with _simulator(against) as url, tempfile.TemporaryDirectory(prefix="smsim-pact-") as tmp:
        provider = Provider(url, token).start()
        try:
            provider.reset()
            for pact in pacts:
                results.extend(_verify_file(provider, pact, Path(tmp), outputs))
        finally:
            provider.stop()
    return Report(
        tuple(results), provider_version, against or "an in-process smsim", "".join(outputs)
    )


@contextmanager
def _own_stdout() -> Iterator[None]:
    """Pact's core prints its own report on file descriptor 1 as it verifies; ours is
    printed instead (its text stays in :attr:`Report.verifier_output`)."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "wb") as devnull, redirect_stderr(io.StringIO()):
            # stderr: the access log of pact-python's state and message relays
            os.dup2(devnull.fileno(), 1)
            yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


@contextmanager
def _simulator(against: str | None) -> Iterator[str]:
    if against is not None:
        yield against.rstrip("/")
        return
    from smsim.simulator.config import SimulatorConfig
    from smsim.simulator.server import SimulatorServer

    config = SimulatorConfig(
        memory=True, port=0, clock="virtual", create_default_accounts=False, ui=False
    )
    with SimulatorServer(config) as server:
        yield server.url


class _Interactions:
    """The state and message handlers pact calls while it verifies one file."""

    def __init__(self, provider: Provider) -> None:
        self.provider = provider
        self.webhook: CapturedWebhook | None = None
        # Each set-up's outcome (an error, or None), per state and params in the order
        # pact ran them: the file's order, so each interaction gets its own.
        self.setups: dict[tuple[str, str], deque[str | None]] = {}

    def problem(self, name: str, params: Mapping[str, Any] | None) -> str | None:
        """The error of the next set-up of this state, for the interaction at hand."""
        outcomes = self.setups.get(_state_key(name, params))
        return outcomes.popleft() if outcomes else None

    def state(self, state: str, action: str, parameters: Mapping[str, Any] | None) -> None:
        # Never raises: pact would retry a failing state and print its traceback; the
        # error is kept and reported with the interaction instead.
        params = dict(parameters or {})
        try:
            if action == "teardown":
                self.webhook = None
                self.provider.reset()
            elif state:
                outcomes = self.setups.setdefault(_state_key(state, params), deque())
                try:
                    made = set_up(self.provider, state, params)
                except StateError as exc:
                    outcomes.append(str(exc))
                    return
                outcomes.append(None)
                if made is not None:
                    self.webhook = made
        except StateError:  # the reset after an interaction: the next set-up will say
            pass

    def message(self, name: str, metadata: Mapping[str, Any] | None) -> Message:
        if self.webhook is None:  # its state failed, and says why in the report
            return Message(contents=b"{}", content_type="application/json", metadata={})
        return self.webhook.as_pact_message()


def _state_key(name: str, params: Mapping[str, Any] | None) -> tuple[str, str]:
    return name, json.dumps(params or {}, sort_keys=True, default=str)


def _verify_file(
    provider: Provider, pact: PactFile, scratch: Path, outputs: list[str]
) -> list[Result]:
    def result(description: str, kind: str, problems: Sequence[str]) -> Result:
        return Result(
            str(pact.path), pact.consumer, pact.provider, description, kind, tuple(problems)
        )

    refused = [result(i.description, i.kind, [i.problem]) for i in pact.interactions if i.problem]
    runnable = pact.runnable_copy(scratch)
    if runnable is None:
        return refused
    handlers = _Interactions(provider)
    verifier = (
        Verifier(pact.provider, host=urlsplit(provider.url).hostname)
        .add_transport(url=provider.url)
        .state_handler(handlers.state, teardown=True)
        .message_handler(handlers.message)
        .add_source(runnable)
        .set_coloured_output(enabled=False)
        # pact's 5 s default also bounds each state change, which may wait for a webhook
        # (up to WEBHOOK_TIMEOUT) on a loaded machine or a real-clock server.
        .set_request_timeout(int(2 * WEBHOOK_TIMEOUT * 1000))
    )
    # RuntimeError: some interaction failed; the results below say which and why.
    with _own_stdout(), suppress(RuntimeError):
        verifier.verify()
    outputs.append(verifier.output(strip_ansi=True))
    outcomes = _outcomes(verifier.results)
    verified = []
    for interaction in pact.interactions:
        if interaction.problem is not None:
            continue
        names = tuple(name for name, _ in interaction.states)
        problems = [
            problem
            for name, params in interaction.states
            if (problem := handlers.problem(name, params))
        ]
        reported = outcomes.get((interaction.description, names)) or []
        if not reported:
            problems.append("pact's verifier did not report this interaction")
        else:
            problems.extend(reported.pop(0))
        verified.append(result(interaction.description, interaction.kind, problems))
    return refused + verified


def _outcomes(
    results: Mapping[str, Any],
) -> dict[tuple[str, tuple[str, ...]], list[list[str]]]:
    """(description, state names) -> the problems pact found for each interaction so
    named, in the file's order (an empty list when it passed)."""
    outcomes: dict[tuple[str, tuple[str, ...]], list[list[str]]] = {}
    for entry in results.get("interactionResults") or []:
        key = (str(entry.get("description")), tuple(entry.get("providerStates") or ()))
        mismatch = entry.get("mismatch")
        if mismatch is None and str(entry.get("result")).lower() in _PASSED:
            problems: list[str] = []
        else:
            problems = list(_mismatches(mismatch)) or [f"failed: {entry.get('result')}"]
        outcomes.setdefault(key, []).append(problems)
    return outcomes


def _mismatches(mismatch: Any) -> Iterator[str]:
    if not isinstance(mismatch, dict):
        return
    listed = mismatch.get("mismatches")
    if isinstance(listed, list):
        for item in listed:
            text = str(item.get("mismatch", item))
            kind = item.get("type", "")
            path = item.get("path") or item.get("key")
            where = {"StatusMismatch": "status", "MetadataMismatch": "metadata"}.get(kind, "")
            prefix = f"{where + ' ' if where and path else where}{path or ''}".strip()
            yield f"{prefix}: {text}" if prefix else text
    elif mismatch.get("message"):
        yield str(mismatch["message"])
    else:
        yield json.dumps(mismatch)
