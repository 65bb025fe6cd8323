"""``python bench/_via_flask.py serve ...``: an smsim command with its fast paths in front
of Flask turned off, so every request goes through the Flask app. What the benchmarks
compare each fast path against (bench/api.py's ``creates-via-flask``, bench/receive.py)."""

from __future__ import annotations

import sys
from typing import Any

import smsim.client.fast_receive as fast_receive
import smsim.simulator.http.app as simulator_app
from smsim.cli import main


def _no_create_fast_path(app: Any, engine: Any, max_body: int) -> Any:
    return app


def _no_receiver_fast_path(app: Any, max_body: int) -> Any:
    return app.wsgi_app


simulator_app.CreateFastPath = _no_create_fast_path  # type: ignore[assignment,misc]
fast_receive.ReceiverFastPath = _no_receiver_fast_path  # type: ignore[assignment,misc]

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
