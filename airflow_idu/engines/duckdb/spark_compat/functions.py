"""Spark functions identity SQL uses, given Spark's exact result (or refused per row).

* ``initcap``: Java's lower case, then each space-separated word's first character upper
  case; strings holding a title-case digraph (``ǅ``: title case differs from upper case)
  are refused;
* ``split_part``: 1-based, negative from the end, '' out of range, 0 raises; an empty
  delimiter gives the whole string as part 1 or -1;
* ``floor`` / ``ceil`` of integers and doubles: BIGINT (a double beyond BIGINT, NaN or an
  infinity is refused); of a DECIMAL, or with a scale: refused;
* ``array_union`` / ``array_except`` / ``arrays_overlap``: n log n (sorting) or linear
  (hashing), first occurrences in the first array's order, Spark's NULL rules;
* ``sequence(start, stop[, step])`` of integers: inclusive, step 1 or -1 by default, a step
  of the wrong sign or 0 raises;
* ``levenshtein`` over code points, with Spark's threshold (-1 beyond it);
* ``try_cast`` to an integer type: NULL for a fractional or malformed string (DuckDB would
  round it), fractions truncated.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlglot import exp

from airflow_idu.engines.duckdb.spark_compat.gates import gated
from airflow_idu.engines.duckdb.spark_compat.nodes import call as _call
from airflow_idu.engines.duckdb.spark_compat.nodes import macro as _macro
from airflow_idu.engines.duckdb.spark_compat.nodes import replace_each

__all__ = ["ANONYMOUS", "CHECKS", "FUNCTIONS", "FUNCTION_MACROS", "spark_functions"]

FUNCTIONS: frozenset[type[exp.Expr]] = frozenset({
    exp.Initcap, exp.SplitPart, exp.Floor, exp.Ceil, exp.ArrayExcept, exp.GenerateSeries, exp.Levenshtein,
})  # fmt: skip
ANONYMOUS = frozenset({"arrays_overlap", "array_union"})
_INTS = "('TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT')"
_TRY_INTEGRAL = {
    exp.DataType.Type.BIGINT: "BIGINT",
    exp.DataType.Type.INT: "INTEGER",
    exp.DataType.Type.SMALLINT: "SMALLINT",
    exp.DataType.Type.TINYINT: "TINYINT",
}


def _rounding(node: exp.Expr) -> str | None:
    if node.args.get("decimals") is not None or node.args.get("to") is not None:
        return "floor/ceil with a scale (Spark keeps a DECIMAL of its own precision)"
    return None


def _levenshtein_check(node: exp.Expr) -> str | None:
    if node.args.get("expression") is None or any(
        node.args.get(k) for k in ("del_cost", "sub_cost", "max_dist")
    ):
        return "levenshtein with other than two strings and a threshold"
    return None


CHECKS: dict[type[exp.Expr], Callable[[exp.Expr], str | None]] = {
    exp.Levenshtein: _levenshtein_check,
    exp.GenerateSeries: lambda n: _sequence_check(n),
    exp.Floor: _rounding,
    exp.Ceil: _rounding,
}


def _int(node: exp.Expr) -> exp.Expr:
    """An INT argument: Spark casts a BIGINT to INT (ANSI: beyond INT fails)."""
    return node if isinstance(node, exp.Literal | exp.Neg) else _call("idu_to_integer", node)


def _sequence_check(node: exp.Expr) -> str | None:
    dated = (
        exp.Interval,
        exp.TsOrDsToDate,
        exp.StrToDate,
        exp.StrToTime,
        exp.CurrentDate,
        exp.CurrentTimestamp,
    )
    for key in ("start", "end", "step"):
        arg = node.args.get(key)
        if isinstance(arg, dated) or (
            isinstance(arg, exp.Cast) and arg.to.is_type(*exp.DataType.TEMPORAL_TYPES)
        ):
            return "sequence of dates or timestamps (only integer sequences run on DuckDB)"
    return None


def _try_cast(node: exp.Expr) -> exp.Expr:
    assert isinstance(node, exp.Cast)
    name = _TRY_INTEGRAL.get(node.to.this)
    return _call(f"idu_try_to_{name.lower()}", node.this.copy()) if name else node


def _sequence(node: exp.Expr) -> exp.Expr:
    start, end, step = node.args["start"], node.args["end"], node.args.get("step")
    if step is None:
        return _call("idu_sequence", start.copy(), end.copy())
    return _call("idu_sequence_step", start.copy(), end.copy(), step.copy())


def _levenshtein(node: exp.Expr) -> exp.Expr:
    """Spark's levenshtein(a, b[, threshold]) (sqlglot reads the threshold as an insertion cost)."""
    texts = [_call("idu_text", node.args[k].copy()) for k in ("this", "expression")]
    threshold = node.args.get("ins_cost")
    distance = exp.Cast(this=_call("levenshtein", *texts), to=exp.DataType.build("INT"))
    if threshold is None:
        return distance
    return _call("idu_levenshtein", distance, _int(threshold.copy()))


