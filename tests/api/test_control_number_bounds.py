"""Every number in a rule (and an inbound message's segment count) is bounded: a
field-named 400, never a 500, never stored.

``"count": 9223372036854775808`` failed the insert (a 500); ``"probability": NaN`` was
stored and made ``GET /_smsim/rules`` invalid JSON; ``1e308`` seconds or an error code
past 64 bits were accepted and broke the message they matched later.
"""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
import requests

from smsim.simulator import bounds
from smsim.simulator.rules import RuleError, validate_rule
from smsim.simulator.server import SimulatorServer
from smsim.testing import ControlClient

OK_OUTCOME = {"error_code": 30003}

# (body as JSON text, the field the 400 names). Text, so that numbers past what Python's
# json.dumps writes (and past 64 bits) reach the server exactly as typed.
# Integers past 64 bits are refused by the JSON reader itself, which names the place in
# the body (no "rule." prefix: it reads the body before it is a rule).
BAD_RULES = [
    ('{"outcome": {"error_code": 30003}, "count": 9223372036854775808}', "count"),
    ('{"outcome": {"error_code": 30003}, "count": 1e308}', "rule.count"),
    ('{"outcome": {"error_code": 30003}, "count": 1000000001}', "rule.count"),
    ('{"outcome": {"error_code": 30003}, "count": 0}', "rule.count"),
    ('{"outcome": {"error_code": 30003}, "probability": 1e308}', "rule.probability"),
    ('{"outcome": {"error_code": 30003}, "probability": -1e-300}', "rule.probability"),
    ('{"outcome": {"delays": {"sent": 1e308}}}', "rule.outcome.delays.sent"),
    ('{"outcome": {"delays": {"delivered": 604801}}}', "rule.outcome.delays.delivered"),
    ('{"outcome": {"delays": {"sending": -1}}}', "rule.outcome.delays.sending"),
    ('{"outcome": {"error_code": 99999999999999999999}}', "outcome.error_code"),
    ('{"outcome": {"error_code": "99999999999999999999"}}', "rule.outcome.error_code"),
    ('{"outcome": {"error_code": 100000}}', "rule.outcome.error_code"),
    (
        '{"rules": [{"outcome": {"error_code": 30003}},'
        ' {"outcome": {"error_code": 30003}, "count": 9223372036854775808}]}',
        "rules[1].count",
    ),
]


@pytest.fixture
def sim() -> Any:
    from smsim.simulator.config import SimulatorConfig

    config = SimulatorConfig(memory=True, port=0, clock="virtual", threads=4, webhook_workers=2)
    with SimulatorServer(config) as server:
        yield server


def _post(url: str, text: str) -> requests.Response:
    return requests.post(
        f"{url}/_smsim/rules",
        data=text.encode(),
        headers={"Content-Type": "application/json"},
        timeout=5,
    )


@pytest.mark.parametrize(("body", "field"), BAD_RULES)
def test_an_out_of_range_number_is_a_400_naming_its_field(
    sim: SimulatorServer, body: str, field: str
) -> None:
    response = _post(sim.url, body)
    assert response.status_code == 400, response.text
    answer = response.json()
    assert answer["message"].startswith(f"{field}: "), answer
    assert answer["status"] == 400 and answer["code"] == 20001
    assert ControlClient(sim.url).rules() == []  # nothing stored, not even rules[0]


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity"])
def test_a_non_finite_number_is_refused_and_the_rules_stay_valid_json(
    sim: SimulatorServer, token: str
) -> None:
    """However the body's parser treats the token (refusing it, or reading it as a float
    the rule then refuses), nothing is stored and the list stays strict JSON."""
    body = '{"outcome": {"error_code": 30003}, "probability": TOKEN}'.replace("TOKEN", token)
    response = _post(sim.url, body)
    assert response.status_code == 400, response.text
    listed = requests.get(f"{sim.url}/_smsim/rules", timeout=5)
    strict = json.loads(listed.text, parse_constant=_refuse_constant)
    assert strict == {"rules": []}


