"""Spark's ``histogram_numeric(x, nb)`` in the range where its result is exact.

Spark's ``HistogramNumeric`` keeps a ``NumericHistogram`` per partition: ``add`` puts each non-NULL
value (as a DOUBLE) in the bin of an equal ``x`` or a new bin, and merges the two closest bins
while there are more than ``nb``; ``merge`` of two partitions' histograms concatenates their bins,
sorts them by ``x`` and trims the same way. So a value seen in two partitions comes out as two bins
of the same ``x`` (local Spark: ``histogram_numeric(id % 2, 5)`` over 4 partitions answers
``[(0, 2.0), (0, 2.0), (1, 2.0), (1, 2.0)]``), and trimming depends on the order of the merges.
The result is a function of the values alone only while they are all distinct and at most ``nb``:
then it is each value with ``y = 1.0``, sorted by value, whatever the partitions; NULL without
values. A group with a repeated value or more than ``nb`` values is refused when run.

``x`` goes through DOUBLE and back to the input's type, which is exact for integers and
TIMESTAMPs (microseconds) up to 2^53 in magnitude, DATEs, FLOATs, DOUBLEs and DECIMALs of up to
15 digits; anything else is refused when run, and so is a DOUBLE group holding NaN or both 0.0
and -0.0 (Spark's bins compare them with ``==``).
"""

from __future__ import annotations

from collections.abc import Callable

from sqlglot import exp

from airflow_idu.engines.duckdb.spark_compat.gates import gated
from airflow_idu.engines.duckdb.spark_compat.nodes import call as _call
from airflow_idu.engines.duckdb.spark_compat.nodes import macro as _macro
from airflow_idu.engines.duckdb.spark_compat.nodes import replace_each

__all__ = ["ANONYMOUS", "CHECKS", "FUNCTIONS", "HISTOGRAM_MACROS", "anonymous_check", "histogram_numeric"]

_NAME = "histogram_numeric"
_INT_MAX = 2147483647
ANONYMOUS: frozenset[str] = frozenset({_NAME})
CHECKS: dict[type[exp.Expr], Callable[[exp.Expr], str | None]] = {}
FUNCTIONS: frozenset[type[exp.Expr]] = frozenset()


def _bins(node: exp.Anonymous) -> int | None:
    args = node.expressions
    given = args[1] if len(args) == 2 else None
    if isinstance(given, exp.Literal) and not given.is_string and given.this.isdigit():
        value = int(given.this)
        return value if 2 <= value <= _INT_MAX else None
    return None


def anonymous_check(node: exp.Anonymous) -> str | None:
    if node.name.lower() != _NAME:
        return None
    if isinstance(node.parent, exp.Window):
        return "histogram_numeric as a window function"
    if len(node.expressions) != 2 or _bins(node) is None:
        return "histogram_numeric with a bin count other than an integer literal between 2 and 2147483647"
    return None


@gated(names=(_NAME,))
def histogram_numeric(tree: exp.Expr) -> exp.Expr:
    """Rewrite histogram_numeric into the macro below."""
    nodes = [n for n in tree.find_all(exp.Anonymous) if n.name.lower() == _NAME]

    def build(node: exp.Expr) -> exp.Expr:
        assert isinstance(node, exp.Anonymous)
        bins = _bins(node)
        assert bins is not None  # checked in allowed.py
        return _call("idu_histogram_numeric", node.expressions[0].copy(), exp.Literal.number(bins))

    return replace_each(tree, reversed(nodes), build)


_REFUSED = "error('[IDU_REFUSED] histogram_numeric' || "
_TYPES = "('TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT', 'FLOAT', 'DOUBLE', 'DATE', 'TIMESTAMP')"
_PRECISION = "CAST(regexp_extract(typeof(any_value(x)), 'DECIMAL\\((\\d+),', 1) AS INTEGER)"

HISTOGRAM_MACROS: tuple[str, ...] = (
    _macro(
        "idu_histogram_numeric(x, nb)",
        f"CASE WHEN count(x) > nb THEN {_REFUSED}' over ' || count(x) || ' values with ' || nb || ' bins: Spark "
        "merges bins in an order that depends on its partitions. Use count(*) ... GROUP BY x for an exact "
        f"histogram, or more bins') WHEN count(DISTINCT x) < count(x) THEN {_REFUSED}' of a repeated value: "
        "Spark keeps one bin of it per partition that saw it (the bins depend on its partitions). Use count(*) "
        f"... GROUP BY x for an exact histogram') WHEN typeof(any_value(x)) NOT IN {_TYPES} AND NOT "
        f"(typeof(any_value(x)) LIKE 'DECIMAL(%' AND {_PRECISION} <= 15) THEN {_REFUSED}' of a ' || "
        "typeof(any_value(x)) || ' value: only integers, FLOAT, DOUBLE, DATE, TIMESTAMP and DECIMALs of up to "
        f"15 digits go through Spark''s DOUBLE exactly') WHEN bool_or(idu_pa_mark(x) = 'big') THEN {_REFUSED}' "
        "of a BIGINT or TIMESTAMP beyond 2^53 in magnitude (Spark rounds it to a DOUBLE)') WHEN "
        "bool_or(idu_pa_mark(x) = 'nan') OR (bool_or(idu_pa_mark(x) = '-0') AND bool_or(idu_pa_mark(x) = '+0')) "
        f"THEN {_REFUSED}' of DOUBLEs holding NaN, or both 0.0 and -0.0 (Spark''s bins compare them with ==)') "
        "WHEN count(x) = 0 THEN NULL ELSE list_transform(list_sort(list(x) FILTER (WHERE x IS NOT NULL)), "
        "lambda idu_v: {'x': idu_v, 'y': CAST(1.0 AS DOUBLE)}) END",
    ),
)
