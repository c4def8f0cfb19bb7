"""One element type for Spark's constructors and multi-branch expressions, as Spark's type coercion gives.

``array``, ``map`` (keys and values apart), ``coalesce``/``nvl``/``ifnull``, ``if``, ``CASE``,
``nvl2``, ``greatest``/``least``, ``IN`` and ``concat`` of arrays: Spark casts every argument to
their wider common type (:mod:`.unify_types`). Where every argument's type is known when
translated, the rewrite inserts Spark's casts (and the translation's CAST rewrites give them
Spark's ANSI meaning: ``array(1, 'a')`` fails as Spark's cast does), and the check refuses, naming
the construct and its line, where Spark has no common type (``greatest(1, 'a')``, ``if(c, 1,
true)``). Where an argument's type is known only when run (a column), DuckDB's own unification
stands where it equals Spark's, and a guard (folded by DuckDB's binder from ``typeof``) refuses
when run where it does not: a STRING literal with a value not STRING (Spark casts the string),
FLOAT with integers or DECIMALs (Spark: DOUBLE), BOOLEAN or BINARY with another type, BIGINT with a
DECIMAL (Spark counts 20 digits, DuckDB 19), and a computed DECIMAL (a sum, arithmetic, a function:
DuckDB's precision is not Spark's, ``sum`` of a ``DECIMAL(p,s)`` is ``DECIMAL(38,s)`` where Spark
has ``p + 10``) whose integer digits with the construct's largest scale pass 38, where DuckDB keeps
the integer digits and drops decimals that Spark, counting fewer digits, keeps (``array(sum(dec),
0.005)`` gave 0.01 for 0.005). Past 38 digits both drop the scale alike for columns, literals and
CASTs, whose DuckDB type is Spark's. ``array_union``/``array_except``/``array_intersect`` take
Spark's tightest common element type only; any other mix of literal arrays is refused.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlglot import exp

from airflow_idu.engines.duckdb.spark_compat.gates import gated
from airflow_idu.engines.duckdb.spark_compat.nested_shape import field_names_sql
from airflow_idu.engines.duckdb.spark_compat.nodes import call as _call
from airflow_idu.engines.duckdb.spark_compat.nodes import macro as _macro
from airflow_idu.engines.duckdb.spark_compat.nodes import (
    replace_each,
    type_of,
    type_stand_in,
    typed_macro,
    typed_when_bound,
)
from airflow_idu.engines.duckdb.spark_compat.unify_types import spark_type, wider_all

__all__ = [
    "ANONYMOUS",
    "CHECKS",
    "FUNCTIONS",
    "SET_FUNCTIONS",
    "UNIFY_MACROS",
    "binder_refusal",
    "computed",
    "set_check",
    "unify_types",
]  # fmt: skip

SET_FUNCTIONS = frozenset({"array_union", "array_except", "array_intersect"})
_DIGITS = {"TINYINT": 3, "SMALLINT": 5, "INT": 10, "BIGINT": 20}

_NAMES: dict[type[exp.Expr], str] = {
    exp.Array: "array", exp.Coalesce: "coalesce", exp.If: "if", exp.Case: "CASE", exp.Nvl2: "nvl2",
    exp.Greatest: "greatest", exp.Least: "least", exp.In: "IN", exp.Concat: "concat",
}  # fmt: skip
_LAZY = (exp.If, exp.Nvl2, exp.Case, exp.Coalesce)
_DUCK_NAMES = {"INT": "INTEGER", "STRING": "VARCHAR", "BINARY": "BLOB", "NULL": '"NULL"'}


_Slot = tuple[exp.Expr, str, int | None]
_SAME_ARITIES = (2, 3)  # constructs of this many operands, all typed when run, get a typed front


def _slots(node: exp.Expr) -> list[_Slot]:
    """(parent, arg name, index in a list arg or None) of each argument the construct unifies."""
    if isinstance(node, exp.If | exp.Nvl2):
        return [(node, k, None) for k in ("true", "false") if node.args.get(k) is not None]
    if isinstance(node, exp.Case):
        slots: list[_Slot] = [(i, "true", None) for i in node.args.get("ifs") or ()]
        return slots + ([(node, "default", None)] if node.args.get("default") is not None else [])
    if isinstance(node, exp.In):
        if node.args.get("query") is not None or node.args.get("unnest") is not None:
            return []
        return [(node, "this", None), *((node, "expressions", i) for i in range(len(node.expressions)))]
    head: list[_Slot] = (
        [(node, "this", None)] if isinstance(node, exp.Coalesce | exp.Greatest | exp.Least) else []
    )
    return head + [(node, "expressions", i) for i in range(len(node.expressions))]


def _get(slot: _Slot) -> exp.Expr:
    parent, key, index = slot
    value = parent.args[key]
    return value[index] if index is not None else value


def _put(slot: _Slot, value: exp.Expr) -> None:
    parent, key, index = slot
    if index is None:
        parent.set(key, value)
    else:
        parent.args[key][index] = value
        value.parent, value.arg_key, value.index = parent, key, index


def _applies(node: exp.Expr) -> bool:
    if isinstance(node, exp.Concat):  # concat of arrays only; of strings and binaries: .binary
        return bool(node.expressions) and all(
            str(spark_type(a) or "").startswith("ARRAY<") for a in node.expressions
        )
    return type(node) in _NAMES


def _target(node: exp.Expr, types: list[str | None]) -> str | None:
    return wider_all(types, strings=not isinstance(node, exp.Greatest | exp.Least))


def _check(node: exp.Expr) -> str | None:
    """Refused when translated: a construct whose arguments' types are all known and have no common type."""
    if not _applies(node):
        return None
    types = [spark_type(_get(s)) for s in _slots(node)]
    known = [t for t in types if t is not None]
    if len(known) == len(types) and len(types) > 1 and _target(node, types) is None:
        return f"Spark finds no common type for {', '.join(types)} (it fails to analyse the query); CAST them to one"  # type: ignore[arg-type]
    strings = "STRING" in known
    if strings and len(known) < len(types) and any(t not in ("STRING", "NULL") for t in known):
        return "it mixes a STRING with other types and a value whose type is known only when run; CAST them to one"
    return None


