"""The suite tests the checkout it sits in: after an edit, the README's ``pytest`` (or
``python -m pytest``) runs the edited files, never a copy installed before the edit."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# pyproject's package-dir: each top-level folder is one part of the package smsim.
PARTS = {
    "smsim": "smsim",
    "smsim.simulator": "simulator",
    "smsim.simulator.http": "simulator/http",
    "smsim.client": "client",
    "smsim.contracts": "contracts",
    "smsim.scenarios": "scenarios",
}


@pytest.mark.parametrize(("module", "folder"), sorted(PARTS.items()))
def test_each_part_of_smsim_is_imported_from_this_checkout(module: str, folder: str) -> None:
    imported = importlib.import_module(module)
    assert imported.__file__ is not None
    assert Path(imported.__file__).resolve() == ROOT / folder / "__init__.py", (
        f"{module} comes from {imported.__file__}, not this checkout: "
        'install it editable (pip install -e ".[test]")'
    )
