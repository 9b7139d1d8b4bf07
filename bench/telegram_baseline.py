"""A bare python-telegram-bot bot, the yardstick of bench/telegram_e2e.py.

A `ConversationHandler` asking the same kind of questions as Fair Shake (buttons for
the shop, the problem and the confirmations, typed answers for the order number, date
and amount), with nothing stored, nothing rendered beyond a line of HTML, and the rate
limiter a PTB bot is usually given: `AIORateLimiter(max_retries=3)`, with updates
handled 64 at a time like Fair Shake's adapter. A press is answered, its message edited
to show the choice without its keyboard, and the next question sent, as a person
scrolling back would want; a typed answer gets the next question.

Usage: python -m bench.telegram_baseline   (TELEGRAM_BOT_TOKEN, TELEGRAM_API_BASE_URL)
"""

from __future__ import annotations

import html
import os
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode
from telegram.ext import (
    AIORateLimiter,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    MessageHandler,
    filters,
)

Handler = Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, int]]

MENU, SHOP, PROBLEM, ORDER, DATE, AMOUNT, REVIEW, SELF_SERVICE = range(8)

ASKED: dict[int, tuple[str, list[str]]] = {
    MENU: ("<b>Welcome.</b> What would you like to do?", ["New case", "My cases"]),
    SHOP: ("Which shop is it?", ["Amazon", "eBay", "Another shop"]),
    PROBLEM: ("What went wrong?", ["It's late", "It arrived broken", "Wrong item"]),
    ORDER: ("What's the order number?", []),
    DATE: ("When did you order?", []),
    AMOUNT: ("How much did you pay?", []),
    REVIEW: ("Here is what I have. Does it look right?", ["Looks right", "Change something"]),
    SELF_SERVICE: ("Try the shop's own return page first. Did it settle it?", ["Yes", "No"]),
}
NEXT = {
    MENU: SHOP,
    SHOP: PROBLEM,
    PROBLEM: ORDER,
    ORDER: DATE,
    DATE: AMOUNT,
    AMOUNT: REVIEW,
    REVIEW: SELF_SERVICE,
    SELF_SERVICE: MENU,
}


async def ask(message: Message, state: int) -> int:
    text, labels = ASKED[state]
    markup = (
        InlineKeyboardMarkup(
            [[InlineKeyboardButton(label, callback_data=label)] for label in labels]
        )
        if labels
        else None
    )
    await message.chat.send_message(text, parse_mode=ParseMode.HTML, reply_markup=markup)
    return state


def pressed(state: int) -> Handler:
    async def handler(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        query = update.callback_query
        assert query is not None and isinstance(query.message, Message)
        await query.answer()
        chosen = html.escape(query.data or "")
        await query.edit_message_text(
            f"{query.message.text_html}\n\n→ <b>{chosen}</b>", parse_mode=ParseMode.HTML
        )
        return await ask(query.message, NEXT[state])

    return handler


def typed(state: int) -> Handler:
    async def handler(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        assert update.effective_message is not None
        return await ask(update.effective_message, NEXT[state])

    return handler


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    assert update.effective_message is not None
    return await ask(update.effective_message, MENU)


def main() -> None:
    app = (
        ApplicationBuilder()
        .token(os.environ["TELEGRAM_BOT_TOKEN"])
        .base_url(os.environ["TELEGRAM_API_BASE_URL"])
        .rate_limiter(AIORateLimiter(max_retries=3))
        .concurrent_updates(64)
        .build()
    )
    states = {
        state: [CallbackQueryHandler(pressed(state))]
        if ASKED[state][1]
        else [MessageHandler(filters.TEXT & ~filters.COMMAND, typed(state))]
        for state in ASKED
    }
    app.add_handler(
        ConversationHandler(
            entry_points=[CommandHandler("start", start)],
            states=states,  # type: ignore[arg-type]
            fallbacks=[CommandHandler("start", start)],
        )
    )
    app.run_polling(allowed_updates=["message", "callback_query"], timeout=10)


if __name__ == "__main__":
    main()
