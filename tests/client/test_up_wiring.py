"""``smsim up``'s wiring: every number it sets up sends its inbound messages to the
client, so a handset's reply to any of them is a "Notification Replied" for the campaign
it answers."""

from __future__ import annotations

import requests
from up_helpers import up_stack

from smsim.testing import poll

HANDSET = "+14155550123"


def test_every_number_of_both_accounts_points_at_the_client_receiver() -> None:
    with up_stack() as stack:
        receiver = stack.client.url + "/sms/twilio"
        numbers = [n for a in stack.control.accounts() for n in a["numbers"]]
        main_numbers = [n["phone_number"] for n in stack.wired["main"]["numbers"]]
        assert "+15005550006" in main_numbers
        assert numbers and {n["sms_url"] for n in numbers} == {receiver}


def test_a_reply_to_main_is_counted_as_replied_for_the_campaign_it_answers() -> None:
    with up_stack() as stack:
        first = stack.api(
            "POST",
            "/api/campaigns",
            json={"message": "first", "recipients": [HANDSET], "provider": "main"},
        )
        second = stack.api(
            "POST",
            "/api/campaigns",
            json={"message": "second", "recipients": [HANDSET], "provider": "main"},
        )
        for campaign in (first, second):
            stack.api("GET", f"/api/campaigns/{campaign['id']}?wait=20")
        stack.control.inbound(HANDSET, "+15005550006", "YES please")
        replied = poll(
            lambda: stack.api("GET", f"/api/campaigns/{second['id']}/stats")["replied"],
            20,
            "the reply to reach the client",
        )
        assert replied == 1
        assert stack.api("GET", f"/api/campaigns/{first['id']}/stats")["replied"] == 0
        events = stack.api("GET", "/api/events?name=Notification+Replied")["events"]
        assert [(e["campaign_id"], e["props"]["body"]) for e in events] == [
            (second["id"], "YES please")
        ]


def test_the_inbox_links_the_dashboard_it_runs_with() -> None:
    with up_stack() as stack:
        page = requests.get(stack.sim.url + "/", timeout=10)
        assert page.status_code == 200
        assert f'href="{stack.client.url}/"' in page.text and "Dashboard" in page.text
