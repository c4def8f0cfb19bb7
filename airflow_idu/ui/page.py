"""The report page: ``ReportView`` -> one self-contained HTML document (pure; every data value escaped)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from airflow_idu.ui.model import LOOP_TASK, ReportView, status_notes
from airflow_idu.ui.style import PAGE_CSS, PAGE_JS
from airflow_idu.ui.svg import (
    Bar,
    Span,
    bar_chart,
    convergence_chart,
    e,
    fmt_int,
    seconds_chart,
    timeline_chart,
)

__all__ = ["NOT_MEASURED", "render_missing", "render_page"]

NOT_MEASURED = "not measured"
NOT_RUN = ("upstream_failed", "skipped", "removed")


def _doc(title: str, body: str) -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{e(title)}</title><style>{PAGE_CSS}</style><script>{PAGE_JS}</script></head>"
        f"<body>{body}</body></html>"
    )


def render_missing(dag_id: str, run_id: str) -> str:
    return _doc("Identity report", f"<h1>Identity report</h1><p>No run {e(run_id)} of DAG {e(dag_id)}.</p>")


def _section(sid: str, title: str, content: str) -> str:
    return f'<section id="{sid}"><h2>{e(title)}</h2>{content}</section>'


def _table(head: list[str], rows: list[list[str]], tid: str, raw: bool = False) -> str:
    """``rows`` cells are escaped unless ``raw`` (then the caller escaped them)."""
    th = "".join(f"<th>{e(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{c if raw else e(c)}</td>" for c in r) + "</tr>" for r in rows)
    return f'<table id="{tid}"><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>'


def _not_measured(what: str) -> str:
    return f'<p class="not-measured">{e(what)}: {NOT_MEASURED}</p>'


def _or_dash(value: Any) -> Any:
    return "—" if value is None else value


def _pct(value: Any) -> str:
    return "n/a" if value is None else f"{float(value):.2%}"


def _header(view: ReportView) -> str:
    run, report = view.run, view.report or {}
    facts = [
        ("DAG", run.dag_id),
        ("run", run.run_id),
        ("state", run.state or "n/a"),
        ("canonical id", report.get("canonical_id", "n/a")),
        ("schema", ".".join(str(p) for p in (report.get("catalog"), report.get("schema")) if p) or "n/a"),
        ("distinct canonical ids", fmt_int(report.get("distinct_canonical_ids", "n/a"))),
        ("total seconds", report.get("total_seconds", "n/a")),
    ]
    if view.prefix:
        facts.insert(2, ("task group", view.prefix.rstrip(".")))
    dl = "".join(f'<div><dt>{e(k)}</dt><dd data-fact="{e(k)}">{e(v)}</dd></div>' for k, v in facts)
    groups = ""
    if len(view.prefixes) > 1:  # several embedded groups: one report each
        links = " ".join(
            f'<a href="?group={quote(p.rstrip("."), safe="")}">{e(p.rstrip(".") or "(top level)")}</a>'
            for p in view.prefixes
        )
        groups = f'<p class="groups">Unification groups in this run: {links}</p>'
    return f'<header><h1>Identity report</h1><dl class="facts">{dl}</dl>{groups}</header>{_status(view)}'


def _status(view: ReportView) -> str:
    notes = status_notes(view)
    if not notes:
        return ""
    items = "".join(f"<li>{e(n)}</li>" for n in notes)
    title = "Run failed" if view.failures or view.run.state == "failed" else f"Run {view.run.state}"
    return f'<div class="failure" id="failure" role="alert"><strong>{e(title)}</strong><ul>{items}</ul></div>'


def _convergence(view: ReportView) -> str:
    if not view.history:
        return _section("convergence", "Convergence", "<p class='empty'>The loop recorded no iteration.</p>")
    converged = bool((view.loop_result or {}).get("converged"))
    failure = view.loop_failure
    n = len(view.history)
    if converged:
        verdict = f"converged after {n} iterations"
    elif failure is not None and failure.not_converged:
        verdict = f"did not converge within {n} iterations (max_iterations)"
    elif failure is not None:
        verdict = f"stopped after {n} iterations: {failure.text()}"
    else:
        verdict = f"not converged yet ({view.loop_state or 'running'}) after {n} iterations"
    rows = [
        [
            str(h.get("iteration")),
            fmt_int(h.get("updated_count")),
            fmt_int(h.get("rows")),
            str(h.get("seconds")),
        ]
        for h in view.history
    ]
    content = (
        f'<p class="verdict" data-converged="{str(converged).lower()}">{e(verdict)}</p>'
        f"{convergence_chart(view.history)}<h3>Seconds per iteration</h3>{seconds_chart(view.history)}"
        + _table(["iteration", "updated rows", "rows", "seconds"], rows, "iterations")
    )
    return _section("convergence", "Convergence", content)


def _timeline(view: ReportView) -> str:
    run = view.run
    spans = [
        Span(
            task_id=t.task_id,
            phase=_phase(t.task_id, view.prefix),
            state=t.state or "none",
            start=t.start,
            end=t.end or t.start,
        )
        for t in run.tasks
        if t.start is not None and t.state not in NOT_RUN
    ]
    start = min([s.start for s in spans] + ([run.start] if run.start else []), default=None)
    chart = timeline_chart(spans, start) if start else '<p class="empty">No task has started.</p>'
    return _section("timeline", "Timeline", chart)


def _phase(task_id: str, prefix: str) -> str:
    rest = task_id[len(prefix) :] if task_id.startswith(prefix) else task_id
    return rest.split(".", 1)[0] if "." in rest else rest


def _tables(view: ReportView) -> str:
    report = view.report
    if not report:
        return _section(
            "tables", "Tables and coverage", _not_measured("row counts (the report task did not finish)")
        )
    counts: dict[str, int] = report.get("row_counts") or {}
    coverage: dict[str, dict[str, Any]] = report.get("coverage") or {}
    count_bars = [
        Bar(label=t, value=max(n, 0), text=fmt_int(n), data=(("table", t), ("rows", n)))
        for t, n in counts.items()
    ]
    cov_bars = [
        Bar(
            label=t,
            value=float(c.get("coverage") or 0.0),
            text=_pct(c.get("coverage")),
            css="low"
            if view.min_coverage is not None and (c.get("coverage") or 0) < view.min_coverage
            else "",
            data=(("table", t), ("coverage", c.get("coverage")), ("with-id", c.get("with_canonical_id"))),
        )
        for t, c in coverage.items()
    ]
    marker = (
        (view.min_coverage, f"min_coverage {view.min_coverage:.0%}")
        if view.min_coverage is not None
        else None
    )
    rows = [
        [
            t,
            fmt_int(n),
            fmt_int(coverage[t]["with_canonical_id"]) if t in coverage else "",
            _pct(coverage[t]["coverage"]) if t in coverage else "",
        ]
        for t, n in counts.items()
    ]
    content = (
        "<h3>Row counts</h3>"
        + bar_chart(count_bars, label="rows per table", css="rows", category_title="table")
        + "<h3>Canonical-id coverage per enriched table</h3>"
        + (f"<p>min_coverage: {e(_pct(view.min_coverage))}</p>" if marker else "<p>min_coverage: not set</p>")
        + bar_chart(
            cov_bars,
            label="coverage per enriched table",
            css="coverage",
            maximum=1.0,
            marker=marker,
            value_title="share of rows with a canonical id",
            category_title="table",
            value_format=lambda v: f"{v:.0%}",
        )
        + _table(["table", "rows", "with canonical id", "coverage"], rows, "row-counts")
    )
    return _section("tables", "Tables and coverage", content)


def _health(view: ReportView) -> str:
    h = view.health
    if not h:
        content = "".join(_not_measured(w) for w in ("cluster sizes", "largest clusters", "churn", "gates"))
        return _section("health", "Identity health", content)
    parts = [
        _histogram(h.get("cluster_sizes")),
        _largest(h.get("largest_clusters")),
        _churn(h.get("churn")),
        _gates(h),
    ]
    return _section("health", "Identity health", "".join(parts))


def _histogram(sizes: dict[str, Any] | None) -> str:
    if not sizes:
        return "<h3>Cluster sizes</h3>" + _not_measured("cluster sizes")
    bars = [
        Bar(
            label=str(b.get("bucket")),
            value=int(b.get("clusters") or 0),
            text=fmt_int(b.get("clusters")),
            data=(("bucket", b.get("bucket")), ("clusters", b.get("clusters"))),
        )
        for b in sizes.get("buckets") or []
    ]
    stats = " · ".join(
        f"{k} {fmt_int(sizes.get(k))}" for k in ("clusters", "identifiers", "p50", "p99", "max")
    )
    return f"<h3>Cluster sizes</h3><p>{e(stats)}</p>" + bar_chart(
        bars,
        label="clusters per size bucket",
        css="hist",
        value_title="clusters",
        category_title="identifiers per cluster",
    )


def _largest(clusters: list[dict[str, Any]] | None) -> str:
    if clusters is None:
        return "<h3>Largest clusters</h3>" + _not_measured("largest clusters")
    rows = []
    for c in clusters:
        keys = ", ".join(f"{k} {fmt_int(n)}" for k, n in (c.get("key_types") or {}).items())
        values = "".join(
            f'<li><span class="key">{e(v.get("key_type"))}</span> <code class="value">{e(v.get("value"))}</code> '
            f"({e(fmt_int(v.get('records')))} records)</li>"
            for v in c.get("top_values") or []
        )
        rows.append(
            [
                f"<code>{e(c.get('canonical_id'))}</code>",
                e(fmt_int(c.get("size"))),
                e(keys),
                f"<ul>{values}</ul>",
            ]
        )
    return "<h3>Largest clusters</h3>" + _table(
        ["canonical id", "size", "identifiers", "top values"], rows, "largest", raw=True
    )


def _churn(churn: dict[str, Any] | None) -> str:
    if not churn or churn.get("previous_exists") is False:
        return "<h3>Churn against the previous run</h3>" + _not_measured("churn (no previous run to compare)")
    keys = [
        "identifiers_compared",
        "identifiers_changed",
        "churn_share",
        "clusters_merged",
        "clusters_split",
        "ids_new",
        "ids_gone",
    ]
    rows = [[k, _pct(churn.get(k)) if k == "churn_share" else fmt_int(churn.get(k))] for k in keys]
    return "<h3>Churn against the previous run</h3>" + _table(["measure", "value"], rows, "churn")


def _gates(health: dict[str, Any]) -> str:
    gates = health.get("gates")
    if gates is None:
        return "<h3>Gates</h3>" + _not_measured("gates")
    rows = []
    for g in gates:
        verdict = "skipped" if g.get("skipped_reason") else ("passed" if g.get("passed") else "FAILED")
        rows.append(
            [
                e(g.get("name")),
                e(_or_dash(g.get("limit"))),
                e(_or_dash(g.get("value"))),
                f'<span class="verdict-{verdict.lower()}" data-gate="{e(g.get("name"))}">{verdict}</span>',
                e(g.get("skipped_reason") or g.get("message") or ""),
            ]
        )
    overall = "all gates passed" if health.get("passed") else "a gate failed"
    return (
        f'<h3>Gates</h3><p data-health-passed="{str(bool(health.get("passed"))).lower()}">{overall}</p>'
        + _table(["gate", "limit", "value", "verdict", "message"], rows, "gates", raw=True)
    )


def _tasks(view: ReportView, ui_root: str) -> str:
    run = view.run
    base = f"{ui_root}/dags/{quote(run.dag_id, safe='')}/runs/{quote(run.run_id, safe='')}/tasks/"
    rows = []
    for t in run.tasks:
        link = f'<a target="_top" href="{e(base + quote(t.task_id, safe=""))}">{e(t.task_id)}</a>'
        url = view.query_history.get(t.task_id)
        history = (
            f'<a target="_blank" rel="noopener" class="qh" href="{e(url)}">query history</a>'
            if url and url.startswith(("https://", "http://"))
            else ""
        )
        seconds = t.seconds
        rows.append(
            [
                link,
                f'<span class="state-{e(t.state)}">{e(t.state)}</span>',
                e("" if seconds is None else f"{seconds:.2f}"),
                e(t.try_number),
                history,
            ]
        )
    note = (
        ""
        if view.query_history
        else "<p>No Databricks query history: this run did not run on Databricks.</p>"
    )
    return _section(
        "tasks",
        "Tasks",
        note + _table(["task", "state", "seconds", "tries", "Databricks"], rows, "task-list", raw=True),
    )


def _queries(view: ReportView) -> str:
    steps = (view.report or {}).get("next_steps") or []
    if not steps:
        return _section(
            "queries",
            "Validation queries",
            _not_measured("validation queries (the report task did not finish)"),
        )
    blocks = "".join(
        f'<div class="query"><button type="button" class="copy" data-target="q{i}">Copy</button>'
        f'<pre><code id="q{i}">{e(sql)}</code></pre></div>'
        for i, sql in enumerate(steps)
    )
    return _section("queries", "Validation queries", blocks)


def render_page(view: ReportView, ui_root: str = "") -> str:
    """The whole page for one run. ``ui_root`` is the Airflow UI's path (links to tasks)."""
    if not view.is_unification_run:
        body = (
            _header(view)
            + f"<p>This run has no <code>{e(LOOP_TASK)}</code> task: not an identity-unification run.</p>"
        )
        return _doc("Identity report", body)
    body = (
        _header(view)
        + _convergence(view)
        + _timeline(view)
        + _tables(view)
        + _health(view)
        + _tasks(view, ui_root)
        + _queries(view)
    )
    return _doc(f"Identity report: {view.run.dag_id} {view.run.run_id}", body)
