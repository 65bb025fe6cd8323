"""How the HTTP layer reaches its :class:`~smsim.simulator.engine.Engine` and the change
feed that waiting requests sleep on: the app factory stores both once with
:func:`bind_engine`; views ask :func:`current_engine` (or :func:`engine_of` an app)."""

from __future__ import annotations

from typing import cast

from flask import Flask, current_app

from smsim.simulator.engine import Engine
from smsim.simulator.watch import ChangeFeed

_ENGINE_KEY = "smsim.engine"
_FEED_KEY = "smsim.change_feed"


def bind_engine(app: Flask, engine: Engine, feed: ChangeFeed) -> None:
    app.extensions[_ENGINE_KEY] = engine
    app.extensions[_FEED_KEY] = feed


def engine_of(app: Flask) -> Engine:
    """The engine behind ``app``."""
    return cast(Engine, app.extensions[_ENGINE_KEY])


def current_engine() -> Engine:
    """The engine behind the app handling the current request."""
    return engine_of(current_app)


def change_feed(app: Flask) -> ChangeFeed:
    """What waiting requests sleep on; closing it ends every wait (server stop)."""
    return cast(ChangeFeed, app.extensions[_FEED_KEY])


def release_waiters(app: Flask) -> None:
    """Wake every parked request so it answers now; later waits return at once."""
    change_feed(app).close()
