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
    # enrichment stands for the file phases after the gate: master and metadata run the same
    # operator the same way, and each case is a whole DAG run (about 13 s)
    pytest.param(TARGETS["enrichment"], id="enrichment"),
    pytest.param(TARGETS["report"], id="report"),
]

# (id, target, after): after=True runs the statement, then loses its answer.
TRANSIENT_CASES: list[tuple[str, Target, bool]] = [
    ("setup", TARGETS["setup"], False),
    ("loop-file-iteration", TARGETS["loop iteration (file)"], False),
    ("loop-derived-iteration", TARGETS["loop iteration (derived)"], False),
    ("convergence-query", TARGETS["convergence query"], False),
    ("canonicalize", TARGETS["canonicalize"], False),
    ("statistics", TARGETS["statistics"], False),
    ("enrichment", TARGETS["enrichment"], False),
    ("master", TARGETS["master"], False),
    ("metadata", TARGETS["metadata"], False),
    ("report", TARGETS["report"], False),
    # The answer is lost after the work was done: the retry must be idempotent.
    ("setup-after-insert", TARGETS["setup"], True),
    ("loop-derived-after-insert", TARGETS["loop iteration (derived)"], True),
    ("convergence-query-after", TARGETS["convergence query"], True),
    (
        "canonicalize-after-rename",
        Target(
            name="canonicalize",
            phase="canonicalize",
            task_id="canonicalize.05_canonicalize",
            label=r"^05_canonicalize\.sql$",
            statement=7,
        ),
        True,
    ),
    (
        "enrichment-after-rename",
        Target(
            name="enrichment",
            phase="enrichment",
            task_id="enrichment.10_enrich_orders",
            label=r"^10_enrich_orders\.sql$",
            statement=5,
        ),
        True,
    ),
]


def one_fault_per_task(cases: list[tuple[str, Target, bool]]) -> list[list[tuple[str, Target, bool]]]:
    """The cases in as few runs as possible: faults in different tasks are independent (each task
    retries its own), so one run can carry one fault per task; a task's second fault waits for
    another run, so that every faulted task fails exactly once. Before and after cases stay apart."""
    groups: list[list[tuple[str, Target, bool]]] = []
    for case in cases:
        _, target, after = case
        home = next(
            (g for g in groups if g[0][2] == after and all(t.task_id != target.task_id for _, t, _ in g)),
            None,
        )
        if home is None:
            groups.append([case])
        else:
            home.append(case)
    return groups


TRANSIENT_RUNS = [
    pytest.param(g, id="+".join(i for i, _, _ in g)) for g in one_fault_per_task(TRANSIENT_CASES)
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


@pytest.mark.parametrize("cases", TRANSIENT_RUNS)
def test_transient_faults_are_retried_to_identical_tables(
    cases: list[tuple[str, Target, bool]],
    fault_dag: FaultDag,
    baseline: Baseline,
    fault_db: Path,
    monkeypatch: pytest.MonkeyPatch,
    collector: Collector,
) -> None:
    injector.install(monkeypatch, *(_fault("transient", target, after=after) for _, target, after in cases))
    result = run(fault_dag.dag)
    tables = snapshot(fault_db)
    problems = diff_tables(baseline.tables, tables)
    ok = result.state == "success" and not problems
    for _, target, after in cases:
        collector.add(
            "fault",
            "transient (after)" if after else "transient",
            target.name,
            IDENTICAL if ok and result.tries.get(target.task_id) == 2 else BUG,
            "" if ok else f"run {result.state}; failed tasks {result.failed()}; {problems}",
        )

    faulted = {target.task_id for _, target, _ in cases}
    fired = {task_id: len(_firings(task_id)) for task_id in faulted}
    assert fired == dict.fromkeys(faulted, 1), "each fault must be injected exactly once"
    assert result.state == "success", result.failed()
    # each faulted task succeeded on its first retry; every other task ran once
    assert {t: result.tries[t] for t in faulted} == dict.fromkeys(faulted, 2)
    assert {t: n for t, n in result.tries.items() if n != 1 and t not in faulted} == {}
    assert problems == []
    loop = result.xcom(LOOP)
    assert [(h["iteration"], h["updated_count"], h["source"]) for h in loop["history"]] == [
        (h["iteration"], h["updated_count"], h["source"]) for h in baseline.loop["history"]
    ]
    iterations = [i for _, i, _ in loop_log(fault_db)]
    assert iterations == list(range(1, baseline.loop["iterations"] + 1)), "each iteration logged once"


def test_fault_runs_cover_every_case_once() -> None:
    runs = one_fault_per_task(TRANSIENT_CASES)
    assert sorted(i for g in runs for i, _, _ in g) == sorted(i for i, _, _ in TRANSIENT_CASES)
    assert all(len({t.task_id for _, t, _ in g}) == len(g) for g in runs)
    assert len(runs) < len(TRANSIENT_CASES)


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
    leftovers = sorted(t for t in target.later_tables(downstream) if table_exists(fault_db, t))
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
    if target.phase == "stats":  # beside the gate and the phases after it: those do not wait for stats
        assert result.task_states["master.20_master_customer_master"] == "success"
    if target.phase == "loop":
        assert not table_exists(fault_db, f"{P}_graph_unify_loop_final"), "a failed loop created loop_final"
