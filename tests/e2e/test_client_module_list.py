"""docs/client.md lists the client's modules: every module there exists, and every module
of client/ is there, so the list cannot drift from the code again."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_docs_client_md_lists_exactly_the_client_modules() -> None:
    text = (ROOT / "docs" / "client.md").read_text(encoding="utf-8")
    listing = text.split("```\n", 2)[1]  # the first code block: the module list
    listed = set(re.findall(r"^(\w+\.py|\w+/)\s", listing, flags=re.M))
    actual = {p.name for p in (ROOT / "client").glob("*.py") if p.name != "__init__.py"}
    actual |= {f"{p.name}/" for p in (ROOT / "client").iterdir() if (p / "__init__.py").is_file()}
    assert listed == actual, (
        f"listed but missing: {sorted(listed - actual)}; not listed: {sorted(actual - listed)}"
    )
