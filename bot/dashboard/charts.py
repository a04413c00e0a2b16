"""Server-side SVG charts for the dashboard: bars, lines and a progress meter.

No script, no external asset: each chart is one inline <svg> with role="img", a <title> and a <desc> for screen
readers, and a <title> on every bar or series. Texts are escaped here; numbers arrive formatted by the caller
(babel, in the reader's locale). Widths are viewBox units: the page's CSS scales a chart to the screen.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape
from typing import Callable, Sequence

Fmt = Callable[[float], str]
WIDTH = 400
FONT = 'font-family="system-ui,-apple-system,Segoe UI,Roboto,sans-serif"'
BAR, ROW, BAR_H, TOP = "#2b6cb0", 34, 13, 30
MARKER_COLOURS = ("#b7791f", "#2f855a", "#9b2c2c")
SERIES_COLOURS = ("#2b6cb0", "#dd6b20", "#2f855a")


@dataclass(frozen=True)
class Bar:
    """One bar: its label, its value (None = no data) and an optional link."""

    label: str
    value: float | None
    href: str = ""


@dataclass(frozen=True)
class Marker:
    """A reference line across a chart (the campaign's starting point, its target)."""

    value: float
    label: str


@dataclass(frozen=True)
class Series:
    """One line of a line chart."""

    name: str
    values: Sequence[float]


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _open(chart_id: str, height: float, title: str, desc: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height:.0f}" role="img"'
            f' aria-labelledby="{chart_id}-t {chart_id}-d" class="chart" {FONT} font-size="12">'
            f'<title id="{chart_id}-t">{_e(title)}</title><desc id="{chart_id}-d">{_e(desc)}</desc>')


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 2.5, 5 × 10^k at or above value (an axis' end); 1 for nothing."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    return next(step * power for step in (1, 2, 2.5, 5, 10) if step * power >= value * 0.999999)


def axis(value: float, ticks: int = 4) -> tuple[float, int]:
    """A round step (1, 2 or 5 × 10^k) and how many steps reach value: an axis with whole, readable ticks."""
    raw = max(value, 1e-9) / ticks
    power = 10 ** math.floor(math.log10(raw))
    step = next(s * power for s in (1, 2, 5, 10) if s * power >= raw * 0.999999)
    if value >= 1:
        step = max(step, 1)
    return step, max(1, math.ceil(value / step - 1e-9))


def bar_chart(bars: Sequence[Bar], *, chart_id: str, title: str, desc: str, fmt: Fmt,
              markers: Sequence[Marker] = (), maximum: float | None = None) -> str:
    """Horizontal bars, each label above its bar (long names stay readable on a phone), markers as dashed lines."""
    top = TOP if markers else 8
    height = top + ROW * len(bars) + 6
    span = WIDTH - 70                       # room on the right for the value
    end = maximum or nice_ceiling(max([b.value or 0 for b in bars] + [m.value for m in markers] + [0]))
    scale = span / end if end else 0
    parts = [_open(chart_id, height, title, desc)]
    for n, bar in enumerate(bars):
        y = top + ROW * n
        width = max(0.0, min(span, (bar.value or 0) * scale))
        shown = fmt(bar.value) if bar.value is not None else "–"
        group = (f'<g><title>{_e(bar.label)}: {_e(shown)}</title>'
                 f'<text x="0" y="{y + 11}" fill="#1a202c">{_e(bar.label)}</text>'
                 f'<rect x="0" y="{y + 15}" width="{span}" height="{BAR_H}" fill="#edf2f7"/>'
                 f'<rect x="0" y="{y + 15}" width="{width:.1f}" height="{BAR_H}" fill="{BAR}"/>'
                 f'<text x="{span + 6}" y="{y + 26}" fill="#1a202c">{_e(shown)}</text></g>')
        parts.append(f'<a href="{_e(bar.href)}">{group}</a>' if bar.href else group)
    for n, marker in enumerate(markers):
        x = min(span, marker.value * scale)
        colour = MARKER_COLOURS[n % len(MARKER_COLOURS)]
        anchor = "end" if x > span * 0.6 else "start"
        parts.append(f'<g><title>{_e(marker.label)}</title>'
                     f'<line x1="{x:.1f}" y1="{8 + 12 * (n % 2)}" x2="{x:.1f}" y2="{height - 4}" stroke="{colour}"'
                     f' stroke-width="2" stroke-dasharray="4 3"/>'
                     f'<text x="{x + (-3 if anchor == "end" else 3):.1f}" y="{10 + 12 * (n % 2)}" fill="{colour}"'
                     f' text-anchor="{anchor}" font-size="11">{_e(marker.label)}</text></g>')
    return "".join(parts) + "</svg>"


def line_chart(labels: Sequence[str], series: Sequence[Series], *, chart_id: str, title: str, desc: str,
               fmt: Fmt, ticks: int = 4) -> str:
    """Lines over days (labels: the x axis, a few of them shown), a y axis with round ticks, and a legend."""
    left, right, top, bottom, height = 46, 8, 26, 24, 220
    plot_w, plot_h = WIDTH - left - right, height - top - bottom
    step, steps = axis(max([v for s in series for v in s.values] + [1]), ticks)
    end = step * steps
    count = max(1, len(labels) - 1)
    parts = [_open(chart_id, height, title, desc)]
    for i in range(steps + 1):
        value = step * i
        y = top + plot_h - plot_h * i / steps
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{WIDTH - right}" y2="{y:.1f}" stroke="#e2e8f0"/>'
                     f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end" fill="#4a5568"'
                     f' font-size="11">{_e(fmt(value))}</text>')
    shown = sorted({round(i * (len(labels) - 1) / 4) for i in range(5)}) if len(labels) > 1 else [0]
    for i in shown if labels else []:
        x = left + plot_w * i / count
        anchor = "start" if i == 0 and len(labels) > 1 else "end" if i == len(labels) - 1 else "middle"
        parts.append(f'<text x="{x:.1f}" y="{height - 6}" text-anchor="{anchor}" fill="#4a5568"'
                     f' font-size="11">{_e(labels[i])}</text>')
    for n, line in enumerate(series):
        colour = SERIES_COLOURS[n % len(SERIES_COLOURS)]
        points = " ".join(f"{left + plot_w * i / count:.1f},{top + plot_h - plot_h * v / end:.1f}"
                          for i, v in enumerate(line.values))
        parts.append(f'<g><title>{_e(line.name)}</title><polyline points="{points}" fill="none"'
                     f' stroke="{colour}" stroke-width="2" stroke-linejoin="round"/></g>')
        x = left + 130 * n
        parts.append(f'<rect x="{x}" y="6" width="14" height="4" fill="{colour}"/>'
                     f'<text x="{x + 18}" y="12" fill="#1a202c" font-size="11">{_e(line.name)}</text>')
    return "".join(parts) + "</svg>"


