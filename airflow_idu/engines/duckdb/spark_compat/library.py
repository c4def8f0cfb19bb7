"""Spark built-in functions the embedded engine runs beyond sqlglot's own translation.

A registry, Spark function name -> how it is checked, rewritten and computed:

* ``ANONYMOUS``: functions sqlglot does not model (an ``exp.Anonymous`` call), each with its
  rewrite; :mod:`.allowed` accepts these names and :data:`REWRITES` (run last by
  :mod:`.rewrites`) spells them as DuckDB;
* ``CHECKS``: argument checks for modelled functions, merged into :mod:`.allowed`'s;
* Python functions (:mod:`.hashing`) registered on every connection by
  :func:`register_functions`, where the macros are installed.

Each entry is here only because ``tests/fidelity/test_functions.py`` showed it gives Spark's
result on every row of the input table (or raises ``[IDU_REFUSED]`` where it cannot).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from sqlglot import exp

from airflow_idu.engines.duckdb.spark_compat.crypto_functions import register_crypto_functions
from airflow_idu.engines.duckdb.spark_compat.csv_reading import register_csv_reading
from airflow_idu.engines.duckdb.spark_compat.gates import gated
from airflow_idu.engines.duckdb.spark_compat.geo_wkb import register_geo
from airflow_idu.engines.duckdb.spark_compat.hashing import register_hashes
from airflow_idu.engines.duckdb.spark_compat.json_functions import register_json_functions
from airflow_idu.engines.duckdb.spark_compat.json_path import register_json_path
from airflow_idu.engines.duckdb.spark_compat.json_reading import register_json_reading
from airflow_idu.engines.duckdb.spark_compat.json_tuple import register_json_tuple
from airflow_idu.engines.duckdb.spark_compat.kll_values import register_kll
from airflow_idu.engines.duckdb.spark_compat.number_conversion import register_conv
from airflow_idu.engines.duckdb.spark_compat.number_format import register_format_number
from airflow_idu.engines.duckdb.spark_compat.python_functions import register_python_functions
from airflow_idu.engines.duckdb.spark_compat.scaled_rounding import register_scaled_rounding
from airflow_idu.engines.duckdb.spark_compat.sketches import register_sketches
from airflow_idu.engines.duckdb.spark_compat.strict_math import register_strict_math
from airflow_idu.engines.duckdb.spark_compat.string_similarity import register_similarity
from airflow_idu.engines.duckdb.spark_compat.theta_functions import register_theta
from airflow_idu.engines.duckdb.spark_compat.time_type import register_time
from airflow_idu.engines.duckdb.spark_compat.try_datetime import register_datetime_parsing
from airflow_idu.engines.duckdb.spark_compat.tuple_functions import register_tuple
from airflow_idu.engines.duckdb.spark_compat.type_names import register_type_names
from airflow_idu.engines.duckdb.spark_compat.url_parsing import register_url_parsing
from airflow_idu.engines.duckdb.spark_compat.variant import register_variant
from airflow_idu.engines.duckdb.spark_compat.vector_functions import register_vectors
from airflow_idu.engines.duckdb.spark_compat.xpath_functions import register_xpath

if TYPE_CHECKING:
    import duckdb

__all__ = ["ANONYMOUS", "CHECKS", "FUNCTIONS", "REWRITES", "register_functions"]

_TEXT = exp.DataType.build("VARCHAR")


def _call(name: str, *args: exp.Expr) -> exp.Anonymous:
    return exp.Anonymous(this=name, expressions=list(args))


def _value(node: exp.Expr) -> list[exp.Expr]:
    """A value as the Python functions take it: DuckDB's type name, its text and its JSON."""
    return [
        _call("typeof", node.copy()),
        exp.Cast(this=node.copy(), to=_TEXT.copy()),
        _call("to_json", node.copy()),
    ]


def _hash_chain(udf: str) -> Callable[[list[exp.Expr]], exp.Expr]:
    """Spark's hash(a, b, ...): each argument hashed with the previous result as the seed (42 first)."""

    def build(args: list[exp.Expr]) -> exp.Expr:
        result: exp.Expr = exp.Literal.number(42)
        for arg in args:
            result = _call(udf, *_value(arg), result)
        return result

    return build


def _crc32(args: list[exp.Expr]) -> exp.Expr:
    return _call("idu_crc32", *_value(args[0])[:2])


ANONYMOUS: dict[str, Callable[[list[exp.Expr]], exp.Expr]] = {
    "hash": _hash_chain("idu_murmur3"),
    "xxhash64": _hash_chain("idu_xxhash64"),
    "crc32": _crc32,
}


def _literal_int(node: exp.Expr | None) -> int | None:
    if isinstance(node, exp.Literal) and not node.is_string:
        return int(node.this) if node.this.isdigit() else None
    return None


def _sha2_check(node: exp.Expr) -> str | None:
    bits = _literal_int(node.args.get("length"))
    if node.args.get("length") is not None and bits is None:
        return "the bit length must be an integer literal"
    return None


@gated(names=ANONYMOUS)
def _anonymous_rewrite(tree: exp.Expr) -> exp.Expr:
    for node in reversed(list(tree.find_all(exp.Anonymous))):  # innermost first: a build copies its arguments
        build = ANONYMOUS.get(node.name.lower())
        if build is not None:
            new = build([a.copy() for a in node.expressions])
            if node is tree:
                return new
            node.replace(new)
    return tree


@gated(types=(exp.SHA2,))
def _sha2_rewrite(tree: exp.Expr) -> exp.Expr:
    """sha2 other than 256 bits (DuckDB has only SHA-256): Python's hashlib on the same bytes."""
    for node in reversed(list(tree.find_all(exp.SHA2))):  # innermost first
        bits = _literal_int(node.args.get("length"))
        if bits is None or bits == 256:
            continue
        new = _call("idu_sha2", *_value(node.this)[:2], exp.Literal.number(bits))
        if node is tree:
            return new
        node.replace(new)
    return tree


# sqlglot-modelled functions whose DuckDB spelling gives Spark's result on every input row. Empty:
# the first candidates (floor, months_between, trunc, from_utc_timestamp, initcap, arrays_zip,
# sequence, shiftleft) differ from Spark on the catalogue's inputs; the rest are not yet proven.
FUNCTIONS: frozenset[type[exp.Expr]] = frozenset()

CHECKS: dict[type[exp.Expr], Callable[[exp.Expr], str | None]] = {exp.SHA2: _sha2_check}
REWRITES: tuple[Callable[[exp.Expr], exp.Expr], ...] = (_anonymous_rewrite, _sha2_rewrite)


def register_functions(con: duckdb.DuckDBPyConnection) -> None:
    """Register the Python functions (Spark's hashes, soundex) on ``con``; again is harmless."""
    register_hashes(con)
    register_python_functions(con)
    register_crypto_functions(con)
    register_similarity(con)
    register_datetime_parsing(con)
    register_time(con)
    register_conv(con)
    register_json_functions(con)
    register_json_path(con)
    register_json_tuple(con)
    register_url_parsing(con)
    register_format_number(con)
    register_scaled_rounding(con)
    register_type_names(con)
    register_sketches(con)
    register_strict_math(con)
    register_vectors(con)
    register_kll(con)
    register_theta(con)
    register_tuple(con)
    register_xpath(con)
    register_json_reading(con)
    register_csv_reading(con)
    register_variant(con)
    register_geo(con)
