"""Playbooks as an operator meets them: found by scanning, checked at start with the file
and the key of anything wrong named, listed by `fairshake playbooks`, and a new shop that
is one TOML file in `FAIRSHAKE_PLAYBOOKS_DIR` taking a case from start to resolved."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import date
from importlib import resources
from pathlib import Path

import pytest

from flows import machine
from flows.intake import read_order_text
from flows.jurisdiction import jurisdictions
from flows.playbook import GENERIC, load_playbook, playbook_ids, playbooks, scan, use_playbooks_dir
from flows.schema import SchemaError
from tests.chat import Chat, Story, log_contact, tell
from tests.test_cli import fairshake
from tests.test_console import run_bot

GENERIC_TOML = resources.files("flows.playbooks").joinpath("generic.toml").read_text("utf-8")


def local_shop(shop_id: str = "cornershop", name: str = "Corner Shop") -> str:
    """A new shop written as a consumer group would: the generic playbook, renamed."""
    text = GENERIC_TOML.replace('id = "generic"', f'id = "{shop_id}"', 1)
    text = text.replace('name = "Another shop"', f'name = "{name}"', 1)
    return text.replace("[merchant]\n", '[merchant]\naliases = ["the corner shop"]\n', 1)


STOREFRONT = """
[storefronts."cornershop.example"]
country = "GB"
currency = "GBP"
locale = "en_GB"
help = "https://cornershop.example/help"
contact = "https://cornershop.example/contact"
checked = 2026-12-02

[order_number]
pattern = "CS-\\\\d{4}"
example = "CS-1001"
"""


def with_storefront(text: str) -> str:
    """A local shop with a site of its own in the UK and its own order numbers."""
    return text.replace("\n[[problems]]", STOREFRONT + "\n[[problems]]", 1)


@pytest.fixture
def operator_dir(tmp_path: Path) -> Iterator[Path]:
    """An operator's playbooks folder; the packaged playbooks are back in use afterwards."""
    folder = tmp_path / "playbooks"
    folder.mkdir()
    yield folder
    use_playbooks_dir(None)


BROKEN = {
    "missing key": (
        lambda text: text.replace(
            "checked = 2026-12-02\n\n# --- What is still possible", "\n# --- What is still possible"
        ),
        "rules.warranty.checked",
    ),
    "wrong type": (
        lambda text: text.replace("large_refund = 100", 'large_refund = "lots"'),
        "merchant.large_refund",
    ),
    "not a date": (
        lambda text: text.replace("checked = 2026-12-02", 'checked = "last week"'),
        "rules.warranty.checked",
    ),
    "unknown key (a typo)": (
        lambda text: text.replace("marketplace = false", "market_place = false"),
        "merchant.market_place",
    ),
    "unknown rule cited": (
        lambda text: text.replace('rules = ["return_window"]', 'rules = ["return_windw"]'),
        "rungs.written_complaint.rules",
    ),
    "unknown rung": (
        lambda text: text.replace("[rungs.agency]", "[rungs.tribunal]"),
        "rungs.tribunal",
    ),
    "missing channel": (
        lambda text: text.replace("[channels.phone]", "[channels.fax]"),
        "channels.phone",
    ),
    "unknown party": (
        lambda text: text.replace("[channels.chat]\n", '[channels.chat]\nparty = "neighbour"\n', 1),
        "channels.chat.party",
    ),
    "guarantee without a marketplace": (
        lambda text: text.replace(
            "[rungs.card_dispute]",
            '[rungs.guarantee]\nlabel = "x"\nwhy = "x"\nneeds = "x"\ncost = "x"\n\n[rungs.card_dispute]',
        ),
        "guarantee",
    ),
    "not TOML": (lambda text: text + "\n[oops\n", ""),
    "a link with no storefront to take it from": (
        lambda text: text.replace("in your order email.", "in your order email ({contact})."),
        "channels.chat.how",
    ),
    "a storefront's currency not a code": (
        lambda text: with_storefront(text).replace('currency = "GBP"', 'currency = "pounds"'),
        "storefronts.cornershop.example.currency",
    ),
    "a storefront missing the link a text names": (
        lambda text: (
            with_storefront(text)
            .replace('contact = "https://cornershop.example/contact"\n', "")
            .replace("in your order email.", "in your order email ({contact}).")
        ),
        "storefronts.cornershop.example.contact",
    ),
    "a storefront's locale unknown": (
        lambda text: with_storefront(text).replace('locale = "en_GB"', 'locale = "english"'),
        "storefronts.cornershop.example.locale",
    ),
    "a storefront's currency unknown": (
        lambda text: with_storefront(text).replace('currency = "GBP"', 'currency = "GBX"'),
        "storefronts.cornershop.example.currency",
    ),
    "a storefront not named by its address": (
        lambda text: with_storefront(text).replace('"cornershop.example"', '"Corner Shop UK"'),
        "storefronts.Corner Shop UK",
    ),
}


