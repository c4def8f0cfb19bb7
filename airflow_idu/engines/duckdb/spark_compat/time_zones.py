"""``from_utc_timestamp``, ``to_utc_timestamp`` and ``convert_timezone`` with a literal region time zone.

Spark reads the zone with Java's ``ZoneId`` (the tz database compiled into the JDK); DuckDB's ICU
extension carries the same database. For the zones in :data:`VERIFIED_ZONES` the two were compared
instant by instant, every hour from 1900 to 2100 (every offset change, LMT included, is the same);
any other zone, or a zone that is not a literal, is refused. Between an instant and a wall time:

* ``from_utc_timestamp(ts, zone)``: the wall time in ``zone`` of the UTC instant ``ts`` (one answer);
* ``to_utc_timestamp(ts, zone)``: the instant of the wall time ``ts`` in ``zone``. Java's
  ``ZonedDateTime.of`` moves a wall time in a gap forward by the gap (ICU does too) and takes the
  *earlier* instant of a wall time that occurs twice, where ICU takes the later one: the macro
  tries the offset in force a day earlier and keeps that instant when it reads back as the same
  wall time;
* ``convert_timezone([from,] to, ts)``: ``ts`` as a wall time in ``from`` (UTC when omitted: the
  session's zone), to an instant as ``to_utc_timestamp`` does, then its wall time in ``to``.

A STRING argument is read by Spark's cast grammar (:mod:`.datetime_parsing`): text it cannot read
raises ``CAST_INVALID_INPUT`` as Spark's ANSI cast does.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlglot import exp

from airflow_idu.engines.duckdb.spark_compat.gates import gated
from airflow_idu.engines.duckdb.spark_compat.nodes import call as _call
from airflow_idu.engines.duckdb.spark_compat.nodes import macro as _macro
from airflow_idu.engines.duckdb.spark_compat.nodes import rewrite_calls

__all__ = [
    "ANONYMOUS",
    "CHECKS",
    "FUNCTIONS",
    "TIME_ZONE_MACROS",
    "VERIFIED_ZONES",
    "anonymous_check",
    "time_zones",
]

# compared with local Spark (Java 17's tz database) hour by hour over 1900-2100: the same offsets. Not here
# because they differ: Europe/Dublin (1925), America/Sao_Paulo (1965-66), EST and MST (Java: fixed offsets)
VERIFIED_ZONES = frozenset(
    {
        "Africa/Cairo",
        "Africa/Johannesburg",
        "Africa/Lagos",
        "America/Anchorage",
        "America/Argentina/Buenos_Aires",
        "America/Chicago",
        "America/Denver",
        "America/Los_Angeles",
        "America/Mexico_City",
        "America/New_York",
        "America/Phoenix",
        "America/Toronto",
        "Asia/Dubai",
        "Asia/Hong_Kong",
        "Asia/Jerusalem",
        "Asia/Kolkata",
        "Asia/Seoul",
        "Asia/Shanghai",
        "Asia/Singapore",
        "Asia/Tokyo",
        "Australia/Melbourne",
        "Australia/Sydney",
        "CET",
        "EET",
        "Etc/UTC",
        "Europe/Amsterdam",
        "Europe/Berlin",
        "Europe/Brussels",
        "Europe/Istanbul",
        "Europe/Lisbon",
        "Europe/London",
        "Europe/Madrid",
        "Europe/Moscow",
        "Europe/Paris",
        "Europe/Rome",
        "Europe/Stockholm",
        "Europe/Warsaw",
        "Europe/Zurich",
        "GMT",
        "MET",
        "Pacific/Auckland",
        "Pacific/Honolulu",
        "UTC",
        "WET",
    }
)


def _zone_check(zone: exp.Expr | None) -> str | None:
    if isinstance(zone, exp.Literal) and zone.is_string and zone.this in VERIFIED_ZONES:
        return None
    return "a time zone that is not a literal zone whose rules were compared with Spark's (time_zones.VERIFIED_ZONES)"


def _unwrap(node: exp.Expr) -> exp.Expr:
    """sqlglot wraps the timestamp argument in CAST(... AS TIMESTAMP): the macro reads it as Spark does."""
    if isinstance(node, exp.Cast) and node.to.this == exp.DataType.Type.TIMESTAMP:
        return node.this
    return node


def _convert_zones(node: exp.Expr) -> list[exp.Expr]:
    source = node.args.get("source_tz")
    return [source if source is not None else exp.Literal.string("UTC"), node.args["target_tz"]]


CHECKS: dict[type[exp.Expr], Callable[[exp.Expr], str | None]] = {
    exp.AtTimeZone: lambda n: _zone_check(n.args.get("zone")),
    exp.FromTimeZone: lambda n: _zone_check(n.args.get("zone")),
    exp.ConvertTimezone: lambda n: next(filter(None, map(_zone_check, _convert_zones(n))), None),
}
FUNCTIONS: frozenset[type[exp.Expr]] = frozenset(CHECKS)
ANONYMOUS: dict[str, Callable[[list[exp.Expr]], exp.Expr]] = {}


def anonymous_check(node: exp.Anonymous) -> str | None:
    return None


def _arguments(node: exp.Expr) -> list[exp.Expr]:
    if isinstance(node, exp.ConvertTimezone):
        return [z.copy() for z in _convert_zones(node)] + [node.args["timestamp"].copy()]
    return [_unwrap(node.this).copy(), node.args["zone"].copy()]


_BUILD: dict[type[exp.Expr], Callable[[list[exp.Expr]], exp.Expr]] = {
    exp.AtTimeZone: lambda a: _call("idu_from_utc", _call("idu_ts_value", a[0]), a[1]),
    exp.FromTimeZone: lambda a: _call("idu_to_utc", _call("idu_ts_value", a[0]), a[1]),
    exp.ConvertTimezone: lambda a: _call(
        "idu_from_utc", _call("idu_to_utc", _call("idu_ts_value", a[2]), a[0]), a[1]
    ),
}


@gated(types=_BUILD)
def time_zones(tree: exp.Expr) -> exp.Expr:
    """Rewrite the functions above (innermost first), before the other rewrites see them."""
    return rewrite_calls(tree, by_type=_BUILD, by_name={}, arguments=_arguments)


TIME_ZONE_MACROS: tuple[str, ...] = (
    # a STRING, DATE or TIMESTAMP argument as Spark casts it to TIMESTAMP (ANSI: unreadable text raises)
    _macro(
        "idu_ts_value(x)",
        "CASE WHEN typeof(x) = 'VARCHAR' THEN list_transform([idu_spark_timestamp(CAST(x AS VARCHAR))], lambda idu_t: "
        "CASE WHEN idu_t IS NULL AND x IS NOT NULL THEN error('[CAST_INVALID_INPUT] The value ''' || CAST(x AS VARCHAR) "
        "|| ''' of the type \"STRING\" cannot be cast to \"TIMESTAMP\"') ELSE idu_t END)[1] "
        "WHEN typeof(x) IN ('TIMESTAMP', 'DATE') THEN CAST(x AS TIMESTAMP) WHEN x IS NULL THEN CAST(NULL AS TIMESTAMP) "
        "ELSE error('[IDU_REFUSED] a time zone conversion of a value that is not a STRING, DATE or TIMESTAMP') END",
    ),
    # the offset of zone z at the UTC instant v, as an interval
    _macro(
        "idu_zone_offset(v, z)",
        "to_microseconds(epoch_us(timezone(z, CAST(v AS TIMESTAMPTZ))) - epoch_us(v))",
    ),
    _macro("idu_from_utc(v, z)", "CAST(timezone(z, CAST(v AS TIMESTAMPTZ)) AS TIMESTAMP)"),
    _macro(
        "idu_to_utc(w, z)",
        "list_transform([CAST(timezone(z, w) AS TIMESTAMP)], lambda idu_u: list_transform([w - "
        "idu_zone_offset(idu_u - INTERVAL 1 DAY, z)], lambda idu_c: CASE WHEN idu_c < idu_u AND "
        "idu_c + idu_zone_offset(idu_c, z) = w THEN idu_c ELSE idu_u END)[1])[1]",
    ),
)