def set_check(node: exp.Expr) -> str | None:
    """array_union/except/intersect of two arrays of known types: Spark's tightest common element type
    (``TypeCoercion.findTightestCommonType``), where DuckDB's equals it; any other mix is refused."""
    types = [spark_type(a) for a in node.expressions]
    if len(types) != 2 or None in types or types[0] == types[1]:
        return None
    elements = [str(t)[6:-1] for t in types if str(t).startswith("ARRAY<")]
    if len(elements) == 2 and _tightest(*elements):
        return None
    return (
        f"Spark requires two arrays of one element type here, not {types[0]} and {types[1]}; CAST one of them"
    )


def _tightest(a: str, b: str) -> bool:
    """NULL, integers and floating point widen; a DECIMAL only takes an integer it already holds."""
    simple = ("TINYINT", "SMALLINT", "INT", "BIGINT", "FLOAT", "DOUBLE")
    if "NULL" in (a, b) or (a in simple and b in simple) or {a, b} == {"DATE", "TIMESTAMP"}:
        return True
    decimal, other = (a, b) if a.startswith("DECIMAL(") else (b, a)
    if not decimal.startswith("DECIMAL(") or other not in _DIGITS:
        return False
    precision, scale = (int(p) for p in decimal[8:-1].split(","))
    return precision - scale >= _DIGITS[other]


def _duck(kind: str) -> str:
    if kind.startswith("ARRAY<"):
        return _duck(kind[6:-1]) + "[]"
    return _DUCK_NAMES.get(kind, kind)


def _cast(arg: exp.Expr, kind: str) -> exp.Expr:
    """CAST to Spark's type; an array written out casts each element (Spark's cast of each, ANSI)."""
    if isinstance(arg, exp.Array) and kind.startswith("ARRAY<") and arg.expressions:
        element = kind[6:-1]
        cast = [e if spark_type(e) in (element, "NULL") else _cast(e, element) for e in arg.expressions]
        return exp.Array(expressions=cast)
    return exp.Cast(this=arg, to=exp.DataType.build(kind, dialect="databricks"))


