"""SQL macros for Spark's conv(num, from_base, to_base) for bases 10 and 16 (to 10, -10 and 16).

``conv`` follows Spark's NumberConverter for bases 10 and 16 (to 10, -10 and 16): the
input is trimmed, may start with ``-``, and is read up to its first invalid digit
(``'zz'`` is 0, ``''`` is NULL); the value is an unsigned 64-bit number, a negative
input being its two's complement (a negative input of magnitude >= 2^63 becomes
2^64-1, as in Spark); more than 64 bits fail like Spark's ANSI overflow error. To base -10 the
value is read signed: a '-' for a negative input or a value of 2^63 and more, then the magnitude
('-0' stays '-0').

The translation (number_conversion.py) calls one macro per literal base pair, which binds its
argument in a lambda, or copies a plain one (``*_plain``, plain_args.py); ``idu_conv_bigint_*`` is
CAST(conv(...) AS BIGINT) without the text in between, ``idu_conv_int_16`` conv(x, 10, 16) of an
integer operator. The canonical ids (published generator, ``tests/fidelity/compositions.py``)
convert every identifier's hash this way four times per row.
"""

from __future__ import annotations

from airflow_idu.engines.duckdb.spark_compat.nodes import let as _let
from airflow_idu.engines.duckdb.spark_compat.nodes import macro as _macro

__all__ = ["CONV_BASES", "CONV_MACROS"]

_TWO_63 = "CAST(9223372036854775808 AS HUGEINT)"
_TWO_64 = "CAST(18446744073709551616 AS HUGEINT)"
_U64_MAX = "CAST(18446744073709551615 AS HUGEINT)"

_INTEGERS = "('BIGINT', 'INTEGER', 'SMALLINT', 'TINYINT')"
_BAD_BASES = (
    "CASE WHEN from_base NOT IN (10, 16) OR to_base NOT IN (10, -10, 16) "
    "THEN error('conv: only bases 10 and 16 to 10, -10 and 16 are supported on DuckDB') ELSE "
)
# the base pairs the SQL macros cover, and the suffix of their specialised macros' names
CONV_BASES = {(f, t): f"{f}_{'n10' if t < 0 else t}" for f in (10, 16) for t in (10, -10, 16)}


def _choose(base: int | None, name: str, cases: dict[int, str]) -> str:
    """The case for a literal base, or a CASE on the base parameter ``name`` (generic conv)."""
    if base is not None:
        return cases[base]
    *first, last = cases.items()
    return "CASE " + " ".join(f"WHEN {name} = {b} THEN {v}" for b, v in first) + f" ELSE {last[1]} END"


def _signed(value: str) -> str:
    """An unsigned 64-bit ``value`` read as a signed long (its two's complement from 2^63 on)."""
    return (
        f"(CAST({value} & CAST(9223372036854775807 AS UBIGINT) AS BIGINT) + CASE WHEN {value} >= "
        f"CAST(9223372036854775808 AS UBIGINT) THEN CAST(-9223372036854775808 AS BIGINT) ELSE 0 END)"
    )


def _conv_text(value: str, to_base: int | None) -> str:
    return _choose(
        to_base,
        "to_base",
        {16: f"hex({value})", 10: f"CAST({value} AS VARCHAR)", -10: f"CAST({_signed(value)} AS VARCHAR)"},
    )


def _conv_lambda(from_base: int | None, to_base: int | None, to_bigint: bool) -> str:
    """The body over the bound argument ``n``; with ``to_bigint``, CAST(conv(...) AS BIGINT) without the
    text in between. ``CAST(n AS VARCHAR)`` costs nothing for a VARCHAR.

    Fast path: text that is only digits of the base, too few to overflow (16 hex, 18 decimal), is a
    non-negative value a plain cast reads exactly; to base -10 Spark reads it as a signed long, the
    two's complement of 16 hex digits from 8 on (a hash's first 16 hex digits, as canonical ids
    take them, are the common case). An integer to base 16 (the canonical id's XOR) is DuckDB's hex
    of the two's complement, Spark's unsigned reading, except -2^63 (Spark: -1). Any other text
    (signs, spaces, invalid digits, long values) takes the general path.
    """
    t = "CAST(n AS VARCHAR)"
    fast = _choose(
        from_base,
        "from_base",
        {
            16: f"regexp_full_match({t}, '[0-9A-Fa-f]{{1,16}}')",
            10: f"regexp_full_match({t}, '[0-9]{{1,18}}')",
        },
    )
    value = _choose(
        from_base, "from_base", {16: f"CAST(('0x' || {t}) AS UBIGINT)", 10: f"CAST({t} AS UBIGINT)"}
    )
    base = from_base or "from_base"
    unsigned = f"idu_conv_u64({t}, {base})"
    general = _choose(
        to_base,
        "to_base",
        {
            16: f"hex(CAST({unsigned} AS UBIGINT))",
            10: f"CAST({unsigned} AS VARCHAR)",
            -10: f"idu_conv_signed({t}, {base})",
        },
    )
    if to_bigint:
        as_long = _signed(value) if to_base == -10 else f"CAST({value} AS BIGINT)"
        return f"CASE WHEN {fast} THEN {as_long} WHEN n IS NULL THEN NULL ELSE CAST({general} AS BIGINT) END"
    typed = (
        f"WHEN typeof(n) IN {_INTEGERS} THEN replace(hex(CAST(n AS BIGINT)), '8000000000000000', 'FFFFFFFFFFFFFFFF') "
        if (from_base, to_base) == (10, 16)
        else ""
    )
    return f"CASE {typed}WHEN {fast} THEN {_conv_text(value, to_base)} WHEN n IS NULL THEN NULL ELSE {general} END"


