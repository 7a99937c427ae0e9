"""Deterministic generator of realistic Halo Infinite match-stats documents.

Why this exists: the demo, the test suite and the benchmarks all need match
documents in the exact shape of GET /hi/matches/{id}/stats, in quantities the
handful of real recorded responses cannot provide (20,000+ for the benchmarks),
without a network and without shipping anybody's real match history. Same
``(index, seed, owner)``, same document, byte for byte, whatever else was
generated before. The documents have every key the real ones have, numbers that
agree with each other (team stats are the sums of their members' entries, the
winner's score is above the loser's, TimePlayed <= the match), the awkward cases
of the real data (team switches, late joiners and quitters, players who never
fire, negative personal scores, Infection with an empty ``Teams``, Firefight,
custom games with bots), a fixed roster so the same players come back, and about
the real size once compacted, so benchmark timings mean something.

This module decides who plays, on which team, for how long, and with how many
kills, deaths, assists and points; `levelup.demo.roster` holds the humans,
`levelup.demo.scoring` derives every other number from those, mode by mode, and
`levelup.demo.catalog` holds the queues, maps and variants a match is played on.

Order and time: match ``index`` 0 is the **newest** match and higher indices go
back in time, like the history endpoint, so a larger ``count`` extends the same
history into the past (a backfill). Matches come in sessions of five, about 25
minutes apart, one session every 18 hours or so; StartTimes strictly decrease
with the index.
"""

from __future__ import annotations

import os
import random
import re
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from levelup.demo.catalog import (
    CUSTOM,
    MATCHMADE,
    RANKED_PLAYLIST_IDS,
    ModeChoice,
    Queue,
    asset_document,
    catalog,
    choose,
    uid,
)
from levelup.demo.medals import medal_metadata_document
from levelup.demo.roster import (
    DEMO_OWNER,
    ROSTER_SIZE,
    GeneratedPlayer,
    World,
    lobby,
    pick_humans,
    roster,
    world_of,
)
from levelup.demo.scoring import (
    MODES,
    Entry,
    Mode,
    Rand,
    aggregate_core,
    aggregate_mode,
    duration,
    empty_pve_modes,
    render_stats,
    score_firefight_entry,
    score_infection_entry,
    score_team_entry,
    split,
)
from levelup.demo.skill import SkillHistory, summarize

__all__ = [
    "DEMO_OWNER", "RANKED_PLAYLIST_IDS", "ROSTER_SIZE", "GeneratedPlayer", "RecordedDirSummary",
    "generate_match", "iter_matches", "roster", "write_recorded_dir",
]  # fmt: skip


@dataclass(frozen=True)
class RecordedDirSummary:
    """What `write_recorded_dir` wrote, for the caller's report (sizes: the mean match
    document as compact JSON and as written)."""

    path: Path
    count: int  # match documents
    owner: GeneratedPlayer
    mean_document_bytes: float
    mean_file_bytes: float
    asset_count: int  # discovery asset documents (0 without assets)


# --------------------------------------------------------------------- constants

# spnkr's enums, by value, as the API writes them.
_WIN, _LOSS, _TIE, _DNF = 2, 3, 1, 4
_HUMAN, _BOT = 1, 2
_PVP, _PVE = 1, 2

_MS_HOUR = 3_600_000
# Newest match of every dataset: fixed, in the past, so nothing is ever "in the future".
_ANCHOR_MS = 1_740_852_000_000  # 2025-03-01T18:00:00Z
_SESSION_LENGTH = 5
_SESSION_GAP_MS = 18 * _MS_HOUR
_SESSION_JITTER_MS = 6 * _MS_HOUR
_SLOT_MS = 25 * 60_000
_MAX_MATCH_S = 20 * 60  # keeps consecutive matches of a session from overlapping

