"""The flow, state by state: every step answers, shows where it stands and has a way out,
and the guards send a case where a person in that situation should go next."""

from __future__ import annotations

from datetime import date

import pytest
import transitions

from bot.events import BACK_ID, SKIP_ID, Notice
from flows import machine
from flows.case import CaseModel
from flows.playbook import load_playbook
from flows.records import Case
from tests.chat import GENERIC, Chat, Story, answer, at_case_menu, log_contact

AMAZON = load_playbook("amazon")
LOG_OFFER = [
    "do:log",
    "pick:now",
    "pick:chat",
    "Sam",
    "REF-1",
    "They offered 20% off.",
    "pick:offer",
]

ROUTES: dict[str, list[str]] = {
    machine.CASE_MENU: [],
    machine.GATHERING: ["do:plan", BACK_ID, BACK_ID, "edit:item"],
    machine.REVIEW: ["do:plan", BACK_ID, BACK_ID],
    machine.SELF_SERVICE: ["do:plan", BACK_ID],
    machine.CHOOSING_CHANNEL: ["do:plan"],
    machine.PREPARING: ["do:plan", "channel:seller_message"],
    machine.LOGGING: ["do:log"],
    machine.OFFER: LOG_OFFER,
    machine.ESCALATING: ["do:escalate"],
    machine.SUPERVISOR: ["do:escalate", "do:climb_supervisor"],
    machine.SWITCH_CHANNEL: ["do:escalate", "do:climb_switch_channel"],
    machine.WRITTEN_COMPLAINT: ["do:escalate", "do:climb_written_complaint"],
    machine.GUARANTEE: ["do:escalate", "do:climb_guarantee"],
    machine.CARD_DISPUTE: ["do:escalate", "do:climb_card_dispute"],
    machine.AGENCY: ["do:escalate", "do:climb_agency"],
    machine.CONFIRM_DROP: ["do:drop"],
    machine.RESOLVED: ["do:resolve"],
    machine.DROPPED: ["do:drop", "do:confirm"],
}
"""How a person gets from the case menu to each state: the options they press (by id)
and what they type."""


async def ready_case() -> Chat:
    """A confirmed Amazon case from a third-party seller, the seller contacted last week
    (so every rung of the ladder is open), parked at the case menu."""
    chat = Chat()
    await at_case_menu(chat)
    await log_contact(chat, "pick:waiting", when="2026-11-06", channel="pick:seller_message")
    await chat.say("/cancel")
    return chat


async def in_state(state: str) -> Chat:
    chat = await ready_case()
    for step in ROUTES[state]:
        await answer(chat, step)
    assert await chat.state() == state, chat.last_text()
    return chat


def test_every_state_but_idle_has_a_route() -> None:
    """A state added to the machine must be added here too, so it gets checked."""
    assert set(ROUTES) == set(machine.STATES) - {machine.IDLE}


@pytest.mark.parametrize("state", ROUTES)
async def test_each_step_shows_a_prompt_that_status_repeats(state: str) -> None:
    """Whatever the step, the bot says something, and /status says where the case stands
    and asks the same thing again."""
    chat = await in_state(state)
    prompt = chat.prompt()
    assert prompt.strip()
    assert chat.buttons(), "every step offers at least one button"

    status = await chat.status()

    damaged = next(p for p in AMAZON.problems if p.id == "damaged")
    assert status.startswith(f"c1 · {AMAZON.name} · {damaged.label} · ")
    assert chat.prompt() == prompt
    await chat.say("/help")
    assert "/cancel" in chat.last_text()


@pytest.mark.parametrize("state", [s for s in ROUTES if s not in machine.CLOSED_STATES])
async def test_cancel_from_an_open_step_leads_to_the_case_menu(state: str) -> None:
    """/cancel from any open step lands on the case menu, the home of a case."""
    chat = await in_state(state)

    await chat.say("/cancel")

    assert chat.step() == machine.CASE_MENU
    assert await chat.state() == machine.CASE_MENU


