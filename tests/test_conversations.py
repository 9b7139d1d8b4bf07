"""Whole conversations, start to finish, for every problem each playbook knows, checking
along the way what a person sees: their facts, the self-service step, the ranked
channels, a script with their order and their ask, and a case file with every contact."""

from __future__ import annotations

import itertools

import pytest

from bot.events import Notice
from flows import machine
from flows.playbook import Problem, load_playbook
from flows.text import rich
from tests.chat import (
    GENERIC,
    Chat,
    Story,
    answer_until,
    at_case_menu,
    confirmed,
    listed,
    log_contact,
    tell,
)

ASKS = {
    "A refund": "What I'm asking for is a full refund of $49.99 to my original payment method.",
    "A replacement": "What I'm asking for is a replacement Blue kettle, sent at no extra cost",
    "Store credit": "What I'm asking for is store credit of $49.99 on my account",
    "To return it": "What I'm asking for is to send Blue kettle back",
    "An explanation": "What I'm asking for is a clear account of what happened with this order",
}
"""What the script asks for, per outcome, with the default story's item and amount."""

STORIES = {"amazon": Story(seller="Sold by Amazon"), "generic": GENERIC}
"""Items the shop sold itself, so it is the shop that is contacted (a third-party seller is
contacted first: tests/test_advice.py)."""


def every_problem() -> list[tuple[str, Problem, str]]:
    """(playbook, problem, outcome) for each problem, cycling through the outcomes."""
    cases = [
        (playbook_id, problem)
        for playbook_id in STORIES
        for problem in load_playbook(playbook_id).problems
    ]
    outcomes = itertools.cycle(ASKS)
    return [(playbook_id, problem, next(outcomes)) for playbook_id, problem in cases]


def problem_ids() -> list[str]:
    return [f"{playbook_id}-{problem.id}" for playbook_id, problem, _ in every_problem()]


def shown(markup: str) -> str:
    """A playbook sentence as the person reads it (markup gone)."""
    return rich(markup).plain()


def story_for(playbook_id: str, problem: Problem, outcome: str = "A replacement") -> Story:
    return STORIES[playbook_id].but(problem=problem.label, outcome=outcome)


@pytest.mark.parametrize(("playbook_id", "problem", "outcome"), every_problem(), ids=problem_ids())
async def test_a_case_from_first_word_to_resolved(
    playbook_id: str, problem: Problem, outcome: str
) -> None:
    """From /start to resolved: the review lists the facts, the problem's self-service step is
    shown, the channels come ranked with reasons, the script has the order number and the
    ask, and the case file keeps the contact."""
    playbook = load_playbook(playbook_id)
    story = story_for(playbook_id, problem, outcome)
    chat = Chat()
    await chat.say("/start")
    assert chat.notices() == [Notice.DISCLAIMER] and chat.step() == "welcome"
    await chat.press("Start a case")
    await chat.say("/cancel")
    await chat.press("Continue")
    await answer_until(chat, story)
    review = chat.prompt()
    shop = "Amazon" if playbook_id == "amazon" else "Corner Books"
    for line in (
        f"Shop: {shop}",
        f"Problem: {problem.label}",
        f"Order number: {story.order_number}",
        "Ordered on: Fri 6 Nov 2026",
        "Delivery date: Mon 9 Nov 2026",
        "Item: Blue kettle",
        "Amount paid: $49.99",
        "What happened: It arrived with a cracked lid.",
        f"Outcome wanted: {outcome}",
        "Urgency: This week",
        "Earlier contacts: none yet",
    ):
        assert line in review
    assert ("Sold by: Sold by Amazon" in review) is (playbook_id == "amazon")

    await chat.press("All correct")
    assert shown(problem.self_service) in chat.prompt()
    if problem.self_service_link:
        assert f"Where: {playbook.linked(problem.self_service_link)}" in chat.prompt()

    await chat.press("Still need help")
    ranking = chat.prompt()
    for number, channel_id in enumerate(problem.channels, 1):
        channel = playbook.channels[channel_id]
        assert f"{number}. {channel.label}: {channel.reason}" in ranking
    assert chat.labels()[: len(problem.channels)] == [
        playbook.channels[c].label for c in problem.channels
    ]

    first = playbook.channels[problem.channels[0]]
    await chat.press(first.label)
    script = chat.prompt()
    assert f"Your {first.label.lower()} script" in script
    assert story.order_number in script
    assert ASKS[outcome] in script
    assert "Keep it fair" in script and "If it gets tense" in script

    await chat.press("Log the contact")
    assert (chat.step(), chat.question()) == (machine.LOGGING, "when")
    await log_contact(chat, "Resolved", channel=first.label, rep="Dana", reference="R-9")
    assert chat.step() == machine.RESOLVED
    [contact] = (await chat.record())["contacts"]
    assert (contact["rep"], contact["reference"], contact["result"]) == ("Dana", "R-9", "resolved")

    case_file = await chat.export()
    assert listed("order_number", story.order_number) in case_file
    assert f"Channel: {first.label}; Representative: Dana; Reference: R-9" in case_file
    assert f"Contact by {first.label.lower()}: Resolved." in case_file
    assert "resolved" in await chat.timeline()


