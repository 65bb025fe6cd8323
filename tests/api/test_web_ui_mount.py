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


def test_dashboard_url_puts_the_dashboard_in_the_nav_and_a_bad_one_is_refused() -> None:
    import pytest

    from smsim.simulator.config import load_config
    from smsim.simulator.errors import ConfigError

    assert "Dashboard" not in _client().get("/").get_data(as_text=True)
    html = _client(dashboard_url="http://127.0.0.1:8911").get("/clock").get_data(as_text=True)
    assert 'href="http://127.0.0.1:8911/"' in html and "Dashboard" in html
    # As `smsim up` or a user would give it: the variable, checked like any setting.
    config = load_config(environ={"SMSIM_DASHBOARD_URL": "http://127.0.0.1:8911/"})
    assert config.dashboard_url == "http://127.0.0.1:8911/"
    with pytest.raises(ConfigError, match="dashboard_url: must be an absolute http"):
        load_config(environ={"SMSIM_DASHBOARD_URL": "127.0.0.1:8911"})


def test_an_unknown_message_page_is_html_and_its_json_route_stays_json() -> None:
    client = _client()
    page = client.get("/messages/SMdoesnotexist", headers={"Accept": "text/html"})
    assert page.status_code == 404 and page.mimetype == "text/html"
    assert "/messages/SMdoesnotexist" in page.get_data(as_text=True)
    api = client.get("/_smsim/messages/SMdoesnotexist")
    assert api.status_code == 404 and api.get_json()["code"] == 20404


def test_a_browser_gets_a_404_page_for_an_unknown_address_and_scripts_get_json() -> None:
    client = _client()
    browser_accept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    page = client.get("/no/such/page", headers={"Accept": browser_accept})
    assert page.status_code == 404 and page.mimetype == "text/html"
    assert "Nothing here" in page.get_data(as_text=True)
    for path, accept in (("/no/such/page", "*/*"), ("/_smsim/nothing", browser_accept)):
        answer = client.get(path, headers={"Accept": accept})
        assert answer.status_code == 404 and answer.get_json()["code"] == 20404, path
    assert _client(ui=False).get("/no/such/page", headers={"Accept": browser_accept}).is_json


def test_first_message_hint_sends_from_a_trial_account_only_to_a_verified_number() -> None:
    client = _client(create_default_accounts=False)
    assert "Create an account" in client.get("/").get_data(as_text=True)
    created = client.post(
        "/_smsim/accounts",
        json={"type": "trial", "numbers": ["+15005550006"], "verified_numbers": ["+12125550123"]},
    )
    assert created.status_code == 201, created.get_data(as_text=True)
    html = client.get("/").get_data(as_text=True)
    assert "To=+12125550123" in html and "From=+15005550006" in html
