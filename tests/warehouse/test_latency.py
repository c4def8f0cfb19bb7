"""The warehouse's added latency: once per statement and once per separately fetched result page,
on both protocols, with a recording sleeper instead of a clock (no timing assertions)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from airflow_idu.cli import _parser
from airflow_idu.warehouse.core import StatementState, Warehouse
from airflow_idu.warehouse.faults import Auth
from airflow_idu.warehouse.latency import Latency
from airflow_idu.warehouse.rest import route
from airflow_idu.warehouse.server import WarehouseServer

TOKEN = "dapi-latency-test"


class Sleeps:
    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Warehouse, WarehouseServer, Sleeps]]:
    sleeps = Sleeps()
    warehouse = Warehouse(
        tmp_path / "wh.duckdb", latency=Latency(statement_ms=250, fetch_ms=40, sleep=sleeps)
    )
    server = WarehouseServer(warehouse, auth=Auth(token=TOKEN)).start()
    yield warehouse, server, sleeps
    server.stop()
    warehouse.close()


def _connect(server: WarehouseServer) -> Any:
    from databricks import sql

    extra = dict(server.connection()["extra"])
    http_path = extra.pop("http_path")
    return sql.connect(
        server_hostname="127.0.0.1", http_path=http_path, access_token=TOKEN, schema="lat", **extra
    )


def test_thrift_pays_the_statement_latency_per_statement_and_the_fetch_latency_per_fetch(
    served: tuple[Warehouse, WarehouseServer, Sleeps],
) -> None:
    warehouse, server, sleeps = served
    fetches: list[int] = []
    handler = server.processor._handler
    fetch_results = handler.FetchResults

    def counted(req: Any) -> Any:
        fetches.append(1)
        return fetch_results(req)

    handler.FetchResults = counted
    conn = _connect(server)
    cur = conn.cursor(arraysize=1000)
    try:
        cur.execute("CREATE OR REPLACE TABLE t AS SELECT id AS n FROM range(5000)")
        cur.execute("SELECT 1 AS one")
        assert cur.fetchall()[0].one == 1
        cur.execute("SELECT n FROM t ORDER BY n")
        assert len(cur.fetchall()) == 5000
    finally:
        cur.close()
        conn.close()
    statements = len(warehouse.history)  # the 3 above (the session's USE is not a statement)
    assert statements == 3 and len(fetches) >= 1  # the 5,000 rows needed pages beyond the direct result
    assert sorted(sleeps.calls) == [0.04] * len(fetches) + [0.25] * statements


def test_rest_pays_the_statement_latency_and_the_fetch_latency_per_chunk(
    served: tuple[Warehouse, WarehouseServer, Sleeps],
) -> None:
    warehouse, _, sleeps = served
    statement = warehouse.execute("SELECT 42 AS answer")
    assert statement.state is StatementState.SUCCEEDED and sleeps.calls == [0.25]
    code, answer = route(
        "GET", f"/api/2.0/sql/statements/{statement.statement_id}/result/chunks/0", {}, b"", warehouse
    )
    assert code == 200 and answer["data_array"] == [["42"]]
    assert sleeps.calls == [0.25, 0.04]
    missing = route(
        "GET", f"/api/2.0/sql/statements/{statement.statement_id}/result/chunks/3", {}, b"", warehouse
    )
    assert missing[0] == 404 and sleeps.calls == [0.25, 0.04]  # a refused fetch is not delayed


def test_no_latency_by_default_and_negative_latency_is_refused(tmp_path: Path) -> None:
    warehouse = Warehouse(tmp_path / "plain.duckdb")
    try:
        assert (
            warehouse.latency == Latency() and warehouse.execute("SELECT 1").state is StatementState.SUCCEEDED
        )
    finally:
        warehouse.close()
    sleeps = Sleeps()
    Latency(sleep=sleeps).before_statement()
    Latency(sleep=sleeps).before_fetch()
    assert sleeps.calls == []
    with pytest.raises(ValueError, match="latency must be >= 0"):
        Latency(statement_ms=-1)


def test_serve_takes_the_latency_options() -> None:
    args = _parser().parse_args(
        [
            "warehouse",
            "serve",
            "--database",
            "x.duckdb",
            "--statement-latency-ms",
            "100",
            "--fetch-latency-ms",
            "20",
        ]
    )
    assert (args.statement_latency_ms, args.fetch_latency_ms) == (100.0, 20.0)
    defaults = _parser().parse_args(["warehouse", "serve", "--database", "x.duckdb"])
    assert (defaults.statement_latency_ms, defaults.fetch_latency_ms) == (0.0, 0.0)
