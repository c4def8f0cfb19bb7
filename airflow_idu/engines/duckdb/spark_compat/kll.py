"""Spark 4.3's KLL quantile sketch functions (``kll_*_bigint/_double/_float``) where they are exact.

A sketch holding at most ``k`` items never compacted: it keeps every item, so its count, quantiles
and ranks are functions of the multiset (:mod:`.kll_values`). Its BINARY bytes are not: level 0
keeps the items in the order they arrived (Spark: ``kll_sketch_agg_bigint`` of 1, 2, 3 and of 3, 1,
2 differ), which depends on Spark's partitions. So a sketch the engine makes (``kll_sketch_agg_*``,
``kll_merge_agg_*``, ``kll_sketch_merge_*``) is accepted only where it goes straight into another
KLL function of its type (``kll_sketch_get_n/quantile/rank_*``, ``kll_sketch_to_string_*``, a merge),
as an argument or as a scalar subquery's only column; anywhere else (the output, a table, ``hex``, a
derived table's column...) it is refused when translated. Inside the engine a sketch is
``STRUCT(k, n, items, mk, sorted)``; ``items`` becomes NULL once Spark's
sketch may have compacted (more than ``k`` items, or a merge beyond the left sketch's k), and then
quantiles and ranks are refused when run (``n`` stays exact). A sketch read from a BINARY value
(Spark's bytes in a table) is decoded where Spark wrote it uncompacted, refused when run otherwise.
A merge aggregate without ``k`` takes the first sketch's k or 200 (its empty buffer), which depends
on the order: the smallest of them bounds it here, and its ``kll_sketch_to_string_*`` (which prints K)
is refused when run. ``kll_sketch_to_string_*`` is DataSketches' summary of the heapified sketch
(:func:`.kll_values.summary`): K, min K (``mk``), N, the epsilons of min K, the level-0-sorted flag
(``sorted``: Spark's bytes' flag, kept by a merge with an empty sketch, else false), sizes, min, max.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from decimal import Decimal

from sqlglot import exp

from airflow_idu.engines.duckdb.spark_compat.approximate import _number
from airflow_idu.engines.duckdb.spark_compat.gates import gated
from airflow_idu.engines.duckdb.spark_compat.nodes import call as _call
from airflow_idu.engines.duckdb.spark_compat.nodes import macro as _macro
from airflow_idu.engines.duckdb.spark_compat.nodes import rewrite_calls

__all__ = ["ANONYMOUS", "CHECKS", "FUNCTIONS", "KLL_MACROS", "anonymous_check", "kll"]

Build = Callable[[list[exp.Expr]], exp.Expr]
_KINDS = {"bigint": "BIGINT", "double": "DOUBLE", "float": "FLOAT"}
_ROLES = {  # Spark's name without the type -> role
    "kll_sketch_agg": "agg", "kll_merge_agg": "merge_agg", "kll_sketch_merge": "merge",
    "kll_sketch_get_n": "n", "kll_sketch_get_quantile": "quantile", "kll_sketch_get_rank": "rank",
    "kll_sketch_to_string": "to_string",
}  # fmt: skip
_NAMES = {f"{base}_{kind}": (role, kind) for base, role in _ROLES.items() for kind in _KINDS}
_PRODUCERS = frozenset({"agg", "merge_agg", "merge"})
_ARITY = {"agg": (1, 2), "merge_agg": (1, 2), "merge": (2, 2), "n": (1, 1), "quantile": (2, 2),
          "rank": (2, 2), "to_string": (1, 1)}  # fmt: skip
_INTERNAL = frozenset(f"idu_kll_{r}_{k}" for r in ("agg", "merge_agg", "merge") for k in _KINDS)
_LONG = 2**63


def _unparen(node: exp.Expr | None) -> exp.Expr | None:
    while isinstance(node, exp.Paren):
        node = node.this
    return node


def _consumer(node: exp.Expr) -> tuple[exp.Anonymous, int] | None:
    """The KLL function ``node``'s sketch goes into directly (or as a scalar subquery's only
    column), and at which argument; None if it goes anywhere else."""
    child, parent = node, node.parent
    while isinstance(parent, exp.Paren):
        child, parent = parent, parent.parent
    if isinstance(parent, exp.Alias):
        child, parent = parent, parent.parent
        if not isinstance(parent, exp.Select):
            return None
    if isinstance(parent, exp.Select):
        subquery = parent.parent
        alone = len(parent.expressions) == 1 and parent.expressions[0] is child
        if not alone or not isinstance(subquery, exp.Subquery) or parent.args.get("group") is not None:
            return None
        child, parent = subquery, subquery.parent
        while isinstance(parent, exp.Paren):
            child, parent = parent, parent.parent
    if isinstance(parent, exp.Anonymous) and parent.name.lower() in _NAMES:
        index = next((i for i, a in enumerate(parent.expressions) if a is child), -1)
        return parent, index
    return None


def _flow_check(node: exp.Anonymous, role: str, kind: str) -> str | None:
    found = _consumer(node)
    name = node.name.lower()
    bytes_reason = (
        f"a {name} sketch used other than as the argument of another kll_* function of its type: its "
        "bytes keep the items in the order they reached Spark (which its partitions decide)"
    )
    if found is None:
        return bytes_reason
    consumer, index = found
    their_role, their_kind = _NAMES[consumer.name.lower()]
    if their_kind != kind:
        return f"a {kind} sketch read by {consumer.name.lower()} (Spark reads its bytes as another type)"
    if their_role == "merge" and index in (0, 1):
        return None
    if their_role == "merge_agg" and index == 0:  # an aggregate's argument: a row's sketch only
        return None if role == "merge" and node.parent is consumer else bytes_reason
    if their_role in ("n", "quantile", "rank", "to_string") and index == 0:
        return None
    return bytes_reason


def _k_check(node: exp.Anonymous) -> str | None:
    if len(node.expressions) < 2:
        return None
    k = node.expressions[1]
    if not (
        isinstance(k, exp.Literal) and not k.is_string and k.this.isdigit() and 8 <= int(k.this) <= 65535
    ):
        return "a k other than an integer literal between 8 and 65535"
    return None


def _item_literal(node: exp.Expr, kind: str) -> str | None:
    """A value of the sketch's item type as Spark casts the literal, as text; None if unsure."""
    literal = node.this if isinstance(node, exp.Neg) else node
    if not isinstance(literal, exp.Literal) or literal.is_string:
        return None
    if kind == "bigint":
        if not literal.this.isdigit():
            return None
        value = -int(literal.this) if isinstance(node, exp.Neg) else int(literal.this)
        return str(value) if -_LONG <= value < _LONG else None
    number = _number(node)
    if number is None:
        return None
    if kind == "float":  # only a literal that is a FLOAT exactly: any cast of it gives that FLOAT
        single = struct.unpack("<f", struct.pack("<f", number))[0] if abs(number) < 3.4e38 else None
        exact = Decimal(literal.this) * (-1 if isinstance(node, exp.Neg) else 1)
        return repr(number) if single == number and Decimal(number) == exact else None
    return repr(number)


