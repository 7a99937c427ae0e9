"""The modes-and-maps section: per mode and per map the record, K/D and accuracy, and
each mode's objective stats per match (flag captures, zone captures, time as
skull carrier, ...), from `match_mode_stats`.

Kinds of match stay apart (Slayer against bots is not Slayer against people).
Objective stats are averaged over the matches whose mode stats are stored and
whose value is known (a NULL is not a 0: `unknown_matches` counts them; a match
whose stored mode stats have no row for the stat counts 0, as before); the
API's generic `Pvp` group (kills, deaths and assists again) is left out, those
figures are already in the other columns.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import polars as pl

from levelup.analysis import svg
from levelup.analysis.figures import kd_aggs, record_aggs, shot_aggs, with_rates
from levelup.analysis.formatting import fmt_duration, fmt_pct1, humanize_stat, is_time_stat
from levelup.analysis.scope import KIND_ORDER, KINDS
from levelup.analysis.section import Context, Section, availability
from levelup.analysis.tablespec import Column, TableSpec, View, note, table

if TYPE_CHECKING:
    from levelup.analysis.report import Report

GENERIC_GROUPS = {"Pvp"}
# Stats other groups repeat from the core figures (PveStats has its own Kills, KDA, ...).
CORE_STATS = {"Kills", "Deaths", "Assists", "KDA"}
OBJECTIVES_SHOWN = 3
MAX_BAR_ROWS = 15


def _grouped(matches: pl.DataFrame, key: str, label: str) -> pl.DataFrame:
    return (
        matches.group_by(["kind", key])
        .agg(*record_aggs(), *kd_aggs(), *shot_aggs(), name=pl.col(label).first())
        .pipe(with_rates)
        .with_columns(
            kind_order=pl.col("kind").replace_strict(KIND_ORDER, return_dtype=pl.Int32),
            kind_label=pl.col("kind").replace_strict(KINDS, return_dtype=pl.String),
        )
        .sort(["kind_order", "matches", "name"], descending=[False, True, False])
    )


def objectives(ctx: Context) -> tuple[dict[tuple[str, int | None], list[dict]], str | None]:
    """Per (kind, game variant category): each objective stat per covered match
    whose value is known (see the module docstring)."""
    missing = availability(ctx.frames, "match_mode_stats")
    if missing:
        return {}, missing
    covered = ctx.matches.join(ctx.frames.mode_stat_matches, on="match_id", how="semi")
    if covered.is_empty():
        return {}, "not yet backfilled: no match in scope has match_mode_stats rows"
    per_mode = covered.group_by("kind", "game_variant_category").agg(covered=pl.len())
    keys = ["kind", "game_variant_category", "mode", "stat"]
    stats = (
        ctx.frames.mode_stats.filter(
            ~pl.col("mode").is_in(list(GENERIC_GROUPS)) & ~pl.col("stat").is_in(list(CORE_STATS))
        )
        .join(covered.select("match_id", "kind", "game_variant_category"), on="match_id")
        # One value per match (two objects can share a mode name: `Oddball` and
        # `OddballStats`), unknown when any of its rows is NULL.
        .group_by("match_id", *keys)
        .agg(value=pl.when(pl.col("value").null_count() == 0).then(pl.col("value").sum()))
        .group_by(keys)
        .agg(
            total=pl.col("value").sum(),
            # A NULL value (unreadable in the JSON) is not known, never a 0: its
            # match leaves the average (`unknown` says how many did).
            unknown=pl.col("value").null_count(),
        )
        .join(per_mode, on=["kind", "game_variant_category"])
        .with_columns(known=pl.col("covered") - pl.col("unknown"))
        .with_columns(
            per_match=pl.when(pl.col("known") > 0).then(pl.col("total") / pl.col("known")),
            total=pl.when(pl.col("known") > 0).then(pl.col("total")),
        )
        .sort(["per_match", "stat"], descending=[True, False], nulls_last=True)
    )
    result: dict[tuple[str, int | None], list[dict]] = {}
    for row in stats.iter_rows(named=True):
        result.setdefault((row["kind"], row["game_variant_category"]), []).append(
            {
                "group": row["mode"],
                "stat": row["stat"],
                "label": humanize_stat(row["stat"], row["game_variant_category"]),
                "seconds": is_time_stat(row["stat"]),
                "total": row["total"],
                "per_match": row["per_match"],
                "matches": row["known"],
                "unknown_matches": row["unknown"],
            }
        )
    return result, None


def _objective_text(stats: list[dict]) -> str:
    shown = []
    for stat in [s for s in stats if s["per_match"] is not None][:OBJECTIVES_SHOWN]:
        value = stat["per_match"]
        shown.append(
            f"{stat['label']} {fmt_duration(value)}"
            if stat["seconds"]
            else f"{stat['label']} {value:.2f}"
        )
    return " · ".join(shown)


def compute(ctx: Context) -> dict[str, Any]:
    matches = ctx.matches
    objective_stats, objective_note = objectives(ctx)
    by_mode = []
    if not matches.is_empty():
        for row in _grouped(matches, "game_variant_category", "mode").iter_rows(named=True):
            stats = objective_stats.get((row["kind"], row["game_variant_category"]), [])
            by_mode.append(
                {
                    **_public(row),
                    "category": row["game_variant_category"],
                    "objectives": stats,
                    "objectives_text": _objective_text(stats),
                }
            )
    by_map = []
    if not matches.is_empty():
        by_map = [
            {**_public(row), "map_id": row["map_id"]}
            for row in _grouped(matches, "map_id", "map_label").iter_rows(named=True)
        ]
    return {
        "by_mode": by_mode,
        "by_map": by_map,
        "objectives_note": objective_note,
        "several_kinds": matches["kind"].n_unique() > 1 if not matches.is_empty() else False,
    }


def _public(row: dict[str, Any]) -> dict[str, Any]:
    keys = (
        "kind",
        "kind_label",
        "name",
        "matches",
        "wins",
        "losses",
        "ties",
        "dnf",
        "win_rate",
        "kd_matches",
        "kills",
        "deaths",
        "assists",
        "kd_ratio",
        "kills_per_match",
        "deaths_per_match",
        "shot_matches",
        "shots_fired",
        "shots_hit",
        "accuracy",
    )
    return {key: row[key] for key in keys}


def _spec(table_id: str, title: str, what: str, extra: tuple[Column, ...] = ()) -> TableSpec:
    return TableSpec(
        table_id,
        title,
        (
            Column("kind_label", "Kind"),
            Column("name", what),
            Column("matches", "Matches", "int"),
            Column("win_rate", "Win rate", "pct1"),
            Column("kd_ratio", "K/D", "ratio"),
            Column("kills_per_match", "Kills/match", "float1"),
            Column("accuracy", "Acc.", "pct"),
            *extra,
        ),
    )


MODE_TABLE = _spec(
    "modes-table",
    "By mode",
    "Mode",
    (Column("objectives_text", "Objective stats per match", wrap=True),),
)
MAP_TABLE = _spec("maps-table", "By map", "Map")


def views(figures: dict[str, Any], summary: dict[str, Any]) -> list[View]:
    if not figures["by_mode"]:
        return [note("No matches in scope.")]
    result = [table(MODE_TABLE, figures["by_mode"])]
    if figures["objectives_note"]:
        result.append(note("Objective stats: " + figures["objectives_note"]))
    result.append(table(MAP_TABLE, figures["by_map"]))
    return result


def _win_rate_bars(rows: list[dict[str, Any]], several: bool) -> list[svg.BarRow]:
    top = sorted(rows, key=lambda r: -r["matches"])[:MAX_BAR_ROWS]
    return [
        svg.BarRow(
            f"{r['name']} · {r['kind_label']}" if several else r["name"],
            r["win_rate"],
            fmt_pct1(r["win_rate"]),
            f"{r['matches']:,} matches, K/D "
            + ("n/a" if r["kd_ratio"] is None else f"{r['kd_ratio']:.2f}"),
        )
        for r in top
    ]


def charts(report: Report) -> list[svg.Chart]:
    figures = report.summary["modes_maps"]
    return [
        svg.horizontal_bars(
            chart_id,
            title,
            _win_rate_bars(figures[key], figures["several_kinds"]),
            width=svg.HALF_WIDTH,
            label_w=190,
            ceil=100,
        )
        for key, chart_id, title in (
            ("by_mode", "chart-mode-winrate", "Win rate by mode"),
            ("by_map", "chart-map-winrate", "Win rate by map"),
        )
    ]


SECTION = Section("modes_maps", "Modes and maps", compute, views, charts)
