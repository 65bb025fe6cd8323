"""The browser fixture itself: a page served on loopback renders and runs its script, and
the launcher it shares with docs/'s screenshot scripts leaves no profile behind."""

from __future__ import annotations

from pathlib import Path

import pytest
from browser_helpers import chromium, wait_for
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


def _profile_of(driver) -> Path:
    return Path(driver.capabilities["chrome"]["userDataDir"])


def test_the_launcher_removes_its_profile_when_the_browser_quits(browser) -> None:
    # `browser` proves Chromium is installed (or skips); the launcher under test is the
    # one the screenshot scripts call too.
    with chromium(500, 600) as driver:
        profile = _profile_of(driver)
        assert profile.is_dir() and profile.name.startswith("smsim-chromium-")
        assert driver.execute_script("return window.outerWidth") == 500
    assert not profile.exists()


def test_the_launcher_removes_its_profile_when_the_caller_fails(browser) -> None:
    with pytest.raises(RuntimeError, match="the script broke"), chromium() as driver:
        profile = _profile_of(driver)
        raise RuntimeError("the script broke")
    assert not profile.exists()