def _arguments_text(node: exp.Expr | None, role: str, kind: str) -> tuple[str, bool] | str | None:
    """The ranks (quantile) or values (rank) as text and whether an array; None for NULL; or a refusal."""
    node = _unparen(node)
    if node is None or isinstance(node, exp.Null):
        return None
    items: list[exp.Expr] = node.expressions if isinstance(node, exp.Array) else [node]
    if role == "quantile":
        texts = [_number(i) for i in items]
        values = None if None in texts else [repr(t) for t in texts]
    else:
        found = [_item_literal(i, kind) for i in items]
        values = None if None in found else [t for t in found if t is not None]
    if not items or values is None:
        what = "ranks" if role == "quantile" else f"{kind} values"
        return (
            f"{what} other than numeric literals (or a non-empty array of them) Spark and Python read alike"
        )
    return ",".join(values), isinstance(node, exp.Array)


def anonymous_check(node: exp.Anonymous) -> str | None:
    name = node.name.lower()
    role, kind = _NAMES[name]
    low, high = _ARITY[role]
    if not low <= len(node.expressions) <= high:
        return f"{name} with {len(node.expressions)} arguments"
    if role in ("agg", "merge_agg"):
        if isinstance(node.expressions[0], exp.Distinct):
            return f"{name} of DISTINCT values"
        reason = _k_check(node)
        if reason:
            return reason
    if role in _PRODUCERS:
        return _flow_check(node, role, kind)
    if role in ("quantile", "rank"):
        found = _arguments_text(node.expressions[1], role, kind)
        return found if isinstance(found, str) else None
    return None


