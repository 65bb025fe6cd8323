"""The ``providers`` table: the SMS providers configured in Settings > Channels > SMS.

Every status callback needs the providers that may have signed it; :meth:`provider_index`
keeps them in memory, rebuilt when :meth:`Store.generation` moves (each provider write
bumps it, in this process and, through the database, in every other one).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from smsim.client.records import ConflictError, NotFoundError, provider_from_row
from smsim.client.settings import Provider

if TYPE_CHECKING:
    from smsim.client.store import Store


@dataclass(frozen=True)
class ProviderIndex:
    """Every provider (deleted ones too) as of one generation, for the receiver."""

    by_id: dict[int, Provider] = field(default_factory=dict)
    active: tuple[Provider, ...] = ()  # oldest first
    #: account SID -> its providers, active ones first, then by id
    by_account: dict[str, tuple[Provider, ...]] = field(default_factory=dict)

    @classmethod
    def of(cls, providers: list[tuple[Provider, bool]]) -> ProviderIndex:
        """Build from (provider, deleted) pairs ordered by id."""
        by_account: dict[str, list[Provider]] = {}
        for provider, _ in sorted(providers, key=lambda pair: (pair[1], pair[0].id)):
            by_account.setdefault(provider.account_sid, []).append(provider)
        return cls(
            by_id={p.id: p for p, _ in providers},
            active=tuple(p for p, deleted in providers if not deleted),
            by_account={sid: tuple(found) for sid, found in by_account.items()},
        )


class ProviderRecords:
    """Providers: soft-deleted, exactly one default while any is left."""

    def __init__(self, store: Store) -> None:
        self._store = store
        # (generation, index) in one attribute: receiver threads replace it whole, so an
        # index is never paired with a generation it was not read at
        self._provider_index: tuple[int, ProviderIndex] | None = None

    def provider_index(self) -> ProviderIndex:
        """Every provider from memory; read again only after a provider changed."""
        generation = self._store.generation
        cached = self._provider_index
        if cached is not None and cached[0] == generation:
            return cached[1]
        rows = self._store.all("SELECT * FROM providers ORDER BY id")
        index = ProviderIndex.of(
            [(provider_from_row(r), r["deleted_at"] is not None) for r in rows]
        )
        self._provider_index = (generation, index)
        return index

    def list_providers(self) -> list[Provider]:
        """Active providers, oldest first."""
        rows = self._store.all("SELECT * FROM providers WHERE deleted_at IS NULL ORDER BY id")
        return [provider_from_row(r) for r in rows]

    def get_provider(self, provider_id: int, *, include_deleted: bool = False) -> Provider:
        """A provider by id; deleted ones only when asked (the receiver still verifies them)."""
        sql = "SELECT * FROM providers WHERE id = ?"
        if not include_deleted:
            sql += " AND deleted_at IS NULL"
        rows = self._store.all(sql, (provider_id,))
        if not rows:
            raise NotFoundError(f"provider {provider_id} not found")
        return provider_from_row(rows[0])

    def find_provider(self, ref: int | str | None) -> Provider:
        """A provider by id or nickname; the default provider when ``ref`` is None."""
        if ref is None:
            rows = self._store.all(
                "SELECT * FROM providers WHERE deleted_at IS NULL AND is_default = 1"
            )
            if not rows:
                raise NotFoundError("no default provider: add a provider first")
            return provider_from_row(rows[0])
        if isinstance(ref, int) or (isinstance(ref, str) and ref.isascii() and ref.isdigit()):
            return self.get_provider(int(ref))
        rows = self._store.all(
            "SELECT * FROM providers WHERE deleted_at IS NULL AND nickname = ? COLLATE NOCASE",
            (ref,),
        )
        if not rows:
            raise NotFoundError(f"provider {ref!r} not found")
        return provider_from_row(rows[0])

    def _nickname_taken(self, conn: sqlite3.Connection, nickname: str, exclude: int) -> bool:
        row = conn.execute(
            "SELECT 1 FROM providers WHERE deleted_at IS NULL AND id != ?"
            " AND nickname = ? COLLATE NOCASE",
            (exclude, nickname),
        ).fetchone()
        return row is not None

    def create_provider(self, fields: Mapping[str, Any]) -> Provider:
        """Insert a validated provider; the first one, or one marked default, becomes default."""
        now = self._store.clock()
        with self._store.transaction() as conn:
            if self._nickname_taken(conn, fields["nickname"], exclude=-1):
                raise ConflictError({"nickname": "is already used by another provider"})
            has_default = conn.execute(
                "SELECT 1 FROM providers WHERE deleted_at IS NULL AND is_default = 1"
            ).fetchone()
            make_default = bool(fields.get("is_default")) or has_default is None
            if make_default:
                conn.execute("UPDATE providers SET is_default = 0 WHERE is_default = 1")
            cur = conn.execute(
                "INSERT INTO providers (nickname, account_sid, auth_token, callback_url,"
                " from_numbers, service_sid, template_id_required, is_default, created_at,"
                " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    fields["nickname"],
                    fields["account_sid"],
                    fields["auth_token"],
                    fields.get("callback_url"),
                    json.dumps(list(fields.get("from_numbers", ()))),
                    fields.get("service_sid"),
                    int(bool(fields.get("template_id_required", False))),
                    int(make_default),
                    now,
                    now,
                ),
            )
            provider_id = int(cur.lastrowid or 0)
            self._store.bump_generation()
        return self.get_provider(provider_id)

    def update_provider(self, provider_id: int, fields: Mapping[str, Any]) -> Provider:
        """Apply validated changes; marking one provider default unmarks the others."""
        columns: dict[str, Callable[[Any], Any]] = {
            "nickname": lambda v: v,
            "account_sid": lambda v: v,
            "auth_token": lambda v: v,
            "callback_url": lambda v: v,
            "from_numbers": lambda v: json.dumps(list(v)),
            "service_sid": lambda v: v,
            "template_id_required": int,
            "is_default": int,
        }
        with self._store.transaction() as conn:
            row = conn.execute(
                "SELECT * FROM providers WHERE id = ? AND deleted_at IS NULL", (provider_id,)
            ).fetchone()
            if row is None:
                raise NotFoundError(f"provider {provider_id} not found")
            if "nickname" in fields and self._nickname_taken(
                conn, fields["nickname"], exclude=provider_id
            ):
                raise ConflictError({"nickname": "is already used by another provider"})
            if fields.get("is_default") is False and row["is_default"]:
                raise ConflictError(
                    {"is_default": "one provider must stay default: mark another one instead"}
                )
            if fields.get("is_default"):
                conn.execute("UPDATE providers SET is_default = 0 WHERE is_default = 1")
            sets = [(k, columns[k](v)) for k, v in fields.items() if k in columns]
            sets.append(("updated_at", self._store.clock()))
            conn.execute(
                f"UPDATE providers SET {', '.join(f'{k} = ?' for k, _ in sets)} WHERE id = ?",
                [v for _, v in sets] + [provider_id],
            )
            self._store.bump_generation()
        return self.get_provider(provider_id)

    def delete_provider(self, provider_id: int) -> None:
        """Soft-delete: the provider disappears from lists and sends, but late callbacks for
        its messages still verify and count. The oldest remaining provider becomes default."""
        with self._store.transaction() as conn:
            row = conn.execute(
                "SELECT is_default FROM providers WHERE id = ? AND deleted_at IS NULL",
                (provider_id,),
            ).fetchone()
            if row is None:
                raise NotFoundError(f"provider {provider_id} not found")
            conn.execute(
                "UPDATE providers SET deleted_at = ?, is_default = 0 WHERE id = ?",
                (self._store.clock(), provider_id),
            )
            self._store.bump_generation()
            if row["is_default"]:
                conn.execute(
                    "UPDATE providers SET is_default = 1 WHERE id = (SELECT MIN(id)"
                    " FROM providers WHERE deleted_at IS NULL)"
                )
