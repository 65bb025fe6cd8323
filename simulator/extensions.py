"""Attach optional engine modules to an :class:`~smsim.simulator.engine.Engine`.

Each module that extends the engine (Messaging Services, inbound messages and opt-out)
exposes ``attach(engine) -> object``; listing them here keeps the engine itself unaware
of them. A module that is not present is skipped.
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import Any

MODULES: tuple[str, ...] = ("services", "inbound", "suspension")


def attach(engine: Any) -> None:
    for name in MODULES:
        module_name = f"smsim.simulator.{name}"
        if importlib.util.find_spec(module_name) is None:
            continue
        module = importlib.import_module(module_name)
        engine.extensions[name] = module.attach(engine)
