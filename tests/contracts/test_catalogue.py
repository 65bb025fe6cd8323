"""The error-code catalogue: what an integration shows and what the simulator returns."""

from __future__ import annotations

import dataclasses

import pytest

from smsim.contracts import catalogue

SEED_ORDER = [30001, 30002, 30003, 30004, 30005, 30006, 30007, 30008, 30009, 30010, 21614, 21610]


def test_seed_codes_are_the_twelve_in_seed_order() -> None:
    assert catalogue.seed_codes() == SEED_ORDER


def test_seed_texts_are_verbatim(seed_error_rows: list[tuple[int, str]]) -> None:
    assert [code for code, _ in seed_error_rows] == catalogue.seed_codes()
    for code, row in seed_error_rows:
        entry = catalogue.require(code)
        assert entry.seed_description is not None and entry.seed_details is not None
        assert entry.seed_description + entry.seed_details == row, code
        assert row.startswith(entry.seed_description)


def test_only_seed_codes_carry_seed_text() -> None:
    with_seed = {e.code for e in catalogue.all_entries() if e.seed_description is not None}
    assert with_seed == set(SEED_ORDER)


@pytest.mark.parametrize(
    "code",
    [
        *(20003, 20404, 20429, 21211, 21212, 21408, 21602, 21603, 21604, 21606, 21608, 21610),
        *(21611, 21612, 21614, 21617, 21619, 21620, 21623, 21624, 21701, 21703, 21704),
        *(35111, 35114, 35118),
    ],
)
def test_every_sync_code_the_simulator_returns_is_catalogued(code: int) -> None:
    entry = catalogue.require(code)
    assert entry.is_sync
    assert entry.http_status is not None and 400 <= entry.http_status < 500
    assert entry.terminal_status is None or entry.kind == "both"


def test_every_sync_entry_has_an_http_status_and_async_has_none() -> None:
    for entry in catalogue.all_entries():
        if entry.is_sync:
            assert entry.http_status in (400, 401, 403, 404, 429), entry.code
        else:
            assert entry.http_status is None, entry.code


def test_every_async_code_has_a_terminal_status_and_its_reason() -> None:
    assert set(catalogue.async_codes()) >= set(SEED_ORDER) | {30036, 30450}
    for code in catalogue.async_codes():
        entry = catalogue.require(code)
        assert entry.terminal_status in ("failed", "undelivered"), code
        assert len(entry.status_source) > 20, code


@pytest.mark.parametrize(
    ("code", "status"),
    [(30001, "failed"), (30002, "failed"), (30010, "failed"), (30036, "failed")]
    + [(c, "undelivered") for c in range(30003, 30009)],
)
def test_terminal_status_follows_where_the_error_happened(code: int, status: str) -> None:
    assert catalogue.require(code).terminal_status == status


def test_21611_is_http_429_with_the_recorded_message() -> None:
    entry = catalogue.require(21611)
    assert entry.http_status == 429
    assert entry.message == "SMS queue is full."


def test_30007_keeps_twilios_current_title_and_the_seeds_name() -> None:
    entry = catalogue.require(30007)
    assert entry.twilio_title == "Message filtered"
    assert entry.seed_description == "Carrier violation"
    assert catalogue.describe(30007) == "Carrier violation"
    assert entry.error_message == "Message filtered"


def test_30010_is_flagged_obsolete_and_only_it() -> None:
    assert [e.code for e in catalogue.all_entries() if e.obsolete] == [30010]


def test_21610_and_21614_are_both_sync_and_callback_codes() -> None:
    for code in (21610, 21614):
        entry = catalogue.require(code)
        assert entry.kind == "both"
        assert entry.http_status == 400
        assert entry.terminal_status == "failed"
        assert entry.error_message == entry.twilio_title


def test_describe_prefers_seed_then_title_then_unknown() -> None:
    assert catalogue.describe(30005) == "Unknown destination handset"
    assert catalogue.describe(21614) == "Invalid Mobile Number"
    assert catalogue.describe(30036) == "Validity Period Expired"
    assert catalogue.describe(12345) == "Unknown error code 12345"


def test_render_message_formats_recorded_templates() -> None:
    assert catalogue.render_message(21211, to="123") == (
        "The 'To' number 123 is not a valid phone number."
    )
    assert catalogue.render_message(21614, to="+15005550009") == (
        "To number: +15005550009, is not a mobile number"
    )
    assert catalogue.render_message(20404, resource="/x.json") == (
        "The requested resource /x.json was not found"
    )
    assert catalogue.render_message(21611) == "SMS queue is full."


def test_render_message_names_the_missing_placeholder() -> None:
    with pytest.raises(KeyError, match="to"):
        catalogue.render_message(21211)


def test_unknown_code_lookups() -> None:
    assert catalogue.get(99999) is None
    assert catalogue.get("not a code") is None  # type: ignore[arg-type]
    with pytest.raises(KeyError, match="99999 is not in the smsim catalogue"):
        catalogue.require(99999)


def test_entries_are_frozen_and_link_to_twilio_docs() -> None:
    entry = catalogue.require(30005)
    with pytest.raises(dataclasses.FrozenInstanceError):
        entry.code = 1  # type: ignore[misc]
    for e in catalogue.all_entries():
        assert e.more_info == f"https://www.twilio.com/docs/errors/{e.code}"


def test_codes_are_unique_and_sorted() -> None:
    codes = [e["code"] for e in catalogue.load_raw()["entries"]]
    assert codes == sorted(set(codes))
