"""What the spark_connect engine sends for a Databricks statement, by what the session supports (no server)."""

from __future__ import annotations

import dataclasses

import pytest

from airflow_idu.engines.spark_connect import is_transient_spark_connect_error
from airflow_idu.engines.spark_sql import (
    SessionCapabilities,
    UpdateRewrite,
    adapt_statement,
    update_statements,
)

LOCAL = SessionCapabilities(
    catalogs=frozenset({"spark_catalog"}),
    current_catalog="spark_catalog",
    delta=False,
    replace_table=False,
    cluster_by=True,
    row_level_dml=False,
)
DELTA = dataclasses.replace(
    LOCAL,
    catalogs=frozenset({"spark_catalog", "idu_demo"}),
    delta=True,
    replace_table=True,
    row_level_dml=True,
)

CASES = [
    # (id, capabilities, Databricks statement, Spark statements)
    ("use-missing-catalog", LOCAL, "USE CATALOG idu_demo", ()),
    ("use-catalog", DELTA, "USE CATALOG idu_demo", ("SET CATALOG idu_demo",)),
    ("use-schema", LOCAL, "USE SCHEMA unified", ("CREATE SCHEMA IF NOT EXISTS unified", "USE unified")),
    ("optimize-no-delta", LOCAL, "OPTIMIZE idu_demo.unified.t", ()),
    ("optimize-delta", DELTA, "OPTIMIZE idu_demo.unified.t", ("OPTIMIZE idu_demo.unified.t",)),
    (
        "literal-kept",
        LOCAL,
        "SELECT 'idu_demo.unified.t' AS name, x FROM idu_demo.unified.t",
        ("SELECT 'idu_demo.unified.t' AS name, x FROM unified.t",),
    ),
    (
        "quoted-catalog",
        LOCAL,
        "SELECT * FROM `idu_demo`.`unified`.t",
        ("SELECT * FROM `unified`.t",),
    ),
    (
        "replace-columns",
        LOCAL,
        "CREATE OR REPLACE TABLE idu_demo.unified.t (a BIGINT) USING DELTA CLUSTER BY (a)",
        ("DROP TABLE IF EXISTS unified.t", "CREATE TABLE unified.t (a BIGINT) CLUSTER BY (a)"),
    ),
    (
        "replace-no-cluster",
        dataclasses.replace(LOCAL, cluster_by=False),
        "CREATE OR REPLACE TABLE idu_demo.unified.t (a BIGINT) USING DELTA CLUSTER BY (a)",
        ("DROP TABLE IF EXISTS unified.t", "CREATE TABLE unified.t (a BIGINT)"),
    ),
    (
        "replace-as-select-reading-itself",
        LOCAL,
        "CREATE OR REPLACE TABLE idu_demo.unified.t USING DELTA AS SELECT a + 1 AS a FROM idu_demo.unified.t",
        (
            "DROP TABLE IF EXISTS unified.t__idu_rewrite",
            "CREATE TABLE unified.t__idu_rewrite AS SELECT a + 1 AS a FROM unified.t",
            "DROP TABLE IF EXISTS unified.t",
            "ALTER TABLE unified.t__idu_rewrite RENAME TO unified.t",
        ),
    ),
    (
        "replace-as-select",
        LOCAL,
        "CREATE OR REPLACE TABLE idu_demo.unified.t USING DELTA AS SELECT 1 AS a",
        ("DROP TABLE IF EXISTS unified.t", "CREATE TABLE unified.t AS SELECT 1 AS a"),
    ),
    (
        "replace-on-delta-unchanged",
        DELTA,
        "CREATE OR REPLACE TABLE idu_demo.unified.t USING DELTA CLUSTER BY (a) AS SELECT 1 AS a",
        ("CREATE OR REPLACE TABLE idu_demo.unified.t USING DELTA CLUSTER BY (a) AS SELECT 1 AS a",),
    ),
    (
        "shallow-clone",
        LOCAL,
        "CREATE OR REPLACE TABLE idu_demo.unified.p SHALLOW CLONE idu_demo.unified.t",
        ("DROP TABLE IF EXISTS unified.p", "CREATE TABLE unified.p AS SELECT * FROM unified.t"),
    ),
    (
        "delete",
        LOCAL,
        "DELETE FROM idu_demo.unified.lease WHERE expires_at <= 2.5",
        (
            "DROP TABLE IF EXISTS unified.lease__idu_rewrite",
            "CREATE TABLE unified.lease__idu_rewrite AS SELECT * FROM unified.lease WHERE (expires_at <= 2.5) IS NOT TRUE",
            "DROP TABLE unified.lease",
            "ALTER TABLE unified.lease__idu_rewrite RENAME TO unified.lease",
        ),
    ),
    (
        "delete-on-delta",
        DELTA,
        "DELETE FROM idu_demo.unified.lease WHERE expires_at <= 2.5",
        ("DELETE FROM idu_demo.unified.lease WHERE expires_at <= 2.5",),
    ),
]


