"""The differential harness: every catalogue construct on Spark and on the embedded engine.

One Spark session (tests/spark_session.py); the scalar, aggregate and window cases run as a
few wide SELECTs. ``IDU_WRITE_COMPATIBILITY=1`` (``make fidelity``) rewrites
docs/compatibility.md; otherwise the committed file must match what the harness finds.
"""

from __future__ import annotations

import os
from collections import Counter
from typing import Any

import pytest

from tests.fidelity.catalogue import CASES, Kind
from tests.fidelity.compositions import COMPOSITIONS
from tests.fidelity.function_report import MARKER
from tests.fidelity.harness import Outcome, Status, evaluate, load_duckdb
from tests.fidelity.report import COMPATIBILITY_MD, render

pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def outcomes(spark: Any) -> list[Outcome]:
    con = load_duckdb()
    try:
        return evaluate(spark, con)
    finally:
        con.close()


def test_catalogue_covers_at_least_150_forms_of_every_kind() -> None:
    kinds = Counter(c.kind for c in CASES)
    assert len(CASES) >= 150 and all(kinds[k] for k in Kind), kinds
    every = CASES + COMPOSITIONS
    assert len({c.id for c in every}) == len(every), "case ids must be unique"


def test_compositions_carry_binary_numeric_and_array_values_through_two_functions() -> None:
    """Most cases nest two or more functions or casts; the rest feed a typed column (BINARY, FLOAT,
    DECIMAL, arrays) into a function that must read its type."""
    nested = [c for c in COMPOSITIONS if c.sql.count("(") >= 2]
    assert len(COMPOSITIONS) >= 60 and len(nested) >= 45, (len(COMPOSITIONS), len(nested))


def test_compositions_have_no_silent_mismatch(outcomes: list[Outcome]) -> None:
    composed = [o for o in outcomes if o.case.group == "compositions"]
    assert len(composed) == len(COMPOSITIONS)
    silent = [f"{o.case.id}: {o.detail}" for o in composed if o.status is Status.MISMATCH]
    assert not silent, "\n".join(silent)
    refused = [o for o in composed if o.status is Status.REFUSED]
    assert all(" is refused: " in o.detail and "line " in o.detail for o in refused), refused


def test_no_silent_mismatch(outcomes: list[Outcome]) -> None:
    mismatches = [f"{o.case.id}: {o.detail}" for o in outcomes if o.status is Status.MISMATCH]
    assert not mismatches, "\n".join(mismatches)


def test_most_constructs_run_identically(outcomes: list[Outcome]) -> None:
    """The allow-list is not an escape hatch: refusing everything would also have no mismatch."""
    counts = Counter(o.status for o in outcomes)
    assert counts[Status.IDENTICAL] >= 250 and counts[Status.REFUSED] <= 60, counts


def test_every_refusal_names_its_construct_and_line(outcomes: list[Outcome]) -> None:
    refused = [o for o in outcomes if o.status is Status.REFUSED]
    assert refused
    unnamed = [o.case.id for o in refused if " is refused: " not in o.detail or "line " not in o.detail]
    assert not unnamed, unnamed


def test_error_cases_fail_on_spark_with_ansi_on(outcomes: list[Outcome]) -> None:
    """The error cases really are errors on Spark, so 'fails on both' is a comparison, not a shrug."""
    for outcome in outcomes:
        if outcome.case.kind is Kind.ERROR:
            assert outcome.status in (Status.BOTH_FAIL, Status.REFUSED, Status.REFUSED_AT_RUN), outcome


def test_compatibility_table_is_current(outcomes: list[Outcome]) -> None:
    text = render(outcomes)
    committed = COMPATIBILITY_MD.read_text(encoding="utf-8") if COMPATIBILITY_MD.exists() else ""
    head, marker, functions = committed.partition(MARKER)  # the functions section: test_functions.py
    if os.environ.get("IDU_WRITE_COMPATIBILITY") == "1":
        COMPATIBILITY_MD.write_text(text + marker + functions, encoding="utf-8")
        head = text
    assert head == text, "docs/compatibility.md is stale: run `make fidelity` and commit it"
