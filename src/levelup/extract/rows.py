"""Row types of every extracted table, with each column's SQL type and lineage.

A row dataclass is the single description of a table's columns: the registry
(`levelup.registry`) derives the DuckDB types from the annotations (`int` ->
INTEGER, `str` -> VARCHAR, ...; `col(sql=...)` overrides, e.g. BIGINT ids), the
Polars frame schemas from those, and `docs/data_lineage.md` from each column's
`doc`. Adding a column means adding a field here and filling it in its
extractor, nothing else.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any


def col(doc: str, *, sql: str | None = None, default: Any = None) -> Any:
    """A column: where it comes from in the API JSON (`doc`) and, when the type
    annotation alone does not say it, its DuckDB type (`sql`)."""
    return field(default=default, metadata={"doc": doc, "sql": sql})


def key(doc: str, *, sql: str | None = None) -> Any:
    """A key column (no default: every row has it)."""
    return field(metadata={"doc": doc, "sql": sql})


_SUMMED = "summed over the player's `PlayerTeamStats` entries (team stints)"


@dataclass(slots=True)
class MatchStatsRow:
    """The tracked player's view of one match (`match_stats`)."""

    match_id: str = key("`MatchId`, lower-case (primary key)")
    start_time: dt.datetime | None = col("`MatchInfo.StartTime`, ISO-8601 -> naive UTC")
    end_time: dt.datetime | None = col("`MatchInfo.EndTime`, ISO-8601 -> naive UTC")
    duration_seconds: float | None = col("`MatchInfo.Duration`, ISO duration -> seconds")
    time_played_seconds: float | None = col(
        "owner's `ParticipationInfo.TimePlayed`, seconds (not the match duration: late "
        "joiners and quitters differ)"
    )
    lifecycle_mode: int | None = col("`MatchInfo.LifecycleMode`: 1 custom, 3 matchmade, 7 local")
    game_variant_category: int | None = col(
        "`MatchInfo.GameVariantCategory`: 6 Slayer, 15 CTF, 22 Infection, 42 Firefight..."
    )
    gameplay_interaction: int | None = col("`MatchInfo.GameplayInteraction`: 1 PvP, 2 PvE")
    playlist_id: str | None = col("`MatchInfo.Playlist.AssetId` (names in `asset_names`)")
    playlist_version_id: str | None = col("`MatchInfo.Playlist.VersionId`")
    map_id: str | None = col("`MatchInfo.MapVariant.AssetId`")
    map_version_id: str | None = col("`MatchInfo.MapVariant.VersionId`")
    game_variant_id: str | None = col("`MatchInfo.UgcGameVariant.AssetId`")
    game_variant_version_id: str | None = col("`MatchInfo.UgcGameVariant.VersionId`")
    pair_id: str | None = col("`MatchInfo.PlaylistMapModePair.AssetId`")
    pair_version_id: str | None = col("`MatchInfo.PlaylistMapModePair.VersionId`")
    season_id: str | None = col("`MatchInfo.SeasonId`")
    teams_enabled: bool | None = col("`MatchInfo.TeamsEnabled`")
    player_count: int | None = col("number of `Players[]` stored for the match (bots included)")
    team_id: int | None = col("owner's `LastTeamId` (the last team)")
    outcome: int | None = col("owner's `Outcome`: 1 tie, 2 win, 3 loss, 4 did not finish")
    rank: int | None = col("owner's `Rank`")
    left_early: bool | None = col(
        "owner's `ParticipationInfo`: true if `LeftInProgress` or not `PresentAtCompletion`"
    )
    score: int | None = col(f"`CoreStats.Score`, {_SUMMED}; may be negative")
    personal_score: int | None = col(f"`CoreStats.PersonalScore`, {_SUMMED}")
    kills: int | None = col(f"`CoreStats.Kills`, {_SUMMED}")
    deaths: int | None = col(f"`CoreStats.Deaths`, {_SUMMED}")
    assists: int | None = col(f"`CoreStats.Assists`, {_SUMMED}")
    kda: float | None = col("`CoreStats.KDA`, summed over stints (linear), rounded to 2 decimals")
    accuracy: float | None = col(
        "shots_hit / shots_fired x 100 from the sums; NULL when nothing was fired"
    )
    shots_fired: int | None = col(f"`CoreStats.ShotsFired`, {_SUMMED}")
    shots_hit: int | None = col(f"`CoreStats.ShotsHit`, {_SUMMED}")
    damage_dealt: int | None = col(f"`CoreStats.DamageDealt`, {_SUMMED}")
    damage_taken: int | None = col(f"`CoreStats.DamageTaken`, {_SUMMED}")
    headshot_kills: int | None = col(f"`CoreStats.HeadshotKills`, {_SUMMED}")
    melee_kills: int | None = col(f"`CoreStats.MeleeKills`, {_SUMMED}")
    grenade_kills: int | None = col(f"`CoreStats.GrenadeKills`, {_SUMMED}")
    power_weapon_kills: int | None = col(f"`CoreStats.PowerWeaponKills`, {_SUMMED}")
    max_killing_spree: int | None = col("`CoreStats.MaxKillingSpree`, maximum over stints")
    avg_life_seconds: float | None = col(
        "`CoreStats.AverageLifeDuration`, seconds; over several stints the mean weighted by "
        "lives (deaths + 1)"
    )
    my_team_score: int | None = col(
        "`Teams[].Stats.CoreStats.Score` of the owner's `LastTeamId`; NULL without teams"
    )
    enemy_team_score: int | None = col(
        "best `Teams[].Stats.CoreStats.Score` of the other teams; NULL without teams"
    )


