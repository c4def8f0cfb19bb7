"""Spark 4.3's GEOMETRY/GEOGRAPHY functions where exact: ``st_geomfromwkb``, ``st_geogfromwkb``,
``st_setsrid`` read by ``st_asbinary`` and ``st_srid``.

A GEOMETRY value is Spark's own bytes (an SRID and the WKB as given) that no DuckDB type shows as
Spark does, so a GEOMETRY/GEOGRAPHY value is accepted only as the first argument of ``st_asbinary``,
``st_srid`` or ``st_setsrid``; anywhere else (the output, a table, a CAST, another function) it is
refused when translated. Inside the engine it is the WKB ``st_asbinary`` gives (:mod:`.geo_wkb`:
Spark's reader and little-endian writer, raising ``[WKB_PARSE_ERROR]`` where Spark's does), and its
SRID is known when translated: 0 for ``st_geomfromwkb``, 4326 for ``st_geogfromwkb``, else the
integer literal given, one Spark accepts (:mod:`.srs_ids`: Spark's SRS registry); any other SRID (a
column, NULL, a literal Spark refuses) is refused when translated. WKB given as anything but BINARY (Spark casts a STRING) is refused when run.
``st_asbinary``'s byte order: the literal 'NDR' or 'XDR' (any case, as Spark), else refused when translated.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlglot import exp

from airflow_idu.engines.duckdb.spark_compat.gates import gated
from airflow_idu.engines.duckdb.spark_compat.nodes import call as _call
from airflow_idu.engines.duckdb.spark_compat.nodes import macro as _macro
from airflow_idu.engines.duckdb.spark_compat.nodes import replace_each
from airflow_idu.engines.duckdb.spark_compat.srs_ids import GEOGRAPHY_SRIDS, GEOMETRY_SRIDS

__all__ = [
    "ANONYMOUS",
    "CHECKS",
    "FUNCTIONS",
    "GEOGRAPHY_SRIDS",
    "GEOMETRY_SRIDS",
    "GEO_MACROS",
    "geospatial",
]

_PRODUCERS = frozenset({"st_geomfromwkb", "st_geogfromwkb", "st_setsrid"})
_READERS = frozenset({"st_asbinary", "st_srid", "st_setsrid"})
_ARITY = {"st_geomfromwkb": (1, 2), "st_geogfromwkb": (1, 1), "st_setsrid": (2, 2), "st_asbinary": (1, 2),
          "st_srid": (1, 1)}  # fmt: skip


def _unparen(node: exp.Expr) -> exp.Expr:
    while isinstance(node, exp.Paren):
        node = node.this
    return node


def _srid(node: exp.Expr) -> int | None:
    node = _unparen(node)
    literal = node.this if isinstance(node, exp.Neg) else node
    if isinstance(literal, exp.Literal) and not literal.is_string and literal.this.isdigit():
        return -int(literal.this) if isinstance(node, exp.Neg) else int(literal.this)
    return None


def _big_endian(node: exp.Expr) -> bool | None:
    """Whether st_asbinary's byte order literal is 'XDR' (Spark ignores its case); None if not a literal of it."""
    node = _unparen(node)
    text = node.this.lower() if isinstance(node, exp.Literal) and node.is_string else ""
    return {"ndr": False, "xdr": True}.get(text)


def _geo_call(node: exp.Expr) -> exp.Anonymous | None:
    node = _unparen(node)
    return node if isinstance(node, exp.Anonymous) and node.name.lower() in _PRODUCERS else None


def _kind(node: exp.Anonymous) -> str | None:
    """'geometry' or 'geography' for a producer call written in the statement; None if unknown."""
    name = node.name.lower()
    if name == "st_setsrid":
        inner = _geo_call(node.expressions[0]) if node.expressions else None
        return _kind(inner) if inner is not None else None
    return "geography" if name == "st_geogfromwkb" else "geometry"


def _srid_check(node: exp.Anonymous, index: int, kind: str | None) -> str | None:
    if len(node.expressions) <= index:
        return None
    srid = _srid(node.expressions[index])
    allowed = GEOGRAPHY_SRIDS if kind == "geography" else GEOMETRY_SRIDS
    if srid is None:
        return "an SRID other than an integer literal (Spark's SRID of a value is its type's)"
    if srid not in allowed:  # Spark raises ST_INVALID_SRID_VALUE
        registry = "geographic SRIDs" if kind == "geography" else "SRID 0 and the SRIDs"
        return f"SRID {srid}, which Spark refuses for a {kind or 'geometry'}: it takes {registry} of its SRS registry"
    return None


