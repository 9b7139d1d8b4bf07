"""How a turn's replies are laid out on Telegram, in as few calls as a person reads them.

A pressed button's message keeps its question and shows the answer chosen, its
keyboard gone, in one edit, once the engine has taken the press; texts of one turn that carry no buttons go in one bubble
with the next. Each is one Bot API call fewer than the plain way.
"""

from __future__ import annotations

import dataclasses
from html import escape as html_escape

from telegram import LinkPreviewOptions, Message
from telegram.constants import ParseMode
from telegram.ext import ExtBot

from adapters import telegram_html, telegram_keyboard
from adapters.telegram_limits import FIRST_REPLY, Budget
from bot.events import Outbound
from flows.text import join

CHOSEN_MARK = "\n\n✓ "
"""Between a question and the answer chosen, when the press's edit shows it."""


async def settle(bot: ExtBot[Budget], message: Message, data: str, taken: bool) -> object:
    """One edit of a pressed message once the press is decided: taken, it shows under the
    question the answer chosen; not (from an earlier prompt), only its choices go. Either
    way its copy buttons stay, and the same choice cannot be made twice. Like a turn's
    first message it is not waited for while the chat is paused (`FIRST_REPLY`: it
    raises, and the press keeps its keyboard), so a press holds no update for a 429."""
    kept = telegram_keyboard.copies_of(message.reply_markup)
    labels = [
        button.text
        for row in (message.reply_markup.inline_keyboard if message.reply_markup else ())
        for button in row
        if button.callback_data == data
    ]
    if taken and labels and message.text and _fits(message.text + CHOSEN_MARK + labels[0]):
        html = f"{message.text_html}{CHOSEN_MARK}<b>{html_escape(labels[0])}</b>"
        return await bot.edit_message_text(
            html,
            chat_id=message.chat.id,
            message_id=message.message_id,
            parse_mode=ParseMode.HTML,
            reply_markup=kept,
            link_preview_options=LinkPreviewOptions(is_disabled=True),
            rate_limit_args=FIRST_REPLY,
        )
    return await bot.edit_message_reply_markup(
        chat_id=message.chat.id,
        message_id=message.message_id,
        reply_markup=kept,
        rate_limit_args=FIRST_REPLY,
    )


def bubbles(messages: list[Outbound]) -> list[tuple[Outbound, int]]:
    """The messages as sent, each with how many of `messages` it carries: a text with no
    buttons goes in one bubble with the next text (a blank line between) where both fit
    one message, so a turn costs one call where it said two things, and a person reads
    them together as before."""
    sent: list[tuple[Outbound, int]] = []
    for message in messages:
        before, carried = sent[-1] if sent else (None, 0)
        if (
            before is not None
            and not before.buttons
            and not before.snippets
            and before.attachment is None
            and message.attachment is None
            and before.text
            and message.text
        ):
            together = dataclasses.replace(message, text=join([before.text, message.text], "\n\n"))
            if len(telegram_html.split(together.text)) == 1:
                sent[-1] = (together, carried + 1)
                continue
        sent.append((message, 1))
    return sent


def _fits(text: str) -> bool:
    return len(text.encode("utf-16-le")) // 2 <= telegram_html.LIMIT
