"""Asking a list of questions one at a time: the mechanism behind facts and contact logs.

A `Questionnaire` walks a list of `Fact`s over an answers dict: which is next, which
came before, and whether all have been answered or skipped. The case model keeps the
pointer (`question`) and the answers; this class holds no state of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flows.facts import Fact


@dataclass(frozen=True, slots=True)
class Questionnaire:
    questions: tuple[Fact, ...]

    def next_unanswered(self, answers: dict[str, Any]) -> Fact | None:
        return next((q for q in self.questions if q.id not in answers), None)

    def complete(self, answers: dict[str, Any]) -> bool:
        return self.next_unanswered(answers) is None

    def before(self, question_id: str | None) -> Fact | None:
        ids = [q.id for q in self.questions]
        if question_id not in ids:
            return self.questions[-1] if self.questions else None
        index = ids.index(question_id)
        return self.questions[index - 1] if index > 0 else None

    def get(self, question_id: str | None) -> Fact | None:
        return next((q for q in self.questions if q.id == question_id), None)
