"""Configuration of the client integration: one frozen object, built by the caller.

Nothing here reads the environment or the file system at import time; the CLI and the
embeddable server build a :class:`ClientConfig` and hand it to the app factory.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_TWILIO_BASE_URL = "https://api.twilio.com"
RECEIVER_PATH = "/sms/twilio"
CLICK_PATH_PREFIX = "/c/"


@dataclass(frozen=True)
class ClientConfig:
    """Everything the integration needs to run.

    ``public_url`` is the base URL Twilio and handsets use to reach this integration: the
    default callback URL (``public_url + /sms/twilio``) and tracked short links
    (``public_url + /c/<code>``) are built from it. The embeddable server fills it in
    with its own URL when it is left empty. Its host name is also accepted as a Host by
    the API and UI, like ``bind_host`` and ``allowed_hosts``.
    """

    db_path: str | None = None
    memory: bool = False
    twilio_base_url: str = DEFAULT_TWILIO_BASE_URL
    public_url: str | None = None
    account_id: str = "smsim-client"
    #: concurrent Create Message requests per campaign (``smsim client serve --senders``)
    senders: int = 8
    request_timeout: float = 15.0
    #: a campaign recipient Twilio throttles (429, 21611, 5xx) is tried this many times
    send_max_attempts: int = 4
    #: first pause of a throttled campaign, in seconds (doubles while throttling goes on)
    retry_backoff: float = 0.5
    # docs/security.md: the address the server is bound to, extra Host names its API and UI
    # accept ("*" = any), and the control token they require when set (never logged).
    bind_host: str = "127.0.0.1"
    allowed_hosts: tuple[str, ...] = ()
    control_token: str | None = None
    #: the simulator's inbox (its base URL) when the client runs beside it (``smsim up``):
    #: the dashboard then links each message, handset and verified number to it
    inbox_url: str | None = None

    def __post_init__(self) -> None:
        if not self.memory and not self.db_path:
            raise ValueError("ClientConfig needs db_path, or memory=True for a throwaway store")
        if self.memory and self.db_path:
            raise ValueError("ClientConfig takes db_path or memory=True, not both")
        if self.senders < 1:
            raise ValueError("senders must be at least 1")

    @property
    def base_url(self) -> str:
        """The public URL without a trailing slash (empty when unknown)."""
        return (self.public_url or "").rstrip("/")

    @property
    def default_callback_url(self) -> str:
        """The integration's own receiver URL, pre-filled in every new provider."""
        return self.base_url + RECEIVER_PATH

    def short_link(self, code: str) -> str:
        """The public URL of a tracked short link."""
        return self.base_url + CLICK_PATH_PREFIX + code