def _internal(node: exp.Expr) -> bool:
    """Whether ``node`` (rewritten) is a sketch the engine made, directly or as a scalar subquery."""
    found = _unparen(node)
    if isinstance(found, exp.Subquery) and isinstance(found.this, exp.Select):
        found = _unparen(found.this.expressions[0])
        found = found.this if isinstance(found, exp.Alias) else found
    return isinstance(found, exp.Anonymous) and found.name.lower() in _INTERNAL


def _sketch(node: exp.Expr, kind: str, what: str) -> exp.Expr:
    return node if _internal(node) else _call(f"idu_kll_read_{kind}", node, exp.Literal.string(what))


def _k(args: list[exp.Expr]) -> exp.Expr:
    return args[1] if len(args) > 1 else exp.Literal.number(200)


def _builders(kind: str) -> dict[str, Build]:
    def name(base: str) -> str:
        return f"{base}_{kind}"

    def quantile_or_rank(role: str) -> Build:
        what = name(f"kll_sketch_get_{role}")
        result = _KINDS[kind] if role == "quantile" else "DOUBLE"

        def build(args: list[exp.Expr]) -> exp.Expr:
            found = _arguments_text(args[1], role, kind)
            if found is None:
                return exp.Cast(this=exp.Null(), to=exp.DataType.build(result))
            assert not isinstance(found, str)  # checked in allowed.py
            text, is_array = found
            udf = f"idu_kll_{role}{'s' if is_array else ''}_{kind}"
            return _call(
                udf, _sketch(args[0], kind, what), exp.Literal.string(text), exp.Literal.string(what)
            )

        return build

    merge_what, agg_what = name("kll_sketch_merge"), name("kll_merge_agg")
    return {
        name("kll_sketch_agg"): lambda a: _call(f"idu_kll_agg_{kind}", _call("list", a[0]), _k(a)),
        name("kll_merge_agg"): lambda a: _call(
            f"idu_kll_merge_agg_{kind}",
            _call("list", _sketch(a[0], kind, agg_what)),
            a[1] if len(a) > 1 else exp.Null(),
        ),
        name("kll_sketch_merge"): lambda a: _call(
            f"idu_kll_merge_{kind}", _sketch(a[0], kind, merge_what), _sketch(a[1], kind, merge_what)
        ),
        name("kll_sketch_get_n"): lambda a: _call(
            "struct_extract", _sketch(a[0], kind, name("kll_sketch_get_n")), exp.Literal.string("n")
        ),
        name("kll_sketch_to_string"): lambda a: _call(
            f"idu_kll_summary_{kind}",
            _sketch(a[0], kind, name("kll_sketch_to_string")),
            exp.Literal.string(name("kll_sketch_to_string")),
        ),
        name("kll_sketch_get_quantile"): quantile_or_rank("quantile"),
        name("kll_sketch_get_rank"): quantile_or_rank("rank"),
    }


ANONYMOUS: dict[str, Build] = {n: b for kind in _KINDS for n, b in _builders(kind).items()}
FUNCTIONS: frozenset[type[exp.Expr]] = frozenset()
CHECKS: dict[type[exp.Expr], Callable[[exp.Expr], str | None]] = {}


@gated(names=ANONYMOUS)
def kll(tree: exp.Expr) -> exp.Expr:
    """Rewrite the KLL functions (innermost first: a consumer sees its sketch already rewritten)."""
    return rewrite_calls(
        tree, by_type={}, by_name=ANONYMOUS, arguments=lambda n: [a.copy() for a in n.expressions]
    )


