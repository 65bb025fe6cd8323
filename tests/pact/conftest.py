"""Pact tests: pact-python writes real pact files, and ``smsim pact verify`` checks them.

pact's core would send usage statistics from every run; smsim's tests run offline.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("PACT_DO_NOT_TRACK", "true")
sys.path.insert(0, str(Path(__file__).parent))  # client_pacts, beside the tests
