"""``--config`` is declarative: after a start, the database holds the accounts and rules
the file names, whatever an earlier start with another file left behind."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from smsim.simulator.config import load_config
from smsim.simulator.engine import Engine
from smsim.simulator.errors import ConfigError

SID_A = "AC" + "a" * 32
SID_B = "AC" + "b" * 32


def start(tmp_path: Path, db: Path, config: dict[str, Any]) -> Engine:
    """Start an engine on ``db`` as ``smsim serve --db db --config file`` would."""
    file = tmp_path / "smsim.yaml"
    file.write_text(yaml.safe_dump(config), encoding="utf-8")
    return Engine(load_config(str(file), {"db_path": str(db), "port": 0}, environ={}))


def rule(to: str, code: int, count: int | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"match": {"to": to}, "outcome": {"error_code": code}}
    if count is not None:
        spec["count"] = count
    return spec


def rule_targets(engine: Engine) -> list[str]:
    return [r["match"]["to"] for r in engine.rules.all()]


def test_a_second_file_replaces_the_first_files_rules_and_updates_its_accounts(
    tmp_path: Path,
) -> None:
    db = tmp_path / "smsim.db"
    first = {
        "accounts": [{"sid": SID_A, "auth_token": "first-token", "numbers": ["+14155550001"]}],
        "rules": [rule("+14155550101", 30003)],
    }
    engine = start(tmp_path, db, first)
    engine.rules.add(rule("+14155550199", 30005))  # through the API, as POST /_smsim/rules
    engine.close()

    second = {
        "accounts": [
            {
                "sid": SID_A,
                "type": "trial",
                "auth_token": "second-token",
                "numbers": ["+14155550002"],
            },
            {"friendly_name": "new one", "numbers": ["+14155550003"]},
        ],
        "rules": [rule("+14155550102", 30007)],
    }
    engine = start(tmp_path, db, second)
    try:
        account = engine.accounts.get(SID_A)
        assert account is not None
        assert (account.type, account.auth_token) == ("Trial", "second-token")
        # Numbers the file no longer lists are kept: nothing stored is dropped.
        assert [n.phone_number for n in engine.accounts.numbers(SID_A)] == [
            "+14155550001",
            "+14155550002",
        ]
        added = [a for a in engine.accounts.all() if a.friendly_name == "new one"]
        assert len(added) == 1
        assert engine.accounts.owns(added[0].sid, "+14155550003")
        assert rule_targets(engine) == ["+14155550199", "+14155550102"]
    finally:
        engine.close()


def test_restarting_with_the_same_file_changes_nothing(tmp_path: Path) -> None:
    db = tmp_path / "smsim.db"
    config = {
        "accounts": [{"type": "full", "numbers": ["+14155550001"]}, {"type": "trial"}],
        "rules": [rule("+14155550101", 30003, count=2)],
    }
    engine = start(tmp_path, db, config)
    sids = [a.sid for a in engine.accounts.all()]
    [before] = engine.rules.all()
    engine.close()
    for _ in range(2):
        engine = start(tmp_path, db, config)
        try:
            assert [a.sid for a in engine.accounts.all()] == sids
            assert engine.rules.all() == [before]  # same id: its place and count are kept
        finally:
            engine.close()


def test_an_entry_without_sid_follows_its_position_when_the_file_changes(
    tmp_path: Path,
) -> None:
    db = tmp_path / "smsim.db"
    engine = start(tmp_path, db, {"accounts": [{"type": "full"}]})
    [made] = engine.accounts.all()
    engine.close()
    engine = start(tmp_path, db, {"accounts": [{"type": "trial", "auth_token": "t2"}]})
    try:
        [updated] = engine.accounts.all()
        assert (updated.sid, updated.type, updated.auth_token) == (made.sid, "Trial", "t2")
    finally:
        engine.close()


def test_a_start_without_rules_in_the_file_drops_only_the_files_rules(tmp_path: Path) -> None:
    db = tmp_path / "smsim.db"
    engine = start(tmp_path, db, {"rules": [rule("+14155550101", 30003)]})
    engine.rules.add(rule("+14155550199", 30005))
    engine.close()
    engine = start(tmp_path, db, {})
    try:
        assert rule_targets(engine) == ["+14155550199"]
    finally:
        engine.close()


def test_a_number_owned_by_another_account_is_refused_and_nothing_changes(
    tmp_path: Path,
) -> None:
    db = tmp_path / "smsim.db"
    engine = start(
        tmp_path,
        db,
        {
            "accounts": [{"sid": SID_A, "numbers": ["+14155550001"]}],
            "rules": [rule("+14155550101", 30003)],
        },
    )
    engine.close()
    clash = {
        "accounts": [{"sid": SID_B, "numbers": ["+14155550001"]}],
        "rules": [rule("+14155550102", 30003)],
    }
    with pytest.raises(ConfigError, match=r"accounts\[0\]\.numbers\[0\]: \+14155550001 is owned"):
        start(tmp_path, db, clash)
    engine = start(
        tmp_path, db, {"accounts": [{"sid": SID_A}], "rules": [rule("+14155550101", 30003)]}
    )
    try:
        assert engine.accounts.get(SID_B) is None
        assert rule_targets(engine) == ["+14155550101"]
    finally:
        engine.close()


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"accounts": [{"numbers": "+14155550001"}]}, r"accounts\[0\]\.numbers: must be a list"),
        ({"accounts": [{"numbers": ["+1415"]}]}, r"accounts\[0\]\.numbers\[0\]: '\+1415' is not"),
        (
            {"accounts": [{"verified_numbers": ["call me"]}]},
            r"accounts\[0\]\.verified_numbers\[0\]: 'call me' is not a phone number",
        ),
        (
            {"accounts": [{"numbers": ["+14155550001"]}, {"numbers": ["+14155550001"]}]},
            r"accounts\[1\]\.numbers\[0\]: \+14155550001 is already owned by accounts\[0\]",
        ),
        (
            {"rules": [{"match": {"to": "+1"}, "outcome": {"status": "exploded"}}]},
            r"rules\[0\]\.outcome\.status: must be one of",
        ),
    ],
    ids=["numbers-string", "invalid-number", "invalid-verified", "shared-number", "rule-status"],
)
def test_a_bad_file_is_refused_naming_the_field_before_anything_opens(
    tmp_path: Path, config: dict[str, Any], message: str
) -> None:
    file = tmp_path / "bad.yaml"
    file.write_text(yaml.safe_dump(config), encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_config(str(file), environ={})


def test_a_pinned_account_is_never_taken_over_by_a_later_entry_without_sid(
    tmp_path: Path,
) -> None:
    db = tmp_path / "smsim.db"
    start(tmp_path, db, {"accounts": [{"sid": SID_A, "auth_token": "a-token"}]}).close()
    engine = start(tmp_path, db, {"accounts": [{"type": "trial"}]})
    try:
        pinned = engine.accounts.get(SID_A)
        assert pinned is not None and (pinned.type, pinned.auth_token) == ("Full", "a-token")
        assert len(engine.accounts.all()) == 2
    finally:
        engine.close()


def test_a_start_without_accounts_in_between_does_not_make_the_file_duplicate_them(
    tmp_path: Path,
) -> None:
    db = tmp_path / "smsim.db"
    config = {"accounts": [{"type": "full", "numbers": ["+14155550001"]}]}
    start(tmp_path, db, config).close()
    start(tmp_path, db, {}).close()
    engine = start(tmp_path, db, config)
    try:
        assert len(engine.accounts.all()) == 1
    finally:
        engine.close()
