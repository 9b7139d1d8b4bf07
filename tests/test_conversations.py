"""Whole conversations, start to finish, for every problem each playbook knows, checking
along the way what a person sees: their facts, the self-service step, the ranked
channels, a script with their order and their ask, and a case file with every contact."""

from __future__ import annotations

import itertools

import pytest

from bot.casefile import status_line
from bot.events import Notice
from flows import machine
from flows.contacts import LOG_QUESTIONS
from flows.playbook import Problem, load_playbook
from flows.text import Block, rich
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

OUTCOMES = ("refund", "replacement", "store_credit", "return", "explanation")
"""The outcomes a person can want, by id: each is the id of the playbook's ask for it."""

LOGGED = {question.id: question.label for question in LOG_QUESTIONS}
"""How the case file labels each detail of a logged contact."""


def copyable(chat: Chat) -> list[str]:
    """The texts the last turn offers to copy whole (its snippets)."""
    return [snippet.text for message in chat.replies for snippet in message.snippets]


async def contact_lines(chat: Chat) -> list[str]:
    """The case file's numbered contact lines."""
    case_file = await chat.export()
    contacts = case_file.split("## Contacts\n\n", 1)[1].split("\n\n", 1)[0]
    return contacts.splitlines()


STORIES = {"amazon": Story(seller="pick:merchant"), "generic": GENERIC}
"""Items the shop sold itself, so it is the shop that is contacted (a third-party seller is
contacted first: tests/test_advice.py)."""


def every_problem() -> list[tuple[str, Problem, str]]:
    """(playbook, problem, outcome) for each problem, cycling through the outcomes."""
    cases = [
        (playbook_id, problem)
        for playbook_id in STORIES
        for problem in load_playbook(playbook_id).problems
    ]
    outcomes = itertools.cycle(OUTCOMES)
    return [(playbook_id, problem, next(outcomes)) for playbook_id, problem in cases]


def problem_ids() -> list[str]:
    return [f"{playbook_id}-{problem.id}" for playbook_id, problem, _ in every_problem()]


def shown(markup: str) -> str:
    """A playbook sentence as the person reads it (markup gone)."""
    return rich(markup).plain()


def story_for(playbook_id: str, problem: Problem, outcome: str = "replacement") -> Story:
    return STORIES[playbook_id].but(problem=f"pick:{problem.id}", outcome=f"pick:{outcome}")


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
    await chat.press_option("new")
    await chat.say("/cancel")
    await chat.press_option("do:resume")
    await answer_until(chat, story)
    review = chat.prompt()
    shop = "Amazon" if playbook_id == "amazon" else "Corner Books"
    for line in (
        listed("merchant", shop),
        listed("problem", problem.label),
        listed("order_number", story.order_number),
        listed("order_date", "Fri 6 Nov 2026"),
        listed("delivery_date", "Mon 9 Nov 2026"),
        listed("item", story.item),
        listed("amount", story.amount),
        listed("what_happened", story.what_happened),
        listed("outcome", story.outcome),
        listed("urgency", story.urgency),
    ):
        assert line in review
    assert (await chat.record())["facts"]["earlier_contacts"] == "none"
    assert (listed("seller", "pick:merchant") in review) is (playbook_id == "amazon")

    await chat.press_option("do:confirm")
    assert shown(problem.self_service) in chat.prompt()
    if problem.self_service_link:
        assert f"Where: {playbook.linked(problem.self_service_link)}" in chat.prompt()

    await chat.press_option("do:need_help")
    ranking = chat.prompt()
    for number, channel_id in enumerate(problem.channels, 1):
        channel = playbook.channels[channel_id]
        assert f"{number}. {channel.label}: {channel.reason}" in ranking
    assert chat.labels()[: len(problem.channels)] == [
        playbook.channels[c].label for c in problem.channels
    ]

    first = playbook.channels[problem.channels[0]]
    await chat.press_option(f"channel:{problem.channels[0]}")
    script = chat.replies[-1].text
    assert chat.step() == machine.PREPARING
    assert story.order_number in script.plain()
    ask = await chat.playbook_line(playbook.script.asks[outcome])
    assert ask in copyable(chat)
    for line in (*playbook.script.fairness, *playbook.script.calm_phrases):
        assert await chat.playbook_line(line) in script.plain()
    spare = "".join(span.text for span in script.spans if span.block == Block.SPARE)
    assert all([await chat.playbook_line(line) in spare for line in playbook.script.calm_phrases])

    await chat.press_option("do:log")
    assert (chat.step(), chat.question()) == (machine.LOGGING, "when")
    await log_contact(
        chat, "pick:resolved", channel=f"pick:{problem.channels[0]}", rep="Dana", reference="R-9"
    )
    assert chat.step() == machine.RESOLVED
    [contact] = (await chat.record())["contacts"]
    assert (contact["rep"], contact["reference"], contact["result"]) == ("Dana", "R-9", "resolved")

    case_file = await chat.export()
    assert listed("order_number", story.order_number) in case_file
    [line] = await contact_lines(chat)
    assert f"{LOGGED['channel']}: {first.label}; {LOGGED['rep']}: Dana" in line
    assert f"{LOGGED['reference']}: R-9" in line
    kinds = await chat.timeline()
    assert "contact" in kinds and kinds.index("contact") < kinds.index("resolved")


