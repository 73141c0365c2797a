"""The site's charts as small inline SVG, drawn here: forecast histories and calibration.

Each chart is a string of SVG markup made from numbers and escaped text only; its ids
start with the ``prefix`` the page gives it, so that no two charts of a page share an
id. Coordinates are rounded to one decimal, to keep pages small. Every chart has
``role="img"`` and a ``<title>``; the numbers it draws are also in a table or in words
on its page.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from html import escape

import attrs

from ..scoring import CalibrationBin

PALETTE = ("#1f5fbf", "#c0392b", "#1e8449", "#8e44ad", "#b9770e", "#117a8b", "#6d4c41", "#c2185b")
"""Line colours, each with at least 4.5:1 contrast on white; past eight, lines also get dashes."""
DASHES = ("", "6 3", "2 3", "8 3 2 3")
COMMUNITY_COLOUR = "#1d2330"

WIDTH, HEIGHT = 640, 300
_LEFT, _RIGHT, _TOP, _BOTTOM = 56, 44, 16, 44


@attrs.frozen
class Line:
    """One line of a step chart: a name, its colour and dashes, and its steps (day, value) in day order."""

    name: str
    colour: str
    dash: str
    steps: tuple[tuple[dt.date, float], ...]
    width: float = 2.0
    marked: bool = True
    """Whether each step is marked with a dot (an author's forecasts; not the community's daily points)."""


def style(index: int) -> tuple[str, str]:
    """The colour and dash pattern of the ``index``-th line of a chart."""
    return PALETTE[index % len(PALETTE)], DASHES[(index // len(PALETTE)) % len(DASHES)]


def _r(value: float) -> str:
    """A coordinate, rounded to one decimal, without a trailing ``.0``."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _ticks(low: float, high: float, count: int = 5) -> list[float]:
    if high <= low:
        return [low]
    step = (high - low) / count
    return [low + i * step for i in range(count + 1)]


def _date_ticks(first: dt.date, last: dt.date) -> list[dt.date]:
    """Up to six evenly spaced days from ``first`` to ``last``."""
    span = (last - first).days
    if span <= 0:
        return [first]
    count = min(5, span)
    return [first + dt.timedelta(days=round(i * span / count)) for i in range(count + 1)]


def step_chart(
    prefix: str,
    title: str,
    lines: Sequence[Line],
    end: dt.date,
    value_range: tuple[float, float] = (0.0, 1.0),
    percent: bool = True,
) -> str:
    """A step chart of forecasts over time: each line holds its value until its next step, up to ``end``."""
    days = [day for line in lines for day, _ in line.steps]
    if not days:
        return ""
    first, last = min(days), max(max(days), end)
    if last <= first:  # every forecast on the day it ends: give the steps a day to show on
        last = first + dt.timedelta(days=1)
    low, high = value_range
    plot_w, plot_h = WIDTH - _LEFT - _RIGHT, HEIGHT - _TOP - _BOTTOM
    span = max((last - first).days, 1)

    def x(day: dt.date) -> float:
        return _LEFT + plot_w * (day - first).days / span

    def y(value: float) -> float:
        return _TOP + plot_h * (1 - (value - low) / ((high - low) or 1.0))

    parts = [_svg_open(prefix, title, WIDTH, HEIGHT)]
    parts += _y_axis(_ticks(low, high), y, percent)
    for day in _date_ticks(first, last):
        parts.append(
            f'<text x="{_r(x(day))}" y="{HEIGHT - _BOTTOM + 18}" text-anchor="middle" class="tick">'
            f"{day.isoformat()}</text>"
        )
    parts.append(
        f'<line x1="{_LEFT}" y1="{HEIGHT - _BOTTOM}" x2="{WIDTH - _RIGHT}" y2="{HEIGHT - _BOTTOM}" class="axis"/>'
    )
    for line in lines:
        parts.append(_path(line, x, y, last))
    parts.append("</svg>")
    return "".join(parts)


def _path(line: Line, x: Callable[[dt.date], float], y: Callable[[float], float], last: dt.date) -> str:
    points = []
    for i, (day, value) in enumerate(line.steps):
        following = line.steps[i + 1][0] if i + 1 < len(line.steps) else last
        points.append(f"{_r(x(day))},{_r(y(value))} {_r(x(following))},{_r(y(value))}")
    dash = f' stroke-dasharray="{line.dash}"' if line.dash else ""
    return (
        f'<polyline points="{" ".join(points)}" fill="none" stroke="{line.colour}" stroke-width="{line.width:g}"'
        f"{dash}><title>{escape(line.name)}</title></polyline>"
    )


