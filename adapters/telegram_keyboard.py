"""Inline keyboards: the prompt's buttons laid out for a phone's width."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message

from bot.events import Button, Outbound

LONG_LABEL = 14
"""Characters past which a label shares its row with one other at most (a phone's width)."""


def keyboard(message: Outbound) -> InlineKeyboardMarkup | None:
    """The buttons as an inline keyboard; a row with a long label holds two at most, so
    no label is cut on a phone (the review's fourteen used to sit three to a row)."""
    if not message.buttons:
        return None
    rows: list[tuple[Button, ...]] = []
    for row in message.buttons:
        per_row = 2 if any(len(button.label) > LONG_LABEL for button in row) else len(row)
        rows.extend(row[i : i + per_row] for i in range(0, len(row), per_row))
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(button.label, callback_data=button.data) for button in row]
            for row in rows
        ]
    )


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