@pytest.mark.parametrize(("playbook_id", "problem", "_"), every_problem(), ids=problem_ids())
async def test_no_progress_climbs_the_ladder_then_resolves(
    playbook_id: str, problem: Problem, _: str
) -> None:
    """No progress → the ladder → another channel → a second contact → resolved."""
    playbook = load_playbook(playbook_id)
    chat = Chat()
    await at_case_menu(chat, story_for(playbook_id, problem))
    await log_contact(chat, "pick:no_progress", channel="pick:chat")

    ladder = chat.prompt()
    assert chat.step() == machine.ESCALATING
    for rung in playbook.rungs.values():
        # An item the shop sold itself has no A-to-z claim (tests/test_advice.py).
        shown = rung.id != "guarantee"
        assert (f"{rung.label}: {rung.why}" in ladder) is shown, rung.id

    await chat.press_option("do:climb_switch_channel")
    rung = playbook.rungs[machine.SWITCH_CHANNEL]
    assert chat.step() == machine.SWITCH_CHANNEL
    assert rung.needs in chat.prompt() and rung.cost in chat.prompt()
    await chat.press_option("do:plan")
    await chat.press_option("channel:email")
    subject = await chat.playbook_line(playbook.script.email_subject)
    assert STORIES[playbook_id].order_number in subject and subject in copyable(chat)
    await log_contact(chat, "pick:resolved", channel="pick:email", rep="Lee")

    assert chat.step() == machine.RESOLVED
    assert await chat.rungs() == [machine.SWITCH_CHANNEL]
    shop = (await chat.record())["facts"]["merchant"]["name"]
    first, second = await contact_lines(chat)
    assert first.startswith("1. ") and second.startswith("2. ")
    assert shop in first and shop in second
    chat_label, email_label = (playbook.channels[c].label for c in ("chat", "email"))
    assert f"{LOGGED['when']}: 2026-11-11; {LOGGED['channel']}: {chat_label}" in first
    assert f"{LOGGED['channel']}: {email_label}; {LOGGED['rep']}: Lee" in second


@pytest.mark.parametrize("playbook_id", STORIES)
async def test_a_store_credit_case_goes_to_a_supervisor_then_resolves(playbook_id: str) -> None:
    """Store credit, no progress: the supervisor rung, then a contact that settles it."""
    chat = Chat()
    await at_case_menu(chat, STORIES[playbook_id].but(outcome="pick:store_credit"))
    await log_contact(chat, "pick:no_progress")
    assert chat.step() == machine.SUPERVISOR

    await chat.press_option("do:log")
    await log_contact(chat, "pick:resolved", rep="Morgan, the supervisor")

    assert chat.step() == machine.RESOLVED
    [_, line] = await contact_lines(chat)
    assert f"{LOGGED['rep']}: Morgan, the supervisor" in line


@pytest.mark.parametrize("playbook_id", STORIES)
async def test_the_written_complaint_is_ready_to_send(playbook_id: str) -> None:
    """The written complaint rung gives a letter with a subject, the facts and the ask."""
    story = STORIES[playbook_id]
    chat = Chat()
    await at_case_menu(chat, story)
    await log_contact(chat, "pick:no_progress")

    await chat.press_option("do:climb_written_complaint")

    playbook = load_playbook(playbook_id)
    subject, body = copyable(chat)
    assert subject.endswith(await chat.playbook_line(playbook.script.email_subject))
    assert story.order_number in subject
    assert listed("item", "Blue kettle") in body
    assert await chat.playbook_line(playbook.script.asks["replacement"]) in body
    await chat.press_option("do:resolve")
    assert chat.step() == machine.RESOLVED


