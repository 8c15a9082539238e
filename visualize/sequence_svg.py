"""A run's sequence diagram drawn directly as SVG: deterministic, no layout engine needed.

One lifeline per participant (in order of first appearance), one arrow per message from top to
bottom. Text messages are solid blue, handoffs thick purple, tool calls green self-loops, tool results
dashed green self-loops, other events grey notes, stop messages orange; failed tool results are red.
Each arrow is a ``<g id="msg-N">`` whose ``<title>`` holds the full content.
"""

from __future__ import annotations

from typing import Any
from xml.sax.saxutils import escape, quoteattr

from visualize.sequence import Arrow, SequenceDiagram, build_sequence

COLUMN = 200
MARGIN = 50
HEAD = 56
ROW = 34
SELF_ROW = 44
CHAR = 6.2  # average glyph width at 11px, to cut text before it crosses a lifeline
COLORS = {
    "text": "#1c3f73",
    "handoff": "#7048e8",
    "tool_call": "#2b8a3e",
    "tool_result": "#2b8a3e",
    "event": "#868e96",
    "stop": "#e8590c",
}
MARK = {"tool_call": "⚙ ", "tool_result": "↩ ", "handoff": "⇒ ", "stop": "■ ", "event": ""}


def sequence_svg(result: Any) -> str:
    """The sequence diagram of a run (a TaskResult or a list of messages) as SVG text.

    Example:
        >>> from flowgen.messages import TextMessage
        >>> svg = sequence_svg([TextMessage(source="user", content="hi"), TextMessage(source="bot", content="hello")])
        >>> svg.startswith("<svg") and 'id="msg-1"' in svg
        True
    """
    return diagram_svg(build_sequence(result))


def diagram_svg(diagram: SequenceDiagram) -> str:
    """A built sequence diagram (of a run, or of a Core runtime's deliveries) as SVG text."""
    x = {p: MARGIN + COLUMN // 2 + i * COLUMN for i, p in enumerate(diagram.participants)}
    rows, y = [], HEAD + 24
    for arrow in diagram.arrows:
        self_loop = arrow.source == arrow.target
        rows.append(_arrow(arrow, x, y, self_loop))
        y += SELF_ROW if self_loop else ROW
    width = MARGIN * 2 + max(1, len(diagram.participants)) * COLUMN
    height = y + 16
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="sequence" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="Helvetica,Arial,sans-serif" font-size="11">',
        _defs(),
        f'<rect width="{width}" height="{height}" fill="white"/>',
        *_lifelines(diagram, x, height),
        *rows,
        "</svg>",
    ]
    return "\n".join(parts) + "\n"


def _defs() -> str:
    heads = "".join(
        f'<marker id="seq-head-{kind}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" '
        f'markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{color}"/></marker>'
        for kind, color in [*COLORS.items(), ("error", "#c92a2a")]
    )
    return f"<defs>{heads}</defs>"


def _lifelines(diagram: SequenceDiagram, x: dict[str, int], height: int) -> list[str]:
    out = []
    for index, name in enumerate(diagram.participants):
        cx = x[name]
        shown = _cut(name or "(anonymous)", COLUMN - 20)
        out.append(
            f'<g class="lifeline" id="lifeline-{index}"><title>{escape(name)}</title>'
            f'<line x1="{cx}" y1="{HEAD}" x2="{cx}" y2="{height - 8}" stroke="#adb5bd" stroke-dasharray="4 4"/>'
            f'<rect x="{cx - COLUMN // 2 + 10}" y="12" width="{COLUMN - 20}" height="{HEAD - 20}" rx="6" '
            f'fill="#eef3fb" stroke="#4a6fa5"/>'
            f'<text x="{cx}" y="{12 + (HEAD - 20) // 2 + 4}" text-anchor="middle" font-weight="bold">'
            f"{escape(shown)}</text></g>"
        )
    return out


def _cut(value: str, pixels: float) -> str:
    flat = " ".join(value.split())
    limit = max(4, int(pixels / CHAR))
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _arrow(arrow: Arrow, x: dict[str, int], y: int, self_loop: bool) -> str:
    kind = "error" if arrow.error else arrow.kind
    color = "#c92a2a" if arrow.error else COLORS[arrow.kind]
    dash = ' stroke-dasharray="5 3"' if arrow.kind in ("tool_result", "event") else ""
    width = "2.4" if arrow.kind == "handoff" else "1.3"
    x1, x2 = x[arrow.source], x[arrow.target]
    label = MARK.get(arrow.kind, "") + ("⚠ " if arrow.error else "")
    if arrow.kind == "event":
        label += arrow.type + ": "
    if self_loop:
        path = f"M{x1},{y} h34 v16 h-30"
        text_x, anchor, room = x1 + 40, "start", COLUMN - 45.0
        text_y = y + 12
    else:
        path = f"M{x1},{y} H{x2 + (-4 if x2 > x1 else 4)}"
        text_x, anchor, room = (x1 + x2) // 2, "middle", abs(x2 - x1) - 10
        text_y = y - 5
    classes = f"msg kind-{arrow.kind}" + (" error" if arrow.error else "")
    title = escape(_limit(f"#{arrow.index} {arrow.source} → {arrow.target} ({arrow.type})\n{arrow.full}"))
    return (
        f'<g id="msg-{arrow.index}" class={quoteattr(classes)}><title>{title}</title>'
        f'<text x="8" y="{text_y}" fill="#adb5bd" font-size="9">{arrow.index}</text>'
        f'<path d="{path}" fill="none" stroke="{color}" stroke-width="{width}"{dash} '
        f'marker-end="url(#seq-head-{kind})"/>'
        f'<text x="{text_x}" y="{text_y}" text-anchor="{anchor}" fill="{color}">'
        f"{escape(label + _cut(arrow.full, room - len(label) * CHAR))}</text></g>"
    )


def _limit(value: str, limit: int = 2000) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"
