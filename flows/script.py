"""Contact scripts built from a case's facts and its playbook's script parts.

What is to be said or sent as it stands is marked so (`Block.SAY`, the calm phrases
`Block.SPARE`), and the lines worth pasting come as `Snippet`s beside the text, so a
platform can quote them and offer to copy them without reading the words.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flows.facts import FACTS_BY_ID, OUTCOMES, display, locale_of
from flows.playbook import SELLER, Channel, Playbook
from flows.text import Block, RichText, Snippet, join, plain, quote, rich


@dataclass(frozen=True, slots=True)
class Script:
    """A script as shown, and the parts of it worth copying whole."""

    text: RichText
    snippets: tuple[Snippet, ...]


@dataclass(frozen=True, slots=True)
class Email:
    """A subject and body to paste into an email, a seller message or a written complaint."""

    subject: str
    body: RichText

    def shown(self) -> RichText:
        """As a chat shows it: the subject line, then the body, as one quote."""
        return quote(join([rich("Subject: {subject}", subject=self.subject), self.body], "\n\n"))

    def snippets(self) -> tuple[Snippet, ...]:
        return Snippet("Subject", self.subject), Snippet("Email", self.body.plain())


def template_values(facts: dict[str, Any], playbook: Playbook) -> dict[str, str]:
    """The values a script template may use, with a neutral wording for unknown facts."""
    # A skipped fact leaves a bracketed blank in the script, for the person to fill in.
    fallbacks = {
        "order_number": "[order number]",
        "item": "[item]",
        "amount": "[amount paid]",
        "order_date": "[order date]",
        "delivery_date": "[delivery date]",
        "what_happened": "",
    }
    values = {}
    locale = locale_of(facts)
    for name, fallback in fallbacks.items():
        value = facts.get(name)
        values[name] = (
            display(FACTS_BY_ID[name], value, playbook, locale).plain() if value else fallback
        )
    merchant = facts.get("merchant") or {}
    values["merchant"] = merchant.get("name") or (
        "the shop" if playbook.id == "generic" else playbook.name
    )
    problem = playbook.problem(facts.get("problem") or "")
    values["problem"] = problem.label.lower() if problem else "a problem with my order"
    values["outcome"] = OUTCOMES.get(facts.get("outcome") or "", "a fair solution").lower()
    return values


def _bullets(lines: tuple[str, ...], values: dict[str, str]) -> RichText:
    return join([rich("• " + line, **values) for line in lines])


def _opening(channel: Channel, playbook: Playbook) -> str:
    """A message to a marketplace's seller opens as one; anything else as to the shop."""
    if channel.party == SELLER and playbook.script.seller_opening:
        return playbook.script.seller_opening
    return playbook.script.opening


def _ask(facts: dict[str, Any], playbook: Playbook, not_late_yet: bool) -> str:
    """What to ask for: while a parcel is not late yet, only where it is."""
    script = playbook.script
    if not_late_yet and script.not_late_ask:
        return script.not_late_ask
    return script.asks.get(facts.get("outcome") or "", script.asks["explanation"])


def contact_script(
    channel_id: str,
    facts: dict[str, Any],
    playbook: Playbook,
    *,
    manager: bool,
    not_late_yet: bool = False,
) -> Script:
    """The script for a chat, a call or a message: what to say, in order, and what to
    keep at hand; for a written channel, the text to paste. The opening, the ask (and
    the supervisor's ask) and the email come as snippets to copy."""
    channel = playbook.channels[channel_id]
    values = template_values(facts, playbook)
    script = playbook.script
    opening = rich(_opening(channel, playbook), **values)
    ask = rich(_ask(facts, playbook, not_late_yet), **values)
    parts = [
        rich("**Have at hand**"),
        _bullets(script.have_at_hand, values),
        rich("\n**1. Open**"),
        quote(opening),
        rich("\n**2. The facts, in order**"),
        _fact_lines(facts, playbook),
        rich("\n**3. Your ask**"),
        quote(ask),
        rich("\n**4. Keep it fair**"),
        quote(_bullets(script.fairness, values)),
        rich("\n**If it gets tense**"),
        quote(_bullets(script.calm_phrases, values), Block.SPARE),
    ]
    snippets = [Snippet("Opening", opening.plain()), Snippet("Your ask", ask.plain())]
    if manager:
        supervisor = rich(script.supervisor_ask, **values)
        parts += [
            rich("\n**This usually needs a manager.** If the first person can't approve it:"),
            quote(supervisor),
        ]
        snippets.append(Snippet("Supervisor", supervisor.plain()))
    parts += [
        rich("\n**Before you hang up or close the chat**"),
        quote(rich(script.closing, **values)),
    ]
    if channel.written:
        letter = email(facts, playbook, channel=channel, not_late_yet=not_late_yet)
        parts += [rich("\n**{label}, ready to paste**", label=channel.label), letter.shown()]
        snippets += letter.snippets()
    return Script(join(parts), tuple(snippets))


def email(
    facts: dict[str, Any],
    playbook: Playbook,
    *,
    complaint: bool = False,
    channel: Channel | None = None,
    not_late_yet: bool = False,
) -> Email:
    """A subject and body to paste into an email, a seller message or a written complaint."""
    values = template_values(facts, playbook)
    script = playbook.script
    ask = _ask(facts, playbook, not_late_yet)
    subject = rich(script.email_subject, **values).plain()
    if complaint:
        subject = f"Formal complaint: {subject}"
    opening = _opening(channel, playbook) if channel else script.opening
    body = [
        rich(opening, **values),
        _fact_lines(facts, playbook),
        rich(ask, **values),
        rich(script.fairness[0], **values) if script.fairness else RichText(),
        plain("Thank you for your help.\nKind regards"),
    ]
    return Email(subject, join(body, "\n\n"))


def _fact_lines(facts: dict[str, Any], playbook: Playbook) -> RichText:
    order = ("order_number", "order_date", "delivery_date", "item", "amount", "what_happened")
    lines = [
        rich(
            "• {label}: {value}",
            label=FACTS_BY_ID[name].label,
            value=display(FACTS_BY_ID[name], facts[name], playbook, locale_of(facts)),
        )
        for name in order
        if facts.get(name)
    ]
    return join(lines) if lines else plain("• (no details recorded yet)")
