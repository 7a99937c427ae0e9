"""The accuracy report as one self-contained web page.

The page must open offline, years later, from a file or an e-mail attachment:
no script, no font, no stylesheet and no image is fetched from anywhere. The
charts are inline SVG drawn here in Python (no JavaScript at all), coloured by
CSS variables so the same markup follows the light or dark system theme.

Large histories stay light: beyond `MAX_POINTS` matches, the points of the
time chart (and beyond `MAX_BARS` the bars of the shots chart) stand for runs
of consecutive matches, whose accuracy is again sum(hit) / sum(fired).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

import polars as pl

from levelup.analysis.accuracy import ROLLING_WINDOW, AccuracyReport, describe_scope
from levelup.analysis.terminal import NULL_LABELS, fmt_delta, fmt_int, fmt_pct

MAX_POINTS = 1500
MAX_BARS = 240
MAX_BAR_ROWS = 15

WIDTH = 960
HALF_WIDTH = 540
MARGIN_LEFT = 52
MARGIN_RIGHT = 20
MARGIN_TOP = 16
MARGIN_BOTTOM = 40

CSS = """
:root {
  color-scheme: light dark;
  --bg: #f7f8fa; --card: #ffffff; --fg: #1d2330; --muted: #5b6472; --grid: #e3e6ea;
  --you: #2563eb; --hit: #16a34a; --fired: #c7d0dc; --team: #0d9488; --opp: #dc2626;
  --lobby: #7c3aed; --warn: #b45309;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #111418; --card: #1a1e24; --fg: #e6e8eb; --muted: #9aa3af; --grid: #2b3038;
    --you: #60a5fa; --hit: #4ade80; --fired: #3f4a5a; --team: #2dd4bf; --opp: #f87171;
    --lobby: #a78bfa; --warn: #fbbf24;
  }
}
* { box-sizing: border-box; }
body {
  margin: 0; background: var(--bg); color: var(--fg);
  font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
}
main { max-width: 1120px; margin: 0 auto; padding: 24px 20px 48px; }
h1 { font-size: 1.6rem; margin: 0 0 4px; }
h2 { font-size: 1.15rem; margin: 0 0 10px; }
.sub { color: var(--muted); margin: 0 0 18px; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: 12px;
  margin-bottom: 18px; }
.card, section { background: var(--card); border-radius: 10px; padding: 14px 16px;
  box-shadow: 0 1px 2px rgba(0, 0, 0, .08); }
section { margin-bottom: 18px; }
.card .v { font-size: 1.5rem; font-weight: 650; }
.card .k { color: var(--muted); font-size: .85rem; }
.grid2 { display: grid; grid-template-columns: repeat(auto-fit, minmax(440px, 1fr)); gap: 18px; }
.grid2 section { margin-bottom: 0; }
.row { margin-bottom: 18px; }
svg.chart { width: 100%; height: auto; display: block; }
svg text { fill: var(--muted); font-size: 12px; }
svg .label { fill: var(--fg); }
svg .axis { stroke: var(--grid); stroke-width: 1; }
svg .pt { fill: var(--you); fill-opacity: .5; }
svg .roll { fill: none; stroke: var(--you); stroke-width: 2.2; }
svg .career { stroke: var(--muted); stroke-width: 1.2; stroke-dasharray: 5 4; }
svg .fired { fill: var(--fired); }
svg .hit { fill: var(--hit); }
svg .bar { fill: var(--you); }
svg .bar.team { fill: var(--team); }
svg .bar.opp { fill: var(--opp); }
svg .bar.lobby { fill: var(--lobby); }
.legend { color: var(--muted); font-size: .85rem; margin-top: 6px; }
.sw { display: inline-block; width: 10px; height: 10px; border-radius: 2px;
  margin: 0 4px 0 12px; vertical-align: -1px; }