@pytest.mark.parametrize("state", [s for s in ROUTES if s not in machine.CLOSED_STATES])
async def test_back_buttons_lead_home_to_the_case_menu(state: str) -> None:
    """Pressing Back (or keeping the case, asked whether to drop it) again and again never
    strands anyone: it ends at the case menu, however deep the step."""
    chat = await in_state(state)
    for _ in range(30):
        if await chat.state() == machine.CASE_MENU:
            break
        await chat.press_option(BACK_ID)
    assert chat.step() == machine.CASE_MENU


@pytest.mark.parametrize("state", machine.CLOSED_STATES)
async def test_a_closed_case_says_so_and_can_be_reopened(state: str) -> None:
    """A resolved or dropped case says so, /cancel has nothing to stop, and Reopen brings it back."""
    chat = await in_state(state)

    await chat.say("/cancel")
    assert chat.notices() == [Notice.NOTHING_TO_CANCEL]
    assert chat.step() == state

    await chat.press_option("do:reopen")
    assert chat.step() == machine.CASE_MENU
    assert "reopened" in [entry["kind"] for entry in (await chat.record())["timeline"]]


# -- needs_manager: store credit or a large refund goes to a supervisor first --------------


@pytest.mark.parametrize(
    ("outcome", "amount", "needs_manager"),
    [
        ("pick:store_credit", "$20", True),
        ("pick:refund", "$100", True),
        ("pick:refund", "$1,250.00", True),
        ("pick:refund", "$99.99", False),
        ("pick:refund", SKIP_ID, False),
        ("pick:replacement", "$900", False),
    ],
)
@pytest.mark.parametrize("story", [Story(), GENERIC], ids=["amazon", "generic"])
async def test_no_progress_goes_to_a_supervisor_when_a_manager_must_approve(
    story: Story, outcome: str, amount: str, needs_manager: bool
) -> None:
    """Store credit or a refund of $100 or more: a contact without progress leads straight to
    asking for a supervisor; anything else leads to the whole ladder."""
    chat = Chat()
    await at_case_menu(chat, story.but(outcome=outcome, amount=amount))

    await log_contact(chat, "pick:no_progress")

    if needs_manager:
        assert Notice.MANAGER_NEEDED in chat.notices()
        assert chat.step() == machine.SUPERVISOR
        supervisor_ask = (await chat.playbook()).script.supervisor_ask
        assert await chat.playbook_line(supervisor_ask) in chat.prompt()
        assert await chat.state() == machine.SUPERVISOR
    else:
        assert Notice.MANAGER_NEEDED not in chat.notices()
        assert chat.step() == machine.ESCALATING
        assert await chat.state() == machine.ESCALATING


async def test_the_script_warns_when_a_manager_will_be_needed() -> None:
    """The contact script prepares the person to ask for a manager when the outcome needs one."""
    chat = Chat()
    await at_case_menu(chat, Story(seller="pick:merchant", outcome="pick:store_credit"))

    await chat.press_option("do:plan")
    await chat.press_option("channel:chat")

    supervisor_ask = await chat.playbook_line(AMAZON.script.supervisor_ask)
    copied = [snippet.text for message in chat.replies for snippet in message.snippets]
    assert supervisor_ask in chat.prompt() and supervisor_ask in copied, "the words, to copy"


async def test_after_the_supervisor_was_tried_no_progress_goes_to_the_ladder() -> None:
    """Once the supervisor was tried, the next contact without progress shows the ladder, with
    the supervisor ticked."""
    chat = Chat()
    await at_case_menu(chat, Story(outcome="pick:store_credit"))
    await log_contact(chat, "pick:no_progress")
    assert await chat.state() == machine.SUPERVISOR

    await log_contact(chat, "pick:no_progress", rep="Alex, a supervisor")

    assert chat.step() == machine.ESCALATING
    assert f"✓ {AMAZON.rungs['supervisor'].label}" in chat.labels(), "ticked: tried"
    assert "supervisor" in await chat.rungs()


