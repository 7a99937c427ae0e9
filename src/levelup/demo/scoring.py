"""How a generated player's numbers are made: one scoring description per game mode.

Why one `Mode` per game mode: everything the generator writes differently for a
mode (its variant's label, how long it lasts, how a team wins and by how much,
which mode stats object a player gets, which medals and personal score awards
those stats earn, whether the points are scripted) is data in `MODES`. Adding or
changing a mode is editing its entry.

The stats are derived from each entry's kills, deaths, assists and score, so they
stay consistent the way the API's are (ShotsHit <= ShotsFired, PersonalScore the
sum of its awards, a team's stats the sum of its members' entries). Every random
number is drawn from the match's own generator in a fixed order: the same match
always gets the same numbers. KDA (``kills + assists / 3 - deaths``) and Accuracy
are truncated toward zero to two decimals, as the recorded responses show (-0.66
for 14 + 4/3 - 16), with integer arithmetic.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from levelup.demo.medals import medal_group, medal_ids

Rand = Callable[[], float]
Award = tuple[int, int, int]  # (NameId, Count, TotalPersonalScoreAwarded)

_DOUBLE, _TRIPLE, _OVERKILL, _KILLTACULAR, *_high = medal_group(1)
_MULTIKILLS_HIGH = tuple(_high)
_SPREES = tuple(zip(range(5, 45, 5), medal_group(2), strict=True))  # (kills without dying, medal)
_KILLJOY, _WINGMAN, _SPOTTER, _PERFECTION, _STEAKTACULAR = medal_group(3)
_PROFICIENCY = medal_group(4)
_TWICE = medal_ids("Perfect", "Reversal", "Shot Caller")  # the common style medals
_SKILL_STYLE = tuple(m for m in medal_group(5) for _ in range(1 + (m in _TWICE)))
_VEHICLE_MEDALS = medal_group(6)
# Infection's medals; most are not in the medal metadata, on purpose (see levelup.demo.medals).
_INFECTED_MEDALS = (88914608, 1155542859, 3786134933, 1719203329, 3520382976, 3653884673)
_SURVIVOR_MEDALS = (1025827095, 3467301935, 557309779, 2717755703, 1064731598, 1646928910)

# Personal score awards: (NameId, points each) as the API reports them.
_PS_MARK = (152718958, 10)
_PS_SENSOR = (1267013266, 10)
_PS_SELF_DESTRUCTION = (249491819, -100)
_PS_HILL_CONTROL = (340198991, 25)
_PS_HILL_SCORED = (1032565232, 100)
_PS_SLAYING = ((1024030246, 100), (638246808, 50))  # kill, assist
# EMP assist, Destroyed Ghost, driver assist, Hijacked Ghost, self-destruction, betrayal.
_PS_PLAYS = ((221060588, 50), (4254982885, 50), (963594075, 50), (1614285349, 25),
             _PS_SELF_DESTRUCTION, (911992497, -100))  # fmt: skip
_CUSTOM_SCORE_ID = 4294967295  # "Custom": points scripted by the mode, variable per award


def _counted(awards: tuple[tuple[int, int], ...], counts: tuple[int, ...]) -> list[Award]:
    """The awards earned `counts` times each, leaving out those never earned."""
    return [(i, n, n * points) for (i, points), n in zip(awards, counts, strict=True) if n]


@dataclass(slots=True, eq=False)
class Entry:
    """One PlayerTeamStats entry while it is built: a player's time on one team.

    `frac` is the share of the match spent on this team; `core` and `mode` are the
    raw CoreStats and mode stats objects, rendered into the API's form at the end.
    """

    team: int
    frac: float
    skill: float
    kills: int = 0
    deaths: int = 0
    assists: int = 0
    score: int = 0
    core: dict[str, Any] = field(default_factory=dict)
    mode: dict[str, dict[str, Any]] = field(default_factory=dict)


# A mode stats object of one entry from (rand, entry, seconds played on the entry).
StatsBuilder = Callable[[Rand, Entry, float], dict[str, Any]]
# (NameId, points each, how many: a key of the mode stats object, or a function of them).
AwardRule = tuple[int, int, str | Callable[[Entry, dict[str, Any]], int]]
# (winner's score, loser's score, rounds the loser won or None for a one-round mode).
TeamScore = Callable[[Rand, int, bool], tuple[int, int, int | None]]


@dataclass(frozen=True)
class Mode:
    """How one game mode plays and scores: two-team modes are scored from this data
    alone (`score_team_entry`); Infection and Firefight players are not shares of a
    team's total, their mode stats come from their own `score_*_entry`."""

    key: str
    category: int  # GameVariantCategory
    label: str  # the UGC game variant's name and description
    description: str
    duration: tuple[float, float]  # seconds of play: minimum, random spread
    medals: tuple[int, ...] = ()  # the mode's own, now and then on top of the usual ones
    stats_name: str = ""  # the mode stats object beside PvpStats
    stats: StatsBuilder | None = None
    awards: tuple[AwardRule, ...] = ()  # the personal score awards the mode stats earn
    team_score: TeamScore | None = None
    kills_score: bool = False  # the team score is its kill count (Slayer)
    tie_rate: float = 0.0
    teams: bool = True  # TeamsEnabled
    pve: bool = False  # GameplayInteraction
    scripted: bool = False  # the mode scripts its own points (Custom awards, listed first)
    callout_award: tuple[int, int] = _PS_MARK
    shotless_rate: float = 0.0  # how often a player never fires (melee-only infected)
    breaks: tuple[float, float] | None = None  # between rounds, not playable: min, spread

    def mode_stats(self, rand: Rand, entry: Entry, played_s: float) -> list[Award]:
        """Fill the entry's mode stats objects; returns the awards they earn."""
        entry.mode = {}
        awards: list[Award] = []
        if self.stats is not None:
            stats = entry.mode[self.stats_name] = self.stats(rand, entry, played_s)
            for name_id, points, count in self.awards:
                n = stats[count] if isinstance(count, str) else count(entry, stats)
                if n:
                    awards.append((name_id, n, n * points))
        entry.mode["PvpStats"] = _pvp_stats(entry)
        return awards


