"""The official Node SDK (twilio-node, the npm ``twilio`` package) against smsim.

``drive_twilio_node.js`` uses the SDK as a Node app would: create, fetch, list and page,
redact, media, Messaging Services, delete, the error codes as ``RestException``, and a
webhook receiver that checks every status callback and inbound message with the SDK's own
``twilio.validateRequest``. The SDK is installed from this folder's package-lock.json
(``npm ci``, which ``.ci/run`` does). In CI (``CI`` set) a missing Node or SDK fails the
test; elsewhere it skips with the command to run.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).parent
SCRIPT = HERE / "drive_twilio_node.js"
SDK = HERE / "node_modules" / "twilio" / "package.json"
INSTALL = "npm ci --prefix tests/node"


def _node_or_reason() -> tuple[str | None, str]:
    node = shutil.which("node")
    if node is None:
        return None, "Node.js is not installed (.ci/run installs Debian's nodejs)"
    if not SDK.is_file():
        return None, f"the twilio npm package is not installed: {INSTALL}"
    return node, ""


@pytest.fixture
def node() -> str:
    found, reason = _node_or_reason()
    if found is None:
        if os.environ.get("CI"):
            pytest.fail(f"twilio-node cannot run in CI: {reason}", pytrace=False)
        pytest.skip(reason)
    return found


def _drive(node: str, url: str) -> dict[str, Any]:
    done = subprocess.run(
        [node, str(SCRIPT), url], capture_output=True, text=True, timeout=180, check=False
    )
    assert done.returncode == 0, f"twilio-node run failed:\n{done.stderr}\n{done.stdout}"
    summary: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return summary


def test_sdk_installed_is_the_pinned_major(node):
    installed = json.loads(SDK.read_text())["version"]
    assert installed.split(".")[0] == "5", installed


def test_twilio_node_drives_smsim(node, simulator, smsim_control):
    summary = _drive(node, simulator.url)

    assert summary["checks"] == [
        "create",
        "fetch",
        "list and page",
        "redact",
        "media",
        "inbound",
        "messaging service",
        "delete",
        "errors",
        "signatures",
    ]
    codes = {name: (e["code"], e["status"]) for name, e in summary["errors"].items()}
    assert codes == {
        "invalid_to": (21211, 400),
        "trial_unverified": (21608, 400),
        "not_found": (20404, 404),
        "bad_auth": (20003, 401),
    }
    # Every webhook smsim sent to the script's receiver arrived and validated with the
    # SDK's validateRequest, and none validated with a wrong token.
    sent = [a for a in smsim_control.callbacks() if a["url"].startswith(summary["receiver"] + "/")]
    assert sent, "smsim sent no webhook to the Node receiver"
    assert all(a["status_code"] == 200 for a in sent), sent
    assert summary["received"] == len(sent)
    assert summary["validated"] == len(sent)
    assert summary["forged_accepted"] == 0
    assert summary["by_path"]["/inbound"] == 1
    # each of the 28 messages sent with a StatusCallback (or through the service) reported
    # its final status
    assert summary["statuses"].count("delivered") == 28
