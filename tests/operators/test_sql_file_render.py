"""A SQL file goes through Jinja only when it holds something Jinja would render, as the DAG's
Jinja environment is configured; otherwise it is sent exactly as written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pendulum
import pytest
from airflow.sdk import DAG

from airflow_idu.operators.sql_file import IduSqlFileOperator

CONTEXT = {"ds": "2026-12-07", "params": {}}
PLAIN = "SELECT 1;\nSELECT 'a{b}c' -- {x}\n"
BRACKETS = {"variable_start_string": "[[", "variable_end_string": "]]"}


@pytest.mark.parametrize(
    ("jinja", "text", "expected", "rendered"),
    [
        pytest.param({}, PLAIN, PLAIN, False, id="plain-file-as-written"),
        pytest.param({}, "SELECT '{{ ds }}';\n", "SELECT '2026-12-07';", True, id="variable"),
        pytest.param({}, "SELECT 1 {# note #};", "SELECT 1 ;", True, id="comment"),
        pytest.param({}, "{% if true %}SELECT 1;{% endif %}", "SELECT 1;", True, id="block"),
        pytest.param(BRACKETS, "SELECT '[[ ds ]]';", "SELECT '2026-12-07';", True, id="dag-delimiters"),
        pytest.param(BRACKETS, "SELECT '{{ ds }}';", "SELECT '{{ ds }}';", False, id="not-a-delimiter-here"),
        pytest.param(
            {"line_comment_prefix": "--#"},
            "SELECT 1;\n--# a Jinja line comment\n",
            "SELECT 1;\n",
            True,
            id="line-prefix-always-rendered",
        ),
    ],
)
def test_a_file_is_rendered_only_when_jinja_has_work(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    jinja: dict[str, Any],
    text: str,
    expected: str,
    rendered: bool,
) -> None:
    path = tmp_path / "f.sql"
    path.write_bytes(text.encode())
    with DAG(
        "render_probe",
        schedule=None,
        start_date=pendulum.datetime(2026, 1, 1),
        jinja_environment_kwargs=jinja,
    ):
        op = IduSqlFileOperator(task_id="f", sql_file=path)
    calls: list[str] = []
    render = op.render_template

    def counted(content: Any, context: Any, **kwargs: Any) -> Any:
        calls.append(content)
        return render(content, context, **kwargs)

    monkeypatch.setattr(op, "render_template", counted)
    assert op._read(path, CONTEXT) == expected  # type: ignore[arg-type]
    assert bool(calls) is rendered
