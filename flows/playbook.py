"""Merchant playbooks: the domain knowledge, kept as data in `flows/playbooks/*.toml`.

A playbook says, for one merchant (or for any shop, in `generic.toml`), which problems
people bring, the self-service step that often settles each, how the contact channels
rank, the parts of a contact script, the escalation ladder and the policy rules with
their deadlines. Every rule carries the address it was read from and the date it was
last checked, so the bot can cite it.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Any

CHANNELS = ("chat", "phone", "email")
"""The shop's own channels, which every playbook describes."""
MERCHANT, SELLER = "merchant", "seller"
"""Who a contact is with: the shop (or marketplace) itself, or a third-party seller on it."""
PARTIES = (MERCHANT, SELLER)
RUNGS = (
    "supervisor",
    "switch_channel",
    "written_complaint",
    "guarantee",
    "card_dispute",
    "agency",
)
"""The escalation ladder, lowest rung first. A playbook describes each rung it offers."""


class PlaybookError(ValueError):
    """A playbook file is missing something the flow relies on."""


@dataclass(frozen=True, slots=True)
class Rule:
    """A policy rule or deadline, with where it comes from."""

    id: str
    text: str
    source: str
    checked: date
    days: int | None = None
    business_days: bool = False
    unconfirmed: str = ""
    """Empty when the figure was read on the cited page on `checked`; else how far it
    could be checked, and where the figure comes from."""


@dataclass(frozen=True, slots=True)
class Problem:
    id: str
    label: str
    self_service: str
    self_service_link: str
    channels: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Channel:
    """A way to get in touch, with the party it reaches (the shop, or a marketplace seller)."""

    id: str
    label: str
    reason: str
    how: str
    party: str = MERCHANT
    written: bool = False
    """A message typed and sent (email, a seller message): the script adds text to paste."""


@dataclass(frozen=True, slots=True)
class Rung:
    id: str
    label: str
    why: str
    needs: str
    cost: str
    steps: tuple[str, ...]
    rules: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Script:
    opening: str
    asks: MappingProxyType[str, str]
    fairness: tuple[str, ...]
    calm_phrases: tuple[str, ...]
    have_at_hand: tuple[str, ...]
    email_subject: str
    supervisor_ask: str
    closing: str
    seller_opening: str = ""
    """The opening for a message to a marketplace's third-party seller."""
    not_late_ask: str = ""
    """The ask while a parcel is not late yet: where it is, not a refund."""


@dataclass(frozen=True, slots=True)
class ClosedWindows:
    """What the bot says once a window has closed: the other ways still open."""

    self_service: str
    card_issuer: str
    warranty: str
    small_claims: str


@dataclass(frozen=True, slots=True)
class Playbook:
    """One merchant's playbook, read from a TOML file."""

    id: str
    name: str
    country: str
    """ISO 3166 code of the storefront's country: its public holidays are not business days."""
    amazon_order_numbers: bool
    marketplace: bool
    large_refund: float
    problems: tuple[Problem, ...]
    channels: MappingProxyType[str, Channel]
    script: Script
    rungs: MappingProxyType[str, Rung]
    rules: MappingProxyType[str, Rule]
    closed_windows: ClosedWindows

    def problem(self, problem_id: str) -> Problem | None:
        return next((p for p in self.problems if p.id == problem_id), None)


def _require(table: dict[str, Any], key: str, where: str) -> Any:
    try:
        return table[key]
    except KeyError:
        raise PlaybookError(f"{where}: missing '{key}'") from None


