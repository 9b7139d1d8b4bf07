"""Durable replies: a turn's replies are saved with the turn, then sent, then let go.

Each conversation's record (`PersonRecord.conversations[chat]["outbox"]`) holds the
replies not yet confirmed sent, in order, each with a due time and a lifecycle status
(bot/reminders/lifecycle.py), and the store's due index has an entry for each, exactly
as for a reminder. So a reply goes the way a ping goes:

- the turn that makes it saves it *sending* (or *pending* behind earlier replies of
  the conversation still waiting), in the same save as the turn's effects;
- it is sent right after the turn; once sent, it leaves the record;
- a send the platform refused is retried after `REPLY_DELAYS` (seconds at first,
  then minutes), then kept as *failed* and logged at ERROR for the operator;
- a send held back by flood control (the platform's 429, or the adapter keeping its
  pace: an error with a `retry_after`) is not a refusal: it is sent again once the
  wait asked is over, with no try counted;
- one still *sending* at a start (the process died between the save and the send's
  confirmation) is sent once more, marked `resent`, never a third time.

A person's replies go out one delivery at a time (the engine's per-person `sending`
lock), in the order their turns made them, whether sent right away or by a retry.
"""

from __future__ import annotations

import base64
import logging
import secrets
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, TypeVar

from bot.events import Attachment, Button, ButtonStyle, Notice, Outbound, PartlySent, Prompt
from bot.observe import Observer
from bot.reminders.lifecycle import INDEXED, Status, Step, advance
from flows.text import Block, RichText, Snippet, Span, Style
from storage import ConversationKey, DueEntry, PersonKey, PersonRecord
from storage.base import JSONDict

log = logging.getLogger(__name__)

T = TypeVar("T")

REPLY_DELAYS = tuple(timedelta(seconds=seconds) for seconds in (5, 15, 30, 60, 120, 300, 900, 1800))
"""Waits between tries of a reply the platform refused: about an hour in all."""
FAILED_KEPT = 5
"""Failed replies kept per conversation for the operator (older ones are let go)."""
_PREFIX = "o"

Deliver = Callable[[ConversationKey, list[Outbound]], Awaitable[None]]
"""Sends messages to a conversation: the adapter of its platform (`Adapter.send`)."""


class Records(Protocol):
    """What delivery needs of the engine: changing a record under the person's lock,
    the per-person lock that keeps their deliveries one at a time and in order, and the
    observers told of a reply given up."""

    @property
    def sending(self) -> Any: ...

    @property
    def observers(self) -> Observer:
        """Told of each reply recorded as failed, and how each ping ended (bot/observe.py)."""

    async def update(
        self,
        person: PersonKey,
        change: Callable[[PersonRecord], T],
        known: Iterable[DueEntry] = (),
    ) -> T: ...


@dataclass(frozen=True, slots=True)
class Reply:
    """One turn's replies to a conversation, waiting to be confirmed sent."""

    id: str
    seq: int
    messages: tuple[Outbound, ...]
    due: datetime
    status: Status = Status.PENDING
    attempts: int = 0
    failures: int = 0
    resent: bool = False
    error: str = ""
    sent: int = 0
    """How many of `messages` went before the platform refused the rest: a retry sends
    only the others, so none goes more than twice."""

    def step_failed(self, error: str) -> Reply:
        """Given up on: kept for the operator by id, time and error only, as its messages
        (an export's files among them) would be rewritten with every turn of the person."""
        return replace(
            self, status=advance(self.status, Step.GIVE_UP), error=error, messages=(), sent=0
        )

    def step_retry(self, due: datetime) -> Reply:
        return replace(self, status=advance(self.status, Step.RETRY), due=due)

    def to_json(self) -> JSONDict:
        return {
            "id": self.id,
            "seq": self.seq,
            "messages": [_message_json(message) for message in self.messages],
            "due": self.due.astimezone(UTC).isoformat(),
            "status": str(self.status),
            "attempts": self.attempts,
            "failures": self.failures,
            "resent": self.resent,
            "error": self.error,
            "sent": self.sent,
        }

    @classmethod
    def from_json(cls, stored: JSONDict) -> Reply:
        return cls(
            id=stored["id"],
            seq=stored["seq"],
            messages=tuple(_message(message) for message in stored["messages"]),
            due=datetime.fromisoformat(stored["due"]).astimezone(UTC),
            status=Status(stored["status"]),
            attempts=stored.get("attempts", 0),
            failures=stored.get("failures", 0),
            resent=stored.get("resent", False),
            error=stored.get("error", ""),
            sent=stored.get("sent", 0),
        )


def is_reply(delivery_id: str) -> bool:
    """Whether a due entry points at a reply (else at a reminder)."""
    return delivery_id.startswith(_PREFIX)


