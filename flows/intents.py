"""Typed words that work like the buttons on the current prompt.

"skip", "I don't have it at hand" or "no idea" press the skip button; "yes", "looks good"
or "correct" the confirming one; "back" goes back; an option's name ("phone", "a refund",
"third party") presses that option. The matcher reads only the prompt's own options, so
it never presses what is not on offer, and a name that fits two options presses neither.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from flows.answers import fold
from flows.prompt import BACK_ID, SKIP_ID, Choice

CONFIRMING = ("do:confirm", "do:accept")
"""The buttons a plain "yes" presses: confirming the facts, accepting an offer, dropping
a case after being asked "Drop this case?"."""

_FILLER = (
    r"(?:,? (?:sorry|please|thanks|thank you|i think|at hand|right now|now|with me|here|yet))*"
)
_SKIP_WORDS = re.compile(
    r"^(?:skip(?: (?:it|this|that|this one))?|pass|dunno|idk|n/?a|no idea|no clue|not sure"
    r"|(?:i'?m |i am )?not sure|(?:i )?(?:don'?t|do not|dont) (?:know|remember|have (?:it|that|one"
    r"|the \w+(?: \w+)?))|(?:i )?(?:can'?t|cannot) (?:find|remember) (?:it|that))"
    rf"{_FILLER}$"
)
_CONFIRM = (
    r"(?:yes|yeah|yep|yup|ok|okay|sure|correct|right|confirm(?:ed)?|perfect|all good|"
    r"all correct|all right|alright|that'?s (?:right|correct|it)|looks (?:good|right|fine|ok|correct)"
    r"|it'?s (?:right|correct|all correct))"
)
_CONFIRM_WORDS = re.compile(rf"^{_CONFIRM}(?:,? {_CONFIRM})*{_FILLER}$")
_BACK_WORDS = re.compile(
    r"^(?:back|go back|previous|undo|take me back|(?:go )?back (?:a|one) step)$"
)
_ADDRESS = re.compile(r"[\w-]+(?:\.[\w-]+)+")
"""A web address typed ('amazon.it'): an answer of its own, never an option's name (its
'it' would fall away as a filler word and leave 'amazon' pressing the Amazon button)."""
_ARTICLES = frozenset({"a", "an", "the", "to", "by", "it", "or", "i", "want", "my", "please"})


def _normal(text: str) -> str:
    """Folded, without emoji, marks or quotes, hyphens as spaces: 'A third-party seller' →
    'a third party seller'."""
    words = fold(text).replace("\u2019", "'")
    words = re.sub(r"[^\w\s'/]|_", " ", words).replace("-", " ")
    return " ".join(words.split()).strip("'")


def _words(text: str) -> set[str]:
    """The words that name an option, plural or not ('refunds' names 'A refund')."""
    return {word.removesuffix("s") for word in _normal(text).split() if word not in _ARTICLES}


def _names(choice: Choice) -> set[str]:
    """What an option may be called in full: its label, and its value's last part."""
    arg = choice.value.rpartition(":")[2].replace("_", " ")
    return {" ".join(sorted(_words(choice.label))), " ".join(sorted(_words(arg)))} - {""}


def pressed(text: str, choices: Iterable[Choice]) -> Choice | None:
    """The option on offer that `text` presses, or None when it presses none (or two)."""
    offered = list(choices)
    typed = _normal(text)
    if not typed or len(typed) > 80 or _ADDRESS.fullmatch(text.strip()):
        return None
    by_value = {choice.value: choice for choice in offered}
    if _SKIP_WORDS.match(typed) and SKIP_ID in by_value:
        return by_value[SKIP_ID]
    if _BACK_WORDS.match(typed) and BACK_ID in by_value:
        return by_value[BACK_ID]
    if _CONFIRM_WORDS.match(typed):
        confirming = [by_value[value] for value in CONFIRMING if value in by_value]
        if confirming:
            return confirming[0]
    words = _words(typed)
    if not words:
        return None
    named = " ".join(sorted(words))
    exact = [choice for choice in offered if named in _names(choice)]
    if len(exact) == 1:
        return exact[0]
    partial = [choice for choice in offered if words <= _words(choice.label)]
    return partial[0] if len(partial) == 1 and not exact else None
