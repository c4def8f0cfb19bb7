"""The raw engine: one process runs the SQL directory straight on DuckDB, no Airflow.

Same plan, same translation, same loop (``plan.loop``: iteration SQL, convergence
count, final table) as the product, but no tasks, XCom, loop log, sleeps or OPTIMIZE.
``python -m bench.raw --db FILE [--sql-dir DIR] [--config JSON]`` prints JSON timings.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench.common import REPO

EXAMPLE_SQL = REPO / "examples" / "customer_unification" / "sql"


@dataclass
class Iteration:
    iteration: int
    statements_seconds: float
    convergence_seconds: float
    updated_count: int
    cpu_seconds: float = 0.0  # process CPU time (all DuckDB threads) of statements + count


@dataclass
class RawResult:
    connect_seconds: float = 0.0
    translate_seconds: float = 0.0
    execute_seconds: float = 0.0
    check_seconds: float = 0.0  # binding the checks of writes and set operations (type_checks.py)
    files: dict[str, float] = field(default_factory=dict)
    iterations: list[Iteration] = field(default_factory=list)
    total_seconds: float = 0.0

    @property
    def loop_seconds(self) -> float:
        return sum(i.statements_seconds + i.convergence_seconds for i in self.iterations)

    @property
    def loop_cpu_seconds(self) -> float:
        """CPU time of the loop: less sensitive than wall time to other load on the machine."""
        return sum(i.cpu_seconds for i in self.iterations)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["loop_seconds"] = self.loop_seconds
        data["loop_cpu_seconds"] = self.loop_cpu_seconds
        return data


class RawRunner:
    def __init__(self, db: Path, config: dict[str, Any] | None = None) -> None:
        self.db = db
        self.config = config or {}
        self.result = RawResult()

    def run(
        self, sql_dir: Path = EXAMPLE_SQL, *, max_iterations: int = 1000, loop_only: bool = False
    ) -> RawResult:
        import duckdb

        from airflow_idu.engines.duckdb.translate import COMPAT_MACROS
        from airflow_idu.plan import Phase, read_plan

        start = time.perf_counter()
        plan = read_plan(sql_dir)
        self.con = duckdb.connect(str(self.db), config=self.config)
        for macro in COMPAT_MACROS:
            self.con.execute(macro)
        self.result.connect_seconds = time.perf_counter() - start
        try:
            for f in plan.files:
                if f.phase is Phase.LOOP:
                    if f.path == plan.loop.files[0]:
                        self._loop(plan.loop, max_iterations)
                    continue
                if loop_only and f.phase is not Phase.SETUP:
                    break
                t0 = time.perf_counter()
                self.script(f.path.read_text(encoding="utf-8"))
                self.result.files[f.path.name] = time.perf_counter() - t0
        finally:
            self.con.close()
        self.result.total_seconds = time.perf_counter() - start
        return self.result

    def script(self, sql: str) -> Any:
        from airflow_idu.engines.duckdb.translate import translate_statement
        from airflow_idu.engines.duckdb.type_checks import check_types
        from airflow_idu.plan import split_statements

        result = None
        for statement in split_statements(sql):
            t0 = time.perf_counter()
            translation = translate_statement(statement)
            t1 = time.perf_counter()
            check_types(self.con, translation)  # the engine's type checks before a statement
            t2 = time.perf_counter()
            for duck_sql in translation.statements:
                result = self.con.execute(duck_sql)
            self.result.translate_seconds += t1 - t0
            self.result.check_seconds += t2 - t1
            self.result.execute_seconds += time.perf_counter() - t2
        return result

    def _loop(self, loop: Any, max_iterations: int) -> None:
        for k in range(1, max_iterations + 1):
            c0 = time.process_time()
            t0 = time.perf_counter()
            self.script(loop.sql_for_iteration(k)[0])
            t1 = time.perf_counter()
            count = int(self.script(loop.convergence_sql(k)).fetchone()[0])
            t2 = time.perf_counter()
            cpu = time.process_time() - c0
            self.result.iterations.append(Iteration(k, t1 - t0, t2 - t1, count, cpu))
            if count == 0:
                t3 = time.perf_counter()
                self.script(loop.final_sql(k))
                self.result.files["loop final"] = time.perf_counter() - t3
                return
        raise RuntimeError(f"no convergence in {max_iterations} iterations")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--sql-dir", type=Path, default=EXAMPLE_SQL)
    parser.add_argument("--config", default="{}", help="duckdb.connect config as JSON")
    parser.add_argument("--loop-only", action="store_true", help="stop after the loop (setup + loop)")
    args = parser.parse_args(argv)
    runner = RawRunner(args.db, json.loads(args.config))
    result = runner.run(args.sql_dir, loop_only=args.loop_only)
    print("RAW_RESULT " + json.dumps(result.to_dict()))


if __name__ == "__main__":
    main()
