"""The crash window, deterministically: recipients a dead process left `claimed` (its
Create Message may or may not have reached Twilio) are settled on resume by asking
Twilio's List Messages, so nobody gets the message twice."""

from __future__ import annotations

from collections import Counter
from typing import Any

from smsim.client import ClientConfig, Integration
from smsim.testing import ControlClient

TWILIO_NUMBER = "+15017250604"
RECIPIENTS = ["+14155550101", "+14155550102", "+14155550103"]


def _claimed_campaign(integration: Integration, provider: dict[str, Any]) -> int:
    """A campaign as a process leaves it when killed right after claiming its recipients."""
    campaign_id, message_ids = integration.store.create_campaign(
        provider_id=provider["id"],
        body="Spring sale",
        recipients=RECIPIENTS,
        name=None,
        click_tracking=False,
        template_id=None,
    )
    integration.campaign_queue.start(campaign_id, message_ids)
    assert len(integration.campaign_queue.claim(campaign_id, 10)) == 3
    return campaign_id


def test_a_claim_twilio_already_has_is_adopted_and_the_others_are_sent_once(
    simulator: Any, smsim_control: ControlClient
) -> None:
    account = smsim_control.create_account("full", numbers=[TWILIO_NUMBER])
    config = ClientConfig(
        memory=True, twilio_base_url=simulator.url, public_url="http://127.0.0.1:9"
    )
    integration = Integration(config)
    try:
        provider = integration.add_provider(
            nickname="main",
            account_sid=account["sid"],
            auth_token=account["auth_token"],
            from_numbers=[TWILIO_NUMBER],
        )
        campaign_id = _claimed_campaign(integration, provider)
        # The dead process's request for the first recipient did reach Twilio.
        reached = integration.twilio.send_message(
            account_sid=account["sid"],
            auth_token=account["auth_token"],
            to=RECIPIENTS[0],
            body="Spring sale",
            from_=TWILIO_NUMBER,
        )
        assert reached.ok

        assert integration.resume_campaigns() == [campaign_id]
        campaign = integration.wait_campaign(campaign_id, 30)
        stats = integration.campaign_stats(campaign_id)
        sent = integration.events(name="Notification Sent", campaign_id=campaign_id)
    finally:
        integration.close()
    assert campaign["state"] == "finished" and stats["sent"] == 3, (campaign, stats)
    received = Counter(m["to"] for m in smsim_control.messages())
    assert received == dict.fromkeys(RECIPIENTS, 1)
    # The adopted SID is the one Twilio created for the dead process's request.
    assert {e["props"]["to"]: e["props"]["sid"] for e in sent}[RECIPIENTS[0]] == reached.sid


def test_when_twilio_cannot_be_asked_a_claim_fails_instead_of_risking_a_duplicate() -> None:
    config = ClientConfig(
        memory=True,
        twilio_base_url="http://127.0.0.1:9",  # nothing listens: Twilio cannot be asked
        public_url="http://127.0.0.1:9",
        request_timeout=2,
    )
    integration = Integration(config)
    try:
        provider = integration.add_provider(
            nickname="main",
            account_sid="AC" + "0" * 32,
            auth_token="0123456789abcdef0123456789abcdef",
            from_numbers=[TWILIO_NUMBER],
        )
        campaign_id = _claimed_campaign(integration, provider)
        integration.resume_campaigns()
        campaign = integration.wait_campaign(campaign_id, 30)
        stats = integration.campaign_stats(campaign_id)
        failed = integration.events(name="Notification Failed", campaign_id=campaign_id)
    finally:
        integration.close()
    assert campaign["state"] == "finished"
    assert (stats["sent"], stats["failed"], stats["failed_without_code"]) == (0, 3, 3)
    assert all("not resent after a restart" in e["props"]["error_message"] for e in failed)
