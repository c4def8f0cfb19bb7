"""The warehouse's HTTP front end through the real connector: results, LZ4, faults, auth, REST routing, CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from airflow_idu.warehouse.faults import FaultKind, FaultRule
from tests.conftest import REPO
from tests.warehouse.fixture import TOKEN, LocalWarehouse


def _connect(wh: LocalWarehouse, token: str = TOKEN, **kwargs: Any) -> Any:
    from databricks import sql

    extra = dict(wh.connection()["extra"])
    http_path = extra.pop("http_path")
    return sql.connect(
        server_hostname="127.0.0.1", http_path=http_path, access_token=token, **{**extra, **kwargs}
    )


@pytest.fixture
def cursor(local_warehouse: LocalWarehouse) -> Iterator[Any]:
    conn = _connect(local_warehouse, schema="srv")
    cur = conn.cursor(arraysize=1000)
    yield cur
    cur.close()
    conn.close()


@pytest.mark.parametrize("lz4", [True, False], ids=["lz4", "plain"])
def test_results_arrive_in_arrow_batches_over_several_fetches(
    local_warehouse: LocalWarehouse, lz4: bool
) -> None:
    conn = _connect(local_warehouse, schema="srv", enable_query_result_lz4_compression=lz4)
    cur = conn.cursor(arraysize=1000)
    try:
        cur.execute("SELECT id AS n, 'v' || id AS s, array(id, id) AS l FROM range(5000) ORDER BY n")
        rows = cur.fetchall()
        assert [d[1] for d in cur.description] == ["bigint", "string", "array"]
    finally:
        cur.close()
        conn.close()
    assert len(rows) == 5000 and rows[4999].n == 4999 and rows[10].s == "v10" and list(rows[3].l) == [3, 3]


def test_429_with_retry_after_is_retried_by_the_connector(
    local_warehouse: LocalWarehouse, cursor: Any
) -> None:
    local_warehouse.faults.add(
        FaultRule(kind=FaultKind.STATUS, status=429, retry_after=1, method="ExecuteStatement")
    )
    cursor.execute("SELECT 7 AS x")
    assert cursor.fetchall()[0].x == 7
    assert local_warehouse.faults.fired == [(FaultKind.STATUS, "ExecuteStatement")]


def test_static_token_expires_after_n_requests(local_warehouse: LocalWarehouse, cursor: Any) -> None:
    from databricks.sql.exc import RequestError

    local_warehouse.auth.expire_after = local_warehouse.auth._uses.get(TOKEN, 0) + 1
    cursor.execute("SELECT 1")
    with pytest.raises(RequestError, match="Token expired") as err:
        cursor.execute("SELECT 2")
    assert err.value.context["http-code"] == 401


def _get(url: str, token: str | None) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"{}")


def test_rest_paths_pass_the_same_auth_then_reach_the_rest_module(local_warehouse: LocalWarehouse) -> None:
    url = f"{local_warehouse.server.url}/api/2.0/sql/warehouses"
    assert _get(url, None)[0] == 401
    assert _get(url, "wrong")[0] == 403
    status, body = _get(url, TOKEN)
    try:
        import airflow_idu.warehouse.rest  # noqa: F401
    except ModuleNotFoundError:
        assert (status, body["error_code"]) == (404, "ENDPOINT_NOT_FOUND")
    else:
        assert status == 200
    assert _get(f"{local_warehouse.server.url}/nowhere", TOKEN)[0] == 404


def test_cli_serve_prints_the_connection_and_answers(tmp_path: Any) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    cmd = [
        sys.executable,
        "-m",
        "airflow_idu.cli",
        "warehouse",
        "serve",
        "--database",
        str(tmp_path / "w.duckdb"),
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    try:
        assert proc.stdout is not None
        conn = json.loads(proc.stdout.readline())
        assert conn["conn_type"] == "databricks" and conn["host"] == "127.0.0.1"
        extra = conn["extra"]
        assert extra["_connection_uri"] == f"http://127.0.0.1:{conn['port']}{extra['http_path']}"
        assert extra["enable_telemetry"] is False and extra["_retry_stop_after_attempts_count"] <= 5
        from databricks import sql

        http_path = extra.pop("http_path")
        started = time.monotonic()
        with (
            sql.connect(
                server_hostname=conn["host"], http_path=http_path, access_token=conn["password"], **extra
            ) as connection,
            connection.cursor() as cur,
        ):
            cur.execute("SELECT 41 + 1 AS answer")
            assert cur.fetchall()[0].answer == 42
        assert time.monotonic() - started < 30
    finally:
        proc.terminate()
        assert proc.wait(10) == 0
