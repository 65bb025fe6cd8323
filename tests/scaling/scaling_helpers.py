"""What the tests of several smsim instances on one PostgreSQL share."""

from __future__ import annotations

from typing import Any

import requests

from smsim.testing import ControlClient

FROM = "+15005550006"  # the default full account's number
# Fast lifecycles (delays divided by 50), no per-sender pacing, short job leases.
FAST = {"clock": "real", "speed": 50.0, "enforce_throughput": False, "port": 0, "job_lease": 1.0}


def full_account(url: str) -> tuple[str, str]:
    """(sid, auth token) of the default full account, as any instance reports it."""
    account = next(a for a in ControlClient(url).accounts() if a["type"] == "full")
    return str(account["sid"]), str(account["auth_token"])


def create(
    session: requests.Session,
    url: str,
    account: tuple[str, str],
    to: str,
    callback: str | None = None,
) -> dict[str, Any]:
    """POST one message to ``url``'s Messages resource; its JSON (201 asserted)."""
    data = {"To": to, "From": FROM, "Body": "across instances"}
    if callback:
        data["StatusCallback"] = callback
    answer = session.post(
        f"{url}/2010-04-01/Accounts/{account[0]}/Messages.json",
        data=data,
        auth=account,
        timeout=30,
    )
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def message(url: str, account: tuple[str, str], sid: str) -> dict[str, Any]:
    answer = requests.get(
        f"{url}/2010-04-01/Accounts/{account[0]}/Messages/{sid}.json", auth=account, timeout=30
    )
    assert answer.status_code == 200, answer.text
    return dict(answer.json())
