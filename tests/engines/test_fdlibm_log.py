"""fdlibm's log and log10 (spark_compat/fdlibm_log.py), Spark's exp, ln, log, log10, log2, asinh, acosh
and atanh on them, bit for bit on hard cases, and the engine's Spark edges for them.

Each expected result was read once from local Spark 4.3 on OpenJDK 17 (a DOUBLE column through
``exp(x)``, ``log(b, x)``...) and is written as ``float.hex`` (``"nan"`` for NaN, None for Spark's
NULL). The cases: each function's edges (±0, ±Infinity, NaN, subnormals, the largest double, the
thresholds of its branches and their neighbours) and, last for each function, inputs where its
result differs from the C library's (CPython's ``math``), so the table fails for an implementation
that is merely accurate. tests/fidelity/test_fdlibm_log.py compares thousands more with Spark.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import duckdb
import pytest

from airflow_idu.engines.duckdb.spark_compat import fdlibm, fdlibm_log
from airflow_idu.engines.duckdb.spark_compat.strict_math import spark_ln, spark_log, spark_log2, spark_log10
from airflow_idu.engines.duckdb.translate import TranslationError, translate_statement
from tests.fdlibm_bits import from_hex, hex_bits, matches_spark, run

PORT: dict[str, Callable[..., float | None]] = {
    "exp": fdlibm.exp,
    "ln": spark_ln,
    "log": spark_log,
    "log10": spark_log10,
    "log2": spark_log2,
    "asinh": fdlibm_log.asinh,
    "acosh": fdlibm_log.acosh,
    "atanh": fdlibm_log.atanh,
}

# (function, arguments as float.hex, Spark's result as float.hex); log's arguments are (base, x)
SPARK = [
    ("exp", ("-0x0.0p+0",), "0x1.0000000000000p+0"),
    ("exp", ("0x1.62e42fefa39efp+9",), "0x1.fffffffffff2ap+1023"),
    ("exp", ("0x1.62e42fefa39f0p+9",), "inf"),
    ("exp", ("-0x1.74910d52d3051p+9",), "0x0.0000000000001p-1022"),
    ("exp", ("-0x1.74910d52d3052p+9",), "0x0.0p+0"),
    ("exp", ("-inf",), "0x0.0p+0"),
    ("exp", ("inf",), "inf"),
    ("exp", ("nan",), "nan"),
    ("exp", ("0x1.0p-29",), "0x1.0000000800000p+0"),
    ("exp", ("-0x1.0p+10",), "0x0.0p+0"),
    ("exp", ("0x1.0p+0",), "0x1.5bf0a8b14576ap+1"),
    ("exp", ("-0x1.a6b14a5a9f668p+6",), "0x1.75bd7cea6074ep-153"),
    ("exp", ("0x1.1a336a6d29b30p+5",), "0x1.dad0751a3b810p+50"),
    ("exp", ("-0x1.28e31ae56ea30p+8",), "0x1.9ad573db94e48p-429"),
    ("exp", ("-0x1.0b5a9ccf34b47p+9",), "0x1.7e8fd6c2725e8p-772"),
    ("ln", ("0x0.0p+0",), None),
    ("ln", ("-0x0.0p+0",), None),
    ("ln", ("-0x1.0p+0",), None),
    ("ln", ("0x0.0000000000001p-1022",), "-0x1.74385446d71c3p+9"),
    ("ln", ("0x1.0p+0",), "0x0.0p+0"),
    ("ln", ("0x1.fffffffffffffp-1",), "-0x1.0000000000000p-53"),
    ("ln", ("0x1.0000000000001p+0",), "0x1.fffffffffffffp-53"),
    ("ln", ("inf",), "inf"),
    ("ln", ("nan",), "nan"),
    ("ln", ("0x1.fffffffffffffp+1023",), "0x1.62e42fefa39efp+9"),
    ("ln", ("0x1.5bf0a8b145769p+1",), "0x1.0000000000000p+0"),
    ("ln", ("0x1.73ff9d367d4f7p-479",), "-0x1.4ba4cf3bbf1a4p+8"),
    ("ln", ("0x1.7398428449339p+3",), "0x1.39dd5d609c736p+1"),
    ("ln", ("0x1.9cc6cf161b23cp+3",), "0x1.47515de5fa6b0p+1"),
    ("ln", ("0x1.2f9cfbc7d2f48p-4",), "-0x1.4d0eb739d8222p+1"),
    ("log10", ("0x1.0p+0",), "0x0.0p+0"),
    ("log10", ("0x1.f400000000000p+9",), "0x1.8000000000000p+1"),
    ("log10", ("0x1.0f0cf064dd592p+73",), "0x1.6000000000000p+4"),
    ("log10", ("0x0.0000000000001p-1022",), "-0x1.434e6420f4374p+8"),
    ("log10", ("-0x1.0p+0",), None),
    ("log10", ("0x0.0p+0",), None),
    ("log10", ("inf",), "inf"),
    ("log10", ("nan",), "nan"),
    ("log10", ("0x1.999999999999ap-4",), "-0x1.0000000000000p+0"),
    ("log10", ("0x1.0000000000001p+0",), "0x1.bcb7b1526e50dp-54"),
    ("log10", ("0x1.3ee47c256a057p+0",), "0x1.86c6ba8e05001p-4"),
    ("log10", ("0x1.4f95f3ca1297ep-1",), "-0x1.77bd41dd7effep-3"),
    ("log10", ("0x1.95d281b13b018p+0",), "0x1.99cbe5917c801p-3"),
    ("log10", ("0x1.447c5d78affd3p+0",), "0x1.a5b4e90275ffep-4"),
    ("log2", ("0x1.0p+0",), "0x0.0p+0"),
    ("log2", ("0x1.0p+3",), "0x1.8000000000000p+1"),
    ("log2", ("0x1.0p-1074",), "-0x1.0c80000000000p+10"),
    ("log2", ("0x1.0p+1023",), "0x1.ff80000000001p+9"),
    ("log2", ("0x1.8p+1",), "0x1.95c01a39fbd68p+0"),
    ("log2", ("-0x0.0p+0",), None),
    ("log2", ("inf",), "inf"),
    ("log2", ("nan",), "nan"),
    ("log2", ("0x1.0000000000001p+0",), "0x1.71547652b82fep-52"),
    ("log2", ("0x1.536b01b68aefcp+19",), "0x1.3682bdc0ca85cp+4"),
    ("log2", ("0x1.ae9a9c6b16edap-98",), "-0x1.84ffc6eba784ep+6"),
    ("log2", ("0x1.7dd7aa5fd4242p+350",), "0x1.5e93ab5ef70ccp+8"),
    ("log2", ("0x1.4fedfaadbf433p+7",), "0x1.d916c6aa9e4b9p+2"),
    ("asinh", ("-0x0.0p+0",), "-0x0.0p+0"),
    ("asinh", ("0x1.0p-28",), "0x1.0000000000000p-28"),
    ("asinh", ("0x1.fffffffffffffp-29",), "0x1.fffffffffffffp-29"),
    ("asinh", ("0x1.0p+28",), "0x1.419ecb712c481p+4"),
    ("asinh", ("0x1.0000000000001p+28",), "0x1.419ecb712c480p+4"),
    ("asinh", ("0x1.0p+1",), "0x1.719218313d087p+0"),
    ("asinh", ("0x1.0000000000001p+1",), "0x1.719218313d088p+0"),
    ("asinh", ("-inf",), "-inf"),
    ("asinh", ("nan",), "nan"),
    ("asinh", ("-0x1.fffffffffffffp+1023",), "-0x1.633ce8fb9f87dp+9"),
    ("asinh", ("0x0.0000000000001p-1022",), "0x0.0000000000001p-1022"),
    ("asinh", ("0x1.b0f5e538c2266p+5",), "0x1.2bcdd325a6de6p+2"),
    ("asinh", ("-0x1.b300f430e6be0p+3",), "-0x1.a6ed45eb16f8cp+1"),
    ("asinh", ("-0x1.5fdcf063a0b54p+16",), "-0x1.834008b019146p+3"),
    ("asinh", ("0x1.5d12a4ebefcaep+3",), "0x1.8ada4605b5d74p+1"),
    ("acosh", ("0x1.0p+0",), "0x0.0p+0"),
    ("acosh", ("0x1.fffffffffffffp-1",), "nan"),
    ("acosh", ("0x1.0000000000001p+0",), "0x1.6a09e667f3bcdp-26"),
    ("acosh", ("0x1.0p+1",), "0x1.5124271980434p+0"),
    ("acosh", ("0x1.0000000000001p+1",), "0x1.5124271980436p+0"),
    ("acosh", ("0x1.0p+28",), "0x1.419ecb712c480p+4"),
    ("acosh", ("0x1.fffffffffffffp+27",), "0x1.419ecb712c481p+4"),
    ("acosh", ("inf",), "inf"),
    ("acosh", ("-inf",), "nan"),
    ("acosh", ("nan",), "nan"),
    ("acosh", ("0x0.0p+0",), "nan"),
    ("acosh", ("0x1.fffffffffffffp+1023",), "0x1.633ce8fb9f87dp+9"),
    ("acosh", ("0x1.75871e9e1f289p+1",), "0x1.bbbe018c112d0p+0"),
    ("acosh", ("0x1.8423b6a6fe324p+12",), "0x1.2daacf2253dd2p+3"),
    ("acosh", ("0x1.6137f1a6907e7p+19",), "0x1.c5ea510c81650p+3"),
    ("acosh", ("0x1.921db1739bee8p+3",), "0x1.9c7d017fa7516p+1"),
    ("atanh", ("0x1.0p+0",), "inf"),
    ("atanh", ("-0x1.0p+0",), "-inf"),
    ("atanh", ("0x1.0p+1",), "nan"),
    ("atanh", ("-0x0.0p+0",), "-0x0.0p+0"),
    ("atanh", ("0x1.fffffffffffffp-1",), "0x1.2b708872320e2p+4"),
    ("atanh", ("-0x1.fffffffffffffp-1",), "-0x1.2b708872320e2p+4"),
    ("atanh", ("0x1.0p-30",), "0x1.0000000000000p-30"),
    ("atanh", ("nan",), "nan"),
    ("atanh", ("inf",), "nan"),
    ("atanh", ("0x0.0000000000001p-1022",), "0x0.0000000000001p-1022"),
    ("atanh", ("0x1.5f123c33b80d4p-2",), "0x1.6de2d8d59c5f2p-2"),
    ("atanh", ("0x1.e10e0acb2412ep-1",), "0x1.bbfa1772ee412p+0"),
    ("atanh", ("0x1.3212ef20c5244p-2",), "0x1.3bb60bc9a06bep-2"),
    ("atanh", ("-0x1.c92ca638898d0p-4",), "-0x1.cb1652f1e6d8ep-4"),
    ("log", ("0x1.0p+1", "0x1.0p+3"), "0x1.8000000000000p+1"),
    ("log", ("0x1.0p+0", "0x1.0p+1"), "inf"),
    ("log", ("0x1.0p+0", "0x1.0p+0"), "nan"),
    ("log", ("0x1.0p+0", "0x1.0p-1"), "-inf"),
    ("log", ("0x1.4p+3", "0x1.f4p+9"), "0x1.7ffffffffffffp+1"),
    ("log", ("0x1.4p+3", "0x1.86ap+16"), "0x1.4000000000000p+2"),
    ("log", ("-0x1.0p+1", "0x1.0p+3"), None),
    ("log", ("0x1.0p+1", "0x0.0p+0"), None),
    ("log", ("0x0.0p+0", "0x1.0p+1"), None),
    ("log", ("nan", "0x1.0p+1"), "nan"),
    ("log", ("0x1.0p+1", "nan"), "nan"),
    ("log", ("inf", "0x1.0p+1"), "0x0.0p+0"),
    ("log", ("0x1.0p+1", "inf"), "inf"),
    ("log", ("0x1.8p+1", "0x1.bp+4"), "0x1.8000000000001p+1"),
    ("log", ("0x1.0p-1074", "0x1.0p-1074"), "0x1.0000000000000p+0"),
    ("log", ("0x1.0p+0", "nan"), "nan"),
]


@pytest.mark.parametrize(
    ("name", "args", "expected"),
    SPARK,
    ids=[f"{n}({', '.join(a)})" for n, a, _ in SPARK],
)
def test_port_gives_spark_s_bits(name: str, args: tuple[str, ...], expected: str | None) -> None:
    assert hex_bits(PORT[name](*map(from_hex, args))) == (
        None if expected is None else hex_bits(from_hex(expected))
    )


def test_log_of_e_is_one() -> None:
    """Spark's one-argument log is Logarithm(E, x): its generated code runs log(x), its interpreted
    eval log(x) / log(Math.E); the same value because fdlibm's log(Math.E) is exactly 1.0."""
    assert fdlibm_log.log(math.e) == 1.0


