"""Spark's map functions and the lambdas over maps and pairs of arrays, on DuckDB's MAP and lists.

A DuckDB MAP keeps its entries in the order they were built, as Spark's does, so each function
builds its result's entries in Spark's order and makes the map with ``map_from_entries``. Spark
(``spark.sql.mapKeyDedupPolicy=EXCEPTION``, the default) raises on a duplicate key
(``[DUPLICATED_MAP_KEY]``) and on a NULL key (``[NULL_MAP_KEY]``): ``idu_map_of_entries`` checks
both (a hash of the keys: linear) before building.

* ``map_concat(m1, m2, ...)``: the entries one after the other; NULL if a map is NULL;
* ``map_from_entries(array of pairs)``: NULL if an entry is NULL (before the key checks, as Spark);
* ``str_to_map(text[, pairDelim[, keyValueDelim]])``: Spark splits with Java regular expressions
  (``String.split(delim, -1)``, then ``split(delim, 2)``); a literal delimiter without a regex
  metacharacter is a plain substring, so only those run (others refused). A pair without the
  key-value delimiter has a NULL value;
* ``map_filter``, ``transform_values``, ``transform_keys`` (``(k, v) -> ...``): over the entries in
  order; a filter keeps entries whose predicate is true;
* ``map_zip_with(m1, m2, (k, v1, v2) -> ...)``: Spark's keys are m1's in order, then m2's new ones.
  Both key lists are sorted together (n log n) so that each key meets its match in the other map;
  the value lists are then indexed (constant time), never searched;
* ``zip_with(a, b, (x, y) -> ...)`` and ``arrays_zip(a, ...)``: the shorter arrays padded with
  NULL, NULL if an array is NULL; ``arrays_zip``'s fields are named as Spark names them (a column's
  name, else the argument's position), two fields of one name refused (a DuckDB struct cannot).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator

from sqlglot import exp

from airflow_idu.engines.duckdb.spark_compat.gates import gated
from airflow_idu.engines.duckdb.spark_compat.more_functions import text
from airflow_idu.engines.duckdb.spark_compat.nodes import call as _call
from airflow_idu.engines.duckdb.spark_compat.nodes import macro as _macro
from airflow_idu.engines.duckdb.spark_compat.nodes import replace_each

__all__ = ["ANONYMOUS", "CHECKS", "FUNCTIONS", "MAP_MACROS", "anonymous_check", "map_functions"]

# name -> (arguments, the lambda's parameters)
_LAMBDAS = {"map_filter": (2, 2), "transform_values": (2, 2), "transform_keys": (2, 2), "map_zip_with": (3, 3),
            "zip_with": (3, 2)}  # fmt: skip
ANONYMOUS: frozenset[str] = frozenset({"map_concat", "str_to_map", "arrays_zip", *_LAMBDAS})
FUNCTIONS: frozenset[type[exp.Expr]] = frozenset({exp.MapFromEntries, exp.StrToMap, exp.ArraysZip})
_REGEX_META = frozenset(".$|()[]{}^?*+\\")
_NAMES = (exp.Column, exp.Identifier)
# an identifier there is a name, not a reference to a lambda parameter: node type -> its argument
_NOT_A_VALUE: dict[type[exp.Expr], str] = {
    exp.Column: "this", exp.Lambda: "expressions", exp.Dot: "expression", exp.Alias: "alias", exp.PropertyEQ: "this",
}  # fmt: skip


def _is_null(*values: exp.Expr) -> exp.Expr:
    return exp.or_(*(exp.Is(this=v.copy(), expression=exp.Null()) for v in values))


def _null_or(values: list[exp.Expr], result: exp.Expr) -> exp.Expr:
    return exp.Case(ifs=[exp.If(this=_is_null(*values), true=exp.Null())], default=result)


def _field(name: str, value: exp.Expr) -> exp.Expr:
    return exp.PropertyEQ(this=exp.to_identifier(name, quoted=True), expression=value)


def _struct(**fields: exp.Expr) -> exp.Struct:
    return exp.Struct(expressions=[_field(k, v) for k, v in fields.items()])


def _get(var: str, name: str) -> exp.Expr:
    return exp.Column(this=exp.to_identifier(name), table=exp.to_identifier(var))


def _lambda(var: str, body: exp.Expr, index: str | None = None) -> exp.Lambda:
    names = [exp.to_identifier(var), *([exp.to_identifier(index)] if index else [])]
    return exp.Lambda(this=body, expressions=names)


def _references(body: exp.Expr, name: str) -> Iterator[exp.Expr]:
    """The references to a lambda parameter ``name`` in ``body`` (not a qualified column or a field)."""
    for node in body.find_all(*_NAMES):
        if node.name != name:
            continue
        if isinstance(node, exp.Column):
            if not node.table:
                yield node
        elif node.parent is None or _NOT_A_VALUE.get(type(node.parent)) != node.arg_key:
            yield node


def _named_struct(pair: exp.Tuple) -> exp.Struct:
    """Spark's ``(a, b)``: a struct whose fields are named after the columns, else col1, col2..."""
    names = [e.name if isinstance(e, _NAMES) else f"col{n}" for n, e in enumerate(pair.expressions, start=1)]
    return exp.Struct(expressions=[_field(n, e.copy()) for n, e in zip(names, pair.expressions, strict=True)])


