"""The example directory straight on an engine, no Airflow: ``python -m bench.spark_connect_engine``.

The engine is the one the connection's type picks (the connection is ``AIRFLOW_CONN_IDU_DEFAULT``,
set by the caller); setup and later files run with ``run_script``, the loop with the product's
:class:`~airflow_idu.loop.LoopRunner` (in memory, no loop log), as ``bench.spark_connect`` measures.
"""

from __future__ import annotations

import sys
import time

from bench.common import REPO

EXAMPLE_SQL = REPO / "examples" / "customer_unification" / "sql"


def main() -> None:
    from airflow_idu.engines import open_engine
    from airflow_idu.loop.runner import LoopRunner
    from airflow_idu.plan import Phase, read_plan

    start = time.perf_counter()
    plan = read_plan(EXAMPLE_SQL)
    engine = open_engine("idu_default")
    try:
        for phase in plan.phases:
            if phase.phase is Phase.LOOP:
                runner = LoopRunner(engine, plan.loop, "bench", resume=False)
                while not runner.converged:
                    runner.check_limit()
                    runner.step()
                runner.finish()
                continue
            for sql_file in phase.files:
                engine.run_script(sql_file.path.read_text(encoding="utf-8"), label=sql_file.path.name)
    finally:
        engine.close()
    print(f"ENGINE_SECONDS {time.perf_counter() - start:.3f}", file=sys.stderr)


if __name__ == "__main__":
    main()