_ACCEPTED = {  # Spark's input types of each aggregate, as DuckDB lists of them
    "bigint": "('TINYINT[]', 'SMALLINT[]', 'INTEGER[]', 'BIGINT[]')",
    "double": "('FLOAT[]', 'DOUBLE[]')",
    "float": "('FLOAT[]')",
}
_SHOWN = {k: v.replace("'", "") for k, v in _ACCEPTED.items()}
_NAN = {"bigint": "", "double": " AND NOT isnan(idu_v)", "float": " AND NOT isnan(idu_v)"}


def _kind_macros(kind: str) -> tuple[str, ...]:
    d = _KINDS[kind]
    empty = f"CAST([] AS {d}[])"
    field = "struct_extract"
    return (
        # each argument used once (wrapped in a one-element list): DuckDB fails binding an aggregate repeated
        _macro(
            f"idu_kll_agg_{kind}(xs, k)",
            f"list_transform([xs], lambda idu_x: CASE WHEN typeof(idu_x) NOT IN {_ACCEPTED[kind]} THEN error("
            f"'[IDU_REFUSED] kll_sketch_agg_{kind} of a ' || typeof(idu_x) || ' column: Spark takes only {_SHOWN[kind]} "
            f"values') ELSE list_transform([coalesce(list_filter(CAST(idu_x AS {d}[]), lambda idu_v: idu_v IS NOT NULL"
            f"{_NAN[kind]}), {empty})], lambda idu_i: struct_pack(k := CAST(k AS INTEGER), n := CAST(len(idu_i) AS "
            "BIGINT), items := CASE WHEN len(idu_i) > k THEN NULL ELSE idu_i END, mk := CAST(k AS INTEGER), sorted := "
            "false))[1] END)[1]",
        ),
        _macro(
            f"idu_kll_merge_{kind}(a, b)",
            f"list_transform([[a, b]], lambda idu_p: CASE WHEN idu_p[1] IS NOT NULL AND idu_p[2] IS NOT NULL THEN "
            f"struct_pack(k := {field}(idu_p[1], 'k'), n := {field}(idu_p[1], 'n') + {field}(idu_p[2], 'n'), items := "
            f"CASE WHEN {field}(idu_p[1], 'items') IS NULL OR {field}(idu_p[2], 'items') IS NULL OR {field}(idu_p[1], "
            f"'n') + {field}(idu_p[2], 'n') > {field}(idu_p[1], 'k') THEN NULL ELSE list_concat({field}(idu_p[1], "
            f"'items'), {field}(idu_p[2], 'items')) END, mk := {field}(idu_p[1], 'mk'), sorted := {field}(idu_p[2], 'n') "
            f"= 0 AND {field}(idu_p[1], 'sorted')) END)[1]",
        ),
        _macro(
            f"idu_kll_merge_agg_{kind}(l, kv)",
            "list_transform([coalesce(list_filter(l, lambda idu_v: idu_v IS NOT NULL), [])], lambda idu_ss: "
            f"list_transform([CASE WHEN kv IS NULL THEN least(200, coalesce(list_min(list_transform(idu_ss, lambda "
            f"idu_s: {field}(idu_s, 'k'))), 200)) ELSE kv END], lambda idu_cap: list_transform([coalesce(list_sum("
            f"list_transform(idu_ss, lambda idu_s: {field}(idu_s, 'n'))), 0)], lambda idu_n: struct_pack(k := CAST("
            "idu_cap AS INTEGER), n := CAST(idu_n AS BIGINT), items := CASE WHEN idu_n > idu_cap OR coalesce("
            f"list_bool_or(list_transform(idu_ss, lambda idu_s: {field}(idu_s, 'items') IS NULL)), false) THEN NULL "
            f"ELSE coalesce(flatten(list_transform(idu_ss, lambda idu_s: {field}(idu_s, 'items'))), {empty}) END, mk := "
            "CAST(kv AS INTEGER), sorted := false))"
            "[1])[1])[1]",
        ),
        _macro(
            f"idu_kll_read_{kind}(b, what)",
            f"CASE WHEN typeof(b) IN ('BLOB', '\"NULL\"') THEN idu_kll_decode_{kind}(b, what) ELSE error("
            "'[IDU_REFUSED] ' || what || ' of a ' || typeof(b) || ' value: only BINARY sketches') END",
        ),
    )


KLL_MACROS: tuple[str, ...] = tuple(m for kind in _KINDS for m in _kind_macros(kind))
