"""What binding costs on the embedded engine (docs/benchmarks.md section 16): milliseconds for DuckDB
to bind one expression (``connection.sql``: no row is read) through each typed macro overload
(spark_compat/nodes.typed_macro) against its untyped body. Every statement binds twice on the
embedded engine (engines/duckdb/type_checks.py, then the run), so this is paid twice per call.

``.venv/bin/python -m bench.binding_cost`` prints one line per expression (medians of 30 binds).
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

__all__ = ["main"]

# (what, expression over customer_db.customer_profiles s); {u} is "untyped_" for the untyped body
_EXPRESSIONS = (
    ("a column", "s.email_std"),
    ("CAST AS VARCHAR", "CAST(s.email_std AS VARCHAR)"),
    ("idu_cast_string_plain of a STRING", "{u}idu_cast_string_plain(s.email_std)"),
    ("idu_to_bigint_plain of a BIGINT", "{u}idu_to_bigint_plain(s.time)"),
    (
        "comparison check of two STRINGs",
        "CASE WHEN {u}idu_same_fields(s.email_std, s.customer_id) THEN 1 END",
    ),
    (
        "unify guard of a coalesce of two STRINGs",
        "{u}idu_unify_same2(coalesce(s.email_std, s.customer_id), s.email_std, s.customer_id, "
        "[typeof(s.email_std), typeof(s.customer_id)], true, 'coalesce')",
    ),
)


def _bind_ms(con: Any, sql: str, repeat: int = 30) -> float:
    con.sql(sql)
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        con.sql(sql)
        times.append(time.perf_counter() - started)
    return 1000 * statistics.median(times)


def main() -> None:
    import duckdb

    from airflow_idu.demo.data import create_demo_data
    from airflow_idu.engines.duckdb.macros import install_macros
    from airflow_idu.engines.duckdb.spark_compat.nodes import TYPED_FALLBACKS

    with tempfile.TemporaryDirectory() as work:
        database = Path(work) / "demo.duckdb"
        create_demo_data(database, schema="customer_db", people=2000, seed=7)
        con = duckdb.connect(str(database))
        install_macros(con)
        for name, (params, body) in TYPED_FALLBACKS.items():
            con.execute(f"CREATE MACRO untyped_{name}({', '.join(params)}) AS {body}")
        for what, expression in _EXPRESSIONS:
            typed, untyped = (
                _bind_ms(con, f"SELECT {expression.format(u=u)} FROM customer_db.customer_profiles s")
                for u in ("", "untyped_")
            )
            print(f"{what}: {typed:.3f} ms typed, {untyped:.3f} ms untyped")


if __name__ == "__main__":
    main()