def _slayer_score(rand: Rand, size: int, tie: bool) -> tuple[int, int, int | None]:
    """First to a kill limit that grows with the teams; a tie stops short of it."""
    limit = 100 if size >= 8 else (50 if size >= 3 else 25)
    if tie:
        both = int(limit * (0.55 + 0.3 * rand()))
        return both, both, None
    return limit, int(limit * (0.5 + 0.48 * rand())), None


def _first_to(target: int, low: int = 0, spread: int = 0, rounds: bool = False) -> TeamScore:
    """The winner reaches `target`, the loser `low` plus up to `spread` (default: target);
    with `rounds`, the score counts rounds won."""

    def score(rand: Rand, size: int, tie: bool) -> tuple[int, int, int | None]:
        lost = low + int((spread or target) * rand())
        return target, lost, lost if rounds else None

    return score


def _oddball_score(rand: Rand, size: int, tie: bool) -> tuple[int, int, int | None]:
    """Best of three rounds to 200 points: the loser may take one of them."""
    loser_rounds = int(2 * rand())
    if loser_rounds:
        won = 200 + 10 + int(89 * rand())
        return won, 100 + int((won - 110) * rand()), loser_rounds
    return 200, int(190 * rand()), 0


def _ctf_stats(rand: Rand, e: Entry, played_s: float) -> dict[str, Any]:
    """CaptureTheFlagStats: the entry's score is its captures."""
    steals = e.score + int(3 * rand() * e.frac)
    grabs = steals + int(4 * rand() * rand())
    returns = int(4 * rand() * e.frac)
    carriers_killed = int(3 * rand() * rand())
    capture_assists = int(2 * rand() * rand())
    return {
        "FlagCaptureAssists": capture_assists,
        "FlagCaptures": e.score,
        "FlagCarriersKilled": carriers_killed,
        "FlagGrabs": grabs,
        "FlagReturnersKilled": int(2 * rand() * rand()),
        "FlagReturns": returns,
        "FlagSecures": int(4 * rand() * e.frac),
        "FlagSteals": steals,
        "KillsAsFlagCarrier": int(2 * rand() * rand()) if grabs else 0,
        "KillsAsFlagReturner": 0,
        "TimeAsFlagCarrier": grabs * (2 + 12 * rand()),
    }


