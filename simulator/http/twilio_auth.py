"""HTTP Basic authentication of the Twilio surfaces (``/2010-04-01/``, ``/v1/``).

Twilio authenticates before anything else: a request under its API with wrong or no
credentials is answered 401 (20003) whether or not its route exists, and only an
authenticated caller learns that a route does not exist (404, 20404) or does not take
its method (405 with ``Allow``). So this runs as an app hook for every request under
those prefixes, before routing errors are raised, not as a blueprint hook (which only
runs for routes that matched). A parent account's credentials reach its subaccounts
(:meth:`~smsim.simulator.accounts.Accounts.authorize`, per route).
"""

from __future__ import annotations

from flask import g, request

from smsim.simulator.errors import authentication_failed
from smsim.simulator.http.context import current_engine


def authenticate() -> None:
    """Set ``g.principal`` to the account whose credentials the request carries, or
    raise 20003."""
    auth = request.authorization
    if auth is None or auth.type != "basic":
        raise authentication_failed()
    g.principal = current_engine().accounts.authenticate(auth.username, auth.password)