# Every 20th match (index % 20 == 7) has a player who switched teams; every 100th
# (index % 100 == 47) that player is the owner. Fixed so tests can rely on it.
_SWITCH_EVERY, _SWITCH_AT = 20, 7
_OWNER_SWITCH_EVERY, _OWNER_SWITCH_AT = 100, 47

_BOT_SKILL = {1: 0.6, 2: 0.8, 3: 1.0, 4: 0.45, 5: 0.9}  # BotDifficulty -> strength


# ------------------------------------------------------------------- formatting


def _timestamp(ms: int) -> str:
    """ISO-8601 UTC with milliseconds, trailing zeros dropped, as the API writes them."""
    secs, milli = divmod(ms, 1000)
    base = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(secs))
    if milli:
        return f"{base}.{milli:03d}".rstrip("0") + "Z"
    return base + "Z"


def _mix64(value: int) -> int:
    """SplitMix64 finaliser: a cheap, platform-independent integer hash."""
    value = (value + 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF
    value = ((value ^ (value >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
    value = ((value ^ (value >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
    return value ^ (value >> 31)


def _session_end_ms(index: int, seed: int) -> int:
    """When the session of match `index` ends: sessions ~18 hours apart, newest first,
    with a jitter hashed from (seed, session) so any match can be placed on its own."""
    session = index // _SESSION_LENGTH
    jitter = _mix64(seed * 0x1000193 + session) % _SESSION_JITTER_MS
    return _ANCHOR_MS - session * _SESSION_GAP_MS - jitter


def _season_id(start_ms: int) -> str:
    """The ranked season of a start time: a new one every half year from 2021."""
    t = time.gmtime(start_ms // 1000)
    return f"Csr/Seasons/CsrSeason{max(1, (t.tm_year - 2021) * 2 + (t.tm_mon - 1) // 6 + 1)}-1.json"


# ------------------------------------------------------------------ the lobby


@dataclass(slots=True, eq=False)
class _Participant:
    """A player of the match (human or bot) and how they took part."""

    pid: str
    ptype: int
    skill: float
    bot_difficulty: int | None = None
    entries: list[Entry] = field(default_factory=list)
    join_offset_s: float = 0.0
    played_s: float = 0.0
    left: bool = False
    outcome: int = _WIN
    rank: int = 1


@dataclass(slots=True)
class _Context:
    """What every part of one match's generation shares."""

    rng: random.Random
    world: World
    queue: Queue
    mode: Mode
    playable_s: float = 0.0


TeamResult = tuple[int, int, int, tuple[int, int, int]]  # TeamId, Outcome, Rank, rounds


def _human(world: World, pos: int, **how: Any) -> _Participant:
    """The roster's human at `pos` as a participant (`how`: how they took part)."""
    return _Participant(world.ids[pos], _HUMAN, world.skills[pos], **how)


def _leave(person: _Participant, played_s: float, duration: float) -> None:
    """`person` quits after `played_s` seconds (LeftInProgress, Outcome DNF)."""
    person.left = True
    person.played_s = played_s
    person.entries[0].frac = played_s / duration


def _assign_ranks(people: list[_Participant], key: Callable[[_Participant], Any]) -> None:
    """Competition ranking ("1, 2, 2, 4") over `key`, smaller is better."""
    keys = [key(p) for p in people]
    for person, k in zip(people, keys, strict=True):
        person.rank = 1 + sum(other < k for other in keys)


# ------------------------------------------------------------ two-team PvP


def _teams(ctx: _Context, forced_switch: bool) -> tuple[list[_Participant], list[int], int]:
    """The players of two teams of `size` (humans owner first, then any bots), the
    humans' roster positions, and `size`. Custom games are often small, with bots. The
    owner's squad mates (listed right after the owner) join the owner; the others fill
    the two teams at random."""
    rng, rand = ctx.rng, ctx.rng.random
    if ctx.queue.lifecycle == CUSTOM:
        size = (1, 2, 4, 4)[int(rand() * 4)]
        with_bots = rand() < 0.7
        humans = 1 + int(rand() * min(2 * size - 1, 4)) if with_bots else 2 * size
    else:
        size, humans = ctx.queue.team_size, 2 * ctx.queue.team_size
    if forced_switch and size < 2:
        size, humans = 4, min(max(humans, 2), 8)
    positions = lobby(rng, ctx.world, humans, min(humans, size + 1), 0.45)
    people = [_human(ctx.world, pos) for pos in positions]
    base = 8 + int(rand() * 4)
    for i in range(2 * size - humans):
        difficulty = 1 + int(rand() * 5)
        people.append(_Participant(f"bid({base + i}.0)", _BOT, _BOT_SKILL[difficulty], difficulty))
    owner_team = int(rand() * 2)
    counts = [0, 0]
    for idx, person in enumerate(people):
        squad_mate = idx < len(positions) and positions[idx] <= ctx.world.squad
        if idx == 0 or (squad_mate and counts[owner_team] < size):
            team = owner_team
        else:
            team = 0 if counts[0] < size and (counts[1] >= size or rand() < 0.5) else 1
        counts[team] += 1
        person.played_s = ctx.playable_s
        person.entries = [Entry(team, 1.0, person.skill)]
    return people, positions, size


def _mishaps(
    ctx: _Context,
    people: list[_Participant],
    positions: list[int],
    owner_switch: bool,
    forced_switch: bool,
) -> None:
    """The awkward cases: the forced team switch, else now and then a quitter (replaced
    in matchmaking), a late joiner, or the owner rage-quitting."""
    rand, duration = ctx.rng.random, ctx.playable_s
    custom = ctx.queue.lifecycle == CUSTOM
    r = rand()
    if forced_switch:
        _switch_teams(rand, people, duration, owner_switch)
    elif r < 0.07 and len(others := [p for p in people[1:] if p.ptype == _HUMAN]) > 1:
        quitter = others[int(rand() * len(others))]
        _leave(quitter, duration * (0.1 + 0.75 * rand()), duration)
        if not custom and rand() < 0.6:
            pos = pick_humans(ctx.rng, ctx.world, 1, {0, *positions})[0]
            offset = quitter.played_s + 5 + 40 * rand()
            played = max(1.0, duration - offset)
            team = quitter.entries[0].team
            entries = [Entry(team, played / duration, ctx.world.skills[pos])]
            people.append(
                _human(ctx.world, pos, entries=entries, join_offset_s=offset, played_s=played)
            )
    elif r < 0.1 and not custom:
        late = people[1 + int(rand() * (len(people) - 1))]
        if late.ptype == _HUMAN:
            late.join_offset_s = 20 + 120 * rand()
            late.played_s = duration - late.join_offset_s
            late.entries[0].frac = late.played_s / duration
    elif r < 0.103:
        _leave(people[0], duration * (0.3 + 0.5 * rand()), duration)


def _switch_teams(
    rand: Rand, people: list[_Participant], duration: float, owner_switch: bool
) -> None:
    """A player (the owner when `owner_switch`) moves to the other team part way through,
    usually into the place of an opponent who left."""
    if owner_switch:
        switcher = people[0]
    else:
        candidates = [p for p in people[1:] if p.ptype == _HUMAN] or people[1:]
        switcher = candidates[int(rand() * len(candidates))]
    first_team = switcher.entries[0].team
    other = 1 - first_team
    at = 0.25 + 0.5 * rand()
    leavers = [p for p in people[1:] if p is not switcher and p.entries[0].team == other]
    if leavers:
        leaver = leavers[int(rand() * len(leavers))]
        _leave(leaver, duration * at * (0.85 + 0.15 * rand()), duration)
    switcher.entries = [
        Entry(first_team, at, switcher.skill),
        Entry(other, 1.0 - at, switcher.skill),
    ]


@dataclass(slots=True)
class _Result:
    """How a two-team match ended: per team (index 0 and 1) kills, score and rounds."""

    winner: int
    tie: bool
    kills: list[int]
    scores: list[int]
    rounds: list[tuple[int, int, int]]

    def outcome(self, team: int) -> int:
        return _TIE if self.tie else _WIN if team == self.winner else _LOSS

    def rank(self, team: int) -> int:
        return 1 if self.tie or team == self.winner else 2


def _team_result(ctx: _Context, entries_by_team: list[list[Entry]], size: int) -> _Result:
    """Who wins (team strength plus luck) and by how much, in the mode's own units."""
    rand, mode = ctx.rng.random, ctx.mode
    strength = [sum(e.skill * e.frac for e in es) / max(1, size) for es in entries_by_team]
    edge = strength[0] - strength[1] + ctx.rng.gauss(0, 0.18)
    tie = mode.tie_rate > 0 and rand() < mode.tie_rate
    winner = 0 if edge > 0 else 1
    if not mode.kills_score:
        rate = 1.25 * size * (ctx.playable_s / 60)
        kills = [int(rate * (0.85 + 0.3 * rand())) for _ in range(2)]
    assert mode.team_score is not None
    won, lost, loser_rounds = mode.team_score(rand, size, tie)
    scores = [lost, won] if winner else [won, lost]
    if mode.kills_score:
        kills = list(scores)
    if loser_rounds is not None:
        ends = (2, loser_rounds, 0), (loser_rounds, 2, 0)
    else:
        ends = ((0, 0, 1), (0, 0, 1)) if tie else ((1, 0, 0), (0, 1, 0))
    rounds = [ends[1], ends[0]] if winner else list(ends)
    return _Result(winner, tie, kills, scores, rounds)


def _share_out(rand: Rand, entries_by_team: list[list[Entry]], result: _Result, mode: Mode) -> None:
    """Spread each team's totals over its entries: better and longer-present players get
    more; objective points go mostly to the best players (in Slayer the score is kills)."""
    for team in (0, 1):
        es = entries_by_team[team]
        team_kills = result.kills[team]
        weights = [e.frac * e.skill * (0.6 + 0.8 * rand()) for e in es]
        kills = split(team_kills, weights)
        deaths = split(
            result.kills[1 - team],
            [e.frac * (1.6 - 0.5 * e.skill) * (0.6 + 0.8 * rand()) for e in es],
        )
        assists = split(int(team_kills * (0.35 + 0.25 * rand())), weights)
        points = kills if mode.kills_score else split(result.scores[team], [w * w for w in weights])
        for e, k, d, a, s in zip(es, kills, deaths, assists, points, strict=True):
            e.kills, e.deaths, e.assists, e.score = k, d, a, s


def _team_match(
    ctx: _Context, owner_switch: bool, forced_switch: bool
) -> tuple[list[_Participant], list[TeamResult]]:
    """Two-team PvP (matchmade or custom): the participants and each team's result."""
    people, positions, size = _teams(ctx, forced_switch)
    _mishaps(ctx, people, positions, owner_switch, forced_switch)
    entries_by_team: list[list[Entry]] = [[], []]
    for person in people:
        for entry in person.entries:
            entries_by_team[entry.team].append(entry)
    result = _team_result(ctx, entries_by_team, size)
    rand, winner = ctx.rng.random, result.winner
    _share_out(rand, entries_by_team, result, ctx.mode)
    dominated = result.kills[winner] > 1.6 * result.kills[1 - winner] + 4
    for person in people:
        for e in person.entries:
            played = person.played_s * (e.frac if len(person.entries) > 1 else 1.0)
            winning = not result.tie and e.team == winner
            rounds = result.rounds[e.team]
            score_team_entry(rand, e, played, ctx.mode, size >= 8, rounds, winning, dominated)
        person.outcome = _DNF if person.left else result.outcome(person.entries[-1].team)

    def rank_key(p: _Participant) -> tuple[int, int]:
        """By team result, then by Score; quitters last; ties share a rank."""
        group = 9 if p.left else result.rank(p.entries[-1].team)
        return group, -sum(e.score for e in p.entries)

    _assign_ranks(people, rank_key)
    return people, [(t, result.outcome(t), result.rank(t), result.rounds[t]) for t in (0, 1)]


# ------------------------------------------------------- Infection, Firefight


def _infection_match(ctx: _Context) -> tuple[list[_Participant], list[TeamResult]]:
    """Infection: no teams, every player on a TeamId of their own, many rounds."""
    rng, world, rand = ctx.rng, ctx.world, ctx.rng.random
    positions = lobby(rng, world, 10 + int(rand() * 7), 1, 0.0)
    people = [_human(world, pos) for pos in positions]
    duration = ctx.playable_s
    total_rounds = 4 + int(rand() * 3)
    for team, person in enumerate(people):
        person.played_s = duration
        person.entries = [Entry(team, 1.0, person.skill)]
    if rand() < 0.35:  # a quitter whose TeamId a late joiner inherits, as in the real responses
        quitter = people[1 + int(rand() * (len(people) - 1))]
        _leave(quitter, duration * (0.3 + 0.55 * rand()), duration)
        pos = pick_humans(rng, world, 1, set(positions))[0]
        offset = min(quitter.played_s + 20 + 30 * rand(), duration - 30)
        entries = [Entry(quitter.entries[0].team, 1.0, world.skills[pos])]
        people.append(
            _human(world, pos, entries=entries, join_offset_s=offset, played_s=duration - offset)
        )
    victim = people[1 + int(rand() * (len(people) - 1))] if rand() < 0.3 else None
    for person in people:
        _infection_player(rand, person, duration, total_rounds, person is victim)
    best = max((p for p in people if not p.left), key=lambda p: p.entries[0].score)
    for person in people:
        person.outcome = _DNF if person.left else (_WIN if person is best else _LOSS)
    # A tie on top: both rank 1, one Outcome win.
    _assign_ranks(people, lambda p: ((1 if p.left else 0), -p.entries[0].score))
    return people, []


def _infection_player(
    rand: Rand, person: _Participant, duration: float, total_rounds: int, victim: bool
) -> None:
    """An Infection player's kills, deaths and points, in proportion to their time in
    the match; the `victim` has a bad game (no kills, falls off the map)."""
    e = person.entries[0]
    share = person.played_s / duration
    rounds_here = max(1, round(total_rounds * share))
    if victim:
        e.kills, e.assists, e.deaths = 0, 0, 1 + int(rand() * 3)
    else:
        e.kills = int((2 + 8 * rand()) * person.skill * share)
        e.assists = int(3 * rand() * rand())
        e.deaths = max(1, int((3 + 6 * rand()) * share))
    won = int(rounds_here * 0.5 * rand() * person.skill)
    e.score = int((150 + 200 * rand()) * share * (0.8 + 0.2 * person.skill))
    score_infection_entry(rand, e, person.played_s, share, rounds_here, won, victim)


def _firefight_match(ctx: _Context) -> tuple[list[_Participant], list[TeamResult]]:
    """Firefight (PvE): four humans on team 0, the Banished as an empty team 1."""
    rand = ctx.rng.random
    people = [_human(ctx.world, pos) for pos in lobby(ctx.rng, ctx.world, 4, 4, 0.5)]
    won = rand() < 0.8
    objectives = 5 if won else 2 + int(rand() * 3)
    duration = ctx.playable_s
    for person in people:
        e = Entry(0, 1.0, person.skill)
        person.played_s, person.entries = duration, [e]
        e.kills = int((55 + 60 * rand()) * person.skill * duration / 760)
        e.deaths = int(3 * rand() * rand()) + (0 if won else int(3 * rand()))
        e.assists = int(e.kills * (0.2 + 0.2 * rand()))
        score_firefight_entry(rand, e, duration, won, objectives)
        person.outcome = _WIN if won else _LOSS
    rounds = (1, 0, 0) if won else (0, 1, 0)
    return people, [(0, _WIN if won else _LOSS, 1, rounds), (1, _DNF, 2, (0, 0, 0))]


# -------------------------------------------------------------- the document


def _match_length(rand: Rand, queue: Queue, mode: Mode) -> tuple[float, float]:
    """(playable, whole) seconds: the mode's usual length (any length in custom games);
    Infection's breaks between rounds count in the whole only."""
    low, spread = (60.0, 660.0) if queue.lifecycle == CUSTOM else mode.duration
    playable = round(low + spread * rand(), 3)
    extra = mode.breaks[0] + mode.breaks[1] * rand() if mode.breaks else rand() / 500
    whole = min(round(playable + extra, 7), float(_MAX_MATCH_S))
    return min(playable, whole), whole


def _match_info(
    ctx: _Context, choice: ModeChoice, map_index: int, start_ms: int, end_ms: int, whole_s: float
) -> dict[str, Any]:
    """The MatchInfo object: when, how long, and on which playlist, variant and map."""
    queue, mode = ctx.queue, ctx.mode
    map_asset, pair = choice.maps[map_index], choice.pairs[map_index]
    return {
        "StartTime": _timestamp(start_ms),
        "EndTime": _timestamp(end_ms),
        "Duration": duration(whole_s, 7),
        "LifecycleMode": queue.lifecycle,
        "GameVariantCategory": mode.category,
        "LevelId": uid(f"level:{map_asset.name}"),
        "MapVariant": map_asset.ref(),
        "UgcGameVariant": choice.variant.ref(),
        "ClearanceId": queue.clearance,
        "Playlist": queue.playlist.ref() if queue.playlist else None,
        "PlaylistExperience": queue.experience,
        "PlaylistMapModePair": pair.ref() if pair else None,
        "SeasonId": _season_id(start_ms) if queue.lifecycle == MATCHMADE else None,
        "PlayableDuration": duration(ctx.playable_s, 3),
        "TeamsEnabled": mode.teams,
        "TeamScoringEnabled": mode.teams,
        "GameplayInteraction": _PVE if mode.pve else _PVP,
    }


def _player_doc(person: _Participant, join_ms: int, jitter_ms: int, playable_s: float) -> dict:
    """A Players item: who, how they did, when they were there, their stats per team."""
    first = join_ms + int(person.join_offset_s * 1000) + jitter_ms
    late = person.join_offset_s > 0
    played_s = min(person.played_s, playable_s)
    leave = _timestamp(first + int(played_s * 1000)) if person.left else None
    bot = person.ptype == _BOT
    return {
        "PlayerId": person.pid,
        "PlayerType": person.ptype,
        "BotAttributes": {"Difficulty": person.bot_difficulty} if bot else None,
        "LastTeamId": person.entries[-1].team,
        "Outcome": person.outcome,
        "Rank": person.rank,
        "ParticipationInfo": {
            "FirstJoinedTime": _timestamp(first),
            "LastLeaveTime": leave,
            "PresentAtBeginning": not late and not bot,
            "JoinedInProgress": late,
            "LeftInProgress": person.left,
            "PresentAtCompletion": not person.left,
            "TimePlayed": duration(played_s, 7 if late else 3),
            "ConfirmedParticipation": None,
        },
        "PlayerTeamStats": [
            {"TeamId": e.team, "Stats": render_stats(e.core, e.mode)} for e in person.entries
        ],
    }


def _team_doc(people: list[_Participant], team: TeamResult, pve: bool) -> dict[str, Any]:
    """A Teams item: the sums of its members' entries."""
    team_id, outcome, rank, rounds = team
    members = [e for p in people for e in p.entries if e.team == team_id]
    core = aggregate_core([e.core for e in members], rounds)
    if members:
        modes = {name: aggregate_mode([e.mode[name] for e in members]) for name in members[0].mode}
    else:
        modes = empty_pve_modes() if pve else {}
    if pve:
        modes["EliminationStats"]["LivesRemaining"] = 0
    return {"TeamId": team_id, "Outcome": outcome, "Rank": rank, "Stats": render_stats(core, modes)}


def generate_match(
    index: int, *, seed: int = 7, owner: GeneratedPlayer = DEMO_OWNER
) -> dict[str, Any]:
    """The match-stats document of the owner's match `index` (0: the newest) in the
    world of `seed`; ValueError for a negative index or an xuid not all digits.

    Why a pure function of (index, seed, owner): datasets of any size can be
    produced in any order, in parallel, or one match at a time, and still be
    identical; a test can regenerate the one match it is looking at.
    """
    if index < 0:
        raise ValueError(f"match index must be >= 0, got {index}")
    world = world_of(seed, owner)
    rng = random.Random(f"levelup-match:{seed}:{index}")
    rand = rng.random
    match_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    forced_switch = index % _SWITCH_EVERY == _SWITCH_AT
    owner_switch = forced_switch and index % _OWNER_SWITCH_EVERY == _OWNER_SWITCH_AT
    queue, choice, map_index = choose(rng, forced_switch)
    ctx = _Context(rng, world, queue, MODES[choice.mode])
    ctx.playable_s, whole_s = _match_length(rand, queue, ctx.mode)
    start_ms = _session_end_ms(index, seed) - (index % _SESSION_LENGTH) * _SLOT_MS
    start_ms -= int(rand() * 120_000)
    join_ms = start_ms + 15_000 + int(rand() * 25_000)
    if not ctx.mode.teams:
        people, teams = _infection_match(ctx)
    elif ctx.mode.pve:
        people, teams = _firefight_match(ctx)
    else:
        people, teams = _team_match(ctx, owner_switch, forced_switch)
    rng.shuffle(people)
    end_ms = join_ms + int(whole_s * 1000)
    return {
        "MatchId": match_id,
        "MatchInfo": _match_info(ctx, choice, map_index, start_ms, end_ms, whole_s),
        "Teams": [_team_doc(people, team, ctx.mode.pve) for team in teams],
        "Players": [_player_doc(p, join_ms, int(rand() * 12), ctx.playable_s) for p in people],
    }


def iter_matches(
    count: int, *, seed: int = 7, owner: GeneratedPlayer = DEMO_OWNER
) -> Iterator[dict[str, Any]]:
    """Matches 0 .. count-1, newest first, one at a time: benchmark datasets are tens
    of thousands of documents, and memory stays flat."""
    for index in range(count):
        yield generate_match(index, seed=seed, owner=owner)


# ------------------------------------------------------------ recorded directory

_INDENT_RUN = re.compile(rb"\n( +)")  # doubled: orjson only indents by 2, the fixtures by 4
_ASSET_REFS = ("MapVariant", "UgcGameVariant", "Playlist", "PlaylistMapModePair")


def write_recorded_dir(
    path: Path,
    count: int,
    *,
    seed: int = 7,
    owner: GeneratedPlayer = DEMO_OWNER,
    with_assets: bool = True,
    compact: bool = False,
    with_skill: bool = True,
) -> RecordedDirSummary:
    """Write a recorded-responses directory holding matches 0 .. `count`-1.

    Why: the recorded source, the fake Waypoint server, the demo and the benchmarks
    all read this layout; generating it is how they get a realistic dataset of any
    size without a network. Matches are written one at a time (memory stays flat);
    files already there are overwritten when regenerated and otherwise left alone.

    - ``players.json``: ``[{"gamertag", "xuid"}]`` for the whole roster, owner first;
      ``profiles.json``: ``[{"xuid", "gamertag"}]`` like GET /users?xuids=;
    - ``matches/<match_id>.json``: 4-space indented like the recorded fixtures (~47 KB
      each, so file sizes and parse costs compare), or compact (what the API sends);
    - `with_assets`: ``assets/<asset_id>/<version_id>.json`` for every map, playlist,
      UGC game variant and map-mode pair the matches refer to, and ``medals.json``;
    - `with_skill`: ``skill/<match_id>.json`` for every matchmade match (see
      `levelup.demo.skill`) and ``playlist_csr/<playlist_id>.json``, the owner's and
      squad's rank after the newest match (a directory without them is one made
      before the skill service was read).
    """
    path = Path(path)
    (path / "matches").mkdir(parents=True, exist_ok=True)
    people = roster(seed, owner)
    players = [{"gamertag": p.gamertag, "xuid": p.xuid} for p in people]
    (path / "players.json").write_bytes(orjson.dumps(players))
    profiles = [{"xuid": p.xuid, "gamertag": p.gamertag} for p in people]
    (path / "profiles.json").write_bytes(orjson.dumps(profiles))
    matches = iter_matches(count, seed=seed, owner=owner)
    total, on_disk, referenced, summaries = _write_matches(
        path / "matches", matches, compact, with_skill
    )
    if with_skill:
        _write_skill(path, summaries, seed, world_of(seed, owner))
    assets = _write_assets(path, referenced) if with_assets else 0
    sizes = (total / count, on_disk / count) if count else (0.0, 0.0)
    return RecordedDirSummary(path, count, owner, *sizes, assets)


def _write_matches(
    folder: Path, matches: Iterator[dict[str, Any]], compact: bool, with_skill: bool
) -> tuple[int, int, set[tuple[str, str]], list[Any]]:
    """Write the match files, one at a time; returns the bytes as compact JSON and as
    written, the (AssetId, VersionId) the matches refer to and, `with_skill`, what
    the skill documents need of each matchmade match."""
    referenced: set[tuple[str, str]] = set()
    summaries = []
    total = on_disk = 0
    for doc in matches:
        if with_skill and (summary := summarize(doc)) is not None:
            summaries.append(summary)
        data = orjson.dumps(doc)
        total += len(data)
        if not compact:
            data = _INDENT_RUN.sub(rb"\n\1\1", orjson.dumps(doc, option=orjson.OPT_INDENT_2))
        on_disk += len(data)
        with open(os.path.join(folder, doc["MatchId"] + ".json"), "wb") as fh:
            fh.write(data)
        info = doc["MatchInfo"]
        for key in _ASSET_REFS:
            if ref := info[key]:
                referenced.add((ref["AssetId"], ref["VersionId"]))
    return total, on_disk, referenced, summaries


def _write_skill(path: Path, summaries: list[Any], seed: int, world: World) -> None:
    """Write the skill documents, replayed oldest match first, and the owner's and
    squad's playlist CSR after the newest."""
    history = SkillHistory(RANKED_PLAYLIST_IDS, seed, fresh=[world.players[0].xuid])
    (path / "skill").mkdir(exist_ok=True)
    for summary in reversed(summaries):
        if (doc := history.document(summary)) is not None:
            (path / "skill" / f"{summary.match_id}.json").write_bytes(orjson.dumps(doc))
    (path / "playlist_csr").mkdir(exist_ok=True)
    asked = [p.xuid for p in world.players[: 1 + world.squad]]
    csr = orjson.dumps(history.playlist_csr(asked))
    for playlist_id in sorted(RANKED_PLAYLIST_IDS):
        (path / "playlist_csr" / f"{playlist_id}.json").write_bytes(csr)


def _write_assets(path: Path, referenced: set[tuple[str, str]]) -> int:
    """Write medals.json and the document of every asset referred to; returns how many."""
    (path / "medals.json").write_bytes(orjson.dumps(medal_metadata_document()))
    assets = catalog()
    for key in sorted(referenced):
        asset = assets[key]
        target = path / "assets" / asset.asset_id
        target.mkdir(parents=True, exist_ok=True)
        (target / f"{asset.version_id}.json").write_bytes(orjson.dumps(asset_document(asset)))
    return len(referenced)
