"""Provider states: unknown names and bad params fail their interaction in words, a state
the simulator refuses fails its interaction (never a 500, never a silent pass), and the
rest of the file still runs. Also ``smsim pact states`` and the usage errors (exit 2)."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from client_pacts import AN_ACCOUNT, BASIC, FORM, MESSAGES
from pact import Pact, match

from smsim.cli import main
from smsim.pact.provider import StateError
from smsim.pact.states import STATES, check
from smsim.testing import ServeProcess


def _http(pact: Pact, description: str, *states: tuple[str, object]) -> None:
    interaction = pact.upon_receiving(description)
    for name, params in states:
        if params is None:
            interaction.given(name)
        else:
            interaction.given(name, params)
    interaction.with_request("GET", MESSAGES).with_header("Authorization", BASIC)
    interaction.will_respond_with(200).with_body(
        {"page": 0, "uri": match.str(MESSAGES)}, "application/json"
    )


def _write(pact: Pact, folder: Path) -> Path:
    pact.write_file(folder, overwrite=True)
    return folder


def _verify(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["pact", "verify", *args])
    return code, capsys.readouterr().out


def test_an_unknown_state_fails_naming_it_and_the_known_ones(tmp_path, capsys) -> None:
    pact = Pact("app", "Twilio").with_specification("V4")
    _http(pact, "lists its messages", ("an account", AN_ACCOUNT))
    _http(pact, "lists on a sunny day", ("an account", AN_ACCOUNT), ("a sunny day", None))
    code, out = _verify(capsys, str(_write(pact, tmp_path)))
    assert code == 1
    assert "PASS  app -> Twilio: lists its messages [http]" in out
    assert "FAIL  app -> Twilio: lists on a sunny day [http]" in out
    known = ", ".join(repr(name) for name in STATES)
    assert f"unknown provider state 'a sunny day'; smsim knows: {known}" in out


def test_bad_state_params_fail_their_interaction_field_by_field(tmp_path, capsys) -> None:
    pact = Pact("app", "Twilio").with_specification("V4")
    _http(pact, "a bad sid", ("an account", {**AN_ACCOUNT, "sid": "AC1"}))
    _http(pact, "a stray key", ("an opt-out", {"handset": "+14155550100", "number": "+1", "x": 1}))
    _http(pact, "a message without code", ("a message", {**_MESSAGE, "status": "failed"}))
    code, out = _verify(capsys, str(_write(pact, tmp_path)))
    assert code == 1
    assert "provider state 'an account': sid: must be AC followed by 32 hex digits" in out
    assert "provider state 'an opt-out': x: not a parameter of 'an opt-out'" in out
    assert "provider state 'a message': error_code: required with status 'failed'" in out
    assert "0 passed, 3 failed" in out


_MESSAGE = {
    "account_sid": AN_ACCOUNT["sid"],
    "to": "+14155550100",
    "from": "+14155550199",
    "body": "hi",
    "status": "delivered",
}


def test_a_state_the_simulator_refuses_fails_its_interaction(tmp_path, capsys) -> None:
    """The pact's own request would pass (200, an empty list), but its state did not
    happen: the interaction fails with the simulator's words."""
    pact = Pact("app", "Twilio").with_specification("V4")
    _http(
        pact,
        "a STOP to a number nobody owns",
        ("an account", AN_ACCOUNT),
        ("an opt-out", {"handset": "+14155550100", "number": "+14155550777"}),
    )
    _http(pact, "a message of an account never set up", ("a message", _MESSAGE))
    code, out = _verify(capsys, str(_write(pact, tmp_path)))
    assert code == 1
    assert "provider state 'an opt-out': POST /_smsim/inbound was refused (4" in out
    assert "provider state 'a message': POST /_smsim/messages was refused (404)" in out
    assert "account_sid: no account" in out


def test_a_message_interaction_needs_one_webhook_state(tmp_path, capsys) -> None:
    pact = Pact("receiver", "Twilio").with_specification("V4")
    pact.upon_receiving("a callback from nowhere", "Async").given(
        "an account", AN_ACCOUNT
    ).with_body({"MessageStatus": "delivered"}, "application/json")
    pact.verify(lambda body, metadata: None, "Async")
    code, out = _verify(capsys, str(_write(pact, tmp_path)))
    assert code == 1
    assert "needs exactly one provider state 'a status callback' or 'an inbound message'" in out


