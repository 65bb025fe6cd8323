"""Links from the inbox to the client's dashboard, when the simulator knows where it runs
(``dashboard_url``, which ``smsim up`` passes).

A message sent by the client carries its attribution in its StatusCallback's query: the
client's ``account`` and a dotted ``meta`` naming the campaign (0 for a test SMS) and the
provider (see ``smsim.client.meta``). From that the inbox can say which campaign a message
belongs to and link there, and offer the client's receiver as the address to redeliver a
lost callback to.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit

from smsim.client.meta import parse_meta

RECEIVER_PATH = "/sms/twilio"


@dataclass(frozen=True)
class ClientOrigin:
    """Where in the client a message came from."""

    campaign_id: int  # 0: a test SMS
    provider_id: int
    campaign_url: str | None  # the campaign's (or provider's) page, when the dashboard is known
    receiver_url: str | None  # the client's callback receiver with the message's query

    @property
    def label(self) -> str:
        if self.campaign_id:
            return f"Campaign {self.campaign_id}"
        return f"Test SMS (provider {self.provider_id})"


def dashboard_base(dashboard_url: str | None) -> str | None:
    """The dashboard's URL without a trailing slash, or None."""
    return dashboard_url.rstrip("/") if dashboard_url else None


def client_origin(status_callback: str | None, dashboard_url: str | None) -> ClientOrigin | None:
    """The client campaign a StatusCallback URL names, or None when it is not the
    client's (no ``meta`` the client builds)."""
    if not status_callback:
        return None
    parts = urlsplit(status_callback.split("#", 1)[0])
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    meta = parse_meta(query.get("meta"))
    if meta is None:
        return None
    base = dashboard_base(dashboard_url)
    if base is None:
        return ClientOrigin(meta.campaign_id, meta.provider_id, None, None)
    page = (
        f"{base}/campaigns/{meta.campaign_id}"
        if meta.campaign_id
        else f"{base}/providers/{meta.provider_id}/stats"
    )
    keep = {k: v for k, v in query.items() if k in ("account", "meta")}
    receiver = f"{base}{RECEIVER_PATH}" + (f"?{urlencode(keep)}" if keep else "")
    return ClientOrigin(meta.campaign_id, meta.provider_id, page, receiver)


def client_receiver(dashboard_url: str | None) -> str | None:
    """The client's callback receiver, when the dashboard is known."""
    base = dashboard_base(dashboard_url)
    return f"{base}{RECEIVER_PATH}" if base else None
