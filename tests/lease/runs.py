"""Airflow run contexts and the acquire sensor, for the lease's task tests (operators and sensors)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pendulum

from airflow_idu.sensors.lease import LeaseAcquireSensor


def run_context(dag_id: str, run_id: str, task: Any = None) -> dict[str, Any]:
    started = pendulum.datetime(2026, 1, 1, tz="UTC")
    dag_run = SimpleNamespace(
        dag_id=dag_id, run_id=run_id, start_date=started, run_after=started, clear_number=0
    )
    return {"dag_run": dag_run, "task": task}


def acquire_sensor(conn: str) -> LeaseAcquireSensor:
    return LeaseAcquireSensor(task_id="lease_acquire", conn_id=conn, catalog="cat", schema="s")
