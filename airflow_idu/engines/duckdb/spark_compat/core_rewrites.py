"""Rewrites of Spark's own nodes where sqlglot's DuckDB output differs from Spark: casts, unix_timestamp,
result types, substrings, ranges, regexp replacements, case mapping, renamed functions, lambdas,
arrays, empty collections and arithmetic. :mod:`.rewrites` runs them in its order, after the
function families.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation

from sqlglot import exp

from airflow_idu.engines.duckdb.spark_compat.gates import gated
from airflow_idu.engines.duckdb.spark_compat.nodes import INTEGER_CASTS, is_string_cast, replace_each
from airflow_idu.engines.duckdb.spark_compat.nodes import call as _call
from airflow_idu.engines.duckdb.spark_compat.plain_args import plain_call

__all__ = [
    "arithmetic",
    "arrays",
    "case_mapping",
    "casts",
    "empty_collections",
    "lambdas",
    "range_table",
    "regexp_replacement",
    "renamed_functions",
    "result_types",
    "substring_types",
    "timestamps",
    "unix_timestamp",
    "unsupported_format",
]

_INT = exp.DataType.build("INT")
_DATE = exp.DataType.build("DATE")
_TIMESTAMP = exp.DataType.build("TIMESTAMP")

# Spark returns INT where DuckDB returns BIGINT
_SPARK_INT_RESULT: tuple[type[exp.Expr], ...] = (
    exp.Length,
    exp.StrPosition,
    exp.Year,
    exp.Month,
    exp.Day,
    exp.DayOfMonth,
    exp.WeekOfYear,
    exp.Hour,
    exp.Minute,
    exp.Second,
    exp.DateDiff,
)
_SPARK_INT_WINDOW = (exp.RowNumber, exp.Rank, exp.DenseRank, exp.Ntile)
_STRFTIME_TOKEN = re.compile(r"%[YmdHMS](?:strict)?|[-/: T.,]")


def _cast(node: exp.Expr, to: exp.DataType) -> exp.Cast:
    return exp.Cast(this=node, to=to.copy())


def _replace_all(
    tree: exp.Expr, kinds: type[exp.Expr] | tuple[type[exp.Expr], ...], build: Callable
) -> exp.Expr:
    """Replace every node of ``kinds`` (found before any change) by ``build(node)``, innermost first:
    an outer node's builder copies its arguments, so they must be rewritten already."""
    wanted = kinds if isinstance(kinds, tuple) else (kinds,)
    return replace_each(tree, reversed(list(tree.find_all(*wanted))), build)


_FIELD_PATTERN = {"%Y": "[0-9]{4}", "%m": "[0-9]{2}", "%d": "[0-9]{2}", "%H": "[0-9]{2}", "%M": "[0-9]{2}",
                  "%S": "[0-9]{2}"}  # fmt: skip


def _parse_args(fmt: exp.Expr | None) -> tuple[exp.Literal, exp.Literal]:
    """The strftime format (sqlglot's ``strict`` markers dropped) and the regex a value must match."""
    text = fmt.this.replace("strict", "") if isinstance(fmt, exp.Literal) else "%Y-%m-%d %H:%M:%S"
    pattern = "".join(
        _FIELD_PATTERN.get(tok, "[.]" if tok == "." else tok) for tok in re.findall(r"%[A-Za-z]|.", text)
    )
    return exp.Literal.string(text), exp.Literal.string(pattern)


def unsupported_format(fmt: str) -> bool:
    """True unless ``fmt`` (already in strftime form) uses only yyyy MM dd HH mm ss and separators."""
    return _STRFTIME_TOKEN.sub("", fmt) != ""


# -- the rewrites -----------------------------------------------------------------


@gated(types=(exp.DataType, exp.CurrentTimestamp))
def timestamps(tree: exp.Expr) -> exp.Expr:
    """Spark TIMESTAMP (session time zone UTC) is DuckDB TIMESTAMP; ``current_timestamp`` too."""
    for dtype in list(tree.find_all(exp.DataType)):
        if dtype.this in (exp.DataType.Type.TIMESTAMPTZ, exp.DataType.Type.TIMESTAMPLTZ):
            dtype.set("this", exp.DataType.Type.TIMESTAMP)
    return _replace_all(tree, exp.CurrentTimestamp, lambda n: _cast(n.copy(), _TIMESTAMP))


