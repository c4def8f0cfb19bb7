"""A FLOAT beside an integer or a DECIMAL: Spark computes in DOUBLE, DuckDB in FLOAT.

Spark (ANSI mode, a SQL warehouse's default) widens ``FLOAT op INT`` to ``DOUBLE``, and ``FLOAT op
DECIMAL`` or a string to ``DOUBLE`` in either mode, for ``+``, ``-``, ``*``, ``%`` and the comparisons.
DuckDB keeps FLOAT: with ``f`` a FLOAT 0.1, ``f + 1`` was 1.100000023841858 where Spark gives
1.1000000014901161, and ``f = 0.1`` (or ``f = '0.1'``) was true where Spark's is false (0.1 read as a
DOUBLE is not the FLOAT 0.1), silently.

The widening is ``replace_type(x, FLOAT, DOUBLE)``: it casts a FLOAT to DOUBLE and leaves any other
type as it is, decided when DuckDB binds (a no-op folds away: a filter still reaches the scan, a
join keeps its hash join).

- **Comparisons** widen every operand. A FLOAT converts to DOUBLE exactly, so a FLOAT compared with a
  FLOAT or a DOUBLE compares the same, and one compared with anything else compares as in Spark.
- **Arithmetic** beside an operand that is certainly not FLOAT (a literal, a CAST to another type, a
  text function, or arithmetic that already has such an operand) widens the other operand, which is
  Spark's rule exactly. Where no operand's type is known before the run (``f + k``), the tree of
  such operations is checked once at its top: its operands' types (``typeof``, folded to constants
  when DuckDB binds) must not mix FLOAT with an integer or a DECIMAL, whose sum Spark computes in
  DOUBLE and DuckDB in FLOAT; if they do, the statement is refused when run, naming the fix (a CAST
  on one side). ``f + f`` and ``f + d`` run as written. A ``GROUP BY`` key is checked in ``WHERE``
  (as in decimal_scales.py), so the select list's copies of the key still match it.

The translation applies this only where a FLOAT can reach the statement: the database holds a FLOAT
column (engines/duckdb/float_columns.py) or the statement names the type (:func:`writes_floats`).
Each operand of an unknown tree is copied once into its check (linear in the tree; quadratic only in
how deeply arithmetic and functions alternate, as for decimal_scales.py).
"""

from __future__ import annotations

from sqlglot import exp

from airflow_idu.engines.duckdb.spark_compat.gates import gated
from airflow_idu.engines.duckdb.spark_compat.nodes import call, group_of, macro, type_of
from airflow_idu.engines.duckdb.spark_compat.types import Kind, static_kind

__all__ = ["FLOAT_WIDENING_MACROS", "WIDEN", "float_widening", "writes_floats"]

WIDEN = "idu_widen_float"  # a FLOAT cast to DOUBLE, any other type as it is (plain_args.py copies it)
_WIDEN = WIDEN
_CHECK = "idu_float_mix"
_ARITHMETIC = (exp.Add, exp.Sub, exp.Mul, exp.Mod)
_COMPARISONS = (
    exp.EQ,
    exp.NEQ,
    exp.GT,
    exp.GTE,
    exp.LT,
    exp.LTE,
    exp.NullSafeEQ,
    exp.NullSafeNEQ,
    exp.Between,
)
_T = exp.DataType.Type

_INTEGERS = "(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|DECIMAL)"
# a FLOAT and an integer or DECIMAL among the ';'-separated type names (DECIMAL's own has a comma)
_MIX = rf"(^|;)FLOAT;(.*;)?{_INTEGERS}|(^|;){_INTEGERS}[^;]*;(.*;)?FLOAT(;|$)"

FLOAT_WIDENING_MACROS: tuple[str, ...] = (
    macro(f"{_WIDEN}(x)", "replace_type(x, CAST(NULL AS FLOAT), CAST(NULL AS DOUBLE))"),
    # each parameter named once, so binding.py leaves the arguments in place and the typeof calls
    # fold when DuckDB binds; the CASE then folds to x
    macro(
        f"{_CHECK}(type_names, x)",
        f"CASE WHEN regexp_matches(type_names, '{_MIX}') THEN error('[IDU_REFUSED] arithmetic "
        "of a FLOAT with an integer or a DECIMAL whose types are known only when run: Spark "
        "computes it in DOUBLE, DuckDB in FLOAT; CAST the FLOAT to DOUBLE (or the other side to FLOAT)') "
        "ELSE x END",
    ),
)


