"""Evaluate each macro argument once, whatever the nesting: Spark's cost for nested functions.

A DuckDB macro is expanded by substitution: a parameter the body names k times copies the
argument's expression k times, and DuckDB evaluates every copy (common-subexpression
elimination does not reach into CASE branches and lambdas). Nested macros multiply: in the
canonical id ``base64(unhex(lpad(conv(... substr(sha2(key)) ...))))`` every row computed the key
dozens of times, where Spark computes each argument once (measured on the example directory:
each enrich statement 25x slower than with the arguments bound). So a scalar macro binds its
value parameter first, through a one-element list: ``list_transform([p], lambda p: <body>)[1]``.
Inside the lambda ``p`` is the lambda's parameter, which DuckDB's macro expansion does not
substitute, so the body is unchanged text and the argument is evaluated once per row.

Which parameters are bound:

* a body without lambdas: every parameter it names more than once;
* a body with lambdas of its own: the first (value) parameter only. The others are options
  (bases, formats, positions), nearly always literals; binding them too makes the body's own
  lambdas capture them, which DuckDB runs far slower (``conv`` of ``conv``: 25x);
* a body with ``try()``: every parameter. DuckDB refuses ``try()`` around an argument that holds
  ``error()`` ("TRY can not be used in combination with a volatile function"), which every
  checked macro does, so ``a * (b * c)`` could not run; around a lambda parameter it is fine;
* aggregate macros: none. Their parameters are per-row expressions inside an aggregate, which a
  lambda cannot hold, and aggregates do not nest.
* macros with typed parameters (overloads, nodes.typed_macro): none; DuckDB picks one by the
  arguments' types, and a lambda around them would hide those types.
* ``*_plain`` macros: none. The translator calls them only with a plain argument
  (:mod:`.plain_args`: a column, a literal, substr/sha2 of those), whose copies DuckDB computes once
  as a common subexpression; a column of a one-row table (a mask joined to every row) even stays
  one constant value per chunk, which a lambda would compute again on every row.
"""

from __future__ import annotations

import re

__all__ = ["bind_parameters_once", "is_aggregate_macro", "repeated_parameters"]

_DEFINITION = re.compile(r"CREATE OR REPLACE MACRO\s+(\w+)\s*\(([^)]*)\)\s+AS\s+(.*)\Z", re.S | re.I)
_STRING = re.compile(r"'(?:[^']|'')*'")
# DuckDB aggregates the aggregate macros call (a body with one of these is an aggregate macro)
_AGGREGATE = re.compile(
    r"\b(any_value|count|sum|avg|min|max|list|array_agg|quantile_\w+|median|mode|first|last|"
    r"string_agg|bool_and|bool_or|histogram|var_\w+|stddev_\w+|covar_\w+|corr|kahan_sum|fsum)\s*\(",
    re.I,
)

# a body with try(): every parameter is bound (see the module docstring)
_TRY = re.compile(r"\btry\s*\(", re.I)


def is_aggregate_macro(definition: str) -> bool:
    """``definition`` is a macro whose body aggregates (a call of it is an aggregate)."""
    match = _DEFINITION.match(definition)
    if match is None:
        return False
    code = _STRING.sub("''", match.group(3))
    return not code.lstrip().upper().startswith("TABLE") and _AGGREGATE.search(code) is not None


def repeated_parameters(definition: str) -> tuple[str, ...]:
    """The parameters ``definition`` binds once (the module docstring says which); string literals
    of the body do not count."""
    match = _DEFINITION.match(definition)
    if match is None:
        return ()
    _, params, body = match.groups()
    code = _STRING.sub("''", body)
    if code.lstrip().upper().startswith("TABLE") or is_aggregate_macro(definition):
        return ()
    if match.group(1).lower().endswith("_plain"):
        return ()
    if any(len(p.split()) > 1 for p in params.split(",")):
        return ()  # typed parameters: an overload set (nodes.typed_macro), dispatched by type when bound
    names = [p.strip().split()[0] for p in params.split(",") if p.strip()]
    if _TRY.search(code):
        return tuple(names)
    if "lambda" in code.lower():
        names = names[:1]
    return tuple(n for n in names if len(re.findall(rf"(?<![\w.]){re.escape(n)}(?!\w)", code)) > 1)


def bind_parameters_once(definition: str) -> str:
    """``definition`` with each repeated parameter bound once (see the module docstring)."""
    repeated = repeated_parameters(definition)
    if not repeated:
        return definition
    match = _DEFINITION.match(definition)
    assert match is not None  # repeated_parameters found parameters in it
    name, params, body = match.groups()
    for param in reversed(repeated):
        body = f"list_transform([{param}], lambda {param}: {body})[1]"
    return f"CREATE OR REPLACE MACRO {name}({params}) AS {body}"
