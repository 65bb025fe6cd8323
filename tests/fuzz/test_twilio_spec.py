"""schemathesis on Twilio's own OpenAPI spec (api v2010), restricted to the operations
smsim stands in for: Accounts, Messages and Media. Every check is on.

The spec is not part of this repository: CI has it at ``../shared/twilio/`` beside the
clone (``SMSIM_TWILIO_SPEC`` names another copy). Without it the test says so and skips,
except under ``CI=true``, where it fails.

Where the spec itself is wrong about Twilio, the test says so in one of two short,
named lists: ``SPEC_CORRECTIONS`` changes the spec in memory (the check stays on and
now checks the truth), and ``twilio_spec_baseline.json`` accepts the few failures no
correction can express, each with its reason.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fuzz_harness import HERE, Run, schemathesis

REPOSITORY = HERE.parents[1]
SPEC_NAME = "twilio_api_v2010.json"
DEFAULT_SPEC = REPOSITORY.parent / "shared" / "twilio" / SPEC_NAME
BASELINE = HERE / "twilio_spec_baseline.json"
# Accounts (list, create, fetch, update), Messages (create, list, fetch, update,
# delete) and Media (list, fetch, delete): what smsim serves of the 2010 API.
OPERATIONS = (
    r"^/2010-04-01/Accounts(\.json|/\{Sid\}\.json|/\{AccountSid\}/Messages"
    r"(\.json|/\{Sid\}\.json|/\{MessageSid\}/Media(\.json|/\{Sid\}\.json)))$"
)

# Twilio's REST error envelope (https://www.twilio.com/docs/usage/twilios-response).
ERROR_ENVELOPE = {
    "type": "object",
    "required": ["code", "message", "more_info", "status"],
    "properties": {
        "code": {"type": "integer"},
        "message": {"type": "string"},
        "more_info": {"type": "string"},
        "status": {"type": "integer"},
    },
}


def _documents_errors(spec: dict[str, Any]) -> None:
    """The spec lists only each operation's success status, while Twilio answers 400,
    401, 404, ... with its error envelope: every operation gets that envelope as its
    ``default`` answer, so error bodies are checked against it instead of every error
    status counting as undocumented."""
    for operations in spec["paths"].values():
        for operation in operations.values():
            if isinstance(operation, dict) and "responses" in operation:
                operation["responses"].setdefault(
                    "default",
                    {
                        "description": "Twilio's error envelope",
                        "content": {"application/json": {"schema": ERROR_ENVELOPE}},
                    },
                )


def _relative_uris(spec: dict[str, Any]) -> None:
    """The 2010 API answers ``uri``, ``first_page_uri``, ``next_page_uri``, ... as paths
    relative to https://api.twilio.com (the spec's own examples show them so), while the
    spec types them ``format: uri``, which is an absolute URI: that format is dropped
    from the ``*_uri`` fields, their type stays checked."""

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for name, sub in (node.get("properties") or {}).items():
                if (name == "uri" or name.endswith("_uri")) and isinstance(sub, dict):
                    sub.pop("format", None)
                    for branch in sub.get("anyOf", []):
                        if isinstance(branch, dict):
                            branch.pop("format", None)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(spec.get("components", {}))
    walk(spec["paths"])


SPEC_CORRECTIONS: tuple[Callable[[dict[str, Any]], None], ...] = (
    _documents_errors,
    _relative_uris,
)


def twilio_spec() -> Path:
    """Where the spec is; a skip naming where it was looked for, a failure under CI."""
    named = os.environ.get("SMSIM_TWILIO_SPEC")
    path = Path(named) if named else DEFAULT_SPEC
    if path.is_file():
        return path
    message = (
        f"Twilio's OpenAPI spec is not at {path}: put the shared folder beside this "
        f"clone (../shared/twilio/{SPEC_NAME}) or name a copy with SMSIM_TWILIO_SPEC"
    )
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message + " (CI=true: the fuzz run may not be skipped)", pytrace=False)
    pytest.skip(message)


@pytest.fixture
def spec_file(tmp_path: Path) -> Iterator[Path]:
    found = twilio_spec()
    spec = json.loads(found.read_text(encoding="utf-8"))
    for correct in SPEC_CORRECTIONS:
        correct(spec)
    corrected = tmp_path / "spec" / SPEC_NAME
    corrected.parent.mkdir()
    corrected.write_text(json.dumps(spec), encoding="utf-8")
    yield corrected


def run_on_twilio_spec(spec: Path, url: str, workdir: Path) -> Run:
    return schemathesis(
        str(spec),
        workdir,
        "--url",
        url,
        "--checks",
        "all",
        "--include-path-regex",
        OPERATIONS,
        baseline=BASELINE,
    )


def test_schemathesis_on_twilios_spec_finds_only_the_specs_own_errors(
    fuzz_server, spec_file, tmp_path
) -> None:
    run = run_on_twilio_spec(spec_file, fuzz_server.url, tmp_path / "run")
    assert run.report["complete"], run.summary()
    assert run.report["operations"]["tested"] == 12, run.summary()
    assert run.generated >= 150, run.summary()
    assert run.failures == [], run.summary()
    assert run.report["errors"] == [], run.summary()
    assert run.exit_code == 0, run.summary()


def test_a_missing_spec_is_named_and_fails_under_ci(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("SMSIM_TWILIO_SPEC", str(tmp_path / "nowhere.json"))
    monkeypatch.setenv("CI", "false")
    with pytest.raises(pytest.skip.Exception, match=r"not at .*nowhere\.json.*\.\./shared"):
        twilio_spec()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match=r"nowhere\.json.*may not be skipped"):
        twilio_spec()
