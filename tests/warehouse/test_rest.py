"""The Statement Execution API through the provider's own ``DatabricksHook`` over loopback HTTP.

Submit, poll (sync and async), fetch inline results, cancel, errors in Databricks' shape, and the
warehouse list ``DatabricksSqlHook`` resolves a warehouse name with; plus the provider's
``DatabricksSQLStatementExecutionTrigger`` polling a statement to its end.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest

from airflow_idu.warehouse.core import StatementState
from airflow_idu.warehouse.rest import WAREHOUSE_ID, WAREHOUSE_NAME, route
from tests.warehouse.fixture import LocalWarehouse

CONN_ID = "idu_rest"
PEOPLE = "customer_db.customer_profiles"


@pytest.fixture
def hook(local_warehouse: LocalWarehouse, monkeypatch: pytest.MonkeyPatch) -> Any:
    from airflow.providers.databricks.hooks.databricks import DatabricksHook

    local_warehouse.use(monkeypatch, CONN_ID)
    return DatabricksHook(CONN_ID, retry_limit=1, retry_delay=0.1)


def _submit(hook: Any, statement: str, **extra: Any) -> str:
    body = {"statement": statement, "warehouse_id": WAREHOUSE_ID, "wait_timeout": "0s", **extra}
    return str(hook.post_sql_statement(body))


def _until_terminal(hook: Any, statement_id: str) -> Any:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        state = hook.get_sql_statement_state(statement_id)
        if state.is_terminal:
            return state
        time.sleep(0.02)
    raise AssertionError(f"statement {statement_id} did not finish")


def _get(hook: Any, statement_id: str) -> dict[str, Any]:
    return dict(hook._do_api_call(("GET", f"2.0/sql/statements/{statement_id}")))


def test_query_results_inline_as_strings(hook: Any) -> None:
    statement_id = _submit(
        hook,
        "SELECT 7 AS n, 'x' AS s, CAST(NULL AS STRING) AS z, array(1, 2) AS a, 1.5D AS d, true AS b",
        catalog="idu_demo",
        schema="customer_db",
    )
    assert _until_terminal(hook, statement_id).is_successful
    answer = _get(hook, statement_id)
    assert answer["statement_id"] == statement_id
    assert answer["status"] == {"state": "SUCCEEDED"}
    columns = answer["manifest"]["schema"]["columns"]
    assert [(c["name"], c["type_text"], c["position"]) for c in columns] == [
        ("n", "INT", 0),
        ("s", "STRING", 1),
        ("z", "STRING", 2),
        ("a", "ARRAY<INT>", 3),
        ("d", "DOUBLE", 4),
        ("b", "BOOLEAN", 5),
    ]
    assert answer["result"]["data_array"] == [["7", "x", None, "[1,2]", "1.5", "true"]]
    assert answer["manifest"]["total_row_count"] == 1


def test_wait_timeout_answers_finished_statements_at_once(hook: Any, local_warehouse: LocalWarehouse) -> None:
    answer = hook._do_api_call(
        ("POST", "2.0/sql/statements"),
        {
            "statement": f"SELECT COUNT(*) AS people FROM {PEOPLE}",
            "warehouse_id": WAREHOUSE_ID,
            "catalog": "idu_demo",
            "wait_timeout": "10s",
            "on_wait_timeout": "CONTINUE",
            "disposition": "INLINE",
            "format": "JSON_ARRAY",
        },
    )
    expected = local_warehouse.warehouse.execute(f"SELECT COUNT(*) FROM {PEOPLE}").result
    assert expected is not None
    assert answer["status"]["state"] == "SUCCEEDED"
    assert answer["result"]["data_array"] == [[str(expected.rows[0][0])]]
    assert answer["manifest"]["schema"]["columns"][0]["type_name"] == "LONG"


def test_dml_answers_affected_rows(hook: Any) -> None:
    create = _submit(hook, "CREATE OR REPLACE TABLE customer_db.rest_t (x BIGINT)")
    assert _until_terminal(hook, create).is_successful
    insert = _submit(hook, "INSERT INTO customer_db.rest_t VALUES (1), (2), (3)")
    assert _until_terminal(hook, insert).is_successful
    answer = _get(hook, insert)
    names = [c["name"] for c in answer["manifest"]["schema"]["columns"]]
    assert names == ["num_affected_rows", "num_inserted_rows"]
    assert answer["result"]["data_array"] == [["3", "3"]]


@pytest.mark.parametrize(
    ("statement", "error_class"),
    [
        ("SELECT * FROM customer_db.no_such_table", "TABLE_OR_VIEW_NOT_FOUND"),
        ("SELEC 1", "PARSE_SYNTAX_ERROR"),
    ],
    ids=["missing-table", "syntax"],
)
def test_sql_errors_in_databricks_shape(hook: Any, statement: str, error_class: str) -> None:
    state = _until_terminal(hook, _submit(hook, statement))
    assert state.state == "FAILED"
    assert state.error_code == "BAD_REQUEST"
    assert state.error_message.startswith(f"[{error_class}]"), state.error_message
    assert "SQLSTATE: " in state.error_message


def test_cancel_interrupts_and_the_warehouse_records_it(hook: Any, local_warehouse: LocalWarehouse) -> None:
    local_warehouse.warehouse.slow_statements["rest_slow_marker"] = 30
    statement_id = _submit(hook, "SELECT 'rest_slow_marker' AS m")
    assert hook.get_sql_statement_state(statement_id).is_running
    started = time.monotonic()
    hook.cancel_sql_statement(statement_id)
    state = _until_terminal(hook, statement_id)
    assert state.state == "CANCELED"
    assert time.monotonic() - started < 10
    history = {h.statement_id: h.state for h in local_warehouse.warehouse.history}
    assert history[statement_id] is StatementState.CANCELED


def test_async_state_polling(hook: Any) -> None:
    statement_id = _submit(hook, "SELECT 1 AS one")

    async def poll() -> Any:
        async with hook:
            for _ in range(500):
                state = await hook.a_get_sql_statement_state(statement_id)
                if state.is_terminal:
                    return state
                await asyncio.sleep(0.02)
        raise AssertionError("no terminal state")

    assert asyncio.run(poll()).is_successful


def test_provider_trigger_polls_to_the_end(hook: Any) -> None:
    from airflow.providers.databricks.triggers.databricks import DatabricksSQLStatementExecutionTrigger

    statement_id = _submit(hook, "SELECT 2 AS two")
    trigger = DatabricksSQLStatementExecutionTrigger(
        statement_id=statement_id,
        databricks_conn_id=CONN_ID,
        end_time=time.time() + 60,
        polling_period_seconds=0,
    )

    async def first_event() -> Any:
        return await anext(trigger.run())

    event = asyncio.run(first_event())
    assert event.payload["statement_id"] == statement_id
    assert json.loads(event.payload["state"])["state"] == "SUCCEEDED"
    assert event.payload["error"] == {}


def test_warehouse_name_lookup(local_warehouse: LocalWarehouse, monkeypatch: pytest.MonkeyPatch) -> None:
    from airflow.providers.databricks.hooks.databricks_sql import DatabricksSqlHook

    local_warehouse.use(monkeypatch, CONN_ID)
    sql_hook = DatabricksSqlHook(CONN_ID, sql_endpoint_name=WAREHOUSE_NAME)
    endpoint = sql_hook._get_sql_endpoint_by_name(WAREHOUSE_NAME)
    assert endpoint["id"] == WAREHOUSE_ID
    assert endpoint["odbc_params"]["path"] == f"/sql/1.0/warehouses/{WAREHOUSE_ID}"


@pytest.mark.parametrize(
    ("body", "status", "needle"),
    [
        ({"statement": "SELECT 1", "warehouse_id": WAREHOUSE_ID, "wait_timeout": "3s"}, 400, "wait_timeout"),
        (
            {"statement": "SELECT 1", "warehouse_id": WAREHOUSE_ID, "format": "ARROW_STREAM"},
            400,
            "JSON_ARRAY",
        ),
        ({"statement": "SELECT 1", "warehouse_id": "nope"}, 404, "nope"),
        ({"statement": "", "warehouse_id": WAREHOUSE_ID}, 400, "statement"),
    ],
    ids=["wait-timeout-3s", "arrow-format", "unknown-warehouse", "empty-statement"],
)
def test_bad_requests_name_the_parameter(
    local_warehouse: LocalWarehouse,
    body: dict[str, Any],
    status: int,
    needle: str,
) -> None:
    code, answer = route(
        "POST", "/api/2.0/sql/statements", {}, json.dumps(body).encode(), local_warehouse.warehouse
    )
    assert code == status
    assert needle in answer["message"]


def test_unknown_statement_and_path_are_404(local_warehouse: LocalWarehouse) -> None:
    assert route("GET", "/api/2.0/sql/statements/abc", {}, b"", local_warehouse.warehouse)[0] == 404
    assert route("GET", "/api/2.0/jobs/list", {}, b"", local_warehouse.warehouse)[0] == 404