def _conv_macros() -> tuple[str, ...]:
    """conv(num, from_base, to_base) for any bases (refusing others), and per literal base pair
    (number_conversion.py calls those) a macro that binds its argument and one that copies a plain
    argument (plain_args.py): DuckDB does not fold constants inside a lambda, so a comparison of the
    bases there would run on every row."""
    macros = [
        _macro(
            "conv(num, from_base, to_base)",
            _BAD_BASES + _let("num", "n", _conv_lambda(None, None, False)) + " END",
        )
    ]
    for (f, t), name in CONV_BASES.items():
        for prefix, to_bigint in (("idu_conv", False), ("idu_conv_bigint", True)):
            if to_bigint and t == 16:
                continue
            body = _conv_lambda(f, t, to_bigint)
            macros += [
                _macro(f"{prefix}_{name}(num)", _let("num", "n", body)),
                _macro(f"{prefix}_{name}_plain(n)", body),
            ]
    # conv(x, 10, 16) of Spark's integer operators (number_conversion.py), whose DuckDB type is an
    # integer: Spark prints the value and reads it back, which is hex of the two's complement except
    # for -2^63 (Spark: -1). One reference to x, so nothing to bind and nothing to copy.
    int_16 = "replace(hex(CAST(x AS BIGINT)), '8000000000000000', 'FFFFFFFFFFFFFFFF')"
    return (*macros, _macro("idu_conv_int_16(x)", int_16))


def _of_magnitude(body: str) -> str:
    """``body`` over the trimmed text ``s`` of ``num`` (NULL when empty) and the magnitude ``m`` of its
    digits in ``from_base``."""
    return _let(
        "trim(CAST(num AS VARCHAR))",
        "s",
        "CASE WHEN s IS NULL OR s = '' THEN NULL ELSE "
        + _let("idu_conv_magnitude(idu_conv_digits(s, from_base), from_base)", "m", body)
        + " END",
    )


CONV_MACROS: tuple[str, ...] = (
    # the digits after an optional leading '-' of trimmed text, up to the first character invalid in the base
    _macro(
        "idu_conv_digits(text, from_base)",
        "regexp_extract(CASE WHEN starts_with(text, '-') THEN substr(text, 2) ELSE text END, "
        "CASE WHEN from_base = 16 THEN '^[0-9A-Fa-f]*' ELSE '^[0-9]*' END)",
    ),
    # their value as HUGEINT; beyond 64 bits is Spark's ANSI overflow error
    _macro(
        "idu_conv_magnitude(digits, from_base)",
        _let(
            "ltrim(digits, '0')",
            "d",
            "CASE WHEN d = '' THEN CAST(0 AS HUGEINT) "
            "WHEN length(d) > CASE WHEN from_base = 16 THEN 16 ELSE 20 END "
            f"OR (from_base = 10 AND CAST(d AS HUGEINT) > {_U64_MAX}) "
            "THEN error('conv: overflow, the value needs more than 64 bits') "
            "WHEN from_base = 16 THEN CAST(CAST('0x' || d AS UBIGINT) AS HUGEINT) "
            "ELSE CAST(d AS HUGEINT) END",
        ),
    ),
    # to base -10, Spark's signed reading: '-' for a negative input or a value of 2^63 and more, then the
    # magnitude (2^64 minus the value from 2^63 on): '-0' stays '-0', '-8000000000000000' (hex) is -2^63
    _macro(
        "idu_conv_signed(num, from_base)",
        _of_magnitude(
            f"CASE WHEN starts_with(s, '-') OR m >= {_TWO_63} THEN '-' ELSE '' END "
            f"|| CAST(CASE WHEN m >= {_TWO_63} THEN {_TWO_64} - m ELSE m END AS VARCHAR)"
        ),
    ),
    # the unsigned 64-bit value Spark converts
    _macro(
        "idu_conv_u64(num, from_base)",
        _of_magnitude(
            f"CASE WHEN NOT starts_with(s, '-') THEN m WHEN m >= {_TWO_63} THEN {_U64_MAX} "
            f"ELSE ({_TWO_64} - m) % {_TWO_64} END"
        ),
    ),
    *_conv_macros(),
)