def _unify(node: exp.Expr) -> exp.Expr:
    if not _applies(node):
        return node
    slots = _slots(node)
    types = [spark_type(_get(s)) for s in slots]
    target = _target(node, types) if None not in types else None
    if target is not None:
        if duck_agrees([t for t in types if t is not None]):
            return node  # DuckDB joins these types as Spark does: the literals stay as written for later rewrites
        for slot, kind in zip(slots, types, strict=True):
            if kind not in (target, "NULL"):
                _put(slot, _cast(_get(slot).copy(), target))
        return node
    unknown = [s for s, t in zip(slots, types, strict=True) if t is None]
    if not unknown or not _may_differ(unknown, {t for t in types if t not in (None, "NULL")}):
        return node
    what = exp.Literal.string(f"{_NAMES[type(node)]} of mixed types")
    # a branch (if, CASE, coalesce, nvl2) runs only on the rows that take it, but its type is the whole
    # result's: there the check guards the whole construct, so every row runs it
    lazy = isinstance(node, _LAZY)
    if "STRING" in types:  # Spark casts the STRING to the other's type: only other STRINGs keep DuckDB's
        kinds = exp.Array(expressions=[type_of(_get(s)) for s in unknown])
        for slot in unknown:
            _put(slot, _call("idu_unify_text", _get(slot).copy(), what.copy()))
        return _call("idu_unify_texts", node.copy(), kinds, what.copy()) if lazy else node
    names = [
        type_of(_get(s)) if t is None else exp.Literal.string(_duck(t))
        for s, t in zip(slots, types, strict=True)
    ]
    typed = exp.Boolean(this=not isinstance(node, exp.In))  # IN compares: BIGINT/DECIMAL widths do not matter
    # IN compares exactly on DuckDB, whatever the common type's scale: no computed check there
    computed_types = [type_of(_get(s)) for s in unknown if typed.this and computed(_get(s))]
    # the computed DECIMALs' check only where there are some: a macro's text costs DuckDB's binder
    guard, extra = (
        ("idu_unify_guard_decimal", [exp.Array(expressions=computed_types)])
        if computed_types
        else ("idu_unify_guard", [])
    )
    types_sql = exp.Array(expressions=names)
    operands: list[exp.Expr] = []
    values = [_get(s) for s in unknown]
    every_operand_unknown = len(values) == len(slots)
    if (
        not extra
        and every_operand_unknown
        and len(values) in _SAME_ARITIES
        and all(map(typed_when_bound, values))
    ):
        # a typed front: operands of one type pick an overload that is just the value (typed_macro)
        guard, operands = f"idu_unify_same{len(values)}", [type_stand_in(v) for v in values]
    if lazy:
        return _call(guard, node.copy(), *operands, types_sql, *extra, typed, what)
    _put(unknown[0], _call(guard, _get(unknown[0]).copy(), *operands, types_sql, *extra, typed, what))
    return node


# functions whose result has their argument's type on both engines
_SAME_TYPE = (
    exp.Paren, exp.Neg, exp.Abs, exp.Window, exp.Max, exp.Min, exp.First, exp.Last, exp.AnyValue,
    exp.FirstValue, exp.LastValue, exp.NthValue, exp.Lag, exp.Lead,
)  # fmt: skip


_SAME_TYPE_MACROS = frozenset({"idu_widen_float"})  # a FLOAT as DOUBLE; any other type as it is


def computed(node: exp.Expr) -> bool:
    """Whether DuckDB's type of this value may not be Spark's: anything but a column, a literal or a
    CAST (and those through functions of their argument's type) is computed by a function whose
    DECIMAL precision DuckDB chooses by its own rule."""
    while isinstance(node, _SAME_TYPE) or (
        isinstance(node, exp.Anonymous) and node.name.lower() in _SAME_TYPE_MACROS
    ):
        node = node.this if not isinstance(node, exp.Anonymous) else node.expressions[0]
    return not isinstance(node, exp.Column | exp.Literal | exp.Cast | exp.Null)