@dataclass(slots=True)
class MatchParticipantRow:
    """One player of one match, bots included (`match_participants`)."""

    match_id: str = key("`MatchId`")
    xuid: str = key(
        "`Players[].PlayerId`: digits of `xuid(...)` for humans, the API id (`bid(8.0)`) for bots"
    )
    is_bot: bool = col("`PlayerType` = 2 or a `bid(...)` id", default=False)
    gamertag: str | None = col(
        "profile service `GET /users?xuids=` (not in match documents), cached in `player_names`"
    )
    team_id: int | None = col("`LastTeamId`")
    outcome: int | None = col("`Outcome`: 1 tie, 2 win, 3 loss, 4 did not finish")
    rank: int | None = col("`Rank`")
    left_early: bool | None = col("`ParticipationInfo`, as for match_stats")
    score: int | None = col(f"`CoreStats.Score`, {_SUMMED}")
    personal_score: int | None = col(f"`CoreStats.PersonalScore`, {_SUMMED}")
    kills: int | None = col(f"`CoreStats.Kills`, {_SUMMED}")
    deaths: int | None = col(f"`CoreStats.Deaths`, {_SUMMED}")
    assists: int | None = col(f"`CoreStats.Assists`, {_SUMMED}")
    kda: float | None = col("`CoreStats.KDA`, summed over stints")
    accuracy: float | None = col("recomputed from the summed shots")
    shots_fired: int | None = col(f"`CoreStats.ShotsFired`, {_SUMMED}")
    shots_hit: int | None = col(f"`CoreStats.ShotsHit`, {_SUMMED}")
    damage_dealt: int | None = col(f"`CoreStats.DamageDealt`, {_SUMMED}")
    damage_taken: int | None = col(f"`CoreStats.DamageTaken`, {_SUMMED}")
    headshot_kills: int | None = col(f"`CoreStats.HeadshotKills`, {_SUMMED}")
    time_played_seconds: float | None = col("`ParticipationInfo.TimePlayed`, seconds")


_PLAYER = "`Players[].PlayerId`, keyed as in match_participants"


@dataclass(slots=True)
class MatchMedalRow:
    """How many times a player earned one medal in one match (`match_medals`)."""

    match_id: str = key("`MatchId`")
    xuid: str = key(_PLAYER)
    medal_id: int = key("`CoreStats.Medals[].NameId` (names in `medal_names`)", sql="BIGINT")
    count: int | None = col(f"`Medals[].Count`, {_SUMMED}")
    total_personal_score: int | None = col(f"`Medals[].TotalPersonalScoreAwarded`, {_SUMMED}")


