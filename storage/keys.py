"""Small frozen keys that say whose data a thing is."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass


@dataclass(frozen=True, slots=True, order=True)
class PersonKey:
    """One person on one platform: the owner of cases, reminders and settings."""

    platform: str
    user_id: str

    def __str__(self) -> str:
        return f"{self.platform}:{self.user_id}"

    @property
    def digest(self) -> str:
        """Who this is without saying who: for logs, and the store's file names."""
        return hashlib.sha256(str(self).encode()).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class ConversationKey:
    """One conversation: a person in one chat (a private chat, a DM, a server channel)."""

    platform: str
    user_id: str
    chat_id: str

    @property
    def person(self) -> PersonKey:
        return PersonKey(self.platform, self.user_id)
