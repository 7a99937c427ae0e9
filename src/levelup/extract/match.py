"""Match-stats JSON -> rows for `match_stats` and `match_participants`.

Rules that past bugs taught (see docs/data_lineage.md for every column):
- a player's numbers are read from `PlayerTeamStats[].Stats.CoreStats` by key,
  never from the first dict that holds Kills/Deaths (`PvpStats` does too);
- a player who switched teams has one `PlayerTeamStats` entry per team: the
  totals are the sum over all of them;
- accuracy is recomputed as hits / fired x 100 from those sums (the API's own
  value is truncated to two decimals and cannot be summed), NULL when nothing
  was fired;
- players are matched by exact id, never by substring.

`EXTRACTION_VERSION` goes up whenever a change here changes what is stored,
so the backfill knows which earlier "no valid value" verdicts to revisit.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson

from levelup.clock import parse_timestamp
from levelup.extract.rows import MatchParticipantRow, MatchStatsRow
from levelup.extract.values import (
    INT_MAX,
    INT_MIN,
    json_object,
    log,
    parse_bool,
    parse_duration,
    parse_float,
    parse_int,
    parse_str,
)

# 2: out-of-range timestamps, team-switcher sums and durations, non-text ids and names,
# malformed player ids are NULL / skipped; match ids lower-case.
EXTRACTION_VERSION = 2

# CoreStats key -> (stored field, is a count that cannot be negative).
_SUMMED_INT_KEYS: tuple[tuple[str, str, bool], ...] = (
    ("Score", "score", False),
    ("PersonalScore", "personal_score", False),
    ("Kills", "kills", True),
    ("Deaths", "deaths", True),
    ("Assists", "assists", True),
    ("ShotsFired", "shots_fired", True),
    ("ShotsHit", "shots_hit", True),
    ("DamageDealt", "damage_dealt", True),
    ("DamageTaken", "damage_taken", True),
    ("HeadshotKills", "headshot_kills", True),
    ("MeleeKills", "melee_kills", True),
    ("GrenadeKills", "grenade_kills", True),
    ("PowerWeaponKills", "power_weapon_kills", True),
)


class MatchDocumentError(ValueError):
    """The document cannot be stored as a match at all; the message is the reason."""


@dataclass(slots=True)
class PlayerTotals:
    """One player's numbers summed over their PlayerTeamStats entries."""

    player_id: str
    key: str
    is_bot: bool
    team_id: int | None
    outcome: int | None
    rank: int | None
    left_early: bool | None
    time_played_seconds: float | None
    kda: float | None
    avg_life_seconds: float | None
    max_killing_spree: int | None
    sums: dict[str, int | None]

    @property
    def accuracy(self) -> float | None:
        return accuracy(self.sums.get("shots_hit"), self.sums.get("shots_fired"))


@dataclass(slots=True)
class ExtractedMatch:
    """Everything one match document yields, computed in a single pass.

    `details` holds the rows of the other tables of the same document (medals,
    mode stats...), by table name, as tuples in column order;
    `levelup.registry.extract_stats_document` fills it.
    """

    match_id: str
    stats: MatchStatsRow | None
    participants: list[MatchParticipantRow]
    details: dict[str, list[Any]] = field(default_factory=dict)

    def rows(self, table: str) -> list[Any]:
        """The rows this match yields for one table."""
        if table == "match_stats":
            return [self.stats] if self.stats is not None else []
        if table == "match_participants":
            return self.participants
        return self.details.get(table, [])


def accuracy(shots_hit: int | None, shots_fired: int | None) -> float | None:
    """Hits / fired x 100; NULL when either is unknown or nothing was fired."""
    if shots_hit is None or shots_fired is None or shots_fired == 0:
        return None
    return shots_hit * 100.0 / shots_fired


