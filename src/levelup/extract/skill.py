"""Skill-service documents -> `match_skill`, `match_team_skill`,
`match_skill_counterfactuals` and `csr_snapshots` rows. Pure functions.

The skill document of a match (GET skill /hi/matches/{id}/skill?players=...)
answers one `Value[]` entry per player asked: the CSR before and after the
match, the team MMRs and what the matchmaker expected of the player (kills,
deaths, and the same for a player of each tier). It is stored raw (kind
`skill`), so everything here can be re-run with no API call.

Placement matches report CSR `Value` -1: stored as NULL, with
`matches_remaining` saying why, never as a number a chart would plot. An
entry whose `ResultCode` is not 0 keeps its row (with its code) and NULLs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from levelup.extract.match import MatchDocumentError, player_key, unique_players
from levelup.extract.rows import CsrSnapshotRow
from levelup.extract.values import json_object, log, parse_float, parse_int

MATCHMADE = 3  # MatchInfo.LifecycleMode of matchmade games: the only ones with a skill result
SELF_TIER = "Self"


class SkillDocumentError(MatchDocumentError):
    """The skill body cannot be read at all; the message is the reason."""


def skill_request(stats_doc: dict[str, Any]) -> list[str] | None:
    """The humans (digits) to ask the skill service about for a match, or None
    when the match has no skill result (custom and local games).

    Bots (`bid(...)`) are never sent: the service rejects them.
    """
    info = json_object(stats_doc.get("MatchInfo"))
    if info.get("LifecycleMode") != MATCHMADE:
        return None
    humans: dict[str, None] = {}
    players = stats_doc.get("Players")
    for player in players if isinstance(players, list) else ():
        raw_id = json_object(player).get("PlayerId")
        if not isinstance(raw_id, str):
            continue
        parsed_id = player_key(raw_id)
        if parsed_id is None:
            continue
        key, is_bot = parsed_id
        if not is_bot and key.isdigit() and player.get("PlayerType", 1) != 2:
            humans[key] = None
    return list(humans)


def check_skill_document(doc: Any) -> dict[str, Any]:
    """The document itself when it has the shape of a skill answer.

    Raises:
        SkillDocumentError: not an object with a `Value` list.
    """
    if not isinstance(doc, dict):
        raise SkillDocumentError(f"skill document is a {type(doc).__name__}, not an object")
    if not isinstance(doc.get("Value"), list):
        raise SkillDocumentError("skill document has no Value list")
    return doc


def _entries(doc: dict[str, Any], where: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """(xuid digits, entry) per human, first entry kept; an entry whose `Id` names
    nobody (`"XUID(1)"`, missing) is skipped with a warning."""

    def unreadable(raw_id: Any) -> None:
        log.warning("%s: skill entry Id %r names no player; skipped", where, raw_id)

    for xuid, is_bot, entry in unique_players(doc.get("Value"), "Id", unreadable):
        if not is_bot:
            yield xuid, entry


def _ok(entry: dict[str, Any]) -> bool:
    return entry.get("ResultCode") == 0 and isinstance(entry.get("Result"), dict)


def _tier(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


class _Csr:
    """One CSR object (`PreMatchCsr`, `Current`, ...) read once."""

    __slots__ = (
        "initial",
        "next_start",
        "next_tier",
        "remaining",
        "sub_tier",
        "tier",
        "tier_start",
        "value",
    )

    def __init__(self, raw: Any, match_id: str, field: str) -> None:
        obj = json_object(raw)
        value = parse_int(obj.get("Value"), match_id, f"{field}.Value")
        placed = value is not None and value >= 0
        self.value = value if placed else None
        self.tier = _tier(obj.get("Tier"))
        self.sub_tier = (
            parse_int(obj.get("SubTier"), match_id, f"{field}.SubTier", count=True)
            if self.tier
            else None
        )
        self.tier_start = (
            parse_int(obj.get("TierStart"), match_id, f"{field}.TierStart") if placed else None
        )
        self.next_tier = _tier(obj.get("NextTier")) if placed else None
        self.next_start = (
            parse_int(obj.get("NextTierStart"), match_id, f"{field}.NextTierStart")
            if placed
            else None
        )
        self.remaining = parse_int(
            obj.get("MeasurementMatchesRemaining"), match_id, f"{field}.Remaining", count=True
        )
        self.initial = parse_int(
            obj.get("InitialMeasurementMatches"), match_id, f"{field}.Initial", count=True
        )


def _performance(
    result: dict[str, Any], stat: str, match_id: str
) -> tuple[float | None, float | None]:
    perf = json_object(json_object(result.get("StatPerformances")).get(stat))
    return (
        parse_float(perf.get("Expected"), match_id, f"{stat}.Expected", non_negative=True),
        parse_float(perf.get("StdDev"), match_id, f"{stat}.StdDev", non_negative=True),
    )


def match_skill(doc: dict[str, Any], match_id: str) -> list[tuple[Any, ...]]:
    """`match_skill` rows as tuples in column order (the registry's extractor shape)."""
    return extract_all(doc, match_id)["match_skill"]


def team_skill(doc: dict[str, Any], match_id: str) -> list[tuple[Any, ...]]:
    """`match_team_skill` rows as tuples in column order."""
    return extract_all(doc, match_id)["match_team_skill"]


def counterfactuals(doc: dict[str, Any], match_id: str) -> list[tuple[Any, ...]]:
    """`match_skill_counterfactuals` rows as tuples in column order."""
    return extract_all(doc, match_id)["match_skill_counterfactuals"]


def extract_all(doc: dict[str, Any], match_id: str) -> dict[str, list[tuple[Any, ...]]]:
    """The three tables' rows from one pass over the entries, as tuples in column
    order: what a sync stores for every matchmade match, so it is built without a
    dataclass per row."""
    players: list[tuple[Any, ...]] = []
    teams: dict[int, tuple[Any, ...]] = {}
    team_keys: set[str] = set()  # `TeamMmrs` keys already read, good or bad
    tiers: list[tuple[Any, ...]] = []
    for xuid, entry in _entries(doc, f"match {match_id}"):
        code = parse_int(entry.get("ResultCode"), match_id, "ResultCode")
        if not _ok(entry):
            players.append((match_id, xuid, code, *_NULLS))
            continue
        result = entry["Result"]
        recap = json_object(result.get("RankRecap"))
        pre = _Csr(recap.get("PreMatchCsr"), match_id, "PreMatchCsr")
        post = _Csr(recap.get("PostMatchCsr"), match_id, "PostMatchCsr")
        change = (
            post.value - pre.value if pre.value is not None and post.value is not None else None
        )
        kills = _performance(result, "Kills", match_id)
        deaths = _performance(result, "Deaths", match_id)
        players.append(
            (
                match_id, xuid, code,
                parse_int(result.get("TeamId"), match_id, "TeamId"),
                parse_float(result.get("TeamMmr"), match_id, "TeamMmr"),
                pre.value, post.value, change,
                pre.tier, pre.sub_tier, post.tier, post.sub_tier,
                post.tier_start, post.next_tier, post.next_start,
                post.remaining, post.initial,
                kills[0], kills[1], deaths[0], deaths[1],
            )
        )  # fmt: skip
        for raw_team, raw_mmr in json_object(result.get("TeamMmrs")).items():
            if raw_team in team_keys:  # every entry repeats the match's map: read it once
                continue
            team_keys.add(raw_team)
            team_id = parse_int(raw_team, match_id, "TeamMmrs key")
            if team_id is not None and team_id not in teams:
                teams[team_id] = (
                    match_id, team_id, parse_float(raw_mmr, match_id, f"TeamMmrs.{raw_team}")
                )  # fmt: skip
        for tier, values in _tiers(result, match_id):
            tiers.append(
                (
                    match_id, xuid, tier,
                    parse_float(values.get("Kills"), match_id, f"{tier}.Kills"),
                    parse_float(values.get("Deaths"), match_id, f"{tier}.Deaths"),
                )
            )  # fmt: skip
    if not players:
        # Kept as the service sent it (asking again may never answer more), but said.
        log.warning(
            "match %s: the skill document answers for no player (%d entries); no skill rows",
            match_id, len(doc.get("Value") or []),
        )  # fmt: skip
    return {
        "match_skill": players,
        "match_team_skill": [teams[t] for t in sorted(teams)],
        "match_skill_counterfactuals": tiers,
    }


_NULLS = (None,) * 18  # every match_skill column after (match_id, xuid, result_code)


def _tiers(result: dict[str, Any], match_id: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """(tier, {Kills, Deaths}) of an entry's counterfactuals, `Self` first."""
    found = json_object(result.get("Counterfactuals"))
    if isinstance(found.get("SelfCounterfactuals"), dict):
        yield SELF_TIER, found["SelfCounterfactuals"]
    for tier, values in json_object(found.get("TierCounterfactuals")).items():
        if tier == SELF_TIER:  # its row would share the self row's key
            log.warning("match %s: a tier named %r in TierCounterfactuals; skipped", match_id, tier)
        elif isinstance(tier, str) and tier and isinstance(values, dict):
            yield tier, values


def csr_snapshots(
    doc: dict[str, Any], playlist_id: str, fetched_at: dt.datetime
) -> list[CsrSnapshotRow]:
    """One row per player entry of a playlist CSR document (GET /hi/playlist/{id}/csrs)."""
    check_skill_document(doc)
    rows = []
    where = f"playlist {playlist_id}"
    for xuid, entry in _entries(doc, where):
        if not _ok(entry):
            continue
        result = entry["Result"]
        current = _Csr(result.get("Current"), where, "Current")
        season = _Csr(result.get("SeasonMax"), where, "SeasonMax")
        best = _Csr(result.get("AllTimeMax"), where, "AllTimeMax")
        rows.append(
            CsrSnapshotRow(
                xuid=xuid,
                playlist_id=playlist_id,
                fetched_at=fetched_at,
                current_csr=current.value,
                current_tier=current.tier,
                current_sub_tier=current.sub_tier,
                current_matches_remaining=current.remaining,
                season_max_csr=season.value,
                season_max_tier=season.tier,
                season_max_sub_tier=season.sub_tier,
                all_time_max_csr=best.value,
                all_time_max_tier=best.tier,
                all_time_max_sub_tier=best.sub_tier,
            )
        )
    return rows