@dataclass(slots=True)
class MatchPersonalScoreRow:
    """How a player's personal score was earned in one match (`match_personal_scores`)."""

    match_id: str = key("`MatchId`")
    xuid: str = key(_PLAYER)
    score_id: int = key(
        "`CoreStats.PersonalScores[].NameId` (names in `personal_score_names`)", sql="BIGINT"
    )
    count: int | None = col(f"`PersonalScores[].Count`, {_SUMMED}")
    total_personal_score: int | None = col(
        f"`PersonalScores[].TotalPersonalScoreAwarded`, {_SUMMED}"
    )


@dataclass(slots=True)
class MatchModeStatRow:
    """One mode statistic of one player in one match (`match_mode_stats`)."""

    match_id: str = key("`MatchId`")
    xuid: str = key(_PLAYER)
    mode: str = key(
        "name of an object beside `CoreStats` under `PlayerTeamStats[].Stats`, without its "
        "`Stats` suffix (`CaptureTheFlag`, `Oddball`, `Zones`, `Pvp`, ...; any new one too)"
    )
    stat: str = key("the key as the API writes it (`FlagCaptures`, `TimeAsSkullCarrier`)")
    value: float | None = col(
        f"the number (ISO-8601 durations in seconds), {_SUMMED}; `Longest*`/`Max*` take the "
        "maximum; a JSON null is NULL"
    )


@dataclass(slots=True)
class MatchTeamModeStatRow:
    """One mode statistic of one team in one match (`match_team_mode_stats`)."""

    match_id: str = key("`MatchId`")
    team_id: int = key("`Teams[].TeamId`")
    mode: str = key("name of an object beside `CoreStats` under `Teams[].Stats`, no suffix")
    stat: str = key("the key as the API writes it")
    value: float | None = col("the number (ISO-8601 durations in seconds); null is NULL")


@dataclass(slots=True)
class MatchTeamRow:
    """One team's line of the scoreboard (`match_teams`); no rows without teams."""

    match_id: str = key("`MatchId`")
    team_id: int = key("`Teams[].TeamId`")
    outcome: int | None = col("`Teams[].Outcome`: 1 tie, 2 win, 3 loss")
    rank: int | None = col("`Teams[].Rank`")
    score: int | None = col("`Teams[].Stats.CoreStats.Score`")
    personal_score: int | None = col("`Teams[].Stats.CoreStats.PersonalScore`")
    kills: int | None = col("`Teams[].Stats.CoreStats.Kills`")
    deaths: int | None = col("`Teams[].Stats.CoreStats.Deaths`")
    assists: int | None = col("`Teams[].Stats.CoreStats.Assists`")
    shots_fired: int | None = col("`Teams[].Stats.CoreStats.ShotsFired`")
    shots_hit: int | None = col("`Teams[].Stats.CoreStats.ShotsHit`")
    damage_dealt: int | None = col("`Teams[].Stats.CoreStats.DamageDealt`")
    damage_taken: int | None = col("`Teams[].Stats.CoreStats.DamageTaken`")
    accuracy: float | None = col("shots_hit / shots_fired x 100; NULL when nothing was fired")


@dataclass(slots=True)
class MedalNameRow:
    """A medal's name and metadata (`medal_names`), from the medal metadata document."""

    medal_id: int = key(
        "`medals[].nameId` of `gamecms-hacs .../medals/metadata.json`", sql="BIGINT"
    )
    name: str | None = col("`medals[].name.value` (English)")
    description: str | None = col("`medals[].description.value`")
    type: str | None = col("`types[medals[].typeIndex]` (spree, mode, ...)")
    difficulty: str | None = col("`difficulties[medals[].difficultyIndex]` (normal ... legendary)")
    sorting_weight: int | None = col("`medals[].sortingWeight`")
    personal_score: int | None = col("`medals[].personalScore`")


@dataclass(slots=True)
class PersonalScoreNameRow:
    """A personal score's name (`personal_score_names`), from the names spnkr knows."""

    score_id: int = key("`PersonalScores[].NameId`", sql="BIGINT")
    name: str | None = col("spnkr's `PersonalScoreName` enum member, in words")