def parse_match_json(raw: bytes | str) -> dict[str, Any]:
    """Parse a match-stats body, turning any JSON problem into a one-line reason."""
    try:
        doc = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise MatchDocumentError(f"invalid JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise MatchDocumentError(f"JSON document is a {type(doc).__name__}, not an object")
    return doc


def _ascii_digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


def player_key(player_id: str) -> tuple[str, bool] | None:
    """Storage key of an API player id, and whether it is a bot; None when malformed.

    "xuid(2535...)" (or bare digits) -> "2535..." (humans by digits); "bid(8.0)"
    stays as is. Anything else ("xuid(abc)", "XUID(456)", " xuid(789)") names
    nobody: storing it as a human's xuid would invent a player.
    """
    if player_id.startswith("xuid(") and player_id.endswith(")"):
        digits = player_id[5:-1]
        return (digits, False) if _ascii_digits(digits) else None
    if _ascii_digits(player_id):
        return player_id, False
    if player_id.startswith("bid(") and player_id.endswith(")"):
        return player_id, True
    return None


def unique_players(
    entries: Any, id_field: str, unreadable: Callable[[Any], None] | None = None
) -> Iterator[tuple[str, bool, dict[str, Any]]]:
    """(storage key, is a bot, entry) of each entry of a `Players[]` or skill `Value[]`
    list whose `id_field` is a well-formed player id, the first entry of a key kept;
    `unreadable` is called with each id that names nobody (to say so)."""
    seen: set[str] = set()
    for entry in entries if isinstance(entries, list) else ():
        raw_id = json_object(entry).get(id_field)
        parsed_id = player_key(raw_id) if isinstance(raw_id, str) else None
        if parsed_id is None:
            if unreadable is not None:
                unreadable(raw_id)
            continue
        if parsed_id[0] in seen:
            continue
        seen.add(parsed_id[0])
        yield parsed_id[0], parsed_id[1], entry


def _parse_time(value: Any, match_id: str, field: str) -> dt.datetime | None:
    """A document's timestamp as naive UTC (the TIMESTAMP columns' convention), or None
    with a warning naming the match and the field."""
    if not isinstance(value, str) or not value:
        if value is not None:
            log.warning("match %s: field %s is not a timestamp: %r", match_id, field, value)
        return None
    parsed = parse_timestamp(value)
    try:
        if parsed is not None:
            return parsed.astimezone(dt.UTC).replace(tzinfo=None)
    except OverflowError:  # 0001-01-01T00:00:00+14:00 is before year 1 in UTC
        pass
    log.warning("match %s: field %s is not a timestamp: %r", match_id, field, value)
    return None


def match_identity(doc: dict[str, Any]) -> tuple[str, dt.datetime, list[Any]]:
    """MatchId, StartTime and Players, or the reason the match cannot be stored."""
    match_id = doc.get("MatchId")
    if not isinstance(match_id, str) or not match_id:
        raise MatchDocumentError("missing MatchId")
    # Ids are GUIDs: compared and stored lower-case, whatever case a body spells them in.
    match_id = match_id.lower()
    info = json_object(doc.get("MatchInfo"))
    if "StartTime" not in info or info["StartTime"] is None:
        raise MatchDocumentError("missing MatchInfo.StartTime")
    start = _parse_time(info["StartTime"], match_id, "MatchInfo.StartTime")
    if start is None:
        raise MatchDocumentError(f"unparseable MatchInfo.StartTime {info['StartTime']!r}")
    players = doc.get("Players")
    if not isinstance(players, list) or not players:
        raise MatchDocumentError("missing or empty Players")
    return match_id, start, players


def _player_totals(player: dict[str, Any], match_id: str) -> PlayerTotals | None:
    """One player's numbers over all their team stints; None (with a warning) for a
    player without a usable PlayerId."""
    raw_id = player.get("PlayerId")
    if not isinstance(raw_id, str) or not raw_id:
        log.warning("match %s: a player has no PlayerId; skipped", match_id)
        return None
    parsed_id = player_key(raw_id)
    if parsed_id is None:
        log.warning("match %s: a player has a malformed PlayerId %r; skipped", match_id, raw_id)
        return None
    key, is_bot = parsed_id
    if player.get("PlayerType") == 2:
        is_bot = True
    where = raw_id
    cores = _core_entries(player)
    if not cores:
        log.warning("match %s: player %s has no CoreStats; numbers stored as NULL", match_id, where)
    sums, kda, spree, avg_life = _stint_totals(cores, match_id, where)
    participation = player.get("ParticipationInfo")
    if not isinstance(participation, dict):
        if participation is not None:
            log.warning(
                "match %s: field %s.ParticipationInfo is not an object: %r; stored as NULL",
                match_id,
                where,
                participation,
            )
        participation = {}
    return PlayerTotals(
        player_id=raw_id,
        key=key,
        is_bot=is_bot,
        team_id=_small_int(player, "LastTeamId", match_id, where),
        outcome=_small_int(player, "Outcome", match_id, where),
        rank=_small_int(player, "Rank", match_id, where),
        left_early=_left_early(participation, match_id, where),
        time_played_seconds=parse_duration(
            participation.get("TimePlayed"), match_id, f"{where}.TimePlayed"
        ),
        kda=kda,
        avg_life_seconds=avg_life,
        max_killing_spree=spree,
        sums=sums,
    )


def _core_entries(player: dict[str, Any]) -> list[dict[str, Any]]:
    """The non-empty `CoreStats` of each of the player's team stints."""
    entries = player.get("PlayerTeamStats")
    cores = []
    if isinstance(entries, list):
        for entry in entries:
            core = json_object(json_object(json_object(entry).get("Stats")).get("CoreStats"))
            if core:
                cores.append(core)
    return cores


def _stint_totals(
    cores: list[dict[str, Any]], match_id: str, where: str
) -> tuple[dict[str, int | None], float | None, int | None, float | None]:
    """Counts summed over the stints, KDA summed (rounded when there are several),
    the longest killing spree, and the average life weighted by each stint's lives."""
    sums: dict[str, int | None] = {}
    if not cores:
        sums = {field: None for _, field, _ in _SUMMED_INT_KEYS}
    kda: float | None = None
    spree: int | None = None
    life: float | None = None
    life_weighted = 0.0
    life_weight = 0
    life_known = bool(cores)
    for index, core in enumerate(cores):
        deaths = _add_counts(sums, core, index, match_id, where)
        kda = _add_kda(kda, core, index, match_id, where)
        entry_spree = core.get("MaxKillingSpree")
        if not (type(entry_spree) is int and 0 <= entry_spree <= INT_MAX):  # else as parse_int
            entry_spree = parse_int(
                entry_spree, match_id, f"{where}.CoreStats.MaxKillingSpree", count=True
            )
        if entry_spree is not None:
            spree = entry_spree if spree is None else max(spree, entry_spree)
        life = parse_duration(
            core.get("AverageLifeDuration"), match_id, f"{where}.AverageLifeDuration"
        )
        if life is None:
            life_known = False
        else:
            # Lives are deaths + 1: weight each team stint's average by its lives.
            weight = (deaths or 0) + 1
            life_weighted += life * weight
            life_weight += weight
    single_life = life if len(cores) == 1 else None
    if len(cores) > 1 and kda is not None:
        kda = round(kda, 2)
    avg_life = _average_life(life_known, life_weighted, life_weight, single_life)
    return sums, kda, spree, avg_life


def _add_counts(
    sums: dict[str, int | None], core: dict[str, Any], index: int, match_id: str, where: str
) -> int | None:
    """Add one stint's counts to `sums` (the first stint sets them); its deaths."""
    deaths: int | None = None
    for api_key, column, is_count in _SUMMED_INT_KEYS:
        value = core.get(api_key)
        # `parse_int`'s common case inlined: a plain in-range int is returned
        # as is, without building the field name only a warning needs.
        if not (type(value) is int and (0 if is_count else INT_MIN) <= value <= INT_MAX):
            value = parse_int(value, match_id, f"{where}.CoreStats.{api_key}", count=is_count)
        if column == "deaths":
            deaths = value
        if index == 0:
            sums[column] = value
        elif value is None or sums[column] is None:
            sums[column] = None
        else:
            # A team switcher's stints are summed; the sum must still fit the
            # column (INTEGER), or the whole batch's frame could not be built.
            total: int | None = sums[column] + value  # type: ignore[operator]
            if not INT_MIN <= total <= INT_MAX:  # type: ignore[operator]
                log.warning(
                    "match %s: field %s.CoreStats.%s sums to %d over the player's team "
                    "stints, out of range; stored as NULL",
                    match_id,
                    where,
                    api_key,
                    total,
                )
                total = None
            sums[column] = total
    return deaths


def _add_kda(
    kda: float | None, core: dict[str, Any], index: int, match_id: str, where: str
) -> float | None:
    """The KDA so far plus one stint's (NULL as soon as one stint's is unknown)."""
    entry_kda = core.get("KDA")
    if not (type(entry_kda) is float and math.isfinite(entry_kda)):  # else as parse_float
        entry_kda = parse_float(entry_kda, match_id, f"{where}.CoreStats.KDA")
    if index > 0:
        entry_kda = None if kda is None or entry_kda is None else kda + entry_kda
    kda = entry_kda
    if kda is not None and not math.isfinite(kda):  # two huge finite values
        log.warning("match %s: field %s.CoreStats.KDA sums past a DOUBLE", match_id, where)
        kda = None
    return kda


def _left_early(participation: dict[str, Any], match_id: str, where: str) -> bool | None:
    """Whether the player left before the end (NULL when the API says neither way)."""
    present_at_end = participation.get("PresentAtCompletion")
    if present_at_end is not None and type(present_at_end) is not bool:  # else as parse_bool
        present_at_end = parse_bool(present_at_end, match_id, f"{where}.PresentAtCompletion")
    left_in_progress = participation.get("LeftInProgress")
    if left_in_progress is not None and type(left_in_progress) is not bool:
        left_in_progress = parse_bool(left_in_progress, match_id, f"{where}.LeftInProgress")
    if left_in_progress is not None or present_at_end is not None:
        return bool(left_in_progress) or present_at_end is False
    return None


def _small_int(player: dict[str, Any], key: str, match_id: str, where: str) -> int | None:
    """`parse_int(player[key])`, with the plain-int case answered without building a field name."""
    value = player.get(key)
    if type(value) is int and INT_MIN <= value <= INT_MAX:
        return value
    return parse_int(value, match_id, f"{where}.{key}")


def _average_life(known: bool, weighted: float, weight: int, single: float | None) -> float | None:
    """The API's value as is for one team stint; a lives-weighted mean for several."""
    if not known or not weight:
        return None
    return single if single is not None else weighted / weight


def _team_scores(
    doc: dict[str, Any], team_id: int | None, match_id: str
) -> tuple[int | None, int | None]:
    """(my team's score, best other team's score) from Teams[].Stats.CoreStats.Score."""
    teams = doc.get("Teams")
    if team_id is None or not isinstance(teams, list) or not teams:
        return None, None
    mine: int | None = None
    others: list[int] = []
    for team in teams:
        team = json_object(team)
        tid = parse_int(team.get("TeamId"), match_id, "Teams[].TeamId")
        score = parse_int(
            json_object(json_object(team.get("Stats")).get("CoreStats")).get("Score"),
            match_id,
            f"Teams[{tid}].Score",
        )
        if tid == team_id:
            mine = score
        elif score is not None:
            others.append(score)
    return mine, (max(others) if others else None)


def _player_fields(totals: PlayerTotals) -> dict[str, Any]:
    """The columns both tables hold for a player, from their totals."""
    sums = totals.sums
    return {
        "team_id": totals.team_id,
        "outcome": totals.outcome,
        "rank": totals.rank,
        "left_early": totals.left_early,
        "score": sums["score"],
        "personal_score": sums["personal_score"],
        "kills": sums["kills"],
        "deaths": sums["deaths"],
        "assists": sums["assists"],
        "kda": totals.kda,
        "accuracy": totals.accuracy,
        "shots_fired": sums["shots_fired"],
        "shots_hit": sums["shots_hit"],
        "damage_dealt": sums["damage_dealt"],
        "damage_taken": sums["damage_taken"],
        "headshot_kills": sums["headshot_kills"],
        "time_played_seconds": totals.time_played_seconds,
    }


def _participant(match_id: str, totals: PlayerTotals) -> MatchParticipantRow:
    return MatchParticipantRow(
        match_id=match_id,
        xuid=totals.key,
        is_bot=totals.is_bot,
        gamertag=None,
        **_player_fields(totals),
    )


def _asset(info: dict[str, Any], key: str, match_id: str) -> tuple[str | None, str | None]:
    asset = json_object(info.get(key))
    return (
        parse_str(asset.get("AssetId"), match_id, f"MatchInfo.{key}.AssetId"),
        parse_str(asset.get("VersionId"), match_id, f"MatchInfo.{key}.VersionId"),
    )


def _stats_row(
    doc: dict[str, Any], match_id: str, start: dt.datetime, totals: PlayerTotals, player_count: int
) -> MatchStatsRow:
    info = json_object(doc.get("MatchInfo"))
    sums = totals.sums
    playlist_id, playlist_version = _asset(info, "Playlist", match_id)
    map_id, map_version = _asset(info, "MapVariant", match_id)
    variant_id, variant_version = _asset(info, "UgcGameVariant", match_id)
    pair_id, pair_version = _asset(info, "PlaylistMapModePair", match_id)
    my_score, enemy_score = _team_scores(doc, totals.team_id, match_id)
    return MatchStatsRow(
        match_id=match_id,
        start_time=start,
        end_time=_parse_time(info.get("EndTime"), match_id, "MatchInfo.EndTime"),
        duration_seconds=parse_duration(info.get("Duration"), match_id, "MatchInfo.Duration"),
        lifecycle_mode=parse_int(info.get("LifecycleMode"), match_id, "MatchInfo.LifecycleMode"),
        game_variant_category=parse_int(
            info.get("GameVariantCategory"), match_id, "MatchInfo.GameVariantCategory"
        ),
        gameplay_interaction=parse_int(
            info.get("GameplayInteraction"), match_id, "MatchInfo.GameplayInteraction"
        ),
        playlist_id=playlist_id,
        playlist_version_id=playlist_version,
        map_id=map_id,
        map_version_id=map_version,
        game_variant_id=variant_id,
        game_variant_version_id=variant_version,
        pair_id=pair_id,
        pair_version_id=pair_version,
        season_id=parse_str(info.get("SeasonId"), match_id, "MatchInfo.SeasonId"),
        teams_enabled=parse_bool(info.get("TeamsEnabled"), match_id, "MatchInfo.TeamsEnabled"),
        player_count=player_count,
        **_player_fields(totals),
        melee_kills=sums["melee_kills"],
        grenade_kills=sums["grenade_kills"],
        power_weapon_kills=sums["power_weapon_kills"],
        max_killing_spree=totals.max_killing_spree,
        avg_life_seconds=totals.avg_life_seconds,
        my_team_score=my_score,
        enemy_team_score=enemy_score,
    )


def extract_match(doc: dict[str, Any], owner_xuid: str | None) -> ExtractedMatch:
    """Both tables' rows from one document, each player's totals computed once.

    `stats` is None when `owner_xuid` is None or the owner is not in the match
    (the caller decides whether that is a failure).

    Raises:
        MatchDocumentError: no MatchId, StartTime or Players.
    """
    match_id, start, players = match_identity(doc)
    participants: list[MatchParticipantRow] = []
    seen: set[str] = set()
    owner_totals: PlayerTotals | None = None
    for player in players:
        if not isinstance(player, dict):
            log.warning("match %s: a Players[] entry is not an object; skipped", match_id)
            continue
        totals = _player_totals(player, match_id)
        if totals is None:
            continue
        if totals.key in seen:
            log.warning(
                "match %s: player %s listed twice; first entry kept", match_id, totals.player_id
            )
            continue
        seen.add(totals.key)
        participants.append(_participant(match_id, totals))
        if owner_xuid is not None and not totals.is_bot and totals.key == owner_xuid:
            owner_totals = totals
    stats = None
    if owner_totals is not None:
        stats = _stats_row(doc, match_id, start, owner_totals, len(participants))
    return ExtractedMatch(match_id=match_id, stats=stats, participants=participants)
