"""How the HTTP layer reaches its :class:`~smsim.simulator.engine.Engine` and the change
feed that waiting requests sleep on: the app factory stores both once with
:func:`bind_engine`; views ask :func:`current_engine` (or :func:`engine_of` an app)."""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

from flask import Flask, current_app

from smsim.simulator.engine import Engine
from smsim.simulator.watch import ChangeFeed

_ENGINE_KEY = "smsim.engine"
_FEED_KEY = "smsim.change_feed"
_WAITING_KEY = "smsim.waiting_requests"


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


def bind_waiting_count(app: Flask, count: Callable[[], int]) -> None:
    """Tell ``app`` how many requests its server has parked on the waiter pool (the
    server is built after the app, so it is bound once the server is)."""
    app.extensions[_WAITING_KEY] = count


def waiting_requests(app: Flask) -> int:
    """Requests parked on the waiter pool of the server running ``app`` (0 when no
    server runs it, e.g. Flask's test client)."""
    count = app.extensions.get(_WAITING_KEY)
    return int(count()) if count is not None else 0
