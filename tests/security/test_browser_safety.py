"""The attacks as a real browser makes them: a page on another origin auto-submits a
form to the simulator, and a page of the simulator's own origin writes with fetch."""

from __future__ import annotations

import pytest
from security_helpers import control_state, seed_state

from smsim.testing import CallbackRecorder

TOKEN = "browser-test-token"


def evil_page(target: str) -> str:
    """A page that POSTs to ``target`` as soon as it loads: a text/plain form shaped as
    JSON, which needs no CORS preflight."""
    return f"""<!doctype html><html><body>
<form method="POST" action="{target}" enctype="text/plain">
  <input type="hidden" name='{{"type":"trial","x":"' value='"}}'>
</form>
<script>document.forms[0].submit();</script>
</body></html>"""


@pytest.mark.slow
@pytest.mark.parametrize(
    "evil_host",
    ["localhost", "127.0.0.1"],
    ids=["cross-site", "same-site-other-port"],
)
def test_a_page_elsewhere_cannot_reset_the_simulator(browser, wait_for, sim, evil_host):
    seed_state(sim)
    before = control_state(sim)
    with CallbackRecorder(host="127.0.0.1") as evil:
        evil.respond(200, evil_page(f"{sim.url}/_smsim/reset"), "text/html")
        browser.get(f"http://{evil_host}:{evil.url('/').split(':')[-1]}")
        wait_for(browser, lambda d: d.current_url.startswith(sim.url))
        wait_for(browser, lambda d: "Cross-site request refused" in d.page_source)

    assert control_state(sim) == before
    assert len(before["messages"]) == 1


@pytest.mark.slow
def test_pages_of_the_servers_own_origin_can_write(browser, wait_for, sim):
    seed_state(sim)
    browser.get(f"{sim.url}/_smsim/health")
    wait_for(browser, lambda d: '"status"' in d.page_source)
    status = browser.execute_async_script(
        """const done = arguments[arguments.length - 1];
        fetch('/_smsim/reset', {method: 'POST'}).then(r => done(r.status), e => done(String(e)));"""
    )
    assert status == 200
    assert control_state(sim)["messages"] == []


@pytest.mark.slow
def test_a_browser_opened_once_with_the_token_keeps_access(browser, wait_for, start_simulator):
    sim = start_simulator(control_token=TOKEN)
    headers = {"X-Smsim-Control-Token": TOKEN}
    account_sid = control_state(sim, headers)["accounts"][0]["sid"]

    browser.get(f"{sim.url}/_smsim/accounts")
    wait_for(browser, lambda d: "control token" in d.page_source)
    assert account_sid not in browser.page_source

    browser.get(f"{sim.url}/_smsim/health?token={TOKEN}")
    wait_for(browser, lambda d: '"status"' in d.page_source)
    [cookie] = browser.get_cookies()
    assert cookie["httpOnly"] is True and cookie["sameSite"] == "Strict"
    assert cookie["value"] != TOKEN

    browser.get(f"{sim.url}/_smsim/accounts")
    wait_for(browser, lambda d: account_sid in d.page_source)
    status = browser.execute_async_script(
        """const done = arguments[arguments.length - 1];
        fetch('/_smsim/reset', {method: 'POST'}).then(r => done(r.status), e => done(String(e)));"""
    )
    assert status == 200
