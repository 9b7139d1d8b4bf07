"""Merchant playbooks: the domain knowledge, kept as data in TOML files.

A playbook says, for one merchant (or for any shop, in `generic.toml`), which problems
people bring, the self-service step that often settles each, how the contact channels
rank, the parts of a contact script, the escalation ladder and the policy rules with
their deadlines. Every rule carries the address it was read from and the date it was
last checked, so the bot can cite it.

The dataclasses below are the schema (flows/schema.py reads a file into them); `check`
adds what a type cannot say (the channels every shop has, rungs citing rules that
exist). Playbooks are found by scanning `flows/playbooks/` and, for an operator's own
shops, the folder `use_playbooks_dir` is given (`FAIRSHAKE_PLAYBOOKS_DIR`): a new shop
is one TOML file. Every file is read and checked at start, and a bad one stops the
start with its file and key named, so no turn meets a half-written playbook.
"""

from __future__ import annotations

import re
import types
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from functools import cache
from pathlib import Path
from typing import Literal

from flows.parsers.common import ParseError
from flows.parsers.orders import OrderNumberShape, parse_order_number
from flows.rules import Rule
from flows.schema import SchemaError, data_files, load_toml
from flows.sites import Storefront, check_links, check_storefront, fill_links

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
SELLER_KINDS = ("merchant", "third_party", "third_party_fba")
"""Who can sell an item on a shop: the shop itself, a third-party seller who ships it,
or a third-party seller whose item the marketplace ships (Fulfilled by Amazon, Walmart
Fulfillment Services). A playbook labels the kinds its shop has."""
GENERIC = "generic"
"""The playbook for any shop without one of its own."""


@dataclass(frozen=True, slots=True)
class Problem:
    id: str
    label: str
    self_service: str
    self_service_link: str = ""
    channels: tuple[str, ...] = CHANNELS


@dataclass(frozen=True, slots=True)
class Channel:
    """A way to get in touch, with the party it reaches (the shop, or a marketplace seller)."""

    id: str
    label: str
    reason: str
    how: str
    party: Literal["merchant", "seller"] = "merchant"
    written: bool = False
    """A message typed and sent (email, a seller message): the script adds text to paste."""


@dataclass(frozen=True, slots=True)
class Rung:
    id: str
    label: str
    why: str
    needs: str
    cost: str
    steps: tuple[str, ...] = ()
    rules: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Script:
    opening: str
    asks: Mapping[str, str]
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
class Seller:
    """A kind of seller on the shop, as the customer's order page names it."""

    id: Literal["merchant", "third_party", "third_party_fba"]
    label: str


@dataclass(frozen=True, slots=True)
class GuaranteeRules:
    """Which of the playbook's rules plays each part of the marketplace's guarantee."""

    seller_wait: str
    """The days a seller gets to answer the first message before a claim."""
    opens: str
    """The days after the latest estimated delivery date a claim for a parcel opens."""
    closes: str
    """The days after that date the claim window closes."""
    voided_by: str = ""
    """What ends the guarantee for the order (a chargeback): said only where it applies."""
    scope: str = ""
    """Whom it covers, in words."""


@dataclass(frozen=True, slots=True)
class Guarantee:
    """A marketplace's own promise for what its sellers sell (Amazon's A-to-z Guarantee)."""

    name: str
    short: str
    """Its name inside a sentence ('the A-to-z claim window')."""
    claim: str
    """What filing under it is called ('an A-to-z claim')."""
    covers: tuple[Literal["third_party", "third_party_fba"], ...]
    """The kinds of seller whose items it covers."""
    rules: GuaranteeRules


@dataclass(frozen=True, slots=True)
class Merchant:
    """Who the playbook is for."""

    id: str
    name: str
    country: str
    """ISO 3166 code of the storefront's country: its public holidays are not business days."""
    marketplace: bool = False
    """Third-party sellers sell on it, under a guarantee of the marketplace's."""
    large_refund: float = 100
    seller_question: str = ""
    """On a marketplace, how to ask who sold the item, and where the order page says it."""
    aliases: tuple[str, ...] = ()
    """Other names a customer may type for the shop ('amzn'); its storefronts' addresses
    count too."""
    in_emails: tuple[str, ...] = ()
    """How its name is written in its order emails, each matched as whole words ('Best
    Buy', 'BestBuy'); none: its name."""
    on_welcome: bool = False
    """Offered as a button on the first greeting, a case about it one press away."""
    in_emails_match_case: bool = False
    """Match `in_emails` in their case only ('Target' is also a common word)."""

    def names(self) -> frozenset[str]:
        """What typed (case folded) picks this shop: its id, its name, its aliases."""
        return frozenset(name.casefold() for name in (self.id, self.name, *self.aliases))

    def named_in(self, text: str) -> bool:
        """Whether a pasted text names the shop, as its emails write it."""
        return bool(
            _name_pattern(self.in_emails or (self.name,), self.in_emails_match_case).search(text)
        )