def duck_agrees(types: list[str]) -> bool:
    """Whether DuckDB's common type of these (known) Spark types is Spark's: the Python twin of
    ``idu_unify_differs`` (a literal integer takes the other's type in DuckDB, as an INT in Spark)."""
    kinds = set(types) - {"NULL"}
    if len(kinds) <= 1:
        return True
    if all(k.startswith("ARRAY<") for k in kinds):
        return duck_agrees([k[6:-1] for k in kinds])
    if kinds & {"STRING", "BOOLEAN", "BINARY"} or any(k.startswith(("MAP<", "ARRAY<")) for k in kinds):
        return False
    decimals = any(k.startswith("DECIMAL(") for k in kinds)
    return not (("FLOAT" in kinds and kinds - {"FLOAT", "DOUBLE"}) or ("BIGINT" in kinds and decimals))


def _may_differ(unknown: list[_Slot], known: set[str | None]) -> bool:
    """Whether a guard can ever fire: not for one value alone (the same expression twice counts once,
    NULLs aside), nor beside a DOUBLE (DuckDB joins a DOUBLE as Spark does, or fails to bind)."""
    if known == {"DOUBLE"}:
        return False
    return bool(known) or len({_get(s).sql() for s in unknown}) > 1


@gated(types=_NAMES)
def unify_types(tree: exp.Expr) -> exp.Expr:
    """Spark's casts into constructors and branches (innermost first), run-time guards where not known."""
    nodes = [n for n in tree.find_all(*_NAMES) if type(n) in _NAMES]
    return replace_each(tree, reversed(nodes), _unify)


_BINDER_MIX = ("Cannot deduce template type", "Cannot mix values of type", "an explicit cast is required")


def binder_refusal(sql: str, error: str) -> str | None:
    """The refusal for DuckDB's binder error on a guarded construct whose arguments it cannot join
    (their types are known only when run: two columns, a STRING and a number), else None."""
    if "IDU_UNIFY_" not in sql.upper() or not any(m in error for m in _BINDER_MIX):
        return None
    first = error.strip().splitlines()[0]
    return (
        "[IDU_REFUSED] a constructor or branch (array, map, coalesce, if, CASE, greatest, IN...) mixes values "
        f"of types DuckDB cannot join ({first}); Spark casts them to one type by its own rules (a STRING "
        "to BIGINT, DOUBLE or the other type, failing where the text does not parse): CAST the arguments "
        "to one type"
    )


FUNCTIONS: frozenset[type[exp.Expr]] = frozenset()
ANONYMOUS: dict[str, Callable[[list[exp.Expr]], exp.Expr]] = {}
CHECKS: dict[type[exp.Expr], Callable[[exp.Expr], str | None]] = {kind: _check for kind in _NAMES}

_DECIMAL_RE = r"DECIMAL\((\d+),(\d+)\)"
_REFUSED = "error('[IDU_REFUSED] ' || what || ' ({why}); CAST the arguments to one type')"

_DIFFERS = _REFUSED.format(
    why="' || array_to_string(list_filter(ts, lambda t: t <> '\"NULL\"'), ', ') || ': Spark''s common type "
    "differs from DuckDB''s"
)

