"""SIGKILL of the worker in the middle of unify-loop iteration K: the retry resumes at K, not at 1.

``airflow dags test`` runs the fault DAG in a subprocess whose engine kills the process
(SIGKILL, no cleanup, no state written) in statement 4 of iteration K, a label round of the
incremental loop (the iteration's work tables are half rewritten). K is the directory's last
iteration file (2) or the derived iteration after it (3, the one the loop converges in). The
test process then does what the scheduler does when a task's heartbeat stops and it has
retries left — mark the running try ``up_for_retry`` — and lets ``dag.test()`` carry on
with the *same* DAG run (not a cleared or new one). The retry must read the loop log,
resume at iteration K, log every iteration exactly once and publish the same tables as an
undisturbed run.
"""

from __future__ import annotations

import subprocess
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.runner import dag_from_file
from tests.faults import injector
from tests.faults.harness import (
    KILLED,
    Baseline,
    dags_test_killed,
    diff_tables,
    fault_dag_source,
    loop_log,
    next_date,
    retry_orphan,
    snapshot,
    task_states,
)
from tests.faults.reliability import BUG, IDENTICAL, Collector

pytestmark = pytest.mark.faults

DAG_ID = "idu_kill"
LOOP = "loop.unify_loop"


@pytest.fixture(scope="module")
def kill_dag_source(fault_sql_dir: Path) -> str:
    """The fault DAG, installing the faults ``$IDU_FAULTS`` lists (the subprocess parses this file)."""
    return fault_dag_source(
        DAG_ID, fault_sql_dir, extra="from tests.faults.injector import install_from_env\ninstall_from_env()"
    )


def _history(loop: dict[str, Any] | None) -> list[tuple[int, int, str]]:
    return [(h["iteration"], h["updated_count"], h["source"]) for h in (loop or {}).get("history", [])]


def _kill_at(k: int, logical_date: datetime) -> subprocess.CompletedProcess[str]:
    """Run the whole DAG with ``airflow dags test`` in a subprocess that SIGKILLs itself in iteration ``k``."""
    return dags_test_killed(
        DAG_ID,
        logical_date,
        injector.Fault(kind="kill", task_id=LOOP, label=rf"iteration {k}\b", statement=4),
    )


@pytest.mark.parametrize(
    ("k", "phase"),
    [(2, "loop iteration (file)"), (3, "loop iteration (derived)")],
    ids=["file-iteration-2", "derived-iteration-3"],
)
def test_sigkill_in_loop_iteration_resumes_at_that_iteration(
    k: int,
    phase: str,
    kill_dag_source: str,
    baseline: Baseline,
    fault_db: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
    collector: Collector,
) -> None:
    n = baseline.loop["iterations"]
    assert n >= k, f"the baseline loop has {n} iterations; killing in iteration {k} needs at least {k}"
    monkeypatch.delenv(injector.ENV, raising=False)
    injector.reset()
    dag = dag_from_file(DAG_ID, kill_dag_source)  # the file the subprocess parses too; no faults here
    logical_date = next_date()

    killed = _kill_at(k, logical_date)
    tail = (killed.stdout + killed.stderr)[-3000:]
    assert killed.returncode == KILLED, f"airflow dags test was not killed (rc {killed.returncode}):\n{tail}"
    tis = task_states(DAG_ID, logical_date)
    assert tis[LOOP] == ("running", 1), f"the killed try should be left running: {tis}"
    assert all(s == "success" for t, (s, _) in tis.items() if t.startswith("setup.")), tis
    assert [i for _, i, _ in loop_log(fault_db)] == list(range(1, k)), "the killed try logged 1..K-1"

    capfd.readouterr()
    result = retry_orphan(dag, logical_date, LOOP)
    captured = capfd.readouterr()
    console = captured.out + captured.err
    loop = result.xcom(LOOP)
    iterations = [i for _, i, _ in loop_log(fault_db)]
    problems = diff_tables(baseline.tables, snapshot(fault_db))
    resumed = f"Resuming the unify loop at iteration {k}" in console
    ok = (
        result.state == "success"
        and result.tries.get(LOOP) == 2
        and _history(loop) == _history(baseline.loop)
        and iterations == list(range(1, n + 1))
        and resumed
        and not problems
    )
    collector.add(
        "resume",
        "sigkill",
        phase,
        IDENTICAL if ok else BUG,
        ""
        if ok
        else f"run {result.state}; tries {result.tries.get(LOOP)}; logged {iterations}; "
        f"resumed at {k}: {resumed}; {problems}",
    )

    assert "Unify loop converged" in console, (
        "the task logs were not captured, so the log checks mean nothing"
    )
    rerun = [j for j in range(1, k) if f"Iteration {j} (" in console]
    assert rerun == [], f"the retry ran iterations {rerun} again"
    assert result.state == "success", result.failed()
    assert result.tries[LOOP] == 2, "the loop should have succeeded on its first retry"
    assert {t: c for t, c in result.tries.items() if c != 1 and t != LOOP} == {}, "only the loop was retried"
    assert resumed, f"no 'Resuming the unify loop at iteration {k}' in the retry's logs"
    assert _history(loop) == _history(baseline.loop), "the loop history differs from an undisturbed run"
    assert iterations == list(range(1, n + 1)), "each iteration must be logged exactly once"
    assert problems == []
