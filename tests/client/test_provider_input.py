"""The provider form's input, checked by provider_settings.schema.json: trimming, the From
number string, the masked token, and errors for every field at once."""

from __future__ import annotations

import pytest

from smsim.client.settings import Provider, ValidationError, clean_provider_input, mask_token

SID = "AC" + "0123456789abcdef" * 2
TOKEN = "a" * 32
SAVED = Provider(
    id=1,
    nickname="us",
    account_sid=SID,
    auth_token=TOKEN,
    callback_url=None,
    from_numbers=("+15005550006",),
    service_sid=None,
    template_id_required=False,
    is_default=True,
    created_at=0.0,
    updated_at=0.0,
)


def test_create_trims_text_and_splits_from_numbers_without_duplicates() -> None:
    cleaned = clean_provider_input(
        {
            "nickname": "  twilio-us ",
            "account_sid": f" {SID} ",
            "auth_token": TOKEN,
            "from_numbers": "+14155550100, +14155550101 +14155550100",
            "service_sid": "",
            "callback_url": "http://hooks.example.com/sms",
        },
        default_callback_url="http://127.0.0.1:8911/sms/twilio",
    )
    assert cleaned == {
        "nickname": "twilio-us",
        "account_sid": SID,
        "auth_token": TOKEN,
        "from_numbers": ("+14155550100", "+14155550101"),
        "service_sid": None,
        "callback_url": "http://hooks.example.com/sms",
    }


def test_update_keeps_a_masked_token_and_reads_the_default_url_as_default() -> None:
    default = "http://127.0.0.1:8911/sms/twilio"
    cleaned = clean_provider_input(
        {"auth_token": mask_token(TOKEN), "callback_url": default, "nickname": "eu"},
        existing=SAVED,
        default_callback_url=default,
    )
    assert cleaned == {"callback_url": None, "nickname": "eu"}


def test_update_reports_every_bad_field_by_its_own_name() -> None:
    with pytest.raises(ValidationError) as info:
        clean_provider_input(
            {
                "account_sid": None,
                "nickname": "x" * 65,
                "from_numbers": 14155550100,
                "template_id_required": "yes",
                "odd key": 1,
            },
            existing=SAVED,
        )
    assert info.value.fields == {
        "account_sid": "is required",
        "nickname": "must be 1 to 64 characters",
        "from_numbers": "must be a phone number or a list of phone numbers",
        "template_id_required": "must be true or false",
        "odd key": "unknown field",
    }


def test_update_cannot_remove_the_last_sender() -> None:
    with pytest.raises(ValidationError) as info:
        clean_provider_input({"from_numbers": []}, existing=SAVED)
    assert info.value.fields == {"from_numbers": "enter at least one From number or a Service SID"}
