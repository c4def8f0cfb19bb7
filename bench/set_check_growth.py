"""How the set-operation type check grows (docs/benchmarks.md section 15): seconds to translate one
statement and to run its checks (engines/duckdb/type_checks.py), for a chain of UNION ALL inputs, a
chain of CTEs each a union reading the one before, and unions nested in the FROM of unions.

``.venv/bin/python -m bench.set_check_growth`` prints one line per case and size.
"""

from __future__ import annotations

import time

__all__ = ["main"]


def _cases(n: int) -> dict[str, str]:
    chain = " UNION ALL ".join("SELECT k, s FROM t" if j % 2 else "SELECT i, s FROM t" for j in range(n))
    ctes = ", ".join(
        f"c{j} AS (SELECT k FROM {'t' if j == 0 else f'c{j - 1}'} UNION ALL SELECT i FROM t)"
        for j in range(n)
    )
    nested = "SELECT k FROM t"
    for _ in range(min(n, 40)):  # sqlglot's parser stops near 40 levels
        nested = f"SELECT k FROM ({nested}) UNION ALL SELECT i FROM t"
    return {
        "chain": chain,
        "cte-chain": f"WITH {ctes} SELECT * FROM c{n - 1}",
        f"nested-{min(n, 40)}": nested,
    }


def main() -> None:
    import duckdb

    from airflow_idu.engines.duckdb.macros import install_macros
    from airflow_idu.engines.duckdb.translate import _translate, translate_statement
    from airflow_idu.engines.duckdb.type_checks import check_types

    con = duckdb.connect()
    install_macros(con)
    con.execute("CREATE TABLE t (k BIGINT, i INT, s VARCHAR)")
    for n in (10, 100):
        for name, sql in _cases(n).items():
            _translate.cache_clear()  # translations are cached per statement: measure the first
            t0 = time.perf_counter()
            translation = translate_statement(sql)
            t1 = time.perf_counter()
            check_types(con, translation)
            t2 = time.perf_counter()
            print(f"{name} n={n}: translate {t1 - t0:.3f} s, check {t2 - t1:.3f} s")


if __name__ == "__main__":
    main()
