"""Spark's VARIANT values as the embedded engine holds them: Spark's own JSON text of the value.

Spark's ``parse_json`` (``VariantBuilder.parseJson``, Jackson underneath) reads one JSON value:
whitespace is space, tab, CR and LF; numbers are ``-?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?``
(no ``NaN``, ``+1``, ``01``, ``1.``, ``.5``); strings take only JSON's escapes and no raw control
character; a duplicate key in an object is an error. An integer that fits a BIGINT is an integer;
any other number without an exponent whose precision and scale are at most 38 is a DECIMAL; the
rest (an exponent, more digits) is a DOUBLE. Spark's text of a value (``VariantUtil.toJson``, what
``to_json``, ``CAST(v AS STRING)`` and a variant column show) sorts an object's keys (Java's
``String`` order: UTF-16 code units), writes no whitespace, a DECIMAL without its trailing zeros
(``1.50`` is ``1.5``, ``1.0`` is ``1``, ``-0.0`` is ``0``) and a string with Jackson's escapes
(``\\"``, ``\\\\``, ``\\b \\f \\n \\r \\t``, other characters below U+0020 as ``\\u00XX``; ``/``,
U+007F and every other character as it is).

That text is the engine's value, and reading it back gives the same value for everything accepted
here (an integral DECIMAL reads back as an integer: only ``schema_of_variant`` tells them apart,
and it stays refused). Refused when run: a number Spark keeps as a DOUBLE (its text is Java's
``Double.toString``), a lone UTF-16 surrogate, text after the value, a value nested beyond 500
levels, an input over a million characters.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

__all__ = [
    "REFUSED",
    "VariantError",
    "decimal_text",
    "parse_variant",
    "refuse",
    "to_json_text",
    "variant_text",
]

REFUSED = "[IDU_REFUSED]"
_LONG = (-(2**63), 2**63 - 1)
_INT = re.compile(r"-?(0|[1-9][0-9]*)")
_PLAIN = re.compile(r"-?(0|[1-9][0-9]*)\.[0-9]+")
_SURROGATE = re.compile("[\ud800-\udfff]")
_MAX_CHARS = 1_000_000
_MAX_DEPTH = 500


class VariantError(ValueError):
    """The value Spark raises on (malformed JSON, a failing cast): ``try_`` forms give NULL."""


def refuse(what: str) -> ValueError:
    return ValueError(f"{REFUSED} {what}")


def _decimal(text: str) -> Decimal | None:
    """Spark's ``tryParseDecimal``: a DECIMAL of precision and scale at most 38, else None."""
    value = Decimal(text)
    exponent = value.as_tuple().exponent
    scale = -exponent if isinstance(exponent, int) else 0
    digits = len(value.as_tuple().digits)
    return value if scale <= 38 and max(digits, scale) <= 38 else None


def _number(text: str) -> int | Decimal:
    if _INT.fullmatch(text) and _LONG[0] <= int(text) <= _LONG[1]:
        return int(text)
    found = _decimal(text) if (_INT.fullmatch(text) or _PLAIN.fullmatch(text)) else None
    if found is None:
        raise refuse(
            f"parse_json of the number {text[:40]}: Spark keeps it as a DOUBLE (an exponent or more than "
            "38 digits), whose text is Java's Double.toString; write it as a decimal of up to 38 digits"
        )
    return found


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise VariantError(f"parse_json: duplicate key {key!r}")
        found[key] = value
    return found


def _constant(name: str) -> Any:
    raise VariantError(f"parse_json: {name} is not JSON")


_DECODER = json.JSONDecoder(
    object_pairs_hook=_pairs, parse_int=_number, parse_float=_number, parse_constant=_constant, strict=True
)
_SPACE = " \t\r\n"


def _check_text(value: Any, depth: int = 0) -> None:
    if depth > _MAX_DEPTH:
        raise refuse(f"parse_json of a value nested deeper than {_MAX_DEPTH} levels")
    if isinstance(value, str):
        if _SURROGATE.search(value):
            raise refuse("parse_json of a string with a lone UTF-16 surrogate escape")
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_text(key, depth + 1)
            _check_text(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check_text(item, depth + 1)


def parse_variant(text: str) -> Any:
    """Spark's value of ``parse_json(text)``: None (JSON null), bool, int, Decimal, str, list, dict."""
    if len(text) > _MAX_CHARS:
        raise refuse(f"parse_json of a text over {_MAX_CHARS} characters")
    start = len(text) - len(text.lstrip(_SPACE))
    if any(ch.isdigit() and not ch.isascii() for ch in text):  # Python's number pattern reads them
        raise refuse("parse_json of a text with non-ASCII digits")
    try:
        value, end = _DECODER.raw_decode(text, start)
    except RecursionError:
        raise refuse(f"parse_json of a value nested deeper than {_MAX_DEPTH} levels") from None
    except json.JSONDecodeError as exc:
        raise VariantError(f"parse_json: malformed JSON ({exc.msg})") from None
    rest = text[end:]
    if rest and isinstance(value, int | Decimal) and not isinstance(value, bool) and rest[0] not in _SPACE:
        raise VariantError(
            "parse_json: a root-level number must be followed by whitespace"
        )  # Jackson's check
    if rest.strip(_SPACE):
        raise refuse("parse_json of a text with more after its JSON value")
    _check_text(value)
    return value


_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _string(value: str) -> str:
    out = []
    for ch in value:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ch < " ":
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _utf16(key: str) -> bytes:
    return key.encode("utf-16-be", "surrogatepass")


def decimal_text(value: Decimal) -> str:
    """Java's ``stripTrailingZeros().toPlainString()``: zero is ``0`` (no sign)."""
    if value == 0:
        return "0"
    sign, digits, exponent = value.as_tuple()
    text = "".join(map(str, digits))
    scale = -exponent if isinstance(exponent, int) else 0
    while scale > 0 and text.endswith("0"):  # not Decimal.normalize: it rounds to 28 digits
        text, scale = text[:-1], scale - 1
    if scale > 0:
        text = text.rjust(scale + 1, "0")
        text = text[:-scale] + "." + text[-scale:]
    return ("-" if sign else "") + text


def to_json_text(value: Any) -> str:
    """Spark's ``VariantUtil.toJson`` of a value (:func:`parse_variant`'s kinds)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        return decimal_text(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, list):
        return "[" + ",".join(to_json_text(v) for v in value) + "]"
    if isinstance(value, dict):
        keys = sorted(value, key=_utf16)
        return "{" + ",".join(f"{_string(k)}:{to_json_text(value[k])}" for k in keys) + "}"
    raise refuse(f"a VARIANT holding a {type(value).__name__}")


def variant_text(text: str) -> str:
    """``parse_json(text)`` as the engine holds it."""
    return to_json_text(parse_variant(text))
