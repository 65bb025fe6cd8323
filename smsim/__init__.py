"""smsim: an offline stand-in for Twilio SMS.

The public entry points are re-exported lazily so that ``import smsim`` stays cheap
(the CLI and the pytest plugin import it on every run).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

__version__ = "0.1.0"

# Installed, smsim.simulator & co. are the checkout's top-level folders mapped into this
# package (pyproject's package-dir); an editable install (the README's ``pip install -e``)
# maps them to the checkout itself, so plain ``pytest`` needs nothing here. But
# ``python -m pytest`` and ``python -m smsim`` put the current folder first on sys.path:
# ``smsim`` is then the checkout's folder whatever is installed, and without this line its
# parts would come from the installed copy (a non-editable one, or another checkout's) or
# not be found at all. So a checkout always finds its own parts first.
_here = Path(__file__).resolve().parent
if not (_here / "simulator").is_dir() and (_here.parent / "simulator" / "__init__.py").is_file():
    __path__.append(str(_here.parent))

_EXPORTS = {
    "SimulatorServer": "smsim.simulator.server",
    "SimulatorConfig": "smsim.simulator.config",
    "create_app": "smsim.simulator.http.app",
}


def __getattr__(name: str) -> Any:
    module_name = _EXPORTS.get(name)
    if module_name is None:
        raise AttributeError(f"module 'smsim' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module_name), name)


__all__ = [*_EXPORTS, "__version__"]
