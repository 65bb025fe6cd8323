"""The one runner: ``smsim run`` and the pytest plugin both call :func:`run_scenario`.

A scenario runs in its own :class:`~smsim.scenarios.world.World`: setup, then each step
(its ``expect`` checked at once, its result ``save``-d for later references), then the
expectations. The first failure stops the scenario and is kept with where it happened
(the step or expectation, its line in the file), what was expected and what was there.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import time
import traceback
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Any

from smsim.scenarios.expectations import EXPECTATIONS, ExpectationFailed
from smsim.scenarios.matching import Mismatch, compare
from smsim.scenarios.model import Expectation, Scenario, Step
from smsim.scenarios.provision import SetupError, provision
from smsim.scenarios.steps import STEPS, StepResult
from smsim.scenarios.values import UnresolvedReference
from smsim.scenarios.world import RunOptions, SkipScenario, StepError, World
from smsim.testing import ControlError

PASSED, FAILED, ERROR, SKIPPED = "passed", "failed", "error", "skipped"


@dataclass
class Failure:
    """Where a scenario stopped and why."""

    where: str  # "setup accounts.acme", "step 3 (send_test_sms)", "expect 2 (stats)"
    line: int
    message: str
    mismatches: list[Mismatch] = field(default_factory=list)
    actual: Any = None
    traceback: str | None = None


@dataclass
class ScenarioResult:
    """The outcome of one scenario."""

    scenario: Scenario
    outcome: str
    duration: float = 0.0
    steps_run: int = 0
    failure: Failure | None = None
    reason: str | None = None  # why it was skipped
    log: list[str] = field(default_factory=list)
    # ``against``: accounts the scenario left on the server (kept as asked, or not
    # removable, then with the reason)
    accounts_left: list[str] = field(default_factory=list)
    cleanup_error: str | None = None

    @property
    def ok(self) -> bool:
        return self.outcome in (PASSED, SKIPPED)


class _Stop(Exception):
    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.message)
        self.failure = failure


def run_scenario(scenario: Scenario, options: RunOptions | None = None) -> ScenarioResult:
    """Run one scenario from a fresh world and report what happened."""
    options = options or RunOptions()
    result = ScenarioResult(scenario, PASSED)
    if scenario.skip:
        result.outcome, result.reason = SKIPPED, scenario.skip
        return result
    started = time.perf_counter()
    world: World | None = None
    try:
        world = World(scenario, options)
        with world:
            _setup(world, scenario)
            for step in scenario.steps:
                _run_step(world, step, result)
                result.steps_run += 1
            for exp in scenario.expect:
                _expect(world, exp)
    except SkipScenario as exc:
        result.outcome, result.reason = SKIPPED, str(exc)
    except _Stop as stop:
        result.outcome, result.failure = FAILED, stop.failure
    except StepError as exc:  # from starting the world
        result.outcome = FAILED
        result.failure = Failure("setup", scenario.line, str(exc))
    except Exception as exc:  # a bug in smsim or a crash: say so, with the traceback
        result.outcome = ERROR
        result.failure = Failure(
            "runner",
            scenario.line,
            f"{type(exc).__name__}: {exc}",
            traceback=traceback.format_exc(),
        )
    result.duration = time.perf_counter() - started
    if world is not None:
        result.accounts_left, result.cleanup_error = world.accounts_left, world.cleanup_error
    return result


def _setup(world: World, scenario: Scenario) -> None:
    try:
        provision(world)
    except SetupError as exc:
        line = scenario.setup_lines.get(exc.key) or scenario.setup_lines.get("", scenario.line)
        raise _Stop(Failure(f"setup {exc.key}", line, str(exc))) from None


def _run_step(world: World, step: Step, result: ScenarioResult) -> None:
    fn = STEPS.get(step.kind)
    started = time.perf_counter()
    try:
        if step.kind == "check":
            for exp in step.args:
                _expect(world, exp)
            result.log.append(f"{step.label}: {len(step.args)} checks passed")
            return
        if fn is None:
            raise StepError(f"unknown step kind {step.kind!r} (known: {', '.join(sorted(STEPS))})")
        outcome = fn(world, world.ctx.render(step.args))
    except (StepError, UnresolvedReference, ControlError, ValueError) as exc:
        raise _Stop(Failure(step.label, step.line, str(exc))) from None
    result.log.append(f"{step.label}: {outcome.summary} ({time.perf_counter() - started:.2f}s)")
    if step.save:
        world.ctx.saved[step.save] = outcome.body
    _check_response(world, step, outcome)


def _check_response(world: World, step: Step, outcome: StepResult) -> None:
    """The step's own ``expect``, or by default: an HTTP answer must be a 2xx/3xx."""
    if outcome.status is None:
        return
    try:
        expect = world.ctx.render(step.expect) if step.expect else {}
    except UnresolvedReference as exc:
        raise _Stop(Failure(step.label, step.line, str(exc))) from None
    mismatches: list[Mismatch] = []
    status = expect.get("status")
    if status is None:
        if not 200 <= outcome.status < 400:
            mismatches.append(Mismatch("status", "2xx", outcome.status))
    elif isinstance(status, list):
        if outcome.status not in status:
            mismatches.append(Mismatch("status", {"$in": status}, outcome.status))
    else:
        mismatches += compare(status, outcome.status, "status")
    if "body" in expect:
        mismatches += compare(expect["body"], outcome.body, "body")
    if mismatches:
        message = f"the answer to {outcome.summary.rsplit(' -> ', 1)[0]} is not as expected"
        raise _Stop(Failure(step.label, step.line, message, mismatches, outcome.body))


