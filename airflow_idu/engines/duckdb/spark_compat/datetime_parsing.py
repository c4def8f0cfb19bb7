"""Spark's reading of a STRING as a DATE or a TIMESTAMP (``CAST``, ``try_to_date``, ``try_to_timestamp``).

Spark's ``SparkDateTimeUtils.stringToDate``/``stringToTimestamp`` trim the ASCII control characters
and spaces at both ends, then read ``[+-]yyyy[-[m]m[-[d]d[( |T)...]]]`` (a date: 4-7 year digits, the
rest of the text after the day ignored) or ``[+-]yyyy[-[m]m[-[d]d[( |T)[h]h[:[m]m[:[s]s[.fraction]][zone]]]]]``
(a timestamp: 4-6 year digits, a fraction of any length truncated to microseconds, a zone right
after the seconds); anything else, or a day or time that does not exist, is no value (``None``:
``try_`` gives NULL, the ANSI cast raises). These functions follow that grammar; where Spark's value
would need what the engine does not model exactly they raise ``[IDU_REFUSED]``: a year outside
1-9999, a time without a date (Spark takes today's date), a zone other than ``Z``, ``UTC``, ``GMT``,
``UT`` or a fixed offset (a region's rules).
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

__all__ = ["spark_string_to_date", "spark_string_to_timestamp", "utf8_lossy"]

_TRIM = "".join(map(chr, range(0x21))) + "\x7f"
_DATE = re.compile(r"([+-]?)([0-9]{4,7})(?:-([0-9]{1,2})(?:-([0-9]{1,2})(?:[ T].*)?)?)?", re.DOTALL)
_TIMESTAMP = re.compile(
    r"([+-]?)([0-9]{4,6})(?:-([0-9]{1,2})(?:-([0-9]{1,2})(?:[ T]([0-9]{1,2})(?::([0-9]{1,2})"
    r"(?::([0-9]{1,2})(?:\.([0-9]*))?(.*))?)?)?)?)?",
    re.DOTALL,
)
_JUST_TIME = re.compile(r"T|[0-9]{1,2}:")
_OFFSET = re.compile(r"(?:UTC|GMT|UT)?(?:([+-])([0-9]{1,2})(?::?([0-9]{2}))?)?")


def _refused(what: str) -> ValueError:
    return ValueError(f"[IDU_REFUSED] {what}")


def utf8_lossy(data: bytes | None) -> str | None:
    """A BINARY read as text for parsing a date: bytes that are not UTF-8 become U+FFFD (as Java's
    decoder; how many does not change whether a date parses)."""
    return None if data is None else data.decode("utf-8", errors="replace")


def _year(sign: str, digits: str) -> int:
    year = -int(digits) if sign == "-" else int(digits)
    if not 1 <= year <= 9999:
        raise _refused("a date or timestamp outside the years 1-9999")
    return year


def spark_string_to_date(text: str | None) -> date | None:
    if text is None:
        return None
    found = _DATE.fullmatch(text.strip(_TRIM))
    if found is None:
        return None
    sign, year, month, day = found.groups()
    try:
        return date(_year(sign, year), int(month or 1), int(day or 1))
    except ValueError as exc:
        if "[IDU_REFUSED]" in str(exc):
            raise
        return None


def _zone_offset(zone: str) -> timedelta | None:
    """Java's ``ZoneId.of`` of the zone text after Spark's reformatting, for the fixed zones; None
    where Java raises; refused for region and short ids."""
    zone = re.sub(r"([+-])([0-9]):", r"\g<1>0\2:", zone.strip(_TRIM), count=1)
    zone = re.sub(r"([+-])([0-9]{2}):([0-9])$", r"\1\2:0\3", zone, count=1)
    if zone == "Z":
        return timedelta(0)
    found = _OFFSET.fullmatch(zone)
    if found is None or found.group(0) == "":
        raise _refused(f"a timestamp with the time zone {zone!r} (only Z, UTC, GMT and fixed offsets)")
    sign, hours, minutes = found.groups()
    if sign is None:
        return timedelta(0)
    if (len(hours) == 1 and minutes is not None and ":" not in zone) or int(hours) > 18:
        return None
    if minutes is not None and (int(minutes) > 59 or (int(hours) == 18 and int(minutes) > 0)):
        return None
    offset = timedelta(hours=int(hours), minutes=int(minutes or 0))
    return -offset if sign == "-" else offset


def spark_string_to_timestamp(text: str | None) -> datetime | None:
    if text is None:
        return None
    trimmed = text.strip(_TRIM)
    if _JUST_TIME.match(trimmed):
        raise _refused("a time without a date read as a TIMESTAMP (Spark takes the current date)")
    found = _TIMESTAMP.fullmatch(trimmed)
    if found is None:
        return None
    sign, year, month, day, hour, minute, second, fraction, zone = found.groups()
    offset = _zone_offset(zone) if zone else timedelta(0)
    if offset is None:
        return None
    micros = int(((fraction or "")[:6]).ljust(6, "0"))
    try:
        local = datetime(_year(sign, year), int(month or 1), int(day or 1), int(hour or 0), int(minute or 0),
                         int(second or 0), micros)  # fmt: skip
    except ValueError as exc:
        if "[IDU_REFUSED]" in str(exc):
            raise
        return None
    try:
        return local - offset
    except OverflowError:
        raise _refused("a timestamp outside the years 1-9999") from None
