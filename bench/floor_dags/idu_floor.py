"""Airflow's own floor under ``airflow dags test``: DAGs whose tasks do nothing.

``idu_floor_1`` has one no-op task; ``idu_floor_16`` has a chain of 16, as many tasks as
``idu_example`` runs. ``bench.speed e2e`` times them beside our DAG, so what Airflow costs
by itself (start-up, the in-process execution API, per-task state changes) is measured on
the same machine at the same time, not assumed. (Python tasks, not EmptyOperator, which
Airflow marks done without running it.)
"""

from __future__ import annotations

import pendulum
from airflow.providers.standard.operators.python import PythonOperator
from airflow.sdk import DAG, chain


def _noop() -> None:
    return None


for size in (1, 16):
    with DAG(f"idu_floor_{size}", schedule=None, start_date=pendulum.datetime(2026, 1, 1, tz="UTC")) as dag:
        chain(*[PythonOperator(task_id=f"noop_{i:02d}", python_callable=_noop) for i in range(size)])
    globals()[f"dag_{size}"] = dag
