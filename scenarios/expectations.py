"""The expectation registry: one function per kind, each reading one public view.

- ``message`` / ``messages``: the simulator's Messages (control API);
- ``callbacks``: the simulator's webhook attempts log (where, fields, signature, the
  receiver's answer);
- ``stats`` / ``events`` / ``provider``: what the client integration shows.

A failed expectation raises :class:`ExpectationFailed` with every mismatch (path,
expected, actual) and the nearest things that were there, so a report can say
"expected delivered: 2, actual: 1" and show what did arrive instead.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from smsim.contracts import catalogue
from smsim.contracts.signature import SIGNATURE_HEADER, validate_signature
from smsim.scenarios.matching import Mismatch, compare, loose_equal, missing
from smsim.scenarios.world import StepError, World


class ExpectationFailed(AssertionError):
    """An expectation did not hold. ``actual`` is what was there, for the report."""

    def __init__(
        self, summary: str, mismatches: Sequence[Mismatch] = (), actual: Any = None
    ) -> None:
        super().__init__(summary)
        self.summary = summary
        self.mismatches = list(mismatches)
        self.actual = actual


ExpectFn = Callable[[World, Any], None]
EXPECTATIONS: dict[str, ExpectFn] = {}


def expectation(name: str) -> Callable[[ExpectFn], ExpectFn]:
    """Register an expectation kind."""

    def register(fn: ExpectFn) -> ExpectFn:
        EXPECTATIONS[name] = fn
        return fn

    return register


def _check(summary: str, expected: Any, actual: Any, context: Any = None) -> None:
    mismatches = compare(expected, actual)
    if mismatches:
        raise ExpectationFailed(summary, mismatches, actual if context is None else context)


def _count(summary: str, expected: Any, items: Sequence[Any], context: Any) -> None:
    if expected is None:
        if not items:
            raise ExpectationFailed(f"{summary}: none found", [], context)
        return
    mismatches = compare(expected, len(items), "count")
    if mismatches:
        raise ExpectationFailed(summary, mismatches, context)


def _scoped_accounts(world: World, ref: Any) -> list[str]:
    if ref is not None:
        return [world.account(ref)["sid"]]
    return [a["sid"] for a in world.accounts.values()]


def _messages(world: World, account_sids: list[str], **filters: str) -> list[dict[str, Any]]:
    assert world.control is not None
    found: list[dict[str, Any]] = []
    for sid in account_sids:
        found.extend(world.control.messages(0, account_sid=sid, limit="1000", **filters))
    found.sort(key=lambda m: m.get("date_created") or "", reverse=False)
    return found


def _brief_message(m: Mapping[str, Any]) -> dict[str, Any]:
    keys = ("sid", "direction", "from", "to", "status", "error_code", "body")
    return {k: m.get(k) for k in keys}


# -- simulator ----------------------------------------------------------------------------


@expectation("message")
def message(world: World, args: dict[str, Any]) -> None:
    """One Message (by ``sid``, or the last one sent to ``to``) has the given fields."""
    assert world.control is not None
    fields = {k: v for k, v in args.items() if k not in ("sid", "to", "account")}
    accounts = _scoped_accounts(world, args.get("account"))
    if args.get("sid"):
        found = world.control.messages(sid=str(args["sid"]))
        what = f"message {args['sid']}"
    else:
        found = [
            m
            for m in world.control.messages(to=str(args.get("to")), limit="1000")
            if m["account_sid"] in accounts
        ]
        what = f"the last message to {args.get('to')}"
    if not found:
        nearby = [_brief_message(m) for m in _messages(world, accounts)][-10:]
        raise ExpectationFailed(f"{what}: no such message", [], {"messages": nearby})
    _check(what, fields, found[0], _brief_message(found[0]) | {k: found[0].get(k) for k in fields})


@expectation("messages")
def messages(world: World, args: dict[str, Any]) -> None:
    """How many Messages the simulator holds for the filters."""
    filters = {key: str(args[key]) for key in ("to", "from", "status") if args.get(key) is not None}
    found = _messages(world, _scoped_accounts(world, args.get("account")), **filters)
    shown = ", ".join(f"{k}={v}" for k, v in filters.items()) or "all"
    _count(f"messages ({shown})", args.get("count"), found, [_brief_message(m) for m in found])


# -- callbacks ----------------------------------------------------------------------------


def _handset(attempt: Mapping[str, Any]) -> str | None:
    params = attempt["params"]
    return params.get("From") if attempt["kind"] == "inbound" else params.get("To")


def _status_of(attempt: Mapping[str, Any]) -> str | None:
    params = attempt["params"]
    return params.get("MessageStatus") or params.get("SmsStatus")


def _brief_callback(attempt: Mapping[str, Any]) -> dict[str, Any]:
    params = attempt["params"]
    brief = {
        "kind": attempt["kind"],
        "url": attempt["url"],
        "status": _status_of(attempt),
        "answered": attempt["status_code"],
    }
    if params.get("ErrorCode"):
        brief["ErrorCode"] = params["ErrorCode"]
    return brief


@expectation("callbacks")
def callbacks(world: World, args: dict[str, Any]) -> None:
    """Webhooks the simulator sent, filtered, then counted and inspected."""
    assert world.control is not None
    query = {"kind": args.get("kind", "status")}
    if args.get("message"):
        query["message_sid"] = str(args["message"])
    accounts = {a["sid"] for a in world.accounts.values()}
    pool = [
        a for a in world.control.callbacks(limit="100000", **query) if a["account_sid"] in accounts
    ]
    where = world.target(args["at"]) if args.get("at") is not None else None
    chosen = [
        a
        for a in pool
        if (where is None or a["url"].startswith(where))
        and (args.get("recipient") is None or _handset(a) == args["recipient"])
        and (args.get("status") is None or _status_of(a) == args["status"])
    ]
    parts = [query["kind"] + " callbacks"]
    if args.get("message"):
        parts.append(f"for {args['message']}")
    if args.get("recipient"):
        parts.append(f"to handset {args['recipient']}")
    if args.get("status"):
        parts.append(f"with status {args['status']}")
    if where:
        parts.append(f"at {args['at']} ({where})")
    what = " ".join(parts)
    context = {"matching": [_brief_callback(a) for a in chosen]}
    if len(chosen) != len(pool):
        context["other callbacks"] = [_brief_callback(a) for a in pool if a not in chosen][:20]
    _count(what, args.get("count"), chosen, context)
    if "statuses" in args:
        _check(
            f"{what}: statuses in order",
            {"statuses": args["statuses"]},
            {"statuses": [_status_of(a) for a in chosen]},
            context,
        )
    if "last" in args and chosen:
        _check(f"{what}: fields of the last one", args["last"], chosen[-1]["params"])
    for attempt in chosen if "fields" in args else []:
        _check(f"{what}: fields of {_status_of(attempt)}", args["fields"], attempt["params"])
    if args.get("signed"):
        for attempt in chosen:
            _check_signature(world, attempt)
    if "answered" in args:
        answers = [a["status_code"] for a in chosen]
        _check(
            f"{what}: the receiver's answers", [args["answered"]] * len(chosen), answers, context
        )


def _check_signature(world: World, attempt: Mapping[str, Any]) -> None:
    token = world.token_of(attempt["account_sid"])
    signature = (attempt.get("headers") or {}).get(SIGNATURE_HEADER)
    if token is None:
        raise StepError(f"no auth token known for account {attempt['account_sid']}")
    params = attempt["params"] if attempt.get("method", "POST") == "POST" else {}
    if not validate_signature(attempt["url"], params, signature, token):
        raise ExpectationFailed(
            f"callback {_status_of(attempt)} to {attempt['url']}: {SIGNATURE_HEADER} does not "
            "verify with the account's auth token",
            [Mismatch(SIGNATURE_HEADER, "valid for the URL and fields", signature)],
            _brief_callback(attempt),
        )


# -- client -------------------------------------------------------------------------------


def _json(world: World, path: str) -> Any:
    response = world.client_api("GET", path)
    if response.status_code != 200:
        raise StepError(f"GET {path} answered {response.status_code}: {response.text[:300]}")
    return response.json()


def _campaign_id(world: World, ref: Any) -> int:
    if isinstance(ref, int):
        return ref
    saved = world.ctx.saved.get(ref) if isinstance(ref, str) else ref
    if isinstance(saved, Mapping) and saved.get("campaign_id") is not None:
        return int(saved["campaign_id"])
    if isinstance(ref, str) and ref.isdigit():
        return int(ref)
    raise StepError(f"campaign {ref!r}: not a saved send_campaign result")


@expectation("stats")
def stats(world: World, args: dict[str, Any]) -> None:
    """The client's Stats tab for a provider or a campaign."""
    if args.get("campaign") is not None:
        what = f"stats of campaign {args['campaign']}"
        report = _json(world, f"/api/campaigns/{_campaign_id(world, args['campaign'])}/stats")
    else:
        provider = world.provider(args["provider"])
        what = f"stats of provider {provider.get('alias', provider['id'])}"
        report = _json(world, f"/api/providers/{provider['id']}/stats")
    shown = {k: v for k, v in report.items() if k not in ("events_over_time", "bucket")}
    fields = {
        k: v for k, v in args.items() if k not in ("provider", "campaign", "consistent", "errors")
    }
    mismatches = compare(fields, report)
    if "errors" in args:
        mismatches += _error_table(args["errors"] or {}, report)
    if args.get("consistent"):
        mismatches += consistency(report)
    if mismatches:
        raise ExpectationFailed(what, mismatches, shown)


