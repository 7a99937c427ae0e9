"""What the report reads from a player database, as Polars frames with fixed schemas.

The columns each table must provide are declared here, once, in the registry's
table and column names; `analysis.load` selects exactly these, `conform` fills
what an older database lacks with NULL, and `ReportFrames.state` records a table
that is missing or empty, so a section can say why instead of showing zeros.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

S, I32, I64, F64, B = pl.String(), pl.Int32(), pl.Int64(), pl.Float64(), pl.Boolean()
TS = pl.Datetime("us")

# A player's or a team's line of a match: the same columns in match_stats,
# match_participants and match_teams.
LINE: dict[str, pl.DataType] = {
    "team_id": I32,
    "outcome": I32,
    "rank": I32,
    "score": I64,
    "personal_score": I64,
    "kills": I64,
    "deaths": I64,
    "assists": I64,
    "shots_fired": I64,
    "shots_hit": I64,
    "damage_dealt": I64,
    "damage_taken": I64,
}
STATS_NEEDED: dict[str, pl.DataType] = {
    "match_id": S,
    "start_time": TS,
    "end_time": TS,
    "duration_seconds": F64,
    "time_played_seconds": F64,
    "lifecycle_mode": I32,
    "game_variant_category": I32,
    "gameplay_interaction": I32,
    "playlist_id": S,
    "map_id": S,
    "teams_enabled": B,
    **LINE,
    "headshot_kills": I64,
    "my_team_score": I64,
    "enemy_team_score": I64,
}
PARTICIPANTS_NEEDED: dict[str, pl.DataType] = {
    "match_id": S,
    "xuid": S,
    "is_bot": B,
    "gamertag": S,
    **LINE,
    "time_played_seconds": F64,
}
ASSETS_NEEDED: dict[str, pl.DataType] = {
    "asset_type": S,
    "asset_id": S,
    "version_id": S,
    "public_name": S,
    "fetched_at": TS,
}
NAMES_NEEDED: dict[str, pl.DataType] = {"xuid": S, "gamertag": S}

# Tables of the registry (issues 10 and 11), read when present.
_MEDAL: dict[str, pl.DataType] = {"medal_id": I64, "count": I64}
_STAT: dict[str, pl.DataType] = {"mode": S, "stat": S, "value": F64}
MEDALS_NEEDED: dict[str, pl.DataType] = {"match_id": S, **_MEDAL}
MEDAL_NAMES_NEEDED: dict[str, pl.DataType] = {
    "medal_id": I64,
    "name": S,
    "description": S,
    "type": S,
    "difficulty": S,
    "sorting_weight": I64,
}
MODE_STATS_NEEDED: dict[str, pl.DataType] = {"match_id": S, **_STAT}
SKILL_NEEDED: dict[str, pl.DataType] = {
    "match_id": S,
    "xuid": S,
    "team_id": I32,
    "team_mmr": F64,
    "pre_csr": I64,
    "post_csr": I64,
    "csr_change": I64,
    "pre_tier": S,
    "pre_sub_tier": I32,
    "post_tier": S,
    "post_sub_tier": I32,
    "matches_remaining": I32,
    "expected_kills": F64,
    "kills_stddev": F64,
    "expected_deaths": F64,
    "deaths_stddev": F64,
}
# What the report reads of the other players' skill rows.
OTHER_SKILL_NEEDED: dict[str, pl.DataType] = {
    name: SKILL_NEEDED[name] for name in ("match_id", "xuid", "pre_csr", "post_csr", "csr_change")
}
TEAM_SKILL_NEEDED: dict[str, pl.DataType] = {"match_id": S, "team_id": I32, "mmr": F64}
CSR_NEEDED: dict[str, pl.DataType] = {
    "playlist_id": S,
    "fetched_at": TS,
    "current_csr": I64,
    "current_tier": S,
    "current_sub_tier": I32,
    "current_matches_remaining": I32,
    "season_max_csr": I64,
    "season_max_tier": S,
    "season_max_sub_tier": I32,
    "all_time_max_csr": I64,
    "all_time_max_tier": S,
    "all_time_max_sub_tier": I32,
}
# Read for the few matches that get a scoreboard only.
TEAMS_NEEDED: dict[str, pl.DataType] = {"match_id": S, **LINE}
TEAM_MODE_STATS_NEEDED: dict[str, pl.DataType] = {"match_id": S, "team_id": I32, **_STAT}
PLAYER_MEDALS_NEEDED: dict[str, pl.DataType] = {"match_id": S, "xuid": S, **_MEDAL}
PLAYER_MODE_STATS_NEEDED: dict[str, pl.DataType] = {"match_id": S, "xuid": S, **_STAT}

MISSING, EMPTY, PRESENT = "missing", "empty", "ok"


def conform(frame: pl.DataFrame | None, needed: dict[str, pl.DataType]) -> pl.DataFrame:
    """The frame with exactly the needed columns and types; those an old database lacks
    (or a whole table, `frame` None) become NULL."""
    if frame is None:
        return pl.DataFrame(schema=needed)
    return frame.select(
        [
            pl.col(name).cast(dtype) if name in frame.columns else pl.lit(None, dtype).alias(name)
            for name, dtype in needed.items()
        ]
    )


def empty(needed: dict[str, pl.DataType]) -> pl.DataFrame:
    return pl.DataFrame(schema=needed)


@dataclass
class ReportFrames:
    """Everything the report reads from a player database, as frames named after their
    tables; `medals`, `mode_stats` and `csr` hold the owner's rows only."""

    stats: pl.DataFrame  # the owner's row per match
    participants: pl.DataFrame  # every player of every match
    not_provided: pl.DataFrame  # match ids whose shots backfill found no valid value
    assets: pl.DataFrame
    names: pl.DataFrame  # player_names, the gamertag cache
    owner_xuid: str | None = None
    owner_gamertag: str | None = None
    missing: list[str] = field(default_factory=list)  # "table.column"s an old layout lacks
    medals: pl.DataFrame = field(default_factory=lambda: empty(MEDALS_NEEDED))
    medal_matches: pl.DataFrame = field(default_factory=lambda: empty({"match_id": S}))
    medal_names: pl.DataFrame = field(default_factory=lambda: empty(MEDAL_NAMES_NEEDED))
    mode_stats: pl.DataFrame = field(default_factory=lambda: empty(MODE_STATS_NEEDED))
    mode_stat_matches: pl.DataFrame = field(default_factory=lambda: empty({"match_id": S}))
    skill: pl.DataFrame = field(default_factory=lambda: empty(SKILL_NEEDED))  # every player's
    team_skill: pl.DataFrame = field(default_factory=lambda: empty(TEAM_SKILL_NEEDED))
    csr: pl.DataFrame = field(default_factory=lambda: empty(CSR_NEEDED))
    state: dict[str, str] = field(default_factory=dict)  # optional table -> MISSING/EMPTY/PRESENT

    def table_state(self, table: str) -> str:
        """ "ok", "empty" or "missing" (a table never looked at counts as missing)."""
        return self.state.get(table, MISSING)


@dataclass
class ScoreboardFrames:
    """The rows of the few matches that get a full scoreboard (every player, every team)."""

    teams: pl.DataFrame = field(default_factory=lambda: empty(TEAMS_NEEDED))
    team_mode_stats: pl.DataFrame = field(default_factory=lambda: empty(TEAM_MODE_STATS_NEEDED))
    medals: pl.DataFrame = field(default_factory=lambda: empty(PLAYER_MEDALS_NEEDED))
    mode_stats: pl.DataFrame = field(default_factory=lambda: empty(PLAYER_MODE_STATS_NEEDED))
    state: dict[str, str] = field(default_factory=dict)
