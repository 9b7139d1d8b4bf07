"""The first thing a new person sees: what the bot does, and the quickest ways in.

Pressing a shop whose playbook says `on_welcome` opens a case with that shop answered;
"Start a case" asks which shop; a pasted order email opens a case filled from it
(bot/session.py).
"""

from __future__ import annotations

from flows.playbook import playbooks
from flows.prompt import ButtonStyle, Choice, Prompt
from flows.reply import Reply
from flows.text import by_typing, join, rich


def welcome_reply() -> Reply:
    """The greeting, with a button for each shop its playbook puts on it.

    `new:<shop>` opens a case with that shop; `new` one that asks which.
    """
    shops = [playbook for playbook in playbooks().values() if playbook.merchant.on_welcome]
    pressed = join([rich("**{name}**, or ", name=shop.name) for shop in shops], "")
    return Reply(
        join(
            [
                rich(
                    "**Hi, I'm Fair Shake.** I help you get a problem with an order put right: what to say, who to contact, what to do if they don't help, and reminders so nothing slips."
                ),
                by_typing(
                    "Press {shops}**Start a case** for another shop. Or paste the order confirmation email and I'll fill in what I can.",
                    "Press {shops}**Start a case** for another shop. At its first question, press **🧾 Paste the order email** and I'll fill in what I can.",
                    shops=pressed,
                ),
            ]
        ),
        Prompt(
            "welcome",
            options=(
                (
                    *(Choice(f"new:{shop.id}", shop.name, ButtonStyle.PRIMARY) for shop in shops),
                    Choice("new", "Start a case", ButtonStyle.PRIMARY),
                ),
            ),
        ),
    )
