"""Sum-based figures shared by the sections, as Polars expressions.

Every ratio is a ratio of sums over the rows where both sides are known:
K/D = sum(kills) / sum(deaths), accuracy = sum(hit) / sum(fired) x 100, win
rate = wins / (wins + losses) x 100 over decided matches (ties and unfinished
matches are counted apart). An average of per-match ratios would weigh a
2-kill match like a 30-kill one; a NULL counted as 0 would invent a score.
"""

from __future__ import annotations

import math

import polars as pl


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    """numerator / denominator; None when the denominator is 0 or unknown."""
    if numerator is None or not denominator:
        return None
    return numerator / denominator


def percent(part: float | None, whole: float | None) -> float | None:
    value = ratio(part, whole)
    return None if value is None else value * 100.0


def record_aggs() -> list[pl.Expr]:
    """Matches and outcomes of a group (the `result` column of the per-match frame)."""
    result = pl.col("result")
    return [
        pl.len().alias("matches"),
        (result == "win").sum().alias("wins"),
        (result == "loss").sum().alias("losses"),
        (result == "tie").sum().alias("ties"),
        (result == "dnf").sum().alias("dnf"),
    ]


def kd_aggs() -> list[pl.Expr]:
    """Kills, deaths and assists over the matches where kills and deaths are known."""
    known = pl.col("has_kd")
    return [
        known.sum().alias("kd_matches"),
        pl.col("kills").filter(known).sum().alias("kills"),
        pl.col("deaths").filter(known).sum().alias("deaths"),
        pl.col("assists").filter(known).sum().alias("assists"),
    ]


def shot_aggs() -> list[pl.Expr]:
    known = pl.col("has_shots")
    return [
        known.sum().alias("shot_matches"),
        pl.col("shots_fired").filter(known).sum().alias("shots_fired"),
        pl.col("shots_hit").filter(known).sum().alias("shots_hit"),
    ]


def _div(numerator: pl.Expr, denominator: pl.Expr, scale: float = 1.0) -> pl.Expr:
    return pl.when(denominator > 0).then(numerator.cast(pl.Float64) * scale / denominator)


def with_rates(frame: pl.DataFrame) -> pl.DataFrame:
    """Adds win_rate, kd_ratio, kills/deaths per match and accuracy where the sums exist."""
    columns = set(frame.columns)
    exprs: list[pl.Expr] = []
    if {"wins", "losses"} <= columns:
        exprs.append(
            _div(pl.col("wins"), pl.col("wins") + pl.col("losses"), 100.0).alias("win_rate")
        )
    if {"kills", "deaths", "kd_matches"} <= columns:
        exprs += [
            _div(pl.col("kills"), pl.col("deaths")).alias("kd_ratio"),
            _div(pl.col("kills"), pl.col("kd_matches")).alias("kills_per_match"),
            _div(pl.col("deaths"), pl.col("kd_matches")).alias("deaths_per_match"),
        ]
    if {"shots_fired", "shots_hit"} <= columns:
        exprs.append(_div(pl.col("shots_hit"), pl.col("shots_fired"), 100.0).alias("accuracy"))
    return frame.with_columns(exprs) if exprs else frame


# What a chart's run of matches is named by (its first match), and its record.
FIRST_OF_RUN = tuple(pl.col(c).first() for c in ("start_time", "match_id", "mode", "map_label"))
RECORD_OF_RUN = {
    "wins": (pl.col("result") == "win").sum(),
    "losses": (pl.col("result") == "loss").sum(),
}


def runs(
    rows: pl.DataFrame, limit: int, *aggs: pl.Expr, **named: pl.Expr
) -> tuple[pl.DataFrame, int]:
    """Consecutive rows grouped into at most `limit` runs of equal length, and that length.

    A chart over a long history draws one mark per run instead of one per match, so
    the page stays light at any history size. Each run also has `n`, its row count.
    """
    size = max(1, math.ceil(rows.height / limit))
    grouped = (
        rows.with_row_index("i")
        .group_by((pl.col("i") // size).alias("bucket"), maintain_order=True)
        .agg(*aggs, n=pl.len(), **named)
    )
    return grouped, size
