"""The values of Spark's KLL sketch functions where they are exact: a sketch that never compacted.

A DataSketches KLL sketch (datasketches-java 6.2.0, Spark 4.3's ``kll_*`` functions) keeps every
item in its level 0 until it holds ``k`` of them; only the next update compacts (sorts level 0 and
keeps a random half). Until then ``getN``, ``getQuantile`` and ``getRank`` are functions of the
multiset of items, whatever their order. Here a sketch is ``{k, n, items, mk, sorted}`` (min K and
the level-0-sorted flag, which only the summary prints): ``items`` is NULL once the sketch may have
compacted (``n`` stays exact: it is a count).

``getQuantile(rank)`` (INCLUSIVE) over the sorted items (``Arrays.sort``: -0.0 before 0.0) is the
item at 1-based position ``ceil(round(rank * n * 1e7) / 1e7)`` (at least 1; Java's ``Math.round``,
``QuantilesUtil.getNaturalRank``), the smallest for a NaN rank; a rank outside [0, 1] raises.
``getRank(q)`` (INCLUSIVE) is ``count(item <= q) / n``; a NaN q raises. Both raise on an empty
sketch. NULL and NaN inputs never reach a sketch (``update`` ignores NaN).

Spark's bytes (``toByteArray``, little-endian): an 8-byte preamble ``preInts, serVer, family 15,
flags, k (2 bytes), m = 8, 0``; empty: flags 1, nothing else; one item: serVer 2, flags 4, the item;
else preInts 5, ``N`` (8 bytes), ``minK`` (2), ``numLevels`` (1), 0, the levels array, min, max and
the retained items. A sketch is read only in the forms Spark writes before any compaction (one
level, ``N`` items, ``levels[0] = k - N``, min and max those of the items); anything else is refused
when run (Spark may read it otherwise, or fail).
"""

from __future__ import annotations

import math
import struct
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import duckdb

__all__ = ["decode", "quantile", "rank", "register_kll", "summary"]

_TAIL_ROUNDING = 1e7  # QuantilesAPI.tailRoundingFactor
_ITEM = {"bigint": "q", "double": "d", "float": "f"}  # struct format of one item
_REFUSED = "[IDU_REFUSED] "
Sketch = dict[str, Any]


def _invalid(what: str) -> ValueError:
    return ValueError(
        f"[KLL_INVALID_INPUT_SKETCH_BUFFER] Invalid call to `{what}`; only valid KLL sketch buffers are supported"
    )


def _java_key(value: float | int) -> tuple[float | int, float]:
    """Java's ``Arrays.sort`` order: -0.0 before 0.0 (no NaN reaches a sketch)."""
    return (value, math.copysign(1.0, value)) if isinstance(value, float) else (value, 0.0)


def _refuse_bytes(what: str, why: str) -> ValueError:
    return ValueError(
        f"{_REFUSED}{what} of a sketch {why}: the engine reads only the bytes Spark writes for a sketch "
        "that never compacted (fewer items than its k)"
    )


def decode(data: bytes | None, kind: str, what: str) -> Sketch | None:
    """Spark's sketch bytes as ``{k, n, items}``; refused unless in a form Spark writes uncompacted."""
    if data is None:
        return None
    item = _ITEM[kind]
    width = struct.calcsize("<" + item)
    if len(data) < 8:
        raise _refuse_bytes(what, f"of {len(data)} bytes")
    pre, version, family, flags, k, m, spare = struct.unpack_from("<BBBBHBB", data)
    if family != 15 or m != 8 or spare != 0 or not 8 <= k <= 65535:
        raise _refuse_bytes(what, "whose preamble is not a KLL sketch's")
    if (pre, version, flags) == (2, 1, 1) and len(data) == 8:
        return {"k": k, "n": 0, "items": [], "mk": k, "sorted": False}
    if (pre, version, flags) == (2, 2, 4) and len(data) == 8 + width:
        single = list(struct.unpack_from("<" + item, data, 8))
        return _checked({"k": k, "n": 1, "items": single, "mk": k, "sorted": False}, what)
    if pre != 5 or version != 1 or flags not in (0, 2) or len(data) < 24:
        raise _refuse_bytes(what, "in a form other than Spark's")
    n, min_k, levels, spare2, level0 = struct.unpack_from("<qHBBi", data, 8)
    if levels != 1:
        raise _refuse_bytes(what, f"of {n} items that has compacted ({levels} levels)")
    count = (len(data) - 24) // width - 2
    if (
        (len(data) - 24) % width
        or spare2 != 0
        or n != count
        or count < 2
        or level0 != k - n
        or not 8 <= min_k <= k
    ):
        raise _refuse_bytes(what, "in a form other than Spark's")
    values = list(struct.unpack_from(f"<{count + 2}{item}", data, 24))
    low, high, items = values[0], values[1], values[2:]
    if flags == 2 and items != sorted(items, key=_java_key):
        raise _refuse_bytes(what, "flagged sorted whose items are not")
    sketch = _checked({"k": k, "n": n, "items": items, "mk": min_k, "sorted": flags == 2}, what)
    if _java_key(low) != _java_key(min(items, key=_java_key)) or _java_key(high) != _java_key(
        max(items, key=_java_key)
    ):
        raise _refuse_bytes(what, "whose min or max is not its items'")  # Spark reads them as its ends
    return sketch


