"""How the HTTP layer reaches its :class:`~smsim.simulator.engine.Engine`: the app
factory stores it once with :func:`bind_engine`; views ask :func:`current_engine`."""

from __future__ import annotations

from typing import cast

from flask import Flask, current_app

from smsim.simulator.engine import Engine

_ENGINE_KEY = "smsim.engine"


def bind_engine(app: Flask, engine: Engine) -> None:
    app.extensions[_ENGINE_KEY] = engine


def engine_of(app: Flask) -> Engine:
    """The engine behind ``app``."""
    return cast(Engine, app.extensions[_ENGINE_KEY])


def current_engine() -> Engine:
    """The engine behind the app handling the current request."""
    return engine_of(current_app)