def meter(value: float | None, markers: Sequence[Marker], *, chart_id: str, title: str, fmt: Fmt,
          maximum: float = 1.0) -> str:
    """One rate as a filled bar from 0 to maximum, with its markers (starting point, target)."""
    height, span = 44, WIDTH - 2
    scale = span / maximum
    width = max(0.0, min(span, (value or 0) * scale))
    desc = ", ".join([f"{title}: {fmt(value) if value is not None else '–'}"]
                     + [f"{m.label}" for m in markers])
    parts = [_open(chart_id, height, title, desc),
             f'<rect x="1" y="16" width="{span}" height="14" rx="3" fill="#edf2f7"/>'
             f'<rect x="1" y="16" width="{width:.1f}" height="14" rx="3" fill="{BAR}"/>']
    for n, marker in enumerate(markers):
        x = 1 + min(span, marker.value * scale)
        colour = MARKER_COLOURS[n % len(MARKER_COLOURS)]
        anchor = "end" if x > span * 0.6 else "start"
        y = 11 if n % 2 == 0 else 42
        parts.append(f'<line x1="{x:.1f}" y1="13" x2="{x:.1f}" y2="33" stroke="{colour}" stroke-width="2"/>'
                     f'<text x="{x:.1f}" y="{y}" text-anchor="{anchor}" fill="{colour}"'
                     f' font-size="11">{_e(marker.label)}</text>')
    return "".join(parts) + "</svg>"