@pytest.mark.parametrize(("break_it", "key"), BROKEN.values(), ids=BROKEN)
def test_a_bad_playbook_is_named_by_file_and_key(
    operator_dir: Path, break_it: object, key: str
) -> None:
    text = local_shop()
    broken = break_it(text)  # type: ignore[operator]
    assert broken != text
    (operator_dir / "cornershop.toml").write_text(broken, "utf-8")

    with pytest.raises(SchemaError) as raised:
        scan(operator_dir)

    assert raised.value.where == f"{operator_dir}/cornershop.toml"
    assert raised.value.key == key


AMAZON_TOML = resources.files("flows.playbooks").joinpath("amazon.toml").read_text("utf-8")
BROKEN_GUARANTEE = {
    "a role naming no rule": (
        ('closes = "atoz_claim_window"', 'closes = "atoz_claim_windw"'),
        "guarantee.rules.closes",
    ),
    "a role whose rule has no days": (
        ('seller_wait = "atoz_seller_wait"', 'seller_wait = "atoz_scope"'),
        "guarantee.rules.seller_wait",
    ),
    "covering an unknown kind of seller": (
        ('covers = ["third_party"]', 'covers = ["third_party", "nobody"]'),
        "guarantee.covers[1]",
    ),
    "a marketplace without its seller-first rule": (
        ("[rules.seller_first]", "[rules.seller_before_all]"),
        "rules.seller_first",
    ),
    "a guarantee rung without a guarantee": (
        ("[guarantee]\n", "[promise]\n"),
        "promise",
    ),
    "a storefront's rule standing in for none": (
        ('[storefronts."amazon.ca".rules.atoz_scope]', '[storefronts."amazon.ca".rules.atoz_scop]'),
        "storefronts.amazon.ca.rules.atoz_scop",
    ),
    "a storefront's claim window without its days": (
        (
            'amazon.ca an A-to-z Guarantee refund can be asked for up to 90 days after the latest estimated delivery date."\ndays = 90\n',
            'amazon.ca an A-to-z Guarantee refund can be asked for up to 90 days after the latest estimated delivery date."\n',
        ),
        "storefronts.amazon.ca.rules.atoz_claim_window.days",
    ),
}


@pytest.mark.parametrize(("change", "key"), BROKEN_GUARANTEE.values(), ids=BROKEN_GUARANTEE)
def test_a_bad_guarantee_is_named_by_file_and_key(
    operator_dir: Path, change: tuple[str, str], key: str
) -> None:
    """Caught at start, not with a KeyError in the middle of someone's turn."""
    text = AMAZON_TOML.replace('id = "amazon"', 'id = "bazaar"', 1)
    assert change[0] in text
    (operator_dir / "bazaar.toml").write_text(text.replace(*change), "utf-8")
    with pytest.raises(SchemaError) as raised:
        scan(operator_dir)
    assert (raised.value.where, raised.value.key) == (f"{operator_dir}/bazaar.toml", key)


def test_a_bad_playbook_keeps_the_good_ones_in_use(operator_dir: Path) -> None:
    (operator_dir / "cornershop.toml").write_text(
        local_shop().replace("[rules.", "[rule."), "utf-8"
    )
    before = dict(playbooks())
    with pytest.raises(SchemaError):
        use_playbooks_dir(operator_dir)
    assert dict(playbooks()) == before


def test_two_files_with_one_id_are_refused(operator_dir: Path) -> None:
    (operator_dir / "mine.toml").write_text(local_shop(GENERIC), "utf-8")
    with pytest.raises(SchemaError) as raised:
        scan(operator_dir)
    assert raised.value.key == "merchant.id"
    assert raised.value.where.endswith("mine.toml")


def test_a_storefront_is_one_shops_alone(operator_dir: Path) -> None:
    (operator_dir / "cornershop.toml").write_text(
        with_storefront(local_shop()).replace("cornershop.example", "amazon.de"), "utf-8"
    )
    with pytest.raises(SchemaError) as raised:
        scan(operator_dir)
    assert raised.value.key == "storefronts.amazon.de"
    assert raised.value.where == f"{operator_dir}/cornershop.toml"


