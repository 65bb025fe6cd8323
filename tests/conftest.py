"""Suite-wide settings: every simulator started by any test checks what it emits
against the contracts, and a test fails if anything it caused violated them."""

from __future__ import annotations

import os

import pytest

os.environ["SMSIM_VALIDATE_CONTRACTS"] = "1"


@pytest.fixture(autouse=True)
def _no_contract_violations():
    from smsim.simulator import contract_check

    before = len(contract_check.VIOLATIONS)
    yield
    new = contract_check.VIOLATIONS[before:]
    assert not new, "the simulator emitted payloads that break the contracts:\n" + "\n".join(new)
