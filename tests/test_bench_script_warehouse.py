"""The script baseline on the warehouse sends the replaced script's documented sequence
(``/work/shared/seed/script-behaviour.md``) through the real connector: USE CATALOG / USE SCHEMA at
connect, before every file and before every loop iteration; per iteration USE x2, the iteration's
statements (the default loop's label rounds, then CREATE and INSERT of the loop table), the diff count,
OPTIMIZE; the pause between iterations; ``_final`` after the count reaches 0."""

from __future__ import annotations

from pathlib import Path

import pytest

from airflow_idu.demo.data import create_demo_data
from airflow_idu.plan import Phase, read_plan
from airflow_idu.warehouse.core import Warehouse
from airflow_idu.warehouse.faults import Auth
from airflow_idu.warehouse.server import WarehouseServer
from bench.script_baseline import naive_split
from bench.script_warehouse import WarehouseScript, kind_of
from bench.warehouse_run import attribute, kind
from tests.conftest import REPO

pytestmark = [pytest.mark.bench, pytest.mark.slow]

EXAMPLE_SQL = REPO / "examples" / "customer_unification" / "sql"


def test_the_script_sequence_reaches_the_warehouse(tmp_path: Path) -> None:
    database = tmp_path / "wh.duckdb"
    create_demo_data(database, schema="customer_db", people=100, seed=3)
    warehouse = Warehouse(database)
    server = WarehouseServer(warehouse, auth=Auth(token="dapi-script")).start()
    pauses: list[float] = []
    try:
        script = WarehouseScript(server.connection(), sleep=2.0, pause=pauses.append)
        result = script.run(EXAMPLE_SQL, max_iterations=30)
    finally:
        server.stop()
        warehouse.close()
    sent = [kind_of(h.sql) for h in warehouse.history]
    plan = read_plan(EXAMPLE_SQL)
    use = ["USE", "USE"]
    before_loop = use.copy()  # at connect
    for f in plan.files:
        if f.phase is Phase.LOOP:
            break
        before_loop += use + [kind_of(s) for s in naive_split(f.path.read_text(encoding="utf-8"))]
    k = result.iterations
    loop = []
    for i in range(1, k + 1):
        body = "\n".join(
            line
            for line in plan.loop.sql_for_iteration(i)[0].splitlines()
            if not line.lstrip().upper().startswith("USE ")
        )
        own = [kind_of(s) for s in naive_split(body)]
        assert own[-2:] == ["CREATE", "INSERT"]  # the loop table, after the label rounds
        loop += [*use, *own, "diff count", "OPTIMIZE"]
    loop.append("CREATE")  # then _final
    assert sent[: len(before_loop) + len(loop)] == before_loop + loop
    assert k >= 2 and result.updated_counts[-1] == 0 and all(c > 0 for c in result.updated_counts[:-1])
    assert pauses == [2.0] * (k - 1) and result.sleep_seconds == 2.0 * (k - 1)
    assert all(h.state.value == "SUCCEEDED" for h in warehouse.history)
    assert len(warehouse.sessions_opened) == 1 and result.statements == len(warehouse.history)
    assert [kind for kind, _ in script.timed] == sent


def test_statements_are_attributed_to_the_task_running_when_they_finished() -> None:
    lease = "UPDATE idu_demo.unified.idu_writer_lease SET expires_at = 1 WHERE token = 'x'"
    stamped = [(1.5, 0.25, "USE SCHEMA unified"), (2.5, 0.5, lease), (2.7, 1.0, "-- file\nINSERT INTO t SELECT 1"),
               (9.0, 0.1, "SELECT COUNT(*) FROM t")]  # fmt: skip
    tasks = [{"task": "a", "start": 1.0, "end": 2.0}, {"task": "b", "start": 2.0, "end": 3.0}]
    attribute(stamped, tasks)
    assert [(t["statements"], t["statement_seconds"]) for t in tasks] == [(1, 0.25), (2, 1.5)]
    assert dict(tasks[1]["kinds"]) == {"writer lease": 0.5, "directory SQL": 1.0}
    assert kind("SELECT COUNT(*) FROM t") == "query (ours)" and kind("OPTIMIZE t") == "OPTIMIZE"
