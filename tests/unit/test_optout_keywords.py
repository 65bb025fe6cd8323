"""Opt-out keywords: which inbound texts block a sender and which get an auto-reply."""

from __future__ import annotations

import pytest

from smsim.simulator.optout_keywords import (
    HELP_KEYWORDS,
    HELP_REPLY,
    START_KEYWORDS,
    START_REPLY,
    STOP_KEYWORDS,
    STOP_REPLY,
    classify,
)

GROUPS = [
    ("STOP", ["STOP", "UNSUBSCRIBE", "END", "QUIT", "STOPALL", "REVOKE", "OPTOUT", "CANCEL"]),
    ("START", ["START", "YES", "UNSTOP"]),
    ("HELP", ["HELP", "INFO"]),
]


@pytest.mark.parametrize(("word", "group"), [(w, g) for g, words in GROUPS for w in words])
def test_every_default_keyword_in_any_case(word: str, group: str) -> None:
    assert classify(word) == group
    assert classify(word.lower()) == group
    assert classify(word.capitalize()) == group


@pytest.mark.parametrize(
    ("body", "group"),
    [
        ("  stop  ", "STOP"),
        ("\tStop\n", "STOP"),
        ("Stop.", "STOP"),
        ("STOP!", "STOP"),
        ("unsubscribe!!", "STOP"),
        ("Yes.", "START"),
        ("help!", "HELP"),
    ],
)
def test_surrounding_whitespace_and_trailing_full_stop_or_bang_are_ignored(
    body: str, group: str
) -> None:
    assert classify(body) == group


@pytest.mark.parametrize(
    "body",
    [
        "STOP PLEASE",  # fidelity.md: Inbound and opt-out: only single-word messages count
        "please stop",
        "STOP?",
        "STOP .",
        "S T O P",
        "STOPP",
        "ARRET",  # Proxy-only keyword, not a default
        "\uff33\uff34\uff2f\uff30",  # fullwidth STOP
        "\u017ftop",  # long s: upper-cases to STOP in Python, but is not the keyword
        "",
        "   ",
        ".",
        "Stop texting me",
    ],
)
def test_anything_else_is_ordinary_text(body: str) -> None:
    assert classify(body) is None


def test_keyword_groups_do_not_overlap() -> None:
    assert not STOP_KEYWORDS & START_KEYWORDS
    assert not STOP_KEYWORDS & HELP_KEYWORDS
    assert not START_KEYWORDS & HELP_KEYWORDS


def test_auto_reply_texts_are_twilios_defaults() -> None:
    assert STOP_REPLY == (
        "You have successfully been unsubscribed. You will not receive any more messages "
        "from this number. Reply START to resubscribe."
    )
    assert START_REPLY == (
        "You have successfully been re-subscribed to messages from this number. Reply HELP "
        "for help. Reply STOP to unsubscribe. Msg&Data Rates May Apply."
    )


def test_help_reply_tells_the_user_how_to_opt_out() -> None:
    assert HELP_REPLY == "Reply STOP to unsubscribe. Msg&Data Rates May Apply."