@pytest.mark.parametrize(
    ("name", "params", "named"),
    [
        ("a status callback", {"status": "read"}, "status: must be one of sent, delivered"),
        ("a status callback", {"status": "failed"}, "error_code: required with status 'failed'"),
        ("a status callback", {"status": "sent", "error_code": 30003}, "error_code: only an"),
        ("a status callback", {"status": "failed", "error_code": "x"}, "must be a whole number"),
        ("a status callback", {"status": "failed", "error_code": 1}, "1 is not in smsim's"),
        ("a status callback", {"status": "sent", "to": "nope"}, "to: 'nope' is not a phone"),
        ("a status callback", {"status": "sent", "messaging_service_sid": "MG1"}, "MG followed"),
        ("an inbound message", {"from": "+14155550100", "to": "+14155550101"}, "body: required"),
        (
            "an inbound message",
            {"from": "+14155550100", "to": "+14155550101", "body": "", "media_urls": "x"},
            "media_urls: must be a list",
        ),
        ("an account", {"sid": "AC" + "0" * 32}, "auth_token: required"),
        ("an account", {**AN_ACCOUNT, "type": "gold"}, "type: must be 'full' or 'trial'"),
        ("an account", {**AN_ACCOUNT, "numbers": "+1"}, "numbers: must be a list"),
        ("a rule", {}, "a rule needs its body"),
        ("an opt-out", {"handset": "+14155550100"}, "number: required"),
        ("a message", [1], "must be an object"),
    ],
)
def test_state_params_are_checked_before_anything_runs(name, params, named) -> None:
    with pytest.raises(StateError) as caught:
        check(name, params)
    assert named in str(caught.value)


def test_every_state_with_good_params_is_accepted() -> None:
    check("an account", AN_ACCOUNT)
    check("a rule", {"outcome": {"status": "delivered"}})
    check("an opt-out", {"handset": "+14155550100", "number": "+14155550199"})
    check("a message", _MESSAGE)
    check("a status callback", {"status": "undelivered", "error_code": "30003"})
    check("an inbound message", {"from": "+14155550100", "to": "+14155550199", "body": "YES"})


def test_states_command_lists_each_state_with_its_params(capsys) -> None:
    assert main(["pact", "states"]) == 0
    out = capsys.readouterr().out
    for state in STATES.values():
        assert f"{state.name}: " in out
    assert "    error_code (optional): a catalogued code" in out
    assert main(["pact", "states", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [s["name"] for s in listed] == list(STATES)
    account = listed[0]["params"]
    assert {"name": "sid", "required": True, "about": "AC + 32 hex digits"} in account


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["/nowhere/pacts"], "no such file or folder"),
        (["--against", "ftp://x", "{pacts}"], "not an http(s) URL"),
        (["--against", "http://127.0.0.1:9", "{pacts}"], "did not answer"),
        (["--junit", "/nowhere/x.xml", "{pacts}"], "--junit"),
        (["{empty}"], "a folder without pact files"),
        (["{garbage}"], "not a readable JSON pact file"),
        (["{notpact}"], "not a pact file"),
    ],
)
def test_usage_errors_exit_2_with_a_sentence(tmp_path, capsys, args, said) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "garbage.json").write_text("{", encoding="utf-8")
    (tmp_path / "notpact.json").write_text("[]", encoding="utf-8")
    pacts = tmp_path / "pacts"
    pacts.mkdir()
    (pacts / "p.json").write_text(json.dumps({"interactions": []}), encoding="utf-8")
    places = {
        "{pacts}": str(pacts),
        "{empty}": str(tmp_path / "empty"),
        "{garbage}": str(tmp_path / "garbage.json"),
        "{notpact}": str(tmp_path / "notpact.json"),
    }
    code = main(["pact", "verify", *[places.get(a, a) for a in args]])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("smsim pact: ") and said in err


def test_no_subcommand_is_a_usage_error(capsys) -> None:
    assert main(["pact"]) == 2
    assert "verify" in capsys.readouterr().out


