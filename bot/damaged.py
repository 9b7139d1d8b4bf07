"""A record that cannot be read: say so plainly, and offer a way forward.

When a person's stored record is damaged (a corrupt or truncated file), their turns
cannot run. Instead of "try again later" forever, the bot says what happened and offers
two ways on: start fresh, with the damaged record moved aside for the operator to look
at (`Store.set_aside`), or delete everything held on them. The log names the person's
digest and where the record is, at ERROR, so the operator can find it.

A store that cannot be reached or written (a full disk, a permission) is not damage:
the turn is refused whole, nothing of it is kept, and the log names the path and what
was not saved.
"""

from __future__ import annotations

from bot.events import Button, Inbound, Outbound
from flows.text import rich

PREFIX = "D|"
START_FRESH = f"{PREFIX}fresh"
DELETE_ALL = f"{PREFIX}forget"

DAMAGED = rich(
    "**I couldn't read what I keep for you.** The file holding your cases is damaged, so I can't carry on where you were. You can start fresh (I'll keep the damaged copy aside, so whoever runs this bot can try to recover it), or delete everything I hold about you."
)
CHOICES = ((Button("Start fresh", START_FRESH), Button("Delete everything", DELETE_ALL)),)
FRESH = rich("Done: the damaged copy is set aside, and you're starting afresh.")
DELETED = rich(
    "Done. I've deleted everything I held about you. If you ever need me again, just say /start."
)
NOT_SAVED = rich(
    "Sorry, I couldn't save that just now, so nothing has changed. Please try again in a little while."
)


def offer() -> list[Outbound]:
    """What a person with a damaged record is told, whatever they sent."""
    return [Outbound(DAMAGED, CHOICES)]


def chosen(event: Inbound) -> str | None:
    """START_FRESH or DELETE_ALL when the event is a press of one of the offer's buttons."""
    data = getattr(event, "data", None)
    return data if data in (START_FRESH, DELETE_ALL) else None