def _apply(fn: exp.Expr, values: list[exp.Expr]) -> exp.Expr:
    """The lambda's body with each parameter replaced by its value."""
    assert isinstance(fn, exp.Lambda)
    wrapper = exp.Paren(this=fn.this.copy())  # so that the body itself can be replaced
    for pair in [t for t in wrapper.find_all(exp.Tuple) if not isinstance(t.parent, exp.In)]:
        pair.replace(_named_struct(pair))
    for param, value in zip(fn.expressions, values, strict=True):
        for ref in list(_references(wrapper, param.name)):
            ref.replace(value.copy())
    return wrapper.this


def _entries(m: exp.Expr) -> exp.Expr:
    return _call("map_entries", m)


def _map_concat(args: list[exp.Expr], fresh: Iterator[str]) -> exp.Expr:
    entries: exp.Expr = _entries(args[0].copy())
    for m in args[1:]:
        entries = _call("list_concat", entries, _entries(m.copy()))
    return _null_or(args, _call("idu_map_of_entries", entries))


def _map_filter(args: list[exp.Expr], fresh: Iterator[str]) -> exp.Expr:
    var = next(fresh)
    keep = _apply(args[1], [_get(var, "key"), _get(var, "value")])
    return _call("map_from_entries", _call("list_filter", _entries(args[0]), _lambda(var, keep)))


def _transform(part: str) -> Callable[[list[exp.Expr], Iterator[str]], exp.Expr]:
    def build(args: list[exp.Expr], fresh: Iterator[str]) -> exp.Expr:
        var = next(fresh)
        new = _apply(args[1], [_get(var, "key"), _get(var, "value")])
        entry = (
            _struct(key=new, value=_get(var, "value"))
            if part == "key"
            else _struct(key=_get(var, "key"), value=new)
        )
        entries = _call("list_transform", _entries(args[0]), _lambda(var, entry))
        return _call("idu_map_of_entries" if part == "key" else "map_from_entries", entries)

    return build


def _pair(var: str, n: int) -> exp.Expr:
    return _call("struct_extract_at", exp.column(var), exp.Literal.number(n))


def _zip_with(args: list[exp.Expr], fresh: Iterator[str]) -> exp.Expr:
    var = next(fresh)
    value = _apply(args[2], [_pair(var, 1), _pair(var, 2)])
    zipped = _call("list_zip", args[0].copy(), args[1].copy())
    return _null_or(args[:2], _call("list_transform", zipped, _lambda(var, value)))


