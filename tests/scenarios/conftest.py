"""Helpers for the scenario tests: write scenario files into a temporary directory."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

# A small world most test scenarios share: one account, one provider in the client.
WORLD = """
vars:
  sender: ${faker.twilio_number}
  handset: ${faker.handset}
setup:
  accounts:
    acme: {type: full, numbers: ["${sender}"]}
  providers:
    main: {account: acme}
"""


@pytest.fixture
def scenario_file(tmp_path: Path) -> Callable[..., Path]:
    """``scenario_file("name", text)`` writes ``name.scenario.yaml`` and returns its path."""

    def write(name: str, text: str) -> Path:
        path = tmp_path / f"{name}.scenario.yaml"
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    return write
