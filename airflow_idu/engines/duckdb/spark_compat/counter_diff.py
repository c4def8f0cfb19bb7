"""Spark's ``counter_diff(value[, start_time]) OVER (PARTITION BY ... ORDER BY ...)`` window function.

Spark's ``CounterDiff``/``CounterDiffWithStartTime`` (``CounterDiff.scala``, 4.3) is an
``AggregateWindowFunction``: its frame is ROWS UNBOUNDED PRECEDING to CURRENT ROW, and its buffer
keeps the last non-NULL counter of an earlier row (with that row's start time). For each row:
NULL counter -> NULL; a negative counter raises; with a start time, one earlier than the previous
start time raises and a later one (a restart) gives NULL; a counter below the previous one (a
reset) gives NULL; otherwise the difference, in the counter's type (no previous counter: NULL).
Comparisons with a NULL are not true, as in Spark's ``If``. So here: the previous (counter, start)
pair is ``last_value`` of the rows with a counter, IGNORE NULLS, over ROWS UNBOUNDED PRECEDING to
1 PRECEDING of the same window; NaN compares above every number in both engines.

Refused: a window frame of its own or no ORDER BY (Spark rejects both), counter_diff outside a
window; when run, a counter that is not an integer, FLOAT or DOUBLE (Spark's DECIMAL difference
keeps the counter's type, DuckDB's is one digit wider) and a start time that is not a TIMESTAMP.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlglot import exp

from airflow_idu.engines.duckdb.spark_compat.gates import gated
from airflow_idu.engines.duckdb.spark_compat.nodes import call as _call
from airflow_idu.engines.duckdb.spark_compat.nodes import macro as _macro
from airflow_idu.engines.duckdb.spark_compat.nodes import replace_each

__all__ = ["ANONYMOUS", "CHECKS", "COUNTER_DIFF_MACROS", "FUNCTIONS", "anonymous_check", "counter_diffs"]

_NAME = "counter_diff"


def anonymous_check(node: exp.Anonymous) -> str | None:
    window = node.parent
    if not isinstance(window, exp.Window) or window.this is not node:
        return "counter_diff outside an OVER (...) window"
    if len(node.expressions) not in (1, 2):
        return f"counter_diff with {len(node.expressions)} arguments"
    if window.args.get("spec") is not None or window.args.get("order") is None:
        return "counter_diff needs OVER (... ORDER BY ...) without a frame of its own"
    return None


def _previous(window: exp.Window, pair: exp.Expr, counter: exp.Expr) -> exp.Expr:
    """The (counter, start) pair of the last earlier row with a counter, in the same window."""
    kept = exp.Case(
        ifs=[exp.If(this=exp.Not(this=exp.Is(this=counter.copy(), expression=exp.Null())), true=pair)]
    )
    spec = exp.WindowSpec(
        kind="ROWS",
        start="UNBOUNDED",
        start_side="PRECEDING",
        end=exp.Literal.number(1),
        end_side="PRECEDING",
    )
    return exp.Window(
        this=exp.IgnoreNulls(this=exp.LastValue(this=kept)),
        partition_by=[p.copy() for p in window.args.get("partition_by") or []],
        order=window.args["order"].copy(),
        spec=spec,
        over="OVER",
    )


def _error(what: str, value: exp.Expr) -> exp.Expr:
    text = exp.DPipe(
        this=exp.Literal.string(what), expression=exp.Cast(this=value, to=exp.DataType.build("VARCHAR"))
    )
    return _call("error", text)


def _build(window: exp.Expr) -> exp.Expr:
    """The row's value, the previous pair inlined (DuckDB fails on a window passed to a macro)."""
    assert isinstance(window, exp.Window)
    args = window.this.expressions
    c = _call("idu_counter_value", args[0].copy())
    s = _call("idu_counter_start", args[1].copy()) if len(args) == 2 else exp.Null()
    pair = _call("struct_pack", exp.PropertyEQ(this=exp.to_identifier("c"), expression=c.copy()),
                 exp.PropertyEQ(this=exp.to_identifier("s"), expression=s.copy()))  # fmt: skip
    previous = _previous(window, pair, c)

    def prev(field: str) -> exp.Expr:
        return _call("struct_extract", previous.copy(), exp.Literal.string(field))

    negative = "[COUNTER_DIFF_NEGATIVE_COUNTER_VALUE] counter_diff of a negative counter: "
    decreased = "[COUNTER_DIFF_START_TIME_DECREASED] counter_diff: the start time decreased to "
    ifs = [
        exp.If(this=exp.Is(this=c.copy(), expression=exp.Null()), true=exp.Null()),
        exp.If(this=exp.LT(this=c.copy(), expression=exp.Literal.number(0)), true=_error(negative, c.copy())),
        exp.If(this=exp.LT(this=s.copy(), expression=prev("s")), true=_error(decreased, s.copy())),
        exp.If(
            this=exp.Or(
                this=exp.LT(this=prev("s"), expression=s.copy()),
                expression=exp.LT(this=c.copy(), expression=prev("c")),
            ),
            true=exp.Null(),
        ),
    ]
    return exp.Paren(this=exp.Case(ifs=ifs, default=exp.Sub(this=c.copy(), expression=prev("c"))))


@gated(names=(_NAME,))
def counter_diffs(tree: exp.Expr) -> exp.Expr:
    """counter_diff(...) OVER (...): the previous pair by ``last_value``, the row's value by a macro."""
    nodes = [
        n for n in tree.find_all(exp.Window)
        if isinstance(n.this, exp.Anonymous) and n.this.name.lower() == _NAME
    ]  # fmt: skip
    return replace_each(tree, nodes, _build)


FUNCTIONS: frozenset[type[exp.Expr]] = frozenset()
CHECKS: dict[type[exp.Expr], Callable[[exp.Expr], str | None]] = {}
ANONYMOUS: dict[str, Callable[[list[exp.Expr]], exp.Expr]] = {_NAME: lambda a: _call(_NAME, *a)}

_NUMERIC = "('TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT', 'FLOAT', 'DOUBLE')"
COUNTER_DIFF_MACROS: tuple[str, ...] = (
    _macro(
        "idu_counter_value(c)",
        f"CASE WHEN typeof(c) IN {_NUMERIC} THEN c ELSE error('[IDU_REFUSED] counter_diff of a ' || typeof(c) || "
        "' counter: only integers, FLOAT and DOUBLE (Spark keeps a DECIMAL counter''s type, DuckDB widens the "
        "difference); CAST it to BIGINT or DOUBLE') END",
    ),
    _macro(
        "idu_counter_start(s)",
        "CASE WHEN typeof(s) IN ('TIMESTAMP', 'TIMESTAMP WITH TIME ZONE') THEN CAST(s AS TIMESTAMP) "
        "ELSE error('[IDU_REFUSED] counter_diff with a start time of type ' || typeof(s) || "
        "': only a TIMESTAMP') END",
    ),
)