def _operands(node: exp.Expr) -> list[exp.Expr]:
    if isinstance(node, exp.Between):
        return [node.this, node.args["low"], node.args["high"]]
    return [node.this, node.expression]


def _bare(node: exp.Expr) -> exp.Expr:
    while isinstance(node, exp.Paren | exp.Neg):
        node = node.this
    return node


def _not_float(node: exp.Expr, known: set[int]) -> bool:
    """Certainly not FLOAT, from the expression alone: a literal (a string too), a CAST to another
    type, a text or binary function, or arithmetic that already has such an operand."""
    node = _bare(node)
    if id(node) in known or isinstance(node, exp.Literal):
        return True
    if isinstance(node, exp.Cast):
        return node.to.this is not _T.FLOAT
    return static_kind(node) in (Kind.STRING, Kind.BINARY)


def _widen(node: exp.Expr) -> None:
    wrapper = call(_WIDEN)
    node.replace(wrapper)
    wrapper.set("expressions", [node])


def _unknown_child(node: exp.Expr, unknown: set[int]) -> exp.Expr | None:
    """The arithmetic node of unknown type below ``node`` (through parentheses and signs), if any."""
    bare = _bare(node)
    return bare if id(bare) in unknown else None


def _leaves(node: exp.Expr, unknown: set[int]) -> list[exp.Expr]:
    out: list[exp.Expr] = []
    for operand in _operands(node):
        inner = _unknown_child(operand, unknown)
        out.extend(_leaves(inner, unknown) if inner is not None else [operand])
    return out


def _is_top(node: exp.Expr, unknown: set[int]) -> bool:
    parent = node.parent
    while isinstance(parent, exp.Paren | exp.Neg):
        parent = parent.parent
    return parent is None or id(parent) not in unknown


def _check(node: exp.Expr, unknown: set[int]) -> None:
    types = call("concat_ws", exp.Literal.string(";"), *(type_of(a) for a in _leaves(node, unknown)))
    select = group_of(node)
    if select is not None:
        select.where(call(_CHECK, types, exp.true()), copy=False)
        return
    checked = call(_CHECK, types)
    node.replace(checked)
    checked.set("expressions", [types, node])


def _assignment(node: exp.Expr) -> bool:
    """``SET v = x`` of an UPDATE, a MERGE or a configuration: an assignment, not a comparison."""
    return isinstance(node, exp.EQ) and isinstance(node.parent, exp.Update | exp.SetItem)


def writes_floats(tree: exp.Expr) -> bool:
    """The statement itself names the FLOAT type (``CAST(x AS FLOAT)``, ``1.5F``, ``float(x)``, a
    FLOAT column it creates), so it may compute with FLOAT values whatever the database holds."""
    return any(t.this is _T.FLOAT for t in tree.find_all(exp.DataType))


@gated(types=(*_ARITHMETIC, *_COMPARISONS))
def float_widening(tree: exp.Expr) -> exp.Expr:
    known: set[int] = set()  # arithmetic whose result is certainly not FLOAT
    unknown: set[int] = set()  # operations none of whose operands' types are known
    nodes = [n for n in tree.find_all(*_ARITHMETIC, *_COMPARISONS) if not _assignment(n)]
    for node in reversed(nodes):  # innermost first
        operands = _operands(node)
        sure = [_not_float(o, known) for o in operands]
        comparison = isinstance(node, _COMPARISONS)
        if not comparison and not any(sure):
            unknown.add(id(node))
            continue
        for operand, certain in zip(operands, sure, strict=True):
            if not certain:
                _widen(operand)
        if not comparison:
            known.add(id(node))
    tops = [n for n in nodes if id(n) in unknown and _is_top(n, unknown)]
    for node in tops:
        _check(node, unknown)
    return tree
