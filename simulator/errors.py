"""One error hierarchy for the Twilio surface.

Every refusal the simulator makes is a :class:`TwilioError` carrying Twilio's ``code``,
the HTTP ``status`` and the message; one Flask handler renders the envelope
``{"code", "message", "more_info", "status"}``. Messages and statuses come from the
shared error catalogue (``smsim.contracts``), so the simulator and the integration read
the same text.
"""

from __future__ import annotations

from smsim.contracts import catalogue


class SimulatorError(Exception):
    """Base class for everything the simulator raises on purpose."""


class TwilioError(SimulatorError):
    """A refusal rendered as Twilio's error envelope."""

    def __init__(self, code: int, status: int, message: str, detail: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.status = status
        self.message = message
        self.detail = detail

    def envelope(self) -> dict[str, object]:
        """The JSON body Twilio returns for this error."""
        body: dict[str, object] = {
            "code": self.code,
            "message": self.message,
            "more_info": f"https://www.twilio.com/docs/errors/{self.code}",
            "status": self.status,
        }
        if self.detail:
            body["detail"] = self.detail
        return body


def twilio_error(code: int, detail: str | None = None, **values: str) -> TwilioError:
    """The catalogued synchronous error ``code`` with its message filled from ``values``."""
    entry = catalogue.require(code)
    status = entry.http_status or 400
    return TwilioError(code, status, catalogue.render_message(code, **values), detail)


def not_found(resource: str) -> TwilioError:
    """Twilio's 20404 for a path that names nothing this caller may see."""
    return twilio_error(20404, resource=resource)


def authentication_failed() -> TwilioError:
    """Twilio's 20003, as recorded: message ``Authenticate`` plus a ``detail``."""
    return twilio_error(20003, detail="Your AccountSid or AuthToken was incorrect.")


class ConfigError(SimulatorError):
    """A bad ``--config`` file or flag; the message names the field."""
