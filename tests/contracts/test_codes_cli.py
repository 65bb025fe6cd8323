"""``smsim codes``: the catalogue as a table and as JSON, with triggers that really
produce their codes on a running simulator."""

from __future__ import annotations

import json

import pytest
import requests

from smsim import cli
from smsim.contracts import catalogue


def _codes_json(capsys) -> list[dict]:
    assert cli.main(["codes", "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_json_lists_every_catalogued_code_with_both_descriptions(capsys) -> None:
    rows = _codes_json(capsys)
    assert [r["code"] for r in rows] == [e.code for e in catalogue.all_entries()]
    by_code = {r["code"]: r for r in rows}
    assert by_code[30007]["clevertap_description"] == "Carrier violation"
    assert by_code[30007]["twilio_title"] == "Message filtered"
    assert (by_code[30005]["kind"], by_code[30005]["terminal_status"]) == ("async", "undelivered")
    assert by_code[30005]["triggers"] == [{"field": "To", "value": "+15005553005"}]
    assert by_code[21211]["triggers"] == [{"field": "To", "value": "+15005550001"}]
    assert by_code[21212]["triggers"] == [{"field": "From", "value": "+15005550001"}]
    assert by_code[21610]["kind"] == "both"
    assert {c for c in catalogue.async_codes() if not by_code[c]["triggers"]} == set()


def test_table_shows_code_kind_trigger_and_descriptions(capsys) -> None:
    assert cli.main(["codes"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:4] == ["CODE", "KIND", "STATUS", "TRIGGER"]
    row = next(line for line in lines if line.startswith("30005"))
    assert "async" in row and "To +15005553005" in row and "Unknown destination handset" in row
    assert len([line for line in lines if line[:5].isdigit()]) == len(catalogue.all_entries())


def test_codes_is_listed_in_the_cli_help(capsys) -> None:
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    assert "codes" in capsys.readouterr().out


def test_every_listed_trigger_produces_its_code(capsys, simulator, smsim_control) -> None:
    account = smsim_control.create_account("full", numbers=["+14155550100"])
    url = f"{simulator.url}/2010-04-01/Accounts/{account['sid']}/Messages.json"
    auth = (account["sid"], account["auth_token"])
    created: dict[str, int] = {}
    for row in _codes_json(capsys):
        for trigger in row["triggers"]:
            form = {"To": "+14155550199", "From": "+14155550100", "Body": "code"}
            form[trigger["field"]] = trigger["value"]
            response = requests.post(url, data=form, auth=auth, timeout=5)
            if response.status_code == 201:
                created[response.json()["sid"]] = row["code"]
            else:
                assert response.json()["code"] == row["code"], trigger
    smsim_control.run_until_idle()
    assert len(created) == len(catalogue.async_codes()) - 2  # 21610/21614 refuse at once
    for sid, code in created.items():
        message = requests.get(url.replace(".json", f"/{sid}.json"), auth=auth, timeout=5).json()
        assert message["error_code"] == code
        assert message["status"] == catalogue.require(code).terminal_status
