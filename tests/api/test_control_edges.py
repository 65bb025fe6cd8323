"""No 500 on the control API: every JSON body is read by one strict parser (deep nesting,
NaN and Infinity, integers SQLite cannot store are refused with a 400 naming the field),
every JSON answer is strict JSON, and ids past what the store holds are 404."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests

JSON = {"Content-Type": "application/json"}
HUGE_ID = "99999999999999999999"  # 20 digits: past SQLite's 2**63 - 1
RULE = '{"match":{"to":"+14155550191"},"outcome":{"status":"delivered"}'


def _strict(text: str) -> Any:
    """``json.loads`` as a browser's ``JSON.parse`` reads: NaN and Infinity are errors."""

    def refuse(name: str) -> Any:
        raise ValueError(f"{name} is not JSON")

    return json.loads(text, parse_constant=refuse)


def _post(url: str, body: str) -> requests.Response:
    return requests.post(url, data=body.encode(), headers=JSON, timeout=30)


@pytest.mark.parametrize("route", ["/_smsim/accounts", "/_smsim/rules", "/_smsim/inbound"])
def test_deeply_nested_json_is_a_400_naming_the_problem(simulator, route):
    response = _post(simulator.url + route, "[" * 100_000)
    assert response.status_code == 400, response.text
    assert "nested too deeply" in response.json()["message"]
    # Nesting a parser survives but no smsim body needs is refused the same way.
    response = _post(simulator.url + route, '{"a":' * 40 + "1" + "}" * 40)
    assert response.status_code == 400, response.text
    assert "nested too deeply" in response.json()["message"]


@pytest.mark.parametrize(
    ("field", "value"),
    [("probability", "NaN"), ("probability", "Infinity"), ("probability", "-Infinity")],
)
def test_nan_and_infinity_in_a_rule_are_refused_naming_the_field(simulator, field, value):
    response = _post(f"{simulator.url}/_smsim/rules", RULE + f',"{field}":{value}}}')
    assert response.status_code == 400, response.text
    assert response.json()["message"].startswith(f"{field}: must be a finite number")
    # Nothing was stored, and the rules list stays JSON a browser can read.
    listed = requests.get(f"{simulator.url}/_smsim/rules", timeout=5)
    assert _strict(listed.text) == {"rules": []}


def test_a_number_that_overflows_to_infinity_is_refused_naming_its_path(simulator):
    body = '{"rules":[' + RULE + "}," + RULE + ',"probability":1e400}]}'
    response = _post(f"{simulator.url}/_smsim/rules", body)
    assert response.status_code == 400, response.text
    assert response.json()["message"].startswith("rules[1].probability: must be a finite")
    assert requests.get(f"{simulator.url}/_smsim/rules", timeout=5).json() == {"rules": []}


@pytest.mark.parametrize("count", ["9223372036854775808", "-9223372036854775809", "9" * 5000])
def test_an_integer_the_store_cannot_hold_is_a_400_not_an_overflow(simulator, count):
    response = _post(f"{simulator.url}/_smsim/rules", RULE + f',"count":{count}}}')
    assert response.status_code == 400, response.text
    message = response.json()["message"]
    assert "out of range" in message or "not a valid JSON" in message
    assert len(message) < 500  # a 5,000-digit number is described, not echoed


def test_every_answer_is_strict_json_after_odd_rules(simulator):
    ok = _post(f"{simulator.url}/_smsim/rules", RULE + ',"probability":0.5,"count":3}')
    assert ok.status_code == 201, ok.text
    for path in ("/_smsim/rules", "/_smsim/accounts", "/_smsim/health", "/_smsim/clock"):
        _strict(requests.get(simulator.url + path, timeout=5).text)


def test_deleting_a_rule_past_the_largest_id_is_404(simulator):
    response = requests.delete(f"{simulator.url}/_smsim/rules/{HUGE_ID}", timeout=5)
    assert (response.status_code, response.json()["code"]) == (404, 20404)
    # 2**63 has 19 digits but is past the largest id too; an Arabic-Indic 5 is no id.
    for rule_id in ("9223372036854775808", "%D9%A5"):
        response = requests.delete(f"{simulator.url}/_smsim/rules/{rule_id}", timeout=5)
        assert response.status_code == 404, (rule_id, response.text)


def test_redelivering_an_attempt_past_the_largest_id_is_404(simulator):
    response = requests.post(f"{simulator.url}/_smsim/callbacks/{HUGE_ID}/redeliver", timeout=5)
    assert (response.status_code, response.json()["code"]) == (404, 20404)


def test_an_inbound_body_that_is_not_json_is_refused_as_the_other_routes_refuse_it(simulator):
    response = _post(f"{simulator.url}/_smsim/inbound", '{"from": NaN}')
    assert response.status_code == 400
    assert response.json()["message"].startswith("from: must be a finite number")


@pytest.mark.parametrize("wait", ["1e309", "inf", "Infinity", "nan"])
def test_a_wait_that_is_not_a_finite_number_is_refused_at_once(simulator, wait):
    # Before: 1e309 and inf read as infinity, capped to a 60-second wait.
    response = requests.get(
        f"{simulator.url}/_smsim/messages", params={"wait": wait, "to": "+1"}, timeout=10
    )
    assert response.status_code == 400, response.text
    assert response.json()["message"].startswith("wait: ")


@pytest.mark.parametrize("media_urls", ["{}", "\"\"", "0", "false", "null"])
def test_inbound_media_urls_that_are_not_a_list_are_refused(simulator, media_urls):
    # Found by schemathesis on smsim's own document: a falsy non-list was read as "no media".
    body = (
        '{"from":"+14155550199","to":"+15005550006","body":"See you at 5",'
        f'"media_urls":{media_urls}}}'
    )
    response = _post(simulator.url + "/_smsim/inbound", body)
    assert response.status_code == 400, response.text
    assert response.json()["message"].startswith("media_urls")


def test_keys_beside_a_rules_list_are_named_not_dropped(simulator):
    response = _post(simulator.url + "/_smsim/rules", '{"rules": [], "probability": 0.5}')
    assert response.status_code == 400, response.text
    assert "probability" in response.json()["message"]
    assert requests.get(simulator.url + "/_smsim/rules", timeout=10).json()["rules"] == []
