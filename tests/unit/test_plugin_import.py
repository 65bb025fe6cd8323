"""pytest loads smsim's plugin in every session wherever smsim is installed: importing it
must not pull in the server stack, which only the fixtures need."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("flask", "waitress", "jsonschema", "phonenumbers", "requests", "yaml")


def _modules_after(statement: str) -> set[str]:
    code = f"import sys, json\n{statement}\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": ""},
    ).stdout
    return {name.split(".")[0] for name in json.loads(out)}


def test_importing_the_plugin_does_not_import_the_server_stack():
    loaded = _modules_after("import smsim.pytest_plugin")
    assert "pytest" in loaded  # the import really happened
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))


def test_the_simulator_fixture_still_brings_the_server(simulator):
    # The lazy imports resolve: the fixture starts a real server.
    assert simulator.url.startswith("http://127.0.0.1:")
    assert "flask" in sys.modules
