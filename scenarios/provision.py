"""A scenario's ``setup``: vars, accounts, Messaging Services, rules, providers.

Everything goes through the public surfaces, as a user would: accounts and rules through
the simulator's control API, Messaging Services through Twilio's v1 API, providers
through the client's settings API. A refusal stops the scenario with the answer and the
setup line that asked for it.
"""

from __future__ import annotations

from typing import Any

import requests

from smsim.scenarios.values import UnresolvedReference
from smsim.scenarios.world import StepError, World
from smsim.testing import ControlError

ACCOUNT_NAME_PREFIX = "scenario: "


class SetupError(StepError):
    """A setup entry failed; ``key`` names it (``accounts.acme``, ``rules[0]``)."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(f"setup {key}: {message}")
        self.key = key


def provision(world: World) -> None:
    """Build the scenario's world, in dependency order."""
    setup = world.scenario.setup
    _vars(world)
    for alias, spec in (setup.get("accounts") or {}).items():
        _guard(f"accounts.{alias}", _account, world, alias, spec)
    for alias, spec in (setup.get("services") or {}).items():
        _guard(f"services.{alias}", _service, world, alias, spec)
    for i, rule in enumerate(setup.get("rules") or []):
        _guard(f"rules[{i}]", add_rule, world, rule)
    for alias, spec in (setup.get("providers") or {}).items():
        _guard(f"providers.{alias}", _provider_from_setup, world, alias, spec)


def _guard(key: str, fn: Any, *args: Any) -> None:
    try:
        fn(*args)
    except SetupError:
        raise
    except (StepError, UnresolvedReference, ControlError) as exc:
        raise SetupError(key, str(exc)) from None


def _vars(world: World) -> None:
    for name, value in world.scenario.vars:
        try:
            world.ctx.vars[name] = world.ctx.render(value)
        except UnresolvedReference as exc:
            raise SetupError(f"vars.{name}", str(exc)) from None


def _account(world: World, alias: str, spec: dict[str, Any]) -> None:
    assert world.control is not None
    default_url = world.target("client") if world.client_url else None
    numbers = []
    for raw in world.ctx.render(spec.get("numbers") or []):
        if isinstance(raw, dict):
            url = world.target(raw["sms_url"]) if raw.get("sms_url") is not None else None
            numbers.append({"phone_number": raw["phone_number"], "sms_url": url})
        else:
            numbers.append({"phone_number": raw, "sms_url": default_url})
    created = world.control.create_account(
        spec.get("type", "full"),
        numbers=numbers,
        verified_numbers=world.ctx.render(spec.get("verified_numbers") or []),
        friendly_name=account_name(world.scenario.name, alias),
    )
    world.accounts[alias] = {
        "alias": alias,
        "sid": created["sid"],
        "auth_token": created["auth_token"],
        "type": created["type"],
        "numbers": [n["phone_number"] for n in created["numbers"]],
        "number_sids": {n["phone_number"]: n["sid"] for n in created["numbers"]},
        "verified_numbers": created["verified_numbers"],
    }


def account_name(scenario_name: str, alias: str) -> str:
    """The friendly name of an account a scenario creates: marked as a scenario's, with
    the scenario's whole name, so that on a shared server it is known for what it is."""
    return f"{ACCOUNT_NAME_PREFIX}{scenario_name} ({alias})"


def _service(world: World, alias: str, spec: dict[str, Any]) -> None:
    account = world.account(spec["account"])
    form: dict[str, str] = {"FriendlyName": alias}
    inbound = spec.get("inbound_request_url", "client" if world.client_url else None)
    if inbound is not None:
        form["InboundRequestUrl"] = str(world.target(inbound))
    if spec.get("status_callback") is not None:
        form["StatusCallback"] = str(world.target(spec["status_callback"]))
    if "sticky_sender" in spec:
        form["StickySender"] = "true" if world.ctx.render(spec["sticky_sender"]) else "false"
    created = _expect_created(world.twilio("POST", "/v1/Services", account, form))
    service = {"alias": alias, "sid": created["sid"], "account": account["alias"]}
    for number in world.ctx.render(spec.get("numbers") or []):
        number_sid = account["number_sids"].get(number)
        if number_sid is None:
            raise StepError(f"{number} is not a number of account {account['alias']!r}")
        path = f"/v1/Services/{created['sid']}/PhoneNumbers"
        _expect_created(world.twilio("POST", path, account, {"PhoneNumberSid": number_sid}))
    world.services[alias] = service


def add_rule(world: World, rule: dict[str, Any]) -> dict[str, Any]:
    """Add an outcome rule; remembered so a shared server gets it removed afterwards."""
    assert world.control is not None
    added = world.control.add_rule(world.ctx.render(rule))
    world.rule_ids.append(int(added["id"]))
    return added


def provider_settings(world: World, spec: dict[str, Any], alias: str | None) -> dict[str, Any]:
    """The client's provider form from a scenario's provider entry."""
    account = world.account(spec["account"])
    settings: dict[str, Any] = {
        "nickname": world.ctx.render(spec.get("nickname") or alias or "provider"),
        "account_sid": account["sid"],
        "auth_token": account["auth_token"],
    }
    if spec.get("service") is not None:
        settings["service_sid"] = world.service(spec["service"])["sid"]
    if spec.get("from_numbers") is not None:
        settings["from_numbers"] = world.ctx.render(spec["from_numbers"])
    elif "service_sid" not in settings:
        settings["from_numbers"] = account["numbers"]
    if spec.get("callback_url") is not None:
        settings["callback_url"] = world.target(spec["callback_url"])
    for flag in ("template_id_required", "is_default"):
        if flag in spec:
            settings[flag] = world.ctx.render(spec[flag])
    return settings


def _provider_from_setup(world: World, alias: str, spec: dict[str, Any]) -> None:
    response = world.client_api("POST", "/api/providers", provider_settings(world, spec, alias))
    world.providers[alias] = {**_expect_created(response), "alias": alias}


def _expect_created(response: requests.Response) -> dict[str, Any]:
    if response.status_code not in (200, 201):
        raise StepError(
            f"{response.request.method} {response.url} answered {response.status_code}: "
            f"{response.text[:500]}"
        )
    return response.json()
