"""Small helpers the rewrites and macros share: a function call node, node replacement, a macro."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from sqlglot import exp

__all__ = [
    "INTEGER_CASTS",
    "PASS_THROUGH_GUARDS",
    "TYPED_FALLBACKS",
    "call",
    "group_of",
    "is_string_cast",
    "let",
    "macro",
    "replace_each",
    "rewrite_calls",
    "type_of",
    "type_stand_in",
    "typed_macro",
    "typed_when_bound",
]

# DuckDB integer type -> the macro of Spark's CAST to it (spark_compat/macros.py; ``<macro>_plain``
# for a plain argument, plain_args.py)
INTEGER_CASTS: dict[str, str] = {
    "BIGINT": "idu_to_bigint",
    "INTEGER": "idu_to_integer",
    "SMALLINT": "idu_to_smallint",
    "TINYINT": "idu_to_tinyint",
}


def is_string_cast(node: exp.Expr) -> bool:
    """``CAST(x AS STRING)`` (not TRY_CAST, not VARCHAR(n), whose length Spark checks)."""
    return (
        isinstance(node, exp.Cast)
        and not isinstance(node, exp.TryCast)
        and node.to.this in (exp.DataType.Type.TEXT, exp.DataType.Type.VARCHAR)
        and not node.to.expressions
    )


def call(name: str, *args: exp.Expr) -> exp.Anonymous:
    """``name(args...)`` as DuckDB will print it (a macro or a DuckDB function)."""
    return exp.Anonymous(this=name, expressions=list(args))


def let(value: str, name: str, body: str) -> str:
    """``body`` with ``name`` bound to ``value``, evaluated once.

    DuckDB expands macros inline: a macro that names its argument five times copies
    the argument five times, and ``conv(conv(...))`` in the canonical-id expression
    then grows into a tree that takes seconds to plan. A one-element lambda binds it.
    """
    return f"list_transform([{value}], lambda {name}: {body})[1]"


def group_of(node: exp.Expr) -> exp.Select | None:
    """The select whose ``GROUP BY`` key ``node`` is (under ROLLUP, CUBE, GROUPING SETS too)."""
    parent = node.parent
    while isinstance(parent, exp.Paren | exp.Tuple | exp.Rollup | exp.Cube | exp.GroupingSets):
        parent = parent.parent
    if isinstance(parent, exp.Group) and isinstance(parent.parent, exp.Select):
        return parent.parent
    return None


def macro(signature: str, body: str) -> str:
    return f"CREATE OR REPLACE MACRO {signature} AS {body}"


# the translation's guards that give their value (the argument at this index) or fail: the same type as
# the value, and binding their checks costs more than all the rest (spark_compat/unify.py,
# decimal_scales.py). A copy made for a type leaves them out (type_stand_in, set_operations.py).
PASS_THROUGH_GUARDS = {
    "idu_unify_guard": 0,
    "idu_unify_same2": 0,
    "idu_unify_same3": 0,
    "idu_unify_guard_decimal": 0,
    "idu_unify_texts": 0,
    "idu_decimal_scale": 1,
}

# macro name -> its parameters and the body its untyped overload runs (typed_macro): tests compare each
# typed overload with it
TYPED_FALLBACKS: dict[str, tuple[tuple[str, ...], str]] = {}


def typed_macro(
    name: str,
    cases: Mapping[str, str] | Mapping[tuple[str, ...], str],
    fallback: str,
    params: tuple[str, ...] = ("arg",),
) -> str:
    """``name(params)`` with one overload per DuckDB type (a tuple of types for several parameters) in
    ``cases`` and an untyped one running ``fallback``.

    DuckDB binds only the overload the arguments' types pick, where a ``CASE`` on ``typeof(arg)`` binds
    every branch before it folds: ``idu_cast_string_plain`` of a STRING column cost 1.8 ms of binding
    (its general branch), a plain CAST 0.3 ms, and every statement binds twice (the type check, then
    the run). DuckDB casts an argument of another type to an overload's type where it casts implicitly
    (TINYINT to BIGINT, a NULL to any): each case must give those what ``fallback`` gives them
    (tests/engines/test_typed_macros.py compares the two over every type). spark_compat/binding.py
    leaves a macro with typed parameters as it is."""
    TYPED_FALLBACKS[name] = (params, fallback)

    def signature(types: str | tuple[str, ...]) -> str:
        typed = (types,) if isinstance(types, str) else types
        return ", ".join(f"{p} {t}".strip() for p, t in zip(params, typed, strict=True))  # "": untyped

    overloads = [f"({signature(types)}) AS {body}" for types, body in cases.items()]
    return f"CREATE OR REPLACE MACRO {name}" + ", ".join([*overloads, f"({', '.join(params)}) AS {fallback}"])


def replace_each(
    tree: exp.Expr, nodes: Iterable[exp.Expr], build: Callable[[exp.Expr], exp.Expr]
) -> exp.Expr:
    """Replace each of ``nodes`` (in the order given) by ``build(node)``; the new root if it changed."""
    for node in nodes:
        new = build(node)
        if new is not node:
            if node is tree:
                tree = new
            else:
                node.replace(new)
    return tree


Builder = Callable[[list[exp.Expr]], exp.Expr]


def rewrite_calls(
    tree: exp.Expr,
    *,
    by_type: Mapping[type[exp.Expr], Builder],
    by_name: Mapping[str, Builder],
    arguments: Callable[[exp.Expr], list[exp.Expr]],
) -> exp.Expr:
    """Replace every call whose node type is in ``by_type`` (or, for a function sqlglot does not
    know, whose lower-case name is in ``by_name``) by its builder's result on ``arguments(node)``;
    innermost first, so a builder sees its arguments already rewritten."""
    nodes = [
        n for n in tree.find_all(exp.Anonymous, *by_type)
        if type(n) in by_type or (isinstance(n, exp.Anonymous) and n.name.lower() in by_name)
    ]  # fmt: skip

    def build(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Anonymous):
            return by_name[node.name.lower()](arguments(node))
        return by_type[type(node)](arguments(node))

    return replace_each(tree, reversed(nodes), build)


def type_of(operand: exp.Expr) -> exp.Expr:
    """``typeof(operand)`` of its type_stand_in."""
    return call("typeof", type_stand_in(operand))


def type_stand_in(operand: exp.Expr) -> exp.Expr:
    """A copy of ``operand`` for its type only, without the marks of later guards: a type needs none. Every
    predicate inside (a CASE's conditions, a subquery's WHERE, a nested comparison) is a typed NULL
    in the copy: a predicate is BOOLEAN whatever it compares. Copied whole, every comparison nested
    in an operand was copied again with each enclosing one (text, translation and binding grew with
    the square of the nesting); the predicates are set aside while the rest is copied, so the copy
    costs only what the type reads."""
    outermost = [
        n
        for n in operand.walk(prune=lambda n: isinstance(n, exp.Predicate) and n is not operand)
        if isinstance(n, exp.Predicate) and n is not operand
    ]
    stand_ins = [exp.cast(exp.null(), exp.DataType.build("BOOLEAN")) for _ in outermost]
    for predicate, stand_in in zip(outermost, stand_ins, strict=True):
        predicate.replace(stand_in)
    try:
        copy = operand.copy()
    finally:  # the statement's own tree keeps its predicates whatever happens
        for predicate, stand_in in zip(outermost, stand_ins, strict=True):
            stand_in.replace(predicate)
    for node in copy.walk():
        node._meta = None
    # a guard has its value's type: without it, an operand holding guarded operands (each holding its
    # own copies) doubled the text with every level of nesting (coalesce in coalesce)
    for guard in [c for c in copy.find_all(exp.Anonymous) if c.name.lower() in PASS_THROUGH_GUARDS]:
        value = guard.expressions[PASS_THROUGH_GUARDS[guard.name.lower()]]
        if guard is copy:
            copy = value
        else:
            guard.replace(value)
    return copy


def typed_when_bound(operand: exp.Expr) -> bool:
    """Whether DuckDB knows ``operand``'s type when it picks a macro overload (typed_macro): not for an
    aggregate, a window or an unnest (outside a subquery), whose type it leaves open then (two such
    operands are ambiguous; one is taken for another operand's type, so ``max(flag) = n`` would pass a
    typed overload unchecked), nor for a function the translation does not know to be scalar (a
    DuckDB aggregate it does not model)."""
    from airflow_idu.engines.duckdb.spark_compat.lambda_aggregates import aggregate_macros

    scopes = (exp.Subquery, exp.Select)  # a scalar subquery's column is typed whatever it aggregates
    for node in operand.walk(prune=lambda n: isinstance(n, scopes)):
        if isinstance(node, scopes):
            continue
        if isinstance(node, exp.AggFunc | exp.Window | exp.Unnest | exp.Explode):
            return False
        if isinstance(node, exp.Anonymous) and (
            not node.name.lower().startswith("idu_") or node.name.lower() in aggregate_macros()
        ):
            return False
    return True
