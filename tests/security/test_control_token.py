"""``--control-token``: when set, the control plane and the UIs need it (header, bearer,
or the cookie a browser gets from ``?token=``); the Twilio API keeps its Basic auth; the
repo's own scripts send it; it is never printed or logged."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
import requests
from security_helpers import PROVIDER, TIMEOUT, add_provider, http

from smsim.cli import main as cli
from smsim.testing import ControlClient, ControlError, ServeProcess

TOKEN = "s3cret-control-token-for-tests"


def accounts(sim, session: requests.Session | None = None, **kwargs):
    caller = session or http()
    return caller.get(f"{sim.url}/_smsim/accounts", timeout=TIMEOUT, **kwargs)


def test_without_the_token_the_control_plane_answers_401_and_shows_nothing(start_simulator):
    sim = start_simulator(control_token=TOKEN)
    account_tokens = [a.auth_token for a in sim.engine.accounts.all()]

    for response in (
        accounts(sim),
        accounts(sim, headers={"X-Smsim-Control-Token": "wrong"}),
        accounts(sim, headers={"Authorization": "Bearer wrong"}),
        accounts(sim, params={"token": "wrong"}),
        http().post(f"{sim.url}/_smsim/reset", timeout=TIMEOUT),
    ):
        assert response.status_code == 401
        error = response.json()
        assert error["code"] == 20003 and "control token" in error["message"]
        assert TOKEN not in response.text
        assert not any(t in response.text for t in account_tokens)
    assert len(sim.engine.accounts.all()) == len(account_tokens)  # the reset did not run


def test_the_token_is_accepted_as_header_or_bearer(start_simulator):
    sim = start_simulator(control_token=TOKEN)
    by_header = accounts(sim, headers={"X-Smsim-Control-Token": TOKEN})
    by_bearer = accounts(sim, headers={"Authorization": f"Bearer {TOKEN}"})
    assert by_header.status_code == by_bearer.status_code == 200
    assert by_header.json() == by_bearer.json()
    assert by_header.json()["accounts"]


def test_opening_a_page_with_token_gives_the_browser_a_strict_httponly_cookie(start_simulator):
    sim = start_simulator(control_token=TOKEN)
    with http() as session:
        first = session.get(f"{sim.url}/_smsim/health", params={"token": TOKEN}, timeout=TIMEOUT)
        assert first.status_code == 200
        cookie = first.headers["Set-Cookie"]
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
        assert TOKEN not in cookie  # the browser keeps a value derived from it
        assert first.headers["Referrer-Policy"] == "no-referrer"

        # From now on the cookie alone is enough, for reads and same-origin writes.
        later = accounts(sim, session)
        reset = session.post(
            f"{sim.url}/_smsim/reset", headers={"Origin": sim.url}, timeout=TIMEOUT
        )
    assert later.status_code == 200 and later.json()["accounts"]
    assert reset.status_code == 200


def test_the_twilio_api_keeps_basic_auth_and_needs_no_control_token(start_simulator):
    twilio_rest = pytest.importorskip("twilio.rest")
    sim = start_simulator(control_token=TOKEN)
    account = next(a for a in sim.engine.accounts.all() if a.type.lower() == "full")
    number = sim.engine.accounts.numbers(account.sid)[0].phone_number

    client = twilio_rest.Client(account.sid, account.auth_token, environment={})
    client.api.base_url = sim.url
    message = client.messages.create(to="+14155550100", from_=number, body="hello")

    assert client.messages(message.sid).fetch().body == "hello"


def test_control_client_reads_the_token_from_the_environment(start_simulator, monkeypatch):
    sim = start_simulator(control_token=TOKEN)
    monkeypatch.delenv("SMSIM_CONTROL_TOKEN", raising=False)
    with pytest.raises(ControlError, match="401"):
        ControlClient(sim.url).accounts()

    monkeypatch.setenv("SMSIM_CONTROL_TOKEN", TOKEN)
    assert ControlClient(sim.url).accounts()
    assert ControlClient(sim.url, token=TOKEN).health()["status"] == "ok"


def test_smsim_run_against_a_protected_simulator_uses_its_token(
    start_simulator, tmp_path, monkeypatch
):
    monkeypatch.delenv("SMSIM_CONTROL_TOKEN", raising=False)
    sim = start_simulator(control_token=TOKEN)
    argv = ["run", "--against", sim.url, "-j", "1", "-q", "--no-table", "-k", "scheduled"]

    assert cli(argv) == 2  # without the token the server is refused once, nothing runs
    assert cli([*argv, "--control-token", TOKEN]) == 0
    monkeypatch.setenv("SMSIM_CONTROL_TOKEN", TOKEN)
    assert cli(argv) == 0


def test_the_client_api_needs_the_token_but_the_receiver_and_links_do_not(start_client):
    client = start_client(control_token=TOKEN)
    add_provider(client)
    with http() as session:
        refused = session.get(f"{client.url}/api/providers", timeout=TIMEOUT)
        allowed = session.get(
            f"{client.url}/api/providers", headers={"X-Smsim-Control-Token": TOKEN}, timeout=TIMEOUT
        )
        receiver = session.post(
            f"{client.url}/sms/twilio",
            data={"MessageSid": "SM" + "0" * 32, "MessageStatus": "delivered"},
            timeout=TIMEOUT,
        )
        link = session.get(f"{client.url}/c/nosuchcode", allow_redirects=False, timeout=TIMEOUT)
    assert refused.status_code == 401 and "control token" in refused.json()["error"]
    assert PROVIDER["auth_token"][-4:] not in refused.text
    assert allowed.status_code == 200 and len(allowed.json()["providers"]) == 1
    # The receiver checks Twilio's signature itself (403 for this unsigned post); the
    # click route answers 404 for an unknown code: neither asks for the control token.
    assert receiver.status_code == 403 and "control token" not in receiver.text
    assert link.status_code == 404


def test_smsim_verify_reads_stats_from_a_protected_client(start_client, capsys, monkeypatch):
    monkeypatch.delenv("SMSIM_CONTROL_TOKEN", raising=False)
    client = start_client(control_token=TOKEN)
    provider = client.integration.add_provider(PROVIDER)
    argv = ["verify", "--callback-url", f"{client.url}/sms/twilio?account=acme"]
    argv += ["--auth-token", PROVIDER["auth_token"]]
    argv += ["--stats-url", f"{client.url}/api/providers/{provider['id']}/stats"]

    assert cli(argv) == 2  # refused before any callback is posted
    assert "answered HTTP 401" in capsys.readouterr().err
    assert cli([*argv, "--control-token", TOKEN]) == 0
    out = capsys.readouterr().out
    assert "PASS  stats match what was sent" in out and TOKEN not in out


@pytest.mark.slow
def test_smsim_serve_never_prints_or_logs_the_token():
    server = ServeProcess("--memory", "--control-token", TOKEN, "--log-level", "DEBUG")
    try:
        with http() as session:
            for kwargs in (
                {"headers": {"X-Smsim-Control-Token": TOKEN}},
                {"headers": {"Authorization": f"Bearer {TOKEN}"}},
                {"params": {"token": TOKEN}},
                {"headers": {"X-Smsim-Control-Token": TOKEN + "x"}},
                {},
            ):
                session.get(f"{server.url}/_smsim/accounts", timeout=TIMEOUT, **kwargs)
                session.get(f"{server.url}/_smsim/nosuchroute", timeout=TIMEOUT, **kwargs)
    finally:
        server.stop()
    output = "".join(server.lines)
    assert "the control token is required" in output
    assert TOKEN not in output
    assert re.search(r"(full|trial)\s+AC[0-9a-f]{32} token", output)  # still prints accounts


@pytest.mark.slow
def test_smsim_client_serve_takes_the_token_from_the_environment():
    env_token = "client-token-from-env"
    proc = subprocess.Popen(
        [sys.executable, "-m", "smsim", "client", "serve", "--port", "0", "--memory"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "SMSIM_CONTROL_TOKEN": env_token, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()  # the rest is read after it stops: never blocks
        found = re.search(r"listening on (http://\S+)", first)
        assert found, first
        url = found.group(1)
        with http() as session:
            refused = session.get(f"{url}/api/providers", timeout=TIMEOUT)
            allowed = session.get(
                f"{url}/api/providers",
                headers={"Authorization": f"Bearer {env_token}"},
                timeout=TIMEOUT,
            )
    finally:
        proc.terminate()
        proc.wait(15)
    rest = proc.stdout.read()  # after readline() the pipe's text buffer holds the rest
    assert (refused.status_code, allowed.status_code) == (401, 200)
    output = first + rest
    assert "the control token is required" in output and env_token not in output
