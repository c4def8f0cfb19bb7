"""Every built-in function of local Spark, on Spark and on the embedded engine.

The list comes from the shared Spark session (``SHOW FUNCTIONS``); each deterministic
function runs in its examples' forms over tests/fidelity/function_inputs.py. A MISMATCH
fails: a function gives Spark's value on every input, or the translator refuses it.
``IDU_WRITE_COMPATIBILITY=1`` (``make fidelity``) rewrites the section of
docs/compatibility.md; otherwise the committed section must match. ``IDU_FUNCTIONS=a,b``
(development) runs only those functions; the whole-list checks then skip.
"""

from __future__ import annotations

import os
from typing import Any

import pytest

from tests.fidelity.function_harness import Verdict, evaluate_functions, load_duckdb
from tests.fidelity.function_inventory import spark_functions
from tests.fidelity.function_report import MARKER, render_functions, summary
from tests.fidelity.harness import Status
from tests.fidelity.report import COMPATIBILITY_MD

# Heavy (about 20 minutes on 2 busy cores: every function of Spark, each form on both engines): run by
# `make fidelity-functions`, kept out of `make test`. A MISMATCH here fails the run.
pytestmark = [pytest.mark.spark, pytest.mark.beyond_test]

# Functions the published generator's SQL uses or users ask for: each must be identical or refused with a reason, never silently different
NAMED = (
    "xxhash64", "hash", "crc32", "sha2", "initcap", "soundex", "levenshtein", "floor", "bround", "trunc",
    "months_between", "from_utc_timestamp", "date_format", "split", "split_part", "regexp_extract_all",
    "format_number", "printf", "array_union", "array_except", "arrays_overlap", "sequence", "percentile",
    "percentile_approx", "approx_count_distinct", "try_cast",
)  # fmt: skip


def _only() -> frozenset[str]:
    """The functions ``IDU_FUNCTIONS`` names (empty: all of Spark's)."""
    return frozenset(n.strip() for n in os.environ.get("IDU_FUNCTIONS", "").split(",") if n.strip())


def _skip_if_filtered() -> None:
    if _only():
        pytest.skip("IDU_FUNCTIONS runs only some functions: the whole-list checks need them all")


@pytest.fixture(scope="module")
def verdicts(spark: Any) -> list[Verdict]:
    functions = spark_functions(spark)
    if _only():
        functions = [f for f in functions if f.name in _only()]
    con = load_duckdb()
    try:
        return evaluate_functions(spark, con, functions)
    finally:
        con.close()


def test_the_list_is_spark_s_whole_list(verdicts: list[Verdict]) -> None:
    _skip_if_filtered()
    names = {v.function.name for v in verdicts}
    assert len(names) == len(verdicts) >= 400, len(verdicts)


@pytest.mark.parametrize("name", NAMED)
def test_named_function_is_exact_or_refused_with_reason(verdicts: list[Verdict], name: str) -> None:
    found = [v for v in verdicts if v.function.name == name]
    if not found:
        pytest.skip(f"{name} is not a function of this Spark (a cast form or a keyword)")
    [verdict] = found
    assert verdict.verdict in ("identical", "identical values, wider type", "refused"), verdict.detail
    assert verdict.detail


def test_no_silent_mismatch(verdicts: list[Verdict]) -> None:
    mismatches = [f"{v.function.name}: {v.detail}" for v in verdicts if v.verdict == "MISMATCH"]
    assert not mismatches, f"{len(mismatches)} functions differ:\n" + "\n".join(mismatches)


def test_every_refusal_has_a_reason(verdicts: list[Verdict]) -> None:
    refused = [f for v in verdicts for f in v.forms if f.status is Status.REFUSED]
    if not refused:
        _skip_if_filtered()
    assert refused and all(f.detail for f in refused)


def test_accepted_forms_run_on_every_input_row(verdicts: list[Verdict]) -> None:
    """An identical verdict rests on a form over the input table's columns, not only literals."""
    _skip_if_filtered()
    weak = [v.function.name for v in verdicts if v.verdict == "identical" and "(literals)" in v.detail]
    assert len(weak) <= summary(verdicts)["identical"] // 4, weak


def test_compatibility_section_is_current(verdicts: list[Verdict]) -> None:
    _skip_if_filtered()
    section = render_functions(verdicts)
    committed = COMPATIBILITY_MD.read_text(encoding="utf-8") if COMPATIBILITY_MD.exists() else ""
    head, _, tail = committed.partition(MARKER)
    if os.environ.get("IDU_WRITE_COMPATIBILITY") == "1":
        COMPATIBILITY_MD.write_text(head + "\n" + section, encoding="utf-8")
        committed = COMPATIBILITY_MD.read_text(encoding="utf-8")
        tail = committed.partition(MARKER)[2]
    assert (MARKER.strip("\n") + "\n" + tail) == section, (
        "the functions section is stale: run `make fidelity`"
    )
