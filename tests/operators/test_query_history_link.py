"""The query-history extra link answers from the operator that ran, and from XCom only otherwise."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from airflow_idu.links import QUERY_HISTORY_XCOM_KEY, DatabricksQueryHistoryLink
from airflow_idu.operators.base import IduBaseOperator

URL = "https://dbc.example/sql/history?queryId=q-1"
KEY = SimpleNamespace(dag_id="d", task_id="t", run_id="r", map_index=-1, try_number=1)


class _Probe(IduBaseOperator):
    def execute(self, context: Any) -> None:  # never run: the tests call push_query_history
        raise AssertionError("not run")


class _Linked(_Probe):
    operator_extra_links = (DatabricksQueryHistoryLink(),)


class _Engine:
    def __init__(self, url: str | None) -> None:
        self.url = url

    def query_history_url(self, stats: list[Any]) -> str | None:
        return self.url


class _Ti:
    def __init__(self) -> None:
        self.pushed: dict[str, Any] = {}

    def xcom_push(self, key: str, value: Any) -> None:
        self.pushed[key] = value


@pytest.mark.parametrize(
    ("operator", "engine_url", "link", "pushed"),
    [
        # the task runner stores a declared link's value under its xcom_key, the same key: one push
        pytest.param(_Linked, URL, URL, {}, id="databricks-declared-link-pushed-by-the-task-runner"),
        pytest.param(_Probe, URL, URL, {QUERY_HISTORY_XCOM_KEY: URL}, id="databricks-no-declared-link"),
        pytest.param(_Linked, None, "", {}, id="duckdb-no-link-no-xcom"),
    ],
)
def test_the_link_answers_from_the_operator_that_ran(
    monkeypatch: pytest.MonkeyPatch,
    operator: type[_Probe],
    engine_url: str | None,
    link: str,
    pushed: dict[str, Any],
) -> None:
    def no_round_trip(**_: Any) -> list[Any]:
        raise AssertionError("the link read XCom back although the operator knew its link")

    monkeypatch.setattr("airflow_idu.links.BaseXCom.get_all", no_round_trip)
    op = operator(task_id="probe")
    op.__dict__["engine"] = _Engine(engine_url)
    ti = _Ti()
    op.push_query_history({"ti": ti}, [])
    assert DatabricksQueryHistoryLink().get_link(op, ti_key=KEY) == link  # type: ignore[arg-type]
    # the UI page still reads the XCom key (docs/ui.md)
    assert ti.pushed == pushed


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