table { border-collapse: collapse; width: 100%; font-size: .9rem; }
th, td { padding: 5px 8px; border-bottom: 1px solid var(--grid); text-align: right; }
th { color: var(--muted); font-weight: 600; }
th:first-child, td:first-child, td.l, th.l { text-align: left; }
.note { color: var(--muted); font-size: .88rem; }
.warn { color: var(--warn); }
details summary { cursor: pointer; color: var(--muted); margin: 8px 0; }
"""


def write_html(path: Path, report: AccuracyReport) -> Path:
    """Write the page (parents created) and return its absolute path."""
    path = Path(path)
    if path.parent != Path():
        path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(report), encoding="utf-8")
    return path.resolve()


# --- SVG primitives -------------------------------------------------------------------------


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _svg(chart_id: str, height: int, body: list[str], label: str, width: int = WIDTH) -> str:
    return (
        f'<svg class="chart" id="{chart_id}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(label)}">' + "".join(body) + "</svg>"
    )


def _title(text: str) -> str:
    return f"<title>{escape(text)}</title>"


def _nice_range(
    values: Sequence[float], floor: float = 0.0, ceil: float = 100.0
) -> tuple[float, float]:
    """A 10-point aligned y range around the values, inside [floor, ceil]."""
    if not values:
        return floor, ceil
    low = max(floor, math.floor((min(values) - 3) / 10) * 10)
    high = min(ceil, math.ceil((max(values) + 3) / 10) * 10)
    if high - low < 10:
        high = min(ceil, low + 10)
        low = max(floor, high - 10)
    return low, high


def _y_grid(low: float, high: float, height: int, fmt: str) -> tuple[list[str], Any]:
    """Horizontal grid lines and labels, and the value -> y mapping."""
    plot_h = height - MARGIN_TOP - MARGIN_BOTTOM

    def y_of(value: float) -> float:
        return MARGIN_TOP + plot_h * (1 - (value - low) / (high - low or 1))

    body = []
    step = _tick_step(high - low)
    tick = math.ceil(low / step) * step
    while tick <= high + 1e-9:
        y = y_of(tick)
        body.append(
            f'<line class="axis" x1="{MARGIN_LEFT}" x2="{WIDTH - MARGIN_RIGHT}" '
            f'y1="{_num(y)}" y2="{_num(y)}"/>'
        )
        body.append(
            f'<text x="{MARGIN_LEFT - 6}" y="{_num(y + 4)}" text-anchor="end">'
            f"{fmt.format(tick)}</text>"
        )
        tick += step
    return body, y_of


def _tick_step(span: float) -> float:
    raw = span / 5 or 1
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= factor * magnitude:
            return factor * magnitude
    return 10 * magnitude


def _x_dates(starts: Sequence[dt.datetime | None], x_of: Any, height: int) -> list[str]:
    """About six date labels under the x axis (matches are evenly spaced, dates are not)."""
    n = len(starts)
    if n == 0:
        return []
    positions = sorted({round(i * (n - 1) / 5) for i in range(6)}) if n > 1 else [0]
    body = []
    for index in positions:
        start = starts[index]
        label = start.strftime("%Y-%m-%d") if start else f"#{index + 1}"
        anchor = "start" if index == 0 else "end" if index == n - 1 else "middle"
        body.append(
            f'<text x="{_num(x_of(index))}" y="{height - MARGIN_BOTTOM + 18}" '
            f'text-anchor="{anchor}">{label}</text>'
        )
    return body


@dataclass
class _Bucket:
    start: dt.datetime | None
    end: dt.datetime | None
    matches: int
    fired: int
    hit: int
    rolling: float | None

    @property
    def accuracy(self) -> float | None:
        return self.hit * 100.0 / self.fired if self.fired else None


def _buckets(per_match: pl.DataFrame, limit: int) -> tuple[list[_Bucket], int]:
    """Runs of consecutive matches, at most `limit` of them, and the run length."""
    n = per_match.height
    size = max(1, math.ceil(n / limit))
    grouped = (
        per_match.with_row_index("i")
        .with_columns(b=pl.col("i") // size)
        .group_by("b", maintain_order=True)
        .agg(
            start=pl.col("start_time").first(),
            end=pl.col("start_time").last(),
            matches=pl.len(),
            fired=pl.col("shots_fired").sum(),
            hit=pl.col("shots_hit").sum(),
        )
        # Rolling over ROLLING_WINDOW runs, i.e. ROLLING_WINDOW x size matches, so the
        # line stays as smooth as with single matches however many runs there are.
        .with_columns(
            rolling=pl.col("hit").rolling_sum(ROLLING_WINDOW, min_samples=1)
            * 100.0
            / pl.col("fired").rolling_sum(ROLLING_WINDOW, min_samples=1)
        )
        .with_columns(rolling=pl.when(pl.col("rolling").is_finite()).then(pl.col("rolling")))
    )
    return [
        _Bucket(r["start"], r["end"], r["matches"], int(r["fired"]), int(r["hit"]), r["rolling"])
        for r in grouped.iter_rows(named=True)
    ], size


def _empty_chart(chart_id: str, message: str, width: int = WIDTH) -> str:
    return _svg(
        chart_id,
        80,
        [
            f'<rect class="axis" x="0" y="0" width="{width}" height="80" fill="none"/>',
            f'<text x="{width / 2}" y="45" text-anchor="middle">{escape(message)}</text>',
        ],
        message,
        width,
    )


def _when(bucket: _Bucket) -> str:
    if bucket.start is None:
        return "unknown date"
    first = bucket.start.strftime("%Y-%m-%d %H:%M")
    if bucket.matches == 1 or bucket.end is None:
        return first
    return f"{first} to {bucket.end.strftime('%Y-%m-%d %H:%M')} ({bucket.matches} matches)"


# --- charts ---------------------------------------------------------------------------------


def accuracy_over_time(report: AccuracyReport) -> tuple[str, str]:
    """Per-match accuracy points, the rolling accuracy line and the career line."""
    per_match = report.per_match
    if per_match.is_empty():
        return _empty_chart("chart-accuracy-time", "No match with known shots"), ""
    buckets, size = _buckets(per_match, MAX_POINTS)
    height = 320
    points = [b.accuracy for b in buckets if b.accuracy is not None]
    rolling = [b.rolling for b in buckets if b.rolling is not None]
    low, high = _nice_range(points + rolling)
    body, y_of = _y_grid(low, high, height, "{:g}%")
    n = len(buckets)
    plot_w = WIDTH - MARGIN_LEFT - MARGIN_RIGHT

    def x_of(index: float) -> float:
        return MARGIN_LEFT + (plot_w * index / (n - 1) if n > 1 else plot_w / 2)

    career = report.summary["trend"]["career"]["accuracy"]
    if career is not None:
        y = _num(y_of(career))
        body.append(
            f'<line class="career" x1="{MARGIN_LEFT}" x2="{WIDTH - MARGIN_RIGHT}" '
            f'y1="{y}" y2="{y}">' + _title(f"Scope accuracy {fmt_pct(career)}") + "</line>"
        )
    for index, bucket in enumerate(buckets):
        if bucket.accuracy is None:
            continue
        body.append(
            f'<circle class="pt" cx="{_num(x_of(index))}" cy="{_num(y_of(bucket.accuracy))}" r="4">'
            + _title(
                f"{_when(bucket)}: {fmt_pct(bucket.accuracy)} "
                f"({bucket.hit:,} / {bucket.fired:,} shots)"
            )
            + "</circle>"
        )
    line = " ".join(
        f"{_num(x_of(i))},{_num(y_of(b.rolling))}"
        for i, b in enumerate(buckets)
        if b.rolling is not None
    )
    if line:
        body.append(f'<polyline class="roll" points="{line}"/>')
    body += _x_dates([b.start for b in buckets], x_of, height)
    each = "match" if size == 1 else f"run of {size} consecutive matches"
    legend = (
        f'<span class="sw" style="background:var(--you);opacity:.45"></span>one {each} '
        f'<span class="sw" style="background:var(--you)"></span>rolling accuracy over '
        f"the last {ROLLING_WINDOW * size} matches "
        '<span class="sw" style="background:var(--muted)"></span>accuracy over the scope'
    )
    return _svg("chart-accuracy-time", height, body, "Accuracy over time"), legend


def shots_per_match(report: AccuracyReport) -> tuple[str, str]:
    """Shots fired (full bar) and shots hit (inner bar) per match, oldest first."""
    per_match = report.per_match
    if per_match.is_empty():
        return _empty_chart("chart-shots", "No match with known shots"), ""
    buckets, size = _buckets(per_match, MAX_BARS)
    height = 260
    top = max(b.fired for b in buckets) or 1
    body, y_of = _y_grid(0, top * 1.05, height, "{:,.0f}")
    n = len(buckets)
    plot_w = WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    slot = plot_w / n
    bar_w = max(1.0, slot * 0.78)

    def x_of(index: float) -> float:
        return MARGIN_LEFT + slot * index + slot / 2

    base = y_of(0)
    for index, bucket in enumerate(buckets):
        x = _num(x_of(index) - bar_w / 2)
        tip = _title(
            f"{_when(bucket)}: {bucket.hit:,} hit of {bucket.fired:,} fired "
            f"({fmt_pct(bucket.accuracy)})"
        )
        fired_y = y_of(bucket.fired)
        hit_y = y_of(bucket.hit)
        body.append(
            f'<g><rect class="fired" x="{x}" y="{_num(fired_y)}" width="{_num(bar_w)}" '
            f'height="{_num(max(base - fired_y, 0.5))}"/>'
            f'<rect class="hit" x="{x}" y="{_num(hit_y)}" width="{_num(bar_w)}" '
            f'height="{_num(max(base - hit_y, 0))}"/>{tip}</g>'
        )
    body += _x_dates([b.start for b in buckets], x_of, height)
    each = "per match" if size == 1 else f"per run of {size} consecutive matches"
    legend = (
        f'<span class="sw" style="background:var(--fired)"></span>shots fired {each} '
        '<span class="sw" style="background:var(--hit)"></span>shots hit'
    )
    return _svg("chart-shots", height, body, "Shots fired and hit per match"), legend


@dataclass
class _BarRow:
    label: str
    accuracy: float | None
    detail: str
    css: str = ""


def horizontal_bars(
    chart_id: str, title: str, rows: list[_BarRow], *, width: int = WIDTH, label_w: int = 230
) -> str:
    """Accuracy bars on a 0-100% scale: bars start at zero so lengths compare honestly.

    `width` is the viewBox width: half-width charts get a narrower one so their
    text is not scaled down to illegible sizes.
    """
    if not rows:
        return _empty_chart(chart_id, "Nothing to show", width)
    row_h = 30
    height = MARGIN_TOP + row_h * len(rows) + 28
    left = label_w
    max_label = label_w // 7
    plot_w = width - left - 150
    body = []
    for tick in range(0, 101, 25):
        x = _num(left + plot_w * tick / 100)
        body.append(
            f'<line class="axis" x1="{x}" x2="{x}" y1="{MARGIN_TOP - 4}" '
            f'y2="{height - 22}"/>'
            f'<text x="{x}" y="{height - 6}" text-anchor="middle">{tick}%</text>'
        )
    for index, row in enumerate(rows):
        y = MARGIN_TOP + index * row_h
        label = row.label if len(row.label) <= max_label else row.label[: max_label - 1] + "…"
        body.append(
            f'<text class="label" x="{left - 10}" y="{y + 19}" text-anchor="end">'
            f"{escape(label)}{_title(row.label)}</text>"
        )
        value = fmt_pct(row.accuracy)
        if row.accuracy is not None:
            bar_w = plot_w * min(row.accuracy, 100) / 100
            body.append(
                f'<rect class="bar {row.css}" x="{left}" y="{y + 5}" width="{_num(max(bar_w, 1))}" '
                f'height="{row_h - 10}" rx="3">{_title(f"{row.label}: {value}, {row.detail}")}'
                "</rect>"
            )
            text_x = left + bar_w + 8
        else:
            text_x = left + 8
        body.append(
            f'<text class="label" x="{_num(text_x)}" y="{y + 19}">{value}'
            f'<tspan dx="8">{escape(row.detail)}</tspan></text>'
        )
    return _svg(chart_id, height, body, title, width)


def _breakdown_bars(rows: list[dict[str, Any]], several_kinds: bool) -> list[_BarRow]:
    top = sorted(rows, key=lambda r: -r["matches"])[:MAX_BAR_ROWS]
    return [
        _BarRow(
            label=f"{r['name']} · {r['kind_label']}" if several_kinds else r["name"],
            accuracy=r["accuracy"],
            detail=f"{r['matches']:,} matches",
        )
        for r in top
    ]


def lobby_bars(lobby: dict[str, Any]) -> list[_BarRow]:
    def detail(figures: dict[str, Any]) -> str:
        return f"{figures['shots_hit']:,} / {figures['shots_fired']:,} shots"

    return [
        _BarRow("You", lobby["player"]["accuracy"], detail(lobby["player"])),
        _BarRow("Teammates", lobby["teammates"]["accuracy"], detail(lobby["teammates"]), "team"),
        _BarRow("Opponents", lobby["opponents"]["accuracy"], detail(lobby["opponents"]), "opp"),
        _BarRow("Whole lobby", lobby["lobby"]["accuracy"], detail(lobby["lobby"]), "lobby"),
    ]


# --- tables ---------------------------------------------------------------------------------


def _table(headers: Sequence[str], rows: list[Sequence[str]], left: int = 1) -> str:
    head = "".join(
        f'<th class="l">{escape(h)}</th>' if i < left else f"<th>{escape(h)}</th>"
        for i, h in enumerate(headers)
    )
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="l">{escape(c)}</td>' if i < left else f"<td>{escape(c)}</td>"
            for i, c in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _breakdown_table(rows: list[dict[str, Any]], what: str) -> str:
    return _table(
        ["Kind", what, "Matches", "Shots unknown", "Fired", "Hit", "Accuracy"],
        [
            [
                r["kind_label"],
                r["name"],
                fmt_int(r["matches"]),
                fmt_int(r["shots_unknown"]),
                fmt_int(r["shots_fired"]),
                fmt_int(r["shots_hit"]),
                fmt_pct(r["accuracy"]),
            ]
            for r in rows
        ],
        left=2,
    )


def _matches_table(rows: list[dict[str, Any]]) -> str:
    return _table(
        ["Date (UTC)", "Mode", "Map", "Hit / fired", "Accuracy"],
        [
            [
                (r["start_time"] or "")[:16].replace("T", " "),
                r["mode"],
                r["map"],
                f"{r['shots_hit']:,} / {r['shots_fired']:,}",
                fmt_pct(r["accuracy"]),
            ]
            for r in rows
        ],
        left=3,
    )


def _card(value: str, key: str) -> str:
    return (
        f'<div class="card"><div class="v">{escape(value)}</div>'
        f'<div class="k">{escape(key)}</div></div>'
    )


def _section(title: str, content: str, legend: str = "") -> str:
    legend_html = f'<div class="legend">{legend}</div>' if legend else ""
    return f"<section><h2>{escape(title)}</h2>{content}{legend_html}</section>"


def render_html(report: AccuracyReport) -> str:
    """The whole page as one string."""
    s = report.summary
    player, filters = describe_scope(s)
    scope = s["scope"]
    span = (
        f" · {scope['first_match'][:10]} to {scope['last_match'][:10]} (UTC)"
        if scope["first_match"]
        else ""
    )
    parts = [
        f"<h1>Accuracy report: {escape(str(player))}</h1>",
        f'<p class="sub">{escape("; ".join(filters) or "Every stored match")}{escape(span)} · '
        "accuracy = total shots hit / total shots fired</p>",
    ]
    if s["missing_columns"]:
        parts.append(
            '<p class="warn">This database has an older layout and lacks '
            + escape(", ".join(s["missing_columns"]))
            + "; the figures that need them are left out.</p>"
        )
    if s["matches"] == 0:
        parts.append(_section("No matches in scope", "<p>Nothing to report.</p>"))
        return _page(player, parts)
    nulls = s["null_shots"]
    parts.append(
        '<div class="cards">'
        + _card(fmt_pct(s["overall_accuracy"]), "accuracy")
        + _card(fmt_int(s["matches"]), "matches")
        + _card(fmt_int(s["shots_fired"]), "shots fired")
        + _card(fmt_int(s["shots_hit"]), "shots hit")
        + _card(fmt_int(nulls["not_backfilled"]), "shots " + NULL_LABELS["not_backfilled"])
        + _card(fmt_int(nulls["not_provided"]), "shots " + NULL_LABELS["not_provided"])
        + "</div>"
    )
    chart, legend = accuracy_over_time(report)
    parts.append(f'<div class="row">{_section("Accuracy over time", chart, legend)}</div>')
    chart, legend = shots_per_match(report)
    parts.append(
        f'<div class="row">{_section("Shots fired and hit per match", chart, legend)}</div>'
    )
    several = len(s["by_kind"]) > 1
    parts.append(
        '<div class="grid2 row">'
        + _section(
            "Accuracy by mode",
            horizontal_bars(
                "chart-by-mode",
                "Accuracy by mode",
                _breakdown_bars(s["by_mode"], several),
                width=HALF_WIDTH,
                label_w=200,
            ),
        )
        + _section(
            "Accuracy by map",
            horizontal_bars(
                "chart-by-map",
                "Accuracy by map",
                _breakdown_bars(s["by_map"], several),
                width=HALF_WIDTH,
                label_w=200,
            ),
            f"The {MAX_BAR_ROWS} most played maps; every map is in the table below."
            if len(s["by_map"]) > MAX_BAR_ROWS
            else "",
        )
        + "</div>"
    )
    lobby = s["lobby"]
    lobby_note = (
        '<p class="note">Over the matches where your shots are known. Teammates share your '
        "team (the team a player finished on); in matches without teams (FFA, Infection) "
        "the others count in the whole lobby only. Bots are part of the lobby.</p>"
    )
    kind_rows = [
        [
            f"{k['kind_label']}",
            fmt_pct(k["player"]["accuracy"]),
            fmt_pct(k["teammates"]["accuracy"]),
            fmt_pct(k["opponents"]["accuracy"]),
            fmt_pct(k["lobby"]["accuracy"]),
        ]
        for k in lobby["by_kind"]
    ]
    lobby_table = (
        _table(["Kind", "You", "Teammates", "Opponents", "Whole lobby"], kind_rows)
        if several
        else ""
    )
    parts.append(
        '<div class="row">'
        + _section(
            "You against the lobby",
            horizontal_bars("chart-lobby", "You against the lobby", lobby_bars(lobby))
            + lobby_note
            + lobby_table,
        )
        + "</div>"
    )
    trend_rows = [
        [
            "Career (scope)" if key == "career" else f"Last {f['window']}",
            fmt_int(f["matches"]),
            fmt_int(f["shots_fired"]),
            fmt_int(f["shots_hit"]),
            fmt_pct(f["accuracy"]),
            fmt_delta(f.get("delta")),
        ]
        for key, f in s["trend"].items()
    ]
    parts.append(
        '<div class="grid2 row">'
        + _section(
            "Trend",
            _table(["Window", "Matches", "Fired", "Hit", "Accuracy", "vs career"], trend_rows),
        )
        + _section(
            "By kind of match",
            _table(
                ["Kind", "Matches", "Shots unknown", "Fired", "Hit", "Accuracy"],
                [
                    [
                        k["kind_label"],
                        fmt_int(k["matches"]),
                        fmt_int(k["shots_unknown"]),
                        fmt_int(k["shots_fired"]),
                        fmt_int(k["shots_hit"]),
                        fmt_pct(k["accuracy"]),
                    ]
                    for k in s["by_kind"]
                ],
            ),
        )
        + "</div>"
    )
    min_shots = scope["min_shots"]
    if s["best"]:
        parts.append(
            '<div class="grid2 row">'
            + _section(f"Best matches (≥ {min_shots} shots)", _matches_table(s["best"]))
            + _section(f"Worst matches (≥ {min_shots} shots)", _matches_table(s["worst"]))
            + "</div>"
        )
    if s["frequent_players"]:
        parts.append(
            _section(
                "Players seen most often",
                _table(
                    ["Gamertag", "Matches", "With you", "Against you", "Fired", "Hit", "Accuracy"],
                    [
                        [
                            p["gamertag"] or p["xuid"],
                            fmt_int(p["matches"]),
                            fmt_int(p["as_teammate"]),
                            fmt_int(p["as_opponent"]),
                            fmt_int(p["shots_fired"]),
                            fmt_int(p["shots_hit"]),
                            fmt_pct(p["accuracy"]),
                        ]
                        for p in s["frequent_players"]
                    ],
                ),
            )
        )
    parts.append(
        _section(
            "Breakdowns",
            "<details open><summary>By mode</summary>"
            + _breakdown_table(s["by_mode"], "Mode")
            + "</details><details><summary>By map</summary>"
            + _breakdown_table(s["by_map"], "Map")
            + "</details><details><summary>By playlist</summary>"
            + _breakdown_table(s["by_playlist"], "Playlist")
            + "</details>",
        )
    )
    parts.append(
        f'<p class="note">{s["matches_with_shots"]:,} of {s["matches"]:,} matches have known '
        f"shots ({s['zero_shot_matches']:,} with nothing fired, accuracy n/a). Shots unknown: "
        f"{nulls['not_backfilled']:,} not yet backfilled, {nulls['not_provided']:,} not provided "
        "by the API; they take no part in any accuracy.</p>"
    )
    return _page(player, parts)


def _page(player: str, parts: list[str]) -> str:
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>LevelUp accuracy · {escape(str(player))}</title>"
        f"<style>{CSS}</style></head><body><main>" + "".join(parts) + "</main></body></html>"
    )