async def test_declining_an_offer_that_needs_a_manager_goes_to_a_supervisor() -> None:
    """Saying an offer is not enough, when a manager must approve the outcome, leads to the
    supervisor, and the timeline says so."""
    chat = Chat()
    await at_case_menu(chat, Story(outcome="pick:refund", amount="$180"))
    await log_contact(chat, "pick:offer", notes="They offered $40 back.")
    assert "They offered $40 back." in chat.prompt(), "what they noted, shown back"

    await chat.press_option("do:decline")

    assert chat.step() == machine.SUPERVISOR
    assert "supervisor" in await chat.rungs()


async def test_after_a_declined_offer_and_the_supervisor_no_progress_goes_to_the_ladder() -> None:
    """The supervisor reached by declining an offer counts as tried: no second visit."""
    chat = Chat()
    await at_case_menu(chat, Story(outcome="pick:store_credit"))
    await log_contact(chat, "pick:offer")
    await chat.press_option("do:decline")

    await log_contact(chat, "pick:no_progress", rep="Alex, a supervisor")

    assert chat.step() == machine.ESCALATING
    assert f"✓ {AMAZON.rungs['supervisor'].label}" in chat.labels(), "ticked: tried"


# -- guarantee_open: the A-to-z claim only for third-party sellers, after the seller's turn --


CLAIM = "do:climb_guarantee"
"""The ladder's A-to-z rung, by its option id."""


async def ladder(chat: Chat) -> str:
    await chat.say("/escalate")
    assert chat.step() == machine.ESCALATING
    return chat.prompt()


async def model(chat: Chat) -> CaseModel:
    """The active case as the flow sees it (its guards, its windows)."""
    return CaseModel(Case.from_json(await chat.record()), chat.clock())


async def blockers(chat: Chat) -> list[str]:
    """Why the A-to-z rung is not open, by id (empty: it is)."""
    return [blocker.id for blocker in (await model(chat)).guarantee_blockers()]


async def test_guarantee_is_not_offered_for_a_shop_without_one() -> None:
    """A shop without a marketplace guarantee never shows the A-to-z rung, and its guard refuses it."""
    chat = Chat()
    await at_case_menu(chat, GENERIC)
    await log_contact(chat, "pick:no_progress", when="2026-11-02")

    await ladder(chat)
    assert not any("guarantee" in option for option in chat.options())

    case = await model(chat)
    assert not case.guarantee_open()
    assert [blocker.id for blocker in case.guarantee_blockers()] == ["no_guarantee"]
    assert not machine.fire(case, "climb_guarantee")
    assert case.state == machine.ESCALATING


@pytest.mark.parametrize("seller", ["pick:merchant", "pick:third_party_fba"])
async def test_guarantee_is_not_offered_for_an_item_sold_or_shipped_by_amazon(seller: str) -> None:
    """The A-to-z claim is for what a third-party seller sold and shipped: for an item sold
    by Amazon, or a seller's item Amazon shipped, the ladder has no such rung at all."""
    chat = Chat()
    await at_case_menu(chat, Story(seller=seller))
    await log_contact(chat, "pick:no_progress", when="2026-11-02")

    await ladder(chat)

    assert not any("guarantee" in option for option in chat.options())
    assert "not_covered" in await blockers(chat)


async def test_guarantee_waits_until_the_seller_was_contacted() -> None:
    """Before any contact is logged, the ladder says to contact the seller first."""
    chat = Chat()
    await at_case_menu(chat)

    text = await ladder(chat)

    assert await blockers(chat) == ["seller_not_contacted"]
    [blocker] = (await model(chat)).guarantee_blockers()
    assert blocker.text in text, "the ladder says what to do first"
    assert CLAIM not in chat.options()


