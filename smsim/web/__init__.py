"""What both web UIs share: one stylesheet, one small script, one base template.

The simulator's inbox (``smsim serve``) and the client's dashboard (``smsim client serve``)
are server-rendered Jinja2 pages that read and write through the same JSON routes scripts
use. Every asset is served by smsim itself under ``/_assets/`` (no CDN, no Node build), so
the pages work offline. Each app calls :func:`register_assets` once.
"""

from __future__ import annotations

from flask import Blueprint, Flask

ASSETS_PREFIX = "/_assets"


def register_assets(app: Flask) -> None:
    """Serve the shared assets at ``/_assets/`` and make ``smsim_base.html`` extendable."""
    if "smsim_web" in app.blueprints:
        return
    app.register_blueprint(
        Blueprint(
            "smsim_web",
            __name__,
            static_folder="static",
            static_url_path=ASSETS_PREFIX,
            template_folder="templates",
        )
    )
