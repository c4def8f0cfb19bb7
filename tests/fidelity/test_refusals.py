"""The reported failure runs on the engine, and a refused construct names itself, its file and its line."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from airflow_idu.engines import StatementError
from airflow_idu.engines.duckdb import DuckDBEngine


@pytest.fixture
def engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[DuckDBEngine]:
    monkeypatch.setenv(
        "AIRFLOW_CONN_IDU_FIDELITY", json.dumps({"conn_type": "duckdb", "host": str(tmp_path / "f.duckdb")})
    )
    eng = DuckDBEngine("idu_fidelity")
    yield eng
    eng.close()


# A statement shape from a vendor generator: its 02_extract_merge.sql stamps rows with
# unix_timestamp(current_timestamp(), 'yyyy-MM-dd HH:mm:ss'), which sqlglot alone turned into
# EPOCH(STRPTIME(CURRENT_TIMESTAMP, '%Y-%m-%d %H:%M:%S')) and DuckDB rejected.
EXTRACT_MERGE = """USE CATALOG prod_cdp;
USE SCHEMA identity;
CREATE OR REPLACE TABLE prod_cdp.identity.td_person_id_graph_unify_loop_0 (
  follower_id STRING, follower_ns BIGINT, leader_id STRING, leader_ns BIGINT,
  follower_first_seen_at BIGINT, follower_last_seen_at BIGINT,
  follower_source_table_ids ARRAY<BIGINT>, follower_last_processed_at BIGINT) USING DELTA;
INSERT INTO prod_cdp.identity.td_person_id_graph_unify_loop_0
SELECT follower_id, follower_ns, leader_id, leader_ns, time AS follower_first_seen_at,
       time AS follower_last_seen_at, array(source_table_id) AS follower_source_table_ids,
       unix_timestamp(current_timestamp(), 'yyyy-MM-dd HH:mm:ss') AS follower_last_processed_at
FROM (SELECT 'a@x' AS follower_id, 1 AS follower_ns, 'a@x' AS leader_id, 1 AS leader_ns,
             1700000000 AS time, 1 AS source_table_id);
"""


def test_unix_timestamp_of_current_timestamp_runs_in_insert_select(engine: DuckDBEngine) -> None:
    before = int(time.time())
    stats = engine.run_script(EXTRACT_MERGE, label="02_extract_merge.sql")
    after = int(time.time())
    assert stats[3].rows == 1
    stamp = engine.scalar(
        "SELECT follower_last_processed_at FROM prod_cdp.identity.td_person_id_graph_unify_loop_0"
    )
    assert isinstance(stamp, int) and before - 1 <= stamp <= after + 1


@pytest.mark.parametrize(
    ("form", "expected"),
    [
        ("unix_timestamp()", "now"),
        ("unix_timestamp('2024-03-05 12:34:56')", 1709642096),
        ("unix_timestamp('2024-03-05', 'yyyy-MM-dd')", 1709596800),
        ("unix_timestamp(TIMESTAMP '2024-03-05 12:34:56', 'yyyy')", 1709642096),
    ],
    ids=["zero-args", "one-arg", "two-args", "timestamp-ignores-format"],
)
def test_unix_timestamp_forms(engine: DuckDBEngine, form: str, expected: object) -> None:
    value = engine.scalar(f"SELECT {form}")
    if expected == "now":
        assert abs(value - time.time()) < 60
    else:
        assert value == expected


REFUSED = [
    # (construct as written, script, line of the construct in the file)
    (
        "sin",
        "USE SCHEMA s;\nCREATE TABLE s.t AS\nSELECT\n  sin(a) AS m\nFROM s.x;",
        4,
    ),
    ("kurtosis", "-- header\n\nSELECT 1;\nSELECT id,\n  kurtosis(id) AS c FROM s.x GROUP BY id;", 5),
    ("sha2", "SELECT sha2(id, id) AS h FROM s.x;", 1),
    ("format_string", "SELECT 1;\n/* a\n comment */ SELECT format_string('%08.3f', id) AS f FROM s.x;", 3),
    ("PIVOT", "SELECT 1;\nSELECT * FROM s.x\nPIVOT (count(*) FOR a IN (1, 2));", 3),
    ("SET TIME ZONE", "SELECT 1;\n\nSET TIME ZONE 'America/New_York';", 3),
]


@pytest.mark.parametrize(("construct", "script", "line"), REFUSED, ids=[r[0] for r in REFUSED])
def test_refusal_names_construct_file_and_line(
    engine: DuckDBEngine, construct: str, script: str, line: int
) -> None:
    with pytest.raises(StatementError) as err:
        engine.run_script(script, label="07_vendor.sql")
    error = err.value
    assert (error.construct, error.label, error.line) == (construct, "07_vendor.sql", line)
    message = str(error)
    assert error.location.startswith(f"07_vendor.sql: statement {error.index} at line {line} failed")
    assert construct in message.splitlines()[0] and error.location in message


def test_refused_statement_does_not_run(engine: DuckDBEngine) -> None:
    with pytest.raises(StatementError):
        engine.run_script(
            "CREATE TABLE t AS SELECT sin(0.5) AS m",
            label="x.sql",
        )
    assert engine.scalar("SELECT count(*) FROM information_schema.tables WHERE table_name = 't'") == 0


# refused where the value is known only when it runs: a BINARY column's bytes, a string read as a timestamp
RUNTIME_REFUSED = [
    (
        "lower() of bytes that are not UTF-8",
        "CREATE TABLE s.b AS SELECT unhex('FF') AS v;\nSELECT\n  lower(v) AS l FROM s.b;",
    ),
    (
        "reverse() of a BINARY column",
        "CREATE TABLE s.b AS SELECT unhex('41') AS v;\nSELECT reverse(v) AS r FROM s.b;",
    ),
    (
        "hour() of text that is not ISO",
        "CREATE TABLE s.b AS SELECT '5 March' AS v;\nSELECT hour(v) AS h FROM s.b;",
    ),
]


@pytest.mark.parametrize(("what", "script"), RUNTIME_REFUSED, ids=[r[0] for r in RUNTIME_REFUSED])
def test_runtime_refusal_names_file_statement_and_reason(
    engine: DuckDBEngine, what: str, script: str
) -> None:
    engine.run_script("CREATE SCHEMA IF NOT EXISTS s;", label="00_setup.sql")
    with pytest.raises(StatementError) as err:
        engine.run_script(script, label="08_binary.sql")
    error = err.value
    assert error.label == "08_binary.sql" and error.index == 2, (error.label, error.index)
    assert "[IDU_REFUSED]" in str(error) and error.location.startswith("08_binary.sql: statement 2 at line 2")


def test_a_utf8_binary_column_reads_as_spark_reads_it(engine: DuckDBEngine) -> None:
    """Spark casts a BINARY argument of a string function to STRING (UTF-8): so does the engine."""
    engine.run_script(
        "CREATE SCHEMA IF NOT EXISTS s;\nCREATE TABLE s.b AS SELECT unhex('C39C6E20') AS v;", label="x.sql"
    )
    assert engine.scalar("SELECT upper(trim(v)) FROM s.b") == "ÜN"
    assert engine.scalar("SELECT instr(v, 'n') FROM s.b") == 2
