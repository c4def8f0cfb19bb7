"""Faults in every phase: transient ones are retried to the undisturbed result, SQL errors fail cleanly.

Each case runs the whole example DAG on a fresh copy of the demo data with one
fault injected into the real engine (see ``injector.py``), then checks the
tables row for row against the undisturbed baseline run, or — for SQL errors —
that the failing task failed once, said what failed, and that nothing
downstream ran or was published.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.faults import injector
from tests.faults.harness import Baseline, FaultDag, diff_tables, loop_log, run, snapshot, table_exists
from tests.faults.phases import CATALOG_ERROR, TARGETS, P, Target, error_lines
from tests.faults.reliability import BUG, CLEAN_FAILURE, IDENTICAL, Collector

pytestmark = pytest.mark.faults

LOOP = "loop.unify_loop"


SQL_CASES = [
    pytest.param(TARGETS["setup"], id="setup"),
    pytest.param(TARGETS["loop iteration (file)"], id="loop-file-iteration"),
    pytest.param(TARGETS["loop iteration (derived)"], id="loop-derived-iteration"),
    pytest.param(TARGETS["convergence query"], id="convergence-query"),
    pytest.param(TARGETS["canonicalize"], id="canonicalize"),
    pytest.param(TARGETS["statistics"], id="statistics"),
    pytest.param(TARGETS["enrichment"], id="enrichment"),
    pytest.param(TARGETS["master"], id="master"),
    pytest.param(TARGETS["metadata"], id="metadata"),
    pytest.param(TARGETS["report"], id="report"),
]

# (target, after): after=True runs the statement, then loses its answer.
TRANSIENT_CASES = [
    pytest.param(TARGETS["setup"], False, id="setup"),
    pytest.param(TARGETS["loop iteration (file)"], False, id="loop-file-iteration"),
    pytest.param(TARGETS["loop iteration (derived)"], False, id="loop-derived-iteration"),
    pytest.param(TARGETS["convergence query"], False, id="convergence-query"),
    pytest.param(TARGETS["canonicalize"], False, id="canonicalize"),
    pytest.param(TARGETS["statistics"], False, id="statistics"),
    pytest.param(TARGETS["enrichment"], False, id="enrichment"),
    pytest.param(TARGETS["master"], False, id="master"),
    pytest.param(TARGETS["metadata"], False, id="metadata"),
    pytest.param(TARGETS["report"], False, id="report"),
    # The answer is lost after the work was done: the retry must be idempotent.
    pytest.param(TARGETS["setup"], True, id="setup-after-insert"),
    pytest.param(TARGETS["loop iteration (derived)"], True, id="loop-derived-after-insert"),
    pytest.param(TARGETS["convergence query"], True, id="convergence-query-after"),
    pytest.param(
        Target(
            name="canonicalize",
            phase="canonicalize",
            task_id="canonicalize.05_canonicalize",
            label=r"^05_canonicalize\.sql$",
            statement=7,
        ),
        True,
        id="canonicalize-after-rename",
    ),
    pytest.param(
        Target(
            name="enrichment",
            phase="enrichment",
            task_id="enrichment.10_enrich_orders",
            label=r"^10_enrich_orders\.sql$",
            statement=5,
        ),
        True,
        id="enrichment-after-rename",
    ),
]


def _fault(kind: injector.Kind, target: Target, *, after: bool = False) -> injector.Fault:
    return injector.Fault(
        kind=kind,
        task_id=target.task_id,
        label=target.label,
        statement=target.statement,
        query=target.query,
        after=after,
    )


def _firings(task_id: str) -> list[injector.Firing]:
    return [f for f in injector.FIRED if f.task_id == task_id]


@pytest.mark.parametrize(("target", "after"), TRANSIENT_CASES)
def test_transient_fault_is_retried_to_identical_tables(
    target: Target,
    after: bool,
    fault_dag: FaultDag,
    baseline: Baseline,
    fault_db: Path,
    monkeypatch: pytest.MonkeyPatch,
    collector: Collector,
) -> None:
    injector.install(monkeypatch, _fault("transient", target, after=after))
    result = run(fault_dag.dag)
    tables = snapshot(fault_db)
    problems = diff_tables(baseline.tables, tables)
    ok = result.state == "success" and not problems
    collector.add(
        "fault",
        "transient (after)" if after else "transient",
        target.name,
        IDENTICAL if ok else BUG,
        "" if ok else f"run {result.state}; failed tasks {result.failed()}; {problems}",
    )

    assert len(_firings(target.task_id)) == 1, "the fault was not injected exactly once"
    assert result.state == "success", result.failed()
    assert result.tries[target.task_id] == 2, "the faulted task should have succeeded on its first retry"
    assert {t: n for t, n in result.tries.items() if n != 1 and t != target.task_id} == {}
    assert problems == []
    loop = result.xcom(LOOP)
    assert [(h["iteration"], h["updated_count"], h["source"]) for h in loop["history"]] == [
        (h["iteration"], h["updated_count"], h["source"]) for h in baseline.loop["history"]
    ]
    iterations = [i for _, i, _ in loop_log(fault_db)]
    assert iterations == list(range(1, baseline.loop["iterations"] + 1)), "each iteration logged once"


@pytest.mark.parametrize("target", SQL_CASES)
def test_sql_error_fails_at_once_with_a_clear_error_and_publishes_nothing_downstream(
    target: Target,
    fault_dag: FaultDag,
    fault_db: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
    collector: Collector,
) -> None:
    injector.install(monkeypatch, _fault("sql", target))
    result = run(fault_dag.dag)
    captured = capfd.readouterr()
    console = captured.out + captured.err
    errors = error_lines(console, "AirflowFailException")
    message = next((line for line in errors if CATALOG_ERROR in line), "")
    dag = fault_dag.dag
    # lease_release (a teardown) runs after failures on purpose: it gives the writer lease back.
    downstream = {t for t in dag.get_task(target.task_id).get_flat_relative_ids(upstream=False)}
    downstream -= {t for t in downstream if dag.get_task(t).is_teardown}
    not_skipped = {
        t: result.task_states.get(t) for t in downstream if result.task_states.get(t) != "upstream_failed"
    }
    leftovers = sorted(t for t in target.later_tables() if table_exists(fault_db, t))
    clean = (
        result.state == "failed"
        and result.tries[target.task_id] == 1
        and bool(message)
        and all(part in message for part in target.expect)
        and not not_skipped
        and not leftovers
    )
    collector.add(
        "fault",
        "sql error",
        target.name,
        CLEAN_FAILURE if clean else BUG,
        message.split("AirflowFailException: ", 1)[-1]
        if message
        else f"tries={result.tries[target.task_id]}; no AirflowFailException with the engine error; "
        f"logged: {[line for line in console.splitlines() if CATALOG_ERROR in line][-1:]}",
    )

    assert "Task failed" in console, (
        "the task logs were not captured, so the message checks below mean nothing"
    )
    assert result.state == "failed"
    assert result.task_states[target.task_id] == "failed"
    assert len(_firings(target.task_id)) == 1, "a SQL error must not be retried (the fault fired again)"
    assert result.tries[target.task_id] == 1
    assert message, f"no AirflowFailException carrying the engine error; errors logged: {errors}"
    missing = [part for part in target.expect if part not in message]
    assert not missing, f"the error {message!r} does not name {missing}"
    assert not_skipped == {}, "tasks downstream of the failure ran"
    assert result.task_states["lease_release"] == "success", "the failed run kept the writer lease"
    assert "report" not in result.task_states or result.task_states["report"] != "success"
    assert leftovers == [], "tables of later phases were published by a failed run"
    if target.phase == "loop":
        assert not table_exists(fault_db, f"{P}_graph_unify_loop_final"), "a failed loop created loop_final"
