"""The report page as pure functions: run data -> view -> HTML/SVG, no Airflow server, no browser."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import pytest

from airflow_idu.links import QUERY_HISTORY_XCOM_KEY
from airflow_idu.runstatus import FAILURE_XCOM_KEY
from airflow_idu.ui.model import RunData, TaskRow, build_view, find_prefixes
from airflow_idu.ui.page import NOT_MEASURED, render_page
from airflow_idu.ui.svg import log_y
from tests.ui import sample

SUCCESS = {"setup.01_create_graph": "success", "loop.unify_loop": "success", "stats.06_result_key_stats": "success",
           "enrichment.10_enrich_orders": "success", "report": "success"}  # fmt: skip
LOOP_FAILED = {"setup.01_create_graph": "success", "loop.unify_loop": "failed",
               "canonicalize.05_canonicalize": "upstream_failed", "report": "upstream_failed"}  # fmt: skip


class Tags(HTMLParser):
    """Every element the page creates, with its attributes: what a browser would build from it."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def all(self, tag: str, css: str | None = None) -> list[dict[str, str | None]]:
        return [
            a for t, a in self.tags if t == tag and (css is None or css in (a.get("class") or "").split())
        ]


def make_run(
    prefix: str = "",
    states: dict[str, str] | None = None,
    xcoms: dict[tuple[str, str], Any] | None = None,
    conf: dict[str, Any] | None = None,
) -> RunData:
    rows = sample.tasks(prefix, states or SUCCESS)
    return RunData(
        dag_id="idu_example",
        run_id="manual__2026-01-01",
        state="failed" if any(s != "success" for _, s, _, _ in rows) else "success",
        start=sample.T0,
        conf=conf or {},
        tasks=tuple(TaskRow(task_id=t, state=s, start=a, end=b, try_number=1) for t, s, a, b in rows),
        xcoms={(prefix + t, k): v for (t, k), v in (xcoms or {}).items()},
    )


def success_xcoms(counts: list[int]) -> dict[tuple[str, str], Any]:
    loop = {
        "converged": True,
        "iterations": len(counts),
        "final_table": "x",
        "history": sample.history(counts),
    }
    return {("loop.unify_loop", "return_value"): loop, ("report", "return_value"): sample.report(counts)}


@pytest.mark.parametrize(
    ("task_ids", "expected"),
    [
        (["report", "loop.unify_loop"], ("",)),
        (["extract", "idu.loop.unify_loop", "idu.report"], ("idu.",)),
        (["a.loop.unify_loop", "b.loop.unify_loop"], ("a.", "b.")),
        (["report", "my_loop.unify_loop_x"], ()),
    ],
    ids=["factory-dag", "embedded", "two-groups", "none"],
)
def test_find_prefixes(task_ids: list[str], expected: tuple[str, ...]) -> None:
    assert find_prefixes(task_ids) == expected


@pytest.mark.parametrize("prefix", ["", "idu."], ids=["factory-dag", "embedded-group"])
def test_success_page_draws_one_point_per_iteration_and_one_bar_per_table(prefix: str) -> None:
    counts = [1200, 300, 12, 0]
    page = Tags(render_page(build_view(make_run(prefix, xcoms=success_xcoms(counts)))))
    points = page.all("circle", "pt")
    assert [int(p["data-updated"] or -1) for p in points] == counts
    assert [int(p["data-iteration"] or -1) for p in points] == [1, 2, 3, 4]
    assert len(page.all("rect", "secs")) == 4
    coverage = {a["data-table"]: float(a["data-coverage"] or 0) for a in page.all("rect", "coverage")}
    assert coverage == {"web_sessions_enriched": 0.95, "orders_enriched": 0.8}
    assert [a["class"] for a in page.all("rect", "coverage")] == ["bar coverage ", "bar coverage low"]
    assert len(page.all("rect", "rows")) == 5
    (line,) = page.all("line", "min-line")
    assert float(line["data-value"] or 0) == 0.9
    assert {a["data-task-id"] for a in page.all("rect", "ti")} == {prefix + t for t in SUCCESS}
    assert not page.all("div", "failure")


