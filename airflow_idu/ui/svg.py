"""Server-rendered SVG charts (no JavaScript, no network). Every data value is escaped.

Each mark carries ``data-*`` attributes with the value it draws, so a browser test can read the
numbers back off the page and compare them with the tables.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape

__all__ = [
    "Bar",
    "Span",
    "bar_chart",
    "convergence_chart",
    "fmt_int",
    "iteration_ticks",
    "linear_ticks",
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


def linear_ticks(top: float, *, integer: bool = False) -> list[float]:
    """At least three round tick values from 0 up to ``top`` or just past it (1, 2, 2.5 or 5 times 10^k apart)."""
    top = max(float(top), 1.0 if integer else 1e-9)
    raw = top / 4
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    if integer:
        step = max(1.0, float(math.ceil(step)))
    ticks = [0.0]
    while ticks[-1] < top - 1e-12 or len(ticks) < 3:
        ticks.append(round(ticks[-1] + step, 12))
    return ticks


def iteration_ticks(count: int) -> list[int]:
    """The iteration axis: 1..N (at least 1..3, so the axis reads as one), every k-th above 15."""
    last = max(count, 3)
    every = max(1, math.ceil(last / 15))
    return [k for k in range(1, last + 1) if (k - 1) % every == 0 or k == last]


def _tick(axis: str, x: float, y: float, text: str, anchor: str = "middle") -> str:
    """A tick label; ``data-axis`` lets a test count the labels of each axis."""
    return (
        f'<text class="axis tick" data-axis="{axis}" x="{round(x, 1)}" y="{round(y, 1)}" '
        f'text-anchor="{anchor}">{e(text)}</text>'
    )


def _title(axis: str, x: float, y: float, text: str, *, turn: bool = True, anchor: str = "middle") -> str:
    """An axis title; a y title is turned to run along its axis unless ``turn`` is False."""
    rotate = f' transform="rotate(-90 {round(x, 1)} {round(y, 1)})"' if axis == "y" and turn else ""
    return (
        f'<text class="axis axis-title" data-axis="{axis}" x="{round(x, 1)}" y="{round(y, 1)}" '
        f'text-anchor="{anchor}"{rotate}>{e(text)}</text>'
    )


def _seconds(value: float) -> str:
    return f"{value:g} s"


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
    x0, y0, w, h = 70, 16, WIDTH - 110, 190
    top = max(v for _, v in points)
    decades = max(2, math.ceil(math.log10(max(top, 10))))
    top = 10**decades
    ticks = iteration_ticks(len(points))
    span = max(1, ticks[-1] - 1)

    def x_of(k: int) -> float:
        return round(x0 + (k - 1) / span * w, 1)

    body = []
    for d in range(decades + 1):
        y = log_y(10**d, top, h, y0)
        body.append(f'<line class="grid" x1="{x0}" x2="{x0 + w}" y1="{y}" y2="{y}"/>')
        body.append(_tick("y", x0 - 6, y + 4, fmt_int(10**d), "end"))
    body += [_tick("x", x_of(k), y0 + h + 16, str(k)) for k in ticks]
    coords = [(x_of(k), log_y(v, top, h, y0)) for k, v in points]
    body.append(f'<polyline class="line" points="{" ".join(f"{x},{y}" for x, y in coords)}"/>')
    for (k, v), (x, y) in zip(points, coords, strict=True):
        body.append(
            f'<circle class="pt" cx="{x}" cy="{y}" r="4" data-iteration="{k}" data-updated="{v}">'
            f"<title>iteration {k}: {fmt_int(v)} rows updated</title></circle>"
            f'<text class="val" x="{x + 6}" y="{y - 7}">{fmt_int(v)}</text>'
        )
    body.append(_title("x", x0 + w / 2, y0 + h + 32, "iteration"))
    body.append(_title("y", 14, y0 + h / 2, "rows updated (log)"))
    return _svg(y0 + h + 40, body, "updated rows per iteration (log scale)", "convergence")


def seconds_chart(history: Sequence[dict[str, object]]) -> str:
    """Seconds per iteration as columns, on a linear axis from 0."""
    values = [(int(h["iteration"]), float(h.get("seconds") or 0.0)) for h in history]  # type: ignore[call-overload,arg-type]
    if not values:
        return ""
    x0, y0, w, h = 70, 12, WIDTH - 90, 110
    y_ticks = linear_ticks(max(s for _, s in values))
    top = y_ticks[-1]
    x_ticks = iteration_ticks(len(values))
    slot = w / x_ticks[-1]
    body = []
    for t in y_ticks:
        y = round(y0 + h - h * t / top, 1)
        body.append(f'<line class="grid" x1="{x0}" x2="{x0 + w}" y1="{y}" y2="{y}"/>')
        body.append(_tick("y", x0 - 6, y + 4, _seconds(t), "end"))
    body += [_tick("x", x0 + (k - 0.5) * slot, y0 + h + 14, str(k)) for k in x_ticks]
    for k, s in values:
        bh = round(h * s / top, 1)
        bw = min(slot * 0.6, 48.0)
        x = round(x0 + (k - 1) * slot + (slot - bw) / 2, 1)
        body.append(
            f'<rect class="bar secs" x="{x}" y="{round(y0 + h - bh, 1)}" width="{round(bw, 1)}" '
            f'height="{bh}" data-iteration="{k}" data-seconds="{s}"><title>iteration {k}: {s:.3f} s</title></rect>'
        )
    body.append(_title("x", x0 + w / 2, y0 + h + 30, "iteration"))
    body.append(_title("y", 14, y0 + h / 2, "seconds"))
    return _svg(y0 + h + 38, body, "seconds per iteration", "seconds")


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
    value_title: str = "rows",
    category_title: str = "",
    value_format: Callable[[float], str] | None = None,
) -> str:
    """Horizontal bars, one row each, over a value axis with round ticks from 0; ``marker`` draws a
    vertical threshold line (value, caption)."""
    if not bars:
        return '<p class="empty">Nothing to chart.</p>'
    row, x0 = 24, LABEL_W
    w = WIDTH - x0 - 90
    integer = maximum is None and all(float(b.value).is_integer() for b in bars)
    ticks = linear_ticks(maximum or max((b.value for b in bars), default=1) or 1, integer=integer)
    top = ticks[-1]
    text_of = value_format or (lambda v: fmt_int(int(v)) if integer else f"{v:g}")
    bars_end = 6 + row * len(bars)
    axis_y = bars_end + (18 if marker else 4)
    height = axis_y + 34
    body = []
    for t in ticks:
        x = round(x0 + t / top * w, 1)
        body.append(f'<line class="grid" x1="{x}" x2="{x}" y1="2" y2="{axis_y}"/>')
        body.append(_tick("x", x, axis_y + 12, text_of(t)))
    for i, b in enumerate(bars):
        y = 6 + i * row
        bw = round(max(0.0, min(b.value, top)) / top * w, 1)
        data = "".join(f' data-{k}="{e(v)}"' for k, v in b.data)
        body.append(
            _tick("y", x0 - 8, y + 14, b.label, "end").replace('class="axis tick"', 'class="label tick"')
            + f'<rect class="bar {css} {e(b.css)}" x="{x0}" y="{y + 2}" width="{bw}" height="{row - 8}"{data}>'
            f"<title>{e(b.label)}: {e(b.text)}</title></rect>"
            f'<text class="val" x="{x0 + bw + 6}" y="{y + 14}">{e(b.text)}</text>'
        )
    if marker:
        value, caption = marker
        mx = round(x0 + min(value, top) / top * w, 1)
        body.append(
            f'<line class="min-line" x1="{mx}" x2="{mx}" y1="2" y2="{bars_end + 2}" data-value="{e(value)}"/>'
            f'<text class="axis min-caption" x="{mx}" y="{bars_end + 14}" text-anchor="middle">{e(caption)}</text>'
        )
    body.append(_title("x", x0 + w / 2, axis_y + 28, value_title))
    if category_title:
        body.append(_title("y", 10, bars_end / 2, category_title))
    return _svg(height, body, label, css)


@dataclass(frozen=True, kw_only=True)
class Span:
    task_id: str
    phase: str
    state: str
    start: datetime
    end: datetime


def timeline_chart(spans: Sequence[Span], run_start: datetime) -> str:
    """One row per task, bars placed by start and end on a time axis (seconds since ``run_start``,
    whose clock time the axis title gives), phases as headers."""
    if not spans:
        return '<p class="empty">No task has started.</p>'
    row, x0 = 18, LABEL_W + 60
    w = WIDTH - x0 - 70
    ticks = linear_ticks(max((s.end - run_start).total_seconds() for s in spans) or 1.0)
    total = ticks[-1]
    phases: dict[str, list[Span]] = {}
    for span in spans:
        phases.setdefault(span.phase, []).append(span)
    body, y = [_title("y", 4, 12, "phase / task", turn=False, anchor="start")], 18
    for phase, members in phases.items():
        first = min((s.start - run_start).total_seconds() for s in members)
        last = max((s.end - run_start).total_seconds() for s in members)
        px = round(x0 + first / total * w, 1)
        body.append(
            _tick("y", 4, y + 13, phase, "start").replace('class="axis tick"', 'class="phase tick"')
            + f'<rect class="phase-bar" x="{px}" y="{y + 4}" width="{max(1.0, round((last - first) / total * w, 1))}" '
            f'height="{row - 8}" data-phase="{e(phase)}" data-seconds="{round(last - first, 3)}"/>'
            f'<text class="val" x="{WIDTH - 4}" y="{y + 13}" text-anchor="end">{last - first:.1f}s</text>'
        )
        y += row
        for s in members:
            begin = (s.start - run_start).total_seconds()
            secs = (s.end - s.start).total_seconds()
            name = s.task_id.rsplit(".", 1)[-1]
            body.append(
                _tick("y", 16, y + 13, name, "start").replace('class="axis tick"', 'class="label tick"')
                + f'<rect class="ti state-{e(s.state)}" x="{round(x0 + begin / total * w, 1)}" y="{y + 3}" '
                f'width="{max(1.0, round(secs / total * w, 1))}" height="{row - 6}" data-task-id="{e(s.task_id)}" '
                f'data-seconds="{round(secs, 3)}"><title>{e(s.task_id)} ({e(s.state)}): {secs:.2f} s</title></rect>'
                f'<text class="val" x="{WIDTH - 4}" y="{y + 13}" text-anchor="end">{secs:.1f}s</text>'
            )
            y += row
    for t in ticks:
        x = round(x0 + t / total * w, 1)
        body.append(f'<line class="grid" x1="{x}" x2="{x}" y1="2" y2="{y + 2}"/>')
        body.append(_tick("x", x, y + 14, _seconds(t)))
    clock = run_start.strftime("%H:%M:%S %Z").strip()
    body.append(_title("x", x0 + w / 2, y + 30, f"seconds since {clock}"))
    return _svg(y + 38, body, "timeline of phases and tasks", "timeline")
