"""Provider settings over HTTP: create, list, update, restore, delete; JSON errors."""

from __future__ import annotations

from typing import Any

from client_helpers import AUTH_TOKEN, OTHER_TOKEN, provider_settings

from smsim.contracts import validate

DEFAULT_CB = "http://client.test/sms/twilio"


def create(app_client: Any, **overrides: Any) -> Any:
    return app_client.post("/api/providers", json=provider_settings(**overrides))


def test_created_provider_is_default_with_prefilled_callback_and_masked_token(
    app_client: Any,
) -> None:
    resp = create(app_client)
    assert resp.status_code == 201
    body = resp.get_json()
    validate("provider_settings", body)
    assert body["callback_url"] == DEFAULT_CB
    assert body["callback_url_is_default"] is True
    assert body["is_default"] is True
    assert body["auth_token"] == "********" + AUTH_TOKEN[-4:]
    listed = app_client.get("/api/providers").get_json()["providers"]
    assert [p["nickname"] for p in listed] == ["twilio-main"]
    assert AUTH_TOKEN not in app_client.get("/api/providers").get_data(as_text=True)


def test_invalid_provider_is_refused_field_by_field_and_not_stored(app_client: Any) -> None:
    resp = create(app_client, account_sid="AC12", auth_token="", from_numbers=["0800"])
    assert resp.status_code == 400
    assert resp.get_json()["fields"] == {
        "account_sid": "must be AC followed by 32 hex digits",
        "auth_token": "is required",
        "from_numbers": "'0800': each From number must be in E.164 format, e.g. +14155550100",
    }
    assert app_client.get("/api/providers").get_json()["providers"] == []


def test_nickname_is_unique_ignoring_case(app_client: Any) -> None:
    create(app_client)
    resp = create(app_client, nickname="TWILIO-MAIN")
    assert resp.status_code == 409
    assert resp.get_json()["fields"] == {"nickname": "is already used by another provider"}


def test_exactly_one_default_provider(app_client: Any) -> None:
    first = create(app_client).get_json()
    second = create(app_client, nickname="backup").get_json()
    assert second["is_default"] is False
    third = create(app_client, nickname="new-main", is_default=True).get_json()
    defaults = [
        p["id"] for p in app_client.get("/api/providers").get_json()["providers"] if p["is_default"]
    ]
    assert defaults == [third["id"]]
    # The default cannot be switched off without naming another one.
    resp = app_client.patch(f"/api/providers/{third['id']}", json={"is_default": False})
    assert resp.status_code == 409
    assert "is_default" in resp.get_json()["fields"]
    # Deleting the default hands it to the oldest remaining provider.
    assert app_client.delete(f"/api/providers/{third['id']}").status_code == 204
    providers = app_client.get("/api/providers").get_json()["providers"]
    assert [(p["id"], p["is_default"]) for p in providers] == [
        (first["id"], True),
        (second["id"], False),
    ]


def test_custom_callback_url_and_restore(app_client: Any) -> None:
    pid = create(app_client).get_json()["id"]
    resp = app_client.patch(
        f"/api/providers/{pid}", json={"callback_url": "https://hooks.example.com/twilio"}
    )
    assert resp.get_json()["callback_url"] == "https://hooks.example.com/twilio"
    assert resp.get_json()["callback_url_is_default"] is False
    restored = app_client.post(f"/api/providers/{pid}/restore-callback").get_json()
    assert restored["callback_url"] == DEFAULT_CB
    assert restored["callback_url_is_default"] is True


def test_update_keeps_token_when_masked_value_comes_back(app_client: Any) -> None:
    created = create(app_client).get_json()
    resp = app_client.put(f"/api/providers/{created['id']}", json=created | {"nickname": "x"})
    # A form that round-trips what the API returned: read-only fields are unknown to updates.
    assert resp.status_code == 400
    editable = {k: created[k] for k in ("nickname", "auth_token", "from_numbers")}
    resp = app_client.patch(f"/api/providers/{created['id']}", json=editable | {"nickname": "x"})
    assert resp.status_code == 200
    assert resp.get_json()["auth_token"] == created["auth_token"]
    changed = app_client.patch(
        f"/api/providers/{created['id']}", json={"auth_token": OTHER_TOKEN}
    ).get_json()
    assert changed["auth_token"] == "********" + OTHER_TOKEN[-4:]


def test_unknown_things_are_json_404_and_bad_bodies_400(app_client: Any) -> None:
    assert app_client.get("/api/providers/99").status_code == 404
    assert app_client.get("/api/providers/99").get_json()["error"]
    assert app_client.get("/api/nothing").get_json()["error"]
    resp = app_client.post("/api/providers", data="not json", content_type="application/json")
    assert resp.status_code == 400
    assert app_client.get("/api/campaigns/5/stats").status_code == 404
    assert app_client.get("/api/events?name=Bogus").status_code == 400
    assert app_client.get("/api/events/counts?bucket=week").status_code == 400
    assert app_client.get("/c/unknown").status_code == 404


