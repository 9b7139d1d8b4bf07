"""The words a platform says on its own account, beside the flow's replies.

Where typing reaches the bot only through a form (`Typing.FORM`: Discord without the
message-content intent), the platform adds buttons that open a form and the forms
themselves; when a turn fails outright, it still owes the person a kind answer; the
terminal chat greets and says goodbye, and says where a saved export went. Those
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
    FILE_TOO_BIG = "file.too_big"
    """A file sent as the order email is over what the bot reads."""
    TEXT_ONLY = "input.text_only"
    """A photo, sticker or voice note: only text and buttons reach the flow."""
    PRIVATE_ONLY = "group.private_only"
    """Said once in a group chat: cases are private, talk in a direct chat (`{link}`)."""
    CONSOLE_HELLO = "console.hello"
    """The terminal chat's first line: how to begin, get help and leave."""
    CONSOLE_BYE = "console.bye"
    """Its last: the case is kept for the next run."""
    NOTHING_TO_COPY = "console.copy.none"
    """`/copy` before any message offered something to copy."""
    SAVED = "console.saved"
    """Where an export was written (`{path}`)."""


WORDS: dict[Word, str] = {
    Word.ANSWER: "✍️ Answer",
    Word.PASTE: "🧾 Paste the order email",
    Word.PASTE_TITLE: "Order email or page",
    Word.PASTE_FIELD: "Paste it here",
    Word.PASTE_HINT: "The order confirmation, dispatch email or order page.",
    Word.SORRY: "Sorry, something went wrong on my side. Your case is safe: please try again.",
    Word.FILE_TOO_BIG: "That file is too big for me to read. You can paste the text instead.",
    Word.TEXT_ONLY: "I can only read text. Please type your answer, or use the buttons.",
    Word.PRIVATE_ONLY: (
        "Hi! Cases are private, so I only talk about them in a private chat. "
        "Write to me directly: {link}"
    ),
    Word.CONSOLE_HELLO: "Fair Shake: type /start to begin, /help for commands, Ctrl-D to leave.",
    Word.CONSOLE_BYE: "Bye for now. Your case is saved; run fairshake again to carry on.",
    Word.NOTHING_TO_COPY: "Nothing to copy yet: a script offers its lines here.",
    Word.SAVED: "saved {path}",
}


def words(word: Word, **fields: str) -> str:
    """The words for `word`, as plain text (a label, a title), with its `{fields}` filled."""
    return WORDS[word].format(**fields) if fields else WORDS[word]


def said(word: Word) -> RichText:
    """The words for `word` as a message."""
    return rich(WORDS[word])
