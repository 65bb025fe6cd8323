"""smsim.client: a CleverTap-style Twilio SMS provider integration.

Python API: :class:`~smsim.client.integration.Integration`; HTTP app:
:func:`~smsim.client.app.create_app`; embeddable server:
:class:`~smsim.client.server.ClientServer`; configuration:
:class:`~smsim.client.config.ClientConfig`. Imported lazily so that importing one part
does not pull in Flask or waitress.
"""

from __future__ import annotations

from typing import Any

_EXPORTS = {
    "ClientConfig": "smsim.client.config",
    "Integration": "smsim.client.integration",
    "create_app": "smsim.client.app",
    "ClientServer": "smsim.client.server",
}


def __getattr__(name: str) -> Any:
    module_name = _EXPORTS.get(name)
    if module_name is None:
        raise AttributeError(f"module 'smsim.client' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module_name), name)


__all__ = list(_EXPORTS)
