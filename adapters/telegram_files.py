"""Order emails sent to the Telegram bot as files: a .txt or .eml (saved or shared from a
mail app) is read as if its text had been pasted; the flow reads a MIME message itself."""

from __future__ import annotations

from telegram import Document
from telegram.ext import filters

MAX_ORDER_FILE = 256 * 1024
"""Bytes of a .txt or .eml file read: an order email is a few kilobytes."""
ORDER_FILES = (
    filters.Document.FileExtension("txt")
    | filters.Document.FileExtension("eml")
    | filters.Document.MimeType("message/rfc822")
    | filters.Document.TEXT
)


async def order_text(document: Document) -> str | None:
    """The file's text, or None when it is too big to be an order email."""
    if (document.file_size or 0) > MAX_ORDER_FILE:
        return None
    raw = await (await document.get_file()).download_as_bytearray()
    return bytes(raw[:MAX_ORDER_FILE]).decode("utf-8", "replace")
