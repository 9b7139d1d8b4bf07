"""The machine's tree (flows/machine.py) as `transitions` reads it: the flat machine the
bot runs behaves as the nested machine the tree describes, and every name it gives a
guard or an effect is a method of the model."""

from __future__ import annotations

import random
from typing import Any

from transitions.extensions.nesting import HierarchicalMachine, NestedState

from flows import machine
from flows.dialogue import STEPS, Dialogue
from flows.machine import TREE, Node


class DottedState(NestedState):
    """State names hold underscores, so the nested machine needs another separator."""

    separator = "."


class NestedMachine(HierarchicalMachine):
    state_cls = DottedState


def paths(node: Node = TREE, prefix: str = "") -> dict[str, str]:
    """Each state's and group's path in the nested machine, by name."""
    found = {}
    for child in node.children:
        path = prefix + child.name
        found[child.name] = path
        found.update(paths(child, path + "."))
    return found


PATHS = paths()


def nested_states(node: Node) -> list[dict[str, Any]]:
    return [
        {"name": c.name, "on_enter": list(c.on_enter), "children": nested_states(c)}
        for c in node.children
    ]


def nested_edges(node: Node = TREE) -> list[dict[str, Any]]:
    edges = [
        {
            "trigger": e.trigger,
            "source": PATHS[node.name],
            "dest": PATHS[e.dest] if e.dest else None,
            "conditions": list(e.when),
            "unless": list(e.unless),
            "before": list(e.before),
            "after": list(e.after),
        }
        for e in node.edges
    ]
    return edges + [e for child in node.children for e in nested_edges(child)]


def names(kind: str) -> set[str]:
    found = set()
    for node in _walk(TREE):
        if kind == "effects":
            found.update(node.on_enter)
        for edge in node.edges:
            found.update(
                (*edge.when, *edge.unless) if kind == "guards" else (*edge.before, *edge.after)
            )
    return found


def _walk(node: Node) -> list[Node]:
    return [node, *(n for c in node.children for n in _walk(c))]


GUARDS = names("guards")
EFFECTS = names("effects")
TRIGGERS = sorted({e.trigger for n in _walk(TREE) for e in n.edges})


class Probe:
    """A model whose guards answer from a table and whose effects are only recorded."""

    def __init__(self, state: str, guards: dict[str, bool]) -> None:
        self.state = state
        self.path = PATHS[state]
        self.guards = guards
        self.ran: list[str] = []

    def __getattr__(self, name: str) -> Any:
        if name in GUARDS:
            return lambda: self.guards[name]
        if name in EFFECTS:
            return lambda: self.ran.append(name)
        raise AttributeError(name)


def test_the_flat_machine_moves_as_the_nested_one_would() -> None:
    """From every state, for every event and many guard outcomes, the machine the bot runs
    ends in the same state, running the same effects in the same order, as
    `HierarchicalMachine` given the same tree: a group's edges come after its states'."""
    nested = NestedMachine(
        model=None,
        states=nested_states(TREE),
        transitions=nested_edges(),
        initial=PATHS[machine.IDLE],
        auto_transitions=False,
        ignore_invalid_triggers=True,
        model_attribute="path",
    )
    rng = random.Random(15)
    compared = 0
    for state in machine.STATES:
        for trigger in TRIGGERS:
            for _ in range(8):
                guards = {name: rng.random() < 0.5 for name in GUARDS}
                flat, deep = Probe(state, guards), Probe(state, guards)
                moved = machine.fire(flat, trigger)
                assert bool(nested.trigger_event(deep, trigger)) == moved, (state, trigger)
                assert deep.path == PATHS[flat.state], (state, trigger, guards)
                assert deep.ran == flat.ran, (state, trigger, guards)
                compared += moved
    assert compared > 300, "the comparison must exercise the edges, not only refusals"


def test_every_guard_and_effect_the_tree_names_is_a_method_of_the_model() -> None:
    missing = {name for name in GUARDS | EFFECTS if not callable(getattr(Dialogue, name, None))}
    assert missing == set()


def test_every_state_has_one_step_and_groups_have_no_effects() -> None:
    assert set(STEPS) == set(machine.STATES)
    groups = [n for n in _walk(TREE) if n.children]
    assert [g.name for g in groups if g.on_enter] == []


def test_the_rungs_share_their_edges_through_their_groups() -> None:
    """The edges every rung has (back to the ladder; log, plan, resolve, escalate; cancel,
    drop) are written once, on the groups, and no rung has an edge of its own."""
    rungs = [n for n in _walk(TREE) if n.name in machine.RUNG_STATES]
    assert len(rungs) == len(machine.RUNG_STATES)
    assert all(rung.edges == () for rung in rungs)
    flat = machine.MACHINE.get_triggers(machine.SUPERVISOR)
    assert set(flat) == {"back", "log", "plan", "resolve", "escalate", "cancel", "drop"}
