"""bench.warehouse_e2e's runs under a real scheduler still work at a tiny size. Structure, not timings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

# `make bench-smoke`, with the other benchmark smoke runs; not `make test` (a scheduler stack per run)
pytestmark = [pytest.mark.bench, pytest.mark.beyond_test]

VARIANTS = ("script/published", "sched/ours-incremental", "schedfloor/published", "schedprovider/published")


def test_scheduled_runs_against_the_script_and_both_floors(tmp_path: Path) -> None:
    from bench import warehouse_e2e
    from bench.warehouse_run import FLOOR_TASKS

    out = tmp_path / "out"
    warehouse_e2e.main(
        ["--clusters", "300", "--latencies", "0", "--repeat", "1", "--variants", ",".join(VARIANTS),
         "--section", "_smoke", "--out", str(out), "--work", str(tmp_path / "work")]
    )  # fmt: skip
    runs = {
        r["variant"]: r for r in json.loads((out / "bench" / "warehouse_e2e_smoke.json").read_text())["runs"]
    }
    assert set(runs) == set(VARIANTS)
    assert all(r["state"] == "success" for r in runs.values())
    # the same clusters from the script and from our DAG under the scheduler
    assert runs["script/published"]["canonical_ids"] == runs["sched/ours-incremental"]["canonical_ids"] > 0
    # every task of each scheduled DAG ran (the floors have as many as ours), and the provider's floor
    # sent exactly one SELECT 1 per task
    for variant in VARIANTS[1:]:
        assert len(runs[variant]["tasks"]) == FLOOR_TASKS, variant
    assert runs["schedprovider/published"]["statements"] == FLOOR_TASKS
    assert runs["schedfloor/published"]["statements"] == 0
    # the warehouse's statements during our run are attributed to the tasks that sent them
    ours = runs["sched/ours-incremental"]
    assert 0 < sum(t["statements"] for t in ours["tasks"]) <= ours["statements"]
    # every statement is kept beside the run's result, for reading where its time went
    kept = json.loads((tmp_path / "work" / "sched_ours_incremental_0.statements.json").read_text())
    assert len(kept) == ours["statements"] and all(s["sql"] and s["seconds"] >= 0 for s in kept)
    doc = (out / "benchmarks.md").read_text()
    assert "warehouse_e2e_smoke:begin" in doc and "above the provider's (s)" in doc