async def test_accepting_an_offer_resolves_the_case() -> None:
    """An offer shows what the person noted, and accepting it closes the case."""
    chat = Chat()
    await at_case_menu(chat)
    await log_contact(chat, "pick:offer", notes="A $15 voucher.")
    assert chat.step() == machine.OFFER
    assert "A $15 voucher." in chat.prompt()

    await chat.press_option("do:accept")

    assert chat.step() == machine.RESOLVED


async def test_declining_an_offer_leads_to_the_ladder() -> None:
    """Turning down an offer (no manager needed) leads to the escalation ladder."""
    chat = Chat()
    await at_case_menu(chat)
    await log_contact(chat, "pick:offer")

    await chat.press_option("do:decline")

    assert chat.step() == machine.ESCALATING
    assert "escalation" in await chat.timeline()


async def test_self_service_that_works_closes_the_case() -> None:
    """When the self-service step settles it, one press closes the case."""
    chat = Chat()
    await confirmed(chat)

    await chat.press_option("do:solved")

    assert chat.step() == machine.RESOLVED
    assert "resolved" in await chat.timeline()


async def test_waiting_on_them_sets_a_follow_up_reminder() -> None:
    """A contact left waiting, with no time given, gets a follow-up reminder two business
    days later, at 9:00 (a time they gave becomes a check-in instead: test_reminders)."""
    chat = Chat()
    await at_case_menu(chat)

    await log_contact(chat, "pick:waiting", notes="They'll look into it and write back.")

    assert chat.told(Notice.FOLLOW_UP_SET) == {"day": "Fri 13 Nov"}
    assert chat.step() == machine.CASE_MENU
    assert len((await chat.record())["contacts"]) == 1
    record = await chat.store.load(chat.key.person)
    [follow_up] = [r for r in record.reminders.values() if r["kind"] == "follow_up"]
    assert (follow_up["due"], follow_up["status"]) == ("2026-11-13T09:00:00+00:00", "pending")
    await chat.say("/reminders")
    assert chat.notices() == [Notice.REMINDERS]
    assert f"Fri 13 Nov 09:00: {follow_up['text']} (c1)" in chat.last_text()
    assert f"{follow_up['text']} (pending)" in await chat.export()


async def test_an_urgent_case_puts_the_phone_first() -> None:
    """An urgent case ranks the phone first, whatever the problem's usual order."""
    chat = Chat()
    await confirmed(chat, Story(seller="pick:merchant", urgency="pick:urgent"))

    await chat.press_option("do:need_help")

    assert chat.options()[0] == "channel:phone"


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
    await tell(chat, GENERIC.but(problem="pick:charge"))

    await chat.say("/cases")
    listing = chat.last_text()
    cases = (await chat.store.load(chat.key.person)).cases
    assert status_line(cases["c1"]).plain() in listing
    assert status_line(cases["c2"], active=True).plain() in listing
    assert [cases[c]["state"] for c in ("c1", "c2")] == [machine.CASE_MENU, machine.REVIEW]
    assert "case:c1" in chat.options(), "the other case, to switch to"

    await chat.press_option("case:c1")
    assert chat.told(Notice.CASE_SWITCHED) == {"case_id": "c1"}
    assert chat.step() == machine.CASE_MENU
    assert (await chat.status()).startswith("c1 · Amazon")


async def test_dropping_a_case_asks_first_and_keeps_the_record() -> None:
    """Dropping a case asks first; the dropped case stays in /cases."""
    chat = Chat()
    await at_case_menu(chat)

    await chat.press_option("do:drop")
    assert chat.step() == machine.CONFIRM_DROP
    await chat.press_option("do:confirm")

    assert chat.step() == machine.DROPPED
    await chat.say("/cases")
    dropped = await chat.record()
    assert dropped["state"] == machine.DROPPED
    assert status_line(dropped, active=True).plain() in chat.last_text()


async def test_forget_deletes_everything_after_a_confirmation() -> None:
    """/forget asks first; "No" keeps everything, "Yes" deletes the person's whole record."""
    chat = Chat()
    await at_case_menu(chat)

    await chat.say("/forget")
    await chat.press_option("forget:no")
    assert chat.notices() == [Notice.KEPT]
    await chat.say("/forget")
    await chat.press_option("forget:yes")

    assert chat.notices() == [Notice.FORGOTTEN]
    assert (await chat.store.load(chat.key.person)).is_empty()
    await chat.status()
    assert Notice.NO_CASE_YET in chat.notices()