@gated(types=(exp.StrToUnix, exp.StrToTime, exp.TsOrDsToDate))
def unix_timestamp(tree: exp.Expr) -> exp.Expr:
    def build(node: exp.StrToUnix) -> exp.Expr:
        value = node.this.copy() if node.this is not None else _cast(exp.CurrentTimestamp(), _TIMESTAMP)
        return _call("idu_unix_timestamp", value, *_parse_args(node.args.get("format")))

    def parse(node: exp.Expr) -> exp.Expr:
        if node.args.get("format") is None:
            return node
        parsed = _call("idu_strptime", node.this.copy(), *_parse_args(node.args["format"]))
        return _cast(parsed, _DATE) if isinstance(node, exp.TsOrDsToDate) else parsed

    tree = _replace_all(tree, exp.StrToUnix, build)
    return _replace_all(tree, (exp.StrToTime, exp.TsOrDsToDate), parse)


@gated(
    types=(
        *_SPARK_INT_RESULT,
        exp.ArrayPosition,
        exp.DayOfWeek,
        exp.TsOrDsAdd,
        exp.AddMonths,
        exp.ArraySize,
        exp.Window,
    ),
    names=("cardinality",),
)
def result_types(tree: exp.Expr) -> exp.Expr:
    tree = _replace_all(tree, _SPARK_INT_RESULT, lambda n: _cast(n.copy(), _INT))
    tree = _replace_all(tree, exp.ArrayPosition, lambda n: _call("idu_array_position", n.this.copy(),
                                                                  n.expression.copy()))  # fmt: skip
    tree = _replace_all(  # Spark: 1 = Sunday; DuckDB: 0 = Sunday
        tree, exp.DayOfWeek, lambda n: _cast(exp.Add(this=n.copy(), expression=exp.Literal.number(1)), _INT)
    )
    tree = _replace_all(tree, (exp.TsOrDsAdd, exp.AddMonths), lambda n: _cast(n.copy(), _DATE))
    tree = _replace_all(tree, exp.ArraySize, lambda n: _cast(_call("cardinality", n.this.copy()), _INT))
    tree = _replace_all(
        tree,
        exp.Anonymous,
        lambda n: (
            _cast(_call("cardinality", n.expressions[0].copy()), _INT)
            if n.name.lower() == "cardinality"
            else n
        ),
    )
    return _replace_all(
        tree,
        exp.Window,
        lambda n: _cast(n.copy(), _INT) if isinstance(n.this, _SPARK_INT_WINDOW) else n,
    )


@gated(types=(exp.Substring,))
def substring_types(tree: exp.Expr) -> exp.Expr:
    """Spark reads position 0 as 1."""
    for node in list(tree.find_all(exp.Substring)):
        start = node.args.get("start")
        if start is None or (isinstance(start, exp.Literal) and start.this != "0"):
            continue
        if isinstance(start, exp.Literal):
            node.set("start", exp.Literal.number(1))
        else:
            node.set(
                "start",
                exp.Case(ifs=[exp.If(this=exp.EQ(this=start.copy(), expression=exp.Literal.number(0)),
                                     true=exp.Literal.number(1))], default=start.copy()),
            )  # fmt: skip
    return tree


@gated(names=("range",))
def range_table(tree: exp.Expr) -> exp.Expr:
    """Spark's table function range(...) names its column ``id``; DuckDB's names it ``range``."""

    def build(node: exp.Table) -> exp.Expr:
        fn = node.this
        if not (isinstance(fn, exp.Anonymous) and fn.name.lower() == "range"):
            return node
        inner = exp.select(exp.alias_(exp.column("range"), "id")).from_(exp.Table(this=fn.copy()))
        alias = node.args.get("alias")
        return exp.Subquery(
            this=inner, alias=alias.copy() if alias else exp.TableAlias(this=exp.to_identifier("idu_range"))
        )

    return _replace_all(tree, exp.Table, build)


@gated(types=(exp.RegexpReplace,))
def regexp_replacement(tree: exp.Expr) -> exp.Expr:
    """Java's ``$1`` group references are RE2's ``\\1``."""
    for node in tree.find_all(exp.RegexpReplace):
        replacement = node.args.get("replacement")
        if isinstance(replacement, exp.Literal) and "$" in replacement.this:
            node.set("replacement", exp.Literal.string(re.sub(r"\$(\d)", r"\\\1", replacement.this)))
    return tree


@gated(types=(exp.Upper, exp.Lower))
def case_mapping(tree: exp.Expr) -> exp.Expr:
    tree = _replace_all(tree, exp.Upper, lambda n: _call("idu_upper", n.this.copy()))
    return _replace_all(tree, exp.Lower, lambda n: _call("idu_lower", n.this.copy()))


