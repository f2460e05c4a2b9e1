"""Server-rendered SVG bar charts: no JavaScript and no external service, readable by screen readers.

Each chart is an <svg role="img"> named by its <title> and summarised by its <desc>; the page also shows the
same numbers as a table, which is the accessible version of record.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

# GOV.UK colours with at least 3:1 contrast against white, as WCAG 2.2 asks of graphics (1.4.11).
COLOURS = ("#1d70b8", "#00703c", "#4c2c92", "#d4351c")
TEXT = "#0b0c0c"
LABEL_WIDTH = 230
BAR_AREA = 420
VALUE_WIDTH = 120
BAR_HEIGHT = 16
GAP = 10


@dataclass(frozen=True, slots=True)
class ChartRow:
    """One category: its label and one value per series (None: no value)."""

    label: str
    values: tuple[float | None, ...]


def _format(value: float | None, unit: str) -> str:
    if value is None:
        return "none"
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    return f"{text} {unit}".strip()


def bar_chart(
    *,
    chart_id: str,
    title: str,
    description: str,
    series: Sequence[str],
    rows: Sequence[ChartRow],
    unit: str = "",
) -> Markup:
    """Return a horizontal bar chart as inline SVG; one bar per series in each row."""
    peak = max((v for row in rows for v in row.values if v is not None), default=0) or 1
    per_row = len(series) * BAR_HEIGHT + GAP
    legend_height = 24 if len(series) > 1 else 0
    height = legend_height + max(len(rows), 1) * per_row + GAP
    width = LABEL_WIDTH + BAR_AREA + VALUE_WIDTH
    parts = [
        f'<svg class="joinup-chart" id="{escape(chart_id)}" role="img" aria-labelledby="{escape(chart_id)}-title '
        f'{escape(chart_id)}-desc" viewBox="0 0 {width} {height}" width="100%" '
        f'xmlns="http://www.w3.org/2000/svg" font-family="arial, sans-serif" font-size="14">',
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>',
        f'<desc id="{escape(chart_id)}-desc">{escape(description)}</desc>',
    ]
    for index, name in enumerate(series if len(series) > 1 else ()):
        x = LABEL_WIDTH + index * 160
        parts.append(
            f'<rect x="{x}" y="4" width="14" height="14" fill="{COLOURS[index % len(COLOURS)]}"/>'
            f'<text x="{x + 20}" y="16" fill="{TEXT}">{escape(name)}</text>'
        )
    if not rows:
        parts.append(f'<text x="0" y="{legend_height + 20}" fill="{TEXT}">Nothing in this period.</text>')
    for row_index, row in enumerate(rows):
        top = legend_height + GAP + row_index * per_row
        parts.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{top + len(series) * BAR_HEIGHT / 2 + 5:.0f}" '
            f'text-anchor="end" fill="{TEXT}">{escape(row.label[:32])}</text>'
        )
        for index, value in enumerate(row.values):
            y = top + index * BAR_HEIGHT
            length = 0 if value is None else max(BAR_AREA * value / peak, 1)
            colour = COLOURS[index % len(COLOURS)]
            parts.append(
                f'<rect class="joinup-bar" x="{LABEL_WIDTH}" y="{y}" width="{length:.1f}" '
                f'height="{BAR_HEIGHT - 2}" fill="{colour}"><title>{escape(row.label)}, {escape(series[index])}: '
                f"{escape(_format(value, unit))}</title></rect>"
                f'<text x="{LABEL_WIDTH + length + 6:.1f}" y="{y + BAR_HEIGHT - 4}" fill="{TEXT}" font-size="12">'
                f"{escape(_format(value, unit))}</text>"
            )
    parts.append("</svg>")
    return Markup("".join(parts))
