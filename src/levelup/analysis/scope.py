"""Which matches a report covers, and the per-match frame every section starts from.

`prepare_matches` builds one row per stored match, the owner's view, with what
every section needs beside the stored columns: the kind of match (matchmade
PvP, with bots, PvE, custom: different sports that every breakdown keeps
apart), display names of mode, map and playlist, the outcome as a word, and
whether shots are known. `apply_scope` then keeps the matches the options ask
for; sections never look at matches outside it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import polars as pl

from levelup.analysis.frames import ReportFrames
from levelup.analysis.modes import mode_label

KINDS: dict[str, str] = {
    "matchmade_pvp": "Matchmade PvP",
    "matchmade_bots": "Matchmade with bots",
    "pve": "PvE (Firefight)",
    "custom_bots": "Custom with bots",
    "custom": "Custom / local",
    "unknown": "Unknown origin",
}
KIND_ORDER = {kind: index for index, kind in enumerate(KINDS)}
# The kinds played against humans only: the report's headline figures are theirs.
PVP_KINDS = ("matchmade_pvp", "custom")

LIFECYCLE_CUSTOM = 1
LIFECYCLE_MATCHMADE = 3
LIFECYCLE_LOCAL = 7
INTERACTION_PVE = 2
CATEGORY_FIREFIGHT = 42

# The API's outcome codes (spnkr's Outcome enum).
OUTCOME_TIE, OUTCOME_WIN, OUTCOME_LOSS, OUTCOME_DNF, OUTCOME_DNS = 1, 2, 3, 4, 5
RESULTS = {OUTCOME_WIN: "win", OUTCOME_LOSS: "loss", OUTCOME_TIE: "tie", OUTCOME_DNF: "dnf"}
RESULT_LABELS = {"win": "Win", "loss": "Loss", "tie": "Tie", "dnf": "Did not finish"}


@dataclass(frozen=True)
class Scope:
    """Which matches the report covers, and the zone its clock times are shown in.
    `last` keeps the newest N of what the other filters leave (the last 20 Slayer)."""

    last: int | None = None
    since: dt.date | None = None
    categories: tuple[int, ...] = ()
    min_shots: int = 20
    tz: str = "UTC"

    @property
    def filtered(self) -> bool:
        """True when the scope is not every stored match (so "career" would be wrong)."""
        return bool(self.last or self.since or self.categories)

    def describe(self) -> dict[str, Any]:
        return {
            "last": self.last,
            "since": self.since.isoformat() if self.since else None,
            "modes": [mode_label(code) for code in self.categories],
            "min_shots": self.min_shots,
            "tz": self.tz,
        }


def describe_scope(summary: dict[str, Any]) -> tuple[str, list[str]]:
    """The player's name and the scope's filters, as both renderings title them."""
    player = summary["player"]
    who = player.get("gamertag") or player.get("xuid") or "unknown player"
    scope = summary["scope"]
    filters = []
    if scope["modes"]:
        filters.append("mode " + ", ".join(scope["modes"]))
    if scope["since"]:
        filters.append(f"since {scope['since']}")
    if scope["last"]:
        filters.append(f"last {scope['last']} matches")
    return str(who), filters


def iso(value: dt.datetime | None) -> str | None:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value is not None else None


def asset_names(assets: pl.DataFrame, asset_type: str) -> pl.DataFrame:
    """asset_id -> the most recently fetched version's public name (a map keeps its
    identity across the small edits that make new versions)."""
    return (
        assets.filter((pl.col("asset_type") == asset_type) & pl.col("public_name").is_not_null())
        .sort(["fetched_at", "version_id"], descending=True, nulls_last=True)
        .unique(subset="asset_id", keep="first", maintain_order=True)
        .select(pl.col("asset_id"), pl.col("public_name"))
    )


def accuracy_expr(hit: str = "shots_hit", fired: str = "shots_fired") -> pl.Expr:
    """hit / fired x 100 per row; NULL when nothing was fired."""
    return (
        pl.when(pl.col(fired) > 0)
        .then(pl.col(hit).cast(pl.Float64) * 100.0 / pl.col(fired))
        .otherwise(None)
    )


def _kind() -> pl.Expr:
    """The kind of match (a KINDS key): PvE first, then matchmade or custom, with or
    without bots."""
    lifecycle = pl.col("lifecycle_mode")
    pve = (pl.col("gameplay_interaction") == INTERACTION_PVE) | (
        pl.col("game_variant_category") == CATEGORY_FIREFIGHT
    )
    custom = lifecycle.is_in([LIFECYCLE_CUSTOM, LIFECYCLE_LOCAL]).fill_null(False)
    return (
        pl.when(pve.fill_null(False))
        .then(pl.lit("pve"))
        .when((lifecycle == LIFECYCLE_MATCHMADE) & pl.col("has_bots"))
        .then(pl.lit("matchmade_bots"))
        .when(lifecycle == LIFECYCLE_MATCHMADE)
        .then(pl.lit("matchmade_pvp"))
        .when(custom & pl.col("has_bots"))
        .then(pl.lit("custom_bots"))
        .when(custom)
        .then(pl.lit("custom"))
        .otherwise(pl.lit("unknown"))
    )


def _with_lookups(frames: ReportFrames) -> pl.DataFrame:
    """The owner's rows with `has_bots`, `backfill_no_value` and the map's and
    playlist's public names (`map_name`, `playlist_name`) joined on."""
    bot_matches = (
        frames.participants.filter(pl.col("is_bot").fill_null(False))
        .select("match_id")
        .unique()
        .with_columns(has_bots=pl.lit(True))
    )
    not_provided = (
        frames.not_provided.select("match_id").unique().with_columns(backfill_no_value=pl.lit(True))
    )
    maps = asset_names(frames.assets, "maps").rename(
        {"asset_id": "map_id", "public_name": "map_name"}
    )
    playlists = asset_names(frames.assets, "playlists").rename(
        {"asset_id": "playlist_id", "public_name": "playlist_name"}
    )
    return (
        frames.stats.join(bot_matches, on="match_id", how="left")
        .join(not_provided, on="match_id", how="left")
        .join(maps, on="map_id", how="left")
        .join(playlists, on="playlist_id", how="left")
    )


