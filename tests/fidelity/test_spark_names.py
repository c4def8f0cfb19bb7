"""Names sqlglot reads as functions that Spark lacks (spark_compat/spark_names.py): the list is derived
again from sqlglot and local Spark, and Spark refuses every name on it."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlglot.dialects.databricks import Databricks

from airflow_idu.engines.duckdb.spark_compat.spark_names import NOT_SPARK

pytestmark = pytest.mark.spark

# Spark syntax that looks like a call but is no function (SHOW FUNCTIONS does not list it)
SYNTAX = frozenset({"try_cast", "timestampadd", "timestampdiff"})


def test_list_is_sqlglots_names_that_spark_lacks(spark: Any) -> None:
    parser = Databricks.parser_class
    sqlglot_names = {n.lower() for n in (*parser.FUNCTIONS, *parser.FUNCTION_PARSERS)}
    sqlglot_names = {n for n in sqlglot_names if re.fullmatch(r"[a-z_][a-z0-9_]*", n)}
    spark_names = {r[0].lower() for r in spark.sql("SHOW FUNCTIONS").collect()}
    assert sqlglot_names - spark_names - SYNTAX == NOT_SPARK


def test_spark_refuses_each_name(spark: Any) -> None:
    resolved = []
    for name in sorted(NOT_SPARK):
        try:
            spark.sql(f"SELECT {name}(1)").schema  # noqa: B018 - analysing is the check
            resolved.append(name)
        except Exception as exc:  # any error other than an unknown routine counts
            if "UNRESOLVED_ROUTINE" not in str(exc):
                resolved.append(name)
    assert resolved == []