def _anonymous(node: exp.Expr) -> exp.Expr:
    name = node.name.lower()
    if name in ANONYMOUS and len(node.expressions) == 2:
        return _call(f"idu_{name}", *(a.copy() for a in node.expressions))
    return node


_BUILD: dict[type[exp.Expr], Callable[[exp.Expr], exp.Expr]] = {
    exp.Initcap: lambda n: _call("idu_initcap", n.this.copy()),
    exp.SplitPart: lambda n: _call(
        "idu_split_part", n.this.copy(), n.args["delimiter"].copy(), _int(n.args["part_index"].copy())
    ),
    exp.Floor: lambda n: _call("idu_floor", n.this.copy()),
    exp.Ceil: lambda n: _call("idu_ceil", n.this.copy()),
    exp.ArrayExcept: lambda n: _call("idu_array_except", n.this.copy(), n.expression.copy()),
    exp.GenerateSeries: _sequence,
    exp.Levenshtein: _levenshtein,
    exp.TryCast: _try_cast,
    exp.Anonymous: _anonymous,
}


@gated(types=_BUILD)
def spark_functions(tree: exp.Expr) -> exp.Expr:
    """Rewrite the functions above to their macros (innermost first)."""
    nodes = [n for n in tree.find_all(*_BUILD) if type(n) in _BUILD]
    return replace_each(tree, reversed(nodes), lambda n: _BUILD[type(n)](n))


def _whole(name: str, fn: str) -> str:
    """floor/ceil of an integer or a double as Spark's BIGINT."""
    return _macro(
        f"{name}(x)",
        "CASE WHEN typeof(x) LIKE 'DECIMAL%' THEN "
        f"error('[IDU_REFUSED] {fn} of a DECIMAL (Spark keeps a DECIMAL of its own precision)') "
        f"WHEN typeof(x) IN {_INTS} THEN CAST(x AS BIGINT) "
        f"WHEN typeof(x) IN ('DOUBLE', 'FLOAT') AND isfinite(TRY_CAST(x AS DOUBLE)) "
        f"AND abs({fn}(TRY_CAST(x AS DOUBLE))) < 9.2e18 THEN CAST({fn}(TRY_CAST(x AS DOUBLE)) AS BIGINT) "
        "WHEN x IS NULL THEN NULL ELSE "
        f"error('[IDU_REFUSED] {fn} of a DOUBLE beyond BIGINT, NaN or infinite') END",
    )


_INITCAP_REFUSED = "ǄǅǆǇǈǉǊǋǌǱǲǳ"

