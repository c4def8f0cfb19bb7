"""The identity-health gate's cluster measurement on a finished run's tables: its time and statements.

``measure_clusters`` (cluster sizes, the largest clusters with their key types and top values,
identifiers per key type, shared values) is what the gate spends most of its time on; it sits on
the DAG's critical path, between canonicalize and the publishing phases. This times it on a
DuckDB file that holds a run's tables (``idu_demo.unified.<p>_lookup``, ``<p>_graph_unify_loop_0``
and ``<p>_keys``), on the embedded engine or through the real connector to the local warehouse
serving the file:

    .venv/bin/python -m bench.gate_cost --db FILE [--engine warehouse] [--repeat 3] [--prefix P]

For an A/B of two commits, run it from each commit's checkout (``PYTHONPATH=<checkout>``) on the
same file. Prints one JSON line: each run's seconds, the median, and the statements per run.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path
from typing import Any

from bench.incremental_cost import open_engine


def measure(db: Path, engine_kind: str, repeat: int, prefix: str) -> dict[str, Any]:
    from airflow_idu.health import HealthTables
    from airflow_idu.health.measure import measure_clusters

    tables = HealthTables(prefix=prefix, catalog="idu_demo", schema="unified")
    seconds: list[float] = []
    labels: list[str] = []
    with open_engine(db, engine_kind, 0) as engine:
        query = engine.query

        def counted(sql: str, *, label: str) -> Any:
            labels.append(label)
            return query(sql, label=label)

        engine.query = counted  # type: ignore[method-assign]
        for _ in range(repeat):
            labels.clear()
            start = time.perf_counter()
            measure_clusters(engine, tables)
            seconds.append(time.perf_counter() - start)
    return {
        "engine": engine_kind,
        "seconds": [round(s, 3) for s in seconds],
        "median": round(statistics.median(seconds), 3),
        "statements": len(labels),
        "labels": labels,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", type=Path, required=True, help="a DuckDB file holding a run's tables")
    parser.add_argument("--engine", choices=("duckdb", "warehouse"), default="duckdb")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--prefix", default="unified_customer_id", help="the canonical id (table prefix)")
    args = parser.parse_args(argv)
    print(json.dumps(measure(args.db, args.engine, args.repeat, args.prefix)))


if __name__ == "__main__":
    main()
