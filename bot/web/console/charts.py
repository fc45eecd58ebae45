"""Charts drawn on the server as SVG: no script, nothing fetched, readable on a
phone (the drawing scales to the page's width). Every label is escaped."""

from __future__ import annotations

import math

from markupsafe import Markup, escape

from handlers.overview import Chart

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 44, 8, 28, 34
PALETTE = ("#2f6fdf", "#e0803a", "#3a9d5d", "#b3417a", "#7a5cc7")


def _axis_top(value: float) -> float:
    """A top for the value axis whose four steps are round whole numbers
    (1, 2 or 5 × 10ⁿ each, at least 1)."""
    wanted = max(value / 4, 1.0)
    power = 10 ** math.floor(math.log10(wanted))
    for step in (1, 2, 5, 10):
        if wanted <= step * power:
            return float(4 * step * power)
    return float(40 * power)


def _number(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 or value == int(value) else f"{value:g}"


def draw(chart: Chart, names: dict[str, str], title: str) -> Markup:
    """``chart`` as an ``<svg>`` element with a legend; ``names`` names its series."""
    values = [v for s in chart.series for v in s.values if v is not None]
    top = 100.0 if chart.unit == "percent" else _axis_top(max(values, default=0.0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    columns = max(len(chart.labels), 1)
    column_w = plot_w / columns

    def y(value: float) -> float:
        return TOP + plot_h - plot_h * min(value, top) / top

    def x(index: int) -> float:
        return LEFT + column_w * (index + 0.5)

    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    for tick in range(5):  # the grid and the value axis
        value = top * tick / 4
        parts.append(
            f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(value):.1f}" '
            f'y2="{y(value):.1f}"/>'
            f'<text class="axis" x="{LEFT - 4}" y="{y(value) + 4:.1f}" text-anchor="end">'
            f"{escape(_number(value))}</text>"
        )
    every = max(1, math.ceil(columns / 8))
    for index, label in enumerate(chart.labels):  # dates, thinned out to fit
        if index % every == 0:
            parts.append(
                f'<text class="axis" x="{x(index):.1f}" y="{HEIGHT - BOTTOM + 16}" '
                f'text-anchor="middle">{escape(label[5:])}</text>'
            )
    bars = [s for s in chart.series if s.style == "bar"]
    bar_w = column_w * 0.8 / max(len(bars), 1)
    for number, series in enumerate(chart.series):
        colour = PALETTE[number % len(PALETTE)]
        name = names.get(series.name, series.name)
        if series.style == "bar":
            slot = bars.index(series)
            for index, value in enumerate(series.values):
                if not value:
                    continue
                left = LEFT + column_w * index + column_w * 0.1 + bar_w * slot
                parts.append(
                    f'<rect x="{left:.1f}" y="{y(value):.1f}" width="{bar_w:.1f}" '
                    f'height="{TOP + plot_h - y(value):.1f}" fill="{colour}">'
                    f"<title>{escape(chart.labels[index])} {escape(name)}: "
                    f"{escape(_number(value))}</title></rect>"
                )
            continue
        points = [(x(i), y(v), v, i) for i, v in enumerate(series.values) if v is not None]
        if len(points) > 1:
            path = " ".join(f"{px:.1f},{py:.1f}" for px, py, _, _ in points)
            parts.append(
                f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>'
            )
        for px, py, value, index in points:
            parts.append(
                f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3" fill="{colour}">'
                f"<title>{escape(chart.labels[index])} {escape(name)}: "
                f"{escape(_number(value))}</title></circle>"
            )
    legend_x = LEFT
    for number, series in enumerate(chart.series):  # the legend, along the top
        name = names.get(series.name, series.name)
        colour = PALETTE[number % len(PALETTE)]
        parts.append(
            f'<rect x="{legend_x}" y="8" width="10" height="10" fill="{colour}"/>'
            f'<text class="legend" x="{legend_x + 14}" y="17">{escape(name)}</text>'
        )
        legend_x += 24 + 13 * len(name)
    parts.append("</svg>")
    return Markup("".join(parts))
