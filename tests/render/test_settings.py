"""The factory's settings: validated once, errors naming the field and the fix; task ids from the group's prefix."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from airflow.sdk import DAG, Param, TaskGroup

from airflow_idu import create_unification_dag, unification_task_group
from airflow_idu.render.settings import FileErrorPolicy, ParamTemplates, WorkflowSettings
from tests.sqldir import contract_dir


@pytest.fixture
def sql_dir(tmp_path: Path) -> Path:
    return contract_dir(tmp_path / "sql", iterations=3)


def test_policy_text_becomes_the_enum() -> None:
    assert WorkflowSettings(on_file_error="continue").on_file_error is FileErrorPolicy.CONTINUE  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (
            {"on_file_error": "skip"},
            r"^where: on_file_error must be one of \['stop', 'continue'\], got 'skip'$",
        ),
        ({"writer_lease": 60}, r"^where: writer_lease must be a LeaseSettings or None, got 60; pass "),
        ({"conn_id": ""}, r"^where: conn_id must be a connection id, got ''; fix the keyword argument"),
        (
            {"max_iterations": 0},
            r"^where: Invalid input for param max_iterations: 0 is less than the minimum of 1; fix the keyword argument of that name$",
        ),
        (
            {"max_id_churn": 2},
            r"^where: Invalid input for param max_id_churn: 2 is greater than the maximum of 1; fix the keyword",
        ),
    ],
    ids=["policy", "lease", "conn", "iterations", "churn"],
)
def test_a_bad_setting_names_the_field_and_the_fix(values: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        WorkflowSettings.build("where", **values)


def test_the_task_group_validates_its_settings_too(sql_dir: Path) -> None:
    with (
        DAG("t_bad_group"),
        pytest.raises(
            ValueError, match=r"^unification_task_group\('idu'\): Invalid input for param keep_iterations: 0"
        ),
    ):
        unification_task_group(sql_dir, keep_iterations=0)


def test_templates_of_a_task_group_default_to_its_settings() -> None:
    settings = WorkflowSettings(max_iterations=7, optimize=True, max_cluster_size=9)
    values = ParamTemplates.with_defaults(settings)
    assert values.max_iterations == "{{ params.max_iterations | default(7) }}"
    assert values.optimize == "{{ params.optimize | default(True) }}"
    assert values.keep_iterations == "{{ params.keep_iterations | default(None) }}"
    assert values.health_limits == {
        "max_cluster_size": "{{ params.max_cluster_size | default(9) }}",
        "max_cluster_growth": "{{ params.max_cluster_growth | default(None) }}",
        "max_id_churn": "{{ params.max_id_churn | default(None) }}",
    }
    assert ParamTemplates.of_dag().max_iterations == "{{ params.max_iterations }}"


def test_a_group_nested_in_a_group_prefixes_every_task_id_it_reads(sql_dir: Path) -> None:
    with DAG("t_nested") as dag, TaskGroup(group_id="outer"):
        unification_task_group(sql_dir, group_id="idu", on_file_error="continue")
    report = dag.get_task("outer.idu.report")
    assert report.loop_task_id == "outer.idu.loop.unify_loop"  # type: ignore[attr-defined]
    assert report.gate_task_id == "outer.idu.gate.identity_health"  # type: ignore[attr-defined]
    assert set(report.file_task_ids) <= set(dag.task_ids)  # type: ignore[attr-defined]
    gate = dag.get_task("outer.idu.gate.identity_health")
    assert set(gate.requires) <= set(dag.task_ids)  # type: ignore[attr-defined]
    assert "outer.idu.canonicalize.05_canonicalize" in gate.requires  # type: ignore[attr-defined]


def test_the_dag_entry_point_reads_the_dag_params(sql_dir: Path) -> None:
    dag = create_unification_dag("t_values", sql_dir, max_iterations=5)
    assert dag.get_task("loop.unify_loop").max_iterations == "{{ params.max_iterations }}"  # type: ignore[attr-defined]
    assert dag.params["max_iterations"] == 5


@pytest.mark.parametrize(
    "param",
    [
        pytest.param(Param(5, type="integer", minimum=1), id="valid"),
        pytest.param(Param(0, type="integer", minimum=1), id="below-minimum"),
        pytest.param(Param("x", type=["null", "number"]), id="wrong-type"),
        pytest.param(Param(None, type=["null", "number"]), id="null-allowed"),
        pytest.param(Param(2, type="number", allOf=[{"minimum": 0, "maximum": 1}]), id="nested-bounds"),
        pytest.param(Param("c", enum=["a", "b"]), id="not-in-enum"),
        pytest.param(Param(type="integer"), id="no-default"),
        pytest.param(Param("2026-13-01", type="string", format="date"), id="bad-format"),
        pytest.param(7, id="plain-value"),
    ],
)
def test_cached_default_check_gives_airflows_verdict_and_message(param: object) -> None:
    """check_defaults (a cached validator per schema) refuses what ParamsDict.validate refuses, with
    its message, and accepts what it accepts."""
    from airflow.sdk.definitions.param import ParamsDict
    from airflow.sdk.exceptions import ParamValidationError

    from airflow_idu.params import check_defaults

    def verdict(check: object) -> str:
        try:
            check(ParamsDict({"p": copy.deepcopy(param)}))  # type: ignore[operator]
        except ParamValidationError as err:
            return str(err).splitlines()[0]
        return "ok"

    airflows = verdict(lambda params: params.validate())
    assert verdict(check_defaults) == airflows
    assert verdict(check_defaults) == airflows  # the second call uses the cached validator
