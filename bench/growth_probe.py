"""A quick probe: new translations and UDFs (stops 32 and 33) at 10k and 1M rows (100x), median of 3.

Each is the Spark SQL a directory would hold, translated as the engine translates it. An exponent
near 1 (or below: fixed costs dominate at 10k) is linear; 2 would be quadratic. Timings, not a test.

    .venv/bin/python -m bench.growth_probe
"""

from __future__ import annotations

import math
import time

import duckdb

from airflow_idu.engines.duckdb.macros import install_macros
from airflow_idu.engines.duckdb.translate import translate_statement

FORMS = {
    "asin (fdlibm UDF)": "SELECT sum(asin(x)) FROM t",
    "log10 (fdlibm UDF)": "SELECT sum(log10(abs(x) + 1)) FROM t",
    "conv 16->10 (fast path)": "SELECT count(conv(h, 16, 10)) FROM t",
    "substr literal": "SELECT count(substr(h, 1, 4)) FROM t",
    "base64 short": "SELECT count(base64(unhex(h))) FROM t",
    "percentile_approx (one group)": "SELECT percentile_approx(i, 0.5, 2147483647) FROM t",
    "approx_count_distinct (per group of 50)": "SELECT sum(c) FROM (SELECT approx_count_distinct(i) AS c FROM t GROUP BY g)",
    # stop 33's families: sketches (one group, or groups of 50 where exactness needs small groups)
    "theta_sketch_agg + estimate (one group)": "SELECT theta_sketch_estimate(theta_sketch_agg(i)) FROM t",
    "hll_sketch_agg + estimate (groups of 50)": "SELECT sum(c) FROM (SELECT hll_sketch_estimate(hll_sketch_agg(i)) AS c FROM t GROUP BY g)",
    "kll quantile (groups of 50)": "SELECT sum(q) FROM (SELECT kll_sketch_get_quantile_bigint(kll_sketch_agg_bigint(i), 0.5) AS q FROM t GROUP BY g)",
    "count_min_sketch (one group)": "SELECT length(count_min_sketch(i, 0.01d, 0.99d, 1)) FROM t",
    "bitmap_or_agg (groups of 50)": "SELECT count(b) FROM (SELECT bitmap_construct_agg(bitmap_bit_position(i)) AS b FROM t GROUP BY g)",
    # per-row Python functions
    "xpath_int": "SELECT sum(xpath_int(concat('<a><b>', CAST(i AS STRING), '</b></a>'), 'a/b')) FROM t",
    "from_json": "SELECT count(from_json(concat('{\"a\":', CAST(i AS STRING), '}'), 'a INT')) FROM t",
    "variant_get(parse_json)": "SELECT sum(variant_get(parse_json(concat('{\"a\":', CAST(i AS STRING), '}')), '$.a', 'int')) FROM t",
    "st_asbinary(st_geomfromwkb)": "SELECT count(st_asbinary(st_geomfromwkb(unhex(concat('0101000000000000000000F03F', h, '00000000'))))) FROM t",
}


def main() -> None:
    con = duckdb.connect()
    install_macros(con)
    res: dict[str, dict[int, float]] = {}
    for n in (10_000, 1_000_000):
        con.execute(
            f"CREATE OR REPLACE TABLE t AS SELECT i, i // 50 AS g, (i % 2000) / 1000.0 - 1 AS x, lpad(to_hex(i * 7919 % 4294967296), 8, '0') AS h FROM range({n}) r(i)"
        )
        for name, sql in FORMS.items():
            q = translate_statement(sql).statements[-1]
            con.execute(q).fetchall()
            ts = []
            for _ in range(3):
                t0 = time.perf_counter()
                con.execute(q).fetchall()
                ts.append(time.perf_counter() - t0)
            res.setdefault(name, {})[n] = sorted(ts)[1]
    for name, r in res.items():
        e = math.log(r[1_000_000] / r[10_000]) / math.log(100)
        print(f"{name:42s} 10k {r[10_000]:.4f} s  1M {r[1_000_000]:.3f} s  exponent {e:.2f}")


if __name__ == "__main__":
    main()
