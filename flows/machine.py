"""The dispute flow: one `transitions` machine shared by every conversation.

The machine holds the macro steps of a case; which fact is being asked or which part
of a contact is being logged is data on the case, so the diagram stays readable. One
`Machine` is built at import and never per message: a case is a plain model object,
and `fire()` runs an event on it without attaching it to the machine (attaching scans
every attached model, and building a machine costs hundreds of microseconds).

Guards (`conditions`) read the case's facts through `CaseModel`; see flows/case.py.
"""

from __future__ import annotations

from typing import Any, Protocol

from transitions import Machine

IDLE = "idle"
GATHERING = "gathering"
REVIEW = "review"
SELF_SERVICE = "self_service"
CHOOSING_CHANNEL = "choosing_channel"
PREPARING = "preparing"
LOGGING = "logging"
OFFER = "offer"
CASE_MENU = "case_menu"
ESCALATING = "escalating"
SUPERVISOR = "supervisor"
SWITCH_CHANNEL = "switch_channel"
WRITTEN_COMPLAINT = "written_complaint"
GUARANTEE = "guarantee"
CARD_DISPUTE = "card_dispute"
AGENCY = "agency"
CONFIRM_DROP = "confirm_drop"
RESOLVED = "resolved"
DROPPED = "dropped"

RUNG_STATES = (SUPERVISOR, SWITCH_CHANNEL, WRITTEN_COMPLAINT, GUARANTEE, CARD_DISPUTE, AGENCY)
"""One state per rung of the escalation ladder, lowest first (ids match flows.playbook.RUNGS)."""

CLOSED_STATES = (RESOLVED, DROPPED)
CASE_STATES = (
    GATHERING,
    REVIEW,
    SELF_SERVICE,
    CHOOSING_CHANNEL,
    PREPARING,
    LOGGING,
    OFFER,
    CASE_MENU,
    ESCALATING,
    *RUNG_STATES,
    CONFIRM_DROP,
)
"""States of an open case: `/cancel` leads from each of them to the case menu."""

AFTER_REVIEW = tuple(s for s in CASE_STATES if s not in (GATHERING, REVIEW))
STATES = (IDLE, *CASE_STATES, RESOLVED, DROPPED)


