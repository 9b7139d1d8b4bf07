"""The words a platform says on its own account, beside the flow's replies.

Where typing reaches the bot only through a form (`Typing.FORM`: Discord without the
message-content intent), the platform adds buttons that open a form and the forms
themselves; when a turn fails outright, it still owes the person a kind answer. Those
words are the bot's like any other, so they live here with the flow's, and an adapter
picks them by id (`Word`) and only shows them: rewording one touches no adapter.
"""

from __future__ import annotations

from enum import StrEnum

from flows.text import RichText, rich


class Word(StrEnum):
    """What an adapter shows of its own, by id."""

    ANSWER = "form.answer"
    """The button that opens the form for a typed answer (the flow's form wording names it)."""
    PASTE = "form.paste"
    """The button that opens the form for a pasted order email or order page."""
    PASTE_TITLE = "form.paste.title"
    """That form's title."""
    PASTE_FIELD = "form.paste.field"
    """The label of its one field."""
    PASTE_HINT = "form.paste.hint"
    """What goes in it, under the label."""
    SORRY = "turn.failed"
    """A turn failed before it could answer: nothing was lost, try again."""


WORDS: dict[Word, str] = {
    Word.ANSWER: "✍️ Answer",
    Word.PASTE: "🧾 Paste the order email",
    Word.PASTE_TITLE: "Order email or page",
    Word.PASTE_FIELD: "Paste it here",
    Word.PASTE_HINT: "The order confirmation, dispatch email or order page.",
    Word.SORRY: "Sorry, something went wrong on my side. Your case is safe: please try again.",
}


def words(word: Word) -> str:
    """The words for `word`, as plain text (a label, a title)."""
    return WORDS[word]


def said(word: Word) -> RichText:
    """The words for `word` as a message."""
    return rich(WORDS[word])