@pytest.mark.parametrize(
    ("spark_sql", "expected"),
    [
        ("ln(0)", None),  # Spark: NULL at and below 0, not -Infinity or NaN
        ("ln(CAST('-0.0' AS DOUBLE))", None),
        ("log(-1)", None),
        ("log10(0)", None),
        ("log2(-8)", None),
        ("log(0, 8)", None),  # a base <= 0: NULL too
        ("log(2, 0)", None),
        ("log(1, 5)", "inf"),  # log(5) / log(1) = x / 0.0
        ("log(1, 1)", "nan"),
        ("log(CAST('NaN' AS DOUBLE), 2)", "nan"),
        ("log10(1000)", "0x1.8000000000000p+1"),  # StrictMath.log10: exactly 3
        ("log(10, 1000)", "0x1.7ffffffffffffp+1"),  # log(1000) / log(10): not log10's value
        ("LOG10 (1000)", "0x1.8000000000000p+1"),
        ("log2(8)", "0x1.8000000000000p+1"),
        ("log(CAST('2.718281828459045' AS DOUBLE))", "0x1.0000000000000p+0"),
        ("exp(1)", "0x1.5bf0a8b14576ap+1"),
        ("exp(1000)", "inf"),
        ("exp(CAST('-Infinity' AS DOUBLE))", "0x0.0p+0"),
        ("asinh(CAST('-0.0' AS DOUBLE))", "-0x0.0p+0"),
        ("acosh(0)", "nan"),  # Spark: NaN below 1, not NULL
        ("acosh(1)", "0x0.0p+0"),
        ("atanh(1)", "inf"),
        ("atanh(-1)", "-inf"),
        ("atanh(2)", "nan"),
        ("ln(NULL)", None),
        ("log(NULL, 2)", None),
        ("log(2, NULL)", None),
        ("exp(CAST(1 AS BIGINT))", fdlibm.exp(1.0).hex()),
        ("log10(log10(1e10))", "0x1.0000000000000p+0"),
    ],
)
def test_engine_gives_spark_s_edges(
    con: duckdb.DuckDBPyConnection, spark_sql: str, expected: str | None
) -> None:
    assert matches_spark(run(con, spark_sql), expected)


@pytest.mark.parametrize(
    "spark_sql",
    ["ln('2')", "exp(true)", "log10(CAST(1 AS DECIMAL(20, 2)))", "log(2, 9223372036854775808)"],
    ids=["string", "boolean", "wide-decimal", "hugeint"],
)
def test_engine_refuses_arguments_it_cannot_cast_as_spark(
    con: duckdb.DuckDBPyConnection, spark_sql: str
) -> None:
    with pytest.raises(duckdb.Error, match=r"\[IDU_REFUSED\] \w+ of a .* value"):
        run(con, spark_sql)


@pytest.mark.parametrize("spark_sql", ["log10(1, 2)", "log2()", "log2(1, 2)", "tan(1)", "csc(1)"])
def test_other_forms_stay_refused(spark_sql: str) -> None:
    """sqlglot keeps only log10's and log2's first argument: the text is checked; sin, cos, tan, cot,
    sec, csc are HotSpot intrinsics, not fdlibm."""
    with pytest.raises(TranslationError):
        translate_statement(f"SELECT {spark_sql}")
