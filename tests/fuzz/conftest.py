"""The live simulator the fuzzers aim at (see fuzz_harness.py for how they run)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fuzz_harness import ACCOUNT_SID, AUTH_TOKEN
from loopback_sender import LoopbackOnly

from smsim.simulator.account_spec import parse_account_spec
from smsim.simulator.config import SimulatorConfig
from smsim.simulator.server import SimulatorServer


@pytest.fixture
def fuzz_server() -> Iterator[SimulatorServer]:
    account = parse_account_spec(
        {"sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN, "numbers": ["+15005550006"]}
    )
    config = SimulatorConfig(
        memory=True,
        port=0,
        clock="virtual",
        accounts=(account,),
        threads=4,
        webhook_workers=2,
    )
    with SimulatorServer(config) as server:
        assert server.engine is not None
        server.engine.dispatcher.sender = LoopbackOnly(server.engine.dispatcher.sender)
        yield server
