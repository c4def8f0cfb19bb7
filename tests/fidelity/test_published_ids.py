"""Canonical ids as the published generator computes them: the same string on Spark, DuckDB and the warehouse.

The published directories build the id's bytes with ``concat`` of two ``unhex`` values and
``base64``-encode them; that only works if BINARY flows through ``concat`` into ``base64``.
Each engine evaluates the expression over the same leader ids (ASCII, Unicode, empty, long)
and every key type's mask; a pure-Python computation from the contract (SHA-256, XOR with
the mask, URL-safe base64) is a fourth, independent opinion.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import duckdb
import pytest

from airflow_idu.engines.duckdb.translate import COMPAT_MACROS, translate_statement
from tests.fidelity.compositions import published_canonical_id
from tests.ground_truth import MASKS
from tests.warehouse.fixture import TOKEN, LocalWarehouse

pytestmark = pytest.mark.spark


PUBLISHED_ID = published_canonical_id("leader_id", "key_mask")
LEADERS = [
    "a@example.com", "", "Ünïcödé straße", "0", "-1", "x" * 300, "+81 90 1234 5678", "ǅ\t\n",
    *(f"user{i}@example.org" for i in range(120)),
]  # fmt: skip


def _values_sql() -> str:
    rows = [
        f"({ns}, '{leader.replace(chr(39), chr(39) * 2)}', '{mask.hex()}')"
        for ns, mask in MASKS.items()
        for leader in LEADERS
    ]
    return "SELECT * FROM VALUES " + ", ".join(rows) + " AS t(ns, leader_id, key_mask)"


QUERY = f"SELECT ns, leader_id, {PUBLISHED_ID} AS canonical_id FROM ({_values_sql()}) ORDER BY ns, leader_id"


def _reference(leader: str, ns: int) -> str:
    mask = MASKS[ns]
    digest = hashlib.sha256(leader.encode("utf-8")).digest()[:8]
    raw = bytes(a ^ b for a, b in zip(digest, mask[:8], strict=True)) + mask[8:]
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


@pytest.fixture(scope="module")
def spark_ids(spark: Any) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in spark.sql(QUERY).collect()]


def test_spark_computes_the_contracts_id(spark_ids: list[tuple[Any, ...]]) -> None:
    assert len(spark_ids) == len(LEADERS) * len(MASKS)
    assert [cid for _, _, cid in spark_ids] == [_reference(leader, ns) for ns, leader, _ in spark_ids]


def test_duckdb_gives_sparks_id_for_every_row(spark_ids: list[tuple[Any, ...]]) -> None:
    con = duckdb.connect()
    for macro in COMPAT_MACROS:
        con.execute(macro)
    [statement] = translate_statement(QUERY).statements
    assert con.execute(statement).fetchall() == spark_ids


def test_local_warehouse_gives_sparks_id_for_every_row(
    spark_ids: list[tuple[Any, ...]], local_warehouse: LocalWarehouse
) -> None:
    from databricks import sql

    extra = dict(local_warehouse.connection()["extra"])
    http_path = extra.pop("http_path")
    with (
        sql.connect(
            server_hostname="127.0.0.1", http_path=http_path, access_token=TOKEN, schema="srv", **extra
        ) as conn,
        conn.cursor() as cursor,
    ):
        cursor.execute(QUERY)
        rows = [tuple(r) for r in cursor.fetchall()]
    assert rows == spark_ids
