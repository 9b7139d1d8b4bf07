"""The dispute flow: one `transitions` machine shared by every conversation, and what
each of its events does.

The flow is written as a tree of states (`TREE`): a group holds the edges shared by
every state inside it (`/cancel` and `drop` from any open step; plan, log, resolve
and escalate from any step after the review; back from any rung to the ladder), so
each edge is written once. A state's own edges are tried before its groups', deepest
first, as in `transitions.extensions.nesting.HierarchicalMachine` (tests/test_machine_tree.py
checks that the two agree). Which fact is being asked or which part of a contact is
being logged is data on the case, so the diagram stays readable.

Effects are on the machine: `on_enter` on a state and `before`/`after` on an edge name
methods of the model (flows/dialogue.py's `Dialogue`, whose per-state parts are in
flows/steps/), and guards (`when`/`unless`) name methods of `CaseModel` (flows/case.py).

At run time the tree is flattened into a plain `Machine` (`DEFINITION`): a nested
machine costs several times more per event (it rebuilds the state tree and its scopes
on every trigger). One `Machine` is built at import and never per message: a case is a
plain model object, and `fire()` runs an event on it without attaching it to the
machine (attaching scans every attached model, and building a machine costs hundreds
of microseconds).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from transitions import Machine, State

if TYPE_CHECKING:  # the library's typed config exists only in its stubs
    from transitions.core import MachineConfig, TransitionConfig

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


@dataclass(frozen=True, slots=True)
class Edge:
    """A way out of a state: `trigger` leads to `dest` (None: stays, an internal edge)
    when every `when` guard holds and no `unless` guard does. `before` runs before the
    state changes, `after` once it has."""

    trigger: str
    dest: str | None
    when: tuple[str, ...] = ()
    unless: tuple[str, ...] = ()
    before: tuple[str, ...] = ()
    after: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Node:
    """A state (no children) or a group of states sharing `edges`; `on_enter` names the
    effects of entering a state (groups have none: moving inside a group enters only
    the state)."""

    name: str
    edges: tuple[Edge, ...] = ()
    children: tuple[Node, ...] = ()
    on_enter: tuple[str, ...] = ()


def on(
    trigger: str,
    dest: str | None,
    *,
    when: str | tuple[str, ...] = (),
    unless: str | tuple[str, ...] = (),
    before: str | tuple[str, ...] = (),
    after: str | tuple[str, ...] = (),
) -> Edge:
    def names(value: str | tuple[str, ...]) -> tuple[str, ...]:
        return (value,) if isinstance(value, str) else value

    return Edge(trigger, dest, names(when), names(unless), names(before), names(after))


CONFIRMED = "facts_confirmed"

TREE = Node(
    "flow",
    children=(
        # A new case starts idle; opening it asks the first question.
        Node(IDLE, (on("open", GATHERING, after="start_questions"),)),
        Node(
            "open_case",
            # From any open step: /cancel leads to the case menu, drop asks to confirm.
            (on("cancel", CASE_MENU), on("drop", CONFIRM_DROP)),
            children=(
                # Facts, one question at a time; the last answer leads to the review.
                Node(
                    GATHERING,
                    (
                        on("answer", REVIEW, when="facts_complete"),
                        on("answer", None),
                        on("back", REVIEW, when="editing"),
                        on("back", CASE_MENU, when="at_first_fact"),
                        on("back", None, after="previous_question"),
                    ),
                ),
                Node(
                    REVIEW,
                    (
                        on("edit", GATHERING),
                        on("back", GATHERING, after="last_question"),
                        on("confirm", SELF_SERVICE, after="confirm_facts"),
                    ),
                    on_enter=("entered_review",),
                ),
                Node(
                    "after_review",
                    # Once the facts are confirmed, any step can plan, log, settle or escalate.
                    (
                        on("log", LOGGING, when=CONFIRMED),
                        on("plan", CHOOSING_CHANNEL, when=CONFIRMED),
                        on("resolve", RESOLVED, when=CONFIRMED),
                        on("escalate", ESCALATING, when=CONFIRMED, before="escalation_started"),
                    ),
                    children=(
                        # Self-service first: solved there, the case is done.
                        Node(
                            SELF_SERVICE,
                            (
                                on("solved", RESOLVED),
                                on("need_help", CHOOSING_CHANNEL),
                                on("back", REVIEW),
                            ),
                        ),
                        # Contact: pick a channel, get the script, log what happened.
                        Node(
                            CHOOSING_CHANNEL,
                            (on("pick_channel", PREPARING), on("back", SELF_SERVICE)),
                        ),
                        Node(PREPARING, (on("back", CHOOSING_CHANNEL),)),
                        Node(
                            LOGGING,
                            (
                                on("log", None, when=CONFIRMED),
                                on("answer", None),
                                on(
                                    "back",
                                    None,
                                    unless="at_first_log_question",
                                    after="previous_log_question",
                                ),
                                on("back", CASE_MENU),
                                # What the contact gave decides the next step.
                                on("logged", RESOLVED, when="result_resolved"),
                                on("logged", OFFER, when="result_offer"),
                                on(
                                    "logged",
                                    SUPERVISOR,
                                    when=(
                                        "result_no_progress",
                                        "needs_manager",
                                        "supervisor_untried",
                                    ),
                                    after="manager_needed",
                                ),
                                on("logged", ESCALATING, when="result_no_progress"),
                                on("logged", CASE_MENU),
                            ),
                            on_enter=("start_log",),
                        ),
                        Node(
                            OFFER,
                            (
                                on("accept", RESOLVED),
                                on(
                                    "decline",
                                    SUPERVISOR,
                                    when=("needs_manager", "supervisor_untried"),
                                    before="escalation_started",
                                ),
                                on("decline", ESCALATING, before="escalation_started"),
                                on("back", CASE_MENU),
                            ),
                        ),
                        # The case menu: the home of an open case, where /cancel leads.
                        Node(
                            CASE_MENU,
                            (
                                on("resume", REVIEW, when="facts_complete", unless=CONFIRMED),
                                on("resume", GATHERING, unless=CONFIRMED, after="resume_questions"),
                                on("resume", CHOOSING_CHANNEL),
                                on("back", None),
                            ),
                        ),
                        Node(CONFIRM_DROP, (on("confirm", DROPPED), on("back", CASE_MENU))),
                        # Escalation: the ladder, then one rung at a time.
                        Node(
                            "ladder",
                            children=(
                                Node(
                                    ESCALATING,
                                    (
                                        on("escalate", None, when=CONFIRMED),
                                        on("back", CASE_MENU),
                                        *(
                                            on(
                                                f"climb_{rung}",
                                                rung,
                                                when="guarantee_open" if rung == GUARANTEE else (),
                                            )
                                            for rung in RUNG_STATES
                                        ),
                                    ),
                                ),
                                Node(
                                    "rungs",
                                    (on("back", ESCALATING),),
                                    children=tuple(
                                        Node(rung, on_enter=("reached_rung",))
                                        for rung in RUNG_STATES
                                    ),
                                ),
                            ),
                        ),
                    ),
                ),
            ),
        ),
        Node(
            "closed",
            (on("reopen", CASE_MENU, after="reopened"),),
            children=tuple(Node(s, on_enter=("close_case",)) for s in CLOSED_STATES),
        ),
    ),
)
"""The flow as a tree: groups carry the edges shared by all their states."""


def leaves(
    node: Node = TREE, groups: tuple[Node, ...] = ()
) -> Iterator[tuple[Node, tuple[Node, ...]]]:
    """Every state with the groups it is in, innermost first, in the tree's order."""
    if not node.children:
        yield node, groups
    for child in node.children:
        yield from leaves(child, (node, *groups))


