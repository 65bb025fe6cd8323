"""Segment counts and encodings: what a user sees as num_segments and pays for."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smsim.contracts.segments import (
    GSM7_BASIC,
    GSM7_EXTENSION,
    SMART_ENCODING_MAP,
    SegmentInfo,
    analyze,
    smart_encode,
)

GSM7 = sorted(GSM7_BASIC | GSM7_EXTENSION)
EMOJI = "\U0001f600"  # grinning face: 2 UTF-16 units
FLAG = "\U0001f1ee\U0001f1f9"  # Italy: two regional indicators, 4 units, one grapheme
FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"  # 11 units
E_ACUTE = "e\u0301"  # e + combining acute: 2 units, one grapheme
CYRILLIC = "\u0436"  # not GSM-7, one unit

CASES = [
    # (description, body, encoding, segments, units)
    ("empty body", "", "GSM-7", 1, 0),
    ("160 GSM chars fit one part", "a" * 160, "GSM-7", 1, 160),
    ("161 GSM chars need two", "a" * 161, "GSM-7", 2, 161),
    ("306 GSM chars fill two parts of 153", "a" * 306, "GSM-7", 2, 306),
    ("307 GSM chars need three", "a" * 307, "GSM-7", 3, 307),
    ("80 '{' are 160 septets", "{" * 80, "GSM-7", 1, 160),
    ("81 '{' are 162 septets", "{" * 81, "GSM-7", 2, 162),
    ("euro is an extension char", "\u20ac" * 81, "GSM-7", 2, 162),
    (
        "escape pair at the boundary moves to the next part",
        "a" * 152 + "{" + "a" * 152,
        "GSM-7",
        3,
        306,
    ),
    ("escape pair ending a part exactly", "a" * 151 + "{" + "a" * 153, "GSM-7", 2, 306),
    ("CR LF counts two characters", "\r\n" * 80, "GSM-7", 1, 160),
    ("CR LF over the limit", "\r\n" * 81, "GSM-7", 2, 162),
    ("Greek capitals are GSM-7", "\u03a9" * 160, "GSM-7", 1, 160),
    ("capital C cedilla is GSM-7", "a" * 159 + "\u00c7", "GSM-7", 1, 160),
    ("1600 GSM chars", "a" * 1600, "GSM-7", 11, 1600),
    ("one non-GSM char switches all", "a" * 159 + "\u00e7", "UCS-2", 3, 160),
    ("ESC itself is not sendable as GSM-7", "a\x1b", "UCS-2", 1, 2),
    ("70 UCS-2 fit one part", CYRILLIC * 70, "UCS-2", 1, 70),
    ("71 UCS-2 need two", CYRILLIC * 71, "UCS-2", 2, 71),
    ("134 UCS-2 fill two parts of 67", CYRILLIC * 134, "UCS-2", 2, 134),
    ("135 UCS-2 need three", CYRILLIC * 135, "UCS-2", 3, 135),
    ("1600 UCS-2 chars", CYRILLIC * 1600, "UCS-2", 24, 1600),
    ("35 emoji are 70 units", EMOJI * 35, "UCS-2", 1, 70),
    ("36 emoji are 72 units", EMOJI * 36, "UCS-2", 2, 72),
    ("emoji at the 67 boundary is not split", "a" * 66 + EMOJI + "a" * 66, "UCS-2", 3, 134),
    ("flag at the boundary is not split", "a" * 65 + FLAG + "a" * 65, "UCS-2", 3, 134),
    ("ZWJ family is not split", "a" * 62 + FAMILY + "a" * 61, "UCS-2", 3, 134),
    ("accent stays on its letter", "a" * 66 + E_ACUTE + "a" * 66, "UCS-2", 3, 134),
    ("GSM extension char is 1 unit in UCS-2", EMOJI + "]" * 68, "UCS-2", 1, 70),
    ("... and 69 of them overflow", EMOJI + "]" * 69, "UCS-2", 2, 71),
    ("grapheme bigger than a part is cut", "e" + "\u0301" * 100, "UCS-2", 2, 101),
]


@pytest.mark.parametrize(
    ("body", "encoding", "segments", "units"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_segment_table(body: str, encoding: str, segments: int, units: int) -> None:
    assert analyze(body) == SegmentInfo(encoding, segments, units, body)


SMART_CASES = [
    ("\u201cHi\u201d", '"Hi"'),
    ("it\u2019s \u2018ok\u2019", "it's 'ok'"),
    ("\u00abbonjour\u00bb", '"bonjour"'),
    ("a\u2014b\u2013c\u2010d", "a-b-c-d"),
    ("\u2022 item", "- item"),
    ("wait\u2026", "wait..."),
    ("\u00bd \u00bc \u00be", "1/2 1/4 3/4"),
    ("6\u00f73", "6/3"),
    ("\uff21\uff22\uff23\uff11\uff12\uff13", "ABC123"),
    ("\uff48\uff45\uff4c\uff4c\uff4f", "hello"),
    ("\u1d00\u0299\u1d04", "ABC"),
    ("a\u00a0b", "a b"),
    ("a\u2009b\u3000c", "a b c"),
    ("a\tb", "a       b"),
    ("a\u200bb\ufeffc\u2060d", "abcd"),
    ("\u2039x\u203a", "<x>"),
    ("`tick`", "'tick'"),
    ("\uff40", "'"),  # fullwidth grave -> grave -> apostrophe
    ("\u203c", "!!"),
    ("caf\u00e9 {ok}", "caf\u00e9 {ok}"),  # already GSM-7: untouched
    (EMOJI + "\u2019", EMOJI + "'"),  # replaced even when the body stays UCS-2
]


@pytest.mark.parametrize(("body", "expected"), SMART_CASES)
def test_smart_encode(body: str, expected: str) -> None:
    assert smart_encode(body) == expected


def test_smart_encoding_brings_a_curly_quoted_message_back_to_gsm7() -> None:
    body = "\u201cYour order\u201d \u2014 it\u2019s on the way\u2026 " * 4  # 132 chars
    plain = analyze(body)
    smart = analyze(body, smart_encoded=True)
    assert (plain.encoding, plain.num_segments) == ("UCS-2", 2)
    assert (smart.encoding, smart.num_segments) == ("GSM-7", 1)
    assert smart.body == smart_encode(body)
    assert '"Your order" - it\'s on the way...' in smart.body


def test_smart_encoding_is_off_by_default() -> None:
    body = "\u201cquoted\u201d"
    assert analyze(body).body == body
    assert analyze(body).encoding == "UCS-2"


def test_smart_map_only_produces_gsm7_and_never_rewrites_gsm7() -> None:
    gsm = GSM7_BASIC | GSM7_EXTENSION
    assert all(set(v) <= gsm for v in SMART_ENCODING_MAP.values())
    assert not gsm & set(SMART_ENCODING_MAP)


def _reference_gsm7_segments(body: str) -> int:
    """Greedy packing one character at a time, as the calculator does."""
    sizes = [2 if c in GSM7_EXTENSION else 1 for c in body]
    if sum(sizes) <= 160:
        return 1
    parts, used = 1, 0
    for size in sizes:
        if used + size > 153:
            parts, used = parts + 1, 0
        used += size
    return parts


def _reference_ucs2_segments(body: str) -> int:
    """Greedy packing per code point; valid when every code point is its own grapheme."""
    sizes = [2 if ord(c) > 0xFFFF else 1 for c in body]
    if sum(sizes) <= 70:
        return 1
    parts, used = 1, 0
    for size in sizes:
        if used + size > 67:
            parts, used = parts + 1, 0
        used += size
    return parts


gsm_text = st.text(alphabet=st.sampled_from(GSM7), max_size=700)
# Non-GSM letters and plain emoji: every code point is its own grapheme.
simple_ucs2_text = st.text(
    alphabet=st.sampled_from(["a", "{", CYRILLIC, "\u4e2d", EMOJI, "\U0001f680"]),
    min_size=1,
    max_size=700,
).filter(lambda s: not set(s) <= set(GSM7))


@settings(max_examples=200)
@given(gsm_text)
def test_gsm7_matches_the_reference_packing(body: str) -> None:
    info = analyze(body)
    assert info.encoding == "GSM-7"
    assert info.units == sum(2 if c in GSM7_EXTENSION else 1 for c in body)
    assert info.num_segments == _reference_gsm7_segments(body)


@settings(max_examples=200)
@given(simple_ucs2_text)
def test_ucs2_matches_the_reference_packing(body: str) -> None:
    info = analyze(body)
    assert info.encoding == "UCS-2"
    assert info.units == len(body.encode("utf-16-le")) // 2
    assert info.num_segments == _reference_ucs2_segments(body)


@settings(max_examples=200)
@given(gsm_text, st.sampled_from(GSM7))
def test_appending_a_gsm_char_never_reduces_segments(body: str, extra: str) -> None:
    assert analyze(body + extra).num_segments >= analyze(body).num_segments


@settings(max_examples=300)
@given(st.text(alphabet=st.characters(exclude_categories=()), max_size=400))
def test_analyze_never_raises_and_stays_consistent(body: str) -> None:
    for smart in (False, True):
        info = analyze(body, smart_encoded=smart)
        single, multi = (160, 153) if info.encoding == "GSM-7" else (70, 67)
        assert (info.num_segments == 1) == (info.units <= single)
        if info.units > single:
            assert info.num_segments >= math.ceil(info.units / multi)
        assert (info.encoding == "GSM-7") == (set(info.body) <= set(GSM7))


@given(st.text(max_size=200))
def test_smart_encode_is_idempotent(body: str) -> None:
    once = smart_encode(body)
    assert smart_encode(once) == once
