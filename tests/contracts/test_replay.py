"""``smsim replay`` against a real HTTP receiver: signed, schema-valid, seed-shaped posts."""

from __future__ import annotations

import argparse
import shlex
import shutil
import socket
import subprocess
from collections.abc import Sequence
from urllib.parse import urlsplit

import pytest
from twilio.request_validator import RequestValidator
from werkzeug.datastructures import MultiDict

from smsim import cli
from smsim.commands import replay as replay_command
from smsim.contracts import catalogue, validate

TOKEN = "replay-test-token-5f1c"
SEED_ORDER = [
    "ErrorCode",
    "SmsSid",
    "SmsStatus",
    "MessageStatus",
    "To",
    "MessagingServiceSid",
    "MessageSid",
    "AccountSid",
    "From",
    "ApiVersion",
]
# The query string of the seed's sample callback URL.
META_QUERY = (
    "account=YOUR_ACCOUNT_ID&meta=000000000.1200000000.1691686363.20230810.0.wzrk_default.-4930006"
)
ACCOUNT = "AC" + "1" * 32
MESSAGE = "SM" + "2" * 32
SERVICE = "MG" + "3" * 32


def main(argv: Sequence[str]) -> int:
    """Run ``smsim replay`` through its own parser, independent of other subcommands."""
    parser = argparse.ArgumentParser(prog="smsim")
    replay_command.register(parser.add_subparsers())
    args = parser.parse_args(argv)
    return int(args.handler(args))


def test_replay_is_a_smsim_subcommand(capsys) -> None:
    with pytest.raises(SystemExit) as info:
        cli.main(["replay", "--help"])
    assert info.value.code == 0
    assert "--auth-token" in capsys.readouterr().out


def _signed_by_token(url: str, form: list[tuple[str, str]], signature: str) -> bool:
    return RequestValidator(TOKEN).validate(url, MultiDict(form), signature)


def test_error_code_callback_is_signed_seed_shaped_and_schema_valid(receiver, capsys) -> None:
    rec, base = receiver
    url = f"{base}/sms/twilio?{META_QUERY}#rc=3&rp=all"
    argv = ["replay", "--to", url, "--auth-token", TOKEN, "--code", "30005"]
    argv += ["--account-sid", ACCOUNT, "--message-sid", MESSAGE, "--messaging-service-sid", SERVICE]
    argv += ["--from", "+15017250604", "--to-number", "+919876543210"]
    assert main(argv) == 0

    [got] = rec.requests
    assert urlsplit(got.url).query == META_QUERY  # query kept exactly, fragment not sent
    assert got.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert _signed_by_token(got.url, got.form, got.headers["X-Twilio-Signature"])
    form = dict(got.form)
    validate("status_callback", form)
    assert [k for k, _ in got.form][: len(SEED_ORDER)] == SEED_ORDER
    assert form["ErrorCode"] == "30005"
    assert form["MessageStatus"] == form["SmsStatus"] == "undelivered"  # catalogue's status
    assert (form["AccountSid"], form["MessageSid"], form["SmsSid"]) == (ACCOUNT, MESSAGE, MESSAGE)
    assert form["MessagingServiceSid"] == SERVICE
    assert (form["From"], form["To"]) == ("+15017250604", "+919876543210")

    out = capsys.readouterr().out
    assert "200 ok" in out and "ErrorCode=30005" in out
    assert TOKEN not in out


def test_failed_code_uses_failed_status_and_sids_are_generated(receiver) -> None:
    rec, base = receiver
    assert main(["replay", "--to", f"{base}/cb", "--auth-token", TOKEN, "--code", "30001"]) == 0
    form = dict(rec.requests[0].form)
    assert form["MessageStatus"] == "failed"
    assert form["AccountSid"].startswith("AC") and len(form["AccountSid"]) == 34
    assert form["MessageSid"] == form["SmsSid"] and form["MessageSid"].startswith("SM")
    assert "MessagingServiceSid" not in form
    validate("status_callback", form)


def test_plain_status_defaults_to_delivered(receiver) -> None:
    rec, base = receiver
    assert main(["replay", "--to", f"{base}/cb", "--auth-token", TOKEN]) == 0
    form = dict(rec.requests[0].form)
    assert form["MessageStatus"] == "delivered" and "ErrorCode" not in form
    assert len(form["RawDlrDoneDate"]) == 10
    got = rec.requests[0]
    assert _signed_by_token(got.url, got.form, got.headers["X-Twilio-Signature"])


