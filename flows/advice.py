"""Who to contact first, which rungs of the ladder can apply, and whether a parcel is late.

A marketplace's rules, as its playbook states them (Amazon's, cited in
flows/playbooks/amazon.toml, are the example here):

- an item a third-party seller ships itself is the seller's to sort out first: reach them
  from the order (`seller_first`), and give them about 2 business days before an A-to-z
  claim (`atoz_seller_wait`); only a contact *with the seller* starts that wait;
- a seller's item that Amazon ships (Fulfilled by Amazon) has its delivery handled by
  Amazon, and the A-to-z Guarantee covers only what a seller sold *and* shipped
  (`atoz_scope`); an item sold by Amazon has no A-to-z claim at all;
- a parcel is late only once its latest estimated delivery date has passed
  (`delivery_estimate`).

What cannot be decided because a fact was skipped (who sold it) is said as a condition,
and the fact is asked for (`undecided`). Everything here reads the facts and contacts of
a case and decides; it says nothing itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from typing import Any

from flows import law
from flows.country import case_country
from flows.jurisdiction import CARDS, jurisdiction_for
from flows.playbook import MERCHANT, RUNGS, SELLER, Playbook
from flows.records import Contact

GUARANTEE = "guarantee"
MONEY_BACK = "card_dispute"
"""The rung of getting the money back through how the person paid."""
CARD_WINDOW = "card_dispute_window"
"""The playbook rule of the card networks' usual dispute window."""
THIRD_PARTY = "third_party"
"""A third-party seller who ships the item themselves."""
THIRD_PARTY_FBA = "third_party_fba"
"""A third-party seller's item shipped by the marketplace (Fulfilled by Amazon, Walmart
Fulfillment Services)."""
DELIVERY_PROBLEMS = ("late",)
"""Problems with the delivery itself, which whoever ships the parcel handles."""
TRACKING_DELIVERED = "tracking_delivered"
"""A fact set from the ladder, not asked: the day the person said tracking shows the
parcel delivered though it never came, which opens a guarantee claim at once."""


def guarantee_only_rules(playbook: Playbook) -> tuple[str, ...]:
    """Rules that are about the guarantee (whom it covers, what voids it): cited by
    another rung only where the guarantee applies."""
    if playbook.guarantee is None:
        return ()
    return tuple(
        rule
        for rule in (playbook.guarantee.rules.scope, playbook.guarantee.rules.voided_by)
        if rule
    )


def sold_by(facts: Mapping[str, Any], playbook: Playbook) -> str | None:
    """`merchant`, `third_party` or `third_party_fba`; None when not known. A shop that is
    not a marketplace sells everything itself; on one with a single kind of seller (eBay)
    it is that kind."""
    if not playbook.marketplace:
        return MERCHANT
    if len(playbook.sellers) == 1:
        return next(iter(playbook.sellers))
    seller: str | None = facts.get("seller")
    return seller


def first_party(facts: Mapping[str, Any], playbook: Playbook) -> str:
    """Whom to contact first: the third-party seller (`SELLER`), or the shop itself.

    A seller who ships the item handles everything first; for a seller's item shipped
    by the marketplace, a delivery problem goes to the marketplace. When who sold it is
    not known, the marketplace's own customer service can at least tell.
    """
    seller = sold_by(facts, playbook)
    if seller == THIRD_PARTY:
        return SELLER
    if seller == THIRD_PARTY_FBA:
        return MERCHANT if facts.get("problem") in DELIVERY_PROBLEMS else SELLER
    return MERCHANT


def has_seller(facts: Mapping[str, Any], playbook: Playbook) -> bool:
    """A third-party seller is (or may be) involved, so its channel is offered."""
    return playbook.marketplace and sold_by(facts, playbook) in (THIRD_PARTY, THIRD_PARTY_FBA)


def guarantee_applies(facts: Mapping[str, Any], playbook: Playbook) -> bool | None:
    """Whether the marketplace guarantee can cover this order: None when it depends on
    who sold it, which is not known."""
    guarantee = playbook.guarantee
    if guarantee is None or GUARANTEE not in playbook.rungs:
        return False
    seller = sold_by(facts, playbook)
    if seller is None:
        return None
    return seller in guarantee.covers


def applicable_rungs(facts: Mapping[str, Any], playbook: Playbook) -> tuple[str, ...]:
    """The ladder for this case, lowest first: the guarantee only where it can apply
    (or may, when who sold it is not known); the money-back rung only where how they paid
    has a route (not a gift card or balance)."""
    covered = guarantee_applies(facts, playbook) is not False
    where = jurisdiction_for(case_country(facts, playbook))
    money_back = law.money_back_applies(where, facts)
    return tuple(
        rung
        for rung in RUNGS
        if rung in playbook.rungs
        and (rung != GUARANTEE or covered)
        and (rung != MONEY_BACK or money_back)
    )


def rung_rules(rung_id: str, facts: Mapping[str, Any], playbook: Playbook) -> tuple[str, ...]:
    """The rules a rung cites for this case: another rung's warnings about the guarantee
    (a chargeback rules it out) only where the guarantee can apply."""
    rules = playbook.rungs[rung_id].rules
    where = jurisdiction_for(case_country(facts, playbook))
    not_by_card = facts.get(law.PAYMENT) not in (None, *CARDS)
    if rung_id == MONEY_BACK and (not_by_card or where is not None):
        # Not paid by card, or the country's own routes cite their own windows.
        rules = tuple(rule for rule in rules if rule != CARD_WINDOW)
    if rung_id == GUARANTEE or guarantee_applies(facts, playbook) is not False:
        return rules
    return tuple(rule for rule in rules if rule not in guarantee_only_rules(playbook))


def undecided(facts: Mapping[str, Any], playbook: Playbook) -> tuple[str, ...]:
    """Facts that were skipped but decide the advice (whom to contact, a guarantee claim)."""
    if playbook.marketplace and "seller" in facts and facts["seller"] is None:
        return ("seller",)
    return ()


def seller_contact_day(contacts: Iterable[Contact], playbook: Playbook) -> date | None:
    """The first day the seller was contacted: what starts the wait before a claim. A
    contact with the marketplace itself does not count."""
    days = [c.when for c in contacts if c.when and contact_party(c, playbook) == SELLER]
    return min(days) if days else None


def contact_party(contact: Contact, playbook: Playbook) -> str:
    """Whom a logged contact was with: as recorded, else as its channel reaches."""
    if contact.party is not None:
        return contact.party
    channel = playbook.channels.get(contact.channel or "")
    return channel.party if channel else MERCHANT


def late_from(facts: Mapping[str, Any], today: date) -> date | None:
    """For a parcel not late yet (its latest estimated delivery date is today or ahead),
    the first day it counts as late; None once it is late, or for another problem."""
    if facts.get("problem") not in DELIVERY_PROBLEMS or not facts.get("delivery_date"):
        return None
    if facts.get(TRACKING_DELIVERED):
        return None  # tracking says delivered: missing, not on its way
    estimate = date.fromisoformat(facts["delivery_date"])
    return estimate + timedelta(days=1) if estimate >= today else None