STATES = tuple(state.name for state, _ in leaves())
CASE_STATES = tuple(
    state.name for state, groups in leaves() if "open_case" in (g.name for g in groups)
)
"""States of an open case: `/cancel` leads from each of them to the case menu."""


def _flat_edges() -> list[TransitionConfig]:
    """Each state's edges, then its groups' (innermost first): the order `transitions`
    tries them in, first match wins, as a nested machine would."""
    flat: list[TransitionConfig] = []
    for state, groups in leaves():
        for edge in (e for node in (state, *groups) for e in node.edges):
            if edge.dest is not None and edge.dest not in STATES:
                raise ValueError(f"{state.name} --{edge.trigger}--> {edge.dest}: not a state")
            flat.append(
                {
                    "trigger": edge.trigger,
                    "source": state.name,
                    "dest": edge.dest,
                    "conditions": list(edge.when),
                    "unless": list(edge.unless),
                    "before": list(edge.before),
                    "after": list(edge.after),
                }
            )
    return flat


DEFINITION: MachineConfig = {
    "states": [State(state.name, on_enter=list(state.on_enter)) for state, _ in leaves()],
    "transitions": _flat_edges(),
    "initial": IDLE,
    "auto_transitions": False,
    "send_event": False,
}
"""The tree flattened for a plain `transitions.Machine`."""


class FlowModel(Protocol):
    """What a model needs for the machine: a state, and the guards and effects named in
    `TREE` as methods (tests/test_machine_tree.py checks that `Dialogue` has them all)."""

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
