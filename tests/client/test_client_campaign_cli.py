"""`smsim client campaign` and `smsim client stats` against a running client."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from client_helpers import FakeTwilio, provider_settings
from rich.console import Console

from smsim.cli import main
from smsim.client import ClientServer
from smsim.commands._client_campaign import BarReporter, read_recipients
from smsim.contracts import catalogue

RECIPIENTS = [f"+1415555{n:04d}" for n in range(200, 230)]


def test_campaign_follows_the_progress_in_plain_lines_then_stats_prints_the_tab(
    client_server: ClientServer,
    fake_twilio: FakeTwilio,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    client_server.integration.add_provider(provider_settings(nickname="main"))
    listing = tmp_path / "audience.csv"
    rows = ["phone,name"] + [f"{n},customer {i}" for i, n in enumerate(RECIPIENTS)]
    rows.append("+15005550009,a landline")  # Twilio refuses it: 21614
    listing.write_text("\n".join(rows) + "\n")
    code = main(
        [
            "client",
            "campaign",
            "--provider",
            "main",
            "--message",
            "Spring sale",
            "--recipients",
            str(listing),
            "--url",
            client_server.url,
            "--name",
            "spring",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    lines = out.splitlines()
    assert lines[0] == "line 1 read as the CSV header: phone,name"
    assert lines[1] == f"campaign 1: {len(RECIPIENTS) + 1} recipients"
    assert "campaign 1 finished: 31/31 done (30 handed to Twilio, 1 refused)" in lines
    assert lines.count(lines[-2]) == 1, out  # the final state is said once, not twice
    assert lines[-1] == f"stats: smsim client stats 1 --url {client_server.url}"
    assert "\x1b[" not in out  # not a terminal: no bar, no escape codes
    assert len(fake_twilio.requests) == 31

    assert main(["client", "stats", "1", "--url", client_server.url]) == 0
    stats = capsys.readouterr().out
    assert "campaign 1 (spring): finished" in stats
    assert "Sent       30" in stats and "Failed     1" in stats
    assert f"21614       1  {catalogue.describe(21614)}" in stats


def test_a_campaign_that_cannot_start_exits_non_zero_and_says_why(
    client_server: ClientServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    client_server.integration.add_provider(provider_settings(nickname="main"))
    listing = tmp_path / "audience.txt"
    listing.write_text("+14155550100\n")
    args = ["client", "campaign", "--message", "hi", "--recipients", str(listing)]
    assert main([*args, "--provider", "nobody", "--url", client_server.url]) == 1
    assert "not started" in capsys.readouterr().err
    assert main([*args, "--url", "http://127.0.0.1:9"]) == 1
    assert "cannot reach" in capsys.readouterr().err
    assert main(["client", "stats", "99", "--url", client_server.url]) == 1
    assert "not found" in capsys.readouterr().err


def test_recipients_are_read_from_lines_or_csv_cells(tmp_path: Path) -> None:
    listing = tmp_path / "mixed.csv"
    listing.write_text('name,phone\n"Ann","+1 (415) 555-0100"\nBob,14155550101\n\n+447700900123\n')
    parsed = read_recipients(listing)
    assert parsed.numbers == ["+14155550100", "+14155550101", "+447700900123"]
    assert parsed.header == "name,phone" and parsed.invalid == []


def test_lines_without_a_number_refuse_the_campaign_by_name_unless_skipped(
    client_server: ClientServer,
    fake_twilio: FakeTwilio,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    client_server.integration.add_provider(provider_settings(nickname="main"))
    listing = tmp_path / "audience.csv"
    listing.write_text("phone\n+14155550101\nnot-a-phone\n12\n+14155550102\n")
    command = ["client", "campaign", "--message", "hi", "--recipients", str(listing)]
    command += ["--url", client_server.url]

    assert main(command) == 1
    captured = capsys.readouterr()
    assert captured.err.splitlines() == [
        f"smsim client campaign: not started: 2 lines of {listing} hold no phone number:",
        "  line 3: 'not-a-phone' is not a phone number",
        "  line 4: '12' is not a phone number",
        "fix them, or send to the others with --skip-invalid",
    ]
    assert client_server.integration.list_campaigns() == []

    assert main([*command, "--skip-invalid"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[:4] == [
        "line 1 read as the CSV header: phone",
        "skipped line 3: 'not-a-phone' is not a phone number",
        "skipped line 4: '12' is not a phone number",
        "campaign 1: 2 recipients (2 lines skipped)",
    ]
    assert sorted(r["To"] for r in fake_twilio.requests) == ["+14155550101", "+14155550102"]


def test_on_a_terminal_the_progress_is_a_bar() -> None:
    screen = io.StringIO()
    reporter = BarReporter(Console(file=screen, force_terminal=True, width=100))
    progress = {
        "targeted": 10,
        "to_send": 4,
        "canceled": 0,
        "failed_on_send": 1,
        "handed_to_twilio": 5,
    }
    reporter.update({"id": 7, "state": "sending", "progress": progress})
    reporter.close()
    assert "campaign 7" in screen.getvalue() and "6/10" in screen.getvalue()
    assert "1 refused" in screen.getvalue()