def _oddball_stats(rand: Rand, e: Entry, played_s: float) -> dict[str, Any]:
    """OddballStats: the entry's score is its scoring ticks (seconds holding the skull)."""
    score = e.score
    held = score + 8 * rand() * e.frac if score else 6 * rand() * rand()
    grabs = (1 + int(3 * rand())) if held > 0.5 else 0
    carriers_killed = int(4 * rand() * e.frac)
    return {
        "KillsAsSkullCarrier": int(2 * rand() * rand()) if grabs else 0,
        "LongestTimeAsSkullCarrier": held * (0.4 + 0.6 * rand()) if grabs else 0.0,
        "SkullCarriersKilled": carriers_killed,
        "SkullGrabs": grabs,
        "TimeAsSkullCarrier": held if grabs else 0.0,
        "SkullScoringTicks": score,
    }


def _zone_stats(rand: Rand, e: Entry, played_s: float, ticks_are_score: bool) -> dict[str, Any]:
    """ZonesStats (Strongholds, King of the Hill, Total Control); the scoring ticks are
    the entry's score in Strongholds, its time in a zone otherwise."""
    captures = int((1 + 5 * rand()) * e.frac)
    secures = int(4 * rand() * e.frac)
    defensive = int(e.kills * 0.4 * rand())
    occupation = played_s / 60 * (3 + 10 * rand())
    return {
        "StrongholdCaptures": captures,
        "StrongholdDefensiveKills": defensive,
        "StrongholdOffensiveKills": int((e.kills - defensive) * 0.5 * rand()),
        "StrongholdSecures": secures,
        "StrongholdOccupationTime": occupation,
        "StrongholdScoringTicks": e.score if ticks_are_score else int(occupation / 2),
    }


_ZONE_TIME = partial(_zone_stats, ticks_are_score=False)
_ZONE_AWARDS = ((3507884073, 50, "StrongholdCaptures"), (709346128, 25, "StrongholdSecures"))
_ZONE_MEDALS = medal_ids("Always Rotating", "Clock Stop")

