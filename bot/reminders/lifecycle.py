"""A delivery's lifecycle, as one small explicit machine: reminders and replies share it.

    pending --claim--> sending --sent--> sent --done--> done
       |                  |  \\--retry--> pending          (the platform failed: later)
       |                  |--give_up--> failed            (out of tries, or cut short twice)
       |                  \\--claim--> sending            (cut short by a crash: once more)
       \\--cancel--> cancelled
    sending | sent | failed --done--> done     (the person answered the ping)
    sending | sent | failed --snooze--> pending

Every status change goes through `advance`, so a change the machine does not allow
(cancelling a reminder already sent, say) is a bug that shows, not a silent string.
"""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


class Step(StrEnum):
    CLAIM = "claim"
    SENT = "sent"
    RETRY = "retry"
    GIVE_UP = "give_up"
    CANCEL = "cancel"
    DONE = "done"
    SNOOZE = "snooze"


ANSWERED_FROM = frozenset({Status.SENDING, Status.SENT, Status.FAILED})
"""Where a ping's buttons act: it went out (or may have), whatever became of it since."""

TRANSITIONS: dict[tuple[Status, Step], Status] = {
    (Status.PENDING, Step.CLAIM): Status.SENDING,
    (Status.SENDING, Step.CLAIM): Status.SENDING,
    (Status.SENDING, Step.SENT): Status.SENT,
    (Status.SENDING, Step.RETRY): Status.PENDING,
    (Status.SENDING, Step.GIVE_UP): Status.FAILED,
    (Status.PENDING, Step.CANCEL): Status.CANCELLED,
    **{(status, Step.DONE): Status.DONE for status in ANSWERED_FROM},
    **{(status, Step.SNOOZE): Status.PENDING for status in ANSWERED_FROM},
}

INDEXED = frozenset({Status.PENDING, Status.SENDING})
"""Statuses that keep a delivery in the store's due index: it may still have to go."""


class IllegalStep(ValueError):
    """A step the lifecycle does not allow from the current status."""


def advance(status: Status, step: Step) -> Status:
    """The status after `step`; raises `IllegalStep` when the machine has no such edge."""
    try:
        return TRANSITIONS[(status, step)]
    except KeyError:
        raise IllegalStep(f"a delivery {status} cannot {step}") from None


def allowed(status: Status, step: Step) -> bool:
    return (status, step) in TRANSITIONS