async def test_guarantee_opens_two_business_days_after_the_seller_was_contacted() -> None:
    """Contacted on a Friday: the weekend does not count, so the claim opens on Tuesday."""
    chat = Chat()
    chat.clock.advance(days=2)  # Friday 13 November
    await at_case_menu(chat, Story(order_date="2026-11-02", delivery_date="2026-11-06"))
    await log_contact(chat, "pick:no_progress", channel="pick:seller_message")

    chat.clock.advance(days=3)  # Monday
    await ladder(chat)
    assert await blockers(chat) == ["seller_wait"]
    assert "Tue 17 Nov" in chat.prompt()
    assert CLAIM not in chat.options()

    chat.clock.advance(days=1)  # Tuesday
    await ladder(chat)
    assert await blockers(chat) == []
    await chat.press_option(CLAIM)

    assert chat.step() == machine.GUARANTEE
    # A damaged item can be claimed for from its delivery date; only a late one waits 3 days.
    assert (await model(chat)).guarantee_window() == (date(2026, 11, 6), date(2027, 2, 4))
    claim = chat.prompt()
    assert "Fri 6 Nov 2026" in claim and "Thu 4 Feb 2027" in claim
    assert "source: https://www.amazon.com/gp/help/customer/display.html?nodeId=200783670" in claim
    assert await chat.state() == machine.GUARANTEE


async def test_a_late_package_can_be_claimed_three_days_after_the_latest_delivery_date() -> None:
    """A late package: the claim opens 3 days after the latest estimated delivery date."""
    chat = Chat()
    await at_case_menu(chat, Story(problem="pick:late", delivery_date="yesterday"))
    await log_contact(chat, "pick:no_progress", when="2026-11-06", channel="pick:seller_message")

    await ladder(chat)
    assert await blockers(chat) == ["not_late_yet"]
    assert (await model(chat)).guarantee_window()[0] == date(2026, 11, 13)

    chat.clock.advance(days=2)
    await ladder(chat)
    assert await blockers(chat) == []
    assert CLAIM in chat.options()


async def test_guarantee_closes_ninety_days_after_the_delivery_date() -> None:
    """90 days after the delivery date the claim window has closed, and the ladder says when."""
    chat = Chat()
    await at_case_menu(chat, Story(order_date="2026-07-25", delivery_date="2026-08-01"))
    await log_contact(chat, "pick:no_progress", when="2026-11-02")

    await ladder(chat)
    assert "window_closed" in await blockers(chat)
    assert (await model(chat)).guarantee_window()[1] == date(2026, 10, 30)
    assert "Fri 30 Oct 2026" in chat.prompt(), "the ladder says when it closed"
    assert CLAIM not in chat.options()


# -- the card dispute rung: a chargeback rules out the A-to-z claim -------------------------


@pytest.mark.parametrize(
    ("story", "warned"),
    [(Story(), True), (Story(seller="pick:merchant"), False), (GENERIC, False)],
    ids=["amazon-third-party", "sold-by-amazon", "generic"],
)
async def test_card_dispute_warns_that_a_chargeback_forfeits_the_guarantee(
    story: Story, warned: bool
) -> None:
    """The card dispute rung warns that a chargeback rules out the A-to-z claim, only where that
    claim exists (a third-party Amazon seller), and gives the dispute deadline."""
    chat = Chat()
    await at_case_menu(chat, story)
    await ladder(chat)

    await chat.press_option("do:climb_card_dispute")

    text = chat.prompt()
    assert chat.step() == machine.CARD_DISPUTE
    assert (AMAZON.rules["atoz_chargeback"].text in text) is warned
    assert "Tue 9 Mar 2027" in text, "the dispute deadline: 120 days from the order"


# -- one machine for everyone --------------------------------------------------------------


async def test_no_machine_is_built_per_message(monkeypatch: pytest.MonkeyPatch) -> None:
    """The shared machine is built once at import; a hundred turns build none."""
    built = []
    original = transitions.Machine.__init__

    def counting(self: transitions.Machine, *args: object, **kwargs: object) -> None:
        built.append(type(self))
        original(self, *args, **kwargs)

    monkeypatch.setattr(transitions.Machine, "__init__", counting)
    chat = Chat()
    turns = 0
    while turns < 100:
        await at_case_menu(chat, Story(outcome="pick:store_credit"))
        await log_contact(chat, "pick:no_progress")
        await chat.say("/escalate")
        await chat.press_option("do:climb_switch_channel")
        await chat.say("/status")
        await chat.press_option("do:resolve")
        turns = len(chat.history)

    assert built == []
