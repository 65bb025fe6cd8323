"""Scenario files as pytest items: ``pytest path/to/*.scenario.yaml`` (or a directory).

Each scenario is one item (a parametrized scenario one item per parameter set), run by
the same runner as ``smsim run``, in its own simulator and client, so items are
independent and spread over pytest-xdist workers. A file that is not a valid scenario
file fails collection with the ``file:line: problem`` messages; a failing item shows the
failing step or expectation with its lines from the file, expected and actual.

The smsim pytest plugin imports :func:`pytest_collect_file` from here.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from smsim.scenarios.model import Scenario
    from smsim.scenarios.runner import ScenarioResult

# The loader's suffix, repeated so that importing this hook stays cheap: the plugin
# loads it on every pytest run, the runner only when a scenario file is collected.
SUFFIX = ".scenario.yaml"


class ScenarioFailed(Exception):
    """A scenario item failed; carries the runner's result for the report."""

    def __init__(self, result: ScenarioResult) -> None:
        super().__init__(result.failure.message if result.failure else "failed")
        self.result = result


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    """Collect ``*.scenario.yaml`` files."""
    if file_path.name.endswith(SUFFIX):
        return ScenarioFile.from_parent(parent, path=file_path)
    return None


class ScenarioFile(pytest.File):
    """A scenario file: one item per scenario."""

    def collect(self) -> Iterator[ScenarioItem]:
        from smsim.scenarios.loader import ScenarioFileError, load_file

        try:
            scenarios = load_file(self.path)
        except ScenarioFileError as exc:
            raise self.CollectError(exc.render()) from None
        for scenario in scenarios:
            yield ScenarioItem.from_parent(self, name=scenario.name, scenario=scenario)


class ScenarioItem(pytest.Item):
    """One scenario, run by the shared runner."""

    def __init__(self, *, scenario: Scenario, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.scenario = scenario
        self.extra_keyword_matches.update(scenario.tags)
        if scenario.skip:
            self.add_marker(pytest.mark.skip(reason=scenario.skip))

    def runtest(self) -> None:
        from smsim.scenarios.runner import SKIPPED, run_scenario

        result = run_scenario(self.scenario)
        if result.outcome == SKIPPED:
            pytest.skip(result.reason or "skipped")
        if not result.ok:
            raise ScenarioFailed(result)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        if isinstance(excinfo.value, ScenarioFailed):
            from smsim.scenarios.report import format_failure

            return format_failure(excinfo.value.result)
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, self.scenario.line - 1, f"scenario: {self.scenario.name}"
