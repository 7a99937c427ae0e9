"""The time section: when the player plays and when they play best.

Clock times are shown in the report's zone (`--tz`, default the machine's):
a late-night session belongs to the evening it started in, wherever the data
was stored. A session is a run of matches each starting less than 30 minutes
after the previous one ended; "match number in session" shows whether the
third match of the evening goes better than the first.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import polars as pl

from levelup.analysis import svg
from levelup.analysis.figures import kd_aggs, record_aggs, with_rates
from levelup.analysis.formatting import fmt_duration, fmt_pct1, fmt_ratio
from levelup.analysis.section import Context, Section
from levelup.analysis.tablespec import (
    RECORD_COLUMNS,
    Column,
    TableSpec,
    View,
    key_values,
    note,
    table,
)

if TYPE_CHECKING:
    from levelup.analysis.report import Report

SESSION_GAP = dt.timedelta(minutes=30)
MAX_POSITION = 6  # positions past this are grouped as "6+"
CALENDAR_WEEKS = 53
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _local(matches: pl.DataFrame, tz: str) -> pl.DataFrame:
    start = pl.col("start_time").dt.replace_time_zone("UTC").dt.convert_time_zone(tz)
    return matches.with_columns(local=start).with_columns(
        date=pl.col("local").dt.date(),
        hour=pl.col("local").dt.hour().cast(pl.Int32),
        weekday=pl.col("local").dt.weekday().cast(pl.Int32),
        month=pl.col("local").dt.strftime("%Y-%m"),
    )


def _by(frame: pl.DataFrame, *keys: str) -> pl.DataFrame:
    return frame.group_by(*keys).agg(*record_aggs(), *kd_aggs()).pipe(with_rates).sort(*keys)


def _rows(frame: pl.DataFrame, *keys: str) -> list[dict[str, Any]]:
    wanted = [*keys, "matches", "wins", "losses", "ties", "win_rate", "kills", "deaths", "kd_ratio"]
    return frame.select(wanted).to_dicts()


def sessions(matches: pl.DataFrame) -> pl.DataFrame:
    """The matches, oldest first, with their session number and position in it."""
    end = pl.coalesce(
        pl.col("end_time"),
        pl.col("start_time") + pl.duration(seconds=pl.col("duration_seconds").fill_null(0)),
    )
    return (
        matches.filter(pl.col("start_time").is_not_null())
        .sort("start_time")
        .with_columns(end=end)
        .with_columns(gap=pl.col("start_time") - pl.col("end").shift(1))
        .with_columns(new=pl.col("gap").is_null() | (pl.col("gap") >= SESSION_GAP))
        .with_columns(session=pl.col("new").cast(pl.Int32).cum_sum())
        .with_columns(position=pl.int_range(1, pl.len() + 1).over("session"))
    )


def compute(ctx: Context) -> dict[str, Any]:
    tz = ctx.scope.tz
    matches = ctx.matches.filter(pl.col("start_time").is_not_null())
    if matches.is_empty():
        return {"tz": tz, "matches": 0}
    local = _local(matches, tz)
    per_day = (
        local.group_by("date")
        .agg(*record_aggs())
        .sort("date")
        .with_columns(date=pl.col("date").cast(pl.String))
        .select("date", "matches", "wins", "losses", "ties")
    )
    by_month = _by(local, "month")
    session_rows = sessions(local)
    per_session = session_rows.group_by("session").agg(
        matches=pl.len(),
        start=pl.col("start_time").first(),
        end=pl.col("end").last(),
    )
    positions = session_rows.with_columns(
        position=pl.min_horizontal(pl.col("position"), pl.lit(MAX_POSITION))
    )
    by_position = _by(positions, "position").with_columns(
        label=pl.when(pl.col("position") >= MAX_POSITION)
        .then(pl.lit(f"{MAX_POSITION}th and later"))
        .otherwise(pl.col("position").cast(pl.String))
    )
    lengths = (per_session["end"] - per_session["start"]).dt.total_seconds()
    ctx.series["time_local"] = local
    return {
        "tz": tz,
        "matches": matches.height,
        "days_played": per_day.height,
        "per_day": per_day.to_dicts(),
        "by_month": _rows(by_month, "month"),
        "by_hour": _rows(_by(local, "hour"), "hour"),
        "by_weekday": [
            {**row, "weekday_label": WEEKDAYS[row["weekday"] - 1]}
            for row in _rows(_by(local, "weekday"), "weekday")
        ],
        "heatmap": _rows(_by(local, "weekday", "hour"), "weekday", "hour"),
        "sessions": {
            "count": per_session.height,
            "matches_per_session": matches.height / per_session.height,
            "longest": int(per_session["matches"].max() or 0),
            "mean_seconds": float(lengths.mean() or 0.0),
            "gap_minutes": int(SESSION_GAP.total_seconds() // 60),
        },
        "by_session_position": _rows(by_position, "position", "label"),
    }


def _record_columns() -> tuple[Column, ...]:
    return (
        Column("matches", "Matches", "int"),
        *RECORD_COLUMNS,
        Column("kd_ratio", "K/D", "ratio"),
    )


WEEKDAY_TABLE = TableSpec(
    "time-weekdays", "By weekday", (Column("weekday_label", "Day"), *_record_columns()), None
)
HOUR_TABLE = TableSpec(
    "time-hours", "By hour of day", (Column("hour_label", "Hour"), *_record_columns()), None
)
MONTH_TABLE = TableSpec(
    "time-months", "By month (newest first)", (Column("month", "Month"), *_record_columns()), 12
)
POSITION_TABLE = TableSpec(
    "time-positions",
    "By match number within a session",
    (Column("label", "Match in session"), *_record_columns()),
    None,
)


def views(figures: dict[str, Any], summary: dict[str, Any]) -> list[View]:
    if not figures["matches"]:
        return [note("No dated matches in scope.")]
    s = figures["sessions"]
    hours = [
        {**row, "hour_label": f"{row['hour']:02d}:00-{(row['hour'] + 1) % 24:02d}:00"}
        for row in figures["by_hour"]
    ]
    return [
        note(f"Clock times in {figures['tz']}."),
        key_values(
            "time-sessions",
            f"Sessions (matches less than {s['gap_minutes']} minutes apart)",
            [
                ("Days played", figures["days_played"], "int"),
                ("Sessions", s["count"], "int"),
                ("Matches per session", s["matches_per_session"], "float1"),
                ("Longest session (matches)", s["longest"], "int"),
                ("Mean session length", fmt_duration(s["mean_seconds"]), "text"),
            ],
        ),
        table(POSITION_TABLE, figures["by_session_position"]),
        table(WEEKDAY_TABLE, figures["by_weekday"]),
        table(HOUR_TABLE, hours),
        table(MONTH_TABLE, list(reversed(figures["by_month"]))),
    ]


# --- charts ---------------------------------------------------------------------------------


def calendar(figures: dict[str, Any]) -> svg.Chart:
    """Matches per day over the last year of the scope, one square per day."""
    title = "Matches per day"
    days = {row["date"]: row for row in figures["per_day"]}
    last = dt.date.fromisoformat(figures["per_day"][-1]["date"])
    # Weeks start on Monday; the grid ends with the week of the last match.
    end = last + dt.timedelta(days=6 - last.weekday())
    start = end - dt.timedelta(weeks=CALENDAR_WEEKS) + dt.timedelta(days=1)
    cell, gap, left, top = 14, 3, 40, 22
    busiest = max((row["matches"] for row in figures["per_day"]), default=1) or 1
    shapes: list[svg.Shape] = []
    for index, label in enumerate(WEEKDAYS):
        if index % 2 == 0:
            y = top + index * (cell + gap) + cell - 3
            shapes.append(svg.Shape("text", "", left - 6, y, text=label, anchor="end"))
    day = start
    month_seen = None
    while day <= end:
        week = (day - start).days // 7
        x = left + week * (cell + gap)
        y = top + day.weekday() * (cell + gap)
        if day.day <= 7 and day.weekday() == 0 and day.month != month_seen:
            month_seen = day.month
            shapes.append(svg.Shape("text", "", x, top - 8, text=day.strftime("%b %Y")[:3]))
        row = days.get(day.isoformat())
        if row is None:
            level, tip = 0, f"{day.isoformat()}: no match"
        else:
            level = 1 + min(3, int(3.999 * row["matches"] / busiest))
            tip = (
                f"{day.isoformat()} ({WEEKDAYS[day.weekday()]}): {row['matches']} matches, "
                f"{row['wins']} W / {row['losses']} L"
            )
        if day <= last:
            shapes.append(svg.Shape("rect", f"cal cal{level}", x, y, cell, cell, tip=tip))
        day += dt.timedelta(days=1)
    width = left + CALENDAR_WEEKS * (cell + gap) + 10
    height = top + 7 * (cell + gap) + 6
    legend = [
        svg.Legend("var(--grid)", "no match"),
        svg.Legend("var(--you)", f"more matches (busiest day: {busiest})"),
    ]
    return svg.Chart("chart-calendar", title, height, shapes, width=width, legend=legend)


def heatmap(figures: dict[str, Any]) -> svg.Chart:
    """Win rate by weekday and hour: green above 50%, red below, blank without a decided match."""
    title = f"Win rate by weekday and hour ({figures['tz']})"
    cells = {(row["weekday"], row["hour"]): row for row in figures["heatmap"]}
    cell_w, cell_h, left, top = 34, 26, 48, 8
    shapes: list[svg.Shape] = []
    for weekday in range(1, 8):
        y = top + (weekday - 1) * cell_h
        shapes.append(
            svg.Shape(
                "text", "", left - 8, y + cell_h / 2 + 4, text=WEEKDAYS[weekday - 1], anchor="end"
            )
        )
        for hour in range(24):
            x = left + hour * cell_w
            row = cells.get((weekday, hour))
            label = f"{WEEKDAYS[weekday - 1]} {hour:02d}:00-{(hour + 1) % 24:02d}:00"
            if row is None:
                shapes.append(
                    svg.Shape(
                        "rect", "heat none", x, y, cell_w - 2, cell_h - 2, tip=f"{label}: no match"
                    )
                )
                continue
            rate = row["win_rate"]
            tip = (
                f"{label}: {row['matches']} matches, {row['wins']} W / {row['losses']} L, "
                f"win rate {fmt_pct1(rate)}, K/D {fmt_ratio(row['kd_ratio'])}"
            )
            if rate is None:
                cls, style = "heat none", ""
            else:
                cls = "heat good" if rate >= 50 else "heat bad"
                strength = min(1.0, abs(rate - 50) / 30)
                style = f"fill-opacity:{0.15 + 0.85 * strength:.2f}"
            shapes.append(
                svg.Shape("rect", cls, x, y, cell_w - 2, cell_h - 2, tip=tip, style=style)
            )
    for hour in range(0, 24, 3):
        shapes.append(
            svg.Shape(
                "text",
                "",
                left + hour * cell_w + cell_w / 2,
                top + 7 * cell_h + 16,
                text=f"{hour:02d}h",
                anchor="middle",
            )
        )
    width = left + 24 * cell_w + 10
    height = top + 7 * cell_h + 26
    legend = [
        svg.Legend("var(--team)", "won more than lost"),
        svg.Legend("var(--opp)", "lost more than won (stronger colour: further from 50%)"),
    ]
    return svg.Chart("chart-heatmap", title, height, shapes, width=width, legend=legend)


def session_bars(figures: dict[str, Any]) -> svg.Chart:
    rows = [
        svg.BarRow(
            f"Match {row['label']}" if row["position"] < MAX_POSITION else row["label"],
            row["win_rate"],
            fmt_pct1(row["win_rate"]),
            f"{row['matches']:,} matches, K/D {fmt_ratio(row['kd_ratio'])}",
        )
        for row in figures["by_session_position"]
    ]
    return svg.horizontal_bars(
        "chart-session", "Win rate by match number within a session", rows, label_w=160, ceil=100
    )


def charts(report: Report) -> list[svg.Chart]:
    figures = report.summary["time"]
    if not figures["matches"]:
        return [svg.empty_chart("chart-calendar", "Matches per day", "No dated matches")]
    return [calendar(figures), heatmap(figures), session_bars(figures)]


SECTION = Section("time", "Time", compute, views, charts)
