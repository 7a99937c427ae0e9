"""The against-expectation section: kills and deaths against what the skill service
expected of the player in each match, overall, over the last 10 and 50, and by
playlist.

The skill service expects a number of kills and deaths from the lobby's
skill; beating it is what moves the rank. Figures are sums (kills against
the sum of expected kills over the same matches), and a match counts as
"above expectation" for kills when kills > expected, for deaths when
deaths < expected. Only matches with both the expectation and the player's
own kills and deaths stored take part.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import polars as pl

from levelup.analysis import svg
from levelup.analysis.figures import FIRST_OF_RUN, percent, ratio, runs
from levelup.analysis.rank import owner_skill
from levelup.analysis.scope import iso, match_title
from levelup.analysis.section import Context, Section, availability
from levelup.analysis.tablespec import MATCH_COLUMNS, Column, TableSpec, View, note, table

if TYPE_CHECKING:
    from levelup.analysis.report import Report

WINDOWS = (10, 50)
ROLLING = 10
TOP = 5
MAX_POINTS = 500


def _figures(rows: pl.DataFrame) -> dict[str, Any]:
    kills, expected_kills = int(rows["kills"].sum() or 0), float(rows["expected_kills"].sum() or 0)
    deaths = int(rows["deaths"].sum() or 0)
    expected_deaths = float(rows["expected_deaths"].sum() or 0)
    above_kills = int((rows["kills"] > rows["expected_kills"]).sum())
    below_deaths = int((rows["deaths"] < rows["expected_deaths"]).sum())
    both = int(
        (
            (rows["kills"] > rows["expected_kills"]) & (rows["deaths"] < rows["expected_deaths"])
        ).sum()
    )
    return {
        "matches": rows.height,
        "kills": kills,
        "expected_kills": expected_kills,
        "kills_vs_expected": kills - expected_kills,
        "kills_vs_expected_per_match": ratio(kills - expected_kills, rows.height),
        "kills_ratio": ratio(kills, expected_kills),
        "deaths": deaths,
        "expected_deaths": expected_deaths,
        "deaths_vs_expected": deaths - expected_deaths,
        "deaths_vs_expected_per_match": ratio(deaths - expected_deaths, rows.height),
        "deaths_ratio": ratio(deaths, expected_deaths),
        "share_kills_above": percent(above_kills, rows.height),
        "share_deaths_below": percent(below_deaths, rows.height),
        "share_both": percent(both, rows.height),
    }


def _match(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "match_id": row["match_id"],
        "start_time": iso(row["start_time"]),
        "mode": row["mode"],
        "map": row["map_label"],
        "playlist": row["playlist_label"],
        "kills": row["kills"],
        "expected_kills": row["expected_kills"],
        "deaths": row["deaths"],
        "expected_deaths": row["expected_deaths"],
        "net": row["net"],
    }


def compute(ctx: Context) -> dict[str, Any]:
    missing = availability(ctx.frames, "match_skill")
    if missing:
        return {"available": False, "note": missing}
    rows = owner_skill(ctx).filter(
        pl.col("has_kd")
        & pl.col("expected_kills").is_not_null()
        & pl.col("expected_deaths").is_not_null()
    )
    if rows.is_empty():
        return {
            "available": False,
            "note": "not yet backfilled: no match in scope has your expected kills and deaths",
        }
    rows = rows.with_columns(
        kill_diff=pl.col("kills") - pl.col("expected_kills"),
        death_diff=pl.col("deaths") - pl.col("expected_deaths"),
    ).with_columns(net=pl.col("kill_diff") - pl.col("death_diff"))
    ctx.series["expectation"] = rows
    windows = {}
    for window in WINDOWS:
        figures = _figures(rows.tail(window))
        windows[f"last_{window}"] = {
            **figures,
            "window": window,
            "full": rows.height >= window,
            "label": f"Last {window}",
        }
    scope_label = f"All {rows.height:,} matches in scope" if ctx.scope.filtered else "Career"
    by_playlist = []
    for (playlist_id,), subset in rows.group_by(["playlist_id"], maintain_order=True):
        figures = _figures(subset)
        by_playlist.append(
            {"playlist_id": playlist_id, "playlist": subset["playlist_label"][0], **figures}
        )
    by_playlist.sort(key=lambda r: (-r["matches"], r["playlist"]))
    ranked = rows.sort(["net", "start_time"], descending=[True, True])
    return {
        "available": True,
        "note": None,
        "overall": {**_figures(rows), "label": scope_label},
        "windows": windows,
        "by_playlist": by_playlist,
        "best": [_match(r) for r in ranked.head(TOP).iter_rows(named=True)],
        "worst": [_match(r) for r in ranked.reverse().head(TOP).iter_rows(named=True)],
    }


def _spec(table_id: str, title: str, first: Column) -> TableSpec:
    return TableSpec(
        table_id,
        title,
        (
            first,
            Column("matches", "Matches", "int"),
            Column("kills", "Kills", "int"),
            Column("expected_kills", "Expected", "float1"),
            Column("kills_vs_expected_per_match", "± per match", "signed1"),
            Column("deaths", "Deaths", "int"),
            Column("expected_deaths", "Expected", "float1"),
            Column("deaths_vs_expected_per_match", "± per match", "signed1"),
            Column("share_kills_above", "Kills above exp.", "pct1"),
            Column("share_deaths_below", "Deaths below exp.", "pct1"),
        ),
        terminal_rows=None,
    )


WINDOW_TABLE = _spec(
    "expectation-windows", "Kills and deaths against expectation", Column("label", "Window")
)
PLAYLIST_TABLE = _spec(
    "expectation-playlists", "Against expectation by playlist", Column("playlist", "Playlist")
)


def _matches_spec(table_id: str, title: str) -> TableSpec:
    return TableSpec(
        table_id,
        title,
        (
            *MATCH_COLUMNS,
            Column("kills", "Kills", "int"),
            Column("expected_kills", "Exp.", "float1"),
            Column("deaths", "Deaths", "int"),
            Column("expected_deaths", "Exp.", "float1"),
            Column("net", "Net ±", "signed1"),
        ),
    )


def views(figures: dict[str, Any], summary: dict[str, Any]) -> list[View]:
    if not figures["available"]:
        return [note("Against expectation: " + figures["note"])]
    windows = [w for w in figures["windows"].values() if w["full"]]
    return [
        table(
            WINDOW_TABLE,
            [*windows, figures["overall"]],
            "Expected = the skill service's expected kills / deaths for you in that lobby. "
            "Net ± = kills above expectation + deaths below it.",
        ),
        table(PLAYLIST_TABLE, figures["by_playlist"]),
        table(
            _matches_spec("expectation-best", "Best matches against expectation"), figures["best"]
        ),
        table(
            _matches_spec("expectation-worst", "Worst matches against expectation"),
            figures["worst"],
        ),
    ]


def _runs(rows: pl.DataFrame) -> tuple[pl.DataFrame, int]:
    """The chart's runs: mean differences, and lines as the mean over the last ROLLING
    runs (ROLLING x size matches), from sums, so they stay as smooth at 20,000
    matches as at 200."""
    single = ("kills", "deaths", "expected_kills", "expected_deaths")
    grouped, size = runs(
        rows,
        MAX_POINTS,
        *FIRST_OF_RUN,
        *(pl.col(c).first() for c in single),
        kill_diff=pl.col("kill_diff").mean(),
        death_diff=pl.col("death_diff").mean(),
        kill_sum=pl.col("kill_diff").sum(),
        death_sum=pl.col("death_diff").sum(),
    )
    matches = pl.col("n").rolling_sum(ROLLING, min_samples=1)
    return grouped.with_columns(
        rolling_kills=pl.col("kill_sum").rolling_sum(ROLLING, min_samples=1) / matches,
        rolling_deaths=pl.col("death_sum").rolling_sum(ROLLING, min_samples=1) / matches,
    ), size


def chart(report: Report) -> svg.Chart:
    """Kills and deaths minus their expectation per match, and their rolling means."""
    title = "Kills and deaths against expectation"
    rows = report.series.get("expectation")
    if rows is None or rows.is_empty():
        note_text = report.summary["expectation"]["note"] or "no data"
        return svg.empty_chart("chart-expectation", title, "Against expectation: " + note_text)
    grouped, size = _runs(rows)
    values = [v for r in grouped.iter_rows(named=True) for v in (r["kill_diff"], r["death_diff"])]
    frame = svg.Frame(svg.WIDTH, 300, *svg.nice_range([*values, 0]))
    shapes = [*frame.y_grid(lambda v: f"{v:+g}" if v else "0"), frame.rule(0, "career")]
    n = grouped.height
    for i, run in enumerate(grouped.iter_rows(named=True)):
        if run["n"] == 1:
            what = (
                f"{match_title(run)}: {run['kills']} kills (expected {run['expected_kills']:.1f}), "
                f"{run['deaths']} deaths (expected {run['expected_deaths']:.1f})"
            )
        else:
            what = (
                f"{run['n']} matches from {run['start_time']:%Y-%m-%d}: mean kills "
                f"{run['kill_diff']:+.1f}, deaths {run['death_diff']:+.1f} against expectation"
            )
        href = report.run_link(run)
        shapes.append(frame.square(i, n, run["kill_diff"], "kpt", what, href))
        shapes.append(frame.square(i, n, run["death_diff"], "dpt", what, href))
    shapes += frame.line(grouped["rolling_kills"].to_list(), "kline")
    shapes += frame.line(grouped["rolling_deaths"].to_list(), "dline")
    shapes += frame.dates(grouped["start_time"].to_list())
    legend = [
        svg.Legend("var(--team)", "kills minus expected kills"),
        svg.Legend("var(--opp)", "deaths minus expected deaths"),
        svg.Legend("var(--muted)", f"lines: rolling mean over the last {ROLLING * size} matches"),
    ]
    return svg.Chart("chart-expectation", title, frame.height, shapes, legend=legend)


def charts(report: Report) -> list[svg.Chart]:
    return [chart(report)]


SECTION = Section("expectation", "Against expectation", compute, views, charts)
