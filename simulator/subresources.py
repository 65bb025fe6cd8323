"""A message's subresources, Media and Feedback, which live and die with it."""

from __future__ import annotations

from smsim.simulator.feedback import FeedbackRows
from smsim.simulator.media import MediaRows
from smsim.simulator.models import Message
from smsim.simulator.store_api import Store


class Subresources:
    """What :class:`~smsim.simulator.messages.Messages` calls when it stores or deletes a
    message (its ``MessageParts``); the owners of the two tables do the SQL."""

    def __init__(self, store: Store) -> None:
        self.media = MediaRows(store)
        self.feedback = FeedbackRows(store)

    def add_for(self, message: Message) -> None:
        self.media.add_for(message)

    def delete_of_message(self, message_sid: str) -> None:
        self.media.delete_of_message(message_sid)
        self.feedback.delete_of_message(message_sid)

    def delete_of_account(self, account_sid: str) -> None:
        self.media.delete_of_account(account_sid)
        self.feedback.delete_of_account(account_sid)