FUNCTION_MACROS: tuple[str, ...] = (
    _macro(
        "idu_initcap(s)",
        f"CASE WHEN regexp_matches(s, '[{_INITCAP_REFUSED}]') THEN "
        "error('[IDU_REFUSED] initcap of a title-case digraph (Java title case differs from upper case)') "
        "ELSE array_to_string(list_transform(string_split(idu_lower(s), ' '), "
        "lambda w: CASE WHEN substring(w, 1, 1) = 'ß' THEN 'Ss' ELSE idu_upper(substring(w, 1, 1)) END "
        "|| substring(w, 2)), ' ') END",
    ),
    _macro(
        "idu_split_part(s, d, n)",
        "CASE WHEN s IS NULL OR d IS NULL OR n IS NULL THEN NULL "
        "WHEN n = 0 THEN error('[INVALID_INDEX_OF_ZERO] split_part: the index 0 is invalid') "
        "WHEN d = '' THEN CASE WHEN abs(n) = 1 THEN s ELSE '' END "
        "ELSE coalesce(list_extract(string_split(s, d), CAST(n AS BIGINT)), '') END",
    ),
    # code points, like Spark; -1 beyond the threshold
    _macro(
        "idu_levenshtein(distance, t)",
        "CASE WHEN t IS NULL THEN NULL ELSE list_transform([distance], lambda d: CASE WHEN d > t THEN -1 "
        "ELSE d END)[1] END",
    ),
    _whole("idu_floor", "floor"),
    _whole("idu_ceil", "ceil"),
    _macro(
        "idu_array_union(a, b)",
        "CASE WHEN a IS NULL OR b IS NULL THEN NULL ELSE idu_array_distinct(list_concat(a, b)) END",
    ),
    # a's distinct elements that b lacks, in a's order: sorted together, a value of a not followed
    # by the same value of b is kept (n log n)
    _macro(
        "idu_array_except(a, b)",
        "CASE WHEN a IS NULL OR b IS NULL THEN NULL ELSE list_transform([list_sort(list_concat("
        "list_transform(idu_array_distinct(a), lambda x, i: {'v': x, 's': 0, 'i': i}), "
        "list_transform(idu_array_distinct(b), lambda x: {'v': x, 's': 1, 'i': 0})))], lambda t: "
        "list_transform(list_sort(list_transform(list_filter(t, lambda e, j: e.s = 0 AND NOT (j < len(t) "
        "AND t[j + 1].s = 1 AND t[j + 1].v IS NOT DISTINCT FROM e.v)), lambda e: {'i': e.i, 'v': e.v})), "
        "lambda e: e.v))[1] END",
    ),
    _macro(
        "idu_arrays_overlap(a, b)",
        "CASE WHEN a IS NULL OR b IS NULL THEN NULL WHEN list_has_any(a, b) THEN true "
        "WHEN len(a) > 0 AND len(b) > 0 AND (list_count(a) < len(a) OR list_count(b) < len(b)) THEN NULL "
        "ELSE false END",
    ),
    _macro(
        "idu_sequence_step(a, b, step)",
        f"CASE WHEN typeof(a) NOT IN {_INTS} OR typeof(b) NOT IN {_INTS} THEN "
        "error('[IDU_REFUSED] sequence of values that are not integers') "
        "WHEN a IS NULL OR b IS NULL OR step IS NULL THEN NULL "
        "WHEN step = 0 OR (a < b AND step < 0) OR (a > b AND step > 0) THEN "
        "error('[INVALID_SEQUENCE_BOUNDARIES] sequence: illegal boundaries or step') "
        # Spark's elements have the common type of a and b (INT for sequence(1, 3)), DuckDB's BIGINT
        "ELSE cast_to_type(generate_series(a, b, step), [a, b]) END",
    ),
    _macro("idu_sequence(a, b)", "idu_sequence_step(a, b, CASE WHEN a <= b THEN 1 ELSE -1 END)"),
    *(
        _macro(
            f"idu_try_to_{name.lower()}(x)",
            "CASE WHEN typeof(x) = 'VARCHAR' AND NOT regexp_full_match(trim(CAST(x AS VARCHAR)), '[+-]?[0-9]+') "
            "THEN NULL WHEN typeof(x) IN ('DOUBLE', 'FLOAT') THEN "
            f"TRY_CAST(trunc(TRY_CAST(x AS DOUBLE)) AS {name}) "
            f"WHEN typeof(x) LIKE 'DECIMAL%' THEN TRY_CAST(trunc(TRY_CAST(x AS DECIMAL(38, 10))) AS {name}) "
            f"ELSE TRY_CAST(x AS {name}) END",
        )
        for name in _TRY_INTEGRAL.values()
    ),
)
