"""A pasted order confirmation, dispatch email or order page, read into the facts it holds.

Shops write the same facts in a few fixed shapes: "Order #112-…", "Arriving: Thursday,
November 5", "Sold by: KitchenPro", "Order Total: $54.37", "Gesamtbetrag: 49,99 €".
`read_order_text` finds them line by line and returns a `Reading` per fact. Where the
text allows two readings (two items, two delivery dates, a shop named twice) the reading
keeps both and the dialogue asks; where a fact is missing or unclear it is left out, to
be asked. Nothing here guesses.
"""

from __future__ import annotations

import email
import email.policy
import email.utils
import re
from dataclasses import dataclass
from datetime import date
from email.message import EmailMessage
from html.parser import HTMLParser
from typing import Any

from flows.answers import Reading, amounts_in, find_order_number, reading
from flows.playbook import Playbook, playbooks
from flows.sites import Storefront
from flows.storefronts import by_currency, by_language, fulfilled_by, named_in, numbered_in, sites
from flows.written_dates import dates_in, english

CONFIRMATION = "confirmation"
DISPATCH = "dispatch"
DELIVERY = "delivery"
ORDER_PAGE = "order_page"
UNKNOWN = "unknown"

MAX_TEXT = 60_000
"""Characters of a paste that are read; an order email's facts come well before this."""


@dataclass(frozen=True, slots=True)
class OrderText:
    """What an order text holds: a reading per fact found, and what kind of text it was."""

    readings: tuple[Reading, ...]
    kind: str = UNKNOWN

    def get(self, fact: str) -> Reading | None:
        return next((found for found in self.readings if found.fact == fact), None)

    def facts(self) -> dict[str, Any]:
        """The facts it holds without doubt."""
        return {found.fact: found.value for found in self.readings if found.certain}

    def unsure(self) -> list[Reading]:
        """The facts it holds more than one reading of, for the person to choose."""
        return [found for found in self.readings if not found.certain]


# --- the text itself ---------------------------------------------------------------------


class _Text(HTMLParser):
    """An HTML email's text, one line per block."""

    _BLOCKS = frozenset({"br", "p", "div", "tr", "li", "h1", "h2", "h3", "h4", "table"})

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("style", "script", "head"):
            self._skipping += 1
        if tag in self._BLOCKS:
            self.parts.append("\n")
        elif tag == "td":
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script", "head"):
            self._skipping = max(0, self._skipping - 1)
        if tag in self._BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def html_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    parser.close()
    return "".join(parser.parts)


_HEADER = re.compile(r"^[A-Za-z][A-Za-z0-9-]*: |^[ \t]")


def _is_message(text: str) -> bool:
    """Headers down to the first blank line, with MIME's among them: an email as sent."""
    head = text.replace("\r\n", "\n").partition("\n\n")[0].splitlines()
    return (
        bool(head)
        and all(_HEADER.match(line) for line in head)
        and any(line.lower().startswith(("mime-version:", "content-type:")) for line in head)
    )