def _expect(world: World, exp: Expectation) -> None:
    fn = EXPECTATIONS.get(exp.kind)
    try:
        if fn is None:
            raise StepError(f"unknown expectation {exp.kind!r}")
        fn(world, world.ctx.render(exp.args))
    except ExpectationFailed as exc:
        raise _Stop(Failure(exp.label, exp.line, exc.summary, exc.mismatches, exc.actual)) from None
    except (StepError, UnresolvedReference, ControlError) as exc:
        raise _Stop(Failure(exp.label, exp.line, str(exc))) from None


def run_all(
    scenarios: Sequence[Scenario],
    options: RunOptions | None = None,
    *,
    jobs: int = 1,
    on_result: Callable[[ScenarioResult], None] | None = None,
) -> list[ScenarioResult]:
    """Run scenarios, ``jobs`` at a time, in worker processes; results in input order.

    Processes, not threads: a scenario's servers are Python threads, so scenarios in
    one process share one interpreter lock. ``on_result`` is called in this process as
    each scenario finishes (for progress output).
    """
    if jobs <= 1 or len(scenarios) <= 1:
        results = []
        for scenario in scenarios:
            results.append(run_scenario(scenario, options))
            if on_result is not None:
                on_result(results[-1])
        return results
    workers = min(jobs, len(scenarios))
    executor: Executor
    if _can_spawn():
        context = multiprocessing.get_context("spawn")
        executor = ProcessPoolExecutor(max_workers=workers, mp_context=context)
    else:  # e.g. a script read from stdin cannot be re-imported by a spawned worker
        executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="scenario")
    with executor:
        futures = {executor.submit(run_scenario, s, options): i for i, s in enumerate(scenarios)}
        done: dict[int, ScenarioResult] = {}
        for future in as_completed(futures):
            done[futures[future]] = future.result()
            if on_result is not None:
                on_result(done[futures[future]])
    return [done[i] for i in range(len(scenarios))]


def _can_spawn() -> bool:
    """True when a spawned worker can import this program's main module."""
    main = sys.modules.get("__main__")
    if getattr(main, "__spec__", None) is not None:
        return True
    path = getattr(main, "__file__", None)
    return bool(path) and os.path.exists(str(path))


def select(scenarios: Iterable[Scenario], keyword: str | None) -> list[Scenario]:
    """Scenarios whose id, or one of whose tags, contains ``keyword`` (case-insensitive)."""
    if not keyword:
        return list(scenarios)
    word = keyword.lower()
    return [s for s in scenarios if word in s.id.lower() or any(word in t for t in s.tags)]
