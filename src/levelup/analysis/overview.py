"""The overview section: record, K/D, KDA, per-match figures, damage, headshots,
time played, and the current rank in each ranked playlist.

The headline figures are PvP's (matches against humans only: matchmade PvP and
custom games without bots): a Firefight match's 40 kills against AI, or a bot
match's, would make a K/D no lobby of humans ever saw. Every kind of match in
scope is also shown apart (`by_kind`). Each figure is computed over the matches
where its inputs are known, and the matches where they are not are counted apart
(`unknown`), so a stretch of matches stored before a column existed lowers no
average.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from levelup.analysis.figures import percent, ratio
from levelup.analysis.formatting import csr_value, fmt_duration, tier_label
from levelup.analysis.scope import KINDS, PVP_KINDS, asset_names
from levelup.analysis.section import Context, Section, availability
from levelup.analysis.tablespec import (
    RECORD_COLUMNS,
    Column,
    TableSpec,
    View,
    key_values,
    note,
    table,
)


def _sum(frame: pl.DataFrame, column: str) -> int:
    return int(frame[column].sum() or 0)


def _known(frame: pl.DataFrame, *columns: str) -> pl.DataFrame:
    return frame.filter(pl.all_horizontal([pl.col(c).is_not_null() for c in columns]))


def record(matches: pl.DataFrame) -> dict[str, Any]:
    """Wins, losses, ties, unfinished and unknown outcomes; win rate over decided matches."""
    counts = matches["result"].value_counts()
    by_result = {row[0]: int(row[1]) for row in counts.iter_rows()}
    wins, losses = by_result.get("win", 0), by_result.get("loss", 0)
    ties, dnf = by_result.get("tie", 0), by_result.get("dnf", 0)
    return {
        "matches": matches.height,
        "wins": wins,
        "losses": losses,
        "ties": ties,
        "dnf": dnf,
        "outcome_unknown": matches.height - wins - losses - ties - dnf,
        "decided": wins + losses,
        "win_rate": percent(wins, wins + losses),
    }


def combat(matches: pl.DataFrame) -> dict[str, Any]:
    """K/D, KDA and per-match figures over the matches where kills, deaths, assists are known."""
    kd = _known(matches, "kills", "deaths")
    kills, deaths = _sum(kd, "kills"), _sum(kd, "deaths")
    kda_rows = _known(kd, "assists")
    assists = _sum(kda_rows, "assists")
    kda_total = _sum(kda_rows, "kills") + assists / 3 - _sum(kda_rows, "deaths")
    damage = _known(matches, "damage_dealt", "damage_taken")
    dealt, taken = _sum(damage, "damage_dealt"), _sum(damage, "damage_taken")
    heads = _known(kd, "headshot_kills")
    timed = _known(matches, "time_played_seconds")
    return {
        "kd_matches": kd.height,
        "kills": kills,
        "deaths": deaths,
        "assists": assists,
        "kd_ratio": ratio(kills, deaths),
        # The API's KDA, kills + assists / 3 - deaths, per match, from the sums.
        "kda": ratio(kda_total, kda_rows.height),
        "kills_per_match": ratio(kills, kd.height),
        "deaths_per_match": ratio(deaths, kd.height),
        "assists_per_match": ratio(assists, kda_rows.height),
        "damage_matches": damage.height,
        "damage_dealt": dealt,
        "damage_taken": taken,
        "damage_ratio": ratio(dealt, taken),
        "damage_dealt_per_match": ratio(dealt, damage.height),
        "damage_taken_per_match": ratio(taken, damage.height),
        "headshot_kills": _sum(heads, "headshot_kills"),
        "headshot_share": percent(_sum(heads, "headshot_kills"), _sum(heads, "kills")),
        "time_played_seconds": float(timed["time_played_seconds"].sum() or 0.0),
        "time_matches": timed.height,
        "unknown": {
            "kills_deaths": matches.height - kd.height,
            "damage": matches.height - damage.height,
            "time_played": matches.height - timed.height,
        },
    }


def current_csr(ctx: Context) -> list[dict[str, Any]]:
    """The newest snapshot per ranked playlist: current, season and all-time best.

    A CSR of -1 (or NULL) is the API's "in placement": shown as such, not as a value.
    """
    snapshots = ctx.frames.csr
    if snapshots.is_empty():
        return []
    names = asset_names(ctx.frames.assets, "playlists").rename(
        {"asset_id": "playlist_id", "public_name": "playlist_name"}
    )
    latest = (
        snapshots.sort("fetched_at", descending=True, nulls_last=True)
        .unique(subset="playlist_id", keep="first", maintain_order=True)
        .join(names, on="playlist_id", how="left")
        .sort(["current_csr", "playlist_id"], descending=[True, False], nulls_last=True)
    )
    rows = []
    for row in latest.iter_rows(named=True):
        current = csr_value(row["current_csr"])
        season = csr_value(row["season_max_csr"])
        best = csr_value(row["all_time_max_csr"])
        remaining = row["current_matches_remaining"]
        rows.append(
            {
                "playlist_id": row["playlist_id"],
                "playlist": row["playlist_name"] or row["playlist_id"],
                "current": current,
                "tier": row["current_tier"] or None if current is not None else None,
                "sub_tier": row["current_sub_tier"] if current is not None else None,
                "tier_label": tier_label(row["current_tier"], row["current_sub_tier"], current)
                if current is not None
                else f"in placement ({remaining} to play)"
                if remaining
                else "unranked",
                "matches_remaining": remaining,
                "season_max": season,
                "season_max_label": tier_label(
                    row["season_max_tier"], row["season_max_sub_tier"], season
                )
                if season is not None
                else "",
                "all_time_max": best,
                "all_time_max_label": tier_label(
                    row["all_time_max_tier"], row["all_time_max_sub_tier"], best
                )
                if best is not None
                else "",
                "fetched_at": row["fetched_at"].strftime("%Y-%m-%dT%H:%M:%SZ")
                if row["fetched_at"]
                else None,
            }
        )
    return rows


def by_kind(matches: pl.DataFrame) -> list[dict[str, Any]]:
    """Record and combat figures of each kind of match in scope (KINDS' order)."""
    rows = []
    for kind, label in KINDS.items():
        subset = matches.filter(pl.col("kind") == kind)
        if subset.is_empty():
            continue
        figures = {**record(subset), **combat(subset)}
        rows.append(
            {"kind": kind, "kind_label": label, "pvp": kind in PVP_KINDS}
            | {key: figures[key] for key in KIND_FIGURES}
        )
    return rows


KIND_FIGURES = ("matches", "wins", "losses", "ties", "win_rate", "kills", "deaths",
                "assists", "kd_ratio", "kda", "kills_per_match", "deaths_per_match")  # fmt: skip


def compute(ctx: Context) -> dict[str, Any]:
    """The headline over the PvP matches in scope; matches and time played over all."""
    pvp = ctx.matches.filter(pl.col("kind").is_in(PVP_KINDS))
    figures = {**record(pvp), **combat(pvp)}
    figures["pvp_matches"] = pvp.height
    figures["matches"] = ctx.matches.height
    everything = combat(ctx.matches)
    figures["time_played_seconds"] = everything["time_played_seconds"]
    figures["time_matches"] = everything["time_matches"]
    figures["unknown"]["time_played"] = everything["unknown"]["time_played"]
    figures["by_kind"] = by_kind(ctx.matches)
    figures["accuracy"] = None  # PvP's, filled from the accuracy section by the report
    figures["csr"] = current_csr(ctx)
    figures["csr_note"] = availability(ctx.frames, "csr_snapshots")
    return figures


PVP_TITLE = "Headline: PvP matches (against humans: matchmade and custom, no bots)"
KIND_TABLE = TableSpec(
    "overview-kinds",
    "By kind of match (PvE and bot matches apart from the PvP headline)",
    (
        Column("kind_label", "Kind"),
        Column("matches", "Matches", "int"),
        *RECORD_COLUMNS,
        Column("kd_ratio", "K/D", "ratio"),
        Column("kills_per_match", "Kills/match", "float1"),
    ),
    terminal_rows=None,
)
KIND_CAPTION = "Kills against AI (Firefight, bots) are a different sport: never in the headline."
CSR_TABLE = TableSpec(
    "overview-csr",
    "Current rank per ranked playlist (latest snapshot)",
    (
        Column("playlist", "Playlist"),
        Column("current", "CSR", "int"),
        Column("tier_label", "Tier"),
        Column("season_max_label", "Season best"),
        Column("all_time_max_label", "All-time best"),
    ),
    terminal_rows=None,
)


def _unknown_note(figures: dict[str, Any]) -> str:
    parts = [
        f"{n:,} without {what}"
        for what, n in (
            ("kills and deaths", figures["unknown"]["kills_deaths"]),
            ("damage", figures["unknown"]["damage"]),
            ("time played", figures["unknown"]["time_played"]),
            ("a known outcome", figures["outcome_unknown"]),
        )
        if n
    ]
    if not parts:
        return ""
    return (
        "Matches left out of a figure because the value is not stored (not provided by the "
        "API, or not yet backfilled): " + "; ".join(parts) + "."
    )


def views(figures: dict[str, Any], summary: dict[str, Any]) -> list[View]:
    record_text = f"{figures['wins']:,} W / {figures['losses']:,} L / {figures['ties']:,} T" + (
        f" / {figures['dnf']:,} DNF" if figures["dnf"] else ""
    )
    pairs: list[tuple[str, Any, str]] = [
        ("Matches (every kind)", figures["matches"], "int"),
        ("PvP matches", figures["pvp_matches"], "int"),
        ("PvP wins / losses / ties", record_text, "text"),
        ("PvP win rate (of decided matches)", figures["win_rate"], "pct1"),
        ("PvP K/D (kills / deaths)", figures["kd_ratio"], "ratio"),
        ("PvP KDA per match", figures["kda"], "ratio"),
        ("PvP kills / deaths / assists per match", _per_match(figures), "text"),
        ("PvP accuracy (hits / fired)", figures["accuracy"], "pct"),
        ("PvP damage dealt / taken per match", _damage(figures), "text"),
        ("PvP damage ratio (dealt / taken)", figures["damage_ratio"], "ratio"),
        ("PvP headshot share of kills", figures["headshot_share"], "pct1"),
        ("Time played (every kind)", fmt_duration(figures["time_played_seconds"]), "text"),
    ]
    result = [key_values("overview-figures", PVP_TITLE, pairs)]
    if any(not row["pvp"] for row in figures["by_kind"]):
        result.append(table(KIND_TABLE, figures["by_kind"], KIND_CAPTION))
    if figures["csr"]:
        dates = sorted({row["fetched_at"][:16].replace("T", " ") for row in figures["csr"]
                        if row["fetched_at"]})  # fmt: skip
        when = f"As of {dates[-1]} UTC (the last sync's snapshot)." if dates else ""
        result.append(table(CSR_TABLE, figures["csr"], when))
    else:
        result.append(note("Current rank: " + (figures["csr_note"] or "no ranked playlist")))
    unknown = _unknown_note(figures)
    if unknown:
        result.append(note(unknown))
    return result


def _per_match(figures: dict[str, Any]) -> str:
    values = (figures["kills_per_match"], figures["deaths_per_match"], figures["assists_per_match"])
    return " / ".join("n/a" if v is None else f"{v:.1f}" for v in values)


def _damage(figures: dict[str, Any]) -> str:
    dealt, taken = figures["damage_dealt_per_match"], figures["damage_taken_per_match"]
    if dealt is None or taken is None:
        return "n/a"
    return f"{dealt:,.0f} / {taken:,.0f}"


SECTION = Section("overview", "Overview", compute, views)