_RENAMED: dict[str, Callable[[list[exp.Expr]], exp.Expr]] = {
    "every": lambda a: exp.LogicalAnd(this=a[0]),
    "some": lambda a: exp.LogicalOr(this=a[0]),
    "any": lambda a: exp.LogicalOr(this=a[0]),
}


@gated(names=_RENAMED)
def renamed_functions(tree: exp.Expr) -> exp.Expr:
    """Spark functions sqlglot does not model, spelled as DuckDB functions."""
    return _replace_all(
        tree,
        exp.Anonymous,
        lambda n: (
            _RENAMED[n.name.lower()]([a.copy() for a in n.expressions]) if n.name.lower() in _RENAMED else n
        ),
    )


@gated(
    types=(
        exp.ArrayContains,
        exp.ArrayDistinct,
        exp.ArrayIntersect,
        exp.FromBase64,
        exp.Avg,
        exp.Flatten,
        exp.ArrayRemove,
        exp.ArraySort,
        exp.Bracket,
    )
)
def arrays(tree: exp.Expr) -> exp.Expr:
    # plain arguments (a column and a literal, say) are copied, not bound per row (plain_args.py)
    tree = _replace_all(
        tree,
        exp.ArrayContains,
        lambda n: plain_call("idu_array_contains", n.this.copy(), n.expression.copy()),
    )
    tree = _replace_all(tree, exp.ArrayDistinct, lambda n: _call("idu_array_distinct", n.this.copy()))
    tree = _replace_all(tree, exp.ArrayIntersect, _array_intersect)
    tree = _replace_all(tree, exp.FromBase64, lambda n: _call("idu_unbase64", n.this.copy()))
    tree = _replace_all(
        tree, exp.Avg, lambda n: n if isinstance(n.parent, exp.Window) else _call("idu_avg", n.this.copy())
    )
    tree = _replace_all(tree, exp.Flatten, lambda n: _call("idu_flatten", n.this.copy()))
    tree = _replace_all(tree, exp.ArrayRemove, lambda n: _call("idu_array_remove", n.this.copy(),
                                                                n.expression.copy()))  # fmt: skip
    tree = _replace_all(tree, exp.ArraySort, _array_sort)
    return _replace_all(tree, exp.Bracket, _bracket)


@gated(types=(exp.ArrayAgg, exp.ArrayUniqueAgg))
def empty_collections(tree: exp.Expr) -> exp.Expr:
    """collect_list/collect_set of a group with no non-NULL value: Spark's [], DuckDB's NULL."""
    for agg in list(tree.find_all(exp.ArrayAgg, exp.ArrayUniqueAgg)):
        target: exp.Expr = agg  # the whole call: with its OVER, WITHIN GROUP or FILTER
        while isinstance(target.parent, exp.Window | exp.WithinGroup | exp.Filter):
            target = target.parent
        tree = replace_each(tree, [target], _or_empty_array)
    return tree


def _or_empty_array(node: exp.Expr) -> exp.Expr:
    return exp.Coalesce(this=node.copy(), expressions=[exp.Array(expressions=[])])


def _array_intersect(node: exp.ArrayIntersect) -> exp.Expr:
    arrays = node.expressions
    if len(arrays) != 2:
        return node  # refused in allowed.py
    return _call("idu_array_intersect", arrays[0].copy(), arrays[1].copy())


def _array_sort(node: exp.ArraySort) -> exp.Expr:
    """array_sort: ascending, NULLs last; sort_array: NULLs first ascending, last descending."""
    asc = node.args.get("asc")
    descending = isinstance(asc, exp.Boolean) and not asc.this
    nulls_first = node.args.get("nulls_first")
    first = isinstance(nulls_first, exp.Boolean) and nulls_first.this and not descending
    return _call(
        "idu_array_sort",
        node.this.copy(),
        exp.Literal.string("DESC" if descending else "ASC"),
        exp.Literal.string("NULLS FIRST" if first else "NULLS LAST"),
    )


def _bracket(node: exp.Bracket) -> exp.Expr:
    [index] = node.expressions
    if isinstance(index, exp.Literal) and index.is_string:
        return node  # a map key
    if node.args.get("offset") == 1 and node.args.get("safe"):
        return _call("idu_try_element_at", node.this.copy(), index.copy())
    if node.args.get("offset") == 1:
        return _call("idu_element_at", node.this.copy(), index.copy())
    return _call("idu_subscript", node.this.copy(), index.copy())


