"""Realistic skill-service documents for generated matches (issue 11).

Why a stateful pass: a rank is a journey. Each player's CSR in the ranked
playlist moves from match to match (wins up, losses down, more when the
matchmaker expected less of them), so the documents of a history are built
oldest match first, from the match documents themselves (who played, on which
team, with which kills and deaths). Deterministic: the same matches give the
same documents, byte for byte.

What the documents show, as the real ones do:

- CSR tiers Bronze .. Onyx, six sub-tiers of 50 below Onyx (which starts at
  1500); `TierStart`/`NextTierStart` are the sub-tier's bounds;
- placement at the start of every ranked season: the first
  `PLACEMENT_MATCHES` ranked matches of a player in a season report CSR -1
  with the matches remaining, and the last one reveals the CSR;
- MMR close to the CSR (team MMR: the mean of its members');
- expected kills and deaths from the lobby: the match's kills shared by MMR
  against the other team's, with a standard deviation; counterfactuals for a
  player of each tier;
- unranked matchmade playlists: MMR and expectations, no CSR (-1, no tier);
  Firefight: empty `StatPerformances`, no counterfactuals.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

PLACEMENT_MATCHES = 5
TIERS = ("Bronze", "Silver", "Gold", "Platinum", "Diamond", "Onyx")
ONYX_START = 1500
_SUB_TIER = 50
_TIER_WIDTH = 6 * _SUB_TIER
_TIER_MIDPOINTS = {tier: i * _TIER_WIDTH + _TIER_WIDTH / 2 for i, tier in enumerate(TIERS)}
_MATCHMADE = 3
_PVE = 2


def tier_of(csr: int) -> tuple[str, int, int, str, int, int]:
    """(Tier, SubTier, TierStart, NextTier, NextSubTier, NextTierStart) of a CSR."""
    if csr >= ONYX_START:
        return "Onyx", 0, ONYX_START, "Onyx", 0, ONYX_START
    index, rest = divmod(max(csr, 0), _TIER_WIDTH)
    sub = rest // _SUB_TIER
    start = index * _TIER_WIDTH + sub * _SUB_TIER
    if sub == 5:
        return TIERS[index], sub, start, TIERS[index + 1], 0, start + _SUB_TIER
    return TIERS[index], sub, start, TIERS[index], sub + 1, start + _SUB_TIER


def csr_object(
    value: int | None, remaining: int, initial: int = PLACEMENT_MATCHES
) -> dict[str, Any]:
    """A CSR object as the skill service writes it (-1 and no tier while unknown)."""
    tier, sub, start, next_tier, next_sub, next_start = (
        ("", 0, 0, "", 0, 0) if value is None else tier_of(value)
    )
    return {
        "Value": -1 if value is None else value,
        "MeasurementMatchesRemaining": remaining,
        "Tier": tier,
        "TierStart": start,
        "SubTier": sub,
        "NextTier": next_tier,
        "NextTierStart": next_start,
        "NextSubTier": next_sub,
        "InitialMeasurementMatches": initial,
    }


@dataclass
class _Rank:
    """One player's rank in one ranked season."""

    csr: int
    remaining: int
    best: int | None = None

    def shown(self) -> dict[str, Any]:
        """The CSR object of the rank now: unknown (-1) until placement is over."""
        return csr_object(None if self.remaining else self.csr, self.remaining)


@dataclass
class _Player:
    mmr: float
    seasons: dict[str, _Rank] = field(default_factory=dict)
    all_time_best: int | None = None
    last_season: str | None = None


@dataclass(frozen=True, slots=True)
class MatchSummary:
    """What a skill document needs of a match: a few bytes instead of the document,
    so a history of 20,000 matches can be kept until it is replayed oldest first."""

    match_id: str
    playlist: str | None
    season: str
    pve: bool
    humans: tuple[tuple[str, int, int, int, int | None], ...]  # xuid, team, kills, deaths, outcome


