"""Every page of both web UIs loads without an error in the browser's console: no missing
asset (the favicon included, which a browser asks for on its own), no script error."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
from browser_helpers import wait_for

from smsim.client import ClientConfig, ClientServer
from smsim.testing import ControlClient

SIMULATOR_PAGES = ("/", "/outcomes", "/accounts", "/clock")
DASHBOARD_PAGES = ("/", "/test-sms", "/campaigns", "/events")


@pytest.fixture
def client_url(simulator: Any) -> Iterator[str]:
    config = ClientConfig(memory=True, twilio_base_url=simulator.url, account_id="acme")
    with ClientServer(config) as client:
        yield client.url


def _load(driver: Any, url: str) -> None:
    driver.get(url)
    wait_for(driver, lambda d: d.execute_script("return document.readyState") == "complete")


def test_every_page_of_both_uis_loads_without_console_errors(
    browser: Any, simulator: Any, smsim_control: ControlClient, client_url: str
) -> None:
    browser.get_log("browser")
    for base, paths in ((simulator.url, SIMULATOR_PAGES), (client_url, DASHBOARD_PAGES)):
        for path in paths:
            _load(browser, base + path)
    # A page's favicon is asked for after its load event; the next page's load settles it,
    # so the log is read once at the end, each entry naming the URL that failed.
    _load(browser, simulator.url + "/")
    errors = [
        entry["message"] for entry in browser.get_log("browser") if entry["level"] == "SEVERE"
    ]
    assert errors == []


def test_both_uis_name_an_icon_that_is_served(simulator: Any, client_url: str) -> None:
    for base in (simulator.url, client_url):
        page = requests.get(base + "/", timeout=10).text
        assert 'rel="icon"' in page
        href = page.split('rel="icon"', 1)[1].split('href="', 1)[1].split('"', 1)[0]
        icon = requests.get(base + href, timeout=10)
        assert icon.status_code == 200, (base, href)
        assert icon.headers["Content-Type"].startswith("image/svg+xml")
