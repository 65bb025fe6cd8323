"""Pact files: found in the paths given, read, and checked before pact replays them.

Each interaction's provider states are checked here (:func:`smsim.pact.states.check`): an
unknown state, bad params or an interaction kind smsim cannot verify fails that
interaction with a sentence, and only the others go to pact's verifier, in a copy of the
file written to a scratch folder.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from smsim.pact.provider import StateError
from smsim.pact.states import MESSAGE_STATES, check

HTTP = "Synchronous/HTTP"
MESSAGE = "Asynchronous/Messages"


class PactFileError(ValueError):
    """A path that is not a readable pact file (a usage error: exit 2)."""


@dataclass(frozen=True)
class Interaction:
    description: str
    kind: str  # HTTP or MESSAGE
    states: tuple[tuple[str, dict[str, Any]], ...]
    problem: str | None  # why smsim refuses it before replaying, or None


@dataclass
class PactFile:
    path: Path
    consumer: str
    provider: str
    document: dict[str, Any]
    interactions: list[Interaction] = field(default_factory=list)

    @property
    def key(self) -> str:
        """The list holding the interactions: ``interactions``, or ``messages`` (V3)."""
        return "messages" if "messages" in self.document else "interactions"

    def runnable_copy(self, folder: Path) -> Path | None:
        """This file with the refused interactions left out, or None when none is left."""
        kept = [
            raw
            for raw, seen in zip(self.document.get(self.key) or [], self.interactions, strict=True)
            if seen.problem is None
        ]
        if not kept:
            return None
        target = folder / f"{len(list(folder.iterdir())):04d}-{self.path.name}"
        target.write_text(json.dumps({**self.document, self.key: kept}), encoding="utf-8")
        return target


def find(paths: Iterable[str]) -> list[Path]:
    """Every pact file named, or inside a folder named (``*.json``, sorted)."""
    found: list[Path] = []
    for name in paths:
        path = Path(name)
        if path.is_dir():
            inside = sorted(p for p in path.rglob("*.json") if p.is_file())
            if not inside:
                raise PactFileError(f"{name}: a folder without pact files (*.json)")
            found.extend(inside)
        elif path.is_file():
            found.append(path)
        else:
            raise PactFileError(f"{name}: no such file or folder")
    return found


def load(path: Path) -> PactFile:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PactFileError(f"{path}: not a readable JSON pact file ({exc})") from None
    if not isinstance(document, dict) or not isinstance(
        document.get("interactions", document.get("messages")), list
    ):
        raise PactFileError(f"{path}: not a pact file (no list of interactions or messages)")
    pact = PactFile(
        path=path,
        consumer=_name(document, "consumer"),
        provider=_name(document, "provider"),
        document=document,
    )
    v3_messages = "messages" in document
    pact.interactions = [_interaction(raw, v3_messages) for raw in document[pact.key]]
    return pact


def _name(document: dict[str, Any], role: str) -> str:
    value = document.get(role)
    name = value.get("name") if isinstance(value, dict) else None
    return name if isinstance(name, str) and name else f"(no {role} name)"


def _interaction(raw: Any, v3_messages: bool) -> Interaction:
    if not isinstance(raw, dict):
        return Interaction("(not an object)", HTTP, (), "an interaction must be an object")
    description = str(raw.get("description", "(no description)"))
    kind = raw.get("type") or (MESSAGE if v3_messages else HTTP)
    states = tuple(_states(raw))
    problem = None
    if kind not in {HTTP, MESSAGE}:
        problem = (
            f"smsim verifies {HTTP} and {MESSAGE} interactions, not {kind} "
            "(Twilio's REST API is HTTP and its webhooks reach the app as messages)"
        )
    else:
        try:
            for name, params in states:
                check(name, params)
        except StateError as exc:
            problem = str(exc)
    if problem is None and kind == MESSAGE and not _produces_message(states):
        problem = (
            "a message interaction needs exactly one provider state 'a status callback' "
            "or 'an inbound message': it says which webhook smsim sends"
        )
    return Interaction(description, kind, states, problem)


def _states(raw: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    listed = raw.get("providerStates")
    if isinstance(listed, list):
        for state in listed:
            if isinstance(state, dict):
                yield str(state.get("name", "")), state.get("params")
            else:
                yield str(state), None
    elif isinstance(raw.get("providerState"), str):  # V2
        yield raw["providerState"], None


def _produces_message(states: tuple[tuple[str, Any], ...]) -> bool:
    return sum(name in MESSAGE_STATES for name, _ in states) == 1
