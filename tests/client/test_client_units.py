"""Pure units: provider validation, meta, StatusCallback URLs, link tracking, parsing."""

from __future__ import annotations

import pytest
from client_helpers import ACCOUNT_SID, AUTH_TOKEN, provider_settings

from smsim.client.clicks import find_links, track_links
from smsim.client.integration import status_callback_url
from smsim.client.meta import build_meta, parse_meta
from smsim.client.settings import (
    Provider,
    ValidationError,
    clean_provider_input,
    mask_token,
    validate_template_id,
)
from smsim.client.twilio_rest import parse_response


def test_every_invalid_field_is_reported_at_once() -> None:
    with pytest.raises(ValidationError) as info:
        clean_provider_input(
            {
                "nickname": "",
                "account_sid": "AC123",
                "auth_token": "short",
                "callback_url": "ftp://x",
                "from_numbers": ["4155550100"],
                "service_sid": "XX1",
                "is_default": "yes",
                "colour": "blue",
            }
        )
    assert info.value.fields == {
        "nickname": "is required",
        "account_sid": "must be AC followed by 32 hex digits",
        "auth_token": "must be the 32-character auth token from the Twilio console",
        "callback_url": "must be an absolute http(s) URL",
        "from_numbers": "'4155550100': each From number must be in E.164 format, e.g. +14155550100",
        "service_sid": "must be MG followed by 32 hex digits",
        "is_default": "must be true or false",
        "colour": "unknown field",
    }


def test_a_sender_is_required_and_a_service_sid_alone_is_enough() -> None:
    with pytest.raises(ValidationError) as info:
        clean_provider_input(provider_settings(from_numbers=[]))
    assert info.value.fields == {"from_numbers": "enter at least one From number or a Service SID"}
    cleaned = clean_provider_input(
        provider_settings(from_numbers=None, service_sid="MG" + "a" * 32)
    )
    assert cleaned["service_sid"] == "MG" + "a" * 32


def test_several_from_numbers_as_text_or_list() -> None:
    cleaned = clean_provider_input(provider_settings(from_numbers="+14155550100, +14155550101"))
    assert cleaned["from_numbers"] == ("+14155550100", "+14155550101")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://my_host.example/cb", "the host name must not contain underscores"),
        ("/sms/twilio", "must be an absolute http(s) URL"),
        ("https://example.com/a b", "must be an absolute http(s) URL without spaces"),
    ],
)
def test_callback_url_rules(url: str, message: str) -> None:
    with pytest.raises(ValidationError) as info:
        clean_provider_input(provider_settings(callback_url=url))
    assert info.value.fields["callback_url"].startswith(message)


def test_token_never_appears_in_repr_or_public_form() -> None:
    provider = Provider(
        1, "n", ACCOUNT_SID, AUTH_TOKEN, None, ("+1500",), None, False, True, 0.0, 0.0
    )
    assert AUTH_TOKEN not in repr(provider)
    public = provider.to_public("http://c/sms/twilio")
    assert public["auth_token"] == "********cdef" == mask_token(AUTH_TOKEN)
    assert AUTH_TOKEN not in str(public)
    assert public["callback_url"] == "http://c/sms/twilio"
    assert public["callback_url_is_default"] is True


def test_masked_token_round_trip_keeps_the_secret() -> None:
    existing = Provider(
        1, "n", ACCOUNT_SID, AUTH_TOKEN, None, ("+1500",), None, False, True, 0.0, 0.0
    )
    assert clean_provider_input({"auth_token": mask_token(AUTH_TOKEN)}, existing=existing) == {}


def test_template_id_option() -> None:
    strict = Provider(1, "dlt", ACCOUNT_SID, AUTH_TOKEN, None, ("+1",), None, True, True, 0, 0)
    assert "required" in (validate_template_id(strict, None) or "")
    assert validate_template_id(strict, "TPL-001") is None
    assert validate_template_id(strict, "bad id!") is not None


def test_meta_round_trip_and_foreign_meta() -> None:
    meta = build_meta(12, 345, 7, variant=1, now=1691686363)
    assert meta.encode() == "12.345.1691686363.20230810.1.7"
    assert parse_meta(meta.encode()) == meta
    assert build_meta(None, 5, 2, now=0).encode() == "0.5.0.19700101.0.2"
    # The seed's own sample is another integration's meta: not ours, so unattributed.
    assert parse_meta("000000000.1200000000.1691686363.20230810.0.wzrk_default.-4930006") is None
    assert parse_meta("1.2.3") is None
    assert parse_meta(None) is None


def test_status_callback_url_keeps_query_and_fragment_order() -> None:
    assert (
        status_callback_url(
            "https://cb.example/hook?x=1#rc=3&rp=all", "acme co", "1.2.3.20240101.0.4"
        )
        == "https://cb.example/hook?x=1&account=acme+co&meta=1.2.3.20240101.0.4#rc=3&rp=all"
    )


def test_links_become_distinct_short_links() -> None:
    body = "Sale! https://shop.example/a?x=1, and http://b.example."
    assert find_links(body) == ["https://shop.example/a?x=1", "http://b.example"]
    codes = iter(["c1", "c2"])
    tracked, created = track_links(body, lambda c: f"http://s/c/{c}", lambda: next(codes))
    assert tracked == "Sale! http://s/c/c1, and http://s/c/c2."
    assert created == [("c1", "https://shop.example/a?x=1"), ("c2", "http://b.example")]


def test_twilio_error_envelope_and_non_json_answers() -> None:
    err = parse_response(400, {"code": 21610, "message": "unsubscribed", "status": 400})
    assert (err.ok, err.error_code, err.error_message) == (False, 21610, "unsubscribed")
    ok = parse_response(201, {"sid": "SM1", "status": "queued", "from": "+1"})
    assert (ok.ok, ok.sid, ok.status) == (True, "SM1", "queued")
    junk = parse_response(502, None)
    assert junk.transport_error and "HTTP 502" in (junk.error_message or "")