@pytest.mark.parametrize(("playbook_id", "problem", "_"), every_problem(), ids=problem_ids())
async def test_no_progress_climbs_the_ladder_then_resolves(
    playbook_id: str, problem: Problem, _: str
) -> None:
    """No progress → the ladder → another channel → a second contact → resolved."""
    playbook = load_playbook(playbook_id)
    chat = Chat()
    await at_case_menu(chat, story_for(playbook_id, problem))
    await log_contact(chat, "No progress", channel="Live chat")

    ladder = chat.prompt()
    assert ladder.startswith("The escalation ladder.")
    for rung in playbook.rungs.values():
        # An item the shop sold itself has no A-to-z claim (tests/test_advice.py).
        shown = rung.id != "guarantee"
        assert (f"{rung.label}: {rung.why}" in ladder) is shown, rung.id

    await chat.press("Try another channel")
    rung = chat.prompt()
    assert "What it needs:" in rung and "What it costs:" in rung
    await chat.press("Pick another channel")
    await chat.press("Email")
    assert "Email, ready to paste" in chat.prompt()
    assert f"Subject: Order {STORIES[playbook_id].order_number}" in chat.prompt()
    await log_contact(chat, "Resolved", channel="Email", rep="Lee")

    assert chat.step() == machine.RESOLVED
    case_file = await chat.export()
    assert "Escalated: Try another channel." in case_file
    shop = STORIES[playbook_id].merchant
    assert f"1. With {shop}; When: 2026-11-11; Channel: Live chat" in case_file
    assert f"2. With {shop}; When: 2026-11-11; Channel: Email; Representative: Lee" in case_file


@pytest.mark.parametrize("playbook_id", STORIES)
async def test_a_store_credit_case_goes_to_a_supervisor_then_resolves(playbook_id: str) -> None:
    """Store credit, no progress: the supervisor rung, then a contact that settles it."""
    chat = Chat()
    await at_case_menu(chat, STORIES[playbook_id].but(outcome="Store credit"))
    await log_contact(chat, "No progress")
    assert chat.step() == machine.SUPERVISOR

    await chat.press("Log what happened")
    await log_contact(chat, "Resolved", rep="Morgan, the supervisor")

    assert chat.step() == machine.RESOLVED
    assert "Representative: Morgan, the supervisor" in await chat.export()


@pytest.mark.parametrize("playbook_id", STORIES)
async def test_the_written_complaint_is_ready_to_send(playbook_id: str) -> None:
    """The written complaint rung gives a letter with a subject, the facts and the ask."""
    story = STORIES[playbook_id]
    chat = Chat()
    await at_case_menu(chat, story)
    await log_contact(chat, "No progress")

    await chat.press("Send a written complaint")

    letter = chat.prompt()
    assert f"Subject: Formal complaint: Order {story.order_number}" in letter
    assert "Item: Blue kettle" in letter
    assert ASKS["A replacement"] in letter
    await chat.press("It's resolved")
    assert chat.step() == machine.RESOLVED


async def test_accepting_an_offer_resolves_the_case() -> None:
    """An offer shows what the person noted, and accepting it closes the case."""
    chat = Chat()
    await at_case_menu(chat)
    await log_contact(chat, "They made an offer", notes="A $15 voucher.")
    assert "What you noted: A $15 voucher." in chat.prompt()

    await chat.press("Accept it")

    assert chat.step() == machine.RESOLVED