def _error_table(expected: Mapping[Any, Any], report: Mapping[str, Any]) -> list[Mismatch]:
    """Exactly these codes in Errors, each with its count (and description)."""
    shown = {str(d["code"]): d for d in report.get("error_details") or []}
    out: list[Mismatch] = []
    for code, want in expected.items():
        detail = shown.get(str(code))
        want_map = want if isinstance(want, Mapping) else {"count": want}
        if detail is None:
            out.append(Mismatch(f"errors.{code}", want_map, missing(), "not in the Errors tab"))
            continue
        out.extend(compare(want_map, detail, f"errors.{code}"))
    for code, detail in shown.items():
        if not any(str(c) == code for c in expected):
            got = {"count": detail["count"], "description": detail["description"]}
            out.append(Mismatch(f"errors.{code}", missing(), got, "shown but not expected"))
    return out


def consistency(report: Mapping[str, Any]) -> list[Mismatch]:
    """The numbers of a stats report add up (see client stats definitions)."""
    out: list[Mismatch] = []

    def need(path: str, left: Any, right: Any, formula: str) -> None:
        if not loose_equal(left, right):
            out.append(Mismatch(path, right, left, formula))

    t, s = report["targeted"], report["sent"]
    d, f, p = report["delivered"], report["failed"], report["pending"]
    need("targeted", s + report["failed_on_send"], t, "targeted = sent + failed on send")
    need("targeted", d + f + p, t, "targeted = delivered + failed + pending")
    codes = sum((report.get("errors") or {}).values())
    need("errors", codes, f - report["failed_without_code"], "sum of Errors = failed with a code")
    for detail in report.get("error_details") or []:
        if detail.get("in_catalogue"):
            want = catalogue.describe(detail["code"])
            need(
                f"errors.{detail['code']}.description",
                detail["description"],
                want,
                "the catalogue's description",
            )
    clicked = report.get("clicked")
    if clicked is not None and d:
        need("ctr", report.get("ctr"), round(clicked / d, 4), "ctr = clicked / delivered")
        if clicked > d:
            out.append(Mismatch("clicked", f"<= delivered ({d})", clicked, "unique clickers"))
    return out


