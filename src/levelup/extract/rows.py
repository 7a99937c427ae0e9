"""Row types written to the player's database, and their column types.

The dataclasses are what the transformers return; `STATS_COLUMNS` and
`PARTICIPANT_COLUMNS` are the single source of the column names and types used
by the schema (DDL and migrations), the writer (Polars frames with an explicit
schema) and the backfill. Adding a column means adding it here and in the
transformer, nothing else.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields
from operator import attrgetter

import polars as pl

# DuckDB type -> Polars dtype of the bulk frames.
_POLARS_TYPES: dict[str, pl.DataType] = {
    "VARCHAR": pl.String(),
    "INTEGER": pl.Int32(),
    "BIGINT": pl.Int64(),
    "DOUBLE": pl.Float64(),
    "BOOLEAN": pl.Boolean(),
    "TIMESTAMP": pl.Datetime("us"),
}


@dataclass(slots=True)
class MatchStatsRow:
    """The tracked player's view of one match (`match_stats`)."""

    match_id: str
    start_time: dt.datetime | None = None
    end_time: dt.datetime | None = None
    duration_seconds: float | None = None
    time_played_seconds: float | None = None
    lifecycle_mode: int | None = None
    game_variant_category: int | None = None
    gameplay_interaction: int | None = None
    playlist_id: str | None = None
    playlist_version_id: str | None = None
    map_id: str | None = None
    map_version_id: str | None = None
    game_variant_id: str | None = None
    game_variant_version_id: str | None = None
    pair_id: str | None = None
    pair_version_id: str | None = None
    season_id: str | None = None
    teams_enabled: bool | None = None
    player_count: int | None = None
    team_id: int | None = None
    outcome: int | None = None
    rank: int | None = None
    left_early: bool | None = None
    score: int | None = None
    personal_score: int | None = None
    kills: int | None = None
    deaths: int | None = None
    assists: int | None = None
    kda: float | None = None
    accuracy: float | None = None
    shots_fired: int | None = None
    shots_hit: int | None = None
    damage_dealt: int | None = None
    damage_taken: int | None = None
    headshot_kills: int | None = None
    melee_kills: int | None = None
    grenade_kills: int | None = None
    power_weapon_kills: int | None = None
    max_killing_spree: int | None = None
    avg_life_seconds: float | None = None
    my_team_score: int | None = None
    enemy_team_score: int | None = None


@dataclass(slots=True)
class MatchParticipantRow:
    """One player of one match, bots included (`match_participants`).

    Humans are keyed by their digits-only xuid, bots by the API id ("bid(8.0)").
    """

    match_id: str
    xuid: str
    is_bot: bool = False
    gamertag: str | None = None
    team_id: int | None = None
    outcome: int | None = None
    rank: int | None = None
    left_early: bool | None = None
    score: int | None = None
    personal_score: int | None = None
    kills: int | None = None
    deaths: int | None = None
    assists: int | None = None
    kda: float | None = None
    accuracy: float | None = None
    shots_fired: int | None = None
    shots_hit: int | None = None
    damage_dealt: int | None = None
    damage_taken: int | None = None
    headshot_kills: int | None = None
    time_played_seconds: float | None = None


_STATS_TYPES = {
    "match_id": "VARCHAR",
    "start_time": "TIMESTAMP",
    "end_time": "TIMESTAMP",
    "duration_seconds": "DOUBLE",
    "time_played_seconds": "DOUBLE",
    "lifecycle_mode": "INTEGER",
    "game_variant_category": "INTEGER",
    "gameplay_interaction": "INTEGER",
    "playlist_id": "VARCHAR",
    "playlist_version_id": "VARCHAR",
    "map_id": "VARCHAR",
    "map_version_id": "VARCHAR",
    "game_variant_id": "VARCHAR",
    "game_variant_version_id": "VARCHAR",
    "pair_id": "VARCHAR",
    "pair_version_id": "VARCHAR",
    "season_id": "VARCHAR",
    "teams_enabled": "BOOLEAN",
    "player_count": "INTEGER",
    "team_id": "INTEGER",
    "outcome": "INTEGER",
    "rank": "INTEGER",
    "left_early": "BOOLEAN",
    "score": "INTEGER",
    "personal_score": "INTEGER",
    "kills": "INTEGER",
    "deaths": "INTEGER",
    "assists": "INTEGER",
    "kda": "DOUBLE",
    "accuracy": "DOUBLE",
    "shots_fired": "INTEGER",
    "shots_hit": "INTEGER",
    "damage_dealt": "INTEGER",
    "damage_taken": "INTEGER",
    "headshot_kills": "INTEGER",
    "melee_kills": "INTEGER",
    "grenade_kills": "INTEGER",
    "power_weapon_kills": "INTEGER",
    "max_killing_spree": "INTEGER",
    "avg_life_seconds": "DOUBLE",
    "my_team_score": "INTEGER",
    "enemy_team_score": "INTEGER",
}

_PARTICIPANT_TYPES = {
    "match_id": "VARCHAR",
    "xuid": "VARCHAR",
    "is_bot": "BOOLEAN",
    "gamertag": "VARCHAR",
    "team_id": "INTEGER",
    "outcome": "INTEGER",
    "rank": "INTEGER",
    "left_early": "BOOLEAN",
    "score": "INTEGER",
    "personal_score": "INTEGER",
    "kills": "INTEGER",
    "deaths": "INTEGER",
    "assists": "INTEGER",
    "kda": "DOUBLE",
    "accuracy": "DOUBLE",
    "shots_fired": "INTEGER",
    "shots_hit": "INTEGER",
    "damage_dealt": "INTEGER",
    "damage_taken": "INTEGER",
    "headshot_kills": "INTEGER",
    "time_played_seconds": "DOUBLE",
}


def _columns(row_type: type, types: dict[str, str]) -> dict[str, str]:
    names = [f.name for f in fields(row_type)]
    if names != list(types):
        raise AssertionError(f"{row_type.__name__} fields and column types disagree")
    return dict(types)


STATS_COLUMNS: dict[str, str] = _columns(MatchStatsRow, _STATS_TYPES)
PARTICIPANT_COLUMNS: dict[str, str] = _columns(MatchParticipantRow, _PARTICIPANT_TYPES)

STATS_KEY = ("match_id",)
PARTICIPANT_KEY = ("match_id", "xuid")


def polars_schema(columns: dict[str, str]) -> dict[str, pl.DataType]:
    """The explicit frame schema for bulk writes: no type inference from data."""
    return {name: _POLARS_TYPES[sql_type] for name, sql_type in columns.items()}


STATS_SCHEMA = polars_schema(STATS_COLUMNS)
PARTICIPANT_SCHEMA = polars_schema(PARTICIPANT_COLUMNS)

# attrgetter over every field is the cheapest way to turn a slots dataclass into a tuple.
stats_row_values = attrgetter(*STATS_COLUMNS)
participant_row_values = attrgetter(*PARTICIPANT_COLUMNS)