def test_reply_posts_a_signed_incoming_message(receiver) -> None:
    rec, base = receiver
    argv = ["replay", "--to", f"{base}/sms/twilio?{META_QUERY}", "--auth-token", TOKEN]
    argv += ["--reply", "Yes please 👍", "--from", "+15005550006", "--to-number", "+14155550199"]
    assert main(argv) == 0
    [got] = rec.requests
    form = dict(got.form)
    validate("incoming_message", form)
    assert _signed_by_token(got.url, got.form, got.headers["X-Twilio-Signature"])
    assert form["Body"] == "Yes please 👍"
    assert (form["From"], form["To"]) == ("+14155550199", "+15005550006")  # handset -> Twilio
    assert form["SmsStatus"] == "received"


def test_all_posts_delivered_every_async_code_and_a_reply(receiver) -> None:
    rec, base = receiver
    assert main(["replay", "--to", f"{base}/cb", "--auth-token", TOKEN, "--all"]) == 0
    assert len(rec.requests) == 2 + len(catalogue.async_codes())
    forms = [dict(r.form) for r in rec.requests]
    assert forms[0]["MessageStatus"] == "delivered"
    assert [int(f["ErrorCode"]) for f in forms[1:-1]] == catalogue.async_codes()
    assert set(catalogue.seed_codes()) <= {int(f["ErrorCode"]) for f in forms[1:-1]}
    assert forms[-1]["SmsStatus"] == "received"
    assert len({f["MessageSid"] for f in forms}) == len(forms)  # one fresh message each
    for got in rec.requests:
        assert _signed_by_token(got.url, got.form, got.headers["X-Twilio-Signature"])


def test_curl_prints_signed_commands_and_sends_nothing(receiver, capsys) -> None:
    rec, base = receiver
    url = f"{base}/sms/twilio?{META_QUERY}"
    assert main(["replay", "--to", url, "--auth-token", TOKEN, "--code", "30007", "--curl"]) == 0
    assert rec.requests == []
    out = capsys.readouterr().out
    assert TOKEN not in out
    words = shlex.split(out)
    assert words[:3] == ["curl", "--location", url]
    assert "X-Twilio-Signature: " in " ".join(words)
    signature = next(w for w in words if w.startswith("X-Twilio-Signature: ")).split(": ", 1)[1]
    fields = [w.split("=", 1) for i, w in enumerate(words) if words[i - 1] == "--data-urlencode"]
    without_service = [k for k in SEED_ORDER if k != "MessagingServiceSid"]
    assert [k for k, _ in fields][: len(without_service)] == without_service
    assert _signed_by_token(url, [(k, v) for k, v in fields], signature)


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_printed_curl_command_is_accepted_by_a_receiver(receiver, capsys) -> None:
    rec, base = receiver
    url = f"{base}/sms/twilio?{META_QUERY}"
    argv = ["replay", "--to", url, "--auth-token", TOKEN, "--reply", "a+b & c=d", "--curl"]
    assert main(argv) == 0
    command = shlex.split(capsys.readouterr().out.replace("\\\n", " "))
    subprocess.run([*command, "--silent", "--max-time", "10"], check=True, capture_output=True)
    [got] = rec.requests
    assert dict(got.form)["Body"] == "a+b & c=d"
    assert _signed_by_token(got.url, got.form, got.headers["X-Twilio-Signature"])


def test_non_2xx_answer_fails_the_run(receiver, capsys) -> None:
    rec, base = receiver
    rec.status = 403
    assert main(["replay", "--to", f"{base}/cb", "--auth-token", TOKEN, "--code", "30003"]) == 1
    assert "403 FAILED" in capsys.readouterr().out


def test_unreachable_url_is_one_line_and_nothing_is_sent(capsys) -> None:
    # A port held bound but never listening refuses connections for as long as it is held:
    # no other test's server can be given it meanwhile.
    with socket.socket() as dead:
        dead.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{dead.getsockname()[1]}/cb"
        assert main(["replay", "--to", url, "--auth-token", TOKEN]) == 2
    out = capsys.readouterr()
    assert out.out == ""  # no payload printed for a POST that was never made
    assert out.err.splitlines() == [
        f"smsim replay: --to {url}: cannot connect (connection refused); nothing was sent"
    ]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--code", "123"], "5 or 6 digits"),
        (["--code", "30005", "--status", "delivered"], "failed or undelivered"),
        (["--status", "failed"], "needs --code"),
        (["--account-sid", "ACnotreal"], "$.AccountSid"),
    ],
)
def test_usage_errors_exit_2_with_a_reason(extra: list[str], message: str, capsys) -> None:
    argv = ["replay", "--to", "http://127.0.0.1:1/cb", "--auth-token", TOKEN, *extra]
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_auth_token_is_required(monkeypatch, capsys) -> None:
    monkeypatch.delenv("TWILIO_AUTH_TOKEN", raising=False)
    assert main(["replay", "--to", "http://127.0.0.1:1/cb", "--curl"]) == 2
    assert "--auth-token is required" in capsys.readouterr().err