def _checked(sketch: Sketch, what: str) -> Sketch:
    if any(isinstance(v, float) and math.isnan(v) for v in sketch["items"]):
        raise _refuse_bytes(what, "holding NaN")
    return sketch


def _java_round(value: float) -> int:
    """Java's ``Math.round``: the nearest long, ties toward positive infinity; NaN is 0."""
    if math.isnan(value):
        return 0
    low = math.floor(value)
    return low + 1 if value - low >= 0.5 else low  # exact: value - floor(value) is a double


def _items(sketch: Sketch, what: str) -> Sequence[Any]:
    if sketch["items"] is None:
        raise ValueError(
            f"{_REFUSED}{what} of a sketch of {sketch['n']} items (more than its k = {sketch['k']}): Spark's "
            "sketch has compacted, a random half of its items kept, so its answer depends on the partitions "
            "and a random draw. Use percentile/percentile_disc for exact quantiles, or a larger k"
        )
    if not sketch["items"]:
        raise _invalid(what)
    return sketch["items"]


def quantile(sketch: Sketch, ranks: Sequence[float], what: str) -> list[Any]:
    """``getQuantile`` (INCLUSIVE) of each rank, as Spark's ``getQuantiles`` raises: empty first."""
    items = sorted(_items(sketch, what), key=_java_key)
    n = len(items)
    out = []
    for r in ranks:
        if r < 0.0 or r > 1.0:
            raise ValueError(
                f"[KLL_SKETCH_INVALID_QUANTILE_RANGE] For function `{what}`, the quantile value must be "
                "between 0.0 and 1.0 (inclusive)"
            )
        natural = r * n
        if n <= _TAIL_ROUNDING:
            natural = _java_round(natural * _TAIL_ROUNDING) / _TAIL_ROUNDING
        position = math.ceil(natural) if not math.isnan(natural) else 0
        out.append(items[min(max(position, 1), n) - 1])
    return out


def rank(sketch: Sketch, values: Sequence[float | int], what: str) -> list[float]:
    """``getRank`` (INCLUSIVE) of each value: the share of items at or below it."""
    out = []
    for value in values:  # Spark calls getRank per value: an empty sketch raises only then
        items = _items(sketch, what)
        if isinstance(value, float) and math.isnan(value):
            raise _invalid(what)
        out.append(sum(1 for v in items if v <= value) / len(items))
    return out


_CLASS = {"bigint": "KllKllLongsSketch", "double": "KllKllDoublesSketch", "float": "KllKllFloatsSketch"}
_EPSILON = ((2.296, 0.9723), (2.446, 0.9433))  # KllHelper's CDF and PMF coefficient and exponent


def _percent(min_k: int, pmf: bool, what: str) -> str:
    """``String.format("%.3f%%", error * 100)``; refused within 1e-6 of a rounding tie (Java's
    ``Math.pow`` may differ from C's in the last bit, and Java rounds its digits, not the value)."""
    coefficient, exponent = _EPSILON[pmf]
    value = coefficient / math.pow(min_k, exponent) * 100
    if abs(value * 1000 - math.floor(value * 1000) - 0.5) < 1e-6:
        raise ValueError(f"{_REFUSED}{what} with min k {min_k}: its epsilon is too close to a rounding tie")
    return f"{value:.3f}%"


def _shown(value: float | int, kind: str, what: str) -> str:
    """Java's ``Long.toString``; ``Double/Float.toString`` of a value from 1e-3 to below 1e7 whose exact
    binary value has at most 9 significant digits (``FloatingDecimal`` develops those digits exactly:
    "1.5", "-0.0", "3.0"); other values refused (JDK 17's digit search is not reproduced)."""
    if kind == "bigint":
        return str(value)
    exact = Decimal(value)
    digits = exact.normalize().as_tuple().digits
    if value != 0 and (not 1e-3 <= abs(value) < 1e7 or len(digits) > 9):
        raise ValueError(f"{_REFUSED}{what} of a sketch whose min or max {value!r} Java prints its own way")
    text = format(abs(exact), "f")
    text = text if "." in text else text + ".0"
    return ("-" if math.copysign(1.0, value) < 0 else "") + text


