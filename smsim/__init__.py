"""smsim: an offline stand-in for Twilio SMS.

The public entry points are re-exported lazily so that ``import smsim`` stays cheap
(the CLI and the pytest plugin import it on every run).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

__version__ = "0.1.0"

# Installed, smsim.simulator & co. live inside this package (setuptools package-dir). Run
# from a source checkout without installing (or with the checkout's folder first on
# sys.path, as ``python -m pytest`` does), they are the checkout's top-level folders:
# make ``smsim.<part>`` find them there, exactly as the installed layout would.
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
