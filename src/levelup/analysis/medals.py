"""The medals section: the medals earned most, their rates, the rarest earned, by mode.

Medal names come from `medal_names` (the game's medal metadata) by a left
join: a medal whose metadata is not stored shows as "medal <id>" rather than
disappearing. Rates count only the matches whose medals are stored (any
`match_medals` row for the match): a match not yet backfilled is not a match
with no medals.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import polars as pl

from levelup.analysis import svg
from levelup.analysis.figures import ratio
from levelup.analysis.scope import iso
from levelup.analysis.section import Context, Section, availability, coverage_note
from levelup.analysis.tablespec import Column, TableSpec, View, note, table

if TYPE_CHECKING:
    from levelup.analysis.report import Report

# The metadata's difficulties, rarest last.
DIFFICULTY_ORDER = {"normal": 0, "heroic": 1, "legendary": 2, "mythic": 3}
TOP_MEDALS = 15
RAREST = 5


def _unavailable(text: str, matches: int) -> dict[str, Any]:
    return {
        "available": False,
        "note": text,
        "matches": matches,
        "matches_with_medals": 0,
        "earned": [],
        "rarest": [],
        "by_mode": [],
        "total": 0,
        "per_match": None,
        "per_10_minutes": None,
    }


def medal_name() -> pl.Expr:
    """The medal's name from its metadata, else "medal <id>" (never a blank row)."""
    return pl.coalesce(pl.col("name"), pl.lit("medal ") + pl.col("medal_id").cast(pl.String))


def compute(ctx: Context) -> dict[str, Any]:
    frames, matches = ctx.frames, ctx.matches
    missing = availability(frames, "match_medals")
    if missing:
        return _unavailable(missing, matches.height)
    covered = matches.join(frames.medal_matches, on="match_id", how="semi")
    if covered.is_empty():
        return _unavailable(
            "not yet backfilled: no match in scope has match_medals rows", matches.height
        )
    rows = frames.medals.join(
        covered.select("match_id", "mode", "start_time", "time_played_seconds"),
        on="match_id",
        how="inner",
    )
    names = frames.medal_names.unique(subset="medal_id", keep="first")
    earned, seconds = _earned(rows, covered, names)
    earned_rows = [_earned_row(row) for row in earned.iter_rows(named=True)]
    rarest = (
        earned.filter(pl.col("difficulty_rank") >= 0)
        .sort(
            ["difficulty_rank", "count", "sorting_weight", "name"],
            descending=[True, False, True, False],
            nulls_last=True,
        )
        .head(RAREST)["medal_id"]
        .to_list()
    )
    by_id = {row["medal_id"]: row for row in earned_rows}
    total = int(earned["count"].sum() or 0)
    timed_total = int(earned["timed"].sum() or 0)
    ctx.series["medals"] = earned
    return {
        "available": True,
        "note": coverage_note(covered.height, matches.height, "Medals", "match_medals"),
        "matches": matches.height,
        "matches_with_medals": covered.height,
        "earned": earned_rows,
        "rarest": [by_id[medal_id] for medal_id in rarest],
        "by_mode": _by_mode(rows, covered, names),
        "total": total,
        "per_match": ratio(total, covered.height),
        "per_10_minutes": ratio(timed_total * 600.0, seconds),
        "names_missing": int((~earned["has_metadata"]).sum()),
    }


def _earned(
    rows: pl.DataFrame, covered: pl.DataFrame, names: pl.DataFrame
) -> tuple[pl.DataFrame, float]:
    """Per medal: count, matches, last earned, metadata and rates, most earned first; and
    the seconds played in the covered matches whose time is known (the 10-minute rate
    counts those matches only)."""
    timed = covered.filter(pl.col("time_played_seconds").is_not_null())
    seconds = float(timed["time_played_seconds"].sum() or 0.0)
    earned = (
        rows.group_by("medal_id")
        .agg(
            count=pl.col("count").sum(),
            matches=pl.col("match_id").n_unique(),
            last_earned=pl.col("start_time").max(),
        )
        .join(names, on="medal_id", how="left")
        .with_columns(
            has_metadata=pl.col("name").is_not_null(),
            name=medal_name(),
            difficulty_rank=pl.col("difficulty")
            .str.to_lowercase()
            .replace_strict(DIFFICULTY_ORDER, default=-1, return_dtype=pl.Int32),
        )
        .sort(["count", "name"], descending=[True, False])
    )
    timed_counts = (
        rows.join(timed.select("match_id"), on="match_id", how="semi")
        .group_by("medal_id")
        .agg(timed=pl.col("count").sum())
    )
    earned = earned.join(timed_counts, on="medal_id", how="left").with_columns(
        per_match=pl.col("count") / covered.height,
        per_10_minutes=pl.when(pl.lit(seconds) > 0).then(
            pl.col("timed").fill_null(0) * 600.0 / seconds
        ),
    )
    return earned, seconds


