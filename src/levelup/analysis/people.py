"""The people section: who the player wins with, who they meet, who is toughest.

Teammates share the owner's final team in a team match; opponents are on
another team (matches without teams have neither). Records are the owner's
results in the matches shared; "their K/D" is the other player's sums in
those matches, beside the owner's own over the same matches. Bots are left
out: they are not people one plays with again. The toughest opponents are
ranked by the highest CSR the skill service gave them in a shared match.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from levelup.analysis.figures import percent, ratio
from levelup.analysis.scope import iso
from levelup.analysis.section import Context, Section, availability
from levelup.analysis.tablespec import RECORD_COLUMNS, Column, TableSpec, View, note, table

TOP = 10


def _names(rows: pl.DataFrame, names: pl.DataFrame, xuids: pl.DataFrame) -> pl.DataFrame:
    """xuid -> display name for the given players: the name cache's, else the newest
    seen in a match (only the rows of the few players shown are sorted)."""
    seen = (
        rows.select("xuid", "gamertag", "start_time")
        .join(xuids, on="xuid", how="semi")
        .filter(pl.col("gamertag").is_not_null())
        .sort("start_time", nulls_last=False)
        .group_by("xuid")
        .agg(seen=pl.col("gamertag").last())
    )
    cached = names.unique(subset="xuid", keep="first").join(xuids, on="xuid", how="semi")
    return (
        xuids.join(cached, on="xuid", how="left")
        .join(seen, on="xuid", how="left")
        .select("xuid", name=pl.coalesce(pl.col("gamertag"), pl.col("seen"), pl.col("xuid")))
    )


def _record(rows: pl.DataFrame, names: pl.DataFrame, count: int) -> list[dict[str, Any]]:
    known_theirs = pl.col("kills").is_not_null() & pl.col("deaths").is_not_null()
    known_mine = pl.col("my_kills").is_not_null() & pl.col("my_deaths").is_not_null()
    grouped = (
        rows.group_by("xuid")
        .agg(
            matches=pl.col("match_id").n_unique(),
            wins=(pl.col("result") == "win").sum(),
            losses=(pl.col("result") == "loss").sum(),
            ties=(pl.col("result") == "tie").sum(),
            their_kills=pl.col("kills").filter(known_theirs).sum(),
            their_deaths=pl.col("deaths").filter(known_theirs).sum(),
            my_kills=pl.col("my_kills").filter(known_mine).sum(),
            my_deaths=pl.col("my_deaths").filter(known_mine).sum(),
            last_met=pl.col("start_time").max(),
        )
        .sort(["matches", "last_met", "xuid"], descending=[True, True, False], nulls_last=True)
        .head(count)
    )
    grouped = grouped.join(_names(rows, names, grouped.select("xuid")), on="xuid", how="left")
    return [
        {
            "xuid": row["xuid"],
            "name": row["name"] or row["xuid"],
            "matches": row["matches"],
            "wins": row["wins"],
            "losses": row["losses"],
            "ties": row["ties"],
            "win_rate": percent(row["wins"], row["wins"] + row["losses"]),
            "their_kd": ratio(row["their_kills"], row["their_deaths"]),
            "your_kd": ratio(row["my_kills"], row["my_deaths"]),
            "last_met": iso(row["last_met"]),
        }
        for row in grouped.iter_rows(named=True)
    ]


def _toughest(
    ctx: Context, opponents: pl.DataFrame, names: pl.DataFrame
) -> tuple[list[dict[str, Any]], str | None]:
    missing = availability(ctx.frames, "match_skill")
    if missing:
        return [], missing
    skill = ctx.frames.skill.filter(pl.col("xuid") != (ctx.owner or "")).select(
        "match_id", "xuid", csr=pl.coalesce(pl.col("post_csr"), pl.col("pre_csr"))
    )
    rated = opponents.select("match_id", "xuid").join(
        skill.filter(pl.col("csr") >= 0), on=["match_id", "xuid"], how="inner"
    )
    if rated.is_empty():
        return [], "no CSR stored for the opponents in scope (the skill data holds your rows only)"
    best = rated.group_by("xuid").agg(max_csr=pl.col("csr").max())
    ordered = best.sort(["max_csr", "xuid"], descending=[True, False]).head(TOP)
    shown = opponents.join(ordered, on="xuid", how="semi")
    records = {row["xuid"]: row for row in _record(shown, names, TOP)}
    return [
        {**records[row["xuid"]], "max_csr": row["max_csr"]} for row in ordered.iter_rows(named=True)
    ], None


def compute(ctx: Context) -> dict[str, Any]:
    roles = ctx.roles().filter(~pl.col("is_bot").fill_null(False))
    names = ctx.frames.names
    teammates = roles.filter(pl.col("role") == "teammate")
    opponents = roles.filter(pl.col("role") == "opponent")
    toughest, toughest_note = _toughest(ctx, opponents, names)
    return {
        "teammates": _record(teammates, names, TOP),
        "opponents": _record(opponents, names, TOP),
        "toughest": toughest,
        "toughest_note": toughest_note,
        "distinct_teammates": teammates["xuid"].n_unique(),
        "distinct_opponents": opponents["xuid"].n_unique(),
    }


def _columns(with_label: str) -> tuple[Column, ...]:
    return (
        Column("name", "Gamertag"),
        Column("matches", with_label, "int"),
        *RECORD_COLUMNS,
        Column("their_kd", "Their K/D", "ratio"),
        Column("your_kd", "Your K/D", "ratio"),
    )


TEAMMATES_TABLE = TableSpec("people-teammates", "Teammates played with most", _columns("Together"))
OPPONENTS_TABLE = TableSpec(
    "people-opponents", "Opponents met most (your record against them)", _columns("Against")
)
TOUGHEST_TABLE = TableSpec(
    "people-toughest",
    "Toughest opponents (highest CSR seen)",
    (Column("name", "Gamertag"), Column("max_csr", "Best CSR", "int"), *_columns("Against")[1:]),
)


def views(figures: dict[str, Any], summary: dict[str, Any]) -> list[View]:
    result: list[View] = []
    for key, spec, who in (
        ("teammates", TEAMMATES_TABLE, "teammate"),
        ("opponents", OPPONENTS_TABLE, "opponent"),
    ):
        if figures[key]:
            caption = f"{figures['distinct_' + key]:,} different {key} in scope (humans)."
            result.append(table(spec, figures[key], caption))
        else:
            result.append(note(f"No human {who} in scope."))
    if figures["toughest"]:
        result.append(table(TOUGHEST_TABLE, figures["toughest"]))
    else:
        result.append(note("Toughest opponents by CSR: " + (figures["toughest_note"] or "none")))
    return result


SECTION = Section("people", "People", compute, views)