@gated(types=(exp.Transform, exp.ArrayFilter, exp.Exists), names=("forall",))
def lambdas(tree: exp.Expr) -> exp.Expr:
    """Spark's lambda index is 0-based, DuckDB's 1-based; exists/forall keep three-valued logic."""
    for node in tree.find_all(exp.Transform, exp.ArrayFilter):
        fn = node.expression if isinstance(node, exp.Transform) else node.args.get("expression")
        if isinstance(fn, exp.Lambda) and len(fn.expressions) == 2:
            index = fn.expressions[1].name
            for ref in list(fn.this.find_all(exp.Identifier, exp.Column)):
                if ref.name == index and not isinstance(ref.parent, exp.Column):
                    ref.replace(exp.Paren(this=exp.Sub(this=ref.copy(), expression=exp.Literal.number(1))))

    def each(array: exp.Expr, fn: exp.Expr) -> exp.Expr:
        return exp.Transform(this=array.copy(), expression=fn.copy())

    tree = _replace_all(
        tree,
        exp.Exists,
        lambda n: (
            _call("idu_exists", each(n.this, n.expression))
            if isinstance(n.args.get("expression"), exp.Lambda)
            else n
        ),
    )
    return _replace_all(
        tree,
        exp.Anonymous,
        lambda n: _call("idu_forall", each(*n.expressions)) if n.name.lower() == "forall" else n,
    )


@gated(types=(exp.Div, exp.IntDiv))
def arithmetic(tree: exp.Expr) -> exp.Expr:
    tree = _replace_all(tree, exp.Div, lambda n: _call("idu_divide", n.this.copy(), n.expression.copy()))
    return _replace_all(tree, exp.IntDiv, lambda n: _call("idu_int_div", n.this.copy(), n.expression.copy()))


_INTEGRAL = {
    exp.DataType.Type.BIGINT: INTEGER_CASTS["BIGINT"],
    exp.DataType.Type.INT: INTEGER_CASTS["INTEGER"],
    exp.DataType.Type.SMALLINT: INTEGER_CASTS["SMALLINT"],
    exp.DataType.Type.TINYINT: INTEGER_CASTS["TINYINT"],
}


def _plain_decimal_text(node: exp.Cast) -> None:
    """``1E-7BD`` (sqlglot: ``CAST('1E-7' AS DECIMAL(7,7))``): Java's BigDecimal reads an exponent,
    DuckDB's cast to DECIMAL does not; a literal's text is written without it."""
    text = node.this
    if node.to.this != exp.DataType.Type.DECIMAL or not (isinstance(text, exp.Literal) and text.is_string):
        return
    if "e" not in text.name.lower():
        return
    try:
        value = Decimal(text.name.strip())
    except InvalidOperation:
        return
    if value.is_finite():
        node.set("this", exp.Literal.string(format(value, "f")))


def _decimal_digits(node: exp.Cast) -> None:
    """A DOUBLE (or FLOAT) cast to DECIMAL: Spark rounds the digits Java prints for it
    (``BigDecimal(Double.toString(d))``: 70.46 is 70.460000000000000 at scale 15), DuckDB the binary
    value (70.459999999999992); NaN and infinity are NULL on Spark. The value goes through DuckDB's
    shortest text, the same digits below 1e15 (4,398 values from 1e-4 to 1e15 at scales 2, 6 and 18
    matched Spark; from 1e15 it is refused); other types as they are (``idu_decimal_source``)."""
    if node.to.this == exp.DataType.Type.DECIMAL and not isinstance(node.this, exp.Literal):
        node.set("this", plain_call("idu_decimal_source", node.this))


@gated(types=(exp.Cast,))
def casts(tree: exp.Expr) -> exp.Expr:
    """CAST to STRING prints DOUBLEs like Java; CAST to an integer truncates like Spark."""

    def build(node: exp.Cast) -> exp.Expr:
        _plain_decimal_text(node)
        _decimal_digits(node)
        if isinstance(node, exp.TryCast):
            return node
        if is_string_cast(node):
            return plain_call("idu_cast_string", node.this.copy())
        if node.to.this in _INTEGRAL:
            # a plain argument's cast folds to a plain CAST when bound (macros.py, idu_to_<t>_plain)
            return plain_call(_INTEGRAL[node.to.this], node.this.copy())
        return node

    return _replace_all(tree, exp.Cast, build)