def test_log_scale_puts_each_decade_one_step_apart_and_zero_on_the_baseline() -> None:
    ys = [log_y(v, 1000, 300, 0) for v in (1000, 100, 10, 1, 0)]
    assert ys == [0.0, 100.0, 200.0, 300.0, 300.0]


def test_health_absent_says_not_measured_in_each_section() -> None:
    page = render_page(build_view(make_run(xcoms=success_xcoms([5, 0]))))
    assert page.count(NOT_MEASURED) == 4
    assert 'class="bar hist' not in page


@pytest.mark.parametrize(
    ("where", "xcom_key"),
    [("gate", ("gate.identity_health", "health")), ("report", None)],
    ids=["gate-xcom", "report-return-value"],
)
def test_health_renders_histogram_clusters_churn_and_gates(
    where: str, xcom_key: tuple[str, str] | None
) -> None:
    xcoms = success_xcoms([5, 0])
    health = sample.health(passed=False)
    if xcom_key:
        xcoms[xcom_key] = health
    else:
        xcoms[("report", "return_value")]["health"] = health
    page = Tags(render_page(build_view(make_run(xcoms=xcoms))))
    bars = page.all("rect", "hist")
    assert [(a["data-bucket"], int(a["data-clusters"] or -1)) for a in bars] == [
        (b["bucket"], b["clusters"]) for b in health["cluster_sizes"]["buckets"]
    ]
    verdicts = {a["data-gate"]: a["class"] for a in page.all("span") if a.get("data-gate")}
    assert verdicts == {
        "max_cluster_size": "verdict-passed",
        "max_churn_share": "verdict-failed",
        "min_clusters": "verdict-skipped",
    }
    assert NOT_MEASURED not in "".join(page.text)


def test_planted_identifier_value_is_text_never_markup() -> None:
    xcoms = success_xcoms([5, 0])
    xcoms[("report", "return_value")]["health"] = sample.health()
    xcoms[("report", "return_value")]["row_counts"][sample.XSS] = 1
    html = render_page(build_view(make_run(xcoms=xcoms)))
    page = Tags(html)
    assert page.all("img") == []
    assert sum(sample.XSS in t for t in page.text) >= 4  # canonical id, top value, gate message, table
    assert "<img" not in html


NOT_CONVERGED = "unify loop did not converge in 1 iterations (max_iterations); last updated_count 900"
LEASE_FAILED = {"lease_acquire": "failed", "setup.01_create_graph": "upstream_failed",
                "loop.unify_loop": "upstream_failed", "report": "upstream_failed"}  # fmt: skip


def test_failed_loop_shows_partial_curve_from_history_xcom_and_the_failure() -> None:
    xcoms = {
        ("loop.unify_loop", "history"): sample.history([900]),
        ("loop.unify_loop", FAILURE_XCOM_KEY): {
            "error": NOT_CONVERGED,
            "causes": ["AirflowFailException", "LoopNotConvergedError"],
        },
    }
    run = make_run("idu.", LOOP_FAILED, xcoms=xcoms, conf={"max_iterations": 1})
    page = Tags(render_page(build_view(run)))
    assert [int(p["data-updated"] or -1) for p in page.all("circle", "pt")] == [900]
    failure = "".join(page.text)
    assert "The unify loop did not converge within 1 iteration(s) (max_iterations 1)" in failure
    assert f"Failed: idu.loop.unify_loop failed: {NOT_CONVERGED}" in failure
    assert page.all("div", "failure")
    assert "row counts (the report task did not finish): not measured" in failure