async def test_declining_an_offer_leads_to_the_ladder() -> None:
    """Turning down an offer (no manager needed) leads to the escalation ladder."""
    chat = Chat()
    await at_case_menu(chat)
    await log_contact(chat, "They made an offer")

    await chat.press("Not enough")

    assert chat.step() == machine.ESCALATING
    assert "escalation" in await chat.timeline()


async def test_self_service_that_works_closes_the_case() -> None:
    """When the self-service step settles it, one press closes the case."""
    chat = Chat()
    await confirmed(chat)

    await chat.press("That solved it")

    assert chat.step() == machine.RESOLVED
    assert "resolved" in await chat.timeline()


async def test_waiting_on_them_sets_a_follow_up_reminder() -> None:
    """A contact left waiting, with no time given, gets a follow-up reminder two business
    days later, at 9:00 (a time they gave becomes a check-in instead: test_reminders)."""
    chat = Chat()
    await at_case_menu(chat)

    await log_contact(chat, "Waiting on them", notes="They'll look into it and write back.")

    assert chat.told(Notice.FOLLOW_UP_SET) == {"day": "Fri 13 Nov"}
    assert chat.step() == machine.CASE_MENU
    assert len((await chat.record())["contacts"]) == 1
    await chat.say("/reminders")
    assert "Fri 13 Nov 09:00: No answer yet? Time to follow up. (c1)" in chat.last_text()
    assert "No answer yet? Time to follow up. (pending)" in await chat.export()


async def test_an_urgent_case_puts_the_phone_first() -> None:
    """An urgent case ranks the phone first, whatever the problem's usual order."""
    chat = Chat()
    await confirmed(chat, Story(seller="Sold by Amazon", urgency="Urgent"))

    await chat.press("Still need help")

    assert chat.prompt().splitlines()[1].startswith("1. Phone (callback): Best when it is urgent")


async def test_a_reminder_follows_the_persons_time_zone() -> None:
    """ "tomorrow 9am" means 9:00 where the person lives, once they set their time zone."""
    chat = Chat()
    await confirmed(chat)
    await chat.say("/timezone Berlin")
    assert chat.told(Notice.TIMEZONE_SET) == {"tz": "Europe/Berlin"}

    await chat.say("/remind tomorrow 9am call the seller")

    assert chat.told(Notice.REMINDER_SET) == {"when": "Thu 12 Nov at 09:00 (Europe/Berlin)"}
    await chat.say("/reminders")
    assert "Thu 12 Nov 09:00: call the seller (c1)" in chat.last_text()


async def test_several_cases_one_active_at_a_time() -> None:
    """A second case becomes the active one; /cases lists both and switches back."""
    chat = Chat()
    await at_case_menu(chat)
    await tell(chat, GENERIC.but(problem="Unexpected charge"))

    await chat.say("/cases")
    listing = chat.last_text()
    assert "c1 · Amazon · Damaged or faulty item · open" in listing
    assert "▶ c2 · Corner Books · Unexpected charge · reviewing the facts" in listing

    await chat.press("Switch to c1")
    assert chat.told(Notice.CASE_SWITCHED) == {"case_id": "c1"}
    assert chat.step() == machine.CASE_MENU
    assert (await chat.status()).startswith("c1 · Amazon")


async def test_dropping_a_case_asks_first_and_keeps_the_record() -> None:
    """Dropping a case asks first; the dropped case stays in /cases."""
    chat = Chat()
    await at_case_menu(chat)

    await chat.press("Drop this case")
    assert chat.step() == machine.CONFIRM_DROP
    await chat.press("Yes, drop it")

    assert chat.step() == machine.DROPPED
    await chat.say("/cases")
    assert "c1 · Amazon · Damaged or faulty item · dropped" in chat.last_text()


async def test_forget_deletes_everything_after_a_confirmation() -> None:
    """/forget asks first; "No" keeps everything, "Yes" deletes the person's whole record."""
    chat = Chat()
    await at_case_menu(chat)

    await chat.say("/forget")
    await chat.press("No, keep it")
    assert chat.notices() == [Notice.KEPT]
    await chat.say("/forget")
    await chat.press("Yes, delete it all")

    assert chat.notices() == [Notice.FORGOTTEN]
    assert (await chat.store.load(chat.key.person)).is_empty()
    await chat.status()
    assert Notice.NO_CASE_YET in chat.notices()
