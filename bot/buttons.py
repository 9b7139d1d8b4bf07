"""Button data that survives restarts and recognises stale presses.

Each turn that offers buttons for a new step gets a new stamp (a short base-36 counter
kept in the person's profile, so it survives restarts), and every button's data is
`<stamp>|<value>`. A press is accepted only when its stamp is the latest and its
value was offered with it: a press on an old message, the same button pressed twice,
or forged data all fall out the same way. When a turn asks the same step again (after
`/status` or a bad answer), the stamp is kept, so the buttons just above still work.
"""

from __future__ import annotations

import secrets
from typing import Any

from bot.events import MAX_BUTTON_DATA, Button
from flows.dialogue import Reply

_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"


def accept(profile: dict[str, Any], data: str) -> str | None:
    """The pressed value if `data` belongs to the latest buttons offered, else None."""
    offered = profile.get("offered", {})
    stamp, _, value = data.partition("|")
    if stamp == offered.get("stamp") and value in offered.get("values", ()):
        return value
    return None


def stamp(
    profile: dict[str, Any], replies: list[Reply], step: str
) -> list[tuple[tuple[Button, ...], ...]]:
    """Button rows for each reply; buttons for a new step retire all earlier ones.

    Args:
        profile: the person's profile, where what was offered is remembered.
        replies: the turn's replies.
        step: what the buttons act on (case, state, question): the same step with the
            same buttons keeps its stamp.
    """
    values = [choice.value for reply in replies for row in reply.choices for choice in row]
    offered = profile.get("offered", {})
    current = offered.get("stamp", "")
    if values and (values != offered.get("values") or step != offered.get("step")):
        current = _next(current)
        profile["offered"] = {"stamp": current, "values": values, "step": step}
    return [
        tuple(
            tuple(
                Button(choice.label, _encode(current, choice.value), choice.value, choice.style)
                for choice in row
            )
            for row in reply.choices
        )
        for reply in replies
    ]


def _encode(current: str, value: str) -> str:
    data = f"{current}|{value}"
    if len(data.encode()) > MAX_BUTTON_DATA:
        raise ValueError(f"button data over {MAX_BUTTON_DATA} bytes: {value!r}")
    return data


def _next(current: str) -> str:
    # A first stamp starts anywhere, so buttons from before a /forget never match again.
    number = int(current, 36) + 1 if current else secrets.randbelow(36**4)
    text = ""
    while number:
        number, rest = divmod(number, 36)
        text = _DIGITS[rest] + text
    return text