def message_text(raw: bytes | str) -> str:
    """An email message (a .eml file, or one pasted with its headers) as plain text, its
    subject, sender and date first; anything else is returned as it is."""
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    if not _is_message(text.lstrip()):
        return text
    message = email.message_from_bytes(text.lstrip().encode(), policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    lines = [f"{name}: {message[name]}" for name in ("Subject", "From", "Date") if message[name]]
    part = message.get_body(preferencelist=("plain", "html"))
    body = ""
    if part is not None:
        try:
            content = part.get_content()
        except (LookupError, ValueError):
            content = ""
        body = html_text(content) if part.get_content_subtype() == "html" else str(content)
    return "\n".join(lines) + "\n\n" + body


# --- reading it ----------------------------------------------------------------------------

_KINDS = (
    (DELIVERY, re.compile(r"\b(?:was delivered|has been delivered|delivered:|zugestellt)")),
    (
        DISPATCH,
        re.compile(r"\b(?:(?<!and )shipped(?! by)|dispatched|on (?:its|the) way|versandt|unterwegs)"),
    ),
    (
        CONFIRMATION,
        re.compile(r"(?:thanks?(?: you)? for your order|order (?:confirm|received|of\b)|your \S+ order\b|"
                   r"bestellbestätigung|bestellung von|danke für ihre bestellung|"
                   r"vielen dank für ihre bestellung)"),
    ),
    (ORDER_PAGE, re.compile(r"\b(?:order placed|order details|bestelldetails|bestellt am)")),
)  # fmt: skip
_SUBJECT = re.compile(r"^(?:subject|betreff): ?(.*)$", re.IGNORECASE)
_SENT = re.compile(r"^(?:date|sent|datum|gesendet): ?(.*)$", re.IGNORECASE)

_ORDER_DATE = re.compile(
    r"^(?:order placed|ordered on|order date|date ordered|placed(?: on)?|purchase date|purchased on"
    r"|order submitted|bestellt am|bestelldatum|bestellung aufgegeben(?: am)?|datum der bestellung"
    r"|paid on)\b"
)
_DELIVERED = re.compile(r"^(?:delivered|zugestellt|geliefert)\b")
_ESTIMATE = re.compile(
    r"^(?:(?:now )?arriving|arrives|get it|estimated (?:delivery|arrival)|expected (?:delivery|"
    r"arrival)|delivery (?:estimate|date|by|expected)|guaranteed delivery|est\. delivery"
    r"|voraussichtliche (?:lieferung|zustellung)|voraussichtliches lieferdatum|lieferung|"
    r"zustellung|lieferdatum|zustellung voraussichtlich)\b"
)
_SOLD_BY = re.compile(
    r"^(?:sold and shipped by|sold by|seller|verkauf und versand durch|verkauf durch|"
    r"verkauft von|verkäufer)[:\s]+(?P<name>.+)$"
)
_ITEM_LABEL = re.compile(r"^(?:item|artikel|product|produkt) ?: ?(?P<name>.+)$")
_ITEM_NEXT = re.compile(
    r"^(?:sold and shipped by|sold by|seller|verkauf|verkauft|quantity|qty|menge|condition|"
    r"item price|price|preis|artikelpreis|size|colou?r|farbe|größe)\b"
)
_STRONG_TOTAL = re.compile(
    r"^(?:order total|grand total|total charged|amount charged|amount paid|total paid|you paid"
    r"|payment total|gesamtbetrag|gesamtsumme|bestellsumme|summe|endbetrag)\b"
)
_TOTAL = re.compile(
    r"^(?:total|estimated total|order amount|betrag)\b(?! (?:before|savings|tax|excl))"
)
_SUBJECT_ITEM = re.compile(
    r"(?:order of|bestellung von|order confirmed|shipped|dispatched|delivered|versandt|"
    r"zugestellt)[:\s]+[\"“„']?(?P<item>[^\"“”„']+?)[\"”“']?(?: has| wurde| was| ist| and|$)"
)
_MORE_ITEMS = re.compile(r"(?:and|und) \d+ (?:more|weitere)")
_GERMAN_TEXT = re.compile(r"\b(?:bestellung|lieferung|vielen dank|gesamtbetrag|versand|ihre)\b")
_FIELD = re.compile(r"^(?:[^\s:]+ ){0,2}[^\s:]+: |^(?:order|ship to|bestellung|lieferadresse)\b")
"""A 'Label: value' line, never an item's title."""
_HEADING = re.compile(
    r"^(?:(?:your )?(?:order )?details|items?(?: ordered| in this order)?|your order|artikel|"
    r"bestelldetails|ihre bestellung|.{1,40}:)$"
)
_ORDER_LABEL = re.compile(r"^(?:order|bestellnummer|bestellung)\b")
_PAYMENT_LABEL = re.compile(
    r"^(?:payment method|payment|paid with|paid by|zahlungsart|zahlungsmethode|bezahlt mit)\b"
)
_PAYMENT_WORDS = (
    ("paypal", re.compile(r"\bpaypal\b")),
    ("bnpl", re.compile(r"\b(?:klarna|afterpay|clearpay|affirm|ratenkauf)\b")),
    ("gift_card", re.compile(r"\b(?:gift card|gift balance|geschenkgutschein|gutschein)\b")),
    ("debit_card", re.compile(r"\b(?:debit|girocard|ec-karte)\b")),
    ("credit_card", re.compile(r"\b(?:credit card|kreditkarte|american express|amex)\b")),
)
"""How a payment line's words tell the method, the most telling first ('PayPal' before
the card behind it). 'Visa ending in 4242' alone tells nothing: debit or credit."""


@dataclass(frozen=True, slots=True)
class _Line:
    text: str
    """As written (case kept), whitespace tidied."""
    lower: str
    """Lower case, each character where it is in `text`: what labels are matched on."""
    folded: str
    """Folded, German dates in English: what dates and amounts are read from."""


def _lines(text: str) -> list[_Line]:
    tidy = (" ".join(line.replace("\u00a0", " ").split()) for line in text.splitlines())
    return [_Line(line, line.lower(), english(line)) for line in tidy if line]


def _after_label(lines: list[_Line], index: int, label: re.Match[str]) -> str:
    """What follows a label: the rest of its line, or the next line when the line is the label."""
    rest = lines[index].text[label.end() :].strip(" :-")
    if rest or index + 1 >= len(lines):
        return rest
    return lines[index + 1].text


class _Reader:
    """One order text being read."""

    def __init__(self, text: str, today: date) -> None:
        self.lines = _lines(message_text(text[:MAX_TEXT]))
        self.folded = "\n".join(line.folded for line in self.lines)
        self.today = today
        self.subject = next(
            (found[1] for line in self.lines[:12] if (found := _SUBJECT.match(line.text))), ""
        )
        self.sent = self._sent()
        self.storefront: Storefront | None = None

    def _sent(self) -> date | None:
        """The day the email was sent, from its Date header (RFC 2822 or a mail client's)."""
        for line in self.lines[:12]:
            if found := _SENT.match(line.text):
                try:
                    return email.utils.parsedate_to_datetime(found[1]).date()
                except (TypeError, ValueError, IndexError):
                    days = dates_in(found[1], self.today, day_first=None)
                    return days[0][0] if days and len(days[0]) == 1 else None
        return None

    # -- the shop -----------------------------------------------------------------------------

    def shop(self) -> Reading | None:
        """The shop and storefront, from the sites named, else the shop's name; a text that
        names two shops equally gives both."""
        named = sites(self.folded)
        shops = list(dict.fromkeys(front.shop for front in named))
        text = "\n".join(line.text for line in self.lines)
        if not shops:
            shops = [shop.id for shop in named_in(text)]
        if not shops:  # an order number in one shop's own shape says whose it is
            shops = [shop.id for shop in numbered_in(text)]
        if len(shops) != 1:
            return reading("shop", shops) if len(shops) > 1 else None
        shop = playbooks()[shops[0]]
        fronts = list(dict.fromkeys(front for front in named if front.shop == shop.id))
        self.storefront = self._storefront(shop, fronts)
        return Reading("shop", (shop.id,))

    def _storefront(self, shop: Playbook, named: list[Storefront]) -> Storefront | None:
        """Which of the shop's storefronts: the one named, else the one of the currency."""
        currencies = {money.currency for money in amounts_in(self.folded)} - {None}
        if len(named) > 1:
            named = [front for front in named if front.currency in currencies] or named
        if len(named) == 1:
            return named[0]
        if len(named) > 1:
            return None
        if len(currencies) == 1 and (front := by_currency(shop, str(currencies.pop()))):
            return front
        if _GERMAN_TEXT.search(self.folded) and (front := by_language(shop, "de")):
            return front
        if len(shop.storefronts) == 1:
            return shop.storefront()
        return None

    @staticmethod
    def merchant(shop_id: str) -> dict[str, str]:
        return {"playbook": shop_id, "name": playbooks()[shop_id].name}

    # -- each fact ---------------------------------------------------------------------------

    def kind(self) -> str:
        """From the subject when there is one, else from the first lines."""
        head = self.subject.casefold() or "\n".join(line.folded for line in self.lines[:4])
        return next((kind for kind, words in _KINDS if words.search(head)), UNKNOWN)

    def order_number(self, shop: Playbook | None) -> Reading | None:
        shapes = [shop.order_number] if shop and shop.order_number else []
        if shop is None:
            shapes = [s.order_number for s in numbered_in(self.folded) if s.order_number]
        found: list[str] = []
        for line in self.lines:
            for shape in shapes:
                if shape.labelled_only and not re.search(r"order|#|bestell", line.folded):
                    continue
                found += [number[0].upper() for number in shape.in_text().finditer(line.text)]
        labelled_only = shop is None or shop.order_number is None or shop.order_number.labelled_only
        if not found and labelled_only:
            for line in self.lines:
                if _ORDER_LABEL.match(line.lower) and (labelled := find_order_number(line.text)):
                    found += labelled.options
        return reading("order_number", found)

    def _day_first(self) -> bool | None:
        return None if self.storefront is None else self.storefront.country != "US"

    def _dates(self, text: str) -> list[tuple[date, ...]]:
        return dates_in(
            text, self.sent or self.today, day_first=self._day_first(), relative_to=self.sent
        )

    def order_date(self) -> Reading | None:
        found: list[tuple[date, ...]] = []
        for index, line in enumerate(self.lines):
            if label := _ORDER_DATE.match(line.lower):
                found += self._dates(_after_label(self.lines, index, label))[:1]
        if not found and self.sent and self.kind() == CONFIRMATION:
            found = [(self.sent,)]
        return self._one_day("order_date", found)

    def delivery_date(self) -> Reading | None:
        """The day it was delivered, else the latest day of each estimate."""
        delivered: list[tuple[date, ...]] = []
        estimates: list[tuple[date, ...]] = []
        for index, line in enumerate(self.lines):
            if label := _DELIVERED.match(line.lower):
                delivered += self._dates(_after_label(self.lines, index, label))[:1]
            elif label := _ESTIMATE.match(line.lower):
                days = self._dates(_after_label(self.lines, index, label))
                if days and all(len(readings) == 1 for readings in days):
                    estimates.append((max(readings[0] for readings in days),))
                else:
                    estimates += days[:1]
        return self._one_day("delivery_date", delivered or estimates)

    @staticmethod
    def _one_day(fact: str, found: list[tuple[date, ...]]) -> Reading | None:
        return reading(fact, [day.isoformat() for readings in found for day in readings])

    def items(self) -> list[tuple[int, str]]:
        """(line index, title) of each item: the line above its 'Sold by' or 'Qty', or labelled."""
        titles: list[tuple[int, str]] = []
        for index, line in enumerate(self.lines):
            if found := _ITEM_LABEL.match(line.lower):
                titles.append((index, line.text[found.start("name") :].strip()))
            elif _ITEM_NEXT.match(line.lower) and index:
                above = next(
                    (
                        back
                        for back in range(index - 1, max(-1, index - 4), -1)
                        if not _ITEM_NEXT.match(self.lines[back].lower)
                        and not amounts_in(self.lines[back].text)
                    ),
                    None,
                )
                if above is not None and _FIELD.match(self.lines[above].lower):
                    above = None
                if above is not None and not any(at == above for at, _ in titles):
                    titles.append((above, _title(self.lines[above].text)))
        return [(at, title) for at, title in titles if title and not _HEADING.match(title.lower())]

    def item(self, items: list[tuple[int, str]]) -> Reading | None:
        if items:
            return reading("item", [title for _, title in items])
        found = _SUBJECT_ITEM.search(self.subject.casefold())
        if found is None or _MORE_ITEMS.search(self.subject.casefold()):
            return None
        start, end = found.span("item")
        return reading("item", [_title(self.subject[start:end])])

    def amount(self, items: list[tuple[int, str]]) -> Reading | None:
        """The order total; with several items, each item's price too (which one is owed)."""
        currency = self.storefront.currency if self.storefront else None
        totals: dict[bool, list[Any]] = {True: [], False: []}
        for index, line in enumerate(self.lines):
            strong = _STRONG_TOTAL.match(line.lower)
            label = strong or _TOTAL.match(line.lower)
            if label and (money := amounts_in(_after_label(self.lines, index, label), currency)):
                totals[bool(strong)].append(money[0].to_json())
        found = totals[True] or totals[False]
        prices = [price for at, _ in items if (price := self._price(at, currency))]
        if len(items) > 1:
            return reading("amount", [*prices, *found])
        return reading("amount", found or prices)

    def _price(self, at: int, currency: str | None) -> Any:
        for line in self.lines[at + 1 : at + 6]:
            if money := amounts_in(line.text, currency):
                return money[0].to_json()
        return None

    def payment(self) -> Reading | None:
        """How it was paid, where a payment label says it in words that decide it."""
        for index, line in enumerate(self.lines):
            if label := _PAYMENT_LABEL.match(line.lower):
                said = _after_label(self.lines, index, label).lower()
                methods = [method for method, words in _PAYMENT_WORDS if words.search(said)]
                if methods:
                    return reading("payment", methods[:1])
        return None

    def seller(self) -> list[Reading]:
        """Who sold it (the shop itself or a third party, and the name), and, where the text
        says so, that the shop shipped it."""
        roles: list[str] = []
        names: list[str] = []
        for line in self.lines:
            if found := _SOLD_BY.match(line.lower):
                name = _seller_name(line.text[found.start("name") :])
                if not name:
                    continue
                own = bool(named_in(name))
                roles.append("merchant" if own else "third_party")
                if not own:
                    names.append(name)
        readings = [reading("seller", roles)]
        if set(roles) == {"third_party"}:
            readings.append(reading("seller_name", names))
        if fulfilled_by(self.folded) and "third_party" in roles:
            readings.append(Reading("fulfilled_by", ("merchant",)))
        return [found for found in readings if found is not None]


def _title(text: str) -> str:
    """An item's title without a leading quantity or a trailing price or ellipsis."""
    title = re.sub(r"^\d+ ?[x\u00d7] ", "", text.strip())
    title = re.sub(r"\s*(?:\.\.\.|…)$", "", title)
    return title.strip(" \"“”„'")[:200]


def _seller_name(text: str) -> str:
    """'KitchenPro Direct and Fulfilled by Amazon' → 'KitchenPro Direct'."""
    name = re.split(
        r",| and | und | \| | - | \(|\s(?:fulfilled|ships|versand)\b", text, maxsplit=1, flags=re.I
    )[0]
    return name.strip(" .:")[:80]


def read_order_text(text: str, today: date) -> OrderText:
    """The facts a pasted order email or order page holds (see the module's docstring)."""
    reader = _Reader(text, today)
    readings: list[Reading | None] = []
    shop = reader.shop()
    known = playbooks()[shop.value] if shop and shop.certain else None
    if shop:
        readings.append(
            Reading("merchant", tuple(reader.merchant(shop_id) for shop_id in shop.options))
        )
    if reader.storefront:
        readings.append(Reading("storefront", (reader.storefront.id,)))
    items = reader.items()
    readings += [
        reader.order_number(known),
        reader.order_date(),
        reader.delivery_date(),
        reader.item(items),
        reader.amount(items),
        reader.payment(),
        *reader.seller(),
    ]
    return OrderText(tuple(found for found in readings if found), reader.kind())


def is_order_text(found: OrderText) -> bool:
    """Whether a message was an order text rather than an answer: it names the shop or an
    order number, and holds at least one more fact besides."""
    facts = {reading.fact for reading in found.readings}
    return bool(facts & {"merchant", "order_number"}) and len(facts - {"storefront"}) >= 3
