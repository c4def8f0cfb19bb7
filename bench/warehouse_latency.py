"""Per-statement round trip of the local SQL warehouse, through the real connector.

Starts ``airflow_idu.warehouse`` on a loopback port (Thrift over HTTP, keep-alive, TCP_NODELAY),
connects with ``databricks-sql-connector`` using the connection extras the CLI prints, and times
``cursor.execute`` + fetch of small statements (each one HTTP request: ExecuteStatement with direct
results). ``core`` is the same statement through ``Warehouse.execute`` (no HTTP, no Thrift).

    .venv/bin/python -m bench.warehouse_latency --repeat 500
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.common import base_parser, command_line, table, write_results

TARGET_MS = 5.0
STATEMENTS = {
    "SELECT 1": "SELECT 1",
    "count(*) of 1,000 rows": "SELECT count(*) FROM t",
    "INSERT one row": "INSERT INTO t VALUES (1, 'x')",
    "SELECT 1,000 rows (Arrow)": "SELECT * FROM t LIMIT 1000",
}


def _times(fn: Callable[[], Any], repeat: int) -> list[float]:
    for _ in range(10):  # warm-up: connections, caches, the translation cache
        fn()
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def measure(repeat: int, work: Path) -> list[dict[str, Any]]:
    from databricks import sql

    from airflow_idu.warehouse.core import Warehouse
    from airflow_idu.warehouse.faults import Auth
    from airflow_idu.warehouse.server import WarehouseServer

    work.mkdir(parents=True, exist_ok=True)
    database = Path(tempfile.mkdtemp(dir=work)) / "latency.duckdb"
    warehouse = Warehouse(database)
    server = WarehouseServer(warehouse, auth=Auth(token="dapi-bench")).start()
    extra = dict(server.connection()["extra"])
    http_path = extra.pop("http_path")
    conn = sql.connect(
        server_hostname="127.0.0.1", http_path=http_path, access_token="dapi-bench", schema="bench", **extra
    )
    cursor = conn.cursor()
    cursor.execute("CREATE OR REPLACE TABLE t AS SELECT range AS a, 'v' || range AS b FROM range(1000)")
    session = warehouse.open_session(None, "bench")
    results = []
    try:
        for label, statement in STATEMENTS.items():

            def over_thrift(text: str = statement) -> None:
                cursor.execute(text)
                cursor.fetchall()

            def core(text: str = statement) -> None:
                warehouse.execute(text, session_id=session)

            thrift_ms, core_ms = _times(over_thrift, repeat), _times(core, repeat)
            results.append(
                {
                    "statement": label,
                    "median_ms": statistics.median(thrift_ms),
                    "p90_ms": statistics.quantiles(thrift_ms, n=10)[-1],
                    "core_median_ms": statistics.median(core_ms),
                    "repeat": repeat,
                }
            )
            print(results[-1])
    finally:
        cursor.close()
        conn.close()
        server.stop()
        warehouse.close()
    return results


def main(argv: list[str] | None = None) -> None:
    parser = base_parser(__doc__ or "", sizes="0", repeat=300)
    args = parser.parse_args(argv)
    results = measure(args.repeat, args.work)
    rows = [
        [
            r["statement"],
            f"{r['median_ms']:.2f}" + (" ✅" if r["median_ms"] < TARGET_MS else " ❌"),
            f"{r['p90_ms']:.2f}",
            f"{r['core_median_ms']:.2f}",
            r["repeat"],
        ]
        for r in results
    ]
    body = "\n\n".join(
        [
            f"Target: a statement's round trip < {TARGET_MS:g} ms median on loopback. Timed around "
            "`cursor.execute` + `fetchall` of the real connector (one HTTP request each: ExecuteStatement "
            "with direct results); `core` is `Warehouse.execute` on the same session without HTTP/Thrift.",
            table(["statement", "median ms (connector)", "p90 ms", "core median ms", "repeat"], rows),
        ]
    )
    print(
        write_results(
            args.out,
            "warehouse_latency",
            "7. Local SQL warehouse: per-statement round trip",
            body,
            {"results": results, "target_ms": TARGET_MS},
            command=command_line("bench.warehouse_latency", argv),
        )
    )


if __name__ == "__main__":
    main()
