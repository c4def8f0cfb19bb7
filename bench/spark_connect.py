"""The same case on the embedded DuckDB engine and on a local Spark Connect server.

Per engine: (a) *engine*: one process opens the engine (no Airflow) and runs the example
directory with the product's loop runner; (b) *Airflow*: ``airflow dags test idu_example`` in a
subprocess on a connection of that type. Airflow overhead = b - a. Both start from the same demo
source rows; the Spark server is pyspark's ``SparkConnectServer`` on 127.0.0.1 (one per benchmark
run, as in the tests), sources loaded into its Hive metastore before each run.

    .venv/bin/python -m bench.spark_connect --sizes 2000 --repeat 1
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path
from typing import Any

from bench.common import PYTHON, REPO, base_parser, command_line, median, parse_sizes, table, write_results
from bench.workspace import AIRFLOW, DATE, airflow_env, airflow_home, fresh_copy, run_measured, source_db

EXAMPLE_SQL = REPO / "examples" / "customer_unification" / "sql"


def engine_run(conn: dict[str, Any], work: Path, log: Path) -> float:
    """Wall seconds of the directory run straight on the engine (``bench.spark_connect_engine``)."""
    cmd = [str(PYTHON), "-m", "bench.spark_connect_engine"]
    env = airflow_env(work / "engine-home", REPO / "dags", conn)
    start = time.perf_counter()
    with log.open("w") as out:
        done = subprocess.run(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"engine run failed (rc={done.returncode}); see {log}")
    return time.perf_counter() - start


def airflow_run(conn: dict[str, Any], work: Path, log: Path) -> float:
    env = airflow_env(airflow_home(work), REPO / "dags", conn, IDU_EXAMPLE_SQL_DIR=str(EXAMPLE_SQL))
    run = run_measured([str(AIRFLOW), "dags", "test", "idu_example", DATE], env, log)
    if run.returncode != 0 or "state=success" not in log.read_text(errors="replace"):
        raise RuntimeError(f"airflow dags test failed (rc={run.returncode}); see {log}")
    return run.wall


def load_spark_sources(url: str, database: Path) -> None:
    from pyspark.sql.connect.session import SparkSession

    from tests.engines.test_spark_connect import load_sources

    spark = SparkSession.builder.remote(url).create()
    try:
        spark.sql("DROP SCHEMA IF EXISTS unified CASCADE").collect()
        load_sources(spark, database)
    finally:
        spark.stop()


def measure(people: int, repeat: int, work: Path) -> list[dict[str, Any]]:
    from tests.spark_connect_server import LocalSparkConnect

    src = source_db(work, people)
    rows = []
    server = LocalSparkConnect(root=work / "spark-connect")
    server.root.mkdir(parents=True, exist_ok=True)
    server.start()
    try:
        spark_conn = {"conn_type": "spark_connect", "host": "127.0.0.1", "port": server.port}
        for kind in ("duckdb", "spark_connect"):
            engine_s, airflow_s = [], []
            for i in range(repeat):
                for phase, samples in (("engine", engine_s), ("airflow", airflow_s)):
                    if kind == "duckdb":
                        db = fresh_copy(src, work / "runs" / f"sc_{people}_{phase}_{i}.duckdb")
                        conn: dict[str, Any] = {"conn_type": "duckdb", "host": str(db)}
                    else:
                        load_spark_sources(server.url, src)
                        conn = spark_conn
                    log = work / "logs" / f"spark_connect_{kind}_{people}_{phase}_{i}.log"
                    log.parent.mkdir(parents=True, exist_ok=True)
                    run = engine_run if phase == "engine" else airflow_run
                    samples.append(run(conn, work, log))
            rows.append(
                {
                    "engine": kind,
                    "people": people,
                    "engine_seconds": median(engine_s),
                    "airflow_seconds": median(airflow_s),
                    "overhead_seconds": median(airflow_s) - median(engine_s),
                }
            )
    finally:
        server.stop()
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = base_parser(__doc__ or "", sizes="2000", repeat=1)
    args = parser.parse_args(argv)
    rows = [r for n in parse_sizes(args.sizes) for r in measure(n, args.repeat, args.work)]
    body = table(
        ["engine", "people", "engine only (s)", "airflow dags test (s)", "Airflow overhead (s)"],
        [
            [r["engine"], r["people"], r["engine_seconds"], r["airflow_seconds"], r["overhead_seconds"]]
            for r in rows
        ],
    )
    write_results(
        args.out,
        "spark_connect",
        "Spark Connect vs the embedded engine",
        body,
        {"rows": rows},
        command=command_line("bench.spark_connect", argv),
    )
    print(body)


if __name__ == "__main__":
    main()
