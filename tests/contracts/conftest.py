"""Shared fixtures for the contracts tests.

The reference material (Twilio's OpenAPI spec, the CleverTap seed) lives beside the
repository in ``shared/``; tests that compare against it skip with a reason when it is
absent (for example in a bare checkout).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED = REPO_ROOT.parent / "shared"
SEED_FILE = SHARED / "seed" / "clevertap-twilio-sms-provider.txt"
SPEC_FILE = SHARED / "twilio" / "twilio_api_v2010.json"


@pytest.fixture(scope="session")
def seed_error_rows() -> list[tuple[int, str]]:
    """The seed's error table as (code, description + details) rows, in seed order.

    The seed's table cells are concatenated without separators ("30001Queue overflowIndicates
    ..."), so a row is compared as one string.
    """
    if not SEED_FILE.is_file():
        pytest.skip(f"seed document not found at ../shared/seed/{SEED_FILE.name}")
    rows = []
    for line in SEED_FILE.read_text(encoding="utf-8").splitlines():
        match = re.fullmatch(r"(\d{5})(.+)", line.strip())
        if match:
            rows.append((int(match.group(1)), match.group(2)))
    return rows


@pytest.fixture(scope="session")
def twilio_spec() -> dict[str, Any]:
    """Twilio's published OpenAPI spec for API v2010."""
    if not SPEC_FILE.is_file():
        pytest.skip(f"Twilio spec not found at ../shared/twilio/{SPEC_FILE.name}")
    return json.loads(SPEC_FILE.read_text(encoding="utf-8"))
