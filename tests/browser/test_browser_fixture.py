"""The browser fixture itself: a page served on loopback renders and runs its script."""

from __future__ import annotations

from browser_helpers import wait_for
from flask import Flask

from smsim.serving import start_server, stop_server


def test_chromium_renders_a_local_page_and_runs_its_script(browser) -> None:
    app = Flask("probe")

    @app.get("/")
    def index() -> str:
        return (
            "<!doctype html><title>probe</title><p id=out>static</p>"
            "<script>document.getElementById('out').textContent = 'scripted';</script>"
        )

    server, thread = start_server(app, "127.0.0.1", 0, 2, "browser-probe")
    try:
        browser.get(f"http://127.0.0.1:{server.effective_port}/")
        # wait_for raises unless the page's script ran within its timeout.
        wait_for(browser, lambda d: d.find_element("id", "out").text == "scripted")
        assert browser.title == "probe"
    finally:
        stop_server(server, thread)
