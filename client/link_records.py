"""The ``links`` and ``clicks`` tables: tracked short links and every click on them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from smsim.client.records import EVENT_CLICKED, NotFoundError

if TYPE_CHECKING:
    from smsim.client.event_records import EventRecords
    from smsim.client.message_records import MessageRecords
    from smsim.client.store import Store


class LinkRecords:
    """Short links of click-tracked campaigns, and their clicks."""

    def __init__(self, store: Store, messages: MessageRecords, events: EventRecords) -> None:
        self._store = store
        self._messages = messages
        self._events = events

    def create_links(self, rows: Iterable[tuple[str, int, int, str]]) -> None:
        """Save short links as (code, campaign_id, message_id, url)."""
        with self._store.transaction() as conn:
            conn.executemany(
                "INSERT INTO links (code, campaign_id, message_id, url) VALUES (?, ?, ?, ?)",
                list(rows),
            )

    def record_click(self, code: str) -> str:
        """Count a click on a short link and return its target URL.

        Every click is an event; stats count unique recipients who clicked.
        """
        with self._store.transaction() as conn:
            link = conn.execute("SELECT * FROM links WHERE code = ?", (code,)).fetchone()
            if link is None:
                raise NotFoundError(f"link {code!r} not found")
            msg = self._messages.get_message(link["message_id"])
            conn.execute(
                "INSERT INTO clicks (code, campaign_id, message_id, clicked_at)"
                " VALUES (?, ?, ?, ?)",
                (code, link["campaign_id"], link["message_id"], self._store.clock()),
            )
            self._events.record(
                conn,
                EVENT_CLICKED,
                provider_id=msg.provider_id if msg else None,
                campaign_id=link["campaign_id"],
                message_id=link["message_id"],
                props={"to": msg.to_number if msg else None, "url": link["url"]},
            )
            return str(link["url"])