@expectation("events")
def events(world: World, args: dict[str, Any]) -> None:
    """Events the client recorded, filtered by name, campaign, provider and ``where``."""
    query = [f"name={args['name']}", "limit=10000"]
    if args.get("campaign") is not None:
        query.append(f"campaign_id={_campaign_id(world, args['campaign'])}")
    if args.get("provider") is not None:
        query.append(f"provider_id={world.provider(args['provider'])['id']}")
    found = _json(world, "/api/events?" + "&".join(query))["events"]
    where = args.get("where")
    chosen = [e for e in found if where is None or not compare(where, e)]
    what = f"{args['name']!r} events" + (f" where {where}" if where else "")
    brief = [{k: e[k] for k in ("name", "campaign_id", "message_id", "props")} for e in chosen]
    context = {"matching": brief[:20]}
    if where and len(chosen) != len(found):
        context["others"] = [{"props": e["props"]} for e in found if e not in chosen][:10]
    _count(what, args.get("count"), chosen, context)


@expectation("provider")
def provider(world: World, args: dict[str, Any]) -> None:
    """A provider as the client shows it."""
    saved = world.provider(args["provider"])
    shown = _json(world, f"/api/providers/{saved['id']}")
    fields = {k: v for k, v in args.items() if k != "provider"}
    _check(f"provider {saved.get('alias', saved['id'])}", fields, shown)
