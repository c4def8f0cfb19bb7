"""Spark string functions DuckDB has no equivalent of, as Python functions on the connection.

``url_encode``/``url_decode`` are Java's ``URLEncoder``/``URLDecoder`` with UTF-8: letters, digits and
``.-*_`` kept, a space as ``+``, any other byte ``%XX``; decoding reads ``+`` as a space and ``%XX``
as a byte (Java's ``Integer.parseInt`` of the two characters: ``%+1`` is byte 1, a sign or an
incomplete or non-hexadecimal escape raises; ``try_url_decode`` gives NULL there). Decoded bytes
that are not UTF-8 (Java substitutes U+FFFD) and escapes with non-ASCII characters are refused.

``soundex`` follows Spark's ``UTF8String.soundex`` byte by byte: a value whose first byte is not an
ASCII letter is returned as it is; otherwise the first letter upper-cased and up to three codes of
the US English mapping, where H and W do not separate equal codes, any other non-letter byte (a
byte of a multi-byte UTF-8 character too) does, and vowels reset the last code; padded with '0'.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import duckdb

__all__ = ["register_python_functions", "register_udf", "soundex", "url_decode", "url_encode"]

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


_KEPT = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-*_")
_HEX = re.compile(r"[+-]?[0-9A-Fa-f]+")


def url_encode(value: str) -> str:
    return "".join(chr(b) if b in _KEPT else "+" if b == 0x20 else f"%{b:02X}" for b in value.encode("utf-8"))


def _decoded(value: str) -> str:
    out, pending, i = [], bytearray(), 0
    while i < len(value):
        ch = value[i]
        if ch == "%":
            pair = value[i + 1 : i + 3]
            if len(pair) < 2 or not pair.isascii() or not _HEX.fullmatch(pair) or int(pair, 16) < 0:
                if not pair.isascii():
                    raise ValueError("[IDU_REFUSED] url_decode of an escape with non-ASCII characters")
                raise ValueError(f"url_decode: illegal escape (%) pattern in {value!r}")
            pending.append(int(pair, 16))
            i += 3
            continue
        if pending:
            out.append(_utf8(bytes(pending)))
            pending.clear()
        out.append(" " if ch == "+" else ch)
        i += 1
    return "".join(out) + (_utf8(bytes(pending)) if pending else "")


def _utf8(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError(
            "[IDU_REFUSED] url_decode to bytes that are not UTF-8 (Java substitutes U+FFFD)"
        ) from None


def url_decode(value: str | None) -> str | None:
    return None if value is None else _decoded(value)


def try_url_decode(value: str | None) -> str | None:
    try:
        return url_decode(value)
    except ValueError as exc:
        if "[IDU_REFUSED]" in str(exc):
            raise
        return None


_FUNCTIONS: tuple[tuple[str, Callable[..., Any], bool], ...] = (
    ("idu_soundex", soundex, False),
    ("idu_url_encode", url_encode, False),
    ("idu_url_decode", url_decode, True),
    ("idu_try_url_decode", try_url_decode, True),
)


def register_udf(
    con: duckdb.DuckDBPyConnection,
    name: str,
    function: Callable[..., Any],
    parameters: list[Any],
    result: Any,
    *,
    sees_nulls: bool = True,
    arrow: bool = False,
) -> None:
    """Register the Python function ``name`` on ``con``; again is harmless (another connection of this
    process to the same database may have registered it already). ``sees_nulls``: the function is
    called with NULL arguments (DuckDB's SPECIAL handling) instead of DuckDB answering NULL for it.
    ``arrow``: it takes and returns pyarrow arrays, a chunk at a time (a native function's NaN
    result reaches SQL as NULL; an arrow array keeps it)."""
    import duckdb
    from duckdb import func

    with contextlib.suppress(Exception):  # not registered yet
        con.remove_function(name)
    handling = func.FunctionNullHandling.SPECIAL if sees_nulls else func.FunctionNullHandling.DEFAULT
    kind = func.PythonUDFType.ARROW if arrow else func.PythonUDFType.NATIVE
    try:
        con.create_function(
            name, function, parameters, result, type=kind, null_handling=handling, side_effects=False
        )
    except duckdb.CatalogException as exc:
        if "already exists" not in str(exc):
            raise


def register_python_functions(con: duckdb.DuckDBPyConnection) -> None:
    """Register the functions above on ``con``; again is harmless."""
    from duckdb import sqltypes as t

    for name, function, special in _FUNCTIONS:
        register_udf(con, name, function, [t.VARCHAR], t.VARCHAR, sees_nulls=special)
