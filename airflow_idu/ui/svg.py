"""Server-rendered SVG charts (no JavaScript, no network). Every data value is escaped.

Each mark carries ``data-*`` attributes with the value it draws, so a browser test can read the
numbers back off the page and compare them with the tables.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape

__all__ = [
    "Bar",
    "Span",
    "bar_chart",
    "convergence_chart",
    "fmt_int",
    "log_y",
    "seconds_chart",
    "timeline_chart",
]

WIDTH = 640
LABEL_W = 190


def e(value: object) -> str:
    """Escape for element text and double-quoted attributes."""
    return escape(str(value), quote=True)


def fmt_int(value: object) -> str:
    return f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else str(value)


def log_y(value: float, top: float, height: float, y0: float) -> float:
    """Pixel y of ``value`` on a log10 axis from 1 (bottom, also where 0 sits) to ``top``."""
    span = math.log10(max(top, 10))
    share = math.log10(value) / span if value >= 1 else 0.0
    return round(y0 + height - share * height, 1)


def _svg(height: int, body: list[str], label: str, css: str) -> str:
    return (
        f'<svg class="chart {css}" role="img" aria-label="{e(label)}" viewBox="0 0 {WIDTH} {height}" '
        f'width="100%" preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{e(label)}</title>{''.join(body)}</svg>"
    )


def convergence_chart(history: Sequence[dict[str, object]]) -> str:
    """Updated rows per iteration on a log scale (0, the converged iteration, sits on the baseline)."""
    points = [(int(h["iteration"]), int(h["updated_count"])) for h in history]  # type: ignore[call-overload]
    if not points:
        return '<p class="empty">No iteration recorded.</p>'
    x0, y0, w, h = 60, 16, WIDTH - 110, 190
    top = max(v for _, v in points)
    decades = max(1, math.ceil(math.log10(max(top, 10))))
    top = 10**decades
    step = w / max(1, len(points) - 1) if len(points) > 1 else 0
    body = []
    for d in range(decades + 1):
        y = log_y(10**d, top, h, y0)
        body.append(f'<line class="grid" x1="{x0}" x2="{x0 + w}" y1="{y}" y2="{y}"/>')
        body.append(f'<text class="axis" x="{x0 - 6}" y="{y + 4}" text-anchor="end">{fmt_int(10**d)}</text>')
    coords = [
        (round(x0 + (i * step if len(points) > 1 else w / 2), 1), log_y(v, top, h, y0))
        for i, (_, v) in enumerate(points)
    ]
    body.append(f'<polyline class="line" points="{" ".join(f"{x},{y}" for x, y in coords)}"/>')
    for (k, v), (x, y) in zip(points, coords, strict=True):
        body.append(
            f'<circle class="pt" cx="{x}" cy="{y}" r="4" data-iteration="{k}" data-updated="{v}">'
            f"<title>iteration {k}: {fmt_int(v)} rows updated</title></circle>"
            f'<text class="axis" x="{x}" y="{y0 + h + 16}" text-anchor="middle">{k}</text>'
            f'<text class="val" x="{x + 6}" y="{y - 7}">{fmt_int(v)}</text>'
        )
    body.append(
        f'<text class="axis" x="{x0 + w / 2}" y="{y0 + h + 32}" text-anchor="middle">iteration</text>'
    )
    return _svg(y0 + h + 40, body, "updated rows per iteration (log scale)", "convergence")


def seconds_chart(history: Sequence[dict[str, object]]) -> str:
    """Seconds per iteration as columns."""
    values = [(int(h["iteration"]), float(h.get("seconds") or 0.0)) for h in history]  # type: ignore[call-overload,arg-type]
    if not values:
        return ""
    x0, y0, w, h = 60, 12, WIDTH - 80, 90
    top = max(s for _, s in values) or 1.0
    slot = w / len(values)
    body = [f'<line class="grid" x1="{x0}" x2="{x0 + w}" y1="{y0 + h}" y2="{y0 + h}"/>']
    body.append(f'<text class="axis" x="{x0 - 6}" y="{y0 + 8}" text-anchor="end">{top:.2f}s</text>')
    for i, (k, s) in enumerate(values):
        bh = round(h * s / top, 1)
        bw = min(slot * 0.6, 48.0)
        x = round(x0 + i * slot + (slot - bw) / 2, 1)
        body.append(
            f'<rect class="bar secs" x="{x}" y="{round(y0 + h - bh, 1)}" width="{round(bw, 1)}" '
            f'height="{bh}" data-iteration="{k}" data-seconds="{s}"><title>iteration {k}: {s:.3f} s</title></rect>'
            f'<text class="axis" x="{round(x + bw / 2, 1)}" y="{y0 + h + 14}" text-anchor="middle">{k}</text>'
        )
    return _svg(y0 + h + 22, body, "seconds per iteration", "seconds")


@dataclass(frozen=True, kw_only=True)
class Bar:
    label: str
    value: float
    text: str  # what is written next to the bar
    css: str = ""
    data: tuple[tuple[str, object], ...] = ()


def bar_chart(
    bars: Sequence[Bar],
    *,
    label: str,
    css: str,
    maximum: float | None = None,
    marker: tuple[float, str] | None = None,
) -> str:
    """Horizontal bars, one row each; ``marker`` draws a vertical threshold line (value, caption)."""
    if not bars:
        return '<p class="empty">Nothing to chart.</p>'
    row, x0 = 24, LABEL_W
    w = WIDTH - x0 - 90
    top = maximum or max((b.value for b in bars), default=1) or 1
    height = 10 + row * len(bars) + (18 if marker else 0)
    body = []
    for i, b in enumerate(bars):
        y = 6 + i * row
        bw = round(max(0.0, min(b.value, top)) / top * w, 1)
        data = "".join(f' data-{k}="{e(v)}"' for k, v in b.data)
        body.append(
            f'<text class="label" x="{x0 - 8}" y="{y + 14}" text-anchor="end">{e(b.label)}</text>'
            f'<rect class="bar {css} {e(b.css)}" x="{x0}" y="{y + 2}" width="{bw}" height="{row - 8}"{data}>'
            f"<title>{e(b.label)}: {e(b.text)}</title></rect>"
            f'<text class="val" x="{x0 + bw + 6}" y="{y + 14}">{e(b.text)}</text>'
        )
    if marker:
        value, caption = marker
        mx = round(x0 + min(value, top) / top * w, 1)
        body.append(
            f'<line class="min-line" x1="{mx}" x2="{mx}" y1="2" y2="{height - 14}" data-value="{e(value)}"/>'
            f'<text class="axis min-caption" x="{mx}" y="{height - 2}" text-anchor="middle">{e(caption)}</text>'
        )
    return _svg(height, body, label, css)


@dataclass(frozen=True, kw_only=True)
class Span:
    task_id: str
    phase: str
    state: str
    start: datetime
    end: datetime


def timeline_chart(spans: Sequence[Span], run_start: datetime) -> str:
    """One row per task, bars placed by start and end relative to the run's start, phases as headers."""
    if not spans:
        return '<p class="empty">No task has started.</p>'
    row, x0 = 18, LABEL_W + 60
    w = WIDTH - x0 - 70
    total = max((s.end - run_start).total_seconds() for s in spans) or 1.0
    phases: dict[str, list[Span]] = {}
    for span in spans:
        phases.setdefault(span.phase, []).append(span)
    body, y = [], 4
    for phase, members in phases.items():
        first = min((s.start - run_start).total_seconds() for s in members)
        last = max((s.end - run_start).total_seconds() for s in members)
        px = round(x0 + first / total * w, 1)
        body.append(
            f'<text class="phase" x="4" y="{y + 13}">{e(phase)}</text>'
            f'<rect class="phase-bar" x="{px}" y="{y + 4}" width="{max(1.0, round((last - first) / total * w, 1))}" '
            f'height="{row - 8}" data-phase="{e(phase)}" data-seconds="{round(last - first, 3)}"/>'
            f'<text class="val" x="{WIDTH - 4}" y="{y + 13}" text-anchor="end">{last - first:.1f}s</text>'
        )
        y += row
        for s in members:
            begin = (s.start - run_start).total_seconds()
            secs = (s.end - s.start).total_seconds()
            name = s.task_id.rsplit(".", 1)[-1]
            body.append(
                f'<text class="label" x="16" y="{y + 13}">{e(name)}</text>'
                f'<rect class="ti state-{e(s.state)}" x="{round(x0 + begin / total * w, 1)}" y="{y + 3}" '
                f'width="{max(1.0, round(secs / total * w, 1))}" height="{row - 6}" data-task-id="{e(s.task_id)}" '
                f'data-seconds="{round(secs, 3)}"><title>{e(s.task_id)} ({e(s.state)}): {secs:.2f} s</title></rect>'
                f'<text class="val" x="{WIDTH - 4}" y="{y + 13}" text-anchor="end">{secs:.1f}s</text>'
            )
            y += row
    return _svg(y + 6, body, "timeline of phases and tasks", "timeline")
