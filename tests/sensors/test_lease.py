"""The lease sensors: lease_acquire waits, tries again after a conflict, lets earlier runs go first;
the leased loop checks the lease per iteration."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pendulum
import pytest

from airflow_idu.engines import StatementError
from tests.lease.runs import acquire_sensor, run_context


class ConflictEngine:
    """An engine whose writes hit a Delta conflict (another taker committed first)."""

    def run_script(self, sql: str, *, label: str) -> list[Any]:
        raise StatementError(
            label=label,
            index=1,
            statement=sql,
            error=RuntimeError("[DELTA_CONCURRENT_APPEND] ConcurrentAppendException"),
        )

    def close(self) -> None:
        pass


def test_a_conflict_while_taking_means_try_again() -> None:
    sensor = acquire_sensor("unused")
    sensor.__dict__["engine"] = ConflictEngine()
    assert sensor.poke(run_context("d", "r")) is False  # type: ignore[arg-type]


def test_loop_checks_the_lease_first_then_every_quarter_ttl(monkeypatch: pytest.MonkeyPatch) -> None:
    from airflow_idu.sensors import lease as lease_sensors
    from airflow_idu.sensors.lease import LeasedUnifyLoopSensor
    from airflow_idu.sensors.unify_loop import UnifyLoopSensor

    checks: list[float] = []
    now = [100.0]

    class Guard:
        ttl = timedelta(minutes=4)

        def check(self, task: Any, context: Any) -> Any:
            checks.append(now[0])  # renewed now: the lease expires a TTL from now
            return SimpleNamespace(expires_at=now[0] + self.ttl.total_seconds())

    monkeypatch.setattr(UnifyLoopSensor, "poke", lambda self, context: False)
    monkeypatch.setattr(lease_sensors.time, "time", lambda: now[0])
    loop = LeasedUnifyLoopSensor(
        task_id="unify_loop", loop_files=["x.sql"], canonical_id="p", lease_guard=Guard()
    )
    for step in (0, 30, 30, 0.5):  # iterations at 100, 130, 160, 160.5 (quarter TTL = 60 s)
        now[0] += step
        loop.poke({})  # type: ignore[arg-type]
    assert checks == [100.0, 160.0]


class FakeTi:
    """The Task SDK calls the acquire sensor makes to order runs by logical date."""

    dag_id = "d"

    def __init__(self, earlier: Any, first_poke: Any, earlier_lease: str | None) -> None:
        self.earlier, self.first_poke, self.earlier_lease = earlier, first_poke, earlier_lease
        self.asked: list[str] = []

    def get_previous_dagrun(self, state: str | None = None) -> Any:
        self.asked.append(str(state))
        return self.earlier

    def get_task_states(self, *, dag_id: str, run_ids: list[str], task_ids: list[str]) -> dict[str, Any]:
        return {run_id: {task_id: self.earlier_lease for task_id in task_ids} for run_id in run_ids}

    def get_first_reschedule_date(self, context: Any) -> Any:
        return self.first_poke


_EARLIER = SimpleNamespace(
    run_id="backfill__2026-01-01", logical_date=pendulum.datetime(2026, 1, 1, tz="UTC")
)
_DAY2 = pendulum.datetime(2026, 1, 2, tz="UTC")


@pytest.mark.parametrize(
    ("logical_date", "earlier", "earlier_lease", "waited", "takes"),
    [
        (_DAY2, None, None, None, True),
        (_DAY2, _EARLIER, "up_for_reschedule", None, False),
        (_DAY2, _EARLIER, None, None, False),
        (_DAY2, _EARLIER, "success", None, True),
        (_DAY2, _EARLIER, "up_for_reschedule", timedelta(minutes=5), False),
        (_DAY2, _EARLIER, "up_for_reschedule", timedelta(hours=1), True),
        (None, _EARLIER, "up_for_reschedule", None, True),
    ],
    ids=[
        "no_earlier_run",
        "earlier_run_waiting",
        "earlier_run_not_at_its_lease_task_yet",
        "earlier_run_had_the_lease",
        "waited_less_than_ttl",
        "waited_past_ttl",
        "no_logical_date",
    ],
)
def test_a_free_lease_goes_to_the_earliest_running_run_of_the_dag(
    lease_conn_id: str,
    logical_date: Any,
    earlier: Any,
    earlier_lease: str | None,
    waited: timedelta | None,
    takes: bool,
) -> None:
    from airflow.sdk import timezone

    ti = FakeTi(earlier, None if waited is None else timezone.utcnow() - waited, earlier_lease)
    context = run_context("d", "later")
    context["dag_run"].logical_date = logical_date
    context["ti"] = ti
    assert bool(acquire_sensor(lease_conn_id).poke(context)) is takes  # type: ignore[arg-type]  # the lease is free
    assert ti.asked == ([] if logical_date is None else ["running"])  # only running runs go first


def test_loop_checks_again_when_the_lease_it_found_is_due(monkeypatch: pytest.MonkeyPatch) -> None:
    """The guard left a fresh lease as it was (renewed 50 s before the loop began): the loop's next
    check comes a quarter TTL after that renewal, not after its own first check."""
    from airflow_idu.sensors import lease as lease_sensors
    from airflow_idu.sensors.lease import LeasedUnifyLoopSensor
    from airflow_idu.sensors.unify_loop import UnifyLoopSensor

    checks: list[float] = []
    now = [100.0]

    class Guard:
        ttl = timedelta(minutes=4)

        def check(self, task: Any, context: Any) -> Any:
            checks.append(now[0])
            renewed = 50.0 if len(checks) == 1 else now[0]
            return SimpleNamespace(expires_at=renewed + self.ttl.total_seconds())

    monkeypatch.setattr(UnifyLoopSensor, "poke", lambda self, context: False)
    monkeypatch.setattr(lease_sensors.time, "time", lambda: now[0])
    loop = LeasedUnifyLoopSensor(
        task_id="unify_loop", loop_files=["x.sql"], canonical_id="p", lease_guard=Guard()
    )
    for step in (0, 5, 10, 30):  # iterations at 100, 105, 115, 145 (due at 50 + 60 = 110, then 175)
        now[0] += step
        loop.poke({})  # type: ignore[arg-type]
    assert checks == [100.0, 115.0]
