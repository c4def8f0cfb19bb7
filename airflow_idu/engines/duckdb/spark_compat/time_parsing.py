"""Spark's reading of a STRING as a TIME (``CAST``, ``time()``, ``to_time``/``try_to_time``), in Python.

Without a format (Spark's ``stringToTime``, observed on Spark 4.3): the ASCII control characters
and spaces at both ends are trimmed, then ``[h]h:[m]m[:[s]s[.fraction]]`` is read, hours 0-23,
minutes and seconds 0-59, a fraction of any length truncated to microseconds (``'12:00:00.'`` is
noon); anything else is no value (``None``: the ``try_`` forms give NULL, the others raise). Spark
also reads some texts that start with ``T`` (``'T01:02:03'`` but not ``' T12:00'``): those raise
``[IDU_REFUSED]`` rather than guess.

With a format: only the fields ``HH`` (two digits), ``H`` (one or two), ``mm``/``m``, ``ss``/``s``
and ``S``..``SSSSSSSSS`` (one up to that many fraction digits, truncated to microseconds), each at
most once, and the separators ``:`` ``.`` ``-`` and space, matched exactly (no trimming); a missing
field is 0. :func:`format_refusal` says why another pattern is refused at translation.
"""

from __future__ import annotations

import itertools
import re
from datetime import time

__all__ = ["format_refusal", "spark_string_to_time", "spark_string_to_time_format"]

_TRIM = "".join(map(chr, range(0x21))) + "\x7f"  # as Spark's string-to-date/timestamp reading
_TIME = re.compile(r"([0-9]{1,2}):([0-9]{1,2})(?::([0-9]{1,2})(?:\.([0-9]*))?)?")
_TOKEN = re.compile(r"H{1,2}|m{1,2}|s{1,2}|S{1,9}|[:.\- ]")
_FIELD_REGEX = {"HH": "([0-9]{2})", "H": "([0-9]{1,2})", "mm": "([0-9]{2})", "m": "([0-9]{1,2})",
                "ss": "([0-9]{2})", "s": "([0-9]{1,2})"}  # fmt: skip


def _refused(what: str) -> ValueError:
    return ValueError(f"[IDU_REFUSED] {what}")


def _time(hour: str | None, minute: str | None, second: str | None, fraction: str | None) -> time | None:
    h, m, s = int(hour or 0), int(minute or 0), int(second or 0)
    if h > 23 or m > 59 or s > 59:
        return None
    return time(h, m, s, int((fraction or "")[:6].ljust(6, "0")))


def spark_string_to_time(text: str | None) -> time | None:
    if text is None:
        return None
    trimmed = text.strip(_TRIM)
    if trimmed[:1] in ("T", "t"):
        raise _refused("a TIME text that starts with T (Spark reads only some of them)")
    found = _TIME.fullmatch(trimmed)
    return None if found is None else _time(*found.groups())


def _tokens(fmt: str) -> list[str] | None:
    tokens, at = [], 0
    while at < len(fmt):
        found = _TOKEN.match(fmt, at)
        if found is None:
            return None
        tokens.append(found.group())
        at = found.end()
    return tokens


def format_refusal(fmt: str) -> str | None:
    """Why ``to_time``'s format ``fmt`` is refused, or None."""
    tokens = _tokens(fmt)
    reason = f"to_time format {fmt!r}: only the fields HH H mm m ss s S..SSSSSSSSS and the separators : . - and space"
    if tokens is None:
        return reason
    fields = [t for t in tokens if t[0] in "HmsS"]
    if len({t[0] for t in fields}) != len(fields):
        return f"to_time format {fmt!r}: a field given twice"
    for a, b in itertools.pairwise(tokens):
        if a[0] in "HmsS" and b[0] in "HmsS" and (len(a) == 1 or a[0] == "S"):
            return f"to_time format {fmt!r}: a field of variable width right before another field"
    return None


def _regex(fmt: str) -> tuple[re.Pattern[str], list[str]]:
    parts, names = [], []
    for token in _tokens(fmt) or []:
        if token[0] == "S":
            parts.append(f"([0-9]{{1,{len(token)}}})")
        elif token[0] in "Hms":
            parts.append(_FIELD_REGEX[token])
        else:
            parts.append(re.escape(token))
            continue
        names.append(token[0])
    return re.compile("".join(parts)), names


def spark_string_to_time_format(text: str | None, fmt: str | None) -> time | None:
    if text is None or fmt is None:
        return None
    if format_refusal(fmt) is not None:
        raise _refused(format_refusal(fmt) or "")
    pattern, names = _regex(fmt)
    found = pattern.fullmatch(text)
    if found is None:
        return None
    value = dict(zip(names, found.groups(), strict=True))
    return _time(value.get("H"), value.get("m"), value.get("s"), value.get("S"))