@dataclass(slots=True)
class PlayerNameRow:
    """A player's gamertag (`player_names`), asked once from the profile service."""

    xuid: str = key("digits of the player's xuid")
    gamertag: str | None = col("profile service `gamertag`; NULL when unknown (asked once)")
    fetched_at: dt.datetime | None = col("when it was asked")


@dataclass(slots=True)
class AssetNameRow:
    """A map, playlist, game variant or map-mode pair's name (`asset_names`)."""

    asset_type: str = key("`maps`, `playlists`, `ugcGameVariants` or `mapModePairs`")
    asset_id: str = key("`AssetId` as in match_stats")
    version_id: str = key("`VersionId` as in match_stats")
    public_name: str | None = col("discovery service `PublicName`; NULL when unknown")
    fetched_at: dt.datetime | None = col("when it was asked")


_SKILL = "skill service `GET /hi/matches/{id}/skill`"
_RESULT = "`Value[].Result`"
_PRE = f"{_RESULT}.RankRecap.PreMatchCsr"
_POST = f"{_RESULT}.RankRecap.PostMatchCsr"
_CSR = "`Value` (-1 during placement matches: NULL, `matches_remaining` says why)"


@dataclass(slots=True)
class MatchSkillRow:
    """One human's skill result for one matchmade match (`match_skill`)."""

    match_id: str = key(f"the match asked ({_SKILL})")
    xuid: str = key("`Value[].Id`, digits of `xuid(...)` (humans only: bots are never asked)")
    result_code: int | None = col(
        "`Value[].ResultCode`: 0 ok; another code keeps the row with NULLs elsewhere"
    )
    team_id: int | None = col(f"{_RESULT}.TeamId`")
    team_mmr: float | None = col(f"{_RESULT}.TeamMmr`: the player's team's matchmaking rating")
    pre_csr: int | None = col(f"{_PRE}.{_CSR}")
    post_csr: int | None = col(f"{_POST}.{_CSR}")
    csr_change: int | None = col("post_csr - pre_csr when both are known")
    pre_tier: str | None = col(f"{_PRE}.Tier` (Bronze .. Onyx; empty: NULL)")
    pre_sub_tier: int | None = col(f"{_PRE}.SubTier` (0-5 as the API gives it; NULL without tier)")
    post_tier: str | None = col(f"{_POST}.Tier`")
    post_sub_tier: int | None = col(f"{_POST}.SubTier`")
    tier_start: int | None = col(f"{_POST}.TierStart`: CSR where the tier begins")
    next_tier: str | None = col(f"{_POST}.NextTier`")
    next_tier_start: int | None = col(f"{_POST}.NextTierStart`")
    matches_remaining: int | None = col(
        f"{_POST}.MeasurementMatchesRemaining`: placement matches still to play"
    )
    initial_measurement_matches: int | None = col(f"{_POST}.InitialMeasurementMatches`")
    expected_kills: float | None = col(
        f"{_RESULT}.StatPerformances.Kills.Expected` (the matchmaker's expectation; "
        "NULL when `StatPerformances` is empty)"
    )
    kills_stddev: float | None = col(f"{_RESULT}.StatPerformances.Kills.StdDev`")
    expected_deaths: float | None = col(f"{_RESULT}.StatPerformances.Deaths.Expected`")
    deaths_stddev: float | None = col(f"{_RESULT}.StatPerformances.Deaths.StdDev`")


@dataclass(slots=True)
class MatchTeamSkillRow:
    """One team's matchmaking rating in one match (`match_team_skill`)."""

    match_id: str = key(f"the match asked ({_SKILL})")
    team_id: int = key(f"a key of {_RESULT}.TeamMmrs` (the same in every player's entry)")
    mmr: float | None = col(f"{_RESULT}.TeamMmrs[team]`")


@dataclass(slots=True)
class MatchSkillCounterfactualRow:
    """What a player of a given tier would be expected to do in the match
    (`match_skill_counterfactuals`)."""

    match_id: str = key(f"the match asked ({_SKILL})")
    xuid: str = key("`Value[].Id`, digits")
    tier: str = key(
        f"a key of {_RESULT}.Counterfactuals.TierCounterfactuals` (Bronze .. Onyx), or "
        "`Self` for `SelfCounterfactuals`"
    )
    kills: float | None = col("the counterfactual's `Kills`")
    deaths: float | None = col("the counterfactual's `Deaths`")


