"""One account spec, one set of rules: the --config file and POST /_smsim/accounts (which a
scenario's setup.accounts goes through) refuse the same mistakes with the same words."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from smsim.simulator.config import from_mapping
from smsim.simulator.errors import ConfigError

SID = "AC" + "ab" * 16

BAD_SPECS = [
    ({"type": "gold"}, "type: must be 'trial' or 'full', not 'gold'"),
    ({"sid": "AC123"}, "sid: must be AC followed by 32 hex digits"),
    ({"auth_token": ""}, "auth_token: must be a non-empty string"),
    ({"numbers": "+14155550001"}, 'numbers: must be a list, e.g. ["+15005550006"]'),
    ({"numbers": [{"nope": 1}]}, "numbers[0].phone_number: is required"),
    ({"numbers": [7]}, "numbers[0]: must be a number or {phone_number: ...}"),
    ({"numbers": ["+1415"]}, "numbers[0]: '+1415' is not a phone number"),
    (
        {"numbers": [{"phone_number": "+14155550001", "sms_method": "PUT"}]},
        "numbers[0].sms_method: must be GET or POST, not 'PUT'",
    ),
    ({"verified_numbers": ["call me"]}, "verified_numbers[0]: 'call me' is not a phone number"),
    ({"colour": "red"}, "colour: unknown field"),
]


@pytest.mark.parametrize(("spec", "message"), BAD_SPECS, ids=[m for _, m in BAD_SPECS])
def test_config_file_and_control_api_refuse_alike(
    simulator: Any, spec: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError) as refused:
        from_mapping({"accounts": [spec]})
    assert str(refused.value).startswith(f"accounts[0].{message}")

    base = f"{simulator.url}/_smsim/accounts"
    before = requests.get(base, timeout=5).json()["accounts"]
    answer = requests.post(base, json=spec, timeout=5)
    assert answer.status_code == 400
    assert answer.json()["code"] == 20001 and answer.json()["message"].startswith(message)
    assert requests.get(base, timeout=5).json()["accounts"] == before  # nothing stored


def test_both_accept_the_same_spec_and_normalise_it(simulator: Any) -> None:
    spec = {
        "type": "Trial",
        "sid": SID,
        "numbers": [{"phone_number": "+1 415 555 0177", "sms_method": "get"}],
        "verified_numbers": ["+1 (415) 555-0141"],
    }
    parsed = from_mapping({"accounts": [spec]}).accounts[0]
    assert (parsed.type, parsed.numbers[0]["phone_number"]) == ("trial", "+14155550177")
    assert parsed.verified_numbers == ("+14155550141",)

    created = requests.post(f"{simulator.url}/_smsim/accounts", json=spec, timeout=5)
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["sid"], body["type"]) == (SID, "trial")
    assert [(n["phone_number"], n["sms_method"]) for n in body["numbers"]] == [
        ("+14155550177", "GET")
    ]
    assert body["verified_numbers"] == ["+14155550141"]
    again = requests.post(f"{simulator.url}/_smsim/accounts", json={"sid": SID}, timeout=5)
    assert again.status_code == 409
