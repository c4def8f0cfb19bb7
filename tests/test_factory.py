"""The DAG factory's public surface: group ids, task ids, dependencies, defaults, params."""

from __future__ import annotations

import copy
import shutil
from pathlib import Path
from typing import Any

import pendulum
import pytest
from airflow.sdk import DAG, Param
from airflow.sdk.definitions.param import ParamsDict

from airflow_idu import create_unification_dag, unification_task_group
from airflow_idu.plan import PlanError
from airflow_idu.sensors.unify_loop import DEFAULT_MAX_ITERATIONS, UnifyLoopSensor
from tests.sqldir import contract_dir


@pytest.fixture
def sql_dir(tmp_path: Path) -> Path:
    return contract_dir(tmp_path / "sql", iterations=3)


def test_task_ids_are_group_dot_file_stem(sql_dir: Path) -> None:
    dag = create_unification_dag("t", sql_dir)
    assert sorted(dag.task_ids) == sorted(
        [
            "lease_acquire",
            "setup.01_create_graph",
            "setup.02_extract_merge",
            "setup.03_source_key_stats",
            "loop.unify_loop",
            "canonicalize.restore_loop_final",
            "canonicalize.keep_previous_lookup",
            "canonicalize.05_canonicalize",
            "canonicalize.drop_old_loop_tables",
            "stats.06_result_key_stats",
            "gate.identity_health",
            "enrichment.10_enrich_a",
            "enrichment.10_enrich_b",
            "master.20_master_m",
            "metadata.30_unification_metadata",
            "metadata.31_filter_lookup",
            "other.custom_report",
            "report",
            "lease_release",
        ]
    )
    assert list(dag.task_group.children) == [
        "lease_acquire",
        "setup",
        "loop",
        "canonicalize",
        "stats",
        "gate",
        "enrichment",
        "master",
        "metadata",
        "other",
        "report",
        "lease_release",
    ]


def test_dependencies_follow_phases(sql_dir: Path) -> None:
    dag = create_unification_dag("t", sql_dir)
    up = {t.task_id: t.upstream_task_ids for t in dag.tasks}
    assert up["lease_acquire"] == set()
    assert up["setup.01_create_graph"] == {"lease_acquire"}
    assert up["setup.02_extract_merge"] == {"setup.01_create_graph"}
    assert up["loop.unify_loop"] == {"setup.03_source_key_stats"}
    assert up["canonicalize.restore_loop_final"] == {"loop.unify_loop"}
    assert up["canonicalize.keep_previous_lookup"] == {"loop.unify_loop"}
    assert up["canonicalize.05_canonicalize"] == {
        "canonicalize.restore_loop_final",
        "canonicalize.keep_previous_lookup",
    }
    assert up["canonicalize.drop_old_loop_tables"] == {"canonicalize.05_canonicalize"}
    # Stats run beside the gate and what follows it (nothing after them reads their tables); the
    # identity-health gate sits between canonicalize and everything that publishes.
    assert up["stats.06_result_key_stats"] == {"canonicalize.drop_old_loop_tables"}
    assert up["gate.identity_health"] == {"canonicalize.drop_old_loop_tables"}
    # Independent files of a phase run in parallel after the previous phase.
    assert up["enrichment.10_enrich_a"] == up["enrichment.10_enrich_b"] == {"gate.identity_health"}
    assert up["master.20_master_m"] == {"enrichment.10_enrich_a", "enrichment.10_enrich_b"}
    assert up["metadata.30_unification_metadata"] == up["metadata.31_filter_lookup"] == {"master.20_master_m"}
    assert up["other.custom_report"] == {"metadata.30_unification_metadata", "metadata.31_filter_lookup"}
    assert up["report"] == {"other.custom_report", "stats.06_result_key_stats"}
    # The lease is released after every task (a teardown: it runs after failures, too).
    assert up["lease_release"] == set(up) - {"lease_release"}
    assert dag.get_task("lease_release").is_teardown and dag.get_task("lease_acquire").is_setup
    report = dag.get_task("report")
    assert report.enriched_tables == ["enriched_a", "enriched_b"]
    assert report.master_tables == ["m"]
    assert "canonicalize.05_canonicalize" in report.file_task_ids


