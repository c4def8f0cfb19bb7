"""The query-history extra link answers from the operator that ran, and from XCom only otherwise."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from airflow_idu.links import QUERY_HISTORY_XCOM_KEY, DatabricksQueryHistoryLink
from airflow_idu.operators.base import IduBaseOperator
from airflow_idu.operators.sql_file import IduSqlFileOperator
from airflow_idu.sensors.unify_loop import UnifyLoopSensor

URL = "https://dbc.example/sql/history?queryId=q-1"
KEY = SimpleNamespace(dag_id="d", task_id="t", run_id="r", map_index=-1, try_number=1)


class _Probe(IduBaseOperator):
    def execute(self, context: Any) -> None:  # never run: the tests call record_query_history
        raise AssertionError("not run")


class _Engine:
    def __init__(self, url: str | None) -> None:
        self.url = url

    def query_history_url(self, stats: list[Any]) -> str | None:
        return self.url


@pytest.mark.parametrize(
    ("engine_url", "link"),
    [pytest.param(URL, URL, id="databricks"), pytest.param(None, "", id="duckdb-no-link")],
)
def test_the_link_answers_from_the_operator_that_ran(
    monkeypatch: pytest.MonkeyPatch, engine_url: str | None, link: str
) -> None:
    def no_round_trip(**_: Any) -> list[Any]:
        raise AssertionError("the link read XCom back although the operator knew its link")

    monkeypatch.setattr("airflow_idu.links.BaseXCom.get_all", no_round_trip)
    op = _Probe(task_id="probe")
    op.__dict__["engine"] = _Engine(engine_url)
    op.record_query_history([])
    assert DatabricksQueryHistoryLink().get_link(op, ti_key=KEY) == link  # type: ignore[arg-type]


@pytest.mark.parametrize("operator", [IduSqlFileOperator, UnifyLoopSensor], ids=lambda c: c.__name__)
def test_the_operators_that_record_a_link_declare_it(operator: type[IduBaseOperator]) -> None:
    # only a declared link is stored by the task runner (under QUERY_HISTORY_XCOM_KEY, the key the
    # report tab reads, docs/ui.md); tests/e2e/test_databricks_path.py checks the stored XCom
    assert any(isinstance(link, DatabricksQueryHistoryLink) for link in operator.operator_extra_links)


def test_the_link_is_stored_under_the_key_the_report_reads() -> None:
    # Airflow serializes {name: xcom_key}; the UI's link and the report tab read the same XCom
    assert DatabricksQueryHistoryLink().xcom_key == QUERY_HISTORY_XCOM_KEY


@pytest.mark.parametrize(
    ("stored", "link"),
    [
        pytest.param([URL], URL, id="an-earlier-process-pushed-it"),
        pytest.param(None, "", id="nothing-stored"),
    ],
)
def test_a_process_that_ran_no_statement_reads_the_xcom(
    monkeypatch: pytest.MonkeyPatch, stored: list[str] | None, link: str
) -> None:
    asked: list[dict[str, Any]] = []

    def get_all(**kwargs: Any) -> list[str] | None:
        asked.append(kwargs)
        return stored

    monkeypatch.setattr("airflow_idu.links.BaseXCom.get_all", get_all)
    op = _Probe(task_id="probe")  # e.g. a sensor's later poke, or a task that failed before its SQL
    assert op.query_history_link is None
    assert DatabricksQueryHistoryLink().get_link(op, ti_key=KEY) == link  # type: ignore[arg-type]
    assert asked == [{"key": QUERY_HISTORY_XCOM_KEY, "dag_id": "d", "task_id": "t", "run_id": "r"}]