def _transitions() -> list[dict[str, Any]]:
    """The flow's edges, in the order `transitions` tries them (first match wins)."""
    edges: list[dict[str, Any]] = [
        # A new case starts idle; opening it asks the first question.
        {"trigger": "open", "source": IDLE, "dest": GATHERING},
        # Facts, one question at a time; the last answer leads to the review.
        {"trigger": "answer", "source": GATHERING, "dest": REVIEW, "conditions": "facts_complete"},
        {"trigger": "answer", "source": GATHERING, "dest": None},
        {"trigger": "back", "source": GATHERING, "dest": REVIEW, "conditions": "editing"},
        {"trigger": "back", "source": GATHERING, "dest": CASE_MENU, "conditions": "at_first_fact"},
        {"trigger": "back", "source": GATHERING, "dest": None},
        {"trigger": "edit", "source": REVIEW, "dest": GATHERING},
        {"trigger": "back", "source": REVIEW, "dest": GATHERING},
        {"trigger": "confirm", "source": REVIEW, "dest": SELF_SERVICE},
        # Self-service first: solved there, the case is done.
        {"trigger": "solved", "source": SELF_SERVICE, "dest": RESOLVED},
        {"trigger": "need_help", "source": SELF_SERVICE, "dest": CHOOSING_CHANNEL},
        {"trigger": "back", "source": SELF_SERVICE, "dest": REVIEW},
        # Contact: pick a channel, get the script, log what happened.
        {"trigger": "pick_channel", "source": CHOOSING_CHANNEL, "dest": PREPARING},
        {"trigger": "back", "source": CHOOSING_CHANNEL, "dest": SELF_SERVICE},
        {"trigger": "back", "source": PREPARING, "dest": CHOOSING_CHANNEL},
        {
            "trigger": "log",
            "source": AFTER_REVIEW,
            "dest": LOGGING,
            "conditions": "facts_confirmed",
        },
        {"trigger": "answer", "source": LOGGING, "dest": None},
        {"trigger": "back", "source": LOGGING, "dest": None, "unless": "at_first_log_question"},
        {"trigger": "back", "source": LOGGING, "dest": CASE_MENU},
        # What the contact gave decides the next step.
        {"trigger": "logged", "source": LOGGING, "dest": RESOLVED, "conditions": "result_resolved"},
        {"trigger": "logged", "source": LOGGING, "dest": OFFER, "conditions": "result_offer"},
        {
            "trigger": "logged",
            "source": LOGGING,
            "dest": SUPERVISOR,
            "conditions": ["result_no_progress", "needs_manager", "supervisor_untried"],
        },
        {
            "trigger": "logged",
            "source": LOGGING,
            "dest": ESCALATING,
            "conditions": "result_no_progress",
        },
        {"trigger": "logged", "source": LOGGING, "dest": CASE_MENU},
        {"trigger": "accept", "source": OFFER, "dest": RESOLVED},
        {
            "trigger": "decline",
            "source": OFFER,
            "dest": SUPERVISOR,
            "conditions": ["needs_manager", "supervisor_untried"],
        },
        {"trigger": "decline", "source": OFFER, "dest": ESCALATING},
        {"trigger": "back", "source": OFFER, "dest": CASE_MENU},
        # The case menu: the home of an open case, where /cancel leads.
        {"trigger": "cancel", "source": list(CASE_STATES), "dest": CASE_MENU},
        {
            "trigger": "resume",
            "source": CASE_MENU,
            "dest": REVIEW,
            "conditions": "facts_complete",
            "unless": "facts_confirmed",
        },
        {"trigger": "resume", "source": CASE_MENU, "dest": GATHERING, "unless": "facts_confirmed"},
        {"trigger": "resume", "source": CASE_MENU, "dest": CHOOSING_CHANNEL},
        {
            "trigger": "plan",
            "source": AFTER_REVIEW,
            "dest": CHOOSING_CHANNEL,
            "conditions": "facts_confirmed",
        },
        {
            "trigger": "resolve",
            "source": AFTER_REVIEW,
            "dest": RESOLVED,
            "conditions": "facts_confirmed",
        },
        {"trigger": "drop", "source": list(CASE_STATES), "dest": CONFIRM_DROP},
        {"trigger": "confirm", "source": CONFIRM_DROP, "dest": DROPPED},
        {"trigger": "back", "source": CONFIRM_DROP, "dest": CASE_MENU},
        {"trigger": "back", "source": CASE_MENU, "dest": None},
        # Escalation: the ladder, then one rung at a time.
        {
            "trigger": "escalate",
            "source": AFTER_REVIEW,
            "dest": ESCALATING,
            "conditions": "facts_confirmed",
        },
        {"trigger": "back", "source": ESCALATING, "dest": CASE_MENU},
        {"trigger": "back", "source": list(RUNG_STATES), "dest": ESCALATING},
        {"trigger": "reopen", "source": list(CLOSED_STATES), "dest": CASE_MENU},
    ]
    for rung in RUNG_STATES:
        edge = {"trigger": f"climb_{rung}", "source": ESCALATING, "dest": rung}
        if rung == GUARANTEE:
            edge["conditions"] = "guarantee_open"
        edges.append(edge)
    return edges


DEFINITION: dict[str, Any] = {
    "states": [
        {"name": REVIEW, "on_enter": "entered_review"} if s == REVIEW else s for s in STATES
    ],
    "transitions": _transitions(),
    "initial": IDLE,
    "auto_transitions": False,
    "send_event": False,
}
"""The machine as data, shared by the runtime machine and the README diagram."""


class FlowModel(Protocol):
    """What a model needs for the machine: a state and the guards named above."""

    state: str


MACHINE = Machine(model=None, **DEFINITION)


def fire(model: FlowModel, trigger: str, **kwargs: Any) -> bool:
    """Run `trigger` on `model`; False when no edge from its state allows it.

    The model is not attached to the shared machine: `Event.trigger` takes the model
    as an argument, so one machine serves every case without bookkeeping.
    """
    event = MACHINE.events.get(trigger)
    if event is None or model.state not in event.transitions:
        return False
    return bool(event.trigger(model, **kwargs))
