"""Inline keyboards: the prompt's buttons laid out for a phone's width, under copy
buttons for the snippets a message offers (a script's key lines, an email)."""

from __future__ import annotations

from telegram import CopyTextButton, InlineKeyboardButton, InlineKeyboardMarkup, Message

from adapters.telegram_html import fit, units
from bot.events import Button, Outbound, Snippet

LONG_LABEL = 14
"""Characters past which a label shares its row with one other at most (a phone's width)."""
COPY_LIMIT = 256
"""Characters one copy button copies at most (Bot API, CopyTextButton.text: 1-256)."""
COPY_MARK = "📋 "


def keyboard(message: Outbound) -> InlineKeyboardMarkup | None:
    """The buttons as an inline keyboard; a row with a long label holds two at most, so
    no label is cut on a phone (the review's fourteen used to sit three to a row). Copy
    buttons come first, two a row, right under the text they copy."""
    copies = [button for snippet in message.snippets for button in _copy_buttons(snippet)]
    rows = [copies[i : i + 2] for i in range(0, len(copies), 2)]
    for row in message.buttons:
        per_row = 2 if any(len(button.label) > LONG_LABEL for button in row) else len(row)
        rows.extend(_pressed(row[i : i + per_row]) for i in range(0, len(row), per_row))
    return InlineKeyboardMarkup(rows) if rows else None


def _pressed(row: tuple[Button, ...]) -> list[InlineKeyboardButton]:
    return [InlineKeyboardButton(button.label, callback_data=button.data) for button in row]


def _copy_buttons(snippet: Snippet) -> list[InlineKeyboardButton]:
    """One button per piece of the snippet that fits a copy button, numbered when it
    takes more than one (an email body is often 500 characters)."""
    pieces = cut(snippet.text, COPY_LIMIT)
    numbered = len(pieces) > 1
    return [
        InlineKeyboardButton(
            f"{COPY_MARK}{snippet.label}" + (f" {n}/{len(pieces)}" if numbered else ""),
            copy_text=CopyTextButton(piece),
        )
        for n, piece in enumerate(pieces, 1)
    ]


def cut(text: str, limit: int, between: tuple[str, ...] = ("\n\n", "\n", " ")) -> list[str]:
    """`text` in pieces of at most `limit` UTF-16 units, cut between paragraphs where it
    can, else between lines, else words, else anywhere; none empty."""
    text = text.strip()
    if units(text) <= limit:
        return [text] if text else []
    if not between:
        take = fit(text, limit)
        return [text[:take], *cut(text[take:], limit, between)]
    separator, finer = between[0], between[1:]
    pieces: list[str] = []
    current = ""
    for part in text.split(separator):
        joined = f"{current}{separator}{part}" if current else part
        if units(joined) <= limit:
            current = joined
            continue
        if current:
            pieces.append(current)
        current = part if units(part) <= limit else ""
        if not current:
            pieces.extend(cut(part, limit, finer))
    return [piece for piece in (p.strip() for p in (*pieces, current)) if piece]


def choices_on(message: Message) -> bool:
    """Whether the message still shows buttons that answer (not only copy buttons)."""
    markup = message.reply_markup
    return any(
        button.callback_data for row in (markup.inline_keyboard if markup else ()) for button in row
    )


def copies_of(markup: InlineKeyboardMarkup | None) -> InlineKeyboardMarkup | None:
    """The keyboard a message keeps once its question is settled: its copy buttons only
    (they still copy when scrolled back to), or none."""
    rows = [
        [button for button in row if button.copy_text is not None]
        for row in (markup.inline_keyboard if markup else ())
    ]
    kept = [row for row in rows if row]
    return InlineKeyboardMarkup(kept) if kept else None
