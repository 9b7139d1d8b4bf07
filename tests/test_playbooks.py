"""Content checks for the packaged playbooks in `flows/playbooks/*.toml`.

The loader (`flows.playbook`) checks that the keys the flow needs are present; these
tests check the content: known channels and rungs, cited and dated rules, the policy
figures from the product brief, safe script templates, and that no sentence was lifted
from the consumer guides the playbooks were written from.
"""

from __future__ import annotations

import os
import re
import string
import tomllib
from collections.abc import Iterator
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from flows.playbook import (
    CHANNELS,
    MERCHANT,
    RUNGS,
    SELLER,
    Playbook,
    load_playbook,
    playbook_ids,
)
from flows.sites import LINKS

PLAYBOOK_IDS = playbook_ids()

ALLOWED_PLACEHOLDERS = frozenset(
    {
        "merchant",
        "order_number",
        "item",
        "amount",
        "order_date",
        "delivery_date",
        "what_happened",
        "outcome",
        "problem",
    }
)
PROBLEM_IDS = ("late", "damaged", "wrong_item", "refund_missing", "charge", "return_issue")
OUTCOMES = ("refund", "replacement", "store_credit", "return", "explanation")
MARKETPLACE_ONLY_RUNGS = frozenset({"guarantee"})

# The consumer guides live beside the product brief, outside the repository.
REFERENCE_DIR = Path(
    os.environ.get(
        "FAIRSHAKE_REFERENCE_DIR",
        Path(__file__).resolve().parents[2] / "shared" / "reference",
    )
)
RECHECKED = date(2026, 12, 2)
COPY_RUN = 8  # this many consecutive words shared with a guide counts as copied

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z0-9]+)*")


def _raw(playbook_id: str) -> dict[str, Any]:
    text = resources.files("flows.playbooks").joinpath(f"{playbook_id}.toml").read_text("utf-8")
    return tomllib.loads(text)


