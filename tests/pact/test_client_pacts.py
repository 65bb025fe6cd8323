"""Dogfooding: the bundled client's own pacts of Twilio, verified by ``smsim pact verify``.

The pacts are written by pact-python from the client's real sender and receiver
(tests/pact/client_pacts.py), then verified in-process and against ``smsim serve``. A
consumer that expects what Twilio never does must fail, with the field named.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from client_pacts import write_receiver_pact, write_sender_pact, write_wrong_pact

from smsim.cli import main
from smsim.pact import STATES
from smsim.testing import ServeProcess


@pytest.fixture(scope="module")
def client_pacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("client-pacts")
    write_sender_pact(folder)
    write_receiver_pact(folder)
    return folder


def _verify(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[str]]:
    code = main(["pact", "verify", *args])
    return code, capsys.readouterr().out.splitlines()


def test_the_clients_pacts_pass_in_process(client_pacts, tmp_path, capsys) -> None:
    junit = tmp_path / "pact.xml"
    code, lines = _verify(
        capsys, str(client_pacts), "--provider-version", "1.2.3", "--junit", str(junit)
    )
    assert code == 0, "\n".join(lines)
    passed = [line for line in lines if line.startswith("PASS")]
    assert len(passed) == 7
    assert any("[message]" in line for line in passed) and any("[http]" in line for line in passed)
    assert lines[-1].endswith("(provider version 1.2.3): 7 passed, 0 failed")
    suites = ET.parse(junit).getroot().findall("testsuite")
    assert sorted(int(s.get("tests", 0)) for s in suites) == [2, 5]
    assert all(s.get("failures") == "0" for s in suites)
    assert {p.get("value") for p in ET.parse(junit).getroot().iter("property")} == {"1.2.3"}


def test_the_clients_pacts_pass_against_a_running_server(client_pacts, capsys) -> None:
    """A real-clock ``smsim serve`` with its default accounts: the states set up through
    its control API, the webhooks sent by its own delivery processes."""
    server = ServeProcess("--memory", "--no-ui", "--speed", "20")
    try:
        code, lines = _verify(capsys, str(client_pacts), "--against", server.url)
    finally:
        server.stop()
    assert code == 0, "\n".join(lines)
    assert lines[-1].startswith(f"7 interactions against {server.url}")


def test_every_provider_state_is_used_by_the_clients_pacts(client_pacts) -> None:
    used = {
        state["name"]
        for path in client_pacts.glob("*.json")
        for interaction in json.loads(path.read_text())["interactions"]
        for state in interaction.get("providerStates", [])
    }
    assert used == set(STATES)


def test_a_pact_expecting_what_twilio_never_does_fails_naming_the_fields(tmp_path, capsys) -> None:
    pacts = tmp_path / "pacts"
    pacts.mkdir()
    write_wrong_pact(pacts)
    junit = tmp_path / "pact.xml"
    code, lines = _verify(capsys, str(pacts), "--junit", str(junit))
    assert code == 1
    text = "\n".join(lines)
    assert "FAIL  wrong-app -> Twilio: a message is created [http]" in text
    assert "$.status: Expected 'queued' (String) to be equal to 'sent' (String)" in text
    assert "FAIL  wrong-app-receiver -> Twilio: a failed status callback [message]" in text
    assert "$.ErrorCode: Expected '30003' (String) to be an integer" in text
    assert lines[-1].endswith("0 passed, 2 failed")
    failures = {f.get("message") for f in ET.parse(junit).getroot().iter("failure")}
    assert failures == {
        "$.status: Expected 'queued' (String) to be equal to 'sent' (String)",
        "$.ErrorCode: Expected '30003' (String) to be an integer",
    }
