"""bench.scheduler_idle still runs at a tiny size. Structure, not timings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

# `make bench-smoke`, with the other benchmark smoke runs; not `make test` (a scheduler stack)
pytestmark = [pytest.mark.bench, pytest.mark.beyond_test]


def test_one_sleep_measures_the_chain_and_the_scheduler_cpu(tmp_path: Path) -> None:
    from bench import scheduler_idle

    out = tmp_path / "out"
    scheduler_idle.main(
        ["--idle-sleeps", "0.25", "--idle-seconds", "2", "--repeat", "1", "--out", str(out),
         "--work", str(tmp_path / "work")]
    )  # fmt: skip
    (result,) = json.loads((out / "bench" / "scheduler_idle.json").read_text())["results"]
    assert result["idle_sleep"] == "0.25"
    (run,) = result["runs"]
    assert run["tasks"] == 16  # every task of the chain ran (a failed run raises in the benchmark)
    assert 0 < run["between_tasks"] < run["wall"]
    # the scheduler's process tree was read: it uses some CPU, never more than the 2 cores there are
    assert 0 < result["idle_cpu_share"] < 2 and 0 < result["busy_cpu_share"] < 2
    assert "| 0.25 |" in (out / "benchmarks.md").read_text()


def test_cpu_seconds_counts_this_process() -> None:
    import os

    from bench.scheduler_idle import cpu_seconds

    before = cpu_seconds(os.getpid())
    sum(i * i for i in range(2_000_000))  # some CPU work
    assert cpu_seconds(os.getpid()) > before