def test_defaults_fit_how_users_run_it(sql_dir: Path) -> None:
    dag = create_unification_dag("t", sql_dir, max_iterations=12)
    assert dag.max_active_runs == 1
    assert dag.catchup is False
    assert dag.schedule is None
    assert dag.params["max_iterations"] == 12
    assert dag.params["optimize"] is False
    loop = dag.get_task("loop.unify_loop")
    assert isinstance(loop, UnifyLoopSensor)
    assert loop.mode == "poke" and loop.poke_interval == 0
    assert loop.max_iterations == "{{ params.max_iterations }}"
    assert (loop.catalog, loop.schema, loop.canonical_id) == ("cat", "sch", "uid")
    assert [Path(p).name for p in loop.loop_files] == [
        "04_unify_loop_iteration_01.sql",
        "04_unify_loop_iteration_02.sql",
        "04_unify_loop_iteration_03.sql",
    ]


@pytest.mark.parametrize(
    ("value", "valid"),
    [(30, True), (1, True), (0, False), (-3, False), ("ten", False)],
    ids=["default", "one", "zero", "negative", "not_a_number"],
)
def test_trigger_param_max_iterations_is_validated(sql_dir: Path, value: object, valid: bool) -> None:
    params = create_unification_dag("t", sql_dir).params
    if valid:
        ParamsDict({**params, "max_iterations": value}).validate()  # type: ignore[arg-type]
        return
    resolved = ParamsDict(params)  # type: ignore[arg-type]
    with pytest.raises(Exception, match=r"max_iterations|minimum|integer"):
        resolved["max_iterations"] = value
        resolved.validate()


def test_published_tables_are_asset_outlets(sql_dir: Path) -> None:
    dag = create_unification_dag("t", sql_dir)
    names = {t.task_id: [a.name for a in t.outlets] for t in dag.tasks}
    # Only a passed gate publishes the lookup (a refused result is restored, not announced).
    assert names["canonicalize.05_canonicalize"] == []
    assert names["gate.identity_health"] == ["cat.sch.uid_lookup"]
    assert names["enrichment.10_enrich_a"] == ["cat.sch.enriched_a"]
    assert names["master.20_master_m"] == ["cat.sch.m"]
    assert names["setup.01_create_graph"] == []


def test_dag_kwargs_pass_through(sql_dir: Path) -> None:
    dag = create_unification_dag(
        "t",
        sql_dir,
        schedule="@daily",
        start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
        max_active_runs=2,
        tags=["x"],
    )
    assert (dag.max_active_runs == 2 and dag.tags == {"x"}) or dag.tags == ["x"]


@pytest.mark.parametrize(
    ("where", "value", "expected"),
    [
        ("params", Param(3, type="integer"), 3),
        ("default_args", Param(4, type="integer"), 4),
        ("default_args", "plain", "plain"),
    ],
    ids=["params", "default-args-param", "default-args-value"],
)
def test_a_dags_own_params_join_the_form_as_airflow_merges_them(
    sql_dir: Path, where: str, value: object, expected: object
) -> None:
    """``params=`` and ``default_args={"params": ...}`` reach the DAG as Airflow's DAG merges them
    (the second were dropped when the form was attached after the tasks), and the DAG's params equal
    what Airflow's own assignment gives."""
    kwargs: dict[str, Any] = {"params": {"extra": value}} if where == "params" else {}
    if where == "default_args":
        kwargs["default_args"] = {"params": {"extra": value}, "retries": 5}
    dag = create_unification_dag("t_own", sql_dir, schedule="@daily", **kwargs)
    assert dag.params["extra"] == expected
    assert dag.params["max_iterations"] == DEFAULT_MAX_ITERATIONS
    assert "params" not in dag.default_args
    with DAG("t_airflow", schedule="@daily", start_date=pendulum.datetime(2025, 1, 1, tz="UTC")) as reference:
        pass
    reference.params = copy.deepcopy(dag.params)  # Airflow's assignment: its converter and its check
    assert isinstance(dag.params, ParamsDict)
    assert dag.params.dump() == reference.params.dump()
    assert {k: p.schema for k, p in dag.params.items()} == {k: p.schema for k, p in reference.params.items()}


def test_a_bad_default_in_default_args_fails_the_import(sql_dir: Path) -> None:
    with pytest.raises(ValueError, match=r"Invalid input for param extra: 'x' is not of type 'integer'"):
        create_unification_dag(
            "t_bad", sql_dir, default_args={"params": {"extra": Param("x", type="integer")}}
        )


