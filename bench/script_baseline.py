"""A baseline modelled on the script airflow-idu replaces, run on the same engine (DuckDB).

From its documented behaviour (``/work/shared/seed/script-behaviour.md``), not its code:

* one connection for the whole run; ``USE CATALOG`` / ``USE SCHEMA`` sent at connect,
  before every file and before every loop iteration;
* every file split into statements on a plain ``;`` (no string awareness; whole-line
  comments dropped, see :func:`naive_split`)
  and run one statement after the other, all files in order on the one connection;
* per loop iteration: USE CATALOG, USE SCHEMA, the iteration's CREATE and INSERT, the
  diff count (``SELECT COUNT(*)`` of K's (leader, follower) pairs ``EXCEPT`` K-1's),
  then ``OPTIMIZE`` of the new table (always, even without --optimize-tables);
* a fixed ``sleep(2)`` between iterations; stop when the diff count is 0, then create
  ``<p>_graph_unify_loop_final``.

Every statement goes through the same Databricks -> DuckDB translation as the product
(``USE CATALOG`` and ``OPTIMIZE`` are no-ops on DuckDB, as in the product), so the
difference to the product is orchestration only. Iterations past the last file use the
plan's derived SQL: the script wrote its own iteration SQL there, which for a directory of
today's generator is the same full-rewrite step.

The SQL it runs by default is ``bench/baseline_sql``: the example directory as users had it
before the incremental loop, frozen, so generator improvements are measured against it rather
than shared with it.

    .venv/bin/python -m bench.script_baseline --db FILE [--sql-dir DIR] [--sleep 2]
prints ``BASELINE_RESULT {json}``.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench.common import REPO

SLEEP_SECONDS = 2.0
BASELINE_SQL = REPO / "bench" / "baseline_sql"  # what users had (see its README.md)


@dataclass
class BaselineResult:
    statements: int = 0
    iterations: int = 0
    sleep_seconds: float = 0.0
    loop_seconds: float = 0.0
    connect_seconds: float = 0.0
    total_seconds: float = 0.0
    updated_counts: list[int] = field(default_factory=list)


def naive_split(sql: str) -> list[str]:
    """The script's splitter: a plain ``;`` ends a statement, wherever it stands.

    Whole-line ``--`` comments are dropped first: airflow-idu's file headers contain a ``;``
    that the original script would choke on (the published generator's headers do not), and
    the baseline must run the same directories as the product."""
    code = "\n".join(line for line in sql.splitlines() if not line.lstrip().startswith("--"))
    return [part.strip() for part in code.split(";") if part.strip()]


class ScriptBaseline:
    def __init__(
        self, db: Path, *, sleep: float = SLEEP_SECONDS, pause: Callable[[float], None] = time.sleep
    ) -> None:
        self.db = db
        self.sleep = sleep
        # injectable so a test can record the pauses without patching the process-wide time.sleep,
        # which the connector's and the warehouse's own waits also use
        self.pause = pause
        self.result = BaselineResult()

    def run(self, sql_dir: Path = BASELINE_SQL, *, max_iterations: int = 30) -> BaselineResult:
        from airflow_idu.plan import Phase, read_plan

        start = time.perf_counter()
        plan = read_plan(sql_dir)
        self.connect(plan.catalog, plan.schema)
        self.use(plan.catalog, plan.schema)
        self.result.connect_seconds = time.perf_counter() - start
        try:
            for f in plan.files:
                if f.phase is Phase.LOOP:
                    if f.path == plan.loop.files[0]:
                        self.loop(plan, max_iterations)
                    continue
                self.use(plan.catalog, plan.schema)
                for statement in naive_split(f.path.read_text(encoding="utf-8")):
                    self.statement(statement)
        finally:
            self.close()
        self.result.total_seconds = time.perf_counter() - start
        return self.result

    def connect(self, catalog: str | None, schema: str | None) -> None:
        """The script's one connection (here: DuckDB with the product's compatibility macros)."""
        import duckdb

        from airflow_idu.engines.duckdb.translate import COMPAT_MACROS

        self.con = duckdb.connect(str(self.db))
        for macro in COMPAT_MACROS:
            self.con.execute(macro)

    def close(self) -> None:
        self.con.close()

    def statement(self, sql: str) -> Any:
        from airflow_idu.engines.duckdb.translate import translate_statement

        self.result.statements += 1
        result = None
        for duck_sql in translate_statement(sql).statements:
            result = self.con.execute(duck_sql)
        return result

    def use(self, catalog: str | None, schema: str | None) -> None:
        if catalog:
            self.statement(f"USE CATALOG {catalog}")
        if schema:
            self.statement(f"USE SCHEMA {schema}")

    def loop(self, plan: Any, max_iterations: int) -> None:
        loop = plan.loop
        t0 = time.perf_counter()
        for k in range(1, max_iterations + 1):
            if k > 1:
                self.pause(self.sleep)
                self.result.sleep_seconds += self.sleep
            self.use(plan.catalog, plan.schema)
            text = loop.sql_for_iteration(k)[0]
            body = "\n".join(
                line for line in text.splitlines() if not line.lstrip().upper().startswith("USE ")
            )
            for statement in naive_split(body):
                self.statement(statement)
            count = int(self.statement(loop.convergence_sql(k)).fetchone()[0])
            self.statement(f"OPTIMIZE {loop.table(k)}")
            self.result.iterations = k
            self.result.updated_counts.append(count)
            if count == 0:
                self.statement(loop.final_sql(k))
                break
        else:
            print(f"warning: no convergence in {max_iterations} iterations")
        self.result.loop_seconds = time.perf_counter() - t0


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--sql-dir", type=Path, default=BASELINE_SQL)
    parser.add_argument("--sleep", type=float, default=SLEEP_SECONDS, help="seconds between iterations")
    args = parser.parse_args(argv)
    result = ScriptBaseline(args.db, sleep=args.sleep).run(args.sql_dir)
    print("BASELINE_RESULT " + json.dumps(asdict(result)))


if __name__ == "__main__":
    main()