def replies_of(conversation: JSONDict) -> list[Reply]:
    """The conversation's replies not yet let go, in the order their turns made them."""
    found = [Reply.from_json(stored) for stored in conversation.get("outbox", {}).values()]
    return sorted(found, key=lambda reply: reply.seq)


def due_index(person: PersonKey, record: PersonRecord) -> set[DueEntry]:
    """The due entries the record's replies need: one per reply that may still have to go."""
    return {
        DueEntry(reply.due, person, reply.id)
        for conversation in record.conversations.values()
        for reply in replies_of(conversation)
        if reply.status in INDEXED
    }


def queue(conversation: JSONDict, messages: list[Outbound], now: datetime) -> Reply:
    """Put a turn's replies in the conversation's outbox. Claimed for sending at once
    (status *sending*) unless earlier replies still wait, in which case it waits
    behind them and goes with them."""
    waiting = [reply for reply in replies_of(conversation) if reply.status in INDEXED]
    seq = conversation.get("outbox_seq", 0) + 1
    conversation["outbox_seq"] = seq
    reply_id = f"{_PREFIX}{secrets.token_hex(4)}"
    if waiting:
        reply = Reply(reply_id, seq, tuple(messages), max(r.due for r in waiting))
    else:
        reply = Reply(reply_id, seq, tuple(messages), now, Status.SENDING, attempts=1)
    _put(conversation, reply)
    return reply


def _put(conversation: JSONDict, reply: Reply) -> None:
    conversation.setdefault("outbox", {})[reply.id] = reply.to_json()


def _conversation_of(record: PersonRecord, reply_id: str) -> tuple[str, JSONDict] | None:
    for chat_id, conversation in record.conversations.items():
        if reply_id in conversation.get("outbox", {}):
            return chat_id, conversation
    return None


def claim(
    entry: DueEntry, now: datetime, given_up: list[Reply]
) -> Callable[[PersonRecord], tuple[ConversationKey, list[Reply]] | None]:
    """The replies of the entry's conversation that are due, claimed for sending (in order).

    One found *sending* was cut short by a crash and may have gone: it is sent once
    more, marked `resent`; found so a second time, it is not sent a third time but kept
    as failed, and put in `given_up` (for `report_given_up` once the change is saved).
    """

    def change(record: PersonRecord) -> tuple[ConversationKey, list[Reply]] | None:
        found = _conversation_of(record, entry.reminder_id)
        if found is None:
            return None  # sent already: the entry is dropped
        chat_id, conversation = found
        claimed = []
        for reply in replies_of(conversation):
            if reply.status not in INDEXED or reply.due > now:
                continue
            if reply.status == Status.SENDING:
                if reply.resent:
                    failed = reply.step_failed("interrupted twice while sending")
                    _put(conversation, failed)
                    given_up.append(failed)
                    continue
                reply = replace(reply, resent=True)
            reply = replace(reply, status=Status.SENDING, attempts=reply.attempts + 1)
            _put(conversation, reply)
            claimed.append(reply)
        if not claimed:
            return None
        platform = conversation.get("platform", entry.person.platform)
        return ConversationKey(platform, entry.person.user_id, chat_id), claimed

    return change


async def send(
    records: Records,
    key: ConversationKey,
    replies: list[Reply],
    deliver: Deliver,
    now: Callable[[], datetime],
    delays: tuple[timedelta, ...] = REPLY_DELAYS,
) -> bool:
    """Send claimed replies in order, then record what went (one save): the ones sent
    leave the record; from the first the platform refused on, all wait for a retry.
    Returns whether every one went."""
    sent: list[str] = []
    refused: Exception | None = None
    progress = 0
    for reply in replies:
        try:
            await deliver(key, list(reply.messages[reply.sent :]))
        except PartlySent as partly:
            progress, refused = partly.sent, partly.error
        except Exception as error:
            refused = error
        if refused is not None and asked_wait(refused):
            log.info("a reply to %s waits for flood control", key.platform)
            break
        if refused is not None:
            log.warning("a reply to %s failed: %s", key.platform, type(refused).__name__)
            break
        sent.append(reply.id)
    waiting = replies[len(sent) :]
    entries = {DueEntry(reply.due, key.person, reply.id) for reply in replies}
    given_up: list[Reply] = []

    def settle(record: PersonRecord) -> None:
        conversation = record.conversations.get(key.chat_id)
        if conversation is None:
            return  # forgotten meanwhile
        outbox = conversation.get("outbox", {})
        for reply_id in sent:
            outbox.pop(reply_id, None)
        if refused is not None and waiting:
            given_up[:] = _retry(conversation, waiting, refused, now(), delays, progress)
        if not outbox:
            conversation.pop("outbox", None)

    await records.update(key.person, settle, known=entries)
    report_given_up(records.observers, key.person, given_up)
    return refused is None


