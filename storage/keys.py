"""Small frozen keys that say whose data a thing is, and the digests that name people
in logs without saying who they are."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

LOG_SECRET_BYTES = 32

_log_key = secrets.token_bytes(LOG_SECRET_BYTES)
"""Until the installation's secret is known (`use_log_secret`), a key of this process's
own: digests are then keyed too, only not the same in another process."""


def use_log_secret(secret: bytes) -> None:
    """Key every `PersonKey.digest` from now on with the installation's secret (kept in
    the store, or FAIRSHAKE_LOG_SECRET), so all instances name a person alike."""
    global _log_key
    if not secret:
        raise ValueError("the log secret is empty")
    _log_key = secret


def person_digest(person: PersonKey, secret: bytes) -> str:
    """HMAC-SHA256 of "<platform>:<user_id>" under `secret`, 32 hex digits: a platform's
    user ids are few enough to try them all against a plain hash, not against this."""
    return hmac.new(secret, str(person).encode(), hashlib.sha256).hexdigest()[:32]


@dataclass(frozen=True, slots=True, order=True)
class PersonKey:
    """One person on one platform: the owner of cases, reminders and settings."""

    platform: str
    user_id: str

    def __str__(self) -> str:
        return f"{self.platform}:{self.user_id}"

    @property
    def digest(self) -> str:
        """Who this is without saying who, for logs: keyed with the installation's
        secret, so the log alone does not lead back to the person."""
        return person_digest(self, _log_key)

    @property
    def file_digest(self) -> str:
        """A stable name for the person's files in a data folder (unkeyed sha256: it must
        not change with the log secret, and the folder holds the user id anyway)."""
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
