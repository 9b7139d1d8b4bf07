"""The first thing a new person sees: what the bot does, and the quickest ways in.

Pressing the playbook's shop opens a case with that shop answered; "Start a case" asks
which shop; a pasted order email opens a case filled from it (bot/session.py).
"""

from __future__ import annotations

from flows.prompt import ButtonStyle, Choice, Prompt
from flows.reply import Reply
from flows.text import join, rich

WELCOME = Reply(
    join(
        [
            rich(
                "**Hi, I'm Fair Shake.** I help you get a problem with an order put right: what to say, who to contact, what to do if they don't help, and reminders so nothing slips."
            ),
            rich(
                "_Press **Amazon**, or **Start a case** for another shop. Or paste the order confirmation email and I'll fill in what I can._"
            ),
        ]
    ),
    Prompt(
        "welcome",
        options=(
            (
                Choice("new:amazon", "Amazon", ButtonStyle.PRIMARY),
                Choice("new", "Start a case", ButtonStyle.PRIMARY),
            ),
        ),
    ),
)
"""`new:<shop>` opens a case with that shop; `new` one that asks which."""