def test_a_missing_folder_is_named(tmp_path: Path) -> None:
    with pytest.raises(SchemaError) as raised:
        scan(tmp_path / "nowhere")
    assert raised.value.where == str(tmp_path / "nowhere")


def listed(stdout: str, table: int = 0) -> dict[str, list[str]]:
    """`fairshake playbooks` rows by their first column: the playbooks (table 0: name,
    storefronts, rules, oldest check, file), then the countries' law files (table 1)."""
    lines = stdout.split("\n\n")[table].strip().splitlines()
    header, *rows = (re.split(r"\s{2,}", line) for line in lines)
    assert header[1] == "name"
    return {row[0]: row[1:] for row in rows}


def test_fairshake_playbooks_lists_each_countrys_law_file(operator_dir: Path) -> None:
    done = fairshake("playbooks", env={}, cwd=operator_dir)
    assert done.returncode == 0, done.stderr
    rows = listed(done.stdout, table=1)
    assert set(rows) == set(jurisdictions())
    for code, law in jurisdictions().items():
        name, currency, rules, oldest, file = rows[code]
        assert (name, currency, file) == (law.country.name, law.country.currency, law.file)
        dates = [rule.checked for rule in (*law.rules.values(), *law.shop_rules.values())]
        assert (int(rules), oldest) == (len(dates), min(dates).isoformat())


def test_fairshake_playbooks_lists_packaged_and_local_shops(operator_dir: Path) -> None:
    (operator_dir / "cornershop.toml").write_text(local_shop(), "utf-8")
    done = fairshake(
        "playbooks", env={"FAIRSHAKE_PLAYBOOKS_DIR": str(operator_dir)}, cwd=operator_dir
    )
    assert done.returncode == 0, done.stderr
    rows = listed(done.stdout)
    assert set(rows) == {*playbook_ids(), "cornershop"}
    name, storefronts, rules, oldest, file = rows["cornershop"]
    assert (name, storefronts, file) == ("Corner Shop", "any", f"{operator_dir}/cornershop.toml")
    assert rows["amazon"][1].split(", ") == list(playbooks()["amazon"].storefronts)
    shop = scan(operator_dir)["cornershop"]
    assert int(rules) == len(shop.rules)
    assert oldest == min(rule.checked for rule in shop.rules.values()).isoformat()


def test_fairshake_playbooks_and_check_fail_on_a_bad_file(operator_dir: Path) -> None:
    (operator_dir / "cornershop.toml").write_text(
        local_shop().replace("large_refund = 100", "large_refund = []"), "utf-8"
    )
    env = {"FAIRSHAKE_PLAYBOOKS_DIR": str(operator_dir), "FAIRSHAKE_DATA_DIR": str(operator_dir)}
    listing = fairshake("playbooks", env=env, cwd=operator_dir)
    check = fairshake("check", env=env, cwd=operator_dir)
    start = fairshake(env=env, cwd=operator_dir)
    for done in (listing, check, start):
        assert done.returncode == 1
    for output in (listing.stderr, check.stdout, start.stderr):
        assert "cornershop.toml" in output and "merchant.large_refund" in output


async def test_a_shop_that_is_one_toml_file_takes_a_case_to_resolved(operator_dir: Path) -> None:
    """No Python: the file is found, the shop is a button and a typed alias, its own
    rules and ladder apply, and the case resolves."""
    (operator_dir / "cornershop.toml").write_text(local_shop(), "utf-8")
    use_playbooks_dir(operator_dir)
    chat = Chat()
    await chat.say("/new")
    assert "pick:cornershop" in [b.option for b in chat.buttons()]
    await tell(chat, Story(merchant="The Corner Shop", seller="", order_number="CS-1001"))
    record = await chat.record()
    assert record["facts"]["merchant"] == {"playbook": "cornershop", "name": "Corner Shop"}
    await chat.press_option("do:confirm")
    await chat.press_option("do:need_help")
    await chat.press_option("channel:chat")
    await log_contact(chat, "pick:no_progress")
    assert chat.replies[-1].prompt is not None
    assert chat.replies[-1].prompt.step == machine.ESCALATING
    offered = {b.option for b in chat.buttons()}
    assert offered - {"do:back"} == {
        f"do:climb_{rung}" for rung in scan(operator_dir)["cornershop"].rungs
    }
    await chat.press_option("do:climb_written_complaint")
    await chat.press_option("do:resolve")
    record = await chat.record()
    assert record["state"] == machine.RESOLVED
    assert record["rungs_tried"] == ["written_complaint"]


