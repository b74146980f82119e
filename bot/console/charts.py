"""Small SVG charts drawn on the server: a bar chart and a line chart, nothing else.

The console's CSP allows no inline script and the overview needs only two simple charts, so a few
dozen lines of SVG beat a chart library: the markup is plain, readable without JavaScript, and
every label is escaped here. Colours come as arguments; sizes are in SVG units and scale with CSS.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

FONT = 12
PALETTE = ("#1d3b5c", "#f0b429", "#c0392b", "#3e8e41", "#7b61a8", "#52606d")


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[int]
    color: str


def nice_top(value: int) -> int:
    """The axis maximum: ``value`` rounded up to 1, 2 or 5 times a power of ten (at least 1)."""
    if value <= 1:
        return 1
    power = 10 ** int(math.floor(math.log10(value)))
    for step in (1, 2, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power  # pragma: no cover - the loop always returns


def _ticks(top: int) -> list[int]:
    """Evenly spaced whole numbers from 0 to ``top`` (a ``nice_top``): 5 steps, else 4, 2 or 1."""
    count = next(c for c in (5, 4, 2, 1) if top % c == 0)
    return [top * i // count for i in range(count + 1)]


def bar_chart(labels: Sequence[str], values: Sequence[int], title: str, width: int = 560, height: int = 260) -> Markup:
    """Vertical bars, one per label, with the value above each bar and a y axis from 0; the labels
    are set at a slant, so that long state names of many bars do not run into each other."""
    left, right, top_pad, bottom = 44, 10, 16, 80
    plot_w, plot_h = width - left - right, height - top_pad - bottom
    top = nice_top(max(values, default=0))
    parts = [_open(width, height, title)]
    for tick in _ticks(top):
        y = top_pad + plot_h - plot_h * tick / top
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="#e4e7eb"/>')
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="{FONT}" fill="#52606d">{tick}</text>')
    slot = plot_w / max(len(values), 1)
    bar_w = min(48.0, slot * 0.6)
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        x = left + slot * i + (slot - bar_w) / 2
        h = plot_h * value / top
        y = top_pad + plot_h - h
        parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" fill="{PALETTE[0]}">'
                     f'<title>{escape(label)}: {value}</title></rect>')
        parts.append(f'<text x="{x + bar_w / 2:.1f}" y="{y - 4:.1f}" text-anchor="middle" font-size="{FONT}" fill="#1f2933">{value}</text>')
        lx, ly = x + bar_w / 2 + 4, top_pad + plot_h + 14
        parts.append(f'<text x="{lx:.1f}" y="{ly:.1f}" text-anchor="end" font-size="{FONT}" fill="#1f2933" '
                     f'transform="rotate(-35 {lx:.1f} {ly:.1f})">{escape(label)}</text>')
    parts.append(f'<line x1="{left}" y1="{top_pad + plot_h}" x2="{width - right}" y2="{top_pad + plot_h}" stroke="#7b8794"/>')
    parts.append("</svg>")
    return Markup("".join(parts))


def line_chart(x_labels: Sequence[str], series: Sequence[Series], title: str, width: int = 560, height: int = 260,
               label_every: int = 5) -> Markup:
    """One polyline per series over shared x labels (every ``label_every``-th shown), with a legend."""
    left, right, top_pad, bottom = 44, 24, 16, 56
    plot_w, plot_h = width - left - right, height - top_pad - bottom
    top = nice_top(max((max(s.values, default=0) for s in series), default=0))
    count = len(x_labels)
    step = plot_w / max(count - 1, 1)
    parts = [_open(width, height, title)]
    for tick in _ticks(top):
        y = top_pad + plot_h - plot_h * tick / top
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="#e4e7eb"/>')
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="{FONT}" fill="#52606d">{tick}</text>')
    for i, label in enumerate(x_labels):
        if i % label_every == 0 or i == count - 1:
            anchor = "end" if i == count - 1 and count > 1 else "middle"
            parts.append(f'<text x="{left + step * i:.1f}" y="{top_pad + plot_h + 16}" text-anchor="{anchor}" '
                         f'font-size="{FONT}" fill="#52606d">{escape(label)}</text>')
    for s in series:
        points = " ".join(f"{left + step * i:.1f},{top_pad + plot_h - plot_h * v / top:.1f}" for i, v in enumerate(s.values))
        parts.append(f'<polyline points="{points}" fill="none" stroke="{s.color}" stroke-width="2">'
                     f'<title>{escape(s.name)}</title></polyline>')
    x = left
    for s in series:
        parts.append(f'<rect x="{x}" y="{height - 18}" width="12" height="12" fill="{s.color}"/>')
        parts.append(f'<text x="{x + 16}" y="{height - 8}" font-size="{FONT}" fill="#1f2933">{escape(s.name)}</text>')
        x += 16 + FONT * (len(s.name) + 2)
    parts.append("</svg>")
    return Markup("".join(parts))


def _open(width: int, height: int, title: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
            f'aria-label="{escape(title)}" class="chart"><title>{escape(title)}</title>')
