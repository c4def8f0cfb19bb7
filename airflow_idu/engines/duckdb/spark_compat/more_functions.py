"""More Spark built-ins as one macro each, or as constructs the later rewrites make exact.

* ``bround`` of a DECIMAL (half to even, a literal scale; DuckDB keeps the input's precision, one
  digit wider than Spark's), ``factorial`` (NULL outside 0-20), ``rint`` (Java's ``Math.rint``: half to even, -0.0 kept),
  ``bin`` (the 64-bit two's complement of a negative), ``try_mod`` (NULL for a zero divisor);
* ``find_in_set``, ``quote`` (``'`` escaped with a backslash), ``luhn_check`` (ASCII digits; a string
  of other Unicode digits, which Java's ``Character.isDigit`` also reads, is refused), ``get``
  (0-based, NULL out of bounds);
* ``is_valid_utf8``/``validate_utf8``/``try_validate_utf8``/``make_valid_utf8``: a STRING is valid UTF-8, a BINARY's
  bytes are checked by DuckDB's decoder;
* ``encode(s, 'utf-8')``/``decode(b, 'utf-8')``/``to_binary(s, 'utf-8')``: the cast to BINARY or to
  STRING (bytes that are not UTF-8 are refused, as everywhere); other charsets are refused;
* ``decode(x, search, result, ..., default)``: ``CASE WHEN x <=> search THEN result ... END``, the
  results cast to STRING as Spark does when one of them is a STRING or a BINARY.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlglot import exp

from airflow_idu.engines.duckdb.spark_compat.gates import gated
from airflow_idu.engines.duckdb.spark_compat.nodes import call as _call
from airflow_idu.engines.duckdb.spark_compat.nodes import macro as _macro
from airflow_idu.engines.duckdb.spark_compat.nodes import rewrite_calls
from airflow_idu.engines.duckdb.spark_compat.strict_math import strict_math
from airflow_idu.engines.duckdb.spark_compat.types import Kind, static_kind

__all__ = ["ANONYMOUS", "CHECKS", "FUNCTIONS", "MORE_MACROS", "anonymous_check", "more_functions"]

Build = Callable[[list[exp.Expr]], exp.Expr]
_UTF8 = frozenset({"utf-8"})
_TO_BINARY_UTF8 = frozenset({"utf-8", "utf8"})


def _int(node: exp.Expr) -> exp.Expr:
    return node if isinstance(node, exp.Literal | exp.Neg) else _call("idu_to_integer", node)


def text(node: exp.Expr) -> exp.Expr:
    """A STRING argument: Spark casts the others to STRING (a BINARY decoded as UTF-8)."""
    kind = static_kind(node)
    if kind in (Kind.STRING, Kind.NULL):
        return node
    return _call("idu_utf8", node) if kind is Kind.BINARY else _call("idu_text", node)


def _to_binary(value: exp.Expr) -> exp.Expr:
    return exp.Cast(this=text(value), to=exp.DataType.build("BINARY"))


def _results(values: list[exp.Expr]) -> tuple[list[exp.Expr], list[exp.Expr]]:
    """CASE results as Spark types them: a BINARY with STRINGs makes every result BINARY, a STRING
    with other types every result a STRING; and the results whose type only DuckDB knows, which must
    then not be BLOBs (a mix DuckDB would type differently)."""
    kinds = [static_kind(v) for v in values]
    unknown = [v for v, k in zip(values, kinds, strict=True) if k is None]
    if Kind.BINARY in kinds and all(k in (Kind.BINARY, Kind.STRING, Kind.NULL) for k in kinds):
        binary = [exp.Cast(this=v, to=exp.DataType.build("BINARY")) if k is Kind.STRING else v
                  for v, k in zip(values, kinds, strict=True)]  # fmt: skip
        return binary, []
    if Kind.STRING in kinds:
        what = exp.Literal.string("decode with results of BINARY and other types")
        return [_call("idu_text_only", v, what.copy()) if k is None else text(v)
                for v, k in zip(values, kinds, strict=True)], unknown  # fmt: skip
    return values, unknown if Kind.BINARY in kinds else []


def _decode_case(args: list[exp.Expr]) -> exp.Expr:
    value, pairs = args[0], args[1:]
    default = pairs.pop() if len(pairs) % 2 else exp.Null()
    results, unknown = _results([*pairs[1::2], default])
    ifs = [exp.If(this=exp.NullSafeEQ(this=value.copy(), expression=search), true=result)
           for search, result in zip(pairs[0::2], results, strict=False)]  # fmt: skip
    case = exp.Case(ifs=ifs, default=results[-1])
    if not unknown:
        return case
    blob = exp.or_(
        *(exp.EQ(this=_call("typeof", u.copy()), expression=exp.Literal.string("BLOB")) for u in unknown)
    )
    refused = _call(
        "error", exp.Literal.string("[IDU_REFUSED] decode with results of BINARY and other types")
    )
    return exp.Case(ifs=[exp.If(this=blob, true=refused)], default=case)


ANONYMOUS: dict[str, Build] = {
    "bin": lambda a: _call("bin", exp.Cast(this=a[0], to=exp.DataType.build("BIGINT"))),
    "try_mod": lambda a: _call("idu_try_mod", a[0], a[1]),
    "find_in_set": lambda a: _call("idu_find_in_set", text(a[0]), text(a[1])),
    "quote": lambda a: _call("idu_quote", text(a[0])),
    "luhn_check": lambda a: _call("idu_luhn_check", text(a[0])),
    "get": lambda a: _call("idu_get", a[0], _int(a[1])),
    "is_valid_utf8": lambda a: _call("idu_is_valid_utf8", a[0]),
    "validate_utf8": lambda a: _call("idu_validate_utf8", a[0]),
    "try_validate_utf8": lambda a: _call("idu_try_validate_utf8", a[0]),
    "make_valid_utf8": lambda a: text(a[0]),  # bytes that are not UTF-8 (Spark: U+FFFD) are refused
    "try_to_binary": lambda a: _to_binary(a[0]),
    "bround": lambda a: _call("idu_bround", a[0], a[1] if len(a) > 1 else exp.Literal.number(0)),
    "url_encode": lambda a: _call("idu_url_encode", text(a[0])),
    "url_decode": lambda a: _call("idu_url_decode", text(a[0])),
    "try_url_decode": lambda a: _call("idu_try_url_decode", text(a[0])),
}
_BUILD: dict[type[exp.Expr], Build] = {
    exp.Factorial: lambda a: _call("idu_factorial", _int(a[0])),
    exp.Rint: lambda a: _call("idu_rint", a[0]),
    exp.Encode: lambda a: _to_binary(a[0]),
    exp.Decode: lambda a: text(a[0]),
    exp.ToBinary: lambda a: _to_binary(a[0]),
    exp.DecodeCase: _decode_case,
    exp.Soundex: lambda a: _call("idu_soundex", text(a[0])),
    exp.WidthBucket: lambda a: _call("idu_width_bucket", *a),
}
_ARITY = {"bin": 1, "try_mod": 2, "find_in_set": 2, "quote": 1, "luhn_check": 1, "get": 2, "is_valid_utf8": 1,
          "validate_utf8": 1, "try_validate_utf8": 1, "make_valid_utf8": 1, "try_to_binary": 2, "url_encode": 1, "url_decode": 1,
          "try_url_decode": 1}  # fmt: skip


def _charset(node: exp.Expr | None, allowed: frozenset[str]) -> str | None:
    if isinstance(node, exp.Literal) and node.is_string and node.this.lower() in allowed:
        return None
    return f"a charset or format other than the literal {' or '.join(sorted(allowed))}"


def _scale_check(node: exp.Anonymous) -> str | None:
    scale = node.expressions[1] if len(node.expressions) == 2 else exp.Literal.number(0)
    scale = scale.this if isinstance(scale, exp.Neg) else scale
    if len(node.expressions) in (1, 2) and isinstance(scale, exp.Literal) and scale.this.isdigit():
        return None
    return "bround with a scale that is not an integer literal"


def anonymous_check(node: exp.Anonymous) -> str | None:
    name = node.name.lower()
    if name == "bround":
        return _scale_check(node)
    if len(node.expressions) != _ARITY[name]:
        return f"{name} with {len(node.expressions)} arguments"
    if name == "try_to_binary":
        return _charset(node.expressions[1], _TO_BINARY_UTF8)
    return None


CHECKS: dict[type[exp.Expr], Callable[[exp.Expr], str | None]] = {
    exp.Encode: lambda n: _charset(n.args.get("charset"), _UTF8),
    exp.Decode: lambda n: _charset(n.args.get("charset"), _UTF8),
    exp.ToBinary: lambda n: _charset(n.args.get("format"), _TO_BINARY_UTF8),
    exp.WidthBucket: lambda n: (
        "width_bucket with a threshold" if n.args.get("threshold") is not None else None
    ),
}
FUNCTIONS: frozenset[type[exp.Expr]] = frozenset(_BUILD)


def _arguments(node: exp.Expr) -> list[exp.Expr]:
    if isinstance(node, exp.Anonymous | exp.DecodeCase):
        return [a.copy() for a in node.expressions]
    if isinstance(node, exp.WidthBucket):
        return [node.args[k].copy() for k in ("this", "min_value", "max_value", "num_buckets")]
    return [node.this.copy()]


@gated(types=_BUILD, names=ANONYMOUS, like=(strict_math,))
def more_functions(tree: exp.Expr) -> exp.Expr:
    """Rewrite the functions above (innermost first), before the other rewrites see them; and the
    fdlibm math functions (spark_compat/strict_math.py)."""
    return strict_math(rewrite_calls(tree, by_type=_BUILD, by_name=ANONYMOUS, arguments=_arguments))


MORE_MACROS: tuple[str, ...] = (
    _macro(
        "idu_bround(x, d)",
        "CASE WHEN typeof(x) LIKE 'DECIMAL%' THEN round_even(x, d) ELSE error('[IDU_REFUSED] bround of a value "
        "that is not a DECIMAL (Spark rounds a DOUBLE by its exact decimal expansion)') END",
    ),
    # Spark's WidthBucket.computeBucketNumber, in DOUBLE
    _macro(
        "idu_bucket(q)",
        "CASE WHEN NOT isfinite(q) OR q >= 9.2e18 THEN error('[IDU_REFUSED] width_bucket whose bucket "
        "computation overflows (Java saturates and wraps)') ELSE CAST(trunc(q) AS BIGINT) + 1 END",
    ),
    _macro(
        "idu_width_bucket(v, lo, hi, n)",
        "list_transform([{'v': CAST(v AS DOUBLE), 'lo': CAST(lo AS DOUBLE), 'hi': CAST(hi AS DOUBLE), "
        "'n': CAST(n AS BIGINT)}], lambda idu_wb: CASE WHEN idu_wb.v IS NULL OR idu_wb.lo IS NULL "
        "OR idu_wb.hi IS NULL OR idu_wb.n IS NULL OR idu_wb.n <= 0 OR idu_wb.n = 9223372036854775807 "
        "OR isnan(idu_wb.v) OR idu_wb.lo = idu_wb.hi OR NOT isfinite(idu_wb.lo) OR NOT isfinite(idu_wb.hi) THEN NULL "
        "WHEN idu_wb.lo < idu_wb.hi THEN CASE WHEN idu_wb.v < idu_wb.lo THEN 0 WHEN idu_wb.v >= idu_wb.hi "
        "THEN idu_wb.n + 1 ELSE idu_bucket(CAST(idu_wb.n AS DOUBLE) * (idu_wb.v - idu_wb.lo) / (idu_wb.hi - idu_wb.lo)) END "
        "ELSE CASE WHEN idu_wb.v > idu_wb.lo THEN 0 WHEN idu_wb.v <= idu_wb.hi THEN idu_wb.n + 1 "
        "ELSE idu_bucket(CAST(idu_wb.n AS DOUBLE) * (idu_wb.lo - idu_wb.v) / (idu_wb.lo - idu_wb.hi)) END END)[1]",
    ),
    _macro(
        "idu_factorial(n)",
        "CASE WHEN n BETWEEN 0 AND 20 THEN CAST(factorial(CAST(n AS INTEGER)) AS BIGINT) END",
    ),
    _macro(
        "idu_rint(x)",
        "list_transform([CAST(x AS DOUBLE)], lambda idu_v: CASE WHEN isfinite(idu_v) THEN round_even(idu_v, 0) ELSE idu_v END)[1]",
    ),
    _macro(
        "idu_try_mod(a, b)",
        "CASE WHEN typeof(a) LIKE 'DECIMAL%' OR typeof(b) LIKE 'DECIMAL%' THEN error('[IDU_REFUSED] try_mod of "
        "a DECIMAL (Spark widens the DECIMAL result type unlike DuckDB); CAST the operands') "
        "WHEN b = 0 THEN NULL ELSE a % b END",
    ),
    _macro(
        "idu_find_in_set(s, l)",
        "CASE WHEN s IS NULL OR l IS NULL THEN NULL WHEN contains(s, ',') THEN 0 "
        "ELSE CAST(coalesce(list_position(string_split(l, ','), s), 0) AS INTEGER) END",
    ),
    _macro("idu_quote(s)", "'''' || replace(s, '''', '\\''') || ''''"),
    _macro(
        "idu_luhn_check(s)",
        "CASE WHEN s IS NULL THEN NULL WHEN regexp_full_match(s, '[0-9]+') THEN "
        "list_sum(list_transform(string_split(reverse(s), ''), lambda idu_c, idu_i: CASE WHEN idu_i % 2 = 0 "
        "THEN (CAST(idu_c AS INTEGER) * 2) // 10 + (CAST(idu_c AS INTEGER) * 2) % 10 ELSE CAST(idu_c AS INTEGER) END)) % 10 = 0 "
        "WHEN regexp_full_match(s, '\\p{Nd}+') THEN error('[IDU_REFUSED] luhn_check of digits other than "
        "0-9') ELSE false END",
    ),
    _macro(
        "idu_get(a, i)",
        "CASE WHEN a IS NULL OR i IS NULL OR i < 0 OR i >= len(a) THEN NULL ELSE a[i + 1] END",
    ),
    _macro(
        "idu_is_valid_utf8(x)",
        "CASE WHEN x IS NULL THEN NULL WHEN typeof(x) = 'BLOB' THEN try(decode(CAST(x AS BLOB))) IS NOT NULL "
        "ELSE true END",
    ),
    _macro(
        "idu_validate_utf8(x)",
        "CASE WHEN typeof(x) = 'BLOB' THEN decode(CAST(x AS BLOB)) ELSE CAST(x AS VARCHAR) END",
    ),
    _macro(
        "idu_try_validate_utf8(x)",
        "CASE WHEN typeof(x) = 'BLOB' THEN try(decode(CAST(x AS BLOB))) ELSE CAST(x AS VARCHAR) END",
    ),
)
