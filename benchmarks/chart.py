"""The SVG chart, drawn by hand so that it needs no plotting library and is byte-for-byte deterministic.

Left: round-robin cost per turn against conversation length (log scale), one line per framework, with
min-max whiskers. Right: concurrency efficiency (ideal / actual wall time) against the number of
concurrent conversations (log scale).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

from benchmarks.scenarios import LATENCY_S
from benchmarks.summary import Row
from benchmarks.table import LABELS

COLORS = {"flowgen": "#2563eb", "autogen": "#ea580c", "langgraph": "#16a34a"}
WIDTH, HEIGHT = 960, 420
PANEL_W, PANEL_H = 360, 280
TOP = 70
LEFTS = (80, 560)


@dataclass(frozen=True, slots=True)
class Axis:
    """Maps data values onto pixels, linearly or in log10."""

    low: float
    high: float
    start: float  # pixel of ``low``
    end: float  # pixel of ``high``
    log: bool = False

    def _t(self, value: float) -> float:
        if self.log:
            return (math.log10(value) - math.log10(self.low)) / (math.log10(self.high) - math.log10(self.low))
        return (value - self.low) / (self.high - self.low)

    def __call__(self, value: float) -> float:
        return self.start + self._t(value) * (self.end - self.start)

    def ticks(self) -> list[float]:
        if self.log:
            first, last = round(math.log10(self.low)), round(math.log10(self.high))
            steps = (1.0, 2.0, 5.0) if last - first <= 2 else (1.0,)  # few decades: label 2 and 5 too
            found = [m * 10.0**k for k in range(first, last + 1) for m in steps]
            return [t for t in found if self.low <= t <= self.high]
        step = nice_step(self.high - self.low)
        return [self.low + step * i for i in range(int((self.high - self.low) / step + 1e-9) + 1)]


def nice_step(span: float) -> float:
    """A 1, 2 or 5 x 10^k step giving at most six intervals over ``span``."""
    power = 10.0 ** math.floor(math.log10(span / 6))
    return next(m * power for m in (1, 2, 5, 10) if span / (m * power) <= 6)


def _label(value: float) -> str:
    if value >= 1000:
        return f"{value:,.0f}"
    return f"{value:g}"


def _decades(values: Sequence[float]) -> tuple[float, float]:
    low = 10.0 ** math.floor(math.log10(min(values)))
    high = 10.0 ** math.ceil(math.log10(max(values)))
    return low, high if high > low else low * 10


def _frame(left: float, title: str, x: Axis, y: Axis, x_title: str, y_title: str) -> list[str]:
    bottom = TOP + PANEL_H
    out = [
        f'<text x="{left + PANEL_W / 2:.1f}" y="{TOP - 14}" text-anchor="middle" class="title">{escape(title)}</text>',
        f'<rect x="{left}" y="{TOP}" width="{PANEL_W}" height="{PANEL_H}" class="frame"/>',
    ]
    for tick in x.ticks():
        px = x(tick)
        out.append(f'<line x1="{px:.1f}" y1="{TOP}" x2="{px:.1f}" y2="{bottom}" class="grid"/>')
        out.append(f'<text x="{px:.1f}" y="{bottom + 16}" text-anchor="middle">{_label(tick)}</text>')
    for tick in y.ticks():
        py = y(tick)
        out.append(f'<line x1="{left}" y1="{py:.1f}" x2="{left + PANEL_W}" y2="{py:.1f}" class="grid"/>')
        out.append(f'<text x="{left - 6}" y="{py + 4:.1f}" text-anchor="end">{_label(tick)}</text>')
    out.append(
        f'<text x="{left + PANEL_W / 2:.1f}" y="{bottom + 36}" text-anchor="middle">{escape(x_title)}</text>'
    )
    mid = TOP + PANEL_H / 2
    out.append(
        f'<text x="{left - 52}" y="{mid:.1f}" text-anchor="middle" transform="rotate(-90 {left - 52} {mid:.1f})">'
        f"{escape(y_title)}</text>"
    )
    return out


def _series(rows: Sequence[Row], x: Axis, y: Axis) -> list[str]:
    out: list[str] = []
    for framework, color in COLORS.items():
        points = sorted((r.size, r) for r in rows if r.framework == framework)
        if not points:
            continue
        path = " ".join(f"{x(size):.1f},{y(r.median or 0):.1f}" for size, r in points)
        out.append(f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2"/>')
        for size, r in points:
            px = x(size)
            if r.low is not None and r.high is not None and r.high > r.low:
                out.append(
                    f'<line x1="{px:.1f}" y1="{y(r.low):.1f}" x2="{px:.1f}" y2="{y(r.high):.1f}" '
                    f'stroke="{color}" stroke-width="1.5"/>'
                )
            out.append(f'<circle cx="{px:.1f}" cy="{y(r.median or 0):.1f}" r="3.5" fill="{color}"/>')
    return out


def _legend(frameworks: Sequence[str], versions: dict[str, str]) -> list[str]:
    out: list[str] = []
    x = WIDTH / 2 - 150 * len(frameworks) / 2
    for framework in frameworks:
        color = COLORS[framework]
        text = f"{LABELS[framework]} {versions.get(framework, '')}".strip()
        out.append(f'<rect x="{x:.1f}" y="{HEIGHT - 26}" width="14" height="14" fill="{color}"/>')
        out.append(f'<text x="{x + 20:.1f}" y="{HEIGHT - 14}">{escape(text)}</text>')
        x += 150
    return out


def _ok(document: dict[str, Any], scenario: str) -> list[Row]:
    rows = [Row(**row) for row in document["summary"]]
    return [r for r in rows if r.scenario == scenario and r.status == "ok" and r.median]


def _cost_panel(rows: list[Row]) -> list[str]:
    left = LEFTS[0]
    title = "Round robin: cost per turn vs conversation length"
    if not rows:
        return [f'<text x="{left + PANEL_W / 2}" y="{TOP + PANEL_H / 2}" text-anchor="middle">no data</text>']
    sizes = [float(r.size) for r in rows]
    low, high = _decades([v for r in rows for v in (r.low or r.median or 1, r.high or r.median or 1)])
    step = nice_step(max(sizes))
    x = Axis(0, math.ceil(max(sizes) * 1.05 / step) * step, left, left + PANEL_W)
    y = Axis(low, high, TOP + PANEL_H, TOP, log=True)
    return _frame(left, title, x, y, "messages in the conversation", "ms per turn (log)") + _series(
        rows, x, y
    )


def _efficiency_panel(rows: list[Row]) -> list[str]:
    left = LEFTS[1]
    title = "Concurrency: efficiency vs conversations"
    if not rows:
        return [f'<text x="{left + PANEL_W / 2}" y="{TOP + PANEL_H / 2}" text-anchor="middle">no data</text>']
    low, high = _decades([float(r.size) for r in rows])
    x = Axis(low, high, left, left + PANEL_W, log=True)
    y = Axis(0, 1.0, TOP + PANEL_H, TOP)
    frame = _frame(left, title, x, y, "concurrent conversations (log)", "ideal / actual wall time")
    return frame + _series(rows, x, y)


def render_chart(document: dict[str, Any]) -> str:
    """The chart as an SVG document."""
    frameworks = [f for f in document["meta"]["frameworks"] if f in COLORS]
    rows = [Row(**row) for row in document["summary"]]
    versions = {r.framework: r.version for r in rows if r.version}
    repeats = document["meta"]["repeats"]
    caption = (
        f"Medians of {repeats} run{'s' if repeats != 1 else ''}, each in a fresh process; bars span min to max. "
        f"Left: zero-latency model. Right: {LATENCY_S * 1000:.0f} ms model latency."
    )
    body = [
        f'<text x="{WIDTH / 2}" y="22" text-anchor="middle">{escape(caption)}</text>',
        *_cost_panel(_ok(document, "round_robin")),
        *_efficiency_panel(_ok(document, "concurrency")),
        *_legend(frameworks, versions),
    ]
    style = (
        "text{font-family:Helvetica,Arial,sans-serif;font-size:12px;fill:#111}"
        ".title{font-size:14px;font-weight:bold}"
        ".frame{fill:none;stroke:#444}.grid{stroke:#ddd;stroke-width:1}"
    )
    return "\n".join(
        [
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
            f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="flowgen benchmarks">',
            f"<style>{style}</style>",
            f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#fff"/>',
            *body,
            "</svg>",
            "",
        ]
    )
