"""Small things a person notices: going back, resuming, repeated questions, blanks in scripts."""

from bot.events import SKIP_ID, Notice
from flows import machine
from flows.case import CaseModel
from flows.records import Case
from tests.chat import QUESTIONS, Chat, Story, answer, at_case_menu, confirmed, current_fact, tell


async def test_back_while_changing_one_fact_returns_to_the_review():
    chat = Chat()
    await tell(chat)
    await chat.press_option("edit:item")
    assert current_fact(chat) == "item"
    await chat.press_option("do:back")
    assert chat.step() == machine.REVIEW


async def test_back_from_the_review_walks_back_through_the_questions():
    chat = Chat()
    await tell(chat)
    await chat.press_option("do:back")
    assert current_fact(chat) == "outcome"
    await chat.press_option("do:back")
    assert current_fact(chat) == "delivery_date"


async def test_continuing_a_case_paused_at_the_review_shows_the_review():
    chat = Chat()
    await tell(chat)
    await chat.say("/cancel")
    assert chat.step() == machine.CASE_MENU and "do:resume" in chat.options()
    await chat.press_option("do:resume")
    assert chat.step() == machine.REVIEW


async def at_the_delivery_date() -> Chat:
    chat = Chat()
    await chat.say("/new")
    await answer(chat, "pick:amazon")
    await answer(chat, "pick:late")
    await answer(chat, "pick:third_party")
    assert current_fact(chat) == "delivery_date"
    return chat


async def test_buttons_above_still_work_when_the_same_question_is_asked_again():
    """After a typo or /status the question repeats; its earlier buttons are not stale."""
    chat = await at_the_delivery_date()
    skip = chat.button(SKIP_ID)
    await chat.say("soonish")
    assert current_fact(chat) == "delivery_date"
    await chat.say("/status")
    await chat.press_data(skip.data)
    assert current_fact(chat) == "outcome"


async def test_a_button_of_an_answered_question_stays_stale():
    chat = await at_the_delivery_date()
    skip = chat.button(SKIP_ID)
    await chat.press_data(skip.data)
    assert current_fact(chat) == "outcome"
    assert await chat.press_data(skip.data) == []  # a double tap: answered by the first
    await chat.say("/status")
    await chat.press_data(skip.data)
    assert chat.notices() == [Notice.STALE_BUTTON]
    assert current_fact(chat) == "outcome"


async def test_skipped_facts_leave_blanks_to_fill_in_the_script():
    chat = Chat()
    story = Story(
        seller="pick:merchant",
        order_number="skip",
        order_date="skip",
        amount="skip",
    )
    await confirmed(chat, story)
    await chat.press_option("do:need_help")
    await chat.press_option("channel:email")
    script = chat.prompt()
    assert "[order number]" in script
    assert "[order date]" in script
    assert "Subject: Order [order number]" in script
    assert "my order my order" not in script


async def test_escalating_twice_notes_it_once():
    chat = Chat()
    await at_case_menu(chat)
    await chat.say("/escalate")
    await chat.say("/escalate")
    timeline = (await chat.record())["timeline"]
    assert [entry["kind"] for entry in timeline].count("escalation") == 1


def test_every_question_reads_as_a_question_or_a_request():
    assert all(text.rstrip().endswith((".", "?")) for text in QUESTIONS.values())


async def test_an_amazon_storefront_abroad_gets_the_amazon_playbook():
    chat = Chat()
    await chat.say("/new")
    await chat.say("amazon.co.uk")
    await answer(chat, "pick:late")
    assert current_fact(chat) == "seller"


async def test_a_skipped_seller_is_asked_for_on_the_ladder():
    chat = Chat()
    await at_case_menu(chat, Story(seller="skip"))
    await chat.say("/escalate")
    case = CaseModel(Case.from_json(await chat.record()), chat.clock())
    [unknown] = [b for b in case.guarantee_blockers() if b.id == "seller_unknown"]
    assert unknown.text in chat.prompt(), "the ladder asks who sold it"


async def test_cases_switches_by_name_and_offers_the_most_recent_as_buttons():
    chat = Chat()
    for _ in range(18):
        await chat.say("/new")
    await chat.say("/cases")
    labels = chat.labels()
    assert labels[0] == "Switch to c3" and labels[-1] == "Switch to c17"
    assert "/cases c1" in chat.last_text()
    await chat.say("/cases C1")
    assert chat.told(Notice.CASE_SWITCHED) == {"case_id": "c1"}
    await chat.say("/cases c99")
    assert chat.told(Notice.NO_SUCH_CASE) == {"name": "c99"}


async def test_back_on_the_second_question_goes_to_the_first():
    chat = Chat()
    await chat.say("/new")
    await answer(chat, "pick:amazon")
    assert current_fact(chat) == "problem"
    await chat.press_option("do:back")
    assert current_fact(chat) == "merchant"


async def test_back_in_a_contact_log_steps_through_its_questions():
    chat = Chat()
    await at_case_menu(chat)
    await chat.say("/log")
    await chat.press_option("pick:now")
    assert chat.question() == "channel"
    await chat.press_option("do:back")
    assert chat.question() == "when"
    await chat.press_option("do:back")
    assert chat.step() == machine.CASE_MENU


async def test_log_typed_while_logging_keeps_what_was_logged_so_far():
    chat = Chat()
    await at_case_menu(chat)
    await chat.say("/log")
    await chat.press_option("pick:now")
    await chat.say("/log")
    assert (chat.step(), chat.question()) == (machine.LOGGING, "channel")


async def test_text_where_only_buttons_work_gets_the_buttons_not_the_whole_step_again():
    chat = Chat()
    await confirmed(chat, Story(seller="pick:merchant"))
    await chat.press_option("do:need_help")
    await chat.press_option("channel:email")
    await chat.say("hello?")
    assert len(chat.replies) == 1
    assert chat.notices() == [Notice.BUTTONS_ONLY]
    assert chat.step() == machine.PREPARING and "do:log" in chat.options()


async def test_a_button_from_before_forget_does_not_act_afterwards():
    chat = Chat()
    await chat.say("/start")
    old = chat.button("new")
    await chat.say("/forget")
    await chat.press_option("forget:yes")
    await chat.say("/start")
    await chat.press_data(old.data)
    assert chat.notices() == [Notice.STALE_BUTTON]


async def test_the_question_count_never_jumps():
    chat = Chat()
    await chat.say("/new")
    assert "Question 1," in chat.prompt()
    await answer(chat, "pick:amazon")
    assert "Question 2 of 5" in chat.prompt()
