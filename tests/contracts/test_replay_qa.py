"""``smsim replay`` for QA beyond the catalogue: any Twilio error code, field overrides,
and captured payloads replayed signed for a new URL."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest
from twilio.request_validator import RequestValidator
from werkzeug.datastructures import MultiDict

from smsim.commands import replay as replay_command
from smsim.commands._parser import SmsimParser
from smsim.contracts import validate

TOKEN = "qa-replay-token-77"
MESSAGE = "SM" + "4" * 32
ACCOUNT = "AC" + "5" * 32


def main(argv: Sequence[str]) -> int:
    parser = SmsimParser(prog="smsim")
    replay_command.register(parser.add_subparsers())
    args = parser.parse_args(argv)
    return int(args.handler(args))


def _signed(got) -> bool:
    return RequestValidator(TOKEN).validate(
        got.url, MultiDict(got.form), got.headers["X-Twilio-Signature"]
    )


@pytest.mark.parametrize(
    ("code", "status"),
    [(30034, "undelivered"), (30032, "undelivered"), (63016, "failed"), (21211, "failed")],
)
def test_any_twilio_code_builds_a_valid_signed_callback(receiver, capsys, code, status) -> None:
    rec, base = receiver
    assert main(["replay", "--to", f"{base}/cb", "--auth-token", TOKEN, "--code", str(code)]) == 0
    [got] = rec.requests
    form = dict(got.form)
    validate("status_callback", form)
    assert _signed(got)
    assert form["ErrorCode"] == str(code)
    assert form["MessageStatus"] == form["SmsStatus"] == status
    assert f"reporting it as {status}" in capsys.readouterr().err


def test_status_chooses_for_an_uncatalogued_code(receiver) -> None:
    rec, base = receiver
    argv = ["replay", "--to", f"{base}/cb", "--auth-token", TOKEN, "--code", "30034"]
    assert main([*argv, "--status", "failed"]) == 0
    assert dict(rec.requests[0].form)["MessageStatus"] == "failed"


def test_catalogued_code_keeps_its_status_and_says_nothing(receiver, capsys) -> None:
    rec, base = receiver
    assert main(["replay", "--to", f"{base}/cb", "--auth-token", TOKEN, "--code", "30001"]) == 0
    assert dict(rec.requests[0].form)["MessageStatus"] == "failed"
    assert capsys.readouterr().err == ""


def test_fields_override_in_place_and_add_at_the_end(receiver) -> None:
    rec, base = receiver
    argv = ["replay", "--to", f"{base}/cb?account=7", "--auth-token", TOKEN, "--code", "30005"]
    argv += ["--field", f"MessageSid={MESSAGE}", "--field", "ChannelPrefix=sms"]
    argv += ["--field", "Note=a=b & c"]
    assert main(argv) == 0
    [got] = rec.requests
    names = [k for k, _ in got.form]
    form = dict(got.form)
    assert form["MessageSid"] == MESSAGE and names.index("MessageSid") < names.index("From")
    assert names[-2:] == ["ChannelPrefix", "Note"] and form["Note"] == "a=b & c"
    assert _signed(got)  # signed after the overrides, over the URL with its query


def test_field_that_breaks_the_contract_is_refused_before_sending(receiver, capsys) -> None:
    rec, base = receiver
    argv = ["replay", "--to", f"{base}/cb", "--auth-token", TOKEN, "--field", "ErrorCode=30005"]
    assert main(argv) == 2
    assert rec.requests == []
    assert "ErrorCode" in capsys.readouterr().err


def test_malformed_field_is_a_usage_error(capsys) -> None:
    with pytest.raises(SystemExit) as info:
        main(["replay", "--to", "http://127.0.0.1:1/cb", "--auth-token", TOKEN, "--field", "x"])
    assert info.value.code == 2
    assert "NAME=VALUE" in capsys.readouterr().err


CAPTURED_FORM = (
    f"SmsSid={MESSAGE}&SmsStatus=undelivered&MessageStatus=undelivered&To=%2B14155550100"
    f"&MessageSid={MESSAGE}&AccountSid={ACCOUNT}&From=%2B15005550006&ApiVersion=2010-04-01"
    "&ErrorCode=30003"
)


def test_captured_form_payload_is_replayed_signed_for_the_new_url(receiver, tmp_path) -> None:
    rec, base = receiver
    captured = tmp_path / "callback.txt"
    captured.write_text(CAPTURED_FORM + "\n", encoding="utf-8")
    url = f"{base}/sms/twilio?account=42&meta=abc"
    assert main(["replay", "--to", url, "--auth-token", TOKEN, "--payload", str(captured)]) == 0
    [got] = rec.requests
    assert [k for k, _ in got.form][:3] == ["SmsSid", "SmsStatus", "MessageStatus"]
    assert dict(got.form)["ErrorCode"] == "30003" and dict(got.form)["To"] == "+14155550100"
    assert got.url == url and _signed(got)


def test_captured_json_reply_is_replayed_with_overrides(receiver, tmp_path: Path) -> None:
    rec, base = receiver
    reply = {
        "ToCountry": "US", "ToState": "CA", "SmsMessageSid": MESSAGE, "NumMedia": 0,
        "ToCity": "", "FromZip": "", "SmsSid": MESSAGE, "FromState": "", "SmsStatus": "received",
        "FromCity": "", "Body": "STOP", "FromCountry": "US", "To": "+15005550006",
        "ToZip": "", "NumSegments": 1, "MessageSid": MESSAGE, "AccountSid": ACCOUNT,
        "From": "+14155550100", "ApiVersion": "2010-04-01",
    }  # fmt: skip
    captured = tmp_path / "reply.json"
    captured.write_text(json.dumps(reply), encoding="utf-8")
    argv = ["replay", "--to", f"{base}/in", "--auth-token", TOKEN, "--payload", str(captured)]
    assert main([*argv, "--field", "Body=START"]) == 0
    [got] = rec.requests
    form = dict(got.form)
    validate("incoming_message", form)
    assert (form["Body"], form["NumMedia"], form["NumSegments"]) == ("START", "0", "1")
    assert _signed(got)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not valid JSON"),
        ('{"MessageSid": ["a"]}', "must be a string or number"),
        ("just some text", "neither a JSON object nor form-encoded"),
        ("MessageStatus=delivered", "is a required property"),
    ],
)
def test_bad_captured_payload_is_a_clear_usage_error(tmp_path, capsys, content, message) -> None:
    captured = tmp_path / "bad.txt"
    captured.write_text(content, encoding="utf-8")
    argv = ["replay", "--to", "http://127.0.0.1:1/cb", "--auth-token", TOKEN]
    assert main([*argv, "--payload", str(captured)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("smsim replay: ") and message in err


def test_missing_payload_file_is_a_usage_error(tmp_path, capsys) -> None:
    argv = ["replay", "--to", "http://127.0.0.1:1/cb", "--auth-token", TOKEN]
    with pytest.raises(SystemExit) as info:
        main([*argv, "--payload", str(tmp_path / "nope.txt")])
    assert info.value.code == 2
    out = capsys.readouterr()
    assert out.out == ""
    assert out.err.splitlines() == [
        f"smsim replay: error: --payload: {tmp_path / 'nope.txt'}: no such file;"
        " see 'smsim replay --help'"
    ]
