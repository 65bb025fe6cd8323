"""The dotted ``meta`` query parameter carried by every StatusCallback URL.

Shape, like the sample in CleverTap's documentation
``000000000.1200000000.1691686363.20230810.0.wzrk_default...``:

    <campaign>.<recipient>.<epoch seconds>.<YYYYMMDD>.<variant>.<provider>

``campaign`` is 0 for a test SMS; ``recipient`` is the integration's message id (unique
across campaigns), so a callback can be attributed even before the Twilio SID of its
message is known. Anything that does not parse is simply "not ours": the receiver then
falls back to the MessageSid and, failing that, counts the callback as unattributed.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

_META_RE = re.compile(r"^(\d{1,18})\.(\d{1,18})\.(\d{1,12})\.(\d{8})\.(\d{1,4})\.(\d{1,18})$")


@dataclass(frozen=True)
class Meta:
    """The attribution data a callback URL carries."""

    campaign_id: int
    message_id: int
    epoch: int
    date: str
    variant: int
    provider_id: int

    def encode(self) -> str:
        """The dotted wire form."""
        return (
            f"{self.campaign_id}.{self.message_id}.{self.epoch}.{self.date}."
            f"{self.variant}.{self.provider_id}"
        )


def build_meta(
    campaign_id: int | None,
    message_id: int,
    provider_id: int,
    *,
    variant: int = 0,
    now: float | None = None,
) -> Meta:
    """Meta for one message; ``campaign_id`` None (a test SMS) is encoded as 0."""
    epoch = int(time.time() if now is None else now)
    date = time.strftime("%Y%m%d", time.gmtime(epoch))
    return Meta(campaign_id or 0, message_id, epoch, date, variant, provider_id)


def parse_meta(value: str | None) -> Meta | None:
    """Parse the wire form; None for anything that is not a meta this integration built."""
    if not value:
        return None
    match = _META_RE.match(value)
    if not match:
        return None
    campaign, message, epoch, date, variant, provider = match.groups()
    return Meta(int(campaign), int(message), int(epoch), date, int(variant), int(provider))
