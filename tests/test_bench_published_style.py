"""bench.published_style still runs at a tiny size: both directories converge to the same clusters."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

# `make bench-smoke`, with the other benchmark smoke runs; not `make test`
pytestmark = [pytest.mark.bench, pytest.mark.beyond_test]


def test_published_style_bench_smoke(tmp_path: Path) -> None:
    from bench import published_style

    published_style.main(
        ["--clusters", "400", "--out", str(tmp_path / "out"), "--work", str(tmp_path / "work")]
    )
    data = json.loads((tmp_path / "out" / "bench" / "published_style.json").read_text())
    ours, published = data["runs"]["ours"], data["runs"]["published"]
    assert ours["canonical_ids"] == published["canonical_ids"] > 0
    assert published["statements"] and all(seconds >= 0 for _, seconds in published["statements"])
    assert "published_style:begin" in (tmp_path / "out" / "benchmarks.md").read_text()