@pytest.mark.parametrize(
    ("states", "task", "record", "expected"),
    [
        (
            LEASE_FAILED,
            "lease_acquire",
            {
                "error": "connection 'idu_typo' is not defined — not retried",
                "causes": ["AirflowFailException"],
            },
            "Failed: lease_acquire failed: connection 'idu_typo' is not defined — not retried",
        ),
        (
            LOOP_FAILED,
            "loop.unify_loop",
            {"error": "CatalogException: Table x does not exist", "causes": ["AirflowFailException"]},
            "Failed: loop.unify_loop failed: CatalogException: Table x does not exist",
        ),
        (LEASE_FAILED, "lease_acquire", None, "Failed: lease_acquire failed: no error recorded"),
    ],
    ids=["lease", "loop_sql_error", "nothing_recorded"],
)
def test_failure_names_the_task_its_state_and_first_error_line(
    states: dict[str, str], task: str, record: dict[str, Any] | None, expected: str
) -> None:
    xcoms = {(task, FAILURE_XCOM_KEY): record} if record else {}
    text = "".join(Tags(render_page(build_view(make_run(states=states, xcoms=xcoms)))).text)
    assert expected in text
    assert "converge" not in text.replace("converged", "")  # only the loop running out of iterations says so


def test_links_to_tasks_and_databricks_query_history() -> None:
    url = "https://dbc-1.cloud.databricks.com/sql/history?queryId=q1"
    xcoms = success_xcoms([5, 0])
    xcoms[("setup.01_create_graph", QUERY_HISTORY_XCOM_KEY)] = url
    page = Tags(render_page(build_view(make_run(xcoms=xcoms)), ui_root="/airflow"))
    hrefs = [a["href"] for a in page.all("a")]
    assert "/airflow/dags/idu_example/runs/manual__2026-01-01/tasks/setup.01_create_graph" in hrefs
    assert url in hrefs


def test_validation_queries_are_escaped_and_copyable() -> None:
    html = render_page(build_view(make_run(xcoms=success_xcoms([5, 0]))))
    page = Tags(html)
    codes = [a["id"] for a in page.all("code") if (a.get("id") or "").startswith("q")]
    assert codes == ["q0", "q1"]
    assert [a["data-target"] for a in page.all("button", "copy")] == ["q0", "q1"]
    assert "WHERE x = &#x27;&lt;b&gt;&#x27;;" in html


def test_page_follows_light_and_dark_themes() -> None:
    html = render_page(build_view(make_run(xcoms=success_xcoms([5, 0]))))
    assert "@media (prefers-color-scheme: dark)" in html
    assert ":root[data-theme=dark]" in html
    assert re.search(r"window\.parent\.document\.documentElement\.classList", html)


