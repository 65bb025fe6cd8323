"""Screenshots of the client dashboard for the README, from a real run.

    python docs/screenshots_dashboard.py [--out docs/images]

Starts a simulator (virtual clock, in memory) and the client wired to it, adds a provider,
sends a campaign to the catalogue's failure numbers and a few normal handsets with click
tracking, lets the simulator deliver, clicks one tracked link, then saves with headless
Chromium (Debian's chromium and chromedriver):

- ``dashboard-providers.png``: the Providers page;
- ``dashboard-campaign-errors.png``: the campaign's Stats tab with its Errors tab;
- ``dashboard-campaign-chart.png``: its events over time;
- ``dashboard-providers-400.png``, ``dashboard-campaign-400.png``: both on a 400 px phone.

The client knows the simulator's inbox as under ``smsim up``, so the nav and every SID
link to it.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import requests

# The launcher the browser tests use: one way to start Chromium, its profile removed after.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from browser_helpers import chromium

from smsim.client import ClientConfig, ClientServer
from smsim.simulator.config import SimulatorConfig
from smsim.simulator.server import SimulatorServer
from smsim.testing import ControlClient

TWILIO_NUMBER = "+15017250604"
RECIPIENTS = [f"+1500555300{n}" for n in range(1, 9)] + [
    f"+1415555{n:04d}" for n in range(101, 113)
]


def _wait(predicate: Any, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise RuntimeError("the page did not reach the expected state")
        time.sleep(0.1)


def _shoot(browser: Any, url: str, campaign_id: int, out: Path, suffix: str) -> list[Path]:
    """The Providers page and the campaign's Stats page (and its chart at full width)."""
    saved = []
    browser.get(url + "/")
    _wait(lambda: "trial" in browser.find_element("id", "providers").text)
    saved.append(out / f"dashboard-providers{suffix}.png")
    browser.save_screenshot(str(saved[-1]))
    browser.get(f"{url}/campaigns/{campaign_id}")
    _wait(lambda: len(browser.find_elements("css selector", "#errors tr[data-code]")) == 8)
    saved.append(out / f"dashboard-campaign{suffix or '-errors'}.png")
    browser.save_screenshot(str(saved[-1]))
    if not suffix:
        browser.find_element("id", "tab-chart").click()
        _wait(lambda: bool(browser.find_elements("css selector", "#chart rect")))
        saved.append(out / "dashboard-campaign-chart.png")
        browser.save_screenshot(str(saved[-1]))
    return saved


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=str(Path(__file__).parent / "images"))
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    sim_config = SimulatorConfig(memory=True, port=0, clock="virtual")
    with SimulatorServer(sim_config) as sim:
        control = ControlClient(sim.url)
        account = control.create_account("full", numbers=[TWILIO_NUMBER])
        trial = control.create_account("trial", numbers=["+15017250605"])
        config = ClientConfig(
            memory=True, twilio_base_url=sim.url, account_id="acme", inbox_url=sim.url
        )
        with ClientServer(config) as client:
            api = client.url + "/api"
            for nickname, acct in (("main", account), ("trial", trial)):
                settings = {
                    "nickname": nickname,
                    "account_sid": acct["sid"],
                    "auth_token": acct["auth_token"],
                    "from_numbers": [n["phone_number"] for n in acct["numbers"]],
                    "template_id_required": nickname == "trial",
                }
                requests.post(api + "/providers", json=settings, timeout=10).raise_for_status()
            campaign = requests.post(
                api + "/campaigns",
                json={
                    "name": "Spring sale",
                    "message": "Spring sale: 20% off today only https://shop.example.com/spring",
                    "recipients": RECIPIENTS,
                    "click_tracking": True,
                },
                timeout=30,
            ).json()
            requests.get(f"{api}/campaigns/{campaign['id']}?wait=30", timeout=40)
            control.run_until_idle()
            for handset in RECIPIENTS[8:11]:
                body = control.messages(to=handset)[0]["body"]
                link = next(w for w in body.split() if "/c/" in w)
                requests.get(link, allow_redirects=False, timeout=10)
            saved = []
            for width, suffix in ((1280, ""), (400, "-400")):
                with chromium(max(width, 500), 800 if width > 400 else 1400) as browser:
                    if width < 500:  # below Chromium's smallest window: emulate the phone's
                        metrics = {"width": width, "height": 1400, "deviceScaleFactor": 1}
                        browser.execute_cdp_cmd(
                            "Emulation.setDeviceMetricsOverride", {**metrics, "mobile": False}
                        )
                    saved += _shoot(browser, client.url, campaign["id"], out, suffix)
    print("saved " + ", ".join(str(p) for p in saved))
    return 0


if __name__ == "__main__":
    sys.exit(main())
