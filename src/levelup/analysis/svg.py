"""Charts as plain data: shapes with coordinates, classes, tooltips and links.

Sections compute a chart's geometry here (scales that fit the data) and the page
template turns the shapes into autoescaped inline SVG: no markup assembled by
hand, no script, colours from CSS variables for the light and the dark theme.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

WIDTH = 960
HALF_WIDTH = 540
MARGIN_LEFT = 56
MARGIN_RIGHT = 20
MARGIN_TOP = 16
MARGIN_BOTTOM = 40


@dataclass
class Shape:
    """One SVG element; `kind` is the element name the template draws."""

    kind: str  # "rect" | "circle" | "line" | "polyline" | "text" | "path"
    cls: str = ""
    x: float = 0.0
    y: float = 0.0
    w: float = 0.0
    h: float = 0.0
    x2: float = 0.0
    y2: float = 0.0
    r: float = 0.0
    points: str = ""
    text: str = ""
    anchor: str = ""
    tip: str = ""
    href: str = ""
    style: str = ""


@dataclass
class Legend:
    css: str  # a CSS colour, usually var(--name)
    label: str
    faint: bool = False


@dataclass
class Chart:
    """A chart ready to draw: its id (tests find it by id), size, shapes and legend."""

    id: str
    title: str
    height: int
    shapes: list[Shape] = field(default_factory=list)
    width: int = WIDTH
    legend: list[Legend] = field(default_factory=list)
    note: str = ""
    empty: bool = False


def num(value: float) -> str:
    """Coordinates with one decimal at most: smaller pages, same picture."""
    return f"{value:.1f}".rstrip("0").rstrip(".")


def empty_chart(chart_id: str, title: str, message: str, width: int = WIDTH) -> Chart:
    """A framed message where a chart has nothing to draw (the page still has its slot)."""
    return Chart(
        chart_id,
        title,
        80,
        [
            Shape("rect", "frame", 1, 1, width - 2, 78),
            Shape("text", "", width / 2, 45, text=message, anchor="middle"),
        ],
        width=width,
        empty=True,
    )


def tick_step(span: float, ticks: int = 5) -> float:
    """A 1-2-2.5-5 step giving about `ticks` grid lines over `span`."""
    raw = span / ticks or 1
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= factor * magnitude:
            return factor * magnitude
    return 10 * magnitude


def ticks(low: float, high: float, count: int = 5) -> Iterator[float]:
    """The round values from `low` to `high` where grid lines go (about `count`)."""
    step = tick_step(high - low, count)
    tick = math.ceil(low / step - 1e-9) * step
    while tick <= high + 1e-9:
        yield tick
        tick += step


def nice_range(
    values: Sequence[float], *, floor: float | None = None, ceil: float | None = None, pad=0.06
) -> tuple[float, float]:
    """A range a little wider than the values, on round numbers, clamped to [floor, ceil]
    (never forced to zero: the axis is there to show the differences)."""
    finite = [v for v in values if v is not None and math.isfinite(v)]
    if not finite:
        return (floor or 0.0, ceil if ceil is not None else 1.0)
    low, high = min(finite), max(finite)
    span = high - low or max(abs(high) * 0.1, 1.0)
    low -= span * pad
    high += span * pad
    step = tick_step(high - low)
    low = math.floor(low / step) * step
    high = math.ceil(high / step) * step
    if floor is not None:
        low = max(floor, low)
    if ceil is not None:
        high = min(ceil, high)
    if high <= low:
        high = low + step
    return low, high


@dataclass
class Frame:
    """The plot area of a chart and its value -> pixel mappings."""

    width: int
    height: int
    low: float
    high: float
    left: float = MARGIN_LEFT
    right: float = MARGIN_RIGHT
    top: float = MARGIN_TOP
    bottom: float = MARGIN_BOTTOM

    @property
    def plot_w(self) -> float:
        return self.width - self.left - self.right

    @property
    def plot_h(self) -> float:
        return self.height - self.top - self.bottom

    def y(self, value: float) -> float:
        value = min(max(value, self.low), self.high)
        return self.top + self.plot_h * (1 - (value - self.low) / ((self.high - self.low) or 1))

    def x_index(self, index: float, count: int) -> float:
        """Evenly spaced points (matches in order, not in time)."""
        if count <= 1:
            return self.left + self.plot_w / 2
        return self.left + self.plot_w * index / (count - 1)

    def slot_x(self, index: int, count: int) -> float:
        """The centre of the index-th of `count` equal slots (a bar chart's bars)."""
        slot = self.plot_w / count
        return self.left + slot * index + slot / 2

    def y_grid(self, fmt: Callable[[float], str]) -> list[Shape]:
        shapes = []
        for tick in ticks(self.low, self.high):
            y = self.y(tick)
            shapes.append(Shape("line", "axis", self.left, y, x2=self.width - self.right, y2=y))
            shapes.append(Shape("text", "", self.left - 6, y + 4, text=fmt(tick), anchor="end"))
        return shapes

    def rule(self, value: float, cls: str, tip: str = "") -> Shape:
        """A horizontal line across the plot at `value` (zero, or the whole scope's figure)."""
        y = self.y(value)
        return Shape("line", cls, self.left, y, x2=self.width - self.right, y2=y, tip=tip)

    def square(
        self, index: int, count: int, value: float, cls: str, tip: str, href: str, side: float = 5
    ) -> Shape:
        """The mark of one match (or run) of a point chart, centred on its place."""
        x, y = self.x_index(index, count), self.y(value)
        return Shape("rect", cls, x - side / 2, y - side / 2, side, side, tip=tip, href=href)

    def bar(
        self, index: int, count: int, value: float, cls: str, tip: str, href: str, min_h=0.5
    ) -> Shape:
        """The bar of one match (or run), from zero to `value`, up or down."""
        width = max(1.0, self.plot_w / count * 0.78)
        y, zero = self.y(value), self.y(0)
        x = self.slot_x(index, count) - width / 2
        return Shape(
            "rect", cls, x, min(y, zero), width, max(abs(zero - y), min_h), tip=tip, href=href
        )

    def line(self, values: Sequence[float | None], cls: str) -> list[Shape]:
        """A polyline through the known values, evenly spaced (none when none is known)."""
        count = len(values)
        points = " ".join(
            f"{num(self.x_index(i, count))},{num(self.y(v))}"
            for i, v in enumerate(values)
            if v is not None
        )
        return [Shape("polyline", cls, points=points)] if points else []

    def dates(self, starts: Sequence[dt.datetime | None], *, bars: bool = False) -> list[Shape]:
        """Date labels under the points (or the bars) of a chart over the match order."""
        count = len(starts)
        place = self.slot_x if bars else self.x_index
        return x_dates(starts, lambda i: place(i, count), self.height)


def x_dates(
    starts: Sequence[dt.datetime | None], x_of: Callable[[int], float], height: int
) -> list[Shape]:
    """About six date labels under the x axis (matches are evenly spaced, dates are not)."""
    n = len(starts)
    if n == 0:
        return []
    positions = sorted({round(i * (n - 1) / 5) for i in range(6)}) if n > 1 else [0]
    known = [s for s in starts if s is not None]
    # Within a few days the dates repeat: the time of day tells the points apart.
    short = bool(known) and (max(known) - min(known)) < dt.timedelta(days=3)
    shapes = []
    for index in positions:
        start = starts[index]
        label = (
            (start.strftime("%m-%d %H:%M" if short else "%Y-%m-%d")) if start else f"#{index + 1}"
        )
        anchor = (
            "start" if index == 0 and n > 1 else "end" if index == n - 1 and n > 1 else "middle"
        )
        shapes.append(Shape("text", "", x_of(index), height - 14, text=label, anchor=anchor))
    return shapes


def fmt_axis_pct(value: float) -> str:
    return f"{value:g}%"


def fmt_axis_num(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 10 or value == int(value) else f"{value:g}"


@dataclass
class BarRow:
    """One row of a horizontal bar chart."""

    label: str
    value: float | None
    text: str
    detail: str = ""
    css: str = ""
    href: str = ""


BAR_ROW_H = 30


def horizontal_bars(
    chart_id: str,
    title: str,
    rows: list[BarRow],
    *,
    fmt: Callable[[float], str] = fmt_axis_pct,
    width: int = WIDTH,
    label_w: int = 230,
    floor: float | None = 0.0,
    ceil: float | None = None,
    zero: bool = False,
) -> Chart:
    """One mark per row on an axis fitted to the values, so 43% and 51% look different:
    its tick labels say where it starts and each row prints its value. An axis that
    starts at zero draws bars (counts, `zero=True`, always do); a zoomed one draws a
    dot at each value on a dotted guide, since a bar from 45% would make 47.9% look
    three times 45.7%."""
    values = [r.value for r in rows if r.value is not None]
    if not rows or not values:
        return empty_chart(chart_id, title, "Nothing to show", width)
    height = MARGIN_TOP + BAR_ROW_H * len(rows) + 30
    low, high = nice_range([*values, 0.0] if zero else values, floor=floor, ceil=ceil, pad=0.25)
    if zero:
        low = 0.0
    # Room on the right for the longest "value  detail" text (12px text, ~7px a character).
    longest = max(len(r.text) + (len(r.detail) + 2 if r.detail else 0) for r in rows)
    right = min(width * 0.45, 16 + 7 * longest)
    frame = Frame(width, height, low, high, left=label_w, right=right, bottom=30)
    shapes: list[Shape] = []
    for tick in ticks(low, high, 4):
        x = frame.left + frame.plot_w * (tick - low) / ((high - low) or 1)
        shapes.append(Shape("line", "axis", x, MARGIN_TOP - 4, x2=x, y2=height - 24))
        shapes.append(Shape("text", "", x, height - 8, text=fmt(tick), anchor="middle"))
    dots = not low <= 0.0 <= high  # a bar's length means something only from zero
    for index, row in enumerate(rows):
        shapes += _bar_row(frame, MARGIN_TOP + index * BAR_ROW_H, row, dots=dots)
    return Chart(chart_id, title, height, shapes, width=width)


def _bar_row(frame: Frame, y: float, row: BarRow, *, dots: bool = False) -> list[Shape]:
    """A row's label (cut to fit, whole in its tooltip), its bar (or its dot on a guide
    across the plot), and its value beside it."""
    label_w, low, high = frame.left, frame.low, frame.high
    max_label = int(label_w) // 7
    label = row.label if len(row.label) <= max_label else row.label[: max_label - 1] + "…"
    shapes = [Shape("text", "label", label_w - 10, y + 19, text=label, anchor="end", tip=row.label)]
    mid = y + BAR_ROW_H / 2
    if dots:
        shapes.append(Shape("line", "guide", label_w, mid, x2=label_w + frame.plot_w, y2=mid))
    text_x = label_w + 8
    if row.value is not None:
        bar_w = frame.plot_w * (min(max(row.value, low), high) - low) / ((high - low) or 1)
        tip = f"{row.label}: {row.text}" + (f", {row.detail}" if row.detail else "")
        cls = f"{'dot' if dots else 'bar'} {row.css}".strip()
        if dots:
            mark = Shape("circle", cls, label_w + bar_w, mid, r=6, tip=tip, href=row.href)
        else:
            mark = Shape("rect", cls, label_w, y + 5, max(bar_w, 2), BAR_ROW_H - 10, tip=tip,
                         href=row.href)  # fmt: skip
        shapes.append(mark)
        text_x = label_w + max(bar_w, 2) + (14 if dots else 8)
    detail = f"  {row.detail}" if row.detail else ""
    shapes.append(Shape("text", "label", text_x, y + 19, text=f"{row.text}{detail}"))
    return shapes
