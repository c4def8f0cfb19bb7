"""Spark string functions DuckDB has no equivalent of, as Python functions on the connection.

``soundex`` follows Spark's ``UTF8String.soundex`` byte by byte: a value whose first byte is not an
ASCII letter is returned as it is; otherwise the first letter upper-cased and up to three codes of
the US English mapping, where H and W do not separate equal codes, any other non-letter byte (a
byte of a multi-byte UTF-8 character too) does, and vowels reset the last code; padded with '0'.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import duckdb

__all__ = ["register_python_functions", "soundex"]

_US_ENGLISH = "01230127022455012623017202"  # A..Z


def soundex(value: str) -> str:
    data = value.encode("utf-8")
    if not data:
        return ""
    first = chr(data[0]).upper() if data[0] < 0x80 else ""
    if not ("A" <= first <= "Z"):
        return value
    codes, last = [first], _US_ENGLISH[ord(first) - 65]
    for byte in data[1:]:
        letter = chr(byte).upper() if byte < 0x80 else ""
        if not ("A" <= letter <= "Z"):
            last = "0"
            continue
        code = _US_ENGLISH[ord(letter) - 65]
        if code == "7":
            continue
        if code not in ("0", last):
            codes.append(code)
            if len(codes) > 3:
                break
        last = code
    return "".join(codes).ljust(4, "0")


def register_python_functions(con: duckdb.DuckDBPyConnection) -> None:
    """Register the functions above on ``con``; again is harmless."""
    import duckdb
    from duckdb import sqltypes as t

    for name, function in (("idu_soundex", soundex),):
        with contextlib.suppress(Exception):  # not registered yet
            con.remove_function(name)
        try:
            con.create_function(name, function, [t.VARCHAR], t.VARCHAR, side_effects=False)
        except duckdb.CatalogException as exc:
            if "already exists" not in str(exc):
                raise
