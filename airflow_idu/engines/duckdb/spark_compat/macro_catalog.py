"""Every macro the engine installs: this package's own (:mod:`.macros`) and each function family's.

A family module declares its ``*_MACROS``; listing it here is the one registration it needs.
"""

from __future__ import annotations

from airflow_idu.engines.duckdb.spark_compat.aggregates import AGGREGATE_MACROS
from airflow_idu.engines.duckdb.spark_compat.approximate import APPROXIMATE_MACROS
from airflow_idu.engines.duckdb.spark_compat.binary import BINARY_MACROS
from airflow_idu.engines.duckdb.spark_compat.binding import bind_parameters_once
from airflow_idu.engines.duckdb.spark_compat.by_ties import BY_TIES_MACROS
from airflow_idu.engines.duckdb.spark_compat.coercion import COERCION_MACROS
from airflow_idu.engines.duckdb.spark_compat.counter_diff import COUNTER_DIFF_MACROS
from airflow_idu.engines.duckdb.spark_compat.datetime_casts import DATETIME_CAST_MACROS
from airflow_idu.engines.duckdb.spark_compat.datetime_functions import DATETIME_MACROS
from airflow_idu.engines.duckdb.spark_compat.decimal_scales import DECIMAL_SCALE_MACROS
from airflow_idu.engines.duckdb.spark_compat.exact import EXACT_MACROS
from airflow_idu.engines.duckdb.spark_compat.float_widening import FLOAT_WIDENING_MACROS
from airflow_idu.engines.duckdb.spark_compat.format_string import FORMAT_STRING_MACROS
from airflow_idu.engines.duckdb.spark_compat.functions import FUNCTION_MACROS
from airflow_idu.engines.duckdb.spark_compat.geospatial import GEO_MACROS
from airflow_idu.engines.duckdb.spark_compat.intervals import INTERVAL_MACROS
from airflow_idu.engines.duckdb.spark_compat.json_path import JSON_PATH_MACROS
from airflow_idu.engines.duckdb.spark_compat.kll import KLL_MACROS
from airflow_idu.engines.duckdb.spark_compat.macros import CORE_MACROS
from airflow_idu.engines.duckdb.spark_compat.make_timestamp import MAKE_TIMESTAMP_MACROS
from airflow_idu.engines.duckdb.spark_compat.map_functions import MAP_MACROS
from airflow_idu.engines.duckdb.spark_compat.more_functions import MORE_MACROS
from airflow_idu.engines.duckdb.spark_compat.nested_order import NESTED_ORDER_MACROS
from airflow_idu.engines.duckdb.spark_compat.number_format import NUMBER_FORMAT_MACROS
from airflow_idu.engines.duckdb.spark_compat.number_to_char import NUMBER_TO_CHAR_MACROS
from airflow_idu.engines.duckdb.spark_compat.ordered_aggregates import ORDERED_AGGREGATE_MACROS
from airflow_idu.engines.duckdb.spark_compat.regexp_functions import REGEXP_MACROS
from airflow_idu.engines.duckdb.spark_compat.scalar_macros import SCALAR_MACROS
from airflow_idu.engines.duckdb.spark_compat.scaled_rounding import SCALED_ROUNDING_MACROS
from airflow_idu.engines.duckdb.spark_compat.sketches import SKETCH_MACROS
from airflow_idu.engines.duckdb.spark_compat.strict_math import STRICT_MATH_MACROS
from airflow_idu.engines.duckdb.spark_compat.struct_names import STRUCT_NAMES_MACROS
from airflow_idu.engines.duckdb.spark_compat.struct_writing import STRUCT_WRITING_MACROS
from airflow_idu.engines.duckdb.spark_compat.text_functions import TEXT_MACROS
from airflow_idu.engines.duckdb.spark_compat.theta_functions import THETA_MACROS
from airflow_idu.engines.duckdb.spark_compat.time_bucket import TIME_BUCKET_MACROS
from airflow_idu.engines.duckdb.spark_compat.time_type import TIME_MACROS
from airflow_idu.engines.duckdb.spark_compat.time_zones import TIME_ZONE_MACROS
from airflow_idu.engines.duckdb.spark_compat.try_datetime import TRY_DATETIME_MACROS
from airflow_idu.engines.duckdb.spark_compat.tuple_functions import TUPLE_MACROS
from airflow_idu.engines.duckdb.spark_compat.unify import UNIFY_MACROS
from airflow_idu.engines.duckdb.spark_compat.variant import VARIANT_MACROS
from airflow_idu.engines.duckdb.spark_compat.vector_functions import VECTOR_MACROS

__all__ = ["COMPAT_MACROS", "UNBOUND_MACROS"]

# The macros as written; COMPAT_MACROS binds their arguments once (spark_compat/binding.py). Kept
# apart so that bench/nesting.py can show what the binding is worth.
UNBOUND_MACROS: tuple[str, ...] = (
    *CORE_MACROS,
    *BINARY_MACROS,
    *COERCION_MACROS,
    *UNIFY_MACROS,
    *EXACT_MACROS,
    *DECIMAL_SCALE_MACROS,
    *DATETIME_CAST_MACROS,
    *FLOAT_WIDENING_MACROS,
    *FUNCTION_MACROS,
    *SCALAR_MACROS,
    *AGGREGATE_MACROS,
    *APPROXIMATE_MACROS,
    *DATETIME_MACROS,
    *MORE_MACROS,
    *NESTED_ORDER_MACROS,
    *STRUCT_NAMES_MACROS,
    *MAP_MACROS,
    *TEXT_MACROS,
    *REGEXP_MACROS,
    *TRY_DATETIME_MACROS,
    *TIME_MACROS,
    *MAKE_TIMESTAMP_MACROS,
    *TIME_ZONE_MACROS,
    *ORDERED_AGGREGATE_MACROS,
    *BY_TIES_MACROS,
    *NUMBER_FORMAT_MACROS,
    *SCALED_ROUNDING_MACROS,
    *INTERVAL_MACROS,
    *FORMAT_STRING_MACROS,
    *JSON_PATH_MACROS,
    *NUMBER_TO_CHAR_MACROS,
    *STRICT_MATH_MACROS,
    *VECTOR_MACROS,
    *COUNTER_DIFF_MACROS,
    *TIME_BUCKET_MACROS,
    *KLL_MACROS,
    *SKETCH_MACROS,
    *THETA_MACROS,
    *TUPLE_MACROS,
    *STRUCT_WRITING_MACROS,
    *VARIANT_MACROS,
    *GEO_MACROS,
)

COMPAT_MACROS: tuple[str, ...] = ("SET TimeZone = 'UTC'", *map(bind_parameters_once, UNBOUND_MACROS))