def _map_zip_with(args: list[exp.Expr], fresh: Iterator[str]) -> exp.Expr:
    """m1's keys in order, then m2's new ones; rows (order, key, index in m1, index in m2)."""
    z, r = next(fresh), next(fresh)
    v1 = _call("list_extract", _get(z, "a"), _get(r, "i"))  # NULL for a NULL index
    v2 = _call("list_extract", _get(z, "b"), _get(r, "j"))
    value = _apply(args[2], [_get(r, "k"), v1, v2])
    entry = _struct(key=_get(r, "k"), value=value)
    rows = _call("idu_map_zip_rows", _call("map_keys", args[0].copy()), _call("map_keys", args[1].copy()))
    bound = _struct(a=_call("map_values", args[0].copy()), b=_call("map_values", args[1].copy()), rows=rows)
    built = _call("map_from_entries", _call("list_transform", _get(z, "rows"), _lambda(r, entry)))
    first = _call("list_extract", _call("list_transform", exp.Array(expressions=[bound]), _lambda(z, built)),
                  exp.Literal.number(1))  # fmt: skip
    return _null_or(args[:2], first)


def _zip_name(arg: exp.Expr, position: int) -> str:
    return arg.name if isinstance(arg, exp.Column) else str(position)


def _arrays_zip(args: list[exp.Expr], fresh: Iterator[str]) -> exp.Expr:
    var = next(fresh)
    fields = {_zip_name(a, n): _pair(var, n + 1) for n, a in enumerate(args)}
    zipped = _call("list_zip", *(a.copy() for a in args))
    return _null_or(args, _call("list_transform", zipped, _lambda(var, _struct(**fields))))


def _str_to_map(args: list[exp.Expr], fresh: Iterator[str]) -> exp.Expr:
    pairs = args[1] if len(args) > 1 else exp.Literal.string(",")
    kv = args[2] if len(args) > 2 else exp.Literal.string(":")
    return _call("idu_str_to_map", text(args[0]), pairs.copy(), kv.copy())


_BUILD: dict[str, Callable[[list[exp.Expr], Iterator[str]], exp.Expr]] = {
    "map_concat": _map_concat,
    "map_filter": _map_filter,
    "transform_values": _transform("value"),
    "transform_keys": _transform("key"),
    "zip_with": _zip_with,
    "map_zip_with": _map_zip_with,
    "arrays_zip": _arrays_zip,
    "str_to_map": _str_to_map,
}


def _delimiter(node: exp.Expr | None) -> str | None:
    if node is None:
        return None
    if not (isinstance(node, exp.Literal) and node.is_string and node.this):
        return "str_to_map with a delimiter that is not a non-empty string literal"
    if _REGEX_META & set(node.this):
        return (
            f"str_to_map with the delimiter {node.this!r} (a Java regular expression: only plain text runs)"
        )
    return None


def _str_to_map_check(node: exp.Expr) -> str | None:
    return _delimiter(node.args.get("pair_delim")) or _delimiter(node.args.get("key_value_delim"))


def _shadowed(fn: exp.Lambda) -> bool:
    names = {p.name for p in fn.expressions}
    return any(
        inner is not fn and names & {p.name for p in inner.expressions} for inner in fn.find_all(exp.Lambda)
    )


def anonymous_check(node: exp.Anonymous) -> str | None:
    name, args = node.name.lower(), node.expressions
    if name == "map_concat" and not args:
        return "map_concat without arguments"
    if name == "arrays_zip":
        names = [_zip_name(a, n) for n, a in enumerate(args)]
        return (
            "arrays_zip of two arrays of one name (a DuckDB struct's fields are distinct)"
            if len(set(names)) < len(names) or not args
            else None
        )
    if name in _LAMBDAS:
        fn = args[-1] if args else None
        arity, params = _LAMBDAS[name]
        if len(args) != arity or not isinstance(fn, exp.Lambda):
            return f"{name} with other arguments than Spark's"
        if len(fn.expressions) != params or _shadowed(fn):
            return f"{name} with a lambda of {len(fn.expressions)} parameters or one a nested lambda rebinds"
    return None


CHECKS: dict[type[exp.Expr], Callable[[exp.Expr], str | None]] = {
    exp.StrToMap: _str_to_map_check,
    exp.ArraysZip: lambda n: anonymous_check(exp.Anonymous(this="arrays_zip", expressions=n.expressions)),
}


