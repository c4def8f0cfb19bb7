"""Cost of translating the example workflow's Databricks SQL to DuckDB (sqlglot + rewrites).

Every statement of every file, plus the derived iterations up to ``--iterations``, translated
once in a fresh process (what the tasks of one run do together; each task process caches
its own translations). Printed, not written to ``docs/``: it explains one line of the
overhead breakdown.

    .venv/bin/python -m bench.translation --iterations 6 --repeat 5
"""

from __future__ import annotations

import argparse
import subprocess

from bench.common import PYTHON, REPO, median

_MEASURE = """
import sys, time
from pathlib import Path
from airflow_idu.engines.duckdb.translate import translate_statement
from airflow_idu.plan import read_plan
from airflow_idu.plan.statements import split_statements

sql_dir = Path(sys.argv[1])
plan = read_plan(sql_dir)
statements = [s for f in sorted(sql_dir.glob("*.sql")) for s in split_statements(f.read_text())]
for k in range(len(plan.loop.files) + 1, int(sys.argv[2]) + 1):
    statements += split_statements(plan.loop.sql_for_iteration(k)[0])
started = time.perf_counter()
for statement in statements:
    translate_statement(statement)
print(len(statements), time.perf_counter() - started)
"""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--iterations", type=int, default=6, help="loop iterations of the run")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    sql_dir = REPO / "examples" / "customer_unification" / "sql"
    runs = []
    for _ in range(args.repeat):
        out = subprocess.run(
            [str(PYTHON), "-c", _MEASURE, str(sql_dir), str(args.iterations)],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        count, seconds = int(out[0]), float(out[1])
        runs.append(seconds)
    print(
        f"{count} statements translated: median {median(runs) * 1000:.0f} ms over {len(runs)} fresh processes"
    )


if __name__ == "__main__":
    main()
