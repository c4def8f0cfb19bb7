"""The unify loop in poke, reschedule and deferrable mode on the same case: wall time and worker time.

One child process starts a local SQL warehouse (``airflow_idu.warehouse``) on the demo data and runs
the example directory's setup + loop files with ``dag.test()`` on a ``databricks`` connection, once
per mode and repeat. Measured per run:

- loop wall time: from the end of the last setup task to the end of the loop task (metadata DB);
- worker time: time spent inside the loop task's code (``execute``/``execute_complete``, each poke in
  reschedule mode is one ``execute``), i.e. what holds a worker slot; the rest of the wall time the
  loop is deferred (triggerer) or waiting for its next reschedule;
- added latency per iteration of deferring: (deferrable wall - poke wall) / iterations.

``dag.test()`` resumes a deferred or rescheduled task at once (no scheduler loop, the trigger runs
in-process), so the latencies here are a lower bound; see docs/loop-modes.md for a deployment.

    .venv/bin/python -m bench.loop_modes --sizes 20000 --repeat 3
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

from bench.common import PYTHON, REPO, base_parser, command_line, median, parse_sizes, table, write_results
from bench.workspace import airflow_env, airflow_home, source_db

EXAMPLE_SQL = REPO / "examples" / "customer_unification" / "sql"
MODES = ("poke", "reschedule", "deferrable")
LOOP = "loop.unify_loop"
DAG_SOURCE = """
from airflow_idu import create_unification_dag
dag = create_unification_dag(
    {dag_id!r}, {sql!r}, conn_id="idu_databricks", deferrable={deferrable},
    default_args={{"mode": {mode!r}, "retries": 0}},
)
"""


def loop_only_dir(work: Path) -> Path:
    sql = work / "loop_modes" / "sql"
    sql.mkdir(parents=True, exist_ok=True)
    for f in EXAMPLE_SQL.glob("0[1-4]_*.sql"):
        shutil.copyfile(f, sql / f.name)
    return sql


def child(work: Path, people: int, repeat: int, result_file: Path) -> None:
    """Runs with the AIRFLOW_* environment the parent set; writes one JSON list of runs."""
    import importlib.util

    import pendulum

    from airflow_idu.sensors.unify_loop import UnifyLoopSensor
    from airflow_idu.warehouse.core import Warehouse
    from airflow_idu.warehouse.faults import Auth
    from airflow_idu.warehouse.server import WarehouseServer

    database = work / "loop_modes" / f"warehouse_{people}.duckdb"
    shutil.copyfile(source_db(work, people), database)
    warehouse = Warehouse(database)
    server = WarehouseServer(warehouse, auth=Auth(token="dapi-bench-local")).start()
    os.environ["AIRFLOW_CONN_IDU_DATABRICKS"] = json.dumps(server.connection())
    worker = _time_task_code(UnifyLoopSensor)
    sql = loop_only_dir(work)
    dags = Path(os.environ["AIRFLOW__CORE__DAGS_FOLDER"])
    runs: list[dict[str, Any]] = []
    day = 0
    try:
        for r in range(repeat):
            for mode in MODES:
                dag_id = f"bench_loop_{mode}"
                path = dags / f"{dag_id}.py"
                path.write_text(
                    DAG_SOURCE.format(
                        dag_id=dag_id,
                        sql=str(sql),
                        deferrable=mode == "deferrable",
                        mode="reschedule" if mode == "reschedule" else "poke",
                    )
                )
                spec = importlib.util.spec_from_file_location(dag_id, path)
                assert spec and spec.loader
                module = importlib.util.module_from_spec(spec)
                spec.loader.exec_module(module)
                worker.clear()
                day += 1
                dr = module.dag.test(logical_date=pendulum.datetime(2026, 1, 1, tz="UTC").add(days=day))
                runs.append({"mode": mode, "repeat": r, **_measure(dr, sum(worker))})
                print(runs[-1], flush=True)
    finally:
        server.stop()
        warehouse.close()
    result_file.write_text(json.dumps(runs))


def _time_task_code(cls: Any) -> list[float]:
    """Wrap the sensor's entry points; every call's duration (also when it defers or reschedules)."""
    spent: list[float] = []
    for name in ("execute", "execute_complete"):
        real = getattr(cls, name)

        def timed(self: Any, *args: Any, _real: Any = real, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return _real(self, *args, **kwargs)
            finally:
                spent.append(time.perf_counter() - t0)

        setattr(cls, name, timed)
    return spent


def _measure(dr: Any, worker_seconds: float) -> dict[str, Any]:
    from airflow.models.dagrun import DagRun
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session

    with create_session() as session:
        fresh = session.get(DagRun, dr.id)
        tis = {ti.task_id: ti for ti in fresh.get_task_instances(session=session)}
        assert str(fresh.state) in ("success", "DagRunState.SUCCESS"), {t: ti.state for t, ti in tis.items()}
        setup_end = max(ti.end_date for t, ti in tis.items() if t.startswith("setup."))
        loop_end = tis[LOOP].end_date
        rows = session.scalars(XComModel.get_many(run_id=dr.run_id, key="return_value", task_ids=LOOP)).all()
        loop = XComModel.deserialize_value(rows[0])
    wall = (loop_end - setup_end).total_seconds()
    return {
        "iterations": loop["iterations"],
        "wall": wall,
        "worker": worker_seconds,
        "iteration_seconds": sum(h["seconds"] for h in loop["history"]),
    }


def main(argv: list[str] | None = None) -> None:
    parser = base_parser(__doc__ or "", sizes="20000", repeat=3)
    parser.add_argument("--child", action="store_true", help=argparse_hidden())
    parser.add_argument("--result", type=Path)
    args = parser.parse_args(argv)
    people = parse_sizes(args.sizes)[0]
    if args.child:
        child(args.work, people, args.repeat, args.result)
        return
    home = airflow_home(args.work)
    dags = args.work / "loop_modes" / "dags"
    dags.mkdir(parents=True, exist_ok=True)
    env = airflow_env(home, dags, {"conn_type": "duckdb", "host": str(args.work / "unused.duckdb")})
    result = args.work / "loop_modes" / "runs.json"
    cmd = [str(PYTHON), "-m", "bench.loop_modes", "--child", "--sizes", str(people)]
    cmd += ["--repeat", str(args.repeat), "--work", str(args.work), "--result", str(result)]
    log = args.work / "loop_modes" / "child.log"
    with log.open("w") as out:
        subprocess.run(cmd, env=env, cwd=REPO, stdout=out, stderr=subprocess.STDOUT, check=True)
    runs = json.loads(result.read_text())
    summary = {
        mode: {
            key: median(r[key] for r in runs if r["mode"] == mode)
            for key in ("iterations", "wall", "worker", "iteration_seconds")
        }
        for mode in MODES
    }
    k = summary["poke"]["iterations"]
    added = (summary["deferrable"]["wall"] - summary["poke"]["wall"]) / k if k else 0.0
    rows = [
        [
            mode,
            int(s["iterations"]),
            s["wall"],
            s["worker"],
            f"{100 * s['worker'] / s['wall']:.0f}%" if s["wall"] else "n/a",
            s["iteration_seconds"],
            (s["wall"] - summary["poke"]["wall"]) / k * 1000 if k else 0.0,
        ]
        for mode, s in summary.items()
    ]
    body = "\n\n".join(
        [
            f"Demo data, {people:,} people, setup + loop of the example directory on a `databricks` "
            "connection against the local SQL warehouse, `dag.test()`; medians of the runs. `wall` = end "
            "of setup to end of the loop task; `worker` = time inside the loop task's code (what holds a "
            "worker slot); `iter s` = the iterations' own time (loop log); `+ms/iter vs poke` = added "
            "wall time per iteration against poke mode. `dag.test()` resumes deferred and rescheduled "
            "tasks at once and runs the trigger in-process: a scheduler and triggerer add their own loop "
            "latency (about 1 s per resume with default settings) on top.",
            table(
                ["mode", "iterations", "wall s", "worker s", "worker share", "iter s", "+ms/iter vs poke"],
                rows,
            ),
            f"Added latency per iteration of deferring (dag.test): {added * 1000:.0f} ms.",
        ]
    )
    print(
        write_results(
            args.out,
            "loop_modes",
            "Loop modes: poke, reschedule, deferrable",
            body,
            {"runs": runs, "summary": summary, "added_seconds_per_iteration": added},
            command=command_line("bench.loop_modes", argv),
        )
    )


def argparse_hidden() -> str:
    import argparse

    return argparse.SUPPRESS


if __name__ == "__main__":
    main()
