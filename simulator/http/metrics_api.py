"""``GET /_smsim/metrics``: the simulator's Prometheus metrics in the text format
(:mod:`smsim.simulator.metrics`), guarded like every control route (docs/security.md)."""

from __future__ import annotations

from typing import cast

from flask import Blueprint, Flask, Response, current_app, request
from prometheus_client import CollectorRegistry
from prometheus_client.exposition import choose_encoder

from smsim.simulator.engine import Engine
from smsim.simulator.metrics import simulator_registry

blueprint = Blueprint("metrics", __name__, url_prefix="/_smsim")
_EXTENSION = "smsim_metrics"


def install(app: Flask, engine: Engine) -> None:
    """Give ``app`` the route and a registry of its own over ``engine``'s store."""
    app.extensions[_EXTENSION] = simulator_registry(
        engine.message_rows, engine.attempts, engine.scheduler
    )
    app.register_blueprint(blueprint)


@blueprint.get("/metrics")
def metrics() -> Response:
    registry = cast(CollectorRegistry, current_app.extensions[_EXTENSION])
    # the text format, or OpenMetrics when the scraper's Accept asks for it
    encode, content_type = choose_encoder(request.headers.get("Accept", ""))
    return Response(encode(registry), content_type=content_type)
