"""The matches section: the newest matches in scope, one line each.

Each line links (on the page) to the match's scoreboard, which `levelup match ID`
shows in the terminal (the short id printed here is enough when it is unique).
"""

from __future__ import annotations

from typing import Any

import polars as pl

from levelup.analysis.scope import RESULT_LABELS, iso
from levelup.analysis.section import Context, Section
from levelup.analysis.tablespec import Column, TableSpec, View, note, table

RECENT = 20
SHORT_ID = 8


def _score(row: dict[str, Any]) -> str:
    mine, theirs = row["my_team_score"], row["enemy_team_score"]
    if mine is None and theirs is None:
        return "" if row["score"] is None else f"{row['score']:,}"
    sides = ["?" if v is None else f"{v:,}" for v in (mine, theirs)]
    # "50-40"; with a negative score (some modes) "-2 – 1", never "-2-1".
    joiner = " – " if any(v is not None and v < 0 for v in (mine, theirs)) else "-"
    return joiner.join(sides)


def _kda(row: dict[str, Any]) -> str:
    values = (row["kills"], row["deaths"], row["assists"])
    return "/".join("?" if v is None else str(v) for v in values)


def compute(ctx: Context) -> dict[str, Any]:
    newest = ctx.matches.tail(RECENT).reverse()
    skill = ctx.frames.skill.filter(pl.col("xuid") == (ctx.owner or "")).select(
        "match_id",
        csr_change=pl.coalesce(pl.col("csr_change"), pl.col("post_csr") - pl.col("pre_csr")),
        post_csr=pl.when(pl.col("post_csr") >= 0).then(pl.col("post_csr")),
    )
    newest = newest.join(
        skill.unique(subset="match_id"), on="match_id", how="left", maintain_order="left"
    )
    rows = [
        {
            "match_id": row["match_id"],
            "short_id": row["match_id"][:SHORT_ID],
            "start_time": iso(row["start_time"]),
            "mode": row["mode"],
            "map": row["map_label"],
            "playlist": row["playlist_label"],
            "kind": row["kind"],
            "result": row["result"],
            "outcome": RESULT_LABELS.get(row["result"] or "", "unknown"),
            "score": _score(row),
            "kills": row["kills"],
            "deaths": row["deaths"],
            "assists": row["assists"],
            "kda_text": _kda(row),
            "accuracy": row["accuracy"],
            "csr_change": row["csr_change"],
            "post_csr": row["post_csr"],
        }
        for row in newest.iter_rows(named=True)
    ]
    return {"matches": rows, "shown": len(rows), "in_scope": ctx.matches.height}


RECENT_TABLE = TableSpec(
    "matches-recent",
    "Recent matches (newest first)",
    (
        Column("start_time", "Date (UTC)", "datetime", link="match_id"),
        Column("short_id", "Match"),
        Column("mode", "Mode"),
        Column("map", "Map"),
        Column("outcome", "Outcome"),
        Column("score", "Score", align="right"),
        Column("kda_text", "K/D/A", align="right"),
        Column("accuracy", "Acc.", "pct"),
        Column("csr_change", "CSR ±", "signed"),
    ),
    terminal_rows=None,
)


def views(figures: dict[str, Any], summary: dict[str, Any]) -> list[View]:
    if not figures["matches"]:
        return [note("No matches in scope.")]
    return [
        table(
            RECENT_TABLE,
            figures["matches"],
            f"The newest {figures['shown']} of {figures['in_scope']:,} matches in scope; "
            "`levelup match ID` shows one's full scoreboard.",
        )
    ]


SECTION = Section("recent_matches", "Matches", compute, views)
