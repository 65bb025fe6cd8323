"""The web inbox is mounted at / with its own assets, and --no-ui (ui=False) removes it."""

from __future__ import annotations

from smsim.simulator.config import SimulatorConfig
from smsim.simulator.http.app import create_app


def _client(**settings):
    config = SimulatorConfig(memory=True, clock="virtual", **settings)
    return create_app(config).test_client()


def test_home_is_an_html_page_with_the_shared_assets() -> None:
    client = _client()
    page = client.get("/")
    assert page.status_code == 200
    assert page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert "/_assets/smsim.css" in html and "/_assets/smsim.js" in html
    for href in ("/outcomes", "/accounts", "/clock"):
        assert f'href="{href}"' in html
    css = client.get("/_assets/smsim.css")
    assert css.status_code == 200 and css.mimetype == "text/css"
    assert client.get("/_assets/smsim.js").status_code == 200


def test_no_ui_leaves_only_the_api_surfaces() -> None:
    client = _client(ui=False)
    page = client.get("/")
    assert page.status_code == 404
    assert page.get_json()["code"] == 20404
    assert client.get("/_smsim/health").status_code == 200