def _refuse_constant(name: str) -> None:
    raise AssertionError(f"GET /_smsim/rules is not valid JSON: it holds {name}")


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        ({"outcome": OK_OUTCOME, "probability": math.nan}, "rule.probability"),
        ({"outcome": OK_OUTCOME, "probability": math.inf}, "rule.probability"),
        ({"outcome": {"delays": {"sent": math.inf}}}, "rule.outcome.delays.sent"),
        ({"outcome": {"delays": {"delivered": -math.inf}}}, "rule.outcome.delays.delivered"),
        ({"outcome": OK_OUTCOME, "count": math.nan}, "rule.count"),
    ],
)
def test_the_domain_refuses_non_finite_values_however_they_arrive(
    spec: dict[str, Any], field: str
) -> None:
    """From YAML (``.nan``, ``.inf``) or any parser that reads them, a rule is checked
    the same: JSON Schema's ``minimum``/``maximum`` alone let NaN through."""
    with pytest.raises(RuleError) as refused:
        validate_rule(spec)
    assert refused.value.message == f"{field}: {bounds.NON_FINITE}"


def test_the_largest_values_are_accepted_and_work(sim: SimulatorServer) -> None:
    control = ControlClient(sim.url)
    rule = control.add_rule(
        {
            "outcome": {
                "error_code": "99999",
                "delays": {"sending": 0, "sent": 604800, "delivered": 604800},
            },
            "probability": 1,
            "count": 1_000_000_000,
        }
    )
    assert rule["count"] == rule["remaining"] == 1_000_000_000
    assert rule["outcome"]["error_code"] == 99999
    assert rule["outcome"]["status"] == "undelivered"  # not in the catalogue
    account = control.create_account("full", numbers=["+14155550100"])
    created = requests.post(
        f"{sim.url}/2010-04-01/Accounts/{account['sid']}/Messages.json",
        data={"To": "+14155550123", "From": "+14155550100", "Body": "x"},
        auth=(account["sid"], account["auth_token"]),
        timeout=5,
    )
    assert created.status_code == 201
    control.run_until_idle()
    message = control.messages(sid=created.json()["sid"])[0]
    assert (message["status"], message["error_code"]) == ("undelivered", 99999)
    assert control.rules()[0]["remaining"] == 999_999_999


@pytest.mark.parametrize("segments", ["99999999999999999999", "256", "0", "1e308"])
def test_an_inbound_segment_count_out_of_range_is_a_400(
    sim: SimulatorServer, segments: str
) -> None:
    """A count past 64 bits failed the insert with a 500; a concatenated SMS has at most
    255 parts (its header counts them in one byte)."""
    number = ControlClient(sim.url).create_account("full", numbers=["+14155550100"])
    to = number["numbers"][0]["phone_number"]
    body = '{"from": "+14155550123", "to": "TO", "body": "x", "num_segments": SEGMENTS}'
    body = body.replace("TO", to).replace("SEGMENTS", segments)
    response = requests.post(
        f"{sim.url}/_smsim/inbound",
        data=body.encode(),
        headers={"Content-Type": "application/json"},
        timeout=5,
    )
    assert response.status_code == 400, response.text
    assert response.json()["message"].startswith("num_segments: "), response.text
    assert ControlClient(sim.url).messages() == []


def test_the_rule_schema_states_the_limits_the_code_keeps() -> None:
    """The schema (which documents and checks a rule) and the config's own checks use the
    same numbers: a delay allowed in a rule is allowed in ``delays:`` and the reverse."""
    from smsim.contracts import schema

    rule = schema("rule")
    assert rule["$defs"]["seconds"]["maximum"] == bounds.MAX_DELAY_SECONDS
    assert rule["properties"]["count"]["maximum"] == bounds.MAX_RULE_COUNT
    assert rule["properties"]["probability"]["maximum"] == 1
    error_code = rule["properties"]["outcome"]["properties"]["error_code"]
    assert error_code["maximum"] == bounds.MAX_ERROR_CODE
    digits = len(str(bounds.MAX_ERROR_CODE))
    assert error_code["pattern"] == f"^[0-9]{{1,{digits}}}$"
