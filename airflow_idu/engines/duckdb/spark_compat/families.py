"""The function families: each module declares ``FUNCTIONS`` (sqlglot node types it accepts),
``ANONYMOUS`` (the names of functions sqlglot does not model) and ``CHECKS`` (argument checks by
node type). Listing a family here is what puts it on :mod:`.allowed`'s allow-list.
"""

from __future__ import annotations

from types import ModuleType

from airflow_idu.engines.duckdb.spark_compat import (
    aggregates,
    approximate,
    by_ties,
    collations,
    counter_diff,
    crypto_functions,
    csv_reading,
    datetime_functions,
    format_string,
    geospatial,
    grouping_windows,
    intervals,
    json_functions,
    json_path,
    json_reading,
    json_tuple,
    kll,
    make_timestamp,
    map_functions,
    more_functions,
    number_conversion,
    number_format,
    number_to_char,
    ordered_aggregates,
    regexp_functions,
    scalars,
    scaled_rounding,
    schema_inference,
    strict_math,
    string_similarity,
    struct_writing,
    text_functions,
    theta_functions,
    time_bucket,
    time_type,
    time_zones,
    try_datetime,
    tuple_functions,
    type_names,
    unify,
    url_parsing,
    values_types,
    variant,
    vector_functions,
    window_ties,
    xpath_functions,
)
from airflow_idu.engines.duckdb.spark_compat.sketches import SKETCH_MODULES

__all__ = ["FAMILIES"]

FAMILIES: tuple[ModuleType, ...] = (
    scalars, datetime_functions, more_functions, aggregates, grouping_windows, map_functions, text_functions,
    regexp_functions, crypto_functions, string_similarity, try_datetime, make_timestamp, time_zones, time_type,
    number_conversion, ordered_aggregates, json_functions, number_format, scaled_rounding,
    intervals, format_string, json_path, number_to_char, url_parsing, approximate, type_names, strict_math, kll,
    vector_functions, collations, counter_diff, time_bucket,
    theta_functions, tuple_functions,
    *SKETCH_MODULES,
    xpath_functions, schema_inference, json_reading, csv_reading, struct_writing, variant, json_tuple,
    geospatial, window_ties, unify, values_types, by_ties,
)  # fmt: skip
