"""The mutation suite: ``smsim verify`` passes the correct receiver and fails every
one-bug mutant of it, naming the class of check that caught it.

Each receiver runs in-process on its own port; verify runs with a short ``--timeout``
(the timing mutant is slower than it, the others answer in milliseconds). The terminal
summary prints the mutation score (tests/verify/conftest.py).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from mutants import mutants
from mutants.correct import SLOW_SECONDS, TOKEN, Receiver

from smsim.contracts.verify import Report, VerifyConfig, run

# Well above what a loaded CI machine takes to answer, well below SLOW_SECONDS.
TIMEOUT = SLOW_SECONDS / 2
MUTANTS = mutants()


def verify(receiver: Receiver, serve: Callable[[Flask], str]) -> Report:
    base = serve(receiver.app())
    return run(
        VerifyConfig(
            # A query string, as integrations put their account and message ids there.
            callback_url=f"{base}/sms/twilio?account=acme&meta=1.2.3",
            auth_token=TOKEN,
            stats_url=f"{base}/stats",
            timeout=TIMEOUT,
        )
    )


def test_there_are_at_least_twenty_mutants_across_every_class() -> None:
    assert len(MUTANTS) >= 20
    classes = {m.catches for m in MUTANTS.values()}
    assert {
        "signature and refusals",
        "idempotency",
        "ordering",
        "status handling",
        "error codes",
        "handset replies",
        "timeout",
    } <= classes


def test_verify_passes_the_correct_receiver(
    serve: Callable[[Flask], str], record_property: Callable[[str, object], None]
) -> None:
    report = verify(Receiver(), serve)
    assert report.failures == [], "\n".join(report.lines())
    assert len(report.results) > 80


@pytest.mark.parametrize("name", sorted(MUTANTS))
def test_verify_fails_the_mutant_and_names_its_class(
    name: str,
    serve: Callable[[Flask], str],
    record_property: Callable[[str, object], None],
) -> None:
    mutant = MUTANTS[name]
    report = verify(mutant(), serve)
    named = report.failed_classes()
    record_property("mutant", name)
    record_property("killed", not report.passed)
    record_property("named", ", ".join(sorted(named)) or "nothing failed")
    assert not report.passed, f"verify missed {name}: {mutant.bug()}"
    assert mutant.catches in named, (
        f"{name} ({mutant.bug()}) should fail '{mutant.catches}', failed: {sorted(named)}\n"
        + "\n".join(report.lines())
    )
    # Every failure says what the receiver did, what Twilio does next, what production shows.
    for failure in report.failures:
        if failure.klass != "stats":
            assert failure.did and failure.twilio_next and failure.production, failure
