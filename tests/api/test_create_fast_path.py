"""Create Message is answered by a fast path in front of Flask (the route a load test
hammers). It must answer every request exactly as the Flask route does: the same status,
headers that matter and body, for successes and for each kind of refusal; and whatever
it does not handle must reach Flask unchanged."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from wsgi_helpers import call_wsgi

from smsim.simulator.config import SimulatorConfig
from smsim.simulator.engine import Engine
from smsim.simulator.http.app import create_app
from smsim.simulator.http.fast_create import CreateFastPath

FORM = "application/x-www-form-urlencoded"
VOLATILE = {"sid", "date_created", "date_updated", "uri", "subresource_uris"}


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = Engine(SimulatorConfig(db_path=str(tmp_path / "fast.db"), clock="virtual"))
    yield engine
    engine.close()


def _call(app: Any, path: str, body: bytes, auth: str | None, ctype: str = FORM) -> tuple:
    headers = {"Authorization": auth} if auth else {}
    status, content_type, data = call_wsgi(app, path, body, ctype=ctype, headers=headers)
    payload = json.loads(data)
    if isinstance(payload, dict):
        payload = {k: v for k, v in payload.items() if k not in VOLATILE}
    return status, content_type, payload, data.endswith(b"\n")


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def _cases(engine: Engine) -> list[tuple[str, str, bytes, str | None, str]]:
    account = next(a for a in engine.accounts.all() if a.type == "Full")
    path = f"/2010-04-01/Accounts/{account.sid}/Messages.json"
    good = _basic(account.sid, account.auth_token)
    other = "/2010-04-01/Accounts/ACffffffffffffffffffffffffffffffff/Messages.json"
    many = "&".join(f"x{n}=1" for n in range(1001)).encode()
    return [
        ("created", path, b"To=%2B14155550100&From=%2B15005550006&Body=h%C3%A9llo", good, FORM),
        (
            "charset",
            path,
            b"To=%2B14155550100&From=%2B15005550006&Body=hi",
            good,
            FORM + "; charset=utf-8",
        ),
        ("no To", path, b"From=%2B15005550006&Body=hi", good, FORM),
        ("bad To", path, b"To=abc&From=%2B15005550006&Body=hi", good, FORM),
        ("no auth", path, b"To=%2B14155550100&From=%2B15005550006&Body=hi", None, FORM),
        ("wrong token", path, b"To=%2B14155550100", _basic(account.sid, "0" * 32), FORM),
        ("bearer", path, b"To=%2B14155550100", "Bearer abc", FORM),
        ("other account", other, b"To=%2B14155550100&From=%2B15005550006&Body=hi", good, FORM),
        ("not utf-8", path, b"To=%2B14155550100&From=%2B15005550006&Body=\xff", good, FORM),
        ("not utf-8, no auth", path, b"To=%2B14155550100&Body=\xff", None, FORM),
        ("bad escape, wrong token", path, b"Body=%ff", _basic(account.sid, "0" * 32), FORM),
        ("bad escape", path, b"To=%2B14155550100&From=%2B15005550006&Body=%ff", good, FORM),
        (
            "callback",
            path,
            b"To=%2B14155550100&From=%2B15005550006&Body=hi&StatusCallback=x",
            good,
            FORM,
        ),
        ("1001 fields", path, many, good, FORM),
        ("json body", path, b'{"To": "+14155550100"}', good, "application/json"),
    ]


def test_the_fast_path_answers_every_create_as_the_flask_route_does(engine):
    app = create_app(engine=engine)
    fast = app.wsgi_app
    assert isinstance(fast, CreateFastPath), "the fast path is not installed"
    flask_only = fast.app
    for name, path, body, auth, ctype in _cases(engine):
        via_fast = _call(fast, path, body, auth, ctype)
        via_flask = _call(flask_only, path, body, auth, ctype)
        assert via_fast == via_flask, name


def test_a_create_through_the_fast_path_is_stored_and_delivered(engine):
    app = create_app(engine=engine)
    account = next(a for a in engine.accounts.all() if a.type == "Full")
    status, _, created, _ = _call(
        app.wsgi_app,
        f"/2010-04-01/Accounts/{account.sid}/Messages.json",
        b"To=%2B14155550100&From=%2B15005550006&Body=fast",
        _basic(account.sid, account.auth_token),
    )
    assert status == "201 CREATED" and created["status"] == "queued"
    engine.run_until_idle()
    stored = engine.messages.get(account.sid, created_sid(app, account))
    assert (stored.body, stored.status) == ("fast", "delivered")


def created_sid(app: Any, account: Any) -> str:
    client = app.test_client()
    listed = client.get(
        f"/2010-04-01/Accounts/{account.sid}/Messages.json",
        headers={"Authorization": _basic(account.sid, account.auth_token)},
    ).get_json()["messages"]
    assert len(listed) == 1
    return str(listed[0]["sid"])


def test_an_app_that_starts_its_own_engine_keeps_creates_on_the_flask_route(tmp_path: Path):
    app = create_app(SimulatorConfig(db_path=str(tmp_path / "own.db"), clock="virtual"))
    assert not isinstance(app.wsgi_app, CreateFastPath)
