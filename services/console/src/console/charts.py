"""Small charts drawn on the server as inline SVG: no script, no library, readable by screen readers
(role="img" with a title, and every chart sits beside a table holding the same figures)."""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup, escape

ROW = 28
LABEL_WIDTH = 150
BAR_WIDTH = 300
VALUE_WIDTH = 130


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    shown: str  # the value as the reader sees it: "¥800.00", "75 %"
    tone: str = "primary"  # a CSS class: primary, good, warn, bad, muted


def bar_chart(title: str, bars: list[Bar], *, maximum: float | None = None) -> Markup:
    """Horizontal bars, one per row, scaled to `maximum` (default: the largest value)."""
    top = maximum if maximum is not None else max((b.value for b in bars), default=0)
    width = LABEL_WIDTH + BAR_WIDTH + VALUE_WIDTH
    height = ROW * max(len(bars), 1) + 8
    rows = []
    for i, bar in enumerate(bars):
        y = 4 + i * ROW
        length = 0 if top <= 0 else max(0.0, min(1.0, bar.value / top)) * BAR_WIDTH
        rows.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{y + 18}" text-anchor="end" class="chart-label">{escape(bar.label)}</text>'
            f'<rect x="{LABEL_WIDTH}" y="{y + 4}" width="{BAR_WIDTH}" height="{ROW - 10}" class="chart-track"/>'
            f'<rect x="{LABEL_WIDTH}" y="{y + 4}" width="{length:.1f}" height="{ROW - 10}" '
            f'class="chart-bar {escape(bar.tone)}"/>'
            f'<text x="{LABEL_WIDTH + BAR_WIDTH + 8}" y="{y + 18}" class="chart-value">{escape(bar.shown)}</text>')
    return Markup(f'<svg class="chart" role="img" aria-label="{escape(title)}" viewBox="0 0 {width} {height}" '
                  f'width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">'
                  f'<title>{escape(title)}</title>{"".join(rows)}</svg>')