MODES: dict[str, Mode] = {
    mode.key: mode
    for mode in (
        Mode(
            "slayer", 6, "Slayer", "Slay the enemy team.", (420.0, 330.0),
            team_score=_slayer_score, kills_score=True, tie_rate=0.03,
        ),
        Mode(
            "strongholds", 11, "Strongholds", "Capture and hold zones to score points.",
            (480.0, 300.0), _ZONE_MEDALS, "ZonesStats", partial(_zone_stats, ticks_are_score=True),
            awards=_ZONE_AWARDS, team_score=_first_to(250, low=60, spread=180),
        ),
        Mode(
            "koth", 13, "King of the Hill", "Control the hill to earn points for your team.",
            (420.0, 360.0), medal_ids("Hill Guardian", "Clock Stop"), "ZonesStats", _ZONE_TIME,
            awards=(
                (*_PS_HILL_CONTROL, lambda e, s: int(s["StrongholdOccupationTime"] / 10)),
                (*_PS_HILL_SCORED, lambda e, s: e.score),
            ),
            team_score=_first_to(4),
        ),
        Mode(
            "total_control", 14, "Total Control", "Capture every zone at once to win the round.",
            (540.0, 300.0), _ZONE_MEDALS, "ZonesStats", _ZONE_TIME,
            awards=_ZONE_AWARDS, team_score=_first_to(2, rounds=True),
        ),
        Mode(
            "ctf", 15, "Capture the Flag", "Capture the enemy flag while defending your own.",
            (480.0, 360.0), medal_ids("Stopped Short", "Flag Joust", "Goal Line Stand"),
            "CaptureTheFlagStats", _ctf_stats,
            awards=(
                (601966503, 300, "FlagCaptures"),
                (555570945, 100, "FlagCaptureAssists"),
                (3002710045, 25, "FlagSteals"),
                (22113181, 25, "FlagReturns"),
                (2387185397, 10, lambda e, s: s["FlagGrabs"] - s["FlagSteals"]),  # taken
                (316828380, 25, "FlagCarriersKilled"),  # runner stopped
            ),
            team_score=_first_to(3),
        ),
        Mode(
            "oddball", 18, "Oddball", "Hold the skull for as long as you can.", (420.0, 300.0),
            medal_ids("Fumble", "Straight Balling"), "OddballStats", _oddball_stats,
            awards=(
                (204144695, 10, "SkullGrabs"),
                (746397417, 25, "SkullCarriersKilled"),
                (454168309, 50, lambda e, s: s["SkullScoringTicks"] // 25),  # ball control
            ),
            team_score=_oddball_score,
        ),
        Mode(
            "infection", 22, "Infection", "Survive the infected, or join them.", (300.0, 240.0),
            teams=False, scripted=True, callout_award=_PS_SENSOR, shotless_rate=0.15,
            breaks=(15.0, 12.0),
        ),
        Mode(
            "firefight", 42, "Firefight King of the Hill",
            "Hold the hills against waves of Banished.", (660.0, 420.0),
            medals=medal_ids("Hill Guardian", "Kong", "Stick", "Cluster Luck"),
            pve=True, scripted=True,
        ),
    )
}  # fmt: skip
"""Every game mode of the generated world, by key."""

# ------------------------------------------------------------ scoring entries


def score_team_entry(
    rand: Rand,
    e: Entry,
    played_s: float,
    mode: Mode,
    vehicles: bool,
    rounds: tuple[int, int, int],
    winning: bool,
    dominated: bool,
) -> None:
    """Mode stats and CoreStats of a two-team PvP entry; on the winning side a
    flawless game earns Perfection and a rout Steaktacular."""
    personal = mode.mode_stats(rand, e, played_s)
    _fill_core(rand, e, played_s, mode, personal, rounds, vehicles=vehicles)
    if winning:
        medals = e.core["Medals"]
        if e.kills >= 15 and e.deaths == 0:
            medals[_PERFECTION] = 1
        if dominated:
            medals[_STEAKTACULAR] = 1


def score_infection_entry(
    rand: Rand, e: Entry, played_s: float, share: float, rounds_here: int, won: int, victim: bool
) -> None:
    """InfectionStats and CoreStats of an Infection player who took part in `share` of
    the match (`rounds_here` rounds, `won` of them survived). The `victim` had a bad
    game: no kills, and every death a fall off the map."""
    custom_count = 2 + int(12 * rand() * share)
    custom_total = int(custom_count * (7 + 12 * rand())) if not victim else 0
    spartans_infected = int(8 * rand() * share)
    last_standing = int(rounds_here * 0.5 * rand())
    infection = {
        "AlphasKilled": int(rand() < 0.1),
        "SpartansInfected": spartans_infected,
        "SpartansInfectedAsAlpha": int(2 * rand() * rand()),
        "KillsAsLastSpartanStanding": int(last_standing * 3 * rand()),
        "LastSpartansStandingInfected": int(2 * rand()),
        "RoundsAsAlpha": int(rand() < 0.3),
        "RoundsAsLastSpartanStanding": last_standing,
        "RoundsFinishedAsInfected": max(0, rounds_here * 2 - won),
        "RoundsSurvivedAsSpartan": won,
        "RoundsSurvivedAsLastSpartanStanding": int(last_standing * 0.4 * rand()),
        "TimeAsLastSpartanStanding": last_standing * (5 + 25 * rand()),
        "InfectedKilled": int(e.kills * 0.6 * rand()),
    }
    personal = [(_CUSTOM_SCORE_ID, custom_count, custom_total)]
    pool = _INFECTED_MEDALS if rand() < 0.5 else _SURVIVOR_MEDALS
    mode = MODES["infection"]
    _fill_core(rand, e, played_s, mode, personal, (won, rounds_here - won, 0), medal_pool=pool)
    if victim:
        deaths = e.core["Deaths"]
        e.core["Suicides"] = deaths
        e.core["PersonalScores"] = _counted((_PS_SENSOR, _PS_SELF_DESTRUCTION), (1, deaths))
        e.core["PersonalScore"] = 10 - 100 * deaths
    e.mode = {"InfectionStats": infection, "PvpStats": _pvp_stats(e)}


_KILL_KINDS = ("MarineKills", "GruntKills", "JackalKills", "EliteKills", "BruteKills",
               "HunterKills", "SkimmerKills", "SentinelKills", "BossKills")  # fmt: skip
_ELIMINATION_KEYS = (
    "AlliesRevived", "EliminationAssists", "Eliminations", "EnemyRevivesDenied", "Executions",
    "KillsAsLastPlayerStanding", "LastPlayersStandingKilled", "RoundsSurvived",
    "TimesRevivedByAlly", "LivesRemaining", "EliminationOrder",
)  # fmt: skip


def score_firefight_entry(
    rand: Rand, e: Entry, played_s: float, won: bool, objectives: int
) -> None:
    """PveStats, EliminationStats and CoreStats of a Firefight player; the hills
    held (`objectives`) and the mode's scripted points make the personal score."""
    kinds = split(
        e.kills,
        [0.05 * rand(), 0.3, 0.35, 0.12, 0.14, 0.02 + 0.03 * rand(), 0.1, 0.02 * rand(), 0.01],
    )
    pve = {**_pvp_stats(e), **dict(zip(_KILL_KINDS, kinds, strict=True))}
    elimination: dict[str, Any] = dict.fromkeys(_ELIMINATION_KEYS, 0)
    elimination["AlliesRevived"] = int(3 * rand())
    elimination["TimesRevivedByAlly"] = int(3 * rand())
    elimination["LivesRemaining"] = None
    custom_count = e.kills + e.assists + int(10 * rand())
    hill = int(40 + 50 * rand())
    personal = [
        (_CUSTOM_SCORE_ID, custom_count, int(custom_count * (15 + 8 * rand()))),
        *_counted((_PS_HILL_CONTROL, _PS_HILL_SCORED), (hill, objectives - 1)),
    ]
    mode = MODES["firefight"]
    rounds = (1, 0, 0) if won else (0, 1, 0)
    _fill_core(rand, e, played_s, mode, personal, rounds, objectives=objectives)
    e.mode = {"EliminationStats": elimination, "PveStats": pve}


def empty_pve_modes() -> dict[str, dict[str, Any]]:
    """The Banished team's mode stats in Firefight: all zeros, as recorded."""
    return {
        "EliminationStats": dict.fromkeys(_ELIMINATION_KEYS, 0),
        "PveStats": dict.fromkeys(("Kills", "Deaths", "Assists", "KDA", *_KILL_KINDS), 0),
    }


def _pvp_stats(e: Entry) -> dict[str, Any]:
    """The PvpStats object (and the start of PveStats): the entry's K/D/A, KDA rendered later."""
    return {"Kills": e.kills, "Deaths": e.deaths, "Assists": e.assists, "KDA": 0.0}


def split(total: int, weights: list[float]) -> list[int]:
    """Split `total` into integers proportional to `weights` (largest remainder)."""
    n = len(weights)
    if total <= 0 or n == 0:
        return [0] * n
    wsum = sum(weights)
    if wsum <= 0:
        weights, wsum = [1.0] * n, float(n)
    raw = [total * w / wsum for w in weights]
    parts = [int(r) for r in raw]
    left = total - sum(parts)
    if left:
        order = sorted(range(n), key=lambda i: raw[i] - parts[i], reverse=True)
        for i in order[:left]:
            parts[i] += 1
    return parts


# ------------------------------------------------------------------- CoreStats


def _fill_core(
    rand: Rand,
    entry: Entry,
    played_s: float,
    mode: Mode,
    personal: list[Award],
    rounds: tuple[int, int, int],
    *,
    vehicles: bool = False,
    objectives: int = 0,
    medal_pool: tuple[int, ...] | None = None,
) -> None:
    """Derive every CoreStats number of an entry from its kills, deaths and assists.

    `personal` holds the mode's personal score awards; kill, assist and penalty
    awards are added here and PersonalScore is their sum, as in the real responses.
    The medals drawn now and then on top of the usual ones are the mode's by default.
    """
    kills, deaths, assists = entry.kills, entry.deaths, entry.assists
    suicides = 1 if (rand() < 0.04 and deaths) else 0
    betrayals = 1 if rand() < 0.012 else 0
    fired, hits = _shots(rand, entry, played_s, mode)
    if mode.pve:
        grenade = melee = power = headshots = spree = 0
    else:
        grenade, melee, power, headshots, spree = _pvp_kills(rand, kills, deaths, fired)
    callouts = int(assists * 0.35 * rand()) if rand() < 0.5 else 0
    emp = 1 if rand() < 0.04 else 0
    destroys = driver_assists = hijacks = 0
    if vehicles:
        destroys = int(3 * rand() * rand() * (1 + played_s / 60.0 / 10))
        driver_assists = int(4 * rand() * rand())
        hijacks = int(rand() < 0.15)
    damage_dealt, damage_taken = _damage(rand, mode.pve, kills, deaths, hits, melee)
    spawns = deaths + 1 if played_s > 0 else 0
    pool = mode.medals if medal_pool is None else medal_pool
    medals = _medals(rand, mode, entry, kills // (deaths + 1) if mode.pve else spree, pool)
    if vehicles and rand() < 0.5:
        medals[_VEHICLE_MEDALS[int(rand() * len(_VEHICLE_MEDALS))]] = 1
    if callouts >= 5:
        medals[_SPOTTER] = 1
    plays = (callouts, emp, destroys, driver_assists, hijacks, suicides, betrayals)
    awards = _awards(mode, entry, personal, plays)
    entry.core = {
        "Score": entry.score, "PersonalScore": sum(a[2] for a in awards),
        "RoundsWon": rounds[0], "RoundsLost": rounds[1], "RoundsTied": rounds[2],
        "Kills": kills, "Deaths": deaths, "Assists": assists, "KDA": 0.0,
        "Suicides": suicides, "Betrayals": betrayals,
        "AverageLifeDuration": played_s / spawns if spawns else 0.0,
        "GrenadeKills": grenade, "HeadshotKills": headshots, "MeleeKills": melee,
        "PowerWeaponKills": power, "ShotsFired": fired, "ShotsHit": hits, "Accuracy": 0.0,
        "DamageDealt": damage_dealt, "DamageTaken": damage_taken, "CalloutAssists": callouts,
        "VehicleDestroys": destroys, "DriverAssists": driver_assists,
        "Hijacks": hijacks, "EmpAssists": emp, "MaxKillingSpree": spree,
        "Medals": medals, "PersonalScores": awards,
        "DeprecatedDamageDealt": 0.0, "DeprecatedDamageTaken": 0.0,
        "Spawns": spawns, "ObjectivesCompleted": objectives, "_played": played_s,
    }  # fmt: skip


def _damage(
    rand: Rand, pve: bool, kills: int, deaths: int, hits: int, melee: int
) -> tuple[int, int]:
    """DamageDealt and DamageTaken: from shots and melee against players, per kill
    and per death against the AI."""
    if pve:
        return int(kills * (140 + 40 * rand())), int(deaths * 180 + 200 * rand() * rand())
    dealt = int(hits * (28 + 12 * rand()) + melee * (90 + 60 * rand()))
    return dealt, int(deaths * (280 + 100 * rand()) + 300 * rand())


def _awards(mode: Mode, entry: Entry, personal: list[Award], plays: tuple[int, ...]) -> list[Award]:
    """An entry's personal score awards: the mode's own (first when the mode scripts its
    points), kills and assists against players, then `plays`: callouts, EMPs, vehicle
    play, suicides and betrayals (counts in the order of `_PS_PLAYS`)."""
    played = _counted((mode.callout_award, *_PS_PLAYS), plays)
    if mode.pve:
        slaying: list[Award] = []
    else:
        slaying = _counted(_PS_SLAYING, (entry.kills, entry.assists))
    if mode.scripted:
        return [*personal, *slaying, *played]
    return [*slaying, *personal, *played]


def _shots(rand: Rand, entry: Entry, played_s: float, mode: Mode) -> tuple[int, int]:
    """ShotsFired and ShotsHit; a few players never fire (AFK, quitters, melee-only)."""
    kills = entry.kills
    minutes = played_s / 60.0
    if (kills == 0 and (played_s < 90 or rand() < 0.08)) or (
        mode.shotless_rate and rand() < mode.shotless_rate
    ):
        return 0, 0
    if mode.pve:
        fired = int(kills * (7 + 6 * rand()) + minutes * 10 * rand())
    else:
        fired = int(kills * (6 + 6 * rand()) + minutes * (12 + 10 * rand()))
    if not fired:
        return 0, 0
    acc = 0.3 + 0.22 * entry.skill * (0.5 + 0.5 * rand())
    return fired, min(fired, int(fired * min(acc, 0.9)))


def _pvp_kills(rand: Rand, kills: int, deaths: int, fired: int) -> tuple[int, int, int, int, int]:
    """Grenade, melee, power weapon and headshot kills, and the longest killing spree."""
    grenade = int(kills * 0.12 * rand())
    melee = int(kills * 0.12 * rand())
    power = int(kills * 0.2 * rand())
    if fired == 0:  # kills without a shot are melee kills
        melee, grenade, power = kills, 0, 0
    headshots = int((kills - grenade - melee) * (0.3 + 0.45 * rand()))
    spree = min(kills, 1 + int(kills / (deaths + 1) * (1.5 + 2.5 * rand()))) if kills else 0
    return grenade, melee, power, headshots, spree


def _medals(
    rand: Rand, mode: Mode, entry: Entry, spree: int, pool: tuple[int, ...]
) -> dict[int, int]:
    """Medals the way a match awards them: multikills, sprees, proficiency, skill, the mode's."""
    kills = entry.kills
    extra_count = int(len(pool) and (1 + kills / 8) * rand())
    medals: dict[int, int] = {}
    if kills >= 2:
        doubles = int(kills * (0.05 + 0.17 * rand()))
        if doubles:
            medals[_DOUBLE] = doubles
            triples = int(doubles * 0.45 * rand())
            if triples:
                medals[_TRIPLE] = triples
                if rand() < 0.35:
                    medals[_OVERKILL] = 1
                    if kills > 40:
                        medals[_KILLTACULAR] = 1 + int(kills / 40 * rand())
                        for medal in _MULTIKILLS_HIGH[: int(kills / 25 * rand())]:
                            medals[medal] = 1 + int(2 * rand())
    for threshold, medal in _SPREES:
        if spree < threshold:
            break
        medals[medal] = 1 + (kills >= 4 * threshold and rand() < 0.6)
    if kills and rand() < 0.35:
        medals[_KILLJOY] = 1 + int(2 * rand())
    for _ in range(kills // 8):
        medals[_PROFICIENCY[int(rand() * len(_PROFICIENCY))]] = 1
    if entry.assists >= 10:
        medals[_WINGMAN] = 1
    skill_picks = int(kills * (0.04 if mode.pve else 0.13) * (0.5 + rand()))
    _add_picks(rand, medals, _SKILL_STYLE, skill_picks)
    _add_picks(rand, medals, pool, extra_count)
    return medals


def _add_picks(rand: Rand, medals: dict[int, int], pool: tuple[int, ...], picks: int) -> None:
    """`picks` medals drawn from `pool`, counted."""
    for _ in range(picks):
        medal = pool[int(rand() * len(pool))]
        medals[medal] = medals.get(medal, 0) + 1


_CORE_KEYS = (
    "Score", "PersonalScore", "RoundsWon", "RoundsLost", "RoundsTied", "Kills", "Deaths",
    "Assists", "KDA", "Suicides", "Betrayals", "AverageLifeDuration", "GrenadeKills",
    "HeadshotKills", "MeleeKills", "PowerWeaponKills", "ShotsFired", "ShotsHit", "Accuracy",
    "DamageDealt", "DamageTaken", "CalloutAssists", "VehicleDestroys", "DriverAssists", "Hijacks",
    "EmpAssists", "MaxKillingSpree", "Medals", "PersonalScores", "DeprecatedDamageDealt",
    "DeprecatedDamageTaken", "Spawns", "ObjectivesCompleted", "_played",
)  # fmt: skip
"""CoreStats keys in the API's order, then the seconds played (summed, never rendered)."""


def aggregate_core(cores: list[dict[str, Any]], rounds: tuple[int, int, int]) -> dict[str, Any]:
    """A team's CoreStats from its members' entries (raw form, rendered later): the
    numbers summed, then those that are not sums (rounds, spree, life) set."""
    out: dict[str, Any] = dict.fromkeys(_CORE_KEYS, 0)
    medals: Counter[int] = Counter()
    counts: Counter[int] = Counter()
    totals: Counter[int] = Counter()
    for core in cores:
        for key, value in core.items():
            if key not in ("Medals", "PersonalScores"):
                out[key] += value
        medals.update(core["Medals"])
        for name_id, count, total in core["PersonalScores"]:
            counts[name_id] += count
            totals[name_id] += total
    out["RoundsWon"], out["RoundsLost"], out["RoundsTied"] = rounds
    out["AverageLifeDuration"] = out["_played"] / out["Spawns"] if out["Spawns"] else 0.0
    out["MaxKillingSpree"] = max((core["MaxKillingSpree"] for core in cores), default=0)
    out["Medals"] = medals
    out["PersonalScores"] = [
        (i, counts[i], totals[i]) for i in sorted(counts, key=lambda i: -counts[i])
    ]
    out["ObjectivesCompleted"] = max((core["ObjectivesCompleted"] for core in cores), default=0)
    return out


def aggregate_mode(stats: list[dict[str, Any]]) -> dict[str, Any]:
    """A team's mode stats object: its members' summed (durations at most: the longest)."""
    out: dict[str, Any] = {}
    for item in stats:
        for key, value in item.items():
            if value is None:
                out.setdefault(key, 0)
            elif key in _MAX_KEYS:
                out[key] = max(out.get(key, 0), value)
            else:
                out[key] = out.get(key, 0) + value
    return out


# ------------------------------------------------------------------- rendering

# Mode stats keys whose values are durations (kept in seconds until rendered).
_DURATION_KEYS = frozenset(
    ("TimeAsFlagCarrier", "TimeAsSkullCarrier", "LongestTimeAsSkullCarrier",
     "StrongholdOccupationTime", "TimeAsLastSpartanStanding")
)  # fmt: skip
_MAX_KEYS = frozenset({"LongestTimeAsSkullCarrier"})


def duration(seconds: float, digits: int = 1) -> str:
    """ISO-8601 duration ("PT9M9.4211615S", "PT50.1S", "PT0S") with up to `digits` decimals."""
    scale = 10**digits
    units = round(seconds * scale)
    if units <= 0:
        return "PT0S"
    hours, units = divmod(units, 3600 * scale)
    minutes, units = divmod(units, 60 * scale)
    secs, frac = divmod(units, scale)
    out = "PT"
    if hours:
        out += f"{hours}H"
    if minutes:
        out += f"{minutes}M"
    if frac:
        out += f"{secs}.{frac:0{digits}d}".rstrip("0") + "S"
    elif secs or out == "PT":
        out += f"{secs}S"
    return out


def _kda(kills: int, deaths: int, assists: int) -> float:
    """kills + assists/3 - deaths, truncated toward zero to 2 decimals like the API."""
    thirds = 3 * kills + assists - 3 * deaths
    hundredths = abs(thirds) * 100 // 3
    return (hundredths if thirds >= 0 else -hundredths) / 100


def _render_core(raw: dict[str, Any]) -> dict[str, Any]:
    """The CoreStats object in the API's key order and types."""
    out = dict(raw)
    del out["_played"]
    out["KDA"] = _kda(raw["Kills"], raw["Deaths"], raw["Assists"])
    out["AverageLifeDuration"] = duration(raw["AverageLifeDuration"])
    hits, fired = raw["ShotsHit"], raw["ShotsFired"]
    out["Accuracy"] = (hits * 10000 // fired) / 100 if fired > 0 else 0.0  # truncated
    out["Medals"] = [
        {"NameId": medal, "Count": count, "TotalPersonalScoreAwarded": 0}
        for medal, count in raw["Medals"].items()
    ]
    out["PersonalScores"] = [
        {"NameId": name_id, "Count": count, "TotalPersonalScoreAwarded": total}
        for name_id, count, total in raw["PersonalScores"]
    ]
    out["DeprecatedDamageDealt"] = float(raw["DamageDealt"])
    out["DeprecatedDamageTaken"] = float(raw["DamageTaken"])
    return out


def render_stats(core_raw: dict[str, Any], modes: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """A Stats object: CoreStats, then each mode stats object with durations as text."""
    stats: dict[str, Any] = {"CoreStats": _render_core(core_raw)}
    for name, raw in modes.items():
        out = {key: duration(v) if key in _DURATION_KEYS else v for key, v in raw.items()}
        if name in ("PvpStats", "PveStats"):
            out["KDA"] = _kda(raw["Kills"], raw["Deaths"], raw["Assists"])
        stats[name] = out
    return stats