def _strings(node: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """Every string value in a parsed TOML document, with a readable path to it."""
    if isinstance(node, str):
        yield path, node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from _strings(value, f"{path}.{key}" if path else key)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _strings(value, f"{path}[{index}]")


def _words(text: str) -> list[str]:
    text = text.lower().replace("\u2019", "'").replace("\u2018", "'")
    return _WORD.findall(text)


def _runs(words: list[str], size: int = COPY_RUN) -> set[tuple[str, ...]]:
    return {tuple(words[i : i + size]) for i in range(len(words) - size + 1)}


def _placeholders(template: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(template) if field is not None}


@pytest.fixture(params=PLAYBOOK_IDS)
def playbook(request: pytest.FixtureRequest) -> Playbook:
    return load_playbook(request.param)


@pytest.fixture
def amazon() -> Playbook:
    return load_playbook("amazon")


@pytest.fixture
def generic() -> Playbook:
    return load_playbook("generic")


# --- Both playbooks ---------------------------------------------------------------------


@pytest.mark.parametrize("playbook_id", PLAYBOOK_IDS)
def test_loads_with_the_loader(playbook_id: str) -> None:
    playbook = load_playbook(playbook_id)
    assert playbook.id == playbook_id
    assert playbook.name
    assert playbook.large_refund > 0


def test_merchant_settings(amazon: Playbook, generic: Playbook) -> None:
    assert amazon.order_number is not None and amazon.order_number.groups == (3, 7, 7)
    assert amazon.marketplace and amazon.guarantee is not None
    assert generic.order_number is None and not generic.marketplace and generic.guarantee is None


def test_every_problem_type_is_covered(playbook: Playbook) -> None:
    ids = [p.id for p in playbook.problems]
    assert sorted(ids) == sorted(PROBLEM_IDS)


def test_problems_are_well_formed(playbook: Playbook) -> None:
    for problem in playbook.problems:
        assert re.fullmatch(r"[a-z_]{1,14}", problem.id), problem.id
        assert 0 < len(problem.label) <= 30, problem.label
        assert problem.self_service.strip(), problem.id
        assert problem.self_service.count("**") % 2 == 0, f"unbalanced bold in {problem.id}"
        assert problem.channels, problem.id
        assert set(problem.channels) <= set(CHANNELS), (problem.id, problem.channels)
        assert len(set(problem.channels)) == len(problem.channels), problem.id
        assert problem.self_service_link == "" or problem.self_service_link.startswith(
            "https://"
        ), problem.id


@pytest.mark.parametrize("site", ["amazon.com", "amazon.co.uk", "amazon.de", "amazon.ca"])
def test_amazon_links_point_to_the_storefront_bought_on(amazon: Playbook, site: str) -> None:
    front = amazon.storefronts[site]
    for problem in amazon.problems:
        linked = amazon.linked(problem.self_service_link, site)
        assert linked.startswith(f"https://www.{site}/"), problem.id
    assert front.contact.startswith(f"https://www.{site}/")
    assert front.contact in amazon.linked(amazon.channels["chat"].how, site)


def test_without_a_storefront_links_are_the_first_storefronts(amazon: Playbook) -> None:
    assert amazon.linked(amazon.channels["chat"].how) == amazon.linked(
        amazon.channels["chat"].how, "amazon.com"
    )
    assert "{" not in amazon.linked(amazon.problems[0].self_service_link, "not.a.storefront")


def test_channels_are_one_liners(playbook: Playbook) -> None:
    assert set(CHANNELS) <= set(playbook.channels)
    for channel in playbook.channels.values():
        for text in (channel.label, channel.reason, channel.how):
            assert text.strip() and "\n" not in text, (channel.id, text)


def test_only_a_marketplace_has_a_channel_to_its_sellers(playbook: Playbook) -> None:
    """The shop's own channels reach the shop; a marketplace adds the seller's message."""
    parties = {channel.id: channel.party for channel in playbook.channels.values()}
    assert {parties[c] for c in CHANNELS} == {MERCHANT}
    to_sellers = [c for c, party in parties.items() if party == SELLER]
    assert to_sellers == (["seller_message"] if playbook.marketplace else [])
    assert playbook.channels["email"].written


def test_the_closing_asks_for_the_name_and_a_reference(playbook: Playbook) -> None:
    closing = playbook.script.closing.lower()
    assert "your name" in closing and "reference number" in closing


def test_a_storefront_country_counts_its_holidays(playbook: Playbook) -> None:
    assert playbook.country == "US"


def test_every_rung_is_described(playbook: Playbook) -> None:
    expected = set(RUNGS) if playbook.marketplace else set(RUNGS) - MARKETPLACE_ONLY_RUNGS
    assert set(playbook.rungs) == expected
    for rung in playbook.rungs.values():
        assert 0 < len(rung.label) <= 30, rung.label
        for text in (rung.why, rung.needs, rung.cost):
            assert text.strip(), rung.id
        assert 2 <= len(rung.steps) <= 5, rung.id
        assert all(step.strip() for step in rung.steps), rung.id
        assert set(rung.rules) <= set(playbook.rules), rung.id


def test_rules_are_cited_and_dated(playbook: Playbook) -> None:
    assert playbook.rules
    for rule in playbook.rules.values():
        assert rule.text.strip(), rule.id
        assert rule.source.startswith("https://"), (rule.id, rule.source)
        assert isinstance(rule.checked, date), rule.id
        assert rule.checked <= date.today(), (rule.id, rule.checked)
        assert rule.days is None or (isinstance(rule.days, int) and rule.days > 0), rule.id
        assert isinstance(rule.business_days, bool), rule.id
        if rule.days is not None:
            assert str(rule.days) in rule.text, f"{rule.id}: text does not state {rule.days}"


def test_a_rule_not_confirmed_on_its_page_says_so(playbook: Playbook) -> None:
    """Re-checked on 2026-12-02 against stored copies of the pages: a rule confirmed there
    carries that date; one that could not be says how far it got and where its figure is from."""
    for rule in playbook.rules.values():
        if rule.checked < RECHECKED:
            assert rule.unconfirmed, rule.id
        if rule.unconfirmed:
            assert "2026-12-02" in rule.unconfirmed, rule.id


def test_script_has_every_part(playbook: Playbook) -> None:
    script = playbook.script
    assert set(script.asks) == set(OUTCOMES)
    assert 2 <= len(script.fairness) <= 4
    assert 4 <= len(script.calm_phrases) <= 6
    assert 4 <= len(script.have_at_hand) <= 6
    for text in (script.opening, script.email_subject, script.supervisor_ask, script.closing):
        assert text.strip()


@pytest.mark.parametrize("playbook_id", PLAYBOOK_IDS)
def test_placeholders_are_allowed_names(playbook_id: str) -> None:
    facts = dict.fromkeys(ALLOWED_PLACEHOLDERS, "x")
    for path, text in _strings(_raw(playbook_id)):
        if path == "order_number.pattern":
            continue  # a regular expression, never formatted
        fields = _placeholders(text)  # raises ValueError on a stray brace
        if path.startswith(("channels.", "problems")):  # the storefront's pages
            assert fields <= set(LINKS), (path, fields - set(LINKS))
            continue
        assert fields <= ALLOWED_PLACEHOLDERS, (path, fields - ALLOWED_PLACEHOLDERS)
        text.format(**facts)  # no format specs or attribute access that could fail


def test_script_uses_the_facts(playbook: Playbook) -> None:
    script = playbook.script
    assert "order_number" in _placeholders(script.opening)
    assert "order_number" in _placeholders(script.email_subject)
    assert "amount" in _placeholders(script.asks["refund"])
    assert "reference number" in script.closing.lower()


# --- Amazon figures (from the product brief) --------------------------------------------

AMAZON_FIGURES = {
    "return_window": (30, False),
    "atoz_wait_after_delivery": (3, False),
    "atoz_claim_window": (90, False),
    "atoz_seller_wait": (2, True),
    "refund_card": (5, True),
    "refund_debit": (10, True),
    "refund_gift_card": (None, False),
    "card_dispute_window": (120, False),
}


@pytest.mark.parametrize(("rule_id", "figure"), AMAZON_FIGURES.items())
def test_amazon_rules_carry_the_brief_figures(
    amazon: Playbook, rule_id: str, figure: tuple[int | None, bool]
) -> None:
    rule = amazon.rules[rule_id]
    assert (rule.days, rule.business_days) == figure


def test_amazon_rule_wording(amazon: Playbook) -> None:
    rules = amazon.rules
    assert "delivery" in rules["return_window"].text
    assert "latest estimated delivery" in rules["atoz_wait_after_delivery"].text
    assert "latest estimated delivery" in rules["atoz_claim_window"].text
    assert "seller" in rules["atoz_seller_wait"].text
    assert "3 to 5 business days" in rules["refund_card"].text
    assert "debit" in rules["refund_debit"].text
    assert "hours" in rules["refund_gift_card"].text


def test_amazon_rules_cite_the_right_pages(amazon: Playbook) -> None:
    for rule_id in ("atoz_wait_after_delivery", "atoz_claim_window", "atoz_seller_wait"):
        assert "nodeId=200783670" in amazon.rules[rule_id].source, rule_id
    for rule_id in ("return_window", "refund_card", "refund_debit", "refund_gift_card"):
        assert amazon.rules[rule_id].source.startswith("https://www.amazon.com/"), rule_id


def test_amazon_chargeback_forfeits_atoz(amazon: Playbook) -> None:
    """Stated by the card rung through its rule, so that it is said only where it holds."""
    rule = amazon.rules["atoz_chargeback"].text.lower()
    assert "chargeback" in rule and "a-to-z" in rule
    assert "atoz_chargeback" in amazon.rungs["card_dispute"].rules
    assert "a-to-z" not in amazon.rungs["card_dispute"].cost.lower()


def test_amazon_rules_confirmed_on_the_a_to_z_page(amazon: Playbook) -> None:
    """nodeId=200783670 as stored, read on 2026-12-02: sold and shipped by a third-party
    seller; 3 days after the latest estimate or a delivered scan, whichever is first; 90 days;
    a chargeback ends it."""
    for rule_id in (
        "atoz_scope",
        "atoz_wait_after_delivery",
        "atoz_claim_window",
        "atoz_chargeback",
    ):
        assert amazon.rules[rule_id].checked == RECHECKED, rule_id
    assert "tracking says it was delivered" in amazon.rules["atoz_wait_after_delivery"].text
    assert "Fulfilled by Amazon" in amazon.rules["atoz_scope"].text
    assert "nodeId=537802" in amazon.rules["seller_first"].source


def test_amazon_guarantee_cites_its_rules(amazon: Playbook) -> None:
    cited = set(amazon.rungs["guarantee"].rules)
    assert {"atoz_seller_wait", "atoz_wait_after_delivery", "atoz_claim_window"} <= cited
    assert "card_dispute_window" in amazon.rungs["card_dispute"].rules


# --- Generic ----------------------------------------------------------------------------


def test_generic_rules(generic: Playbook, amazon: Playbook) -> None:
    assert {"return_window", "card_dispute_window"} <= set(generic.rules)
    window = generic.rules["return_window"]
    assert window.days is None, "no invented return window for an unknown shop"
    assert "policy" in window.text.lower()
    ours, theirs = generic.rules["card_dispute_window"], amazon.rules["card_dispute_window"]
    assert (ours.days, ours.business_days) == (theirs.days, theirs.business_days)


def test_generic_makes_no_amazon_claims(generic: Playbook) -> None:
    for path, text in _strings(_raw("generic")):
        lowered = text.lower()
        assert "amazon" not in lowered and "a-to-z" not in lowered, path


# --- Own words --------------------------------------------------------------------------


def _reference_runs() -> set[tuple[str, ...]]:
    files = sorted(REFERENCE_DIR.glob("*.txt")) if REFERENCE_DIR.is_dir() else []
    if not files:
        pytest.skip(f"reference guides not found in {REFERENCE_DIR} (FAIRSHAKE_REFERENCE_DIR)")
    runs: set[tuple[str, ...]] = set()
    for path in files:
        runs |= _runs(_words(path.read_text("utf-8", errors="replace")))
    return runs


def test_copy_check_catches_a_lifted_sentence() -> None:
    runs = _reference_runs()
    sample = next(iter(runs))
    assert _runs(_words("So, " + " ".join(sample).upper() + "!")) & runs


@pytest.mark.parametrize("playbook_id", PLAYBOOK_IDS)
def test_no_sentence_copied_from_the_guides(playbook_id: str) -> None:
    runs = _reference_runs()
    copied = {
        path: " ".join(run)
        for path, text in _strings(_raw(playbook_id))
        for run in _runs(_words(text)) & runs
    }
    assert not copied, f"{COPY_RUN}+ words shared with a reference guide: {copied}"
