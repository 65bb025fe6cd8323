"""A ``--config`` file is declarative: every start makes the store hold what it names.

Without this, a second start on the same database with another file would silently keep
the first file's accounts and rules. After :func:`apply_config`:

- **Accounts.** An entry with ``sid`` is that account: created, or updated to the file's
  ``type`` and, when given, ``auth_token`` and ``friendly_name``. An entry without ``sid``
  is tied to its position in the file: the account made for ``accounts[i]`` on an earlier
  start is updated, so restarting with the same file never makes a second one. The numbers
  and verified numbers an entry lists are added (a listed number takes the file's
  ``sms_url`` / ``sms_method`` / ``friendly_name``); ones it no longer lists are kept, as
  are accounts it no longer names, with their messages: nothing stored is dropped. A
  number owned by another account in the database is refused (:class:`ConfigError`).
- **Rules.** The rules an earlier file added are replaced by this file's (untouched,
  remaining ``count`` included, when they are unchanged); rules added through the control
  API stay.

The engine calls it inside one transaction, so a refused file changes nothing.
"""

from __future__ import annotations

import json

from smsim.simulator import meta
from smsim.simulator.account_spec import NUMBER_SETTINGS, AccountConfig, number_spec
from smsim.simulator.accounts import Accounts
from smsim.simulator.config import SimulatorConfig
from smsim.simulator.errors import ConfigError
from smsim.simulator.models import Account
from smsim.simulator.rules import RuleBook
from smsim.simulator.store_api import Store

#: Meta key: the account SID made for each ``accounts[i]`` without ``sid`` of the last file
#: that named accounts (null for entries with a ``sid``).
POSITIONS_KEY = "config_account_sids"


def apply_config(
    config: SimulatorConfig, accounts: Accounts, rules: RuleBook, store: Store
) -> None:
    """Create or update the file's accounts and replace the file's rules (see module doc)."""
    if config.accounts:  # a file without accounts leaves the remembered positions alone
        remembered = _remembered_positions(store)
        pinned = {spec.sid for spec in config.accounts if spec.sid}
        chosen: list[str] = []
        positions: list[str | None] = []  # only entries without sid follow their position
        for i, spec in enumerate(config.accounts):
            sid = spec.sid
            if sid is None and i < len(remembered):
                earlier = remembered[i]
                if earlier and earlier not in pinned and earlier not in chosen:
                    sid = earlier if accounts.get(earlier) else None
            account = _declare_account(accounts, spec, sid, f"accounts[{i}]")
            chosen.append(account.sid)
            positions.append(None if spec.sid else account.sid)
        meta.put(store, POSITIONS_KEY, json.dumps(positions))
    rules.replace_config_rules(config.rules)


def _declare_account(
    accounts: Accounts, spec: AccountConfig, sid: str | None, where: str
) -> Account:
    existing = accounts.get(sid) if sid else None
    _check_owners(accounts, spec, existing.sid if existing else None, where)
    if existing is None:
        return accounts.create(
            account_type=spec.type,
            friendly_name=spec.friendly_name,
            sid=sid,
            auth_token=spec.auth_token,
            numbers=[number_spec(n) for n in spec.numbers],
            verified_numbers=spec.verified_numbers,
        )
    accounts.redeclare(
        existing.sid,
        account_type=spec.type,
        auth_token=spec.auth_token,
        friendly_name=spec.friendly_name,
    )
    for raw in spec.numbers:
        owned = accounts.number_by_phone(raw["phone_number"])
        if owned is None:
            accounts.add_number(existing.sid, number_spec(raw))
            continue
        settings = {key: raw[key] for key in NUMBER_SETTINGS if key in raw}
        if settings:
            accounts.update_number(existing.sid, owned.sid, settings)
    for number in spec.verified_numbers:
        accounts.add_verified(existing.sid, number)
    updated = accounts.get(existing.sid)
    assert updated is not None
    return updated


def _check_owners(accounts: Accounts, spec: AccountConfig, sid: str | None, where: str) -> None:
    for j, raw in enumerate(spec.numbers):
        owned = accounts.number_by_phone(raw["phone_number"])
        if owned is not None and owned.account_sid != sid:
            raise ConfigError(
                f"{where}.numbers[{j}]: {raw['phone_number']} is owned by account"
                f" {owned.account_sid} in this database; list it under that account's sid,"
                " or start with a new --db"
            )


def _remembered_positions(store: Store) -> list[str | None]:
    text = meta.get(store, POSITIONS_KEY)
    if not text:
        return []
    value = json.loads(text)
    return [v if isinstance(v, str) else None for v in value] if isinstance(value, list) else []