def summary(sketch: Sketch, kind: str, what: str) -> str:
    """``KllSketch.toString()`` of the sketch Spark heapifies from its bytes (one level, never compacted)."""
    if sketch["items"] is None or sketch["mk"] is None:
        raise ValueError(
            f"{_REFUSED}{what} of a sketch that may have compacted, or of a merge aggregate without k (whose K "
            "is the first sketch's): its summary depends on the order rows reach Spark"
        )
    k, n, items, width = sketch["k"], sketch["n"], sketch["items"], struct.calcsize(_ITEM[kind])
    compact = 8 if n == 0 else 8 + width if n == 1 else 24 + (2 + n) * width
    low = "NaN" if n == 0 else _shown(min(items, key=_java_key), kind, what)
    high = "NaN" if n == 0 else _shown(max(items, key=_java_key), kind, what)
    fields = (
        ("K", k), ("Dynamic min K", sketch["mk"]), ("M", 8), ("N", n), ("Epsilon", _percent(sketch["mk"], False, what)),
        ("Epsilon PMF", _percent(sketch["mk"], True, what)), ("Empty", n == 0), ("Estimation Mode", False),
        ("Levels", 1), ("Level 0 Sorted", sketch["sorted"]), ("Capacity Items", k), ("Retained Items", n),
        ("Free Space", k - n), ("ReadOnly", False), ("Updatable Storage Bytes", 28 + (2 + k) * width),
        ("Compact Storage Bytes", compact), ("Min Item", low), ("Max Item", high),
    )  # fmt: skip
    lines = [f"   {name:<23}: {str(v).lower() if isinstance(v, bool) else v}" for name, v in fields]
    return "\n### " + _CLASS[kind] + " Summary:\n" + "\n".join(lines) + "\n### End sketch summary\n"


def _numbers(text: str, kind: str) -> list[Any]:
    """The ranks (``kind`` "rank": always DOUBLEs) or the values of a sketch's type, from their text."""
    return [int(t) if kind == "bigint" else float(t) for t in text.split(",")]


def _scalar(compute: Callable[[Sketch, Sequence[Any], str], list[Any]], kind: str) -> Callable[..., Any]:
    def run(sketch: Sketch | None, text: str, what: str) -> Any:
        return None if sketch is None else compute(sketch, _numbers(text, kind), what)[0]

    return run


def _array(compute: Callable[[Sketch, Sequence[Any], str], list[Any]], kind: str) -> Callable[..., Any]:
    def run(sketch: Sketch | None, text: str, what: str) -> Any:
        return None if sketch is None else compute(sketch, _numbers(text, kind), what)

    return run


def _summary(kind: str) -> Callable[[Sketch | None, str], str | None]:
    return lambda sketch, what: None if sketch is None else summary(sketch, kind, what)


def _decoder(kind: str) -> Callable[[bytes | None, str], Sketch | None]:
    return lambda data, what: decode(data, kind, what)


def register_kll(con: duckdb.DuckDBPyConnection) -> None:
    """The decoding, quantile and rank functions of each item type on ``con``; again is harmless."""
    import duckdb as db
    from duckdb import sqltypes as t

    from airflow_idu.engines.duckdb.spark_compat.python_functions import register_udf

    for kind, item in (("bigint", t.BIGINT), ("double", t.DOUBLE), ("float", t.FLOAT)):
        sketch = db.struct_type(
            {"k": t.INTEGER, "n": t.BIGINT, "items": db.list_type(item), "mk": t.INTEGER, "sorted": t.BOOLEAN}
        )
        text = [sketch, t.VARCHAR, t.VARCHAR]
        register_udf(con, f"idu_kll_decode_{kind}", _decoder(kind), [t.BLOB, t.VARCHAR], sketch)
        register_udf(con, f"idu_kll_quantile_{kind}", _scalar(quantile, "rank"), text, item)
        register_udf(con, f"idu_kll_quantiles_{kind}", _array(quantile, "rank"), text, db.list_type(item))
        register_udf(con, f"idu_kll_rank_{kind}", _scalar(rank, kind), text, t.DOUBLE)
        register_udf(con, f"idu_kll_ranks_{kind}", _array(rank, kind), text, db.list_type(t.DOUBLE))
        register_udf(con, f"idu_kll_summary_{kind}", _summary(kind), [sketch, t.VARCHAR], t.VARCHAR)
