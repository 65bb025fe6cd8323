"""``DELETE /_smsim/accounts/{sid}``: an account goes with everything kept for it, and
nothing of any other account is touched."""

from __future__ import annotations

import pytest
import requests

from smsim.testing import CallbackRecorder, ControlClient

pytestmark = pytest.mark.both_engines

SENDER = "+14155550170"
OTHER_SENDER = "+14155550171"
HANDSET = "+14155550188"
OTHER_HANDSET = "+14155550189"


def _send(
    simulator, account: dict, status_callback: str, from_: str = SENDER, to: str = HANDSET
) -> str:
    response = requests.post(
        f"{simulator.url}/2010-04-01/Accounts/{account['sid']}/Messages.json",
        data={"To": to, "From": from_, "Body": "hi", "StatusCallback": status_callback},
        auth=(account["sid"], account["auth_token"]),
        timeout=10,
    )
    assert response.status_code == 201, response.text
    return str(response.json()["sid"])


def test_removing_an_account_removes_all_it_holds_and_nothing_else(
    simulator, smsim_control: ControlClient
) -> None:
    gone = smsim_control.create_account("full", numbers=[SENDER], friendly_name="scenario: x (a)")
    kept = smsim_control.create_account("full", numbers=[OTHER_SENDER])
    auth = (gone["sid"], gone["auth_token"])
    sub = requests.post(
        f"{simulator.url}/2010-04-01/Accounts.json", data={"FriendlyName": "sub"}, auth=auth
    ).json()
    service = requests.post(
        f"{simulator.url}/v1/Services", data={"FriendlyName": "svc"}, auth=auth, timeout=10
    )
    assert service.status_code == 201
    with CallbackRecorder().start() as recorder:
        _send(simulator, gone, recorder.url())
        kept_message = _send(simulator, kept, recorder.url(), from_=OTHER_SENDER)
        smsim_control.run_until_idle()  # both delivered, with their callbacks logged
        smsim_control.inbound(HANDSET, SENDER, "STOP")  # an inbound message and an opt-out
        _send(simulator, gone, recorder.url(), to=OTHER_HANDSET)  # its steps still pending
        assert smsim_control.health()["pending_jobs"] > 0

        removed = requests.delete(f"{simulator.url}/_smsim/accounts/{gone['sid']}", timeout=10)

        assert removed.status_code == 200
        assert removed.json() == {"removed": [sub["sid"], gone["sid"]]}
        sids = {a["sid"] for a in smsim_control.accounts()}
        assert gone["sid"] not in sids and sub["sid"] not in sids and kept["sid"] in sids
        assert [m["sid"] for m in smsim_control.messages()] == [kept_message]
        assert {c["account_sid"] for c in smsim_control.callbacks()} == {kept["sid"]}
        assert smsim_control.health()["pending_jobs"] == 0
        assert smsim_control.run_until_idle()  # nothing left to run, nothing breaks
        assert {c["account_sid"] for c in smsim_control.callbacks()} == {kept["sid"]}
        # Its credentials no longer open anything, and its number is free again.
        listed = requests.get(
            f"{simulator.url}/2010-04-01/Accounts/{gone['sid']}/Messages.json", auth=auth
        )
        assert listed.status_code == 401
    again = smsim_control.create_account("full", numbers=[SENDER])
    assert again["numbers"][0]["phone_number"] == SENDER


def test_removing_an_unknown_account_is_404(simulator) -> None:
    response = requests.delete(f"{simulator.url}/_smsim/accounts/AC{'0' * 32}", timeout=10)
    assert response.status_code == 404
    assert response.json()["status"] == 404


def test_removing_an_account_removes_its_media_and_feedback(
    simulator, smsim_control: ControlClient
) -> None:
    account = smsim_control.create_account("full", numbers=[SENDER])
    auth = (account["sid"], account["auth_token"])
    created = requests.post(
        f"{simulator.url}/2010-04-01/Accounts/{account['sid']}/Messages.json",
        data={"To": HANDSET, "From": SENDER, "MediaUrl": "https://example.com/cat.jpg"},
        auth=auth,
        timeout=10,
    ).json()
    requests.post(simulator.url + created["subresource_uris"]["feedback"], auth=auth, timeout=10)
    store = simulator.engine.store
    assert store.scalar("SELECT COUNT(*) FROM media WHERE parent_sid = ?", (created["sid"],)) == 1

    removed = requests.delete(f"{simulator.url}/_smsim/accounts/{account['sid']}", timeout=10)

    assert removed.status_code == 200
    assert store.scalar("SELECT COUNT(*) FROM media WHERE parent_sid = ?", (created["sid"],)) == 0
    assert (
        store.scalar(
            "SELECT COUNT(*) FROM message_feedback WHERE message_sid = ?", (created["sid"],)
        )
        == 0
    )
