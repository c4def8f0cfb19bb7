"""Why the embedded engine refuses some Spark functions that DuckDB also has.

:mod:`.allowed` names these reasons instead of a bare "not supported": each was run on Spark and
DuckDB over the function inventory's inputs (tests/fidelity/test_functions.py), or differs by
definition, and giving DuckDB's value would be a silent difference.
"""

from __future__ import annotations

from sqlglot import exp

from airflow_idu.engines.duckdb.spark_compat import spark_only
from airflow_idu.engines.duckdb.spark_compat.approximate import SPARK_NAMES
from airflow_idu.engines.duckdb.spark_compat.vector_functions import REASONS as VECTOR_REASONS

__all__ = ["ANONYMOUS_REASONS", "REASONS", "construct_name", "node_line"]

_MOMENTS = (
    "floating-point moments: Spark updates them row by row in its partitions' order (Welford's "
    "update), DuckDB with another update formula, so the last bits differ (var_pop over the inputs' "
    "INT column: 335694.2222222222 on Spark, 335694.22222222225 on DuckDB) and Spark's own value "
    "depends on the row order"
)
_COMOMENTS = (
    "floating-point co-moments: Spark updates them row by row in its partitions' order, DuckDB with "
    "another formula, so the last bits differ (corr(i, i) is 1.0 on Spark, 1.0000000000000002 on "
    "DuckDB; covar_samp(n, i) 12891278094.8 and 12891278094.800003)"
)
_SHAPE = (
    "DuckDB's kurtosis/skewness are the sample-corrected statistics, Spark's the population ones "
    "(kurtosis of one group: -0.5 on Spark, 2.0 on DuckDB)"
)
_LIBM = (
    "Java's Math (or StrictMath) and DuckDB's C library are not correctly rounded and may differ in "
    "the last bit; only sqrt (correctly rounded in both) and pow with exact integer results run"
)

REASONS: dict[type[exp.Expr], str] = {
    **dict.fromkeys((exp.Stddev, exp.StddevPop, exp.StddevSamp, exp.Variance, exp.VariancePop), _MOMENTS),
    **dict.fromkeys((exp.Corr, exp.CovarPop, exp.CovarSamp), _COMOMENTS),
    **dict.fromkeys((exp.Kurtosis, exp.Skewness), _SHAPE),
    **dict.fromkeys(
        (
            exp.Sin,
            exp.Cos,
            exp.Tan,
            exp.Cot,
            exp.Sec,
            exp.Csc,
        ),
        _LIBM,
    ),
    **spark_only.TYPE_REASONS,
}

# functions sqlglot does not model
# (expm1, log1p, hypot and log10, like asin, atan2, cbrt, sinh, exp, ln..., are fdlibm: spark_compat/strict_math.py)
ANONYMOUS_REASONS: dict[str, str] = {"std": _MOMENTS, **VECTOR_REASONS, **spark_only.ANONYMOUS_REASONS}


# Spark's names of nodes sqlglot names otherwise
_SPARK_NAMES: dict[type[exp.Expr], str] = {**SPARK_NAMES, exp.ArgMax: "max_by", exp.ArgMin: "min_by"}


def construct_name(node: exp.Expr, code: str) -> str:
    """The construct as written: a function's name from the source text, else the SQL keyword."""
    meta = node.meta if isinstance(node, exp.Func) else {}
    if "start" in meta and "end" in meta:
        return code[meta["start"] : meta["end"] + 1]
    if isinstance(node, exp.Anonymous):
        return node.name
    if isinstance(node, exp.Func):
        return _SPARK_NAMES.get(type(node)) or node.sql_name().lower()
    return node.key.upper().replace("_", " ")


def node_line(node: exp.Expr) -> int | None:
    """The source line of the node, or of the nearest node inside or around it that kept one."""
    for candidate in (node, *node.walk()):
        line = candidate.meta.get("line") if candidate.meta else None
        if line is not None:
            return int(line)
    parent = node.parent
    while parent is not None:
        if parent.meta and parent.meta.get("line") is not None:
            return int(parent.meta["line"])
        parent = parent.parent
    return None
