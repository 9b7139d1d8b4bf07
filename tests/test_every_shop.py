"""Every playbook, packaged or not, takes a case through every rung of its ladder: the shop
is picked by its button, its order number shape is accepted, the seller is contacted first
on a marketplace, the guarantee opens after the seller's wait, and each rung the case can
take is climbed, logged and recorded, until the case is resolved."""

from __future__ import annotations

from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

import pytest

from flows import advice, machine
from flows.playbook import (
    GENERIC,
    SELLER,
    Playbook,
    load_playbook,
    playbook_ids,
    use_playbooks_dir,
)
from flows.sites import LINKS
from tests.chat import Chat, Story, listed, log_contact, tell


def story_for(playbook: Playbook) -> Story:
    """A damaged item delivered two days ago, sold by a seller who ships it themselves
    where the shop is a marketplace with more than one kind of seller."""
    seller = playbook.sellers.get(advice.THIRD_PARTY)
    return Story(
        merchant="Corner Books" if playbook.id == GENERIC else f"pick:{playbook.id}",
        problem="pick:damaged",
        seller=f"pick:{advice.THIRD_PARTY}" if seller and len(playbook.sellers) > 1 else "",
        order_number=playbook.order_number.example if playbook.order_number else "W123-4567",
    )


async def pending_slots(chat: Chat) -> set[str]:
    person = await chat.store.load(chat.key.person)
    return {r["slot"] for r in person.reminders.values() if r["status"] == "pending"}


@pytest.mark.parametrize("playbook_id", playbook_ids())
async def test_a_case_climbs_every_rung_of_the_shops_ladder(playbook_id: str) -> None:
    await climb_every_rung(load_playbook(playbook_id))


WALMART_TOML = resources.files("flows.playbooks").joinpath("walmart.toml").read_text("utf-8")


async def test_a_new_marketplace_in_one_file_climbs_every_rung(tmp_path: Path) -> None:
    """A marketplace an operator adds as one TOML file (its sellers, its guarantee and its
    rules' roles, its storefront): the same whole case, every rung, no Python."""
    text = WALMART_TOML
    for old, new in (
        ('id = "walmart"', 'id = "bazaar"'),
        ('name = "Walmart"', 'name = "Town Bazaar"'),
        ('in_emails = ["Walmart"]', 'in_emails = ["Town Bazaar"]'),
        ('[storefronts."walmart.com"]', '[storefronts."townbazaar.example"]'),
    ):
        assert old in text
        text = text.replace(old, new, 1)
    (tmp_path / "bazaar.toml").write_text(text, "utf-8")
    try:
        found = use_playbooks_dir(tmp_path)
        assert found["bazaar"].guarantee is not None
        await climb_every_rung(found["bazaar"])
    finally:
        use_playbooks_dir(None)


async def climb_every_rung(playbook: Playbook) -> None:
    """A whole case with the shop, through every rung its ladder offers, to resolved."""
    playbook_id = playbook.id
    chat = Chat()
    await tell(chat, story_for(playbook))
    facts = (await chat.record())["facts"]
    assert facts["merchant"]["playbook"] == playbook_id
    if playbook.order_number:
        assert facts["order_number"].upper() == playbook.order_number.example.upper()
    await chat.press_option("do:confirm")
    rungs = advice.applicable_rungs(facts, playbook)
    if playbook.guarantee:
        assert machine.GUARANTEE in rungs
        assert {"deadline:guarantee_close"} <= await pending_slots(chat)
    else:
        assert machine.GUARANTEE not in rungs
    await chat.press_option("do:need_help")

    # A marketplace's seller first: only its channel is offered until it has been tried.
    offered = [b.option for b in chat.buttons() if b.option.startswith("channel:")]
    to_seller = [c.id for c in playbook.channels.values() if c.party == SELLER]
    if playbook.guarantee:
        assert offered == [f"channel:{c}" for c in to_seller]
    first = playbook.channels[offered[0].removeprefix("channel:")]
    await chat.press_option(offered[0])
    await log_contact(chat, "pick:no_progress", channel=f"pick:{first.id}")
    chat.clock.advance(days=6)  # past any seller's wait, inside every claim window

    for rung in rungs:
        assert chat.replies[-1].prompt is not None
        assert chat.replies[-1].prompt.step == machine.ESCALATING
        await chat.press_option(f"do:climb_{rung}")
        assert chat.replies[-1].prompt is not None
        assert chat.replies[-1].prompt.step == rung
        await chat.press_option("do:log")
        await log_contact(chat, "pick:no_progress")

    record = await chat.record()
    assert record["rungs_tried"] == list(rungs)
    await chat.say("/cancel")
    await chat.press_option("do:resolve")
    record = await chat.record()
    assert record["state"] == machine.RESOLVED
    contacts = record["contacts"]
    assert len(contacts) == len(rungs) + 1
    assert contacts[0]["party"] == first.party
    assert datetime.fromisoformat(record["closed_at"]).astimezone(UTC) == chat.clock.now


STOREFRONTS = [(p, front) for p in playbook_ids() for front in load_playbook(p).storefronts]


@pytest.mark.parametrize(("playbook_id", "site"), STOREFRONTS)
async def test_a_case_on_each_storefront_links_that_storefronts_pages(
    playbook_id: str, site: str
) -> None:
    """Bought on amazon.de: the case knows the storefront, an amount typed bare is in its
    currency, and the self-service step and every channel link amazon.de's own pages."""
    playbook = load_playbook(playbook_id)
    front = playbook.storefronts[site]
    chat = Chat()
    await tell(chat, story_for(playbook).but(merchant=site, amount="49.99"))
    facts = (await chat.record())["facts"]
    assert facts["merchant"] == {"playbook": playbook_id, "name": playbook.name, "storefront": site}
    assert facts["amount"] == {"amount": "49.99", "currency": front.currency}
    await chat.press_option("do:confirm")
    damaged = playbook.problem("damaged")
    assert damaged is not None
    if damaged.self_service_link:
        assert playbook.linked(damaged.self_service_link, site) in chat.prompt()
    for channel in playbook.channels.values():
        assert "{" not in playbook.linked(channel.how, site)
        for name in LINKS:
            if f"{{{name}}}" in channel.how:
                assert front.link(name) in playbook.linked(channel.how, site)


@pytest.mark.parametrize(
    ("site", "typed", "shown"),
    [
        ("amazon.de", "12,50", "12,50\u00a0€"),
        ("amazon.de", "1.299,00 €", "1.299,00\u00a0€"),
        ("amazon.co.uk", "12.5", "£12.50"),
        ("amazon.ca", "49.99", "$49.99"),
        ("amazon.ca", "49.99 USD", "US$49.99"),
        ("amazon.com", "¥5000", "¥5,000"),
    ],
)
async def test_amounts_are_written_as_the_storefront_writes_them(
    site: str, typed: str, shown: str
) -> None:
    """In the review and in the script the person reads out: 12,50 € on amazon.de, £12.50
    on amazon.co.uk, ¥5,000 without cents."""
    chat = Chat()
    await tell(chat, Story(merchant=site, amount=typed))
    assert listed("amount", shown) in chat.prompt()
    await chat.press_option("do:confirm")
    await chat.press_option("do:need_help")
    await chat.press_option(next(o for o in chat.options() if o.startswith("channel:")))
    assert shown in chat.prompt()
