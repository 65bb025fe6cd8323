"""schemathesis on smsim's own ``/_smsim/openapi.json``, every check on: the document
and the server agree (statuses, bodies, schemas, methods), and nothing answers 5xx.

The accepted failures are in ``own_document_baseline.json``, each with its reason; any
other failure fails the test with schemathesis' own report of it.
"""

from __future__ import annotations

from pathlib import Path

from fuzz_harness import HERE, Run, schemathesis

BASELINE = HERE / "own_document_baseline.json"


def run_on_own_document(url: str, workdir: Path) -> Run:
    return schemathesis(
        f"{url}/_smsim/openapi.json",
        workdir,
        "--checks",
        "all",
        # Server-Sent Events never end on their own: the route's JSON answer (what a
        # request without Accept: text/event-stream gets) is what the document shows.
        "--exclude-path",
        "/_smsim/stream",
        baseline=BASELINE,
    )


def test_schemathesis_finds_nothing_on_smsims_own_document(fuzz_server, tmp_path) -> None:
    run = run_on_own_document(fuzz_server.url, tmp_path)
    assert run.report["complete"], run.summary()
    assert run.report["operations"]["tested"] >= 50, run.summary()
    assert run.generated >= 500, run.summary()
    assert run.failures == [], run.summary()
    assert run.report["errors"] == [], run.summary()
    assert run.exit_code == 0, run.summary()
