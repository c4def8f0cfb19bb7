"""DuckDB macros for the Spark functions the generated SQL uses and DuckDB lacks.

Only ``conv`` so far, for bases 10 and 16 (to 10, -10 and 16), following Spark's
NumberConverter: the input is trimmed, may start with ``-``, and is read up to
its first invalid digit (``'zz'`` is 0, ``''`` is NULL); the value is an
unsigned 64-bit number, a negative input being its two's complement (a
negative input of magnitude >= 2^63 becomes 2^64-1, as in Spark); more than 64
bits fail like Spark's ANSI overflow error. ``to_base`` -10 prints the value as
signed; hex output is upper case without leading zeros. Other bases fail loudly
instead of returning a wrong value.
"""

from __future__ import annotations

__all__ = ["COMPAT_MACROS"]

_TWO_63 = "CAST(9223372036854775808 AS HUGEINT)"
_TWO_64 = "CAST(18446744073709551616 AS HUGEINT)"
_U64_MAX = "CAST(18446744073709551615 AS HUGEINT)"


def _let(value: str, name: str, body: str) -> str:
    """``body`` with ``name`` bound to ``value``, evaluated once.

    DuckDB expands macros inline: a macro that names its argument five times copies
    the argument five times, and ``conv(conv(...))`` in the canonical-id expression
    then grows into a tree that takes seconds to plan. A one-element lambda binds it.
    """
    return f"list_transform([{value}], lambda {name}: {body})[1]"


COMPAT_MACROS: tuple[str, ...] = (
    # the digits after an optional leading '-' of trimmed text, up to the first character invalid in the base
    "CREATE OR REPLACE MACRO idu_conv_digits(text, from_base) AS "
    "regexp_extract(CASE WHEN starts_with(text, '-') THEN substr(text, 2) ELSE text END, "
    "CASE WHEN from_base = 16 THEN '^[0-9A-Fa-f]*' ELSE '^[0-9]*' END)",
    # their value as HUGEINT; beyond 64 bits is Spark's ANSI overflow error
    "CREATE OR REPLACE MACRO idu_conv_magnitude(digits, from_base) AS "
    + _let(
        "ltrim(digits, '0')",
        "d",
        "CASE WHEN d = '' THEN CAST(0 AS HUGEINT) "
        "WHEN length(d) > CASE WHEN from_base = 16 THEN 16 ELSE 20 END "
        f"OR (from_base = 10 AND CAST(d AS HUGEINT) > {_U64_MAX}) "
        "THEN error('conv: overflow, the value needs more than 64 bits') "
        "WHEN from_base = 16 THEN CAST(CAST('0x' || d AS UBIGINT) AS HUGEINT) "
        "ELSE CAST(d AS HUGEINT) END",
    ),
    # the unsigned 64-bit value Spark converts
    "CREATE OR REPLACE MACRO idu_conv_u64(num, from_base) AS "
    + _let(
        "trim(CAST(num AS VARCHAR))",
        "s",
        "CASE WHEN s IS NULL OR s = '' THEN NULL ELSE "
        + _let(
            "idu_conv_magnitude(idu_conv_digits(s, from_base), from_base)",
            "m",
            f"CASE WHEN NOT starts_with(s, '-') THEN m WHEN m >= {_TWO_63} THEN {_U64_MAX} "
            f"ELSE ({_TWO_64} - m) % {_TWO_64} END",
        )
        + " END",
    ),
    "CREATE OR REPLACE MACRO conv(num, from_base, to_base) AS CASE "
    "WHEN from_base NOT IN (10, 16) OR to_base NOT IN (10, -10, 16) "
    "THEN error('conv: only bases 10 and 16 to 10, -10 and 16 are supported on DuckDB') ELSE "
    + _let(
        "idu_conv_u64(num, from_base)",
        "v",
        "CASE WHEN to_base = 16 THEN hex(CAST(v AS UBIGINT)) "
        "WHEN to_base = 10 THEN CAST(v AS VARCHAR) "
        f"ELSE CAST(CASE WHEN v >= {_TWO_63} THEN v - {_TWO_64} ELSE v END AS VARCHAR) END",
    )
    + " END",
)
