"""The Media subresource of a Message: one row per ``MediaUrl`` (docs/fidelity.md,
Messages API: Media and Feedback).

Twilio creates a Media resource for each media file of a message it sends or receives
and keeps it until it is deleted; deleting the message deletes its media
(https://www.twilio.com/docs/messaging/api/media-resource). smsim never fetches the URL:
the resource records it, and its ``content_type`` is guessed from the URL's path (see
:func:`~smsim.simulator.media_urls.content_type_of`). This module owns the ``media`` table.
"""

from __future__ import annotations

from dataclasses import dataclass

from smsim.simulator.errors import not_found
from smsim.simulator.ids import is_sid, new_sid
from smsim.simulator.media_urls import content_type_of
from smsim.simulator.messages import page_token_for
from smsim.simulator.models import Message, from_row
from smsim.simulator.store_api import Store


@dataclass(frozen=True)
class Media:
    sid: str
    account_sid: str
    parent_sid: str
    content_type: str
    url: str
    date_created: float
    date_updated: float


@dataclass(frozen=True)
class MediaPage:
    """One page of a message's media, oldest (``MediaUrl`` order) first."""

    items: list[Media]
    page: int
    page_size: int
    next_token: str | None


def media_path(account_sid: str, message_sid: str) -> str:
    """The list URI of a message's media, relative to the API root."""
    return f"/2010-04-01/Accounts/{account_sid}/Messages/{message_sid}/Media"


class MediaRows:
    """The ``media`` table: the only place that writes SQL for it."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def add_for(self, message: Message) -> None:
        """One Media resource per URL of a just-stored ``message``, in one statement
        (the caller's transaction); nothing at all for a message without media."""
        if not message.media_urls:
            return
        now = message.date_created
        self.store.executemany(
            "INSERT INTO media (sid, account_sid, parent_sid, content_type, url,"
            " date_created, date_updated) VALUES (?,?,?,?,?,?,?)",
            [
                (new_sid("ME"), message.account_sid, message.sid, content_type_of(u), u, now, now)
                for u in message.media_urls
            ],
        )

    def page(
        self,
        account_sid: str,
        message_sid: str,
        created: tuple[float | None, float | None],
        page_size: int,
        page: int,
        page_token: int | None,
    ) -> MediaPage:
        """One page of the media of a message, in ``MediaUrl`` order.

        ``created`` is an inclusive (after, before) range of ``date_created``;
        ``page_token`` the storage position of the last item of the previous page, as
        for Messages (docs/fidelity.md, Messages API: list order, paging).
        """
        after, before = created
        sql = "SELECT * FROM media WHERE parent_sid = ? AND account_sid = ?"
        params: list[object] = [message_sid, account_sid]
        if after is not None:
            sql += " AND date_created >= ?"
            params.append(after)
        if before is not None:
            sql += " AND date_created <= ?"
            params.append(before)
        offset = 0
        if page_token is not None:
            sql += " AND id > ?"
            params.append(page_token)
        else:
            offset = page * page_size
        rows = self.store.all(
            sql + " ORDER BY id LIMIT ? OFFSET ?", [*params, page_size + 1, offset]
        )
        shown = rows[:page_size]
        more = len(rows) > page_size
        next_token = page_token_for(shown[-1]["id"]) if more and shown else None
        return MediaPage([from_row(Media, r) for r in shown], page, page_size, next_token)

    def get(self, account_sid: str, message_sid: str, sid: str) -> Media:
        """The Media ``sid`` of that message of that account, or 20404."""
        row = None
        if is_sid(sid, "ME"):
            row = self.store.one(
                "SELECT * FROM media WHERE sid = ? AND parent_sid = ? AND account_sid = ?",
                (sid, message_sid, account_sid),
            )
        if row is None:
            raise not_found(f"{media_path(account_sid, message_sid)}/{sid}.json")
        return from_row(Media, row)

    def delete(self, account_sid: str, message_sid: str, sid: str) -> None:
        """Delete one Media resource, or 20404. The message's ``num_media`` is kept
        (docs/fidelity.md, Messages API: Media and Feedback)."""
        media = self.get(account_sid, message_sid, sid)
        self.store.execute("DELETE FROM media WHERE sid = ?", (media.sid,))

    def delete_of_message(self, message_sid: str) -> None:
        """Delete every Media resource of a message (the message itself is going)."""
        self.store.execute("DELETE FROM media WHERE parent_sid = ?", (message_sid,))

    def delete_of_account(self, account_sid: str) -> None:
        """Delete every Media resource of an account's messages (the account is going)."""
        self.store.execute("DELETE FROM media WHERE account_sid = ?", (account_sid,))
