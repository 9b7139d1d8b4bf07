"""The commands a person can use, with the one line platforms show in their menus.

Its own module so that adapters (Telegram's command menu, Discord's subcommands) read
the list without importing the session that runs them.
"""

from __future__ import annotations

COMMANDS = {
    "start": "Start, or pick up where you left off",
    "new": "Start a new case",
    "status": "Where your case stands",
    "cases": "Your cases, and switch between them",
    "log": "Log a contact with the shop",
    "remind": "Set a reminder, e.g. /remind in 2 days call back",
    "reminders": "Your reminders",
    "escalate": "Next steps when you're getting nowhere",
    "export": "The case file to keep",
    "timezone": "Set your time zone, e.g. /timezone Europe/Berlin",
    "cancel": "Stop the current step",
    "forget": "Delete everything I hold about you",
    "help": "What I do, and these commands",
}
"""Every command, with its menu line; the session has a `cmd_<name>` for each."""

DESCRIPTION = (
    "Fair Shake helps you sort out a problem with an order: a late or lost parcel, a broken "
    "item, a refund that never came. It asks what happened, one question at a time, shows "
    "the self-service step that often settles it, gives you a script for contacting the "
    "shop, logs every contact, reminds you to follow up and says when and how to escalate. "
    "It prepares you; you make the contact. It is not legal advice."
)
"""What a platform shows before the first message (Telegram: "What can this bot do?")."""
SHORT_DESCRIPTION = (
    "Coaches you through a dispute with a shop: what to say, who to contact, when to escalate."
)
"""The one line a platform shows on the bot's profile."""