def _as_call(node: exp.Expr) -> tuple[str, list[exp.Expr]]:
    if isinstance(node, exp.MapFromEntries):
        return "map_from_entries", [node.this.copy()]
    if isinstance(node, exp.StrToMap):
        args = [node.this, node.args.get("pair_delim"), node.args.get("key_value_delim")]
        return "str_to_map", [a.copy() for a in args if a is not None]
    if isinstance(node, exp.ArraysZip):
        return "arrays_zip", [a.copy() for a in node.expressions]
    return node.name.lower(), [a.copy() for a in node.expressions]


@gated(types=FUNCTIONS, names=_BUILD)
def map_functions(tree: exp.Expr) -> exp.Expr:
    """Rewrite the functions above, innermost first, each lambda with a variable of its own."""
    fresh = (f"idu_m{n}" for n in itertools.count())
    nodes = [
        n for n in tree.find_all(exp.Anonymous, *FUNCTIONS)
        if not isinstance(n, exp.Anonymous) or n.name.lower() in _BUILD
    ]  # fmt: skip

    def build(node: exp.Expr) -> exp.Expr:
        name, args = _as_call(node)
        if name == "map_from_entries":
            return _call("idu_map_from_pairs", args[0])
        return _BUILD[name](args, fresh)

    return replace_each(tree, reversed(nodes), build)


MAP_MACROS: tuple[str, ...] = (
    _macro(
        "idu_map_of_entries(e)",
        "CASE WHEN e IS NULL THEN NULL "
        "WHEN list_count(list_transform(e, lambda idu_x: idu_x.key)) < len(e) THEN "
        "error('[NULL_MAP_KEY] Cannot use null as map key.') "
        "WHEN len(list_distinct(list_transform(e, lambda idu_x: idu_x.key))) < len(e) THEN "
        "error('[DUPLICATED_MAP_KEY] Duplicate map key was found, please check the input data.') "
        "ELSE map_from_entries(e) END",
    ),
    # Spark's map_from_entries: a NULL entry makes the map NULL, before any key is checked
    _macro(
        "idu_map_from_pairs(e)",
        "CASE WHEN e IS NULL OR list_count(e) < len(e) THEN NULL ELSE idu_map_of_entries(list_transform(e, "
        "lambda idu_x: {'key': struct_extract_at(idu_x, 1), 'value': struct_extract_at(idu_x, 2)})) END",
    ),
    _macro(
        "idu_str_to_map(s, pd, kd)",
        "CASE WHEN s IS NULL OR pd IS NULL OR kd IS NULL THEN NULL ELSE idu_map_of_entries(list_transform("
        "string_split(s, pd), lambda idu_p: CASE WHEN strpos(idu_p, kd) = 0 THEN {'key': idu_p, 'value': NULL} "
        "ELSE {'key': substring(idu_p, 1, strpos(idu_p, kd) - 1), 'value': substring(idu_p, strpos(idu_p, kd) "
        "+ length(kd))} END)) END",
    ),
    # map_zip_with's rows: both key lists sorted together, each key of a followed by its match in b
    # (if any); a's keys in a's order, then b's keys without a match in b's order
    _macro(
        "idu_map_zip_rows(a, b)",
        "list_transform([list_sort(list_concat(list_transform(a, lambda idu_k, idu_i: {'k': idu_k, 's': 0, "
        "'p': idu_i}), list_transform(b, lambda idu_k, idu_i: {'k': idu_k, 's': 1, 'p': idu_i})))], lambda idu_t: "
        "list_sort(list_filter(list_transform(idu_t, lambda idu_e, idu_n: {'o': CASE WHEN idu_e.s = 0 THEN idu_e.p "
        "ELSE len(a) + idu_e.p END, 'keep': idu_e.s = 0 OR idu_n = 1 OR NOT (idu_t[idu_n - 1].s = 0 AND "
        "idu_t[idu_n - 1].k = idu_e.k), 'k': idu_e.k, 'i': CASE WHEN idu_e.s = 0 THEN idu_e.p END, 'j': CASE "
        "WHEN idu_e.s = 1 THEN idu_e.p WHEN idu_n < len(idu_t) AND idu_t[idu_n + 1].s = 1 AND "
        "idu_t[idu_n + 1].k = idu_e.k THEN idu_t[idu_n + 1].p END}), lambda idu_r: idu_r.keep)))[1]",
    ),
)