def _retry(
    conversation: JSONDict,
    waiting: list[Reply],
    error: Exception,
    now: datetime,
    delays: tuple[timedelta, ...],
    progress: int,
) -> list[Reply]:
    """The waiting replies due again after a backoff, or after the flood-control wait
    asked (no try counted); the first kept as failed when it is out of tries (returned:
    given up)."""
    first = Reply.from_json(conversation["outbox"][waiting[0].id])
    first = replace(first, sent=first.sent + progress)
    failures = first.failures + 1
    given_up = []
    if asked := asked_wait(error):
        due = now + asked
        _put(conversation, first)
    elif failures > len(delays):
        failed = replace(first, failures=failures).step_failed(type(error).__name__)
        _put(conversation, failed)
        given_up.append(failed)
        waiting, due = waiting[1:], now
    else:
        due = now + delays[failures - 1]
        _put(conversation, replace(first, failures=failures, error=type(error).__name__))
    for reply in waiting:
        current = Reply.from_json(conversation["outbox"][reply.id])
        _put(conversation, current.step_retry(due))
    _let_go_of_old_failures(conversation)
    return given_up


def asked_wait(error: Exception) -> timedelta:
    """The wait a platform asked for (a flood-control `retry_after`), if any."""
    wait = getattr(error, "retry_after", None)
    if isinstance(wait, timedelta):
        return wait
    if isinstance(wait, int | float):
        return timedelta(seconds=wait)
    return timedelta()


def _let_go_of_old_failures(conversation: JSONDict) -> None:
    failed = [reply for reply in replies_of(conversation) if reply.status == Status.FAILED]
    for reply in failed[:-FAILED_KEPT]:
        del conversation["outbox"][reply.id]


def report_given_up(observers: Observer, person: PersonKey, given_up: list[Reply]) -> None:
    """Once their record is saved: each reply kept as failed logged at ERROR for the
    operator, and counted once (`fairshake_replies_failed_total`)."""
    for reply in given_up:
        log.error(
            "a reply to %s could not be delivered (%s, %d tries); kept as failed in their record",
            person.digest,
            reply.error or "refused",
            reply.attempts,
        )
        observers.reply_failed(person.platform)


# -- messages as JSON -------------------------------------------------------------------------


def _message_json(message: Outbound) -> JSONDict:
    stored: JSONDict = {
        "text": [_span_json(span) for span in message.text.spans],
        "buttons": [
            [[button.label, button.data, button.option, str(button.style)] for button in row]
            for row in message.buttons
        ],
        "private": message.private,
        "prompt": message.prompt.to_json() if message.prompt else None,
        "notice": message.notice and str(message.notice),
        "details": [list(pair) for pair in message.details],
    }
    if message.text.in_form is not None:  # worded for a platform typed to by forms
        stored["text_in_form"] = [_span_json(span) for span in message.text.in_form]
    stored["snippets"] = [[snippet.label, snippet.text] for snippet in message.snippets]
    if message.attachment is not None:
        stored["attachment"] = {
            "filename": message.attachment.filename,
            "content": base64.b64encode(message.attachment.content).decode(),
        }
    return stored


def _message(stored: JSONDict) -> Outbound:
    attachment = stored.get("attachment")
    in_form = stored.get("text_in_form")
    return Outbound(
        RichText(_spans(stored["text"]), _spans(in_form) if in_form is not None else None),
        tuple(tuple(_button(*button) for button in row) for row in stored["buttons"]),
        Attachment(attachment["filename"], base64.b64decode(attachment["content"]))
        if attachment
        else None,
        private=stored["private"],
        prompt=Prompt.from_json(stored["prompt"]) if stored.get("prompt") else None,
        notice=_notice(stored.get("notice")),
        details=tuple((name, value) for name, value in stored.get("details", ())),
        snippets=tuple(Snippet(label, text) for label, text in stored["snippets"]),
    )


def _spans(stored: list[list[str]]) -> tuple[Span, ...]:
    return tuple(_span(*span) for span in stored)


def _span_json(span: Span) -> list[str]:
    """A span as stored since schema version 5 (storage/migrations.py): text, style, block."""
    return [span.text, str(span.style), str(span.block)]


def _span(text: str, style: str, block: str) -> Span:
    return Span(text, Style(style), Block(block))


def _notice(stored: str | None) -> Notice | None:
    """A stored reply's notice: none for those stored before notices were said, or under
    an id since renamed (what it tells is only a label; the text is what is sent)."""
    try:
        return Notice(stored) if stored else None
    except ValueError:
        return None


def _button(label: str, data: str, option: str = "", style: str = "default") -> Button:
    """A stored button; those stored before buttons had ids have none."""
    return Button(label, data, option, ButtonStyle(style))
