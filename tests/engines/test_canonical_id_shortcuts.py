"""The canonical id's shortcuts (no Spark): which arguments are plain, which text is even hex, which
bytes are short, that ``*_plain`` macros are not bound, and that the published id keeps its value.
Spark's side of every boundary: tests/fidelity/test_conv_fast_paths.py."""

from __future__ import annotations

import base64
import hashlib

import duckdb
import pytest
import sqlglot

from airflow_idu.engines.duckdb.spark_compat.binding import repeated_parameters
from airflow_idu.engines.duckdb.spark_compat.hex_text import is_even_hex, max_bytes
from airflow_idu.engines.duckdb.spark_compat.plain_args import is_plain
from airflow_idu.engines.duckdb.translate import translate_statement
from tests.fidelity.compositions import published_canonical_id
from tests.ground_truth import MASKS


def _expr(sql: str) -> sqlglot.exp.Expr:
    return sqlglot.parse_one(f"SELECT {sql}", read="databricks").expressions[0]


@pytest.mark.parametrize(
    ("sql", "plain"),
    [
        ("km.key_mask", True),
        ("'0ffd'", True),
        ("substr(sha2(g.leader_id, 256), 1, 8)", True),
        ("substr(km.key_mask, -2)", True),
        ("idu_text(substr(s, 17, 2))", True),
        ("substr(s, k, 8)", False),
        ("concat(s, '')", False),
        ("rand()", False),
        ("a ^ b", False),
    ],
)
def test_plain_arguments(sql: str, plain: bool) -> None:
    assert is_plain(_expr(sql)) is plain


@pytest.mark.parametrize(
    ("sql", "even"),
    [
        ("lpad(idu_conv_10_16(x), 8, '0') || lpad(idu_conv_16_16_plain(y), 6, '0')", True),
        ("concat(lpad(idu_conv_10_16_plain(x), 8, '0'), rpad(idu_conv_10_16(y), 2, 'f'))", True),
        ("lpad(idu_conv_10_16(x), 7, '0')", False),
        ("lpad(idu_conv_10_16(x), 8, 'g')", False),
        ("lpad(idu_conv_10_10(x), 8, '0')", False),
        ("lpad(x, 8, '0')", False),
        ("lpad(idu_conv_10_16(x), 8, '0') || x", False),
        ("idu_conv_10_16(x)", False),
    ],
)
def test_even_hex_text(sql: str, even: bool) -> None:
    assert is_even_hex(_expr(sql)) is even


@pytest.mark.parametrize(
    ("sql", "bound"),
    [
        ("unhex(lpad(idu_conv_10_16(x), 8, '0') || lpad(idu_conv_10_16(y), 8, '0'))", 8),
        ("idu_unhex_plain(substr(idu_substr_text_plain(km), 17, 2))", 1),
        ("idu_unhex(idu_text(substr(s, 1, 3)))", 2),
        ("unhex(lpad(x, 114, '0')) || idu_unhex(substr(s, 1, 2))", 58),
        ("unhex(x)", None),
        ("bin", None),
    ],
)
def test_max_bytes(sql: str, bound: int | None) -> None:
    assert max_bytes(_expr(sql)) == bound


@pytest.mark.parametrize(
    ("definition", "bound"),
    [
        ("CREATE OR REPLACE MACRO idu_unhex_plain(s) AS CASE WHEN s IS NULL THEN NULL ELSE unhex(s) END", ()),
        ("CREATE OR REPLACE MACRO idu_unhex(s) AS CASE WHEN s IS NULL THEN NULL ELSE unhex(s) END", ("s",)),
    ],
)
def test_plain_macros_copy_their_argument(definition: str, bound: tuple[str, ...]) -> None:
    assert repeated_parameters(definition) == bound


def test_published_id_has_no_per_row_checks_left() -> None:
    [sql] = translate_statement(
        f"SELECT {published_canonical_id('g.leader_id', 'km.key_mask')} FROM g, km"
    ).statements
    assert "TO_BASE64(UNHEX(LPAD(IDU_CONV_INT_16(XOR(IDU_CONV_BIGINT_16_10_PLAIN(SUBSTRING(SHA256(" in sql
    assert "IDU_UNHEX_PLAIN(SUBSTRING(IDU_SUBSTR_TEXT_PLAIN(km.key_mask), 17, 2))" in sql
    assert "IDU_TEXT" not in sql and "IDU_UPPER" not in sql and "IDU_TO_BIGINT" not in sql


def _reference(leader: str, mask: bytes) -> str:
    digest = hashlib.sha256(leader.encode("utf-8")).digest()[:8]
    raw = bytes(a ^ b for a, b in zip(digest, mask[:8], strict=True)) + mask[8:]
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def test_published_id_keeps_the_contracts_value(con: duckdb.DuckDBPyConnection) -> None:
    leaders = ["", "0", "-1", "a@example.com", "Ünïcödé straße", *(f"user{i}" for i in range(300))]
    rows_sql = ", ".join(f"('{leader}', '{mask.hex()}')" for mask in MASKS.values() for leader in leaders)
    query = (
        f"SELECT leader_id, key_mask, {published_canonical_id('leader_id', 'key_mask')} "
        f"FROM VALUES {rows_sql} AS t(leader_id, key_mask)"
    )
    rows = con.execute(translate_statement(query).statements[0]).fetchall()
    assert len(rows) == len(leaders) * len(MASKS)
    assert all(cid == _reference(leader, bytes.fromhex(mask)) for leader, mask, cid in rows)