def test_embedded_task_group(sql_dir: Path) -> None:
    with DAG("host", schedule=None, start_date=pendulum.datetime(2025, 1, 1, tz="UTC")) as dag:
        from airflow.providers.standard.operators.empty import EmptyOperator

        before = EmptyOperator(task_id="extract")
        group = unification_task_group(sql_dir, conn_id="my_conn", group_id="idu", max_iterations=7)
        before >> group
    assert "idu.setup.01_create_graph" in dag.task_ids
    assert "idu.loop.unify_loop" in dag.task_ids
    assert "idu.report" in dag.task_ids
    assert "idu.enrichment.10_enrich_a" in dag.get_task("idu.report").file_task_ids
    assert dag.get_task("idu.lease_acquire").upstream_task_ids == {"extract"}
    assert dag.get_task("idu.setup.01_create_graph").upstream_task_ids == {"idu.lease_acquire"}
    assert dag.get_task("idu.lease_release").is_teardown
    loop = dag.get_task("idu.loop.unify_loop")
    assert loop.conn_id == "my_conn"
    assert loop.max_iterations == "{{ params.max_iterations | default(7) }}"


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p / "missing", "does not exist"),
        (lambda p: (p / "empty").mkdir() or p / "empty", "holds no .sql files"),
    ],
    ids=["missing", "empty"],
)
def test_bad_directory_fails_at_import(tmp_path: Path, make, message: str) -> None:
    with pytest.raises(PlanError, match=message):
        create_unification_dag("t", make(tmp_path))


@pytest.mark.parametrize(
    ("relative", "ok"),
    [("sql", True), ("../elsewhere/sql", False), ("sql/../../elsewhere/sql", False)],
    ids=["inside", "sibling", "dot-dot-escape"],
)
def test_sql_root_keeps_sql_dir_inside_it(tmp_path: Path, sql_dir: Path, relative: str, ok: bool) -> None:
    root = tmp_path / "root"
    target = root / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copytree(sql_dir, target)
    if ok:
        assert create_unification_dag("t", target, sql_root=root).task_dict
        return
    with pytest.raises(PlanError, match=r"is outside the allowed root .* \(sql_root\)"):
        create_unification_dag("t", target, sql_root=root)


@pytest.mark.parametrize(
    "value", ["bad schema", "s`; DROP TABLE x", "'quoted'"], ids=["space", "backtick", "quotes"]
)
def test_identifier_params_with_quotes_or_spaces_fail_before_any_connection(
    sql_dir: Path, value: str
) -> None:
    from airflow.sdk.exceptions import AirflowFailException

    from airflow_idu.operators.sql_file import IduSqlFileOperator

    op = IduSqlFileOperator(
        task_id="t", sql_file=sql_dir / "x.sql", schema=value, conn_id="no_such_connection"
    )
    # No connection named no_such_connection exists: the check must fail before looking it up.
    with pytest.raises(
        AirflowFailException, match=r"schema .* is not a plain identifier .*no quotes or spaces"
    ):
        _ = op.engine


def test_loop_without_resume_log_refuses_reschedule_mode(sql_dir: Path) -> None:
    from airflow.sdk import DAG

    from airflow_idu.plan import read_plan
    from airflow_idu.sensors.unify_loop import UnifyLoopSensor

    plan = read_plan(sql_dir)
    kwargs = {"task_id": "loop", "loop_files": plan.loop.files, "canonical_id": plan.canonical_id}
    with (
        DAG("t_mode"),
        pytest.raises(ValueError, match=r"resume_loop=False cannot work with mode='reschedule'"),
    ):
        UnifyLoopSensor(mode="reschedule", resume_loop=False, **kwargs)
    dag = create_unification_dag("t_no_log", sql_dir, resume_loop=False)
    loop = dag.get_task("loop.unify_loop")
    assert loop.resume_loop is False  # type: ignore[attr-defined]
    loop.mode = "reschedule"  # set after construction: refused when it runs
    assert loop._mode_error()  # type: ignore[attr-defined]


def test_writer_lease_guards_every_writing_task(sql_dir: Path) -> None:
    from airflow_idu.operators.lease import LeaseGuard
    from airflow_idu.sensors.lease import LeaseAcquireSensor, LeasedUnifyLoopSensor

    dag = create_unification_dag("t", sql_dir)
    acquire = dag.get_task("lease_acquire")
    assert isinstance(acquire, LeaseAcquireSensor) and acquire.mode == "reschedule"
    loop = dag.get_task("loop.unify_loop")
    assert isinstance(loop, LeasedUnifyLoopSensor)  # renews per iteration
    writers = [t for t in dag.tasks if t.task_id not in ("lease_acquire", "lease_release", "loop.unify_loop")]
    assert writers and all(isinstance(t._pre_execute_hook, LeaseGuard) for t in writers)


def test_writer_lease_can_be_turned_off(sql_dir: Path) -> None:
    dag = create_unification_dag("t", sql_dir, writer_lease=None)
    assert not {"lease_acquire", "lease_release"} & set(dag.task_ids)
    assert type(dag.get_task("loop.unify_loop")) is UnifyLoopSensor
    assert all(t._pre_execute_hook is None for t in dag.tasks)
