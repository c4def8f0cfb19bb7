"""Cost of translating the example workflow's Databricks SQL to DuckDB (sqlglot + rewrites).

Every statement of every file, plus the derived iterations up to ``--iterations``, translated
once in a fresh process (what the tasks of one run do together; each task process caches
its own translations), then the same through the translation cache on disk, which an earlier
process filled (what a scheduled run finds: the previous run wrote it). Printed, not written to
``docs/``: it explains one line of the overhead breakdown.

    .venv/bin/python -m bench.translation --iterations 6 --repeat 5
    .venv/bin/python -m bench.translation --sql /tmp/b/incremental_cost/sql   # another directory
"""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
from pathlib import Path

from bench.common import PYTHON, REPO, median

_MEASURE = """
import sys, time
from pathlib import Path
from airflow_idu.engines.duckdb.translate import translate_statement
from airflow_idu.engines.duckdb.translation_cache import cached_translation
from airflow_idu.plan import read_plan
from airflow_idu.plan.statements import split_statements

sql_dir = Path(sys.argv[1])
plan = read_plan(sql_dir)
statements = [s for f in sorted(sql_dir.glob("*.sql")) for s in split_statements(f.read_text())]
for k in range(len(plan.loop.files) + 1, int(sys.argv[2]) + 1):
    statements += split_statements(plan.loop.sql_for_iteration(k)[0])
translate = cached_translation if sys.argv[3] == "cache" else translate_statement
started = time.perf_counter()
for statement in statements:
    translate(statement)
print(len(statements), time.perf_counter() - started)
"""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--iterations", type=int, default=6, help="loop iterations of the run")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--sql", type=Path, default=REPO / "examples" / "customer_unification" / "sql")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="idu-translations-") as cache:
        env = {**os.environ, "IDU_TRANSLATION_CACHE": cache}

        def measure(mode: str) -> tuple[int, float]:
            out = subprocess.run(
                [str(PYTHON), "-c", _MEASURE, str(args.sql), str(args.iterations), mode],
                cwd=REPO,
                env=env,
                capture_output=True,
                text=True,
                check=True,
            ).stdout.split()
            return int(out[0]), float(out[1])

        measure("cache")  # fills the cache, as the previous run did
        runs: dict[str, list[float]] = {"translated": [], "cache": []}
        for _ in range(args.repeat):
            for mode in runs:
                count, seconds = measure(mode)
                runs[mode].append(seconds)
    print(
        f"{count} statements, medians over {args.repeat} fresh processes each: translated "
        f"{median(runs['translated']) * 1000:.0f} ms, from the translation cache "
        f"{median(runs['cache']) * 1000:.0f} ms"
    )


if __name__ == "__main__":
    main()
