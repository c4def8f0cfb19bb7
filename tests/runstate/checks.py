"""Persistent ids of two consecutive days against networkx components (the independent ground truth)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache

import networkx as nx

MERGE_BY_KEYS = ("email", "customer_id", "phone_number")
Node = tuple[str, str]  # (key name, identifier), as tests.ground_truth builds the graph


def node(identifier: str, key_type: int) -> Node:
    return MERGE_BY_KEYS[key_type - 1], identifier


@dataclass(frozen=True, kw_only=True)
class Day:
    graph: nx.Graph
    ids: dict[Node, str]  # node -> persistent id, from the lookup
    first_seen: dict[str, int | None]  # persistent id -> its stored first-seen time (the committed map)
    changes: dict[Node, tuple[str | None, str | None, str]]  # node -> (old id, new id, reason) this run


@dataclass(kw_only=True)
class History:
    """Ids given so far (never given again once retired) and how often each reason occurred."""

    given: set[str] = field(default_factory=set)
    reasons: Counter[str] = field(default_factory=Counter)


def _component_of(graph: nx.Graph) -> dict[Node, frozenset[Node]]:
    return {n: frozenset(c) for c in nx.connected_components(graph) for n in c}


def check_components(day: Day) -> None:
    """The lookup holds exactly the graph's identifiers; one persistent id per component, all distinct."""
    assert set(day.ids) == set(day.graph.nodes), "lookup identifiers differ from the source graph's"
    seen: dict[str, frozenset[Node]] = {}
    for component in map(frozenset, nx.connected_components(day.graph)):
        ids = {day.ids[n] for n in component}
        assert len(ids) == 1, f"component of {min(component)} has {len(ids)} persistent ids"
        (pid,) = ids
        assert pid not in seen, f"persistent id {pid} names two components"
        seen[pid] = component


def check_transition(before: Day, after: Day, history: History) -> None:
    """Ids change only for identifiers whose cluster merged or split; every change is logged right."""
    comp0, comp1 = _component_of(before.graph), _component_of(after.graph)

    @cache
    def parts_of(previous: frozenset[Node]) -> Counter[frozenset[Node]]:
        """The previous cluster's survivors per current cluster (computed once per cluster)."""
        return Counter(comp1[m] for m in previous if m in comp1)

    expected: dict[Node, tuple[str | None, str | None, str]] = {}
    for n in set(comp0) | set(comp1):
        old, new = before.ids.get(n), after.ids.get(n)
        if old == new:
            continue
        if old is None or new is None:
            expected[n] = (old, new, "new" if old is None else "removed")
            continue
        survivors = comp1.keys() & comp0[n]  # its previous cluster, as far as it is still there
        assert survivors != comp0.keys() & comp1[n], (
            f"{n}: {old} -> {new}, yet its cluster neither merged nor split"
        )
        allowed = _allowed_reasons(parts_of(comp0[n]), comp1[n])
        if allowed == {"merged"}:
            assert len({before.ids[m] for m in comp1[n] if m in before.ids}) > 1, (
                f"{n}: no merge, yet {allowed}"
            )
        logged = after.changes.get(n)
        reason = logged[2] if logged and logged[2] in allowed else min(allowed)
        expected[n] = (old, new, reason)
    assert after.changes == expected, _diff(after.changes, expected)
    new_ids = set(after.ids.values()) - set(before.ids.values())
    assert not new_ids & history.given, f"retired ids given again: {sorted(new_ids & history.given)[:5]}"
    history.given |= set(after.ids.values())
    history.reasons.update(reason for _, _, reason in expected.values())
    _check_rules(before, after)


def _allowed_reasons(parts: Counter[frozenset[Node]], mine: frozenset[Node]) -> set[str]:
    """``parts``: the previous cluster's survivors per current cluster; ``mine``: the identifier's."""
    largest = max(parts.values())
    if len(parts) == 1:
        return {"merged"}  # not split: the cluster changed id, so it merged into an older one
    if parts[mine] < largest:
        return {"split"}
    return {"merged"} if list(parts.values()).count(largest) == 1 else {"merged", "split"}


def _check_rules(before: Day, after: Day) -> None:
    """Split: an id stays with a largest part. Merge: a cluster keeps the oldest id it holds a largest
    part of (first seen, then id); a cluster holding a sole largest part never gets a fresh id."""
    parts: dict[str, Counter[str]] = defaultdict(Counter)  # previous id -> current id -> identifiers
    for n, old in before.ids.items():
        if n in after.ids:
            parts[old][after.ids[n]] += 1
    sole: dict[str, list[str]] = defaultdict(
        list
    )  # current id -> previous ids it holds the sole largest part of
    shared: dict[str, set[str]] = defaultdict(set)  # current id -> previous ids it holds a largest part of
    for old, counter in parts.items():
        largest = max(counter.values())
        holders = [c for c, k in counter.items() if k == largest]
        if old in counter:
            assert old in holders, (
                f"{old} stayed with a part of {counter[old]}, not a largest one ({largest})"
            )
        shared.update({h: shared[h] | {old} for h in holders})
        if len(holders) == 1:
            sole[holders[0]].append(old)
    for current, olds in sole.items():
        assert current in shared[current], (
            f"cluster {current} holds the largest part of {olds} but got a new id"
        )
        oldest = min(olds, key=lambda o: _age(before, o))
        assert _age(before, current) <= _age(before, oldest), f"{current} kept, but {oldest} is older"


def _age(day: Day, pid: str) -> tuple[bool, int, str]:
    seen = day.first_seen.get(pid)
    return seen is None, seen or 0, pid


def _diff(got: Mapping[Node, object], want: Mapping[Node, object]) -> str:
    wrong = sorted(n for n in set(got) | set(want) if got.get(n) != want.get(n))[:5]
    return "change log differs: " + "; ".join(
        f"{n}: logged {got.get(n)}, expected {want.get(n)}" for n in wrong
    )
