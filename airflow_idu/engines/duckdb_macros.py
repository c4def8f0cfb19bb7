"""DuckDB macros for the Spark functions the generated SQL uses and DuckDB lacks.

Only ``conv`` so far, for the base pairs the canonical-id expression needs, with
Spark's semantics: hex input is read as unsigned 64-bit, a negative ``to_base``
prints it as signed, and a negative decimal input to base 16 prints its
two's-complement (unsigned 64-bit) value. Hex output is upper case without
leading zeros, like Spark. Invalid input gives NULL, as in Spark; base pairs
outside the supported ones fail loudly instead of returning a wrong value.
"""

from __future__ import annotations

__all__ = ["COMPAT_MACROS"]

_TWO_63 = "CAST(9223372036854775808 AS HUGEINT)"
_TWO_64 = "CAST(18446744073709551616 AS HUGEINT)"

COMPAT_MACROS: tuple[str, ...] = (
    # hex text -> UBIGINT (NULL when not 1..16 hex digits)
    "CREATE OR REPLACE MACRO idu_hex_to_u64(num) AS "
    "CASE WHEN regexp_full_match(trim(CAST(num AS VARCHAR)), '[0-9A-Fa-f]{1,16}') "
    "THEN TRY_CAST('0x' || trim(CAST(num AS VARCHAR)) AS UBIGINT) END",
    # decimal text (signed, or unsigned up to 2^64-1) -> UBIGINT, negatives as two's complement
    "CREATE OR REPLACE MACRO idu_dec_to_u64(num) AS "
    f"TRY_CAST((TRY_CAST(trim(CAST(num AS VARCHAR)) AS HUGEINT) + {_TWO_64}) % {_TWO_64} AS UBIGINT)",
    "CREATE OR REPLACE MACRO conv(num, from_base, to_base) AS CASE "
    "WHEN from_base = 16 AND to_base = 10 THEN CAST(idu_hex_to_u64(num) AS VARCHAR) "
    "WHEN from_base = 16 AND to_base = -10 THEN CAST(CAST("
    f"CAST(idu_hex_to_u64(num) AS HUGEINT) - CASE WHEN idu_hex_to_u64(num) >= {_TWO_63} THEN {_TWO_64} ELSE 0 END"
    " AS BIGINT) AS VARCHAR) "
    "WHEN from_base = 10 AND to_base = 16 THEN hex(idu_dec_to_u64(num)) "
    "WHEN from_base = 10 AND to_base = 10 THEN CAST(idu_dec_to_u64(num) AS VARCHAR) "
    "ELSE error('conv: only bases 16->10, 16->-10, 10->16 and 10->10 are supported on DuckDB') END",
)
