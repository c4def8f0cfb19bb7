"""from_csv with literal flat schemas on local Spark and on the embedded engine.

Hand-picked records (each conversion's edges: blanks, signs, suffixes, NaN/Inf spellings, ranges,
missing and extra fields) and generated ones; where the engine reads the record (it refuses some
when run), its row equals Spark's. Doubles compared through ``float.hex``.
"""

from __future__ import annotations

import random
from typing import Any

import duckdb
import pytest

from airflow_idu.engines.duckdb.spark_compat.csv_reading import from_csv_text
from airflow_idu.engines.duckdb.translate import translate_statement
from tests.fidelity.values import bits

pytestmark = pytest.mark.spark

SCHEMAS = ["a INT, b DOUBLE", "s STRING, n BIGINT, f BOOLEAN, d DOUBLE"]
TEXTS = [
    "1, 0.8", "", " ", "abc", "123", "1,2,3", "x,2,3", "a,b,,c;d", " 42 ", "+42,+1", "1,NaN", "1,Inf", "1,-Inf",
    "1,Infinity", "1,1d", "1,1e5", "1, 2 ", "2147483648,.5", ",", "1,", "1,nan", "01,5.", "x y,z", " x , y ",
    "true,FALSE", "yes,1", "9223372036854775807,9223372036854775808", "x\ty", "#x,y", "1,٣", "-0,-0", "1,-0.0",
    "1,1e400", "1,Infinityx", "1,+Infinity", "1,-NaN", "1,1.5f", "1,1E-3D", "1,+.5e+2", "1,- 1", "1,inf",
    "-2147483648,-1e-400", "x,9223372036854775807,TRUE,Inf", ",,,", "é,-9223372036854775808,tRuE,-Inf ",
    "1,\t2\t", "1,1.0.0", "1,e5", "1,1e", "1,NaNd",
]  # fmt: skip


def _generated(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    fields = ["1", "-7", "+3", "2147483648", "9223372036854775808", "0.5", "1e3", "-0.0", "NaN", "Inf", "-Inf",
              "Infinity", "x", "", " ", "true", "FALSE", "1d", ".5", "5.", " 2 ", "00", "1e-5f", "abc def"]  # fmt: skip
    return [",".join(rng.choice(fields) for _ in range(rng.randint(0, 6))) for _ in range(count)]


ALL_TEXTS = TEXTS + _generated(200, seed=13)


def _reads(text: str, schema: str) -> bool:
    try:
        from_csv_text(text, schema)
    except ValueError:
        return False
    return True


@pytest.mark.parametrize("schema", SCHEMAS)
def test_from_csv_matches_spark(spark: Any, engine: duckdb.DuckDBPyConnection, schema: str) -> None:
    rows = [(n, t) for n, t in enumerate(ALL_TEXTS) if _reads(t, schema)]
    assert len(rows) >= len(ALL_TEXTS) - 3
    spark.createDataFrame(rows, schema="i INT, x STRING").createOrReplaceTempView("csv_in")
    want = {r[0]: bits(r[1]) for r in spark.sql(f"SELECT i, from_csv(x, '{schema}') FROM csv_in").collect()}
    engine.execute("CREATE OR REPLACE TEMP TABLE csv_in (i INTEGER, x VARCHAR)")
    engine.executemany("INSERT INTO csv_in VALUES (?, ?)", rows)
    sql = translate_statement(f"SELECT i, from_csv(x, '{schema}') FROM csv_in").statements[-1]
    got = {i: bits(v) for i, v in engine.execute(sql).fetchall()}
    bad = [(ALL_TEXTS[i], want[i], got[i]) for i, _ in rows if want[i] != got[i]]
    assert not bad, bad[:3]
