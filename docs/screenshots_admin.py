"""Screenshots of the inbox's admin pages (Outcomes, Accounts, Clock) into docs/images/.

    python docs/screenshots_admin.py    # these three only; docs/screenshots.py makes all

It starts its own in-memory simulator on a free port (virtual clock), gives it the state a
new user would create (a rule, a trial account made usable, a Messaging Service, an API
key, a message waiting on the clock) and saves one PNG per page at 1280 px wide.
:func:`capture_admin_pages` takes any driver and URL, so another screenshot script can
call it with its own browser and server.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import requests

# The launcher the browser tests use: one way to start Chromium, its profile removed after.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from browser_helpers import chromium

IMAGES = Path(__file__).resolve().parent / "images"
WIDTH = 1280
MAX_HEIGHT = 1500

# Page -> (file name, a CSS selector present once the page's script has rendered).
ADMIN_PAGES: dict[str, tuple[str, str]] = {
    "/outcomes": ("outcomes.png", "#rules-body [data-delete-rule]"),
    "/accounts": ("accounts.png", "article.account form"),
    "/clock": ("clock.png", "#clock-mode:not(:empty)"),
}


def seed_admin_demo(base_url: str) -> None:
    """State worth looking at: rules, a usable trial account, a service, a key, a pending job."""
    control = f"{base_url}/_smsim"
    session = requests.Session()
    session.trust_env = False
    rules: list[dict[str, Any]] = [
        {"match": {"to_prefix": "+44"}, "outcome": {"error_code": 30003}, "probability": 0.25},
        {"match": {"body_contains": "promo"}, "outcome": {"error_code": 30007}, "count": 5},
    ]
    for rule in rules:
        session.post(f"{control}/rules", json=rule, timeout=5).raise_for_status()
    accounts = session.get(f"{control}/accounts", timeout=5).json()["accounts"]
    full = next(a for a in accounts if a["type"] == "full")
    trial = next(a for a in accounts if a["type"] == "trial")
    session.post(
        f"{control}/accounts/{trial['sid']}/numbers",
        json={"phone_number": "+14155550177", "sms_url": "http://127.0.0.1:5000/sms"},
        timeout=5,
    ).raise_for_status()
    session.post(
        f"{control}/accounts/{trial['sid']}/verified_numbers",
        json={"phone_number": "+12125550123"},
        timeout=5,
    ).raise_for_status()
    session.post(
        f"{control}/accounts/{full['sid']}/keys", json={"friendly_name": "ci"}, timeout=5
    ).raise_for_status()
    auth = (full["sid"], full["auth_token"])
    service = session.post(
        f"{base_url}/v1/Services", data={"FriendlyName": "Alerts"}, auth=auth, timeout=5
    ).json()
    session.post(
        f"{base_url}/v1/Services/{service['sid']}/PhoneNumbers",
        data={"PhoneNumberSid": full["numbers"][0]["sid"]},
        auth=auth,
        timeout=5,
    ).raise_for_status()
    session.post(
        f"{base_url}/2010-04-01/Accounts/{full['sid']}/Messages.json",
        data={"To": "+14155550100", "From": full["numbers"][0]["phone_number"], "Body": "hi"},
        auth=auth,
        timeout=5,
    ).raise_for_status()


def _rendered(css: str) -> Any:
    """A wait condition: the page's script has drawn an element matching ``css``."""
    from selenium.webdriver.common.by import By

    def condition(driver: Any) -> bool:
        return bool(driver.find_elements(By.CSS_SELECTOR, css))

    return condition


def capture_admin_pages(driver: Any, base_url: str, out_dir: Path = IMAGES) -> list[Path]:
    """Save one PNG per admin page (full page up to MAX_HEIGHT) and return their paths."""
    from selenium.webdriver.support.ui import WebDriverWait

    out_dir.mkdir(parents=True, exist_ok=True)
    saved = []
    for path, (name, ready) in ADMIN_PAGES.items():
        _viewport(driver, 800)
        driver.get(base_url + path)
        WebDriverWait(driver, 15).until(_rendered(ready))
        height = driver.execute_script("return document.documentElement.scrollHeight")
        _viewport(driver, min(int(height), MAX_HEIGHT))
        time.sleep(0.3)  # one frame for the resize to lay out; nothing here to wait on
        target = out_dir / name
        driver.save_screenshot(str(target))
        saved.append(target)
    _viewport(driver, 800)
    return saved


def _viewport(driver: Any, height: int) -> None:
    """Make the page itself WIDTH x height, whatever the headless window's frame takes."""
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": WIDTH, "height": height, "deviceScaleFactor": 1, "mobile": False},
    )


def main() -> int:
    from smsim.simulator.config import SimulatorConfig
    from smsim.simulator.server import SimulatorServer

    with (
        chromium(WIDTH, 800, ("--hide-scrollbars",)) as driver,
        SimulatorServer(SimulatorConfig(memory=True, port=0, clock="virtual")) as sim,
    ):
        seed_admin_demo(sim.url)
        for target in capture_admin_pages(driver, sim.url):
            print(target)
    return 0


if __name__ == "__main__":
    sys.exit(main())