def _svg_open(prefix: str, title: str, width: int, height: int) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img"'
        f' aria-labelledby="{escape(prefix)}-title" class="chart">'
        f'<title id="{escape(prefix)}-title">{escape(title)}</title>'
    )


def _y_axis(ticks: Sequence[float], y: Callable[[float], float], percent: bool) -> list[str]:
    parts = []
    for tick in ticks:
        at = _r(y(tick))
        label = f"{tick * 100:.0f}%" if percent else f"{tick:.3g}"
        parts.append(f'<line x1="{_LEFT}" y1="{at}" x2="{WIDTH - _RIGHT}" y2="{at}" class="grid"/>')
        parts.append(f'<text x="{_LEFT - 6}" y="{at}" dy="4" text-anchor="end" class="tick">{label}</text>')
    return parts


CAL_W, CAL_H = 560, 420
_CL, _CT, _CS = 64, 20, 320
"""The calibration plot's square: left, top, side."""


def calibration_chart(prefix: str, title: str, bins: Sequence[CalibrationBin]) -> str:
    """Observed frequency against forecast, per bucket, with the Wilson 95% band and each bucket's count.

    The legend sits to the right of the square, outside the data.
    """

    def x(p: float) -> float:
        return _CL + _CS * p

    def y(p: float) -> float:
        return _CT + _CS * (1 - p)

    parts = [_svg_open(prefix, title, CAL_W, CAL_H)]
    for tick in _ticks(0.0, 1.0):
        parts.append(f'<line x1="{_r(x(tick))}" y1="{_CT}" x2="{_r(x(tick))}" y2="{_CT + _CS}" class="grid"/>')
        parts.append(f'<line x1="{_CL}" y1="{_r(y(tick))}" x2="{_CL + _CS}" y2="{_r(y(tick))}" class="grid"/>')
        parts.append(
            f'<text x="{_r(x(tick))}" y="{_CT + _CS + 18}" text-anchor="middle" class="tick">{tick * 100:.0f}%</text>'
        )
        parts.append(
            f'<text x="{_CL - 8}" y="{_r(y(tick))}" dy="4" text-anchor="end" class="tick">{tick * 100:.0f}%</text>'
        )
    parts.append(f'<text x="{_CL + _CS / 2:g}" y="{CAL_H - 24}" text-anchor="middle" class="label">forecast</text>')
    parts.append(
        f'<text x="16" y="{_CT + _CS / 2:g}" text-anchor="middle" class="label"'
        f' transform="rotate(-90 16 {_CT + _CS / 2:g})">came true</text>'
    )
    parts.append(f'<line x1="{_CL}" y1="{_CT + _CS}" x2="{_CL + _CS}" y2="{_CT}" class="diagonal"/>')
    for b in bins:
        if b.mean_forecast is None or b.observed is None or not b.count:
            continue
        cx, cy = _r(x(b.mean_forecast)), _r(y(b.observed))
        low, high = b.interval
        parts.append(f'<rect x="{_r(x(b.low))}" y="{_r(y(high))}" width="{_r(_CS * (b.high - b.low))}"')
        parts.append(f' height="{_r(_CS * (high - low))}" class="band"/>')
        parts.append(f'<circle cx="{cx}" cy="{cy}" r="5" class="point"/>')
        parts.append(f'<text x="{cx}" y="{cy}" dx="8" dy="-8" class="count">{b.count}</text>')
    parts += _calibration_legend()
    parts.append("</svg>")
    return "".join(parts)


def _calibration_legend() -> list[str]:
    at = _CL + _CS + 24
    return [
        f'<line x1="{at}" y1="36" x2="{at + 24}" y2="36" class="diagonal"/>',
        f'<text x="{at + 30}" y="40" class="legend">perfect</text>',
        f'<text x="{at + 30}" y="56" class="legend">calibration</text>',
        f'<rect x="{at}" y="74" width="24" height="14" class="band"/>',
        f'<text x="{at + 30}" y="86" class="legend">95% interval</text>',
        f'<circle cx="{at + 12}" cy="110" r="5" class="point"/>',
        f'<text x="{at + 30}" y="114" class="legend">observed</text>',
        f'<text x="{at}" y="142" class="legend">numbers: how</text>',
        f'<text x="{at}" y="158" class="legend">many forecasts</text>',
    ]