UNIFY_MACROS: tuple[str, ...] = (
    # a value of a construct with a STRING literal: Spark casts the STRING to a non-STRING's type
    _macro(
        "idu_unify_text(x, what)",
        "CASE WHEN typeof(x) NOT IN ('VARCHAR', '\"NULL\"') THEN "
        + _REFUSED.format(
            why="' || typeof(x) || ' with a STRING: Spark casts the STRING to the other type, or fails"
        )
        + " ELSE CAST(x AS VARCHAR) END",
    ),
    # the whole construct of a STRING literal and values of the types ts: refused unless all are STRINGs
    _macro(
        "idu_unify_texts(x, ts, what)",
        "CASE WHEN len(list_filter(ts, lambda t: t NOT IN ('VARCHAR', '\"NULL\"'))) > 0 THEN "
        + _REFUSED.format(
            why="' || array_to_string(ts, ', ') || ' with a STRING: Spark casts the STRING to the other type, "
            "or fails"
        )
        + " ELSE x END",
    ),
    # the element types when every one is a list; else the types themselves
    _macro(
        "idu_unify_elements(ts)",
        "CASE WHEN len(ts) > 0 AND len(list_filter(ts, lambda t: NOT suffix(t, '[]'))) = 0 "
        "THEN list_transform(ts, lambda t: left(t, length(t) - 2)) ELSE ts END",
    ),
    # whether DuckDB's common type of these DuckDB types differs from Spark's (typed: the type matters)
    _macro(
        "idu_unify_differs(ts, typed)",
        "list_transform([idu_unify_elements(list_distinct(list_filter(ts, lambda t: t <> '\"NULL\"')))], "
        "lambda u: len(u) > 1 AND (list_has_any(u, ['BOOLEAN', 'VARCHAR', 'BLOB']) "
        "OR (list_contains(u, 'FLOAT') AND len(list_filter(u, lambda t: t NOT IN ('FLOAT', 'DOUBLE'))) > 0) "
        "OR (typed AND list_contains(u, 'BIGINT') AND len(list_filter(u, lambda t: t LIKE 'DECIMAL(%')) > 0) "
        # structs whose field names differ: Spark has no common type, DuckDB joins them by name
        "OR len(list_distinct(list_transform(list_filter(u, lambda t: t LIKE '%STRUCT(%'), "
        f"lambda t: {field_names_sql('t')}))) > 1))[1]",
    ),
    # the largest integer digits (precision less scale), and the largest scale, of these DuckDB types' DECIMALs
    _macro(
        "idu_unify_whole(ts)",
        rf"list_max(list_transform(ts, lambda t: TRY_CAST(regexp_extract(t, '{_DECIMAL_RE}', 1) AS INTEGER) "
        rf"- TRY_CAST(regexp_extract(t, '{_DECIMAL_RE}', 2) AS INTEGER)))",
    ),
    _macro(
        "idu_unify_scale(ts)",
        rf"list_max(list_transform(ts, lambda t: TRY_CAST(regexp_extract(t, '{_DECIMAL_RE}', 2) AS INTEGER)))",
    ),
    _macro(
        "idu_unify_guard(x, ts, typed, what)",
        "CASE WHEN idu_unify_differs(ts, typed) THEN " + _DIFFERS + " ELSE x END",
    ),
    # Two or three operands of one of these types (or types DuckDB casts to it implicitly, none a mix
    # the guard refuses: not DOUBLE, to which an integer casts) bind only ``x``, not the guard's check:
    # 2.3 ms of binding per guard, and the example directory holds 347 (nodes.typed_macro)
    *(
        typed_macro(
            f"idu_unify_same{n}",
            {("", *(t,) * n, "", "", ""): "x" for t in ("VARCHAR", "BIGINT", "INTEGER", "DATE", "TIMESTAMP")},
            "idu_unify_guard(x, ts, typed, what)",
            ("x", *(f"o{i}" for i in range(1, n + 1)), "ts", "typed", "what"),
        )
        for n in _SAME_ARITIES
    ),
    _macro(
        "idu_unify_guard_decimal(x, ts, cs, typed, what)",
        "CASE WHEN idu_unify_differs(ts, typed) THEN "
        + _DIFFERS
        + " WHEN idu_unify_whole(cs) + idu_unify_scale(ts) > 38 THEN "
        + _REFUSED.format(
            why="' || array_to_string(list_filter(ts, lambda t: t <> '\"NULL\"'), ', ') || ': a computed "
            "DECIMAL (a sum, arithmetic, a function) has more integer digits on DuckDB than on Spark, and "
            "DuckDB''s common type drops decimals Spark keeps"
        ).replace("CAST the arguments to one type", "CAST the computed value to the DECIMAL Spark gives it")
        + " ELSE x END",
    ),
)