def _earned_row(row: dict[str, Any]) -> dict[str, Any]:
    keys = ("medal_id", "name", "count", "matches", "per_match", "per_10_minutes")
    return {
        **{key: row[key] for key in keys},
        "count": int(row["count"]),
        "difficulty": row["difficulty"],
        "type": row["type"],
        "last_earned": iso(row["last_earned"]),
    }


def _by_mode(rows: pl.DataFrame, covered: pl.DataFrame, names: pl.DataFrame) -> list[dict]:
    """Medals per match in each mode, and the medal earned most there."""
    per_mode = covered.group_by("mode").agg(matches=pl.len())
    counts = rows.group_by("mode", "medal_id").agg(count=pl.col("count").sum())
    top = (
        counts.sort(["count", "medal_id"], descending=[True, False])
        .group_by("mode", maintain_order=True)
        .first()
        .join(names.select("medal_id", "name"), on="medal_id", how="left")
        .select("mode", top_medal=medal_name(), top_count=pl.col("count"))
    )
    totals = counts.group_by("mode").agg(medals=pl.col("count").sum())
    frame = (
        per_mode.join(totals, on="mode", how="left")
        .join(top, on="mode", how="left")
        .with_columns(medals=pl.col("medals").fill_null(0))
        .with_columns(per_match=pl.col("medals") / pl.col("matches"))
        .sort(["matches", "mode"], descending=[True, False])
    )
    return frame.to_dicts()


EARNED_TABLE = TableSpec(
    "medals-earned",
    "Medals earned most",
    (
        Column("name", "Medal"),
        Column("count", "Earned", "int"),
        Column("matches", "In matches", "int"),
        Column("per_match", "Per match", "ratio"),
        Column("per_10_minutes", "Per 10 min", "ratio"),
        Column("difficulty", "Difficulty"),
    ),
)
RAREST_TABLE = TableSpec(
    "medals-rarest",
    "Rarest medals earned (by the game's difficulty)",
    (
        Column("name", "Medal"),
        Column("difficulty", "Difficulty"),
        Column("count", "Earned", "int"),
        Column("last_earned", "Last earned (UTC)", "datetime"),
    ),
    terminal_rows=None,
)
BY_MODE_TABLE = TableSpec(
    "medals-modes",
    "Medals by mode",
    (
        Column("mode", "Mode"),
        Column("matches", "Matches", "int"),
        Column("medals", "Medals", "int"),
        Column("per_match", "Per match", "ratio"),
        Column("top_medal", "Earned most"),
        Column("top_count", "Times", "int"),
    ),
)


def views(figures: dict[str, Any], summary: dict[str, Any]) -> list[View]:
    if not figures["available"]:
        return [note("Medals: " + figures["note"])]
    per_match = figures["per_match"]
    per_10 = figures["per_10_minutes"]
    head = (
        f"{figures['total']:,} medals in {figures['matches_with_medals']:,} matches: "
        f"{per_match:.2f} per match"
        + (f", {per_10:.2f} per 10 minutes played" if per_10 is not None else "")
        + "."
    )
    result = [note(head)]
    if figures["note"]:
        result.append(note(figures["note"]))
    result.append(table(EARNED_TABLE, figures["earned"]))
    if figures["rarest"]:
        result.append(table(RAREST_TABLE, figures["rarest"]))
    if figures.get("names_missing"):
        result.append(
            note(
                f"{figures['names_missing']} medal(s) have no stored metadata (medal_names): "
                "shown by id, not ranked by rarity."
            )
        )
    result.append(table(BY_MODE_TABLE, figures["by_mode"]))
    return result


def charts(report: Report) -> list[svg.Chart]:
    figures = report.summary["medal_stats"]
    title = "Medals earned most"
    if not figures["available"]:
        return [svg.empty_chart("chart-medals", title, "Medals: " + figures["note"])]
    rows = [
        svg.BarRow(
            m["name"],
            m["count"],
            f"{m['count']:,}",
            f"{m['per_match']:.2f} per match",
        )
        for m in figures["earned"][:TOP_MEDALS]
    ]
    return [
        svg.horizontal_bars(
            "chart-medals", title, rows, fmt=svg.fmt_axis_num, label_w=220, zero=True
        )
    ]


SECTION = Section("medal_stats", "Medals", compute, views, charts)
