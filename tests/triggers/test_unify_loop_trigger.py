"""UnifyLoopTrigger against the local warehouse over HTTP (the provider's DatabricksHook, no Airflow run).

Serialization round trip, the event of a whole iteration, USE lines turned into the request's
namespace, a SQL error's event, and a stopped trigger cancelling its statement in flight.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from airflow_idu.triggers.unify_loop import EventStatus, UnifyLoopTrigger, error_class_of
from airflow_idu.warehouse.core import StatementState
from airflow_idu.warehouse.rest import WAREHOUSE_ID
from tests.warehouse.fixture import LocalWarehouse

CONN_ID = "idu_trigger"
T = "customer_db.trigger_t"


@pytest.fixture
def wh(local_warehouse: LocalWarehouse, monkeypatch: pytest.MonkeyPatch) -> LocalWarehouse:
    local_warehouse.use(monkeypatch, CONN_ID)
    return local_warehouse


def _trigger(statements: list[tuple[str, str]], **kwargs: Any) -> UnifyLoopTrigger:
    return UnifyLoopTrigger(
        conn_id=CONN_ID,
        warehouse_id=WAREHOUSE_ID,
        iteration=2,
        statements=statements,
        catalog="idu_demo",
        schema="unified",
        poll_interval=0.2,
        **kwargs,
    )


def _first_event(trigger: UnifyLoopTrigger) -> dict[str, Any]:
    async def first() -> Any:
        return await anext(trigger.run())

    return dict(asyncio.run(first()).payload)


def test_serialize_round_trip() -> None:
    trigger = _trigger([("f.sql (iteration 2)", "SELECT 1")])
    classpath, kwargs = trigger.serialize()
    assert classpath == "airflow_idu.triggers.unify_loop.UnifyLoopTrigger"
    assert UnifyLoopTrigger(**kwargs).serialize() == (classpath, kwargs)


def test_an_iteration_event(wh: LocalWarehouse) -> None:
    label = "04_x.sql (iteration 2)"
    mark = wh.mark()  # the warehouse is the process's: earlier suites' statements are in its history
    event = _first_event(
        _trigger(
            [
                (label, "USE CATALOG idu_demo"),
                (label, "USE SCHEMA customer_db"),
                (label, "CREATE OR REPLACE TABLE trigger_t (x BIGINT)"),  # the USE'd schema
                (label, f"INSERT INTO {T} VALUES (1), (2), (3)"),
                ("check", f"SELECT COUNT(*) AS updated_count FROM {T} WHERE x > 1"),
            ]
        )
    )
    assert event["status"] == EventStatus.SUCCESS
    assert (event["iteration"], event["updated_count"], event["rows"]) == (2, 2, 3)
    assert [(s["label"], s["index"]) for s in event["statements"]] == [(label, 3), (label, 4), ("check", 1)]
    sent = wh.statements(mark)
    assert len(sent) == 3 and not [s for s in sent if s.startswith("USE ")]


def test_a_sql_error_event_names_statement_and_error_class(wh: LocalWarehouse) -> None:
    label = "04_x.sql (iteration 2)"
    event = _first_event(_trigger([(label, "SELECT 1"), (label, "SELECT * FROM customer_db.nope_table")]))
    assert event["status"] == EventStatus.FAILED
    assert (event["label"], event["index"], event["iteration"]) == (label, 2, 2)
    assert event["error_class"] == "TABLE_OR_VIEW_NOT_FOUND"
    assert event["transient"] is False
    assert event["first_line"].startswith("SELECT * FROM customer_db.nope_table")


def test_stopping_the_trigger_cancels_the_statement_in_flight(wh: LocalWarehouse) -> None:
    wh.warehouse.slow_statements["trigger_slow_marker"] = 60
    trigger = _trigger([("slow", "SELECT 'trigger_slow_marker' AS m")])

    async def stop_midway() -> None:
        task = asyncio.create_task(anext(trigger.run()))
        while trigger._in_flight is None:
            await asyncio.sleep(0.02)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    started = time.monotonic()
    asyncio.run(stop_midway())
    assert time.monotonic() - started < 20
    assert trigger._in_flight is None
    statement = next(s for s in wh.warehouse._statements.values() if "trigger_slow_marker" in s.sql)
    assert statement.wait(10)  # the warehouse thread ends the interrupted statement
    cancelled = [h for h in wh.warehouse.history if "trigger_slow_marker" in h.sql]
    assert [h.state for h in cancelled] == [StatementState.CANCELED]


def test_a_statement_left_running_on_the_iteration_table_is_cancelled_first(wh: LocalWarehouse) -> None:
    """What a killed triggerer leaves behind: a statement still writing the iteration's table."""
    table = "customer_db.trigger_guarded"
    wh.warehouse.slow_statements["trigger_left_over"] = 60
    left = wh.warehouse.submit(f"CREATE OR REPLACE TABLE {table} AS SELECT 'trigger_left_over' AS m")
    other = wh.warehouse.submit("SELECT 'trigger_left_over' AS m FROM customer_db.trigger_guarded_not")
    event = _first_event(
        _trigger([("it", f"CREATE OR REPLACE TABLE {table} AS SELECT 1 AS x")], guard_tables=[table])
    )
    assert event["status"] == EventStatus.SUCCESS
    assert left.wait(10) and left.state is StatementState.CANCELED
    assert other.state is StatementState.RUNNING  # another table's statement is left alone
    wh.warehouse.cancel(other.statement_id)


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (
            "[TABLE_OR_VIEW_NOT_FOUND] The table `x` cannot be found. SQLSTATE: 42P01",
            "TABLE_OR_VIEW_NOT_FOUND",
        ),
        ("[UNRESOLVED_COLUMN.WITH_SUGGESTION] A column ...", "UNRESOLVED_COLUMN.WITH_SUGGESTION"),
        ("connection refused", None),
    ],
    ids=["table", "dotted-class", "no-class"],
)
def test_error_class_of(message: str, expected: str | None) -> None:
    assert error_class_of(message) == expected