def prepare_matches(frames: ReportFrames) -> pl.DataFrame:
    """One row per stored match with its kind, labels, result, null reason and accuracy.

    Shots count as known only when both fired and hit are; a half-known pair is
    treated as unknown rather than as a plausible-looking number. Oldest first.
    """
    frame = (
        _with_lookups(frames)
        .with_columns(
            has_bots=pl.col("has_bots").fill_null(False),
            has_shots=pl.col("shots_fired").is_not_null() & pl.col("shots_hit").is_not_null(),
            has_kd=pl.col("kills").is_not_null() & pl.col("deaths").is_not_null(),
        )
        .with_columns(
            shots_fired=pl.when(pl.col("has_shots")).then(pl.col("shots_fired")),
            shots_hit=pl.when(pl.col("has_shots")).then(pl.col("shots_hit")),
            null_reason=pl.when(pl.col("has_shots"))
            .then(None)
            .when(pl.col("backfill_no_value").fill_null(False))
            .then(pl.lit("not_provided"))
            .otherwise(pl.lit("not_backfilled")),
            kind=_kind(),
            map_label=pl.coalesce(pl.col("map_name"), pl.col("map_id"), pl.lit("(unknown map)")),
            playlist_label=pl.coalesce(
                pl.col("playlist_name"), pl.col("playlist_id"), pl.lit("(no playlist)")
            ),
            result=pl.col("outcome").replace_strict(RESULTS, default=None, return_dtype=pl.String),
        )
        .with_columns(accuracy=accuracy_expr())
        .drop("backfill_no_value")
    )
    # Few distinct categories: name each once instead of once per row.
    codes = frame["game_variant_category"].unique().drop_nulls().to_list()
    labels = {code: mode_label(code) for code in codes}
    mode = pl.col("game_variant_category").replace_strict(
        labels, default=None, return_dtype=pl.String
    )
    return frame.with_columns(mode=mode.fill_null(mode_label(None))).sort(
        ["start_time", "match_id"], nulls_last=False
    )


def apply_scope(matches: pl.DataFrame, scope: Scope) -> pl.DataFrame:
    """The matches the scope keeps, oldest first."""
    frame = matches
    if scope.categories:
        frame = frame.filter(pl.col("game_variant_category").is_in(list(scope.categories)))
    if scope.since is not None:
        since = dt.datetime.combine(scope.since, dt.time())
        frame = frame.filter(pl.col("start_time") >= since)
    if scope.last is not None:
        frame = frame.tail(scope.last)
    return frame


def modes_present(matches: pl.DataFrame) -> list[dict[str, Any]]:
    """Every mode stored, most played first: what to suggest when a scope is empty."""
    if matches.is_empty():
        return []
    counts = (
        matches.group_by("game_variant_category", "mode")
        .agg(matches=pl.len())
        .sort(["matches", "mode"], descending=[True, False])
    )
    return [
        {"category": row["game_variant_category"], "mode": row["mode"], "matches": row["matches"]}
        for row in counts.iter_rows(named=True)
    ]


def match_title(row: dict[str, Any]) -> str:
    """ "Slayer on Aquarius, 2025-03-01 12:27 UTC": how a tooltip names a match."""
    when = row["start_time"].strftime("%Y-%m-%d %H:%M UTC") if row.get("start_time") else ""
    return f"{row.get('mode') or 'Unknown mode'} on {row.get('map_label') or '?'}, {when}".strip()
