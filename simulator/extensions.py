"""Attach optional engine modules to an :class:`~smsim.simulator.engine.Engine`.

Each module that extends the engine (Messaging Services, inbound messages and opt-out)
exposes ``attach(engine)``; listing them here keeps the engine itself unaware of them.
"""

from __future__ import annotations

import importlib
from typing import Any

MODULES: tuple[str, ...] = ()


def attach(engine: Any) -> None:
    for name in MODULES:
        module = importlib.import_module(f"smsim.simulator.{name}")
        engine.extensions[name] = module.attach(engine)