async def test_a_local_shops_site_and_order_numbers_are_known_from_its_file(
    operator_dir: Path,
) -> None:
    """No Python: a pasted order from the shop's site picks its playbook and storefront,
    its order numbers are read in its shape, an amount typed bare is in its currency, and the
    contact step links its own pages."""
    (operator_dir / "cornershop.toml").write_text(
        with_storefront(local_shop()).replace(
            "in your order email.", "in your order email ({contact})."
        ),
        "utf-8",
    )
    use_playbooks_dir(operator_dir)
    pasted = read_order_text(
        "From: orders@cornershop.example\nThank you for your order\n"
        "Order CS-2002\nItem: Tea caddy\nOrder total: £12.50\n",
        date(2026, 11, 11),
    )
    assert pasted.facts()["merchant"] == {"playbook": "cornershop", "name": "Corner Shop"}
    assert pasted.facts()["storefront"] == "cornershop.example"
    assert pasted.facts()["order_number"] == "CS-2002"
    assert pasted.facts()["amount"] == {"amount": "12.50", "currency": "GBP"}

    chat = Chat()
    story = Story(merchant="cornershop.example", seller="", order_number="cs-1001", amount="9.99")
    await tell(chat, story)
    facts = (await chat.record())["facts"]
    assert facts["merchant"]["storefront"] == "cornershop.example"
    assert facts["order_number"] == "CS-1001"
    assert facts["amount"] == {"amount": "9.99", "currency": "GBP"}
    await chat.press_option("do:confirm")
    await chat.press_option("do:need_help")
    await chat.press_option("channel:chat")
    assert "https://cornershop.example/contact" in chat.prompt()


def test_the_bot_started_with_fairshake_playbooks_dir_takes_a_case_for_the_new_shop(
    operator_dir: Path, tmp_path: Path
) -> None:
    """The whole product as an operator runs it: one TOML file in FAIRSHAKE_PLAYBOOKS_DIR,
    `python -m bot` in the terminal, the shop offered and typed by its site, and the case
    exported with the shop's playbook and storefront."""
    (operator_dir / "cornershop.toml").write_text(with_storefront(local_shop()), "utf-8")
    data = tmp_path / "data"
    data.mkdir()
    damaged = next(p for p in load_playbook("generic").problems if p.id == "damaged")
    typed = ["/new", "cornershop.example", damaged.label, "/export"]  # the option, named
    out = run_bot(data, typed, FAIRSHAKE_PLAYBOOKS_DIR=str(operator_dir))
    assert "Corner Shop" in out  # offered among the shops, from its file
    exported = json.loads((data / "exports" / "fairshake-my-data.json").read_text("utf-8"))
    (case,) = exported["cases"].values()
    assert case["facts"]["merchant"] == {
        "playbook": "cornershop",
        "name": "Corner Shop",
        "storefront": "cornershop.example",
    }
    assert case["facts"]["problem"] == "damaged"


async def test_the_greeting_offers_the_shops_whose_playbooks_ask_for_it(
    operator_dir: Path,
) -> None:
    """Which shops the first greeting offers is playbook data (`on_welcome`), and pressing
    one opens its case with the shop answered."""
    chat = Chat()
    await chat.say("/start")
    assert [b.option for b in chat.buttons()] == ["new:amazon", "new"]
    (operator_dir / "cornershop.toml").write_text(
        local_shop().replace("[merchant]\n", "[merchant]\non_welcome = true\n", 1), "utf-8"
    )
    use_playbooks_dir(operator_dir)
    chat = Chat()
    await chat.say("/start")
    assert [b.option for b in chat.buttons()] == ["new:amazon", "new:cornershop", "new"]
    await chat.press_option("new:cornershop")
    record = await chat.record()
    assert record["facts"]["merchant"] == {"playbook": "cornershop", "name": "Corner Shop"}


def test_the_oldest_check_counts_a_storefronts_links(operator_dir: Path) -> None:
    """Links go stale like rules: a storefront checked long ago is what to look at first."""
    text = with_storefront(local_shop()).replace(
        "checked = 2026-12-02\n\n[order_number]", "checked = 2025-01-15\n\n[order_number]"
    )
    (operator_dir / "cornershop.toml").write_text(text, "utf-8")
    assert scan(operator_dir)["cornershop"].oldest_check == date(2025, 1, 15)
