"""bench.published_style still runs at a tiny size: both directories converge to the same clusters."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

# `make bench-smoke`, with the other benchmark smoke runs; not `make test`
pytestmark = [pytest.mark.bench, pytest.mark.beyond_test]


@pytest.mark.parametrize(
    ("extra", "section"),
    [([], ""), (["--chain-lengths", "150-300", "--loop", "incremental", "--section", "_chains"], "_chains")],
    ids=["default", "long-chains-incremental"],
)
def test_published_style_bench_smoke(tmp_path: Path, extra: list[str], section: str) -> None:
    from bench import published_style

    published_style.main(
        ["--clusters", "400", "--out", str(tmp_path / "out"), "--work", str(tmp_path / "work"), *extra]
    )
    data = json.loads((tmp_path / "out" / "bench" / f"published_style{section}.json").read_text())
    ours, published = data["runs"]["ours"], data["runs"]["published"]
    assert ours["canonical_ids"] == published["canonical_ids"] > 0
    assert data["different_clusters"] == 0
    assert 0 < ours["loop_seconds"] < ours["total_seconds"]
    assert published["statements"] and all(seconds >= 0 for _, seconds in published["statements"])
    assert f"published_style{section}:begin" in (tmp_path / "out" / "benchmarks.md").read_text()