_PLAYLIST_CSR = "`GET skill /hi/playlist/{id}/csrs` `Value[].Result`"


@dataclass(slots=True)
class CsrSnapshotRow:
    """A player's rank in a ranked playlist when a sync asked (`csr_snapshots`)."""

    xuid: str = key("`Value[].Id`, digits (the database's owner)")
    playlist_id: str = key("the playlist asked: a ranked playlist the owner played")
    fetched_at: dt.datetime = key("when the sync asked (UTC)")
    current_csr: int | None = col(f"{_PLAYLIST_CSR}.Current.{_CSR}")
    current_tier: str | None = col(f"{_PLAYLIST_CSR}.Current.Tier` (empty: NULL)")
    current_sub_tier: int | None = col(f"{_PLAYLIST_CSR}.Current.SubTier`")
    current_matches_remaining: int | None = col(
        f"{_PLAYLIST_CSR}.Current.MeasurementMatchesRemaining`"
    )
    season_max_csr: int | None = col(f"{_PLAYLIST_CSR}.SeasonMax.Value` (-1: NULL)")
    season_max_tier: str | None = col(f"{_PLAYLIST_CSR}.SeasonMax.Tier`")
    season_max_sub_tier: int | None = col(f"{_PLAYLIST_CSR}.SeasonMax.SubTier`")
    all_time_max_csr: int | None = col(f"{_PLAYLIST_CSR}.AllTimeMax.Value` (-1: NULL)")
    all_time_max_tier: str | None = col(f"{_PLAYLIST_CSR}.AllTimeMax.Tier`")
    all_time_max_sub_tier: int | None = col(f"{_PLAYLIST_CSR}.AllTimeMax.SubTier`")


_SERVICE_RECORD = "`GET halostats /hi/players/{player}/{match_type}/servicerecord`"


@dataclass(slots=True)
class ServiceRecordSnapshotRow:
    """A player's career totals of one match type when a sync asked
    (`service_record_snapshots`): what the warehouse's sums are compared with."""

    xuid: str = key("the player asked (the database's owner), digits")
    match_type: str = key("the service record asked: `matchmade`, `custom` or `local`")
    fetched_at: dt.datetime = key("when the sync asked (UTC)")
    matches_completed: int | None = col(f"{_SERVICE_RECORD} `MatchesCompleted`")
    wins: int | None = col(f"{_SERVICE_RECORD} `Wins`")
    losses: int | None = col(f"{_SERVICE_RECORD} `Losses`")
    ties: int | None = col(f"{_SERVICE_RECORD} `Ties`")
    kills: int | None = col(f"{_SERVICE_RECORD} `CoreStats.Kills`")
    deaths: int | None = col(f"{_SERVICE_RECORD} `CoreStats.Deaths`")
    assists: int | None = col(f"{_SERVICE_RECORD} `CoreStats.Assists`")
    shots_fired: int | None = col(f"{_SERVICE_RECORD} `CoreStats.ShotsFired`", sql="BIGINT")
    shots_hit: int | None = col(f"{_SERVICE_RECORD} `CoreStats.ShotsHit`", sql="BIGINT")
    time_played_seconds: float | None = col(
        f"{_SERVICE_RECORD} `TimePlayed` (ISO-8601 duration) in seconds"
    )


@dataclass(slots=True)
class MatchCountSnapshotRow:
    """How many matches the API counted for a player when a sync asked
    (`match_count_snapshots`): what the stored matches are compared with."""

    xuid: str = key("the player asked (the database's owner), digits")
    match_type: str = key(
        "`all` (`MatchesPlayedCount`), `matchmade` (`MatchmadeMatchesPlayedCount`), `custom` "
        "(`CustomMatchesPlayedCount`) or `local` (`LocalMatchesPlayedCount`)"
    )
    fetched_at: dt.datetime = key("when the sync asked (UTC)")
    matches: int | None = col(
        "`GET halostats /hi/players/{player}/matches/count`: the count of that type"
    )