def test_ui_never_imports_a_warehouse_path() -> None:
    import ast
    from pathlib import Path

    import airflow_idu.ui as ui

    forbidden = (
        "airflow_idu.engines",
        "airflow_idu.operators",
        "airflow_idu.sensors",
        "duckdb",
        "databricks",
    )
    for path in Path(ui.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            names += [node.module] if isinstance(node, ast.ImportFrom) and node.module else []
            assert not [n for n in names if n.startswith(forbidden)], path.name


def test_a_run_with_two_embedded_groups_reports_the_chosen_one_and_links_the_other() -> None:
    rows = sample.tasks("a.", SUCCESS) + sample.tasks("b.", LOOP_FAILED)
    xcoms = {("a." + t, k): v for (t, k), v in success_xcoms([7, 0]).items()}
    xcoms[("b.loop.unify_loop", "history")] = sample.history([50])
    run = RunData(
        dag_id="two",
        run_id="r",
        state="failed",
        tasks=tuple(TaskRow(task_id=t, state=s, start=a, end=b) for t, s, a, b in rows),
        xcoms=xcoms,
    )
    first, second = (Tags(render_page(build_view(run, p))) for p in ("a.", "b."))
    assert [p["data-updated"] for p in first.all("circle", "pt")] == ["7", "0"]
    assert [p["data-updated"] for p in second.all("circle", "pt")] == ["50"]
    assert [a["href"] for a in first.all("a") if (a["href"] or "").startswith("?")] == [
        "?group=a",
        "?group=b",
    ]


@pytest.mark.parametrize(
    ("url", "linked"),
    [("https://dbc-1.cloud.databricks.com/sql/history?queryId=q", True), ("http://127.0.0.1:8443/sql/history?queryId=q", True),
     ("javascript:alert(1)", False), ("", False)],
    ids=["https", "local-http", "javascript", "empty-duckdb"],
)  # fmt: skip
def test_only_web_urls_become_query_history_links(url: str, linked: bool) -> None:
    xcoms = success_xcoms([5, 0])
    xcoms[("report", QUERY_HISTORY_XCOM_KEY)] = url
    links = [a["href"] for a in Tags(render_page(build_view(make_run(xcoms=xcoms)))).all("a", "qh")]
    assert links == ([url] if linked else [])


# Category axes label each bar (table, size bucket) or task row; every other axis is numeric.
CATEGORY_AXES = {("rows", "y"), ("coverage", "y"), ("hist", "y"), ("timeline", "y")}


def chart_axes(html: str) -> dict[str, dict[str, list[str]]]:
    """Per chart (its css class): the tick labels and the titles of each axis."""
    charts: dict[str, dict[str, list[str]]] = {}
    for css, body in re.findall(r"<svg class=\"chart ([^\"]+)\"(.*?)</svg>", html, re.S):
        axes: dict[str, list[str]] = {}
        for cls, axis, text in re.findall(
            r'<text class="([^"]+)" data-axis="(x|y)"[^>]*>([^<]*)</text>', body
        ):
            kind = "title" if "axis-title" in cls.split() else "tick"
            axes.setdefault(f"{axis}-{kind}", []).append(text)
        charts[css] = axes
    return charts


@pytest.mark.parametrize(
    "counts", [[5, 0], [900, 120, 30, 4, 0], list(range(40, -1, -1))], ids=["2", "5", "41"]
)
def test_every_chart_has_titled_axes_with_at_least_three_tick_labels(counts: list[int]) -> None:
    xcoms = success_xcoms(counts)
    xcoms[("report", "return_value")]["health"] = sample.health()
    charts = chart_axes(render_page(build_view(make_run(xcoms=xcoms))))
    assert set(charts) == {"convergence", "seconds", "timeline", "rows", "coverage", "hist"}
    for css, axes in charts.items():
        for axis in ("x", "y"):
            assert axes.get(f"{axis}-title"), (css, axis, axes)
            if (css, axis) in CATEGORY_AXES:  # one label per bar or task row
                continue
            assert len(axes.get(f"{axis}-tick", [])) >= 3, (css, axis, axes)
    report = xcoms[("report", "return_value")]
    assert charts["coverage"]["y-tick"] == list(report["coverage"])
    assert charts["rows"]["y-tick"] == list(report["row_counts"])
    assert len(charts["hist"]["y-tick"]) == len(sample.health()["cluster_sizes"]["buckets"]) >= 3
    assert charts["timeline"]["x-title"][0].startswith("seconds since ")
    assert charts["timeline"]["x-tick"][0] == "0 s"


@pytest.mark.parametrize(
    ("top", "integer", "expected"),
    [
        (0.0, False, None),
        (1.0, True, [0, 1, 2]),
        (7.3, False, [0, 2, 4, 6, 8]),
        (0.9, False, [0, 0.25, 0.5, 0.75, 1.0]),
        (41, True, [0, 20, 40, 60]),
    ],
    ids=["zero", "one_count", "seconds", "share", "counts"],
)
def test_linear_ticks_are_round_and_at_least_three(
    top: float, integer: bool, expected: list[float] | None
) -> None:
    from airflow_idu.ui.svg import linear_ticks

    ticks = linear_ticks(top, integer=integer)
    assert len(ticks) >= 3 and ticks[0] == 0 and ticks[-1] >= top
    if expected is not None:
        assert ticks == expected
