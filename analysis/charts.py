"""Server-rendered SVG charts: geometry computed here, drawn by the templates.

No JavaScript and no inline style (the Content Security Policy forbids it): colours
come from CSS classes (`side-0`, `side-1`, … for the sides of a conflict, `third-N`
for other parties), and every chart has its numbers in a table beside it. Each chart
draws sensibly with no data (an empty frame with a message) and with a lot (labels
thinned out, bars narrowed, rows capped by the view).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date

WIDTH = 720
PLOT_LEFT = 48
PLOT_RIGHT = 16
PLOT_TOP = 16
PLOT_BOTTOM = 36
BARS_UP_TO_MONTHS = 18


def nice_max(value: float) -> int:
    """The smallest 1/2/5×10^n at or above value (at least 1)."""
    if value <= 1:
        return 1
    exp = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if step * exp >= value:
            return int(step * exp)
    return int(10 * exp)


@dataclass
class Tick:
    pos: float
    label: str


@dataclass
class Series:
    label: str
    css: str
    values: list[int]
    points: str = ""
    dots: list[tuple[float, float, int, str]] = field(default_factory=list)
    # (x, y, width, height, value, month label) when drawn as grouped bars.
    bars: list[tuple[float, float, float, float, int, str]] = field(default_factory=list)
    total: int = 0


@dataclass
class LineChart:
    width: int
    height: int
    plot_left: int
    plot_right: int
    plot_top: int
    plot_bottom: int
    series: list[Series]
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    empty: bool
    title: str
    as_bars: bool = False

    @property
    def center_x(self) -> float:
        return (self.plot_left + self.plot_right) / 2

    @property
    def center_y(self) -> float:
        return (self.plot_top + self.plot_bottom) / 2


def month_range(first: date, last: date) -> list[date]:
    months, y, m = [], first.year, first.month
    while (y, m) <= (last.year, last.month):
        months.append(date(y, m, 1))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return months


def line_chart(
    title: str, months: list[date], series: list[Series], height: int = 260
) -> LineChart:
    left, right = PLOT_LEFT, WIDTH - PLOT_RIGHT
    top, bottom = PLOT_TOP, height - PLOT_BOTTOM
    empty = not months or not any(sum(s.values) for s in series)
    top_value = nice_max(max((max(s.values, default=0) for s in series), default=0))
    n = len(months)
    # Few months: grouped bars (lines through one or two points say little, and equal
    # values would hide each other). Many months: one line per party.
    as_bars = 0 < n <= BARS_UP_TO_MONTHS
    slot = (right - left) / max(n, 1)
    bar_w = slot * 0.8 / max(len(series), 1)

    def x(i: int) -> float:
        if as_bars:
            return left + slot * (i + 0.5)
        return left + (right - left) / 2 if n == 1 else left + (right - left) * i / (n - 1)

    def y(v: int) -> float:
        return bottom - (bottom - top) * v / top_value

    for k, s in enumerate(series):
        s.total = sum(s.values)
        coords = [(round(x(i), 1), round(y(v), 1)) for i, v in enumerate(s.values)]
        if as_bars:
            s.bars = [
                (
                    round(left + slot * i + slot * 0.1 + bar_w * k, 1),
                    round(y(v), 1),
                    round(bar_w, 1),
                    round(bottom - y(v), 1),
                    v,
                    f"{months[i]:%b %Y}",
                )
                for i, v in enumerate(s.values)
                if v
            ]
            continue
        s.points = " ".join(f"{a},{b}" for a, b in coords)
        # Dots only where they can be told apart; the table has every number.
        if n <= 60:
            s.dots = [
                (a, b, v, f"{months[i]:%b %Y}")
                for i, ((a, b), v) in enumerate(zip(coords, s.values, strict=True))
            ]
    step = max(1, math.ceil(n / 10))
    if n > 24:
        # Label Januaries (every k-th year when there are many).
        years = max(1, math.ceil(n / 12 / 10))
        x_ticks = [
            Tick(round(x(i), 1), f"{m:%Y}")
            for i, m in enumerate(months)
            if m.month == 1 and m.year % years == 0
        ]
    else:
        x_ticks = [
            Tick(round(x(i), 1), f"{m:%b %Y}") for i, m in enumerate(months) if i % step == 0
        ]
    y_ticks = [Tick(round(y(v), 1), str(v)) for v in sorted({0, top_value // 2, top_value})]
    return LineChart(
        WIDTH, height, left, right, top, bottom, series, x_ticks, y_ticks, empty, title
    )


@dataclass
class LagDot:
    x: float
    css: str
    party: str
    days: int
    dy: float = 0.0


@dataclass
class LagRow:
    label: str
    y: float
    dots: list[LagDot]
    last_x: float


@dataclass
class LagChart:
    width: int
    height: int
    label_width: int
    plot_right: int
    rows: list[LagRow]
    x_ticks: list[Tick]
    empty: bool
    row_height: int = 22

    @property
    def center_x(self) -> float:
        return (self.label_width + self.plot_right) / 2


def lag_chart(entries: list[dict], label_width: int = 250) -> LagChart:
    """One row per incident: each side's first statement, in days after the first
    side spoke (the first speaker at 0). Entries: {label, dots: [(days, css,
    party)]}."""
    row_h = 22
    left, right = label_width, WIDTH - PLOT_RIGHT
    height = max(1, len(entries)) * row_h + PLOT_BOTTOM + 8
    max_lag = nice_max(max((d for e in entries for d, *_ in e["dots"]), default=0))

    def x(days: int) -> float:
        return round(left + (right - left) * days / max_lag, 1)

    rows = []
    for i, e in enumerate(entries):
        dots = [LagDot(x(d), css, party, d) for d, css, party in e["dots"]]
        # Sides that spoke on the same day would hide each other: spread them a little.
        for k, dot in enumerate(dots):
            dot.dy = round((k - (len(dots) - 1) / 2) * 5, 1)
        rows.append(
            LagRow(
                label=e["label"],
                y=8 + i * row_h + row_h / 2,
                dots=dots,
                last_x=max((d.x for d in dots), default=x(0)),
            )
        )
    ticks = [Tick(x(v), f"{v} d") for v in sorted({0, max_lag // 2, max_lag})]
    return LagChart(WIDTH, height, left, right, rows, ticks, empty=not entries)


@dataclass
class Segment:
    x: float
    width: float
    css: str
    label: str
    count: int


@dataclass
class BarRow:
    label: str
    y: float
    total: int
    segments: list[Segment]


@dataclass
class BarChart:
    width: int
    height: int
    label_width: int
    plot_right: int
    rows: list[BarRow]
    empty: bool
    bar_height: int = 18


def stacked_bars(
    rows: list[tuple[str, list[tuple[str, str, int]]]], label_width: int = 200
) -> BarChart:
    """Horizontal bars, each split into (label, css class, count) segments; every bar
    is scaled to the largest total so that volumes stay comparable."""
    row_h = 28
    left, right = label_width, WIDTH - PLOT_RIGHT
    biggest = max((sum(n for *_, n in segs) for _, segs in rows), default=0) or 1
    out = []
    for i, (label, segs) in enumerate(rows):
        pos = float(left)
        segments = []
        for seg_label, css, n in segs:
            if not n:
                continue
            w = round((right - left) * n / biggest, 1)
            segments.append(Segment(round(pos, 1), w, css, seg_label, n))
            pos += w
        out.append(BarRow(label, 8 + i * row_h, sum(n for *_, n in segs), segments))
    height = max(1, len(rows)) * row_h + 16
    return BarChart(WIDTH, height, left, right, out, empty=not any(r.total for r in out))
