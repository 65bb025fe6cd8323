"""The Outcomes page tells people which number produces which code: every number it lists
must really produce that code, and every catalogued code must be on the page."""

from __future__ import annotations

import pytest
import requests

from smsim.contracts import catalogue
from smsim.simulator.config import SimulatorConfig
from smsim.simulator.http.app import create_app
from smsim.simulator.outcome_triggers import outcome_rows

pytestmark = pytest.mark.both_engines

OWN_NUMBER = "+14155550100"
HANDSET = "+14155550123"


def test_every_listed_number_produces_its_code(simulator, smsim_control, twilio_account) -> None:
    sid, token = twilio_account["sid"], twilio_account["auth_token"]
    checked = 0
    for row in outcome_rows():
        for trigger in row.triggers:
            if trigger.kind == "request":
                continue
            answer = requests.post(
                f"{simulator.url}/2010-04-01/Accounts/{sid}/Messages.json",
                data={
                    "To": trigger.value if trigger.kind == "to" else HANDSET,
                    "From": trigger.value if trigger.kind == "from" else OWN_NUMBER,
                    "Body": "which code?",
                },
                auth=(sid, token),
                timeout=5,
            )
            if answer.status_code >= 400:
                assert row.is_sync, (row.code, trigger, answer.text)
                assert answer.json()["code"] == row.code, (trigger, answer.text)
            else:
                smsim_control.run_until_idle()
                message = smsim_control.messages(sid=answer.json()["sid"])[0]
                assert (message["status"], message["error_code"]) == (
                    row.terminal_status,
                    row.code,
                ), trigger
            checked += 1
    assert checked >= 20  # the magic numbers and every catalogue number


def test_outcomes_page_lists_every_code_with_copyable_numbers() -> None:
    client = create_app(SimulatorConfig(memory=True, clock="virtual")).test_client()
    page = client.get("/outcomes")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for entry in catalogue.all_entries():
        assert f'id="code-{entry.code}"' in html
    assert 'data-copy="+15005553005"' in html and 'data-rule-code="30005"' in html
    assert 'data-copy="+15005550008"' in html  # a From number: 21611
    assert html.index('id="code-30005"') < html.index('id="code-21211"')  # callback codes first
