"""Bar charts drawn on the server as accessible SVG: no script, no styles or fonts fetched from elsewhere.

Each chart is one image to assistive technology (``role="img"``), named by its ``<title>`` and described by a
``<desc>`` that says its numbers in words. Every bar is a ``<g>`` with its own ``<title>`` (a tooltip with its
value); axis and tick labels are ``<text>``. The chart has a viewBox and ``width="100%"`` and no fixed size, so
it reflows to its container down to 320 CSS pixels. Colours: bars #1d70b8 and text #0b0c0c on white (5.2:1 and
19:1). Pages show the same numbers in a table beside the chart (``histogram_rows`` and ``bar_rows`` give them).

Every piece of text that comes from a caller is escaped; an id must be a plain token, since it is joined into
``aria-labelledby``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Sequence

from markupsafe import Markup, escape

WIDTH, HEIGHT = 400, 250
#: The plot's margins inside the viewBox: room for tick labels on the left and below, and for the axis labels.
LEFT, RIGHT, TOP, BOTTOM = 52, 12, 12, 58
BAR = "#1d70b8"
INK = "#0b0c0c"
#: Grid lines only guide the eye (the tick labels and the table carry the values), so they may be light.
GRID = "#b1b4b6"
TICK_SIZE, LABEL_SIZE = 12, 13
_TOKEN = re.compile(r"[A-Za-z][A-Za-z0-9_-]*\Z")


@dataclass(frozen=True)
class _Bar:
    #: What the bar's own title says about it, e.g. "0.7 to 0.8".
    name: str
    value: int


def _number(value: float) -> str:
    """A bin edge as a reader would write it: 0, 0.1, 0.25, -0.2."""
    return f"{value + 0.0:.3g}"


def _ticks(largest: int) -> list[int]:
    """Whole-number ticks from 0 to at least ``largest``: at most six, a step of 1, 2 or 5 times a power of ten."""
    if largest <= 0:
        return [0, 1]
    step = 1
    while math.ceil(largest / step) > 5:
        step = _next_step(step)
    return list(range(0, step * math.ceil(largest / step) + 1, step))


def _next_step(step: int) -> int:
    """1, 2, 5, 10, 20, 50, 100, …"""
    return step * 5 // 2 if str(step)[0] == "2" else step * 2


def _check_id(id: str) -> str:
    if not _TOKEN.match(id):
        raise ValueError(f"a chart's id must be a letter then letters, digits, '-' or '_', not {id!r}")
    return id


def _text(x: float, y: float, content: str, *, size: int, anchor: str = "middle", extra: str = "") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{size}" fill="{INK}"{extra}>'
            f"{escape(content)}</text>")


def _svg(bars: Sequence[_Bar], ticks_below: Sequence[tuple[float, str]], *, title: str, description: str,
         x_label: str, y_label: str, unit: str, id: str) -> Markup:
    """The chart: bars in equal slots, a grid of value ticks, the labels below (at slot fractions from 0 to 1)."""
    _check_id(id)
    inner_w, inner_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    base = TOP + inner_h
    ticks = _ticks(max((bar.value for bar in bars), default=0))
    top = ticks[-1]
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" role="img" '
        f'focusable="false" class="cop-chart__svg" aria-labelledby="{id}-title {id}-desc">',
        f'<title id="{id}-title">{escape(title)}</title>',
        f'<desc id="{id}-desc">{escape(description)}</desc>',
        # White behind the chart, so the contrast holds on a tinted or dark page too.
        f'<rect x="0" y="0" width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>',
    ]
    for tick in ticks:
        y = base - inner_h * tick / top
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID}" stroke-width="1"/>')
        parts.append(_text(LEFT - 6, y + 4, f"{tick:,}", size=TICK_SIZE, anchor="end"))
    slot = inner_w / max(len(bars), 1)
    for n, bar in enumerate(bars):
        height = inner_h * bar.value / top
        parts.append(
            f'<g class="cop-chart__bar"><title>{escape(x_label)} {escape(bar.name)}: {bar.value:,} {escape(unit)}</title>'
            f'<rect x="{LEFT + n * slot + slot * 0.1:.1f}" y="{base - height:.1f}" width="{slot * 0.8:.1f}" '
            f'height="{height:.1f}" fill="{BAR}"/></g>'
        )
    for fraction, label in ticks_below:
        parts.append(_text(LEFT + inner_w * fraction, base + 17, label, size=TICK_SIZE))
    parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{base}" y2="{base}" stroke="{INK}" stroke-width="1"/>')
    parts.append(_text(LEFT + inner_w / 2, HEIGHT - 10, x_label, size=LABEL_SIZE))
    middle = TOP + inner_h / 2
    parts.append(_text(15, middle, y_label, size=LABEL_SIZE, extra=f' transform="rotate(-90 15 {middle:.1f})"'))
    parts.append("</svg>")
    return Markup("".join(parts))


def _describe(bars: Sequence[_Bar], *, title: str, x_label: str, unit: str) -> str:
    """The numbers in words: every bar that is not empty, the total and the largest."""
    total = sum(bar.value for bar in bars)
    if total == 0:
        return f"{title}: no {unit} to show."
    said = "; ".join(f"{bar.name}: {bar.value:,}" for bar in bars if bar.value)
    largest = max(bars, key=lambda bar: bar.value)
    return (f"{title}. {total:,} {unit} in all; by {x_label.lower()}, {said}. "
            f"The most ({largest.value:,}) at {largest.name}.")


def histogram(bins: Sequence[tuple[float, float, int]], *, title: str, x_label: str, y_label: str, id: str) -> Markup:
    """Counts per band of values, such as matched pairs per band of similarity: adjacent bars, edges below."""
    bars = [_Bar(name, count) for name, count in histogram_rows(bins)]
    unit = y_label.lower()
    edges = [(0.0, _number(bins[0][0]))] if bins else []
    edges += [((n + 1) / len(bins), _number(high)) for n, (_low, high, _count) in enumerate(bins)]
    return _svg(bars, edges, title=title, description=_describe(bars, title=title, x_label=x_label, unit=unit),
                x_label=x_label, y_label=y_label, unit=unit, id=id)


def bar_chart(bars: Sequence[tuple[str, int]], *, title: str, x_label: str, y_label: str, id: str) -> Markup:
    """One bar per labelled count, such as mentors per number of newcomers: each label under its bar."""
    drawn = [_Bar(str(label), int(count)) for label, count in bars]
    unit = y_label.lower()
    labels = [((n + 0.5) / len(drawn), bar.name) for n, bar in enumerate(drawn)]
    return _svg(drawn, labels, title=title, description=_describe(drawn, title=title, x_label=x_label, unit=unit),
                x_label=x_label, y_label=y_label, unit=unit, id=id)


def histogram_rows(bins: Sequence[tuple[float, float, int]]) -> list[tuple[str, int]]:
    """The table beside a histogram: ("0.7 to 0.8", count) per band."""
    return [(f"{_number(low)} to {_number(high)}", int(count)) for low, high, count in bins]


def bar_rows(bars: Sequence[tuple[str, int]]) -> list[tuple[str, int]]:
    """The table beside a bar chart: (label, count) per bar, as the chart shows them."""
    return [(str(label), int(count)) for label, count in bars]
