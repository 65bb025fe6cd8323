"""docs/pact.md, run: its consumer test (as a user writes it, with pact-python) writes the
pacts, and ``smsim pact verify`` prints exactly what the page shows; with the page's two
wrong expectations it prints the page's failures."""

from __future__ import annotations

import re
from pathlib import Path

from smsim.cli import main
from smsim.pact import STATES

DOC = Path(__file__).resolve().parents[2] / "docs" / "pact.md"


def _blocks(kind: str) -> list[str]:
    return re.findall(rf"```{kind}\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)


def _run_consumer_tests(source: str) -> None:
    namespace: dict[str, object] = {"__name__": "doc_consumer_test"}
    exec(compile(source, str(DOC), "exec"), namespace)
    tests = [value for name, value in namespace.items() if name.startswith("test_")]
    assert len(tests) == 2
    for test in tests:
        test()  # type: ignore[operator]


def _shown(block: str) -> list[str]:
    lines = block.strip().splitlines()
    assert lines[0] == "$ smsim pact verify pacts/"
    return lines[1:]


def test_the_docs_consumer_test_and_verification(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    (consumer,) = _blocks("python")
    passing, failing = (_shown(block) for block in _blocks("console"))
    _run_consumer_tests(consumer)
    assert sorted(p.name for p in (tmp_path / "pacts").iterdir()) == [
        "my-app-Twilio.json",
        "my-app-callbacks-Twilio.json",
    ]
    capsys.readouterr()
    assert main(["pact", "verify", "pacts/"]) == 0
    assert capsys.readouterr().out.splitlines() == passing

    wrong = consumer.replace('"status": "queued"', '"status": "sent"').replace(
        'match.regex("30003", regex=r"^\\d+$")', "match.int(30003)"
    )
    assert wrong.count("match.int(30003)") == 1 and '"status": "sent"' in wrong
    _run_consumer_tests(wrong)  # the app's own mocks agree with it
    capsys.readouterr()
    assert main(["pact", "verify", "pacts/"]) == 1
    assert capsys.readouterr().out.splitlines() == failing


def test_the_docs_list_every_state() -> None:
    text = DOC.read_text(encoding="utf-8")
    for name in STATES:
        assert f"| `{name}` |" in text