def summarize(match: dict[str, Any]) -> MatchSummary | None:
    """The summary of a matchmade match; None for custom and local games (no skill)."""
    info = match.get("MatchInfo") or {}
    if info.get("LifecycleMode") != _MATCHMADE:
        return None
    humans = []
    for p in match.get("Players") or ():
        pid = str(p.get("PlayerId", ""))
        if not pid.startswith("xuid(") or p.get("PlayerType") == 2:
            continue
        stats = [s["Stats"]["CoreStats"] for s in p.get("PlayerTeamStats") or ()]
        kills = sum(int(s.get("Kills", 0)) for s in stats)
        deaths = sum(int(s.get("Deaths", 0)) for s in stats)
        humans.append((pid[5:-1], int(p.get("LastTeamId") or 0), kills, deaths, p.get("Outcome")))
    return MatchSummary(
        match_id=match["MatchId"],
        playlist=(info.get("Playlist") or {}).get("AssetId"),
        season=str(info.get("SeasonId") or ""),
        pve=info.get("GameplayInteraction") == _PVE,
        humans=tuple(humans),
    )


@dataclass(frozen=True, slots=True)
class _Lobby:
    """What the expectations of a match's players are drawn from: each team's MMR and
    the kills and deaths per player."""

    team_mmr: dict[int, float]
    share_k: float
    share_d: float

    def expect(self, mmr: float, against: float) -> tuple[float, float]:
        """Expected kills and deaths of a player of `mmr` against a team of `against`."""
        edge = (mmr - against) / 400
        return self.share_k * math.exp(edge), self.share_d * math.exp(-edge)


def _unit(*parts: object) -> float:
    """A deterministic number in [0, 1) from its parts."""
    return random.Random(":".join(str(p) for p in parts)).random()


