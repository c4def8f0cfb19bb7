"""Read one DAG run from Airflow's metadata DB (inside the API server): run, task instances, XComs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow_idu.ui.model import RunData, TaskRow, xcom_keys

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

__all__ = ["latest_run_id", "load_run"]


def _text(state: Any) -> str | None:
    return None if state is None else str(getattr(state, "value", state))


def load_run(session: Session, dag_id: str, run_id: str) -> RunData | None:
    """The run as stored, or ``None`` when it does not exist. Never touches a warehouse."""
    from airflow.models.dagrun import DagRun
    from airflow.models.taskinstance import TaskInstance
    from airflow.models.xcom import XComModel
    from sqlalchemy import select

    dag_run = session.scalar(select(DagRun).where(DagRun.dag_id == dag_id, DagRun.run_id == run_id))
    if dag_run is None:
        return None
    tis = session.scalars(
        select(TaskInstance).where(TaskInstance.dag_id == dag_id, TaskInstance.run_id == run_id)
    ).all()
    query = XComModel.get_many(run_id=run_id, dag_ids=dag_id).where(XComModel.key.in_(xcom_keys()))
    rows: list[Any] = list(session.scalars(query).all())
    xcoms: dict[tuple[str, str], Any] = {}
    for row in rows:
        if row.map_index in (-1, None):
            xcoms[(row.task_id, row.key)] = XComModel.deserialize_value(row)
    return RunData(
        dag_id=dag_id,
        run_id=run_id,
        state=_text(dag_run.state),
        start=dag_run.start_date,
        end=dag_run.end_date,
        conf=dict(dag_run.conf or {}),
        tasks=tuple(
            sorted(
                (
                    TaskRow(
                        task_id=ti.task_id,
                        state=_text(ti.state),
                        start=ti.start_date,
                        end=ti.end_date,
                        try_number=int(ti.try_number or 0),
                        map_index=int(ti.map_index),
                    )
                    for ti in tis
                ),
                key=lambda t: (t.start is None, t.start or dag_run.start_date, t.task_id),
            )
        ),
        xcoms=xcoms,
    )


def latest_run_id(session: Session, dag_id: str) -> str | None:
    """The DAG's run that started last (a run not started yet counts after every started one)."""
    from airflow.models.dagrun import DagRun
    from sqlalchemy import select

    query = (
        select(DagRun.run_id)
        .where(DagRun.dag_id == dag_id)
        .order_by(DagRun.start_date.is_(None), DagRun.start_date.desc(), DagRun.id.desc())
        .limit(1)
    )
    return session.scalar(query)
