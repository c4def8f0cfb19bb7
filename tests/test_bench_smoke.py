"""The benchmarks still run: every one at its smallest size, into a temp dir. Structure only, no timings."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bench.common import update_doc

pytestmark = pytest.mark.bench

REPO = Path(__file__).resolve().parents[1]
NAMES = ("parse", "roundtrips", "loop", "overhead", "memory")


def test_update_doc_keeps_hand_written_text(tmp_path: Path) -> None:
    doc = tmp_path / "benchmarks.md"
    doc.write_text(
        "# B\n\nhand-written intro\n\n<!-- bench:x:begin -->\nold\n<!-- bench:x:end -->\n\nanalysis\n"
    )
    update_doc(doc, "x", "new table")
    update_doc(doc, "y", "other table")
    text = doc.read_text()
    assert "hand-written intro" in text and "analysis" in text
    assert "old" not in text and "new table" in text
    assert text.index("<!-- bench:y:begin -->") > text.index("analysis")


# Every benchmark at a tiny size (about 3 minutes): `make bench-smoke`, not `make test`.
@pytest.mark.beyond_test
def test_run_all_smoke(tmp_path: Path) -> None:
    out, work = tmp_path / "out", tmp_path / "work"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    proc = subprocess.run(
        [sys.executable, "-m", "bench.run_all", "--smoke", "--out", str(out), "--work", str(work)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]

    doc = (out / "benchmarks.md").read_text()
    for name in NAMES:
        assert f"<!-- bench:{name}:begin -->" in doc and f"<!-- bench:{name}:end -->" in doc
        data = json.loads((out / "bench" / f"{name}.json").read_text())
        assert data["command"].startswith(".venv/bin/python -m bench.")
        assert {"nproc", "versions", "platform"} <= set(data["machine"])

    parse = json.loads((out / "bench" / "parse.json").read_text())
    assert parse["sizes"]["20"][0]["tasks"] >= 20

    rt = json.loads((out / "bench" / "roundtrips.json").read_text())["results"]
    assert [(r["optimize"], r["resume_loop"]) for r in rt] == [(False, True), (False, False)]
    assert all(r["iterations"] >= 2 for r in rt)
    # The iteration's own statements (its SQL without USE: the default loop's label rounds, CREATE and
    # INSERT of loop_K), the check; the loop-log row only when the loop can resume from it.
    from airflow_idu.plan import split_statements
    from bench.roundtrips import EXAMPLE_SQL, classify

    iteration = (EXAMPLE_SQL / "04_unify_loop_iteration_02.sql").read_text()
    own = sum(classify(s) != "USE" for s in split_statements(iteration))
    assert [r["per_iteration"] for r in rt] == [own + 2, own + 1]
    assert "loop-log INSERT" in rt[0]["per_iteration_kinds"]
    assert "loop-log INSERT" not in rt[1]["per_iteration_kinds"]

    loop = json.loads((out / "bench" / "loop.json").read_text())["results"]
    assert loop[0]["iterations"] == loop[0]["sensor_iterations"] >= 2  # raw and sensor agree

    overhead = json.loads((out / "bench" / "overhead.json").read_text())["results"][0]
    run = overhead["runs"][0]
    assert run["raw_wall"] > 0 and run["airflow_wall"] > 0
    assert overhead["median_breakdown"]["iterations"] >= 2
    assert len(run["raw"]["iterations"]) == overhead["median_breakdown"]["iterations"]

    mem = json.loads((out / "bench" / "memory.json").read_text())["results"][0]["runs"][0]
    assert mem["peak_tree_rss"] > 0


def test_translation_cost_helper_runs(capsys: pytest.CaptureFixture[str]) -> None:
    from bench import translation

    translation.main(["--iterations", "6", "--repeat", "1"])
    out = capsys.readouterr().out
    # Every statement of the example directory plus iterations 4..6 (derived), translated and read back.
    match = re.fullmatch(
        r"(\d+) statements, medians over 1 fresh processes each: translated (\d+) ms, "
        r"from the translation cache (\d+) ms\n",
        out,
    )
    assert match, out
    count, translated, cached = (int(g) for g in match.groups())
    assert count >= 60 and translated > 0 and cached < translated