@cache
def _name_pattern(names: tuple[str, ...], match_case: bool) -> re.Pattern[str]:
    spelled = "|".join(r"\s?".join(map(re.escape, name.split())) for name in names)
    return re.compile(rf"(?<!\w)(?:{spelled})(?!\w)", 0 if match_case else re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Playbook:
    """One merchant's playbook, as its TOML file has it."""

    merchant: Merchant
    problems: tuple[Problem, ...]
    channels: Mapping[str, Channel]
    script: Script
    rungs: Mapping[str, Rung]
    rules: Mapping[str, Rule]
    closed_windows: ClosedWindows
    sellers: Mapping[str, Seller] = field(default_factory=dict)
    """The kinds of seller on a marketplace, with their labels: the 'Sold by' question's
    buttons (empty for a shop that sells everything itself)."""
    guarantee: Guarantee | None = None
    storefronts: Mapping[str, Storefront] = field(default_factory=dict)
    """Its sites by address, the one meant when nothing says which first (none for the
    generic playbook: any shop, anywhere)."""
    order_number: OrderNumberShape | None = None
    """The shape of the shop's order numbers; None: any reference is taken as written."""
    file: str = field(default="", compare=False)
    """Where it was read from, for an operator's messages."""

    @property
    def id(self) -> str:
        return self.merchant.id

    @property
    def name(self) -> str:
        return self.merchant.name

    @property
    def country(self) -> str:
        return self.merchant.country

    @property
    def marketplace(self) -> bool:
        return self.merchant.marketplace

    @property
    def large_refund(self) -> float:
        return self.merchant.large_refund

    @property
    def oldest_check(self) -> date:
        """The date of the least recently checked rule or storefront: when to look at its
        pages again."""
        fronts = [front.checked for front in self.storefronts.values()]
        local = [
            rule.checked for front in self.storefronts.values() for rule in front.rules.values()
        ]
        return min([*fronts, *local, *(rule.checked for rule in self.rules.values())])

    def problem(self, problem_id: str) -> Problem | None:
        return next((p for p in self.problems if p.id == problem_id), None)

    def storefront(self, storefront_id: str = "") -> Storefront | None:
        """That storefront of the shop's, else its first (None for a shop without any)."""
        return self.storefronts.get(storefront_id) or next(iter(self.storefronts.values()), None)

    def rules_at(self, storefront_id: str = "") -> Mapping[str, Rule]:
        """The rules for an order bought on that storefront: its own where it states one,
        the playbook's otherwise (all the playbook's for an unknown storefront)."""
        front = self.storefronts.get(storefront_id)
        if front is None or not front.rules:
            return self.rules
        return types.MappingProxyType({**self.rules, **front.rules})

    def linked(self, text: str, storefront_id: str = "") -> str:
        """`text` with its `{site}`, `{help}` and `{contact}` filled from that storefront
        (see `flows.sites.LINKS`; `check` has made sure each is there)."""
        front = self.storefront(storefront_id)
        return fill_links(text, front) if front else text


def check(playbook: Playbook, where: str) -> None:
    """What the types cannot say: every shop's own channels, known rungs and parties,
    rules that exist wherever they are cited, a guarantee only on a marketplace."""
    for channel_id in CHANNELS:
        if channel_id not in playbook.channels:
            raise SchemaError(where, f"channels.{channel_id}", "missing")
    for index, problem in enumerate(playbook.problems):
        for channel_id in problem.channels:
            if channel_id not in CHANNELS:
                raise SchemaError(
                    where,
                    f"problems[{index}].channels",
                    f"'{channel_id}' is not one of {', '.join(CHANNELS)}",
                )
    for rung_id, rung in playbook.rungs.items():
        if rung_id not in RUNGS:
            raise SchemaError(
                where, f"rungs.{rung_id}", f"unknown rung (known: {', '.join(RUNGS)})"
            )
        for rule_id in rung.rules:
            if rule_id not in playbook.rules:
                raise SchemaError(where, f"rungs.{rung_id}.rules", f"unknown rule '{rule_id}'")
    if playbook.marketplace and not (playbook.sellers and playbook.merchant.seller_question):
        raise SchemaError(where, "sellers", "a marketplace names its kinds of seller and asks")
    if playbook.marketplace and "seller_first" not in playbook.rules:
        raise SchemaError(
            where, "rules.seller_first", "a marketplace says why the seller comes first"
        )
    for seller_id in playbook.sellers:
        if seller_id not in SELLER_KINDS:
            raise SchemaError(where, f"sellers.{seller_id}", f"is not one of {SELLER_KINDS}")
    guarantee = playbook.guarantee
    if ("guarantee" in playbook.rungs) != (guarantee is not None):
        raise SchemaError(
            where, "guarantee", "a guarantee rung and a [guarantee] table come together"
        )
    if guarantee is not None:
        if not playbook.marketplace:
            raise SchemaError(where, "guarantee", "only a marketplace has a guarantee")
        for role in ("seller_wait", "opens", "closes", "voided_by", "scope"):
            rule_id = getattr(guarantee.rules, role)
            if rule_id and rule_id not in playbook.rules:
                raise SchemaError(where, f"guarantee.rules.{role}", f"unknown rule '{rule_id}'")
        for role in ("seller_wait", "opens", "closes"):
            if playbook.rules[getattr(guarantee.rules, role)].days is None:
                raise SchemaError(where, f"guarantee.rules.{role}", "its rule needs days")
        for kind in guarantee.covers:
            if kind not in playbook.sellers:
                raise SchemaError(where, "guarantee.covers", f"'{kind}' is not in [sellers]")
    shape = playbook.order_number
    if shape is not None:
        if not (shape.groups or shape.pattern):
            raise SchemaError(where, "order_number", "give its digit groups or a pattern")
        try:
            parse_order_number(shape.example, shape, playbook.name)
        except re.error as error:
            raise SchemaError(where, "order_number.pattern", f"not a pattern ({error})") from None
        except ParseError:
            raise SchemaError(where, "order_number.example", "does not fit its shape") from None
    if not playbook.rules:
        raise SchemaError(where, "rules", "a playbook states at least one rule")
    _check_storefronts(playbook, where)


def _check_storefronts(playbook: Playbook, where: str) -> None:
    """Each storefront sound, each of its own rules standing in for one of the playbook's
    (with days where that one has them), and every `{link}` a text names there on each."""
    for front in playbook.storefronts.values():
        check_storefront(front, where)
        for rule_id, rule in front.rules.items():
            key = f"storefronts.{front.id}.rules.{rule_id}"
            shared = playbook.rules.get(rule_id)
            if shared is None:
                raise SchemaError(
                    where, key, "states a rule [rules] has not (it stands in for one)"
                )
            if shared.days is not None and rule.days is None:
                raise SchemaError(where, f"{key}.days", f"missing ([rules.{rule_id}] has days)")
            if not rule.source.startswith("https://"):
                raise SchemaError(where, f"{key}.source", "give the https address it was read at")
    texts = [(f"channels.{c.id}.how", c.how) for c in playbook.channels.values()]
    texts += [
        (f"problems[{i}].{key}", getattr(p, key))
        for i, p in enumerate(playbook.problems)
        for key in ("self_service", "self_service_link")
    ]
    check_links(texts, tuple(playbook.storefronts.values()), where)


def parse_playbook(text: str, where: str) -> Playbook:
    """A playbook from the text of its TOML file, checked; errors name `where` and the key."""
    playbook = load_toml(Playbook, text, where)
    check(playbook, where)
    fronts = {
        front_id: replace(front, shop=playbook.id, name=playbook.name)
        for front_id, front in playbook.storefronts.items()
    }
    return replace(playbook, storefronts=types.MappingProxyType(fronts))


def scan(operator_dir: Path | None = None) -> dict[str, Playbook]:
    """Every playbook: the packaged ones, then the operator's folder, by merchant id.

    Raises `SchemaError` for the first bad file, or for two files with one id.
    """
    found: dict[str, Playbook] = {}
    fronts: dict[str, str] = {}
    for where, text in data_files("flows.playbooks", operator_dir, "playbooks"):
        playbook = parse_playbook(text, where)
        if playbook.id in found:
            raise SchemaError(
                where, "merchant.id", f"'{playbook.id}' is already {found[playbook.id].file}"
            )
        for front_id in playbook.storefronts:
            if front_id in fronts:
                raise SchemaError(
                    where, f"storefronts.{front_id}", f"is already {fronts[front_id]}'s"
                )
            fronts[front_id] = where
        found[playbook.id] = playbook
    if GENERIC not in found:
        raise SchemaError("flows/playbooks", "", f"the {GENERIC} playbook is missing")
    return found


_installed: dict[str, Playbook] = {}


def use_playbooks_dir(operator_dir: Path | None) -> dict[str, Playbook]:
    """Read and check every playbook now, with the operator's folder if any, and use them.

    Called at start; raises `SchemaError` (the file and the key) and keeps the playbooks
    in use as they were when one is bad.
    """
    found = scan(operator_dir)
    _installed.clear()
    _installed.update(found)
    return found


def playbooks() -> Mapping[str, Playbook]:
    """The playbooks in use, by merchant id (the packaged ones until `use_playbooks_dir`)."""
    if not _installed:
        use_playbooks_dir(None)
    return _installed


def playbook_ids() -> tuple[str, ...]:
    return tuple(playbooks())


def load_playbook(playbook_id: str) -> Playbook:
    """The playbook of that merchant id (`KeyError` when none has it)."""
    return playbooks()[playbook_id]


def playbook_or_generic(playbook_id: str) -> Playbook:
    """The playbook of that merchant id, or the generic one for a shop without one (or
    one an operator has since removed, for a case opened with it)."""
    found = playbooks()
    return found.get(playbook_id) or found[GENERIC]