def parse_playbook(data: dict[str, Any], where: str = "playbook") -> Playbook:
    """Build a `Playbook` from parsed TOML, checking what the flow relies on."""
    merchant = _require(data, "merchant", where)
    rules = {}
    for rule_id, rule in _require(data, "rules", where).items():
        checked = _require(rule, "checked", f"{where} rule {rule_id}")
        if not isinstance(checked, date):
            raise PlaybookError(f"{where} rule {rule_id}: 'checked' must be a TOML date")
        rules[rule_id] = Rule(
            id=rule_id,
            text=_require(rule, "text", f"{where} rule {rule_id}"),
            source=_require(rule, "source", f"{where} rule {rule_id}"),
            checked=checked,
            days=rule.get("days"),
            business_days=rule.get("business_days", False),
            unconfirmed=rule.get("unconfirmed", ""),
        )
    channels = {}
    declared = _require(data, "channels", where)
    for channel_id in (*CHANNELS, *(c for c in declared if c not in CHANNELS)):
        channel = _require(declared, channel_id, f"{where} channels")
        party = channel.get("party", MERCHANT)
        if party not in PARTIES:
            raise PlaybookError(f"{where} channel {channel_id}: unknown party '{party}'")
        channels[channel_id] = Channel(
            id=channel_id,
            label=_require(channel, "label", f"{where} channel {channel_id}"),
            reason=_require(channel, "reason", f"{where} channel {channel_id}"),
            how=_require(channel, "how", f"{where} channel {channel_id}"),
            party=party,
            written=channel.get("written", False),
        )
    problems = tuple(
        Problem(
            id=_require(p, "id", f"{where} problem"),
            label=_require(p, "label", f"{where} problem"),
            self_service=_require(p, "self_service", f"{where} problem {p.get('id')}"),
            self_service_link=p.get("self_service_link", ""),
            channels=tuple(p.get("channels", CHANNELS)),
        )
        for p in _require(data, "problems", where)
    )
    rungs = {}
    for rung_id, rung in _require(data, "rungs", where).items():
        if rung_id not in RUNGS:
            raise PlaybookError(f"{where}: unknown rung '{rung_id}' (known: {', '.join(RUNGS)})")
        for rule_id in rung.get("rules", ()):
            if rule_id not in rules:
                raise PlaybookError(f"{where} rung {rung_id}: unknown rule '{rule_id}'")
        rungs[rung_id] = Rung(
            id=rung_id,
            label=_require(rung, "label", f"{where} rung {rung_id}"),
            why=_require(rung, "why", f"{where} rung {rung_id}"),
            needs=_require(rung, "needs", f"{where} rung {rung_id}"),
            cost=_require(rung, "cost", f"{where} rung {rung_id}"),
            steps=tuple(rung.get("steps", ())),
            rules=tuple(rung.get("rules", ())),
        )
    script = _require(data, "script", where)
    closed = _require(data, "closed_windows", where)
    return Playbook(
        id=_require(merchant, "id", where),
        name=_require(merchant, "name", where),
        country=_require(merchant, "country", where),
        amazon_order_numbers=merchant.get("order_numbers") == "amazon",
        marketplace=merchant.get("marketplace", False),
        large_refund=float(merchant.get("large_refund", 100)),
        problems=problems,
        channels=MappingProxyType(channels),
        script=Script(
            opening=_require(script, "opening", f"{where} script"),
            asks=MappingProxyType(dict(_require(script, "asks", f"{where} script"))),
            fairness=tuple(_require(script, "fairness", f"{where} script")),
            calm_phrases=tuple(_require(script, "calm_phrases", f"{where} script")),
            have_at_hand=tuple(_require(script, "have_at_hand", f"{where} script")),
            email_subject=_require(script, "email_subject", f"{where} script"),
            supervisor_ask=_require(script, "supervisor_ask", f"{where} script"),
            closing=_require(script, "closing", f"{where} script"),
            seller_opening=script.get("seller_opening", ""),
            not_late_ask=script.get("not_late_ask", ""),
        ),
        rungs=MappingProxyType(rungs),
        rules=MappingProxyType(rules),
        closed_windows=ClosedWindows(
            **{
                key: _require(closed, key, f"{where} closed_windows")
                for key in ("self_service", "card_issuer", "warranty", "small_claims")
            }
        ),
    )


@cache
def load_playbook(playbook_id: str) -> Playbook:
    """The packaged playbook `flows/playbooks/<playbook_id>.toml`, parsed once."""
    text = resources.files("flows.playbooks").joinpath(f"{playbook_id}.toml").read_text("utf-8")
    return parse_playbook(tomllib.loads(text), where=f"{playbook_id}.toml")


PLAYBOOK_IDS = ("amazon", "generic")
