"""Run a DAG for real with ``dag.test()`` and read back states and XComs from the metadata DB."""

from __future__ import annotations

import importlib.util
import sys
import textwrap
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tests.conftest import DAGS_DIR


def dag_from_file(name: str, source: str) -> Any:
    """Write ``source`` as ``<dags folder>/<name>.py`` and return its module-level ``dag``."""
    path = DAGS_DIR / f"{name}.py"
    path.write_text(textwrap.dedent(source), encoding="utf-8")
    spec = importlib.util.spec_from_file_location(f"idu_test_dags.{name}", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module.dag


def loop_history(history: list[dict[str, Any]]) -> list[tuple[int, int, str]]:
    """The loop's history without its timings: (iteration, updated count, file or derived) each."""
    return [(h["iteration"], h["updated_count"], h["source"]) for h in history]


@dataclass
class RunResult:
    dag_id: str
    run_id: str
    state: str
    task_states: dict[str, str | None]

    def xcom(self, task_id: str, key: str = "return_value") -> Any:
        from airflow.models.xcom import XComModel
        from airflow.utils.session import create_session

        with create_session() as session:
            rows = session.scalars(
                XComModel.get_many(run_id=self.run_id, key=key, task_ids=task_id, dag_ids=self.dag_id)
            ).all()
            return XComModel.deserialize_value(rows[0]) if rows else None

    def failed(self) -> dict[str, str | None]:
        return {t: s for t, s in self.task_states.items() if s != "success"}


def run_dag(
    dag: Any,
    *,
    logical_date: datetime,
    conf: dict[str, Any] | None = None,
    scheduled_interval: tuple[datetime, datetime] | None = None,
) -> RunResult:
    """Run ``dag`` once. With ``scheduled_interval`` the run is a SCHEDULED run with that data interval
    (``dag.test()`` itself only creates manual runs), executed by the same ``dag.test()`` loop."""
    if scheduled_interval is None:
        dr = dag.test(logical_date=logical_date, run_conf=conf)
    else:
        dr = _test_as_scheduled(dag, logical_date, scheduled_interval)
    from airflow.utils.session import create_session

    with create_session() as session:
        from airflow.models.dagrun import DagRun

        fresh = session.get(DagRun, dr.id)
        states = {ti.task_id: _text(ti.state) for ti in fresh.get_task_instances(session=session)}
        return RunResult(
            dag_id=dag.dag_id, run_id=dr.run_id, state=str(_text(fresh.state)), task_states=states
        )


def _test_as_scheduled(dag: Any, logical_date: datetime, interval: tuple[datetime, datetime]) -> Any:
    from unittest import mock

    from airflow.models import dagrun as dagrun_module
    from airflow.utils.state import DagRunState
    from airflow.utils.types import DagRunType

    def scheduled_run(*, dag, session, run_after, triggered_by, start_date, **_: Any):  # type: ignore[no-untyped-def]
        return dag.create_dagrun(
            run_id=dagrun_module.DagRun.generate_run_id(
                run_type=DagRunType.SCHEDULED, logical_date=logical_date, run_after=run_after
            ),
            logical_date=logical_date,
            data_interval=interval,
            run_after=interval[1],
            conf=None,
            run_type=DagRunType.SCHEDULED,
            state=DagRunState.RUNNING,
            triggered_by=triggered_by,
            triggering_user_name=None,
            start_date=start_date,
            session=session,
        )

    with mock.patch.object(dagrun_module, "get_or_create_dagrun", scheduled_run):
        return dag.test(logical_date=logical_date)


def _text(state: Any) -> str | None:
    return None if state is None else str(getattr(state, "value", state))