class SkillHistory:
    """Builds the skill documents of a history, fed oldest match first.

    `ranked_playlists`: the playlist asset ids whose matches move a CSR.
    """

    def __init__(
        self, ranked_playlists: Iterable[str], seed: int = 7, fresh: Iterable[str] = ()
    ) -> None:
        """`fresh`: players whose whole history is fed (the owner): their first season
        seen starts with placement too, so a history shows it at its oldest end."""
        self._fresh = frozenset(fresh)
        self._ranked = frozenset(ranked_playlists)
        self._seed = seed
        self._players: dict[str, _Player] = {}
        self.current_season: str | None = None

    def _player(self, xuid: str, kills: int, deaths: int) -> _Player:
        found = self._players.get(xuid)
        if found is None:
            # A first impression from the first match seen: good players score more.
            base = (
                1050 + 120 * math.tanh((kills - deaths) / 8) + 500 * (_unit(self._seed, xuid) - 0.5)
            )
            found = self._players[xuid] = _Player(mmr=min(1900.0, max(150.0, base)))
        return found

    def _rank(self, xuid: str, player: _Player, season: str) -> _Rank:
        rank = player.seasons.get(season)
        if rank is None:
            # A new season: placement again, starting from the hidden MMR; a player
            # first met mid-season may have placed already (before we saw them).
            placed = (
                player.last_season is None
                and xuid not in self._fresh
                and _unit(self._seed, xuid, season) < 0.8
            )
            rank = _Rank(
                csr=round(player.mmr),
                remaining=0 if placed else PLACEMENT_MATCHES,
                best=round(player.mmr) if placed else None,
            )
            player.seasons[season] = rank
            player.last_season = season
        return rank

    def document(self, match: MatchSummary | dict[str, Any]) -> dict[str, Any] | None:
        """The skill document of one match (every human), or None for a custom/local game."""
        summary = match if isinstance(match, MatchSummary) else summarize(match)
        if summary is None or not summary.humans:
            return None
        humans = summary.humans
        rng = random.Random(f"levelup-skill:{self._seed}:{summary.match_id}")
        if summary.playlist in self._ranked:
            self.current_season = summary.season
        players = {x: self._player(x, k, d) for x, _, k, d, _ in humans}
        mmr_now = {x: players[x].mmr + rng.gauss(0, 12) for x in players}
        teams: dict[int, list[float]] = {}
        for xuid, team, *_ in humans:
            teams.setdefault(team, []).append(mmr_now[xuid])
        lobby = _Lobby(
            team_mmr={team: sum(v) / len(v) for team, v in teams.items()},
            share_k=sum(h[2] for h in humans) / len(humans),
            share_d=sum(h[3] for h in humans) / len(humans),
        )
        values = []
        for human in humans:
            xuid = human[0]
            result = self._result(summary, human, players[xuid], mmr_now[xuid], lobby, rng)
            values.append({"Id": f"xuid({xuid})", "ResultCode": 0, "Result": result})
        return {"Value": values}

    def _result(
        self,
        summary: MatchSummary,
        human: tuple[str, int, int, int, int | None],
        player: _Player,
        mmr: float,
        lobby: _Lobby,
        rng: random.Random,
    ) -> dict[str, Any]:
        """One human's skill result: expectations from the lobby, the rank's move, and
        the hidden MMR following the performance (slowly)."""
        xuid, team, kills, deaths, outcome = human
        team_mmr = lobby.team_mmr
        others = [m for t, m in team_mmr.items() if t != team] or [team_mmr[team]]
        against = sum(others) / len(others)
        exp_k, exp_d = lobby.expect(mmr, against)
        result: dict[str, Any] = {
            "TeamMmr": team_mmr[team],
            "RankRecap": {},
            "StatPerformances": {},
            "TeamId": team,
            "TeamMmrs": {str(t): m for t, m in sorted(team_mmr.items())},
            "RankedRewards": None,
            "Counterfactuals": {},
        }
        if not summary.pve:
            result["StatPerformances"] = {
                "Kills": {"Count": kills, "Expected": exp_k, "StdDev": 1 + math.sqrt(exp_k) * 1.1},
                "Deaths": {"Count": deaths, "Expected": exp_d, "StdDev": 1 + math.sqrt(exp_d)},
            }
            result["Counterfactuals"] = {
                "SelfCounterfactuals": {"Kills": exp_k, "Deaths": exp_d},
                "TierCounterfactuals": {
                    tier: dict(zip(("Kills", "Deaths"), lobby.expect(mid, against), strict=True))
                    for tier, mid in _TIER_MIDPOINTS.items()
                },
            }
        won, lost = outcome == 2, outcome in (3, 4)
        if summary.playlist in self._ranked:
            surplus = kills - exp_k
            result["RankRecap"] = self._move(xuid, player, summary.season, won, lost, surplus, rng)
        else:
            unranked = csr_object(None, 0, 0)
            result["RankRecap"] = {"PreMatchCsr": unranked, "PostMatchCsr": dict(unranked)}
        player.mmr += (12 if won else -12 if lost else 0) + 2.0 * (kills - exp_k)
        player.mmr = min(2100.0, max(50.0, player.mmr))
        return result

    def _move(
        self,
        xuid: str,
        player: _Player,
        season: str,
        won: bool,
        lost: bool,
        surplus_kills: float,
        rng: random.Random,
    ) -> dict[str, Any]:
        """The CSR before and after one ranked match, and the state it leaves."""
        rank = self._rank(xuid, player, season)
        pre = rank.shown()
        if rank.remaining:
            rank.remaining -= 1
            # Placement matches move the estimate a lot.
            rank.csr += (45 if won else -45 if lost else 0) + int(rng.gauss(0, 15))
        else:
            gap = (player.mmr - rank.csr) / 25
            step = 8 + max(-4.0, min(6.0, gap)) + max(-2.0, min(2.0, surplus_kills / 3))
            rank.csr += round(step) if won else -round(16 - step) if lost else 0
        rank.csr = max(0, min(2400, rank.csr))
        if rank.remaining == 0:
            rank.best = max(rank.best or 0, rank.csr)
            player.all_time_best = max(player.all_time_best or 0, rank.csr)
        return {"PreMatchCsr": pre, "PostMatchCsr": rank.shown()}

    def playlist_csr(self, xuids: Iterable[str]) -> dict[str, Any]:
        """The GET /hi/playlist/{id}/csrs body for these players after the newest match."""
        values = []
        season = self.current_season
        for xuid in xuids:
            player = self._players.get(xuid)
            if player is None:
                continue
            rank = player.seasons.get(season or "")
            result = {
                "Current": rank.shown() if rank else csr_object(None, PLACEMENT_MATCHES),
                "SeasonMax": csr_object(rank.best if rank else None, 0),
                "AllTimeMax": csr_object(player.all_time_best, 0),
            }
            values.append({"Id": f"xuid({xuid})", "ResultCode": 0, "Result": result})
        return {"Value": values}
