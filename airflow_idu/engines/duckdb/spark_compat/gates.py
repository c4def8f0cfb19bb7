"""Skipping the rewrites a statement cannot need, without walking its tree once per rewrite.

Most of the rewrites of :data:`.rewrites.REWRITES` look for a few node types or calls and change
nothing in a statement that holds none of them: 97% of their calls on the example and catalogue
statements changed nothing, yet each walked the whole tree (translation was about 30 ms a
statement, two thirds of it in those walks). A rewrite declares, with :func:`gated`, what it can act
on; :func:`.rewrites.apply` reads the tree's :class:`Census` (one walk: the node classes, the names of
the calls sqlglot does not model, the marks earlier rewrites left in nodes' ``meta``) and skips a
gated rewrite whose :class:`Trigger` the census does not hold. A rewrite that ran may have changed
anything, so the census is taken again before the next gated one.

The declaration is a promise: "on a tree without any of these, this rewrite returns the tree
unchanged". It must name every type its searches find (``isinstance``: a subclass counts), every
call name it looks up, every ``meta`` key it reads. ``tests/engines/test_rewrite_gates.py`` translates
the directories and the fidelity catalogue with and without the gates and requires the same output.
A rewrite without a declaration always runs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TypeVar

from sqlglot import exp

__all__ = ["Census", "Trigger", "gated", "trigger_of"]

Rewrite = Callable[[exp.Expr], exp.Expr]
R = TypeVar("R", bound=Rewrite)


@dataclass(frozen=True, kw_only=True)
class Trigger:
    """What a rewrite can act on: nodes of ``types``, calls sqlglot does not model (``exp.Anonymous``)
    named in ``names`` (lower case), nodes whose ``meta`` holds a key of ``meta``."""

    types: tuple[type[exp.Expr], ...] = ()
    names: frozenset[str] = field(default_factory=frozenset)
    meta: frozenset[str] = field(default_factory=frozenset)

    def __or__(self, other: Trigger) -> Trigger:
        return Trigger(
            types=(*self.types, *other.types), names=self.names | other.names, meta=self.meta | other.meta
        )


_TRIGGERS: dict[Rewrite, Trigger] = {}


def gated(
    *,
    types: Iterable[type[exp.Expr]] = (),
    names: Iterable[str] = (),
    meta: Iterable[str] = (),
    like: Iterable[Rewrite] = (),
) -> Callable[[R], R]:
    """Declare what the decorated rewrite can act on (the module docstring's promise). ``like``: the
    gated rewrites it runs as its parts, whose declarations it adds to its own."""
    trigger = Trigger(types=tuple(types), names=frozenset(n.lower() for n in names), meta=frozenset(meta))
    for part in like:
        declared = _TRIGGERS.get(part)
        if declared is None:  # a part that always runs makes the whole always run: say so instead
            raise TypeError(f"{part.__qualname__} declares no trigger (gates.gated); declare it first")
        trigger = trigger | declared

    def declare(rewrite: R) -> R:
        _TRIGGERS[rewrite] = trigger
        return rewrite

    return declare


def trigger_of(rewrite: Rewrite) -> Trigger | None:
    """The rewrite's declaration; ``None``: it always runs."""
    return _TRIGGERS.get(rewrite)


class Census:
    """What one tree holds, taken in one walk (the state of the tree when it was taken)."""

    __slots__ = ("kinds", "meta", "names")

    def __init__(self, tree: exp.Expr) -> None:
        classes: set[type[exp.Expr]] = set()
        names: set[str] = set()
        meta: set[str] = set()
        # every node find_all visits (the Expr values of args, and of their lists), in no set order: a
        # flat loop, since this walk replaces dozens of find_all walks and is itself the gates' cost
        queue: list[exp.Expr] = [tree]
        append = queue.append
        for node in queue:
            classes.add(type(node))
            if isinstance(node, exp.Anonymous):
                names.add(node.name.lower())
            marks = getattr(node, "_meta", None)
            if marks:
                meta.update(marks)
            for value in node.args.values():
                if isinstance(value, exp.Expr):
                    append(value)
                elif isinstance(value, list):
                    queue.extend(v for v in value if isinstance(v, exp.Expr))
        # every class a node is an instance of: sqlglot's node classes are plain classes (no ABC
        # registration), so isinstance(node, K) is K in type(node).__mro__
        self.kinds = frozenset(k for c in classes for k in c.__mro__)
        self.names = frozenset(names)
        self.meta = frozenset(meta)

    def holds(self, trigger: Trigger) -> bool:
        return (
            not self.names.isdisjoint(trigger.names)
            or not self.meta.isdisjoint(trigger.meta)
            or not self.kinds.isdisjoint(trigger.types)
        )
