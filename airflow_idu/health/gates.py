"""Gates: limits on the health of a run's identity graph, and the verdict on each."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any

__all__ = ["Gate", "GateLimits", "GateResult", "evaluate_gates", "failure_message", "parse_limit"]

FIRST_RUN = "first run: no previous result to compare with, so this gate passes"
NOT_SET = "not set"
COVERAGE_ON_REPORT = (
    "measured on the enriched tables after enrichment, so the report task checks it (not this gate)"
)
_SHOWN = 3  # offending clusters named in a message


class Gate(StrEnum):
    MAX_CLUSTER_SIZE = "max_cluster_size"
    MAX_CLUSTER_GROWTH = "max_cluster_growth"
    MAX_ID_CHURN = "max_id_churn"
    MIN_COVERAGE = "min_coverage"


def parse_limit(value: Any, name: str, kind: type[int] | type[float]) -> int | float | None:
    """A limit from a rendered template (``"None"``/``""`` mean not set)."""
    if value is None or (isinstance(value, str) and value.strip() in ("", "None", "null")):
        return None
    try:
        return kind(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a {kind.__name__} or empty, got {value!r}") from None


@dataclass(frozen=True, kw_only=True)
class GateLimits:
    """``max_cluster_size``: identifiers in the largest cluster; ``max_cluster_growth``: largest cluster
    divided by the previous run's; ``max_id_churn``: share of identifiers whose canonical id changed;
    ``min_coverage``: listed for completeness (the report task checks it). ``None``: not checked."""

    max_cluster_size: int | None = None
    max_cluster_growth: float | None = None
    max_id_churn: float | None = None
    min_coverage: float | None = None

    def __post_init__(self) -> None:
        checks = (
            ("max_cluster_size", self.max_cluster_size, 1, None, "at least 1 identifier"),
            ("max_cluster_growth", self.max_cluster_growth, 1, None, "a factor >= 1 (2 = may double)"),
            ("max_id_churn", self.max_id_churn, 0, 1, "a share between 0 and 1"),
            ("min_coverage", self.min_coverage, 0, 1, "a share between 0 and 1"),
        )
        for name, value, low, high, fix in checks:
            if value is not None and (value < low or (high is not None and value > high)):
                raise ValueError(f"{name} must be {fix}, got {value!r}")

    @classmethod
    def from_params(cls, **values: Any) -> GateLimits:
        kinds: dict[str, type[int] | type[float]] = {
            "max_cluster_size": int,
            "max_cluster_growth": float,
            "max_id_churn": float,
            "min_coverage": float,
        }
        return cls(**{name: parse_limit(values.get(name), name, kind) for name, kind in kinds.items()})  # type: ignore[arg-type]


@dataclass(frozen=True, kw_only=True)
class GateResult:
    name: str
    limit: float | int | None
    value: float | int | None
    passed: bool
    skipped_reason: str | None
    message: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _cluster_text(cluster: Mapping[str, Any]) -> str:
    values = ", ".join(
        f"{v['key_type']} {v['value']!r} ({v['records']} links)" for v in cluster.get("top_values", [])[:3]
    )
    return (
        f"cluster {cluster['canonical_id']} ({cluster['size']} identifiers; top values: {values or 'none'})"
    )


def _offenders(largest: Sequence[Mapping[str, Any]], above: float) -> str:
    over = [c for c in largest if c["size"] > above][:_SHOWN]
    return "; ".join(_cluster_text(c) for c in over)


def _skipped(gate: Gate, limit: float | int | None, reason: str) -> GateResult:
    return GateResult(
        name=gate.value,
        limit=limit,
        value=None,
        passed=True,
        skipped_reason=reason,
        message=f"{gate}: {reason}",
    )


def _size_gate(limit: int | None, largest: Sequence[Mapping[str, Any]], max_size: int) -> GateResult:
    gate = Gate.MAX_CLUSTER_SIZE
    if limit is None:
        return _skipped(gate, limit, NOT_SET)
    passed = max_size <= limit
    message = (
        f"{gate}: largest cluster has {max_size} identifiers (limit {limit})"
        if passed
        else f"{gate} {limit} breached: largest cluster has {max_size} identifiers: {_offenders(largest, limit)}"
    )
    return GateResult(
        name=gate.value, limit=limit, value=max_size, passed=passed, skipped_reason=None, message=message
    )


def _growth_gate(
    limit: float | None, largest: Sequence[Mapping[str, Any]], max_size: int, previous_max: int | None
) -> GateResult:
    gate = Gate.MAX_CLUSTER_GROWTH
    if limit is None:
        return _skipped(gate, limit, NOT_SET)
    if not previous_max:
        return _skipped(gate, limit, FIRST_RUN)
    growth = round(max_size / previous_max, 6)
    passed = growth <= limit
    head = f"largest cluster grew {growth:g}x ({previous_max} -> {max_size} identifiers)"
    message = (
        f"{gate}: {head} (limit {limit:g}x)"
        if passed
        else f"{gate} {limit:g} breached: {head}: {_offenders(largest, previous_max * limit)}"
    )
    return GateResult(
        name=gate.value, limit=limit, value=growth, passed=passed, skipped_reason=None, message=message
    )


def _churn_gate(limit: float | None, churn: Mapping[str, Any] | None) -> GateResult:
    gate = Gate.MAX_ID_CHURN
    if limit is None:
        return _skipped(gate, limit, NOT_SET)
    if not churn:
        return _skipped(gate, limit, FIRST_RUN)
    share = float(churn["churn_share"])
    passed = share <= limit
    head = (
        f"{churn['identifiers_changed']} of {churn['identifiers_compared']} identifiers ({share:.2%}) "
        f"changed canonical id; {churn['clusters_merged']} clusters merged, {churn['clusters_split']} split"
    )
    message = f"{gate}: {head} (limit {limit:.2%})" if passed else f"{gate} {limit:g} breached: {head}"
    return GateResult(
        name=gate.value, limit=limit, value=share, passed=passed, skipped_reason=None, message=message
    )


def evaluate_gates(
    limits: GateLimits, health: Mapping[str, Any], *, previous_max: int | None
) -> list[GateResult]:
    """One verdict per gate, in a fixed order. ``health`` holds ``cluster_sizes``,
    ``largest_clusters`` and ``churn``; ``previous_max`` is the previous run's largest cluster."""
    largest = health.get("largest_clusters") or []
    max_size = int(health["cluster_sizes"]["max"])
    return [
        _size_gate(limits.max_cluster_size, largest, max_size),
        _growth_gate(limits.max_cluster_growth, largest, max_size, previous_max),
        _churn_gate(limits.max_id_churn, health.get("churn")),
        _skipped(Gate.MIN_COVERAGE, limits.min_coverage, COVERAGE_ON_REPORT),
    ]


def failure_message(results: Sequence[GateResult], outcome: str) -> str:
    breached = [r.message for r in results if not r.passed]
    return (
        f"identity health gate failed ({len(breached)} limit(s) breached): "
        + " | ".join(breached)
        + f". Nothing downstream was published: {outcome}; enriched and master tables still hold the previous result."
    )
