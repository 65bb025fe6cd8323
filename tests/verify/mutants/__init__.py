"""The mutation suite's receivers: ``correct`` and one module per realistic one-bug
integration, each defining ``Mutant`` (a ``correct.Receiver`` with one method wrong).

When someone finds a bug ``smsim verify`` misses, it becomes a module here first (the
suite then fails), then a check in ``smsim.contracts.verify_plan``.
"""

from __future__ import annotations

import importlib
import pkgutil

from .correct import Receiver


def mutants() -> dict[str, type[Receiver]]:
    """Every mutant class, by module name."""
    found: dict[str, type[Receiver]] = {}
    for info in pkgutil.iter_modules(__path__):
        if info.name != "correct":
            module = importlib.import_module(f"{__name__}.{info.name}")
            found[info.name] = module.Mutant
    return dict(sorted(found.items()))
