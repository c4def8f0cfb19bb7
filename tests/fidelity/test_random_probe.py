"""Random compositions (tests/fidelity/random_probe.py) on Spark and on the embedded engine.

A *silent* difference (both run, the values or types differ) fails the test, with the cases listed.
Where the engine fails and Spark does not, the case is listed as loud (a refusal the engine should
word, or a construct to support), not failed: the catalogue decides those one by one. Not part of
``make test`` (``make fidelity-probe``: a few minutes per seed); ``IDU_PROBE_SEEDS`` picks the seeds.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pytest

from tests.fidelity.catalogue import Case, Kind
from tests.fidelity.harness import Status, evaluate, load_duckdb
from tests.fidelity.random_probe import agg_cases, scalar_cases, set_cases, window_cases

pytestmark = [pytest.mark.spark, pytest.mark.beyond_test]

_SEEDS = [int(s) for s in os.environ.get("IDU_PROBE_SEEDS", "1,2").split(",")]
_KINDS: dict[str, tuple[Kind, Callable[[int, int, int], list[str]], int, int]] = {
    "scalar": (Kind.SCALAR, scalar_cases, 300, 3),
    "agg": (Kind.AGG, agg_cases, 150, 2),
    "window": (Kind.WINDOW, window_cases, 150, 2),
    "set": (Kind.QUERY, set_cases, 120, 2),  # one query per case: fewer
}


@pytest.mark.parametrize("seed", _SEEDS, ids=[f"seed-{s}" for s in _SEEDS])
@pytest.mark.parametrize("kind", list(_KINDS))
def test_no_silent_difference(spark: Any, kind: str, seed: int) -> None:
    case_kind, generate, count, depth = _KINDS[kind]
    cases = [
        Case(id=f"probe-{kind}-{seed}-{i}", group="probe", sql=sql, kind=case_kind)
        for i, sql in enumerate(generate(seed, count, depth))
    ]
    outcomes = [o for o in evaluate(spark, load_duckdb(), cases) if o.status is Status.MISMATCH]
    loud = [o for o in outcomes if "DuckDB: error" in o.detail]
    silent = [f"{o.case.sql}\n    {o.detail}" for o in outcomes if o not in loud]
    for o in loud:
        print(f"loud: {o.case.sql}\n    {o.detail[:300]}")
    assert not silent, "\n".join(silent)