@pytest.mark.parametrize(("caps", "statement", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_statement_sent_to_spark(
    caps: SessionCapabilities, statement: str, expected: tuple[str, ...]
) -> None:
    adapted = adapt_statement(statement, caps)
    assert adapted.statements == expected
    if caps is LOCAL and expected != (statement,):
        assert adapted.notes, "a rewrite must say why in the log"


def test_delete_is_skipped_when_no_row_matches() -> None:
    adapted = adapt_statement("DELETE FROM idu_demo.unified.lease WHERE token = 'a'", LOCAL)
    assert adapted.guard == "SELECT 1 FROM unified.lease WHERE (token = 'a') IS TRUE LIMIT 1"


def test_update_rewrites_only_the_set_columns_where_the_condition_holds() -> None:
    adapted = adapt_statement("UPDATE idu_demo.unified.lease SET expires_at = 9.5 WHERE token = 'b'", LOCAL)
    assert adapted.update == UpdateRewrite(
        table="unified.lease", assignments=(("expires_at", "9.5"),), condition="token = 'b'"
    )
    assert update_statements(adapted.update, ["token", "expires_at"])[1] == (
        "CREATE TABLE unified.lease__idu_rewrite AS SELECT `token`, CASE WHEN (token = 'b') IS TRUE "
        "THEN 9.5 ELSE `expires_at` END AS `expires_at` FROM unified.lease"
    )
    with pytest.raises(ValueError, match="unknown column"):
        update_statements(adapted.update, ["token"])


def test_mapped_catalogs_are_reported_for_the_ambiguity_check() -> None:
    adapted = adapt_statement("INSERT INTO idu_demo.unified.t SELECT * FROM other.customer_db.s", LOCAL)
    assert adapted.mapped == {("idu_demo", "unified"), ("other", "customer_db")}
    assert adapted.statements == ("INSERT INTO unified.t SELECT * FROM customer_db.s",)


class _Grpc(Exception):
    """Stands in for grpc's errors: classified by code, like the real ones."""

    __module__ = "grpc._channel"

    def __init__(self, code: str) -> None:
        super().__init__(f"status = StatusCode.{code}")
        self._code = code

    def code(self) -> object:
        return type("Code", (), {"name": self._code})()


def _pyspark(name: str, text: str) -> Exception:
    return type(name, (Exception,), {"__module__": "pyspark.errors.exceptions.connect"})(text)


TRANSIENT = [
    ("unavailable", _Grpc("UNAVAILABLE"), True),
    ("deadline", _Grpc("DEADLINE_EXCEEDED"), True),
    (
        "retries-exceeded",
        _pyspark("RetriesExceeded", "[RETRIES_EXCEEDED] The maximum number of retries"),
        True,
    ),
    ("session-gone", _pyspark("SparkConnectGrpcException", "[INVALID_HANDLE.SESSION_NOT_FOUND] x"), True),
    ("session-changed", _pyspark("SparkConnectGrpcException", "[INVALID_HANDLE.SESSION_CHANGED] x"), True),
    ("analysis", _pyspark("AnalysisException", "[UNRESOLVED_COLUMN.WITH_SUGGESTION] nope"), False),
    ("parse", _pyspark("ParseException", "[PARSE_SYNTAX_ERROR] at 'FROM'"), False),
    ("internal", _Grpc("INTERNAL"), False),
    ("other-driver", OSError("connection reset"), False),
]


@pytest.mark.parametrize(("error", "transient"), [c[1:] for c in TRANSIENT], ids=[c[0] for c in TRANSIENT])
def test_is_transient(error: BaseException, transient: bool) -> None:
    assert is_transient_spark_connect_error(error) is transient