def test_an_account_takes_its_numbers_and_a_declared_one_keeps_its_token(tmp_path, capsys) -> None:
    """On a server whose --config declares an account owning +15005550006: a pact's
    account takes that number from it; the declared SID with its own token is taken and
    given the numbers it lacks; with another token it is refused in words."""
    declared_sid, declared_token = "AC" + "4" * 32, "4d" * 16
    config = tmp_path / "smsim.json"
    config.write_text(
        json.dumps(
            {
                "accounts": [
                    {"sid": declared_sid, "auth_token": declared_token, "numbers": ["+15005550006"]}
                ]
            }
        ),
        encoding="utf-8",
    )
    folder = tmp_path / "pacts"
    folder.mkdir()
    pact = Pact("app", "Twilio").with_specification("V4")
    (
        pact.upon_receiving("sends from the test number")
        .given("an account", {**AN_ACCOUNT, "numbers": ["+15005550006"]})
        .with_request("POST", MESSAGES)
        .with_header("Authorization", BASIC)
        .with_body("To=%2B14155550100&From=%2B15005550006&Body=hi", FORM)
        .will_respond_with(201)
        .with_body({"from": "+15005550006", "status": "queued"}, "application/json")
    )
    declared_basic = (
        "Basic " + base64.b64encode(f"{declared_sid}:{declared_token}".encode()).decode()
    )
    for description, token in (("the declared account", declared_token), ("a stolen SID", "x")):
        (
            pact.upon_receiving(description)
            .given(
                "an account",
                {"sid": declared_sid, "auth_token": token, "numbers": ["+14155550123"]},
            )
            .with_request("GET", f"/2010-04-01/Accounts/{declared_sid}/IncomingPhoneNumbers.json")
            .with_header("Authorization", declared_basic)
            .will_respond_with(200)
            .with_body(
                {
                    "incoming_phone_numbers": [
                        {"phone_number": "+15005550006"},
                        {"phone_number": "+14155550123"},
                    ]
                },
                "application/json",
            )
        )
    pact.write_file(folder, overwrite=True)
    server = ServeProcess("--memory", "--no-ui", "--config", str(config))
    try:
        code, out = _verify(capsys, str(folder), "--against", server.url)
    finally:
        server.stop()
    assert code == 1, out
    assert "PASS  app -> Twilio: sends from the test number [http]" in out
    assert "PASS  app -> Twilio: the declared account [http]" in out
    assert "FAIL  app -> Twilio: a stolen SID [http]" in out
    assert f"account {declared_sid} is declared by the server (its --config)" in out


def test_a_callback_through_a_messaging_service_and_an_mms_reply(tmp_path, capsys) -> None:
    pact = Pact("app-callbacks", "Twilio").with_specification("V4")
    (
        pact.upon_receiving("an undelivered message sent through a service", "Async")
        .given(
            "a status callback",
            {
                "status": "undelivered",
                "error_code": 30005,
                "to": "(415) 555-0100",  # read as Twilio reads it
                "messaging_service_sid": "MG" + "0" * 32,
            },
        )
        .with_body(
            {
                "MessageStatus": "undelivered",
                "ErrorCode": "30005",
                "To": "+14155550100",
                "MessagingServiceSid": match.regex("MG" + "0" * 32, regex=r"^MG[0-9a-f]{32}$"),
                "From": "+15005550006",
            },
            "application/json",
        )
        .with_metadata(
            {
                "method": "POST",
                "form": match.regex(
                    "MessageStatus=undelivered", regex=r".*MessageStatus=undelivered.*"
                ),
            }
        )
    )
    (
        pact.upon_receiving("a picture from a handset", "Async")
        .given(
            "an inbound message",
            {
                "from": "+14155550100",
                "to": "+14155550199",
                "body": "look",
                "media_urls": ["https://example.com/cat.jpg"],
            },
        )
        .with_body(
            {
                "Body": "look",
                "NumMedia": "1",
                "MediaUrl0": match.regex("https://x/Media/ME0", regex=r"^https?://.+$"),
                "To": "+14155550199",
            },
            "application/json",
        )
    )
    pact.verify(lambda body, metadata: None, "Async")
    pact.write_file(tmp_path, overwrite=True)
    code, out = _verify(capsys, str(tmp_path))
    assert code == 0, out
    assert "2 passed, 0 failed" in out


def test_a_state_that_failed_once_does_not_fail_a_later_interaction(tmp_path, capsys) -> None:
    """The same state and params, refused in one interaction (nobody owns the number) and
    set up in the next (its account comes first): only the first fails."""
    opt_out = ("an opt-out", {"handset": "+14155550100", "number": "+14155550199"})
    pact = Pact("app", "Twilio").with_specification("V4")
    _http(pact, "a STOP before any account", opt_out)
    _http(pact, "a STOP to the account's number", ("an account", AN_ACCOUNT), opt_out)
    code, out = _verify(capsys, str(_write(pact, tmp_path)))
    assert code == 1
    assert "FAIL  app -> Twilio: a STOP before any account [http]" in out
    assert "PASS  app -> Twilio: a STOP to the account's number [http]" in out
    assert out.count("provider state 'an opt-out'") == 1