def test_numbers_that_are_digits_but_not_ascii_are_refused_not_a_500(app_client: Any) -> None:
    """'²' passes str.isdigit() but not int(): a 400 naming the field, not a 500."""
    create(app_client)
    for bad in ("\u00b2", "--5"):
        resp = app_client.get(f"/api/events?provider_id={bad}")
        assert resp.status_code == 400, (bad, resp.get_data(as_text=True))
        assert "provider_id" in resp.get_data(as_text=True)
    assert app_client.get("/api/providers/\u00b2").status_code == 404


def test_odd_json_huge_ids_and_wrong_methods_are_answered_not_a_500(app_client: Any) -> None:
    """The integration reads JSON bodies with the simulator's strict reader: deep
    nesting (RecursionError), NaN and 1e400 are a 400 naming where; a campaign id past
    what SQLite stores is 404 (it was an OverflowError); a 405 names its methods."""
    for body, field in (("[" * 100_000, "body"), ('{"nickname": NaN}', "nickname")):
        resp = app_client.post("/api/providers", data=body, content_type="application/json")
        assert resp.status_code == 400, resp.get_data(as_text=True)
        assert field in resp.get_json()["fields"]
    for path in ("/api/campaigns/99999999999999999999", "/api/campaigns/9223372036854775808"):
        assert app_client.get(path).status_code == 404
    resp = app_client.put("/api/campaigns")
    assert resp.status_code == 405 and "POST" in resp.headers["Allow"]


def test_sends_need_a_provider_and_honour_the_template_option(app_client: Any) -> None:
    resp = app_client.post("/api/campaigns", json={"message": "hi", "recipients": ["+1415"]})
    assert resp.status_code == 400
    assert resp.get_json()["fields"]["provider"].startswith("no default provider")
    create(app_client, template_id_required=True)
    resp = app_client.post("/api/campaigns", json={"message": "hi", "recipients": ["+14155550100"]})
    assert resp.status_code == 400
    assert "template_id" in resp.get_json()["fields"]
    # Every mistake at once, the template's with the others (the form shows them all).
    resp = app_client.post("/api/campaigns", json={"message": "", "recipients": ["x"], "name": 5})
    assert sorted(resp.get_json()["fields"]) == ["message", "name", "recipients", "template_id"]
    resp = app_client.post(
        "/api/providers/1/test-sms",
        json={"country_code": "+1", "mobile_number": "415 555 0100", "message": ""},
    )
    assert resp.get_json()["fields"] == {"message": "is required"}


def test_campaign_input_errors(app_client: Any) -> None:
    create(app_client)
    resp = app_client.post(
        "/api/campaigns",
        json={"message": "x" * 1601, "recipients": ["+14155550100", "0044"], "bogus": 1},
    )
    assert resp.status_code == 400
    assert resp.get_json()["fields"] == {"bogus": "unknown field"}
    resp = app_client.post(
        "/api/campaigns", json={"message": "x" * 1601, "recipients": ["+14155550100", "0044"]}
    )
    assert resp.get_json()["fields"] == {
        "message": "must be at most 1600 characters (Twilio's limit)",
        "recipients": "1 of 2 entries are not E.164 numbers: entry 2 ('0044'); fix them,"
        " or send to the others with skip_invalid: true",
    }


def test_every_invalid_recipient_is_named_and_sent_only_when_skipping_is_asked(
    app_client: Any,
) -> None:
    create(app_client)
    pasted = ["+14155550101", "not-a-number", "12", "+14155550101", 7]
    resp = app_client.post("/api/campaigns", json={"message": "hi", "recipients": pasted})
    assert resp.status_code == 400
    body = resp.get_json()
    assert body["invalid"] == [
        {"entry": 2, "value": "not-a-number"},
        {"entry": 3, "value": "12"},
        {"entry": 5, "value": "7"},
    ]
    assert "entry 2 ('not-a-number'), entry 3 ('12'), entry 5 ('7')" in body["fields"]["recipients"]
    assert app_client.get("/api/campaigns").get_json() == {"campaigns": []}

    resp = app_client.post(
        "/api/campaigns", json={"message": "hi", "recipients": pasted, "skip_invalid": True}
    )
    assert resp.status_code == 202
    started = resp.get_json()
    assert started["progress"]["targeted"] == 1
    assert [d["entry"] for d in started["skipped"]] == [2, 3, 5]

    resp = app_client.post(
        "/api/campaigns",
        json={"message": "hi", "recipients": ["nope"], "skip_invalid": True},
    )
    assert resp.status_code == 400
    assert resp.get_json()["fields"]["recipients"].endswith("no recipient is left to send to")
