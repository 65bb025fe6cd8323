"""Screenshots of the web inbox for the README: ``python docs/screenshots.py``.

Starts a simulator (in memory, virtual clock) and a webhook receiver, sends a few
messages with different outcomes (delivered, undelivered 30005, failed 30001, callbacks
to a receiver that is down, a handset's reply answered with TwiML), then drives the
system Chromium through selenium (``apt-get install chromium chromium-driver``) at
1280x800 and saves PNGs of the home page, a conversation and a message's detail into
``docs/images/``, then the Outcomes, Accounts and Clock pages (``screenshots_admin``).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import requests
from screenshots_admin import capture_admin_pages, chromium, seed_admin_demo

from smsim.simulator.config import SimulatorConfig
from smsim.simulator.server import SimulatorServer
from smsim.testing import CallbackRecorder, ControlClient

IMAGES = Path(__file__).resolve().parent / "images"
NUMBER = "+14155550100"
HANDSET = "+14155550123"


def _fix_viewport(browser: Any) -> None:
    """The page itself is 1280x800, whatever the headless window's frame takes."""
    browser.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": 1280, "height": 800, "deviceScaleFactor": 1, "mobile": False},
    )


def _populate(sim: SimulatorServer, receiver: CallbackRecorder) -> str:
    """Send the sample traffic; returns the SID of a message whose callbacks were lost."""
    control = ControlClient(sim.url)
    account = control.create_account(
        "full",
        friendly_name="Demo shop",
        numbers=[{"phone_number": NUMBER, "sms_url": receiver.url("/sms/inbound")}],
    )
    receiver.respond(
        200,
        '<?xml version="1.0" encoding="UTF-8"?><Response>'
        "<Message>Your table is booked for 7 pm. Reply STOP to opt out.</Message></Response>",
    )
    auth = (account["sid"], account["auth_token"])
    api = f"{sim.url}/2010-04-01/Accounts/{account['sid']}/Messages.json"
    status_url = receiver.url("/sms/status")

    def send(to: str, body: str, callback: str = status_url) -> str:
        form = {"To": to, "From": NUMBER, "Body": body, "StatusCallback": callback}
        response = requests.post(api, data=form, auth=auth, timeout=10)
        response.raise_for_status()
        return str(response.json()["sid"])

    send(HANDSET, "Hi Ana, your order #1042 has shipped.")
    send("+15005553005", "Your code is 481516.")
    send("+15005553001", "Flash sale: 20% off today only.")
    lost = send("+14155550188", "Your appointment is tomorrow at 10:00.", "http://127.0.0.1:9/down")
    send("+14155550177", "<script>alert(1)</script> shows as text")
    control.run_until_idle()
    control.inbound(HANDSET, NUMBER, "Great, thanks! Can I book a table for tonight?")
    control.run_until_idle()
    return lost


def main() -> int:
    IMAGES.mkdir(parents=True, exist_ok=True)
    config = SimulatorConfig(memory=True, port=0, clock="virtual")
    with (
        CallbackRecorder() as receiver,
        SimulatorServer(config) as sim,
        chromium(1280, 800, ("--hide-scrollbars",)) as browser,
    ):
        lost_sid = _populate(sim, receiver)
        _fix_viewport(browser)
        shots = {
            "inbox-messages.png": "/",
            "inbox-conversation.png": f"/conversations/{HANDSET}",
            "inbox-message.png": f"/messages/{lost_sid}",
        }
        for name, path in shots.items():
            browser.get(sim.url + path)
            browser.find_element("id", "live")  # the page has rendered
            browser.execute_script("return document.fonts && document.fonts.ready")
            browser.save_screenshot(str(IMAGES / name))
            print(f"saved {IMAGES / name}")
        # Then the admin pages, over the same traffic plus what a new user sets up.
        seed_admin_demo(sim.url)
        for target in capture_admin_pages(browser, sim.url, IMAGES):
            print(f"saved {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
