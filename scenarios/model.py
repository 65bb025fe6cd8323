"""What a loaded scenario is: plain frozen data, with the lines it came from.

The loader builds these from a ``*.scenario.yaml`` file; the runner only reads them.
Arguments stay as written (``${...}`` references unresolved) so the runner resolves
them when the step runs, with the values saved by earlier steps.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: Expectation kinds that read the client integration.
CLIENT_EXPECTATIONS = frozenset({"stats", "events", "provider"})
#: Keys a step may carry beside its kind.
STEP_OPTIONS = ("name", "save", "expect")


@dataclass(frozen=True)
class Step:
    """One step: its kind (a key of the step registry) and its arguments as written."""

    index: int
    kind: str
    args: Any
    line: int
    name: str | None = None
    save: str | None = None
    expect: Any = None

    @property
    def label(self) -> str:
        """``step 3 (send_test_sms)``, or the step's own name."""
        return f"step {self.index + 1} ({self.name or self.kind})"


@dataclass(frozen=True)
class Expectation:
    """One expectation: its kind (a key of the expectation registry) and arguments."""

    index: int
    kind: str
    args: Any
    line: int
    within: str = "expect"  # "expect", or the label of the check step holding it

    @property
    def label(self) -> str:
        where = "expect" if self.within == "expect" else f"{self.within}, check"
        return f"{where} {self.index + 1} ({self.kind})"


@dataclass(frozen=True)
class Scenario:
    """One runnable story from a scenario file."""

    name: str
    file: Path
    line: int
    description: str = ""
    setup: dict[str, Any] = field(default_factory=dict)
    setup_lines: dict[str, int] = field(default_factory=dict)
    vars: tuple[tuple[str, Any], ...] = ()
    steps: tuple[Step, ...] = ()
    expect: tuple[Expectation, ...] = ()
    skip: str | None = None
    seed: int = 0
    tags: tuple[str, ...] = ()
    source: tuple[str, ...] = ()
    needs_client: bool = False

    @property
    def id(self) -> str:
        """A stable identifier: ``file name::scenario name``."""
        return f"{self.file.name}::{self.name}"

    def uses(self, kind: str) -> bool:
        """True when a step of this kind appears (check steps included)."""
        return any(step.kind == kind for step in self.steps)