def _flow_check(node: exp.Anonymous) -> str | None:
    child: exp.Expr = node
    parent = node.parent
    while isinstance(parent, exp.Paren):
        child, parent = parent, parent.parent
    if (
        isinstance(parent, exp.Anonymous)
        and parent.name.lower() in _READERS
        and parent.expressions[0] is child
    ):
        return None
    return (
        f"a GEOMETRY/GEOGRAPHY value ({node.name.lower()}) used other than as the first argument of "
        "st_asbinary, st_srid or st_setsrid: Spark keeps it as its own bytes, which no DuckDB type shows alike"
    )


def anonymous_check(node: exp.Anonymous) -> str | None:
    name = node.name.lower()
    low, high = _ARITY[name]
    if not low <= len(node.expressions) <= high:
        return f"{name} with {len(node.expressions)} arguments"
    if name in _READERS and _geo_call(node.expressions[0]) is None:
        return f"{name} of a value other than st_geomfromwkb, st_geogfromwkb or st_setsrid written in the statement"
    if name == "st_asbinary" and len(node.expressions) == 2 and _big_endian(node.expressions[1]) is None:
        return "a byte order other than the string literal 'NDR' or 'XDR'"
    if name == "st_setsrid":
        reason = _srid_check(node, 1, _kind(node))
        if reason:
            return reason
    if name == "st_geomfromwkb":
        reason = _srid_check(node, 1, "geometry")
        if reason:
            return reason
    return _flow_check(node) if name in _PRODUCERS else None


def _value(node: exp.Expr, big_endian: bool) -> tuple[exp.Expr, int]:
    """The WKB st_asbinary writes and the SRID of a producer call (checked by :func:`anonymous_check`)."""
    call = _geo_call(node)
    assert call is not None
    name, args = call.name.lower(), call.expressions
    if name == "st_setsrid":
        wkb, _ = _value(args[0], big_endian)
        return wkb, _srid(args[1]) or 0
    geography = name == "st_geogfromwkb"
    srid = 4326 if geography else (_srid(args[1]) or 0) if len(args) > 1 else 0
    what = exp.Literal.string(name)
    flags = [exp.Boolean(this=geography), exp.Boolean(this=big_endian)]
    return _call("idu_wkb_read", args[0].copy(), *flags, what), srid


def _build(node: exp.Expr) -> exp.Expr:
    args = node.expressions
    wkb, srid = _value(args[0], len(args) > 1 and bool(_big_endian(args[1])))
    if node.name.lower() == "st_asbinary":
        return wkb
    return _call("idu_wkb_srid", wkb, exp.Literal.number(srid))


@gated(names=("st_asbinary", "st_srid"))
def geospatial(tree: exp.Expr) -> exp.Expr:
    """Rewrite each outermost st_asbinary/st_srid call (its argument chain read when translated)."""
    nodes = [
        n for n in tree.find_all(exp.Anonymous)
        if n.name.lower() in ("st_asbinary", "st_srid")
    ]  # fmt: skip
    return replace_each(tree, nodes, _build)


# rewritten by geospatial() (a producer is only ever inside a reader, which reads its chain)
ANONYMOUS: frozenset[str] = frozenset(_ARITY)
FUNCTIONS: frozenset[type[exp.Expr]] = frozenset()
CHECKS: dict[type[exp.Expr], Callable[[exp.Expr], str | None]] = {}

GEO_MACROS: tuple[str, ...] = (
    _macro(
        "idu_wkb_read(b, geography, big_endian, what)",
        "CASE WHEN typeof(b) IN ('BLOB', '\"NULL\"') THEN idu_wkb_normalize(CAST(b AS BLOB), geography, big_endian) "
        "ELSE error("
        "'[IDU_REFUSED] ' || what || ' of a ' || typeof(b) || ' value: only BINARY (cast a STRING to BINARY "
        "explicitly)') END",
    ),
    # st_srid: NULL for a NULL value, once the WKB is read (Spark raises on bad WKB here too)
    _macro("idu_wkb_srid(w, srid)", "CASE WHEN w IS NULL THEN NULL ELSE CAST(srid AS INTEGER) END"),
)
