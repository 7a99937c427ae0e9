"""Deterministic generator of realistic Halo Infinite match-stats documents.

Why this exists: the demo, the test suite and the benchmarks all need match
documents in the exact shape of GET /hi/matches/{id}/stats, in quantities the
handful of real recorded responses cannot provide (20,000+ for the benchmarks),
without a network and without shipping anybody's real match history. This
module builds them from a seed: same ``(index, seed, owner)``, same document,
byte for byte, whatever else was generated before.

What makes the documents useful rather than merely well-formed:

- every key the real responses have (MatchInfo, Teams, Players,
  PlayerTeamStats, CoreStats with Medals/PersonalScores, mode stats beside
  CoreStats, ParticipationInfo, bots' BotAttributes), so the parsers see the
  real thing;
- internally consistent numbers (ShotsHit <= ShotsFired, Accuracy and KDA
  computed like the API does, team stats equal to the sum of their members'
  entries, the winner's score above the loser's, TimePlayed <= the match);
- the awkward cases the real data has: players who switched teams (several
  PlayerTeamStats entries to sum), late joiners and quitters, players who never
  fired a shot, negative personal scores, Infection with an empty ``Teams``,
  Firefight (PvE), custom games with bots;
- a fixed roster of about 300 humans, so the same opponents and teammates come
  back and "players seen most often" has an answer;
- documents about as large as the real ones once compacted, so benchmark
  timings mean something.

Order and time: match ``index`` 0 is the **newest** match and higher indices go
back in time, like the history endpoint where start 0 is the most recent match.
A larger ``count`` therefore extends the same history into the past (a
backfill), and the first ``n`` matches of any dataset with the same seed and
owner are identical. Matches come in sessions of five, about 25 minutes apart,
one session every 18 hours or so: one match every ~3.6 hours on average, about
two years for 5,000 matches. StartTimes are strictly decreasing with the index,
hence all distinct.

The KDA the API reports is ``kills + assists / 3 - deaths`` truncated toward
zero to two decimals (the recorded responses have -0.66 for 14 + 4/3 - 16 and
74.33 for 69 + 22/3 - 2), and Accuracy is ``ShotsHit / ShotsFired * 100``
truncated to two decimals; both are reproduced exactly with integer arithmetic.
"""

from __future__ import annotations

import os
import random
import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import orjson

from levelup.demo.medals import medal_metadata_document
from levelup.demo.skill import SkillHistory, skill_documents, summarize

__all__ = [
    "DEMO_OWNER",
    "ROSTER_SIZE",
    "GeneratedPlayer",
    "RecordedDirSummary",
    "generate_match",
    "iter_matches",
    "roster",
    "write_recorded_dir",
]


@dataclass(frozen=True)
class GeneratedPlayer:
    """A human of the generated world, as the profile service would describe them.

    Attributes:
        xuid: digits only (16 of them for generated players), never "xuid(...)".
        gamertag: the display name the profile service returns for the xuid.
    """

    xuid: str
    gamertag: str


DEMO_OWNER = GeneratedPlayer(xuid="2535400000000001", gamertag="DemoSpartan")

ROSTER_SIZE = 300
"""Humans in the generated world, the owner included."""


@dataclass(frozen=True)
class RecordedDirSummary:
    """What `write_recorded_dir` wrote, for the caller's report.

    Attributes:
        path: the recorded-responses directory.
        count: match documents written.
        owner: the player present in every match.
        mean_document_bytes: mean size of the match documents as compact JSON.
        mean_file_bytes: mean size of the match files as written.
        total_bytes: bytes of match documents written.
        asset_count: discovery asset documents written (0 without assets).
        roster_size: players listed in players.json and profiles.json.
        skill_count: skill documents written (one per matchmade match; 0 without skill).
    """

    path: Path
    count: int
    owner: GeneratedPlayer
    mean_document_bytes: float
    mean_file_bytes: float = 0.0
    total_bytes: int = 0
    asset_count: int = 0
    roster_size: int = 0
    skill_count: int = 0


# --------------------------------------------------------------------- constants

# spnkr's enums, by value, as the API writes them.
_WIN, _LOSS, _TIE, _DNF = 2, 3, 1, 4
_HUMAN, _BOT = 1, 2
_CUSTOM, _MATCHMADE = 1, 3
_PVP, _PVE = 1, 2
_MAP, _PLAYLIST, _UGC_VARIANT, _MAP_MODE_PAIR = 2, 3, 6, 7

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

_NAMESPACE = uuid.UUID("5b0e7a52-3c1d-4f7e-9a0b-6d2c8e4f1a93")


def _uid(name: str) -> str:
    """A stable UUID string for a named catalog item (same on every machine)."""
    return str(uuid.uuid5(_NAMESPACE, name))


# Medal NameIds (real ones, see the game's medal metadata) grouped by how they are earned.
_DOUBLE, _TRIPLE, _OVERKILL, _KILLTACULAR = 622331684, 2063152177, 835814121, 2137071619
_MULTIKILLS_HIGH = (1430343434, 3835606176, 2242633421, 3352648716)  # Killtrocity..Killpocalypse
_SPREES = (  # (kills without dying, medal)
    (5, 2780740615),
    (10, 4261842076),
    (15, 418532952),
    (20, 1486797009),
    (25, 710323196),
    (30, 1720896992),
    (35, 2567026752),
    (40, 2875941471),
)
_KILLJOY, _WINGMAN, _SPOTTER, _PERFECTION, _STEAKTACULAR = (
    3233952928,
    1284032216,
    2477555653,
    865763896,
    1169390319,
)
_PROFICIENCY = (
    2852571933,  # Rifleman
    2758320809,  # Marksman
    4277328263,  # Sharpshooter
    1172766553,  # Gunslinger
    3347922939,  # Scattergunner
    2750622016,  # Breacher
    269174970,  # Boxer
    1210678802,  # Warrior
    2648272972,  # Grenadier
    1146876011,  # Bomber
    555849395,  # Bodyguard
)
_SKILL_STYLE = (  # weighted by repetition: the common ones first and twice
    1512363953,  # Perfect
    1512363953,
    2123530881,  # Reversal
    2123530881,
    548533137,  # Back Smack
    4229934157,  # Snipe
    3334154676,  # Guardian Angel
    1169571763,  # Shot Caller
    1169571763,
    3091261182,  # Last Shot
    3905838030,  # Cluster Luck
    3655682764,  # Stick
    2602963073,  # No Scope
    2625820422,  # From the Grave
    1283796619,  # Off the Rack
    1176569867,  # Yard Sale
    265478668,  # Nade Shot
    1477806194,  # Counter-snipe
    2861418269,  # Quick Draw
    3546244406,  # Kong
    1880789493,  # Mind the Gap
    87172902,  # Odin's Raven
    1841872491,  # Tag & Bag
    2418616582,  # Harpoon
    1734214473,  # Whiplash
    3085856613,  # Ninja
    3934547153,  # Hail Mary
    2414983178,  # Bank Shot
    1427176344,  # 360
    1211820913,  # Fastball
    3114137341,  # Bulltrue
    3160646854,  # Remote Detonation
)
_VEHICLE_MEDALS = (
    221693153,  # Splatter
    2926348688,  # Wheelman
    731054446,  # Skyjack
    3027762381,  # Driver
    2593226288,  # Pilot
    3783455472,  # Gunner
    20397755,  # Saboteur
    1229018603,  # Dogfight
    677323068,  # Death Race
    1065136443,  # Mount Up
)
_MODE_MEDALS: dict[str, tuple[int, ...]] = {
    "ctf": (3488248720, 976049027, 3227840152),  # Stopped Short, Flag Joust, Goal Line Stand
    "oddball": (3732790338, 781229683),  # Fumble, Straight Balling
    "strongholds": (1472686630, 3630529364),  # Always Rotating, Clock Stop
    "koth": (580478179, 3630529364),  # Hill Guardian, Clock Stop
    "total_control": (1472686630, 3630529364),
    "slayer": (),
    "infection_infected": (88914608, 1155542859, 3786134933, 1719203329, 3520382976, 3653884673),
    "infection_survivor": (1025827095, 3467301935, 557309779, 2717755703, 1064731598, 1646928910),
    "firefight": (580478179, 3546244406, 3655682764, 3905838030),
}

# Personal score awards: (NameId, points each) as the API reports them.
_PS_KILL = (1024030246, 100)
_PS_ASSIST = (638246808, 50)
_PS_MARK = (152718958, 10)
_PS_SENSOR = (1267013266, 10)
_PS_SELF_DESTRUCTION = (249491819, -100)
_PS_BETRAYAL = (911992497, -100)
_PS_EMP = (221060588, 50)
_PS_DRIVER = (963594075, 50)
_PS_VEHICLE_DESTROYED = (4254982885, 50)  # Destroyed Ghost
_PS_HIJACK = (1614285349, 25)  # Hijacked Ghost
_PS_FLAG_CAPTURED = (601966503, 300)
_PS_FLAG_CAPTURE_ASSIST = (555570945, 100)
_PS_FLAG_RETURNED = (22113181, 25)
_PS_FLAG_STOLEN = (3002710045, 25)
_PS_FLAG_TAKEN = (2387185397, 10)
_PS_RUNNER_STOPPED = (316828380, 25)
_PS_BALL_TAKEN = (204144695, 10)
_PS_CARRIER_STOPPED = (746397417, 25)
_PS_BALL_CONTROL = (454168309, 50)
_PS_ZONE_CAPTURED = (3507884073, 50)
_PS_ZONE_SECURED = (709346128, 25)
_PS_HILL_CONTROL = (340198991, 25)
_PS_HILL_SCORED = (1032565232, 100)
_CUSTOM_SCORE_ID = 4294967295  # "Custom": points scripted by the mode, variable per award

# Mode stats keys whose values are durations (kept in seconds until rendered).
_DURATION_KEYS = frozenset(
    {
        "TimeAsFlagCarrier",
        "TimeAsSkullCarrier",
        "LongestTimeAsSkullCarrier",
        "StrongholdOccupationTime",
        "TimeAsLastSpartanStanding",
    }
)
_MAX_KEYS = frozenset({"LongestTimeAsSkullCarrier"})

_BOT_SKILL = {1: 0.6, 2: 0.8, 3: 1.0, 4: 0.45, 5: 0.9}  # BotDifficulty -> strength


# ----------------------------------------------------------------------- catalog


@dataclass(frozen=True)
class _Asset:
    """A discovery asset a match refers to (map, playlist, variant, map-mode pair)."""

    kind: int
    asset_id: str
    version_id: str
    name: str
    description: str = ""
    tags: tuple[str, ...] = ()
    links: tuple[_Asset, ...] = ()

    def ref(self) -> dict[str, Any]:
        """The {AssetKind, AssetId, VersionId} object MatchInfo carries."""
        return {"AssetKind": self.kind, "AssetId": self.asset_id, "VersionId": self.version_id}


def _asset(kind: int, name: str, description: str = "", tags: tuple[str, ...] = ()) -> _Asset:
    key = f"{kind}:{name}"
    return _Asset(kind, _uid(key), _uid(key + ":v1"), name, description, tags)


_MAP_DESCRIPTIONS = {
    "Aquarius": "Fine dining aboard a UNSC research vessel.",
    "Live Fire": "A Spartan training facility where live rounds are standard.",
    "Recharge": "An electrical plant that keeps the lights on and the fights close.",
    "Streets": "Tight alleys and open plazas in the heart of New Mombasa.",
    "Solitude": "A remote research base in the frozen north.",
    "Forbidden": "A Forerunner site that was never meant to be found.",
    "Empyrean": "A high-altitude facility above the clouds.",
    "Argyle": "A tactical simulation that favours the well-coordinated.",
    "Catalyst": "Spent shells rain like water in this ancient sanctuary.",
    "Bazaar": "A marketplace where everything has a price.",
    "Origin": "Where Forerunner history begins.",
    "Fragmentation": "A shattered Forerunner structure in the Zeta Halo wilds.",
    "Highpower": "A Banished power station open to vehicles and sky.",
    "Deadlock": "Wind farms and a canyon to fight over.",
    "Breaker": "A Banished scrapyard built for vehicular chaos.",
    "Behemoth": "A rugged valley beneath a Forerunner monument.",
    "Launch Site": "A UNSC launch facility with nowhere to hide.",
    "Sanctuary": "A quiet Forerunner garden, until the infected arrive.",
}
_MAPS = {name: _asset(_MAP, name, desc, ("343i",)) for name, desc in _MAP_DESCRIPTIONS.items()}

# Game modes: internal key -> GameVariantCategory (spnkr's enum values).
_CATEGORY: dict[str, int] = {
    "slayer": 6,
    "strongholds": 11,
    "koth": 13,
    "total_control": 14,
    "ctf": 15,
    "oddball": 18,
    "infection": 22,
    "firefight": 42,
}
_MODE_LABEL = {
    "slayer": "Slayer",
    "strongholds": "Strongholds",
    "koth": "King of the Hill",
    "total_control": "Total Control",
    "ctf": "Capture the Flag",
    "oddball": "Oddball",
    "infection": "Infection",
    "firefight": "Firefight King of the Hill",
}
_MODE_DESCRIPTIONS = {
    "slayer": "Slay the enemy team.",
    "strongholds": "Capture and hold zones to score points.",
    "koth": "Control the hill to earn points for your team.",
    "total_control": "Capture every zone at once to win the round.",
    "ctf": "Capture the enemy flag while defending your own.",
    "oddball": "Hold the skull for as long as you can.",
    "infection": "Survive the infected, or join them.",
    "firefight": "Hold the hills against waves of Banished.",
}

_ARENA_MAPS = ("Aquarius", "Live Fire", "Recharge", "Streets", "Solitude", "Catalyst", "Bazaar")
_CTF_MAPS = ("Aquarius", "Forbidden", "Empyrean", "Argyle", "Catalyst", "Origin")
_ZONE_MAPS = ("Live Fire", "Recharge", "Streets", "Solitude")
_BTB_MAPS = ("Fragmentation", "Highpower", "Deadlock", "Breaker")


@dataclass(frozen=True)
class _ModeChoice:
    """One game mode of a queue: its variant, maps and map-mode pairs."""

    mode: str
    weight: float
    variant: _Asset
    maps: tuple[_Asset, ...]
    pairs: tuple[_Asset | None, ...]  # aligned with maps; None outside matchmaking


@dataclass(frozen=True)
class _Queue:
    """Where a match comes from: a matchmaking playlist, or custom games."""

    key: str
    weight: float
    lifecycle: int
    playlist: _Asset | None
    experience: int | None
    team_size: int
    clearance: str
    modes: tuple[_ModeChoice, ...] = ()


def _queue(
    key: str,
    weight: float,
    lifecycle: int,
    playlist_name: str | None,
    experience: int | None,
    team_size: int,
    variant_prefix: str,
    modes: tuple[tuple[str, float, tuple[str, ...]], ...],
) -> _Queue:
    playlist = (
        _asset(_PLAYLIST, playlist_name, f"{playlist_name}: matchmade games.", ("343i",))
        if playlist_name
        else None
    )
    choices = []
    for mode, weight_, map_names in modes:
        label = _MODE_LABEL[mode]
        name = f"{variant_prefix}:{label}" if variant_prefix else label
        variant = _asset(
            _UGC_VARIANT, name, _MODE_DESCRIPTIONS[mode], ("343i", variant_prefix or "Custom")
        )
        maps = tuple(_MAPS[m] for m in map_names)
        pairs: list[_Asset | None] = []
        for map_asset in maps:
            if playlist is None:
                pairs.append(None)
                continue
            pair = _asset(_MAP_MODE_PAIR, f"{name} on {map_asset.name}")
            pairs.append(
                _Asset(
                    pair.kind,
                    pair.asset_id,
                    pair.version_id,
                    pair.name,
                    "",
                    (),
                    (map_asset, variant),
                )
            )
        choices.append(_ModeChoice(mode, weight_, variant, maps, tuple(pairs)))
    return _Queue(
        key,
        weight,
        lifecycle,
        playlist,
        experience,
        team_size,
        _uid(f"clearance:{key}"),
        tuple(choices),
    )


_ARENA_MODES = (
    ("slayer", 0.36, _ARENA_MAPS),
    ("ctf", 0.2, _CTF_MAPS),
    ("oddball", 0.14, _ZONE_MAPS),
    ("strongholds", 0.16, _ZONE_MAPS),
    ("koth", 0.14, _ZONE_MAPS),
)
_QUEUES: tuple[_Queue, ...] = (
    _queue("ranked", 0.30, _MATCHMADE, "Ranked Arena", 2, 4, "Ranked", _ARENA_MODES),
    _queue("quickplay", 0.31, _MATCHMADE, "Quick Play", 2, 4, "Arena", _ARENA_MODES),
    _queue(
        "btb",
        0.02,
        _MATCHMADE,
        "Big Team Battle",
        3,
        12,
        "Big Team",
        (
            ("slayer", 0.45, _BTB_MAPS),
            ("ctf", 0.35, _BTB_MAPS),
            ("total_control", 0.2, _BTB_MAPS),
        ),
    ),
    _queue(
        "infection",
        0.09,
        _MATCHMADE,
        "Infection",
        5,
        0,
        "",
        (("infection", 1.0, ("Behemoth", "Launch Site", "Sanctuary", "Streets")),),
    ),
    _queue(
        "firefight",
        0.09,
        _MATCHMADE,
        "Firefight: King of the Hill",
        5,
        4,
        "Firefight",
        (("firefight", 1.0, ("Fragmentation", "Behemoth", "Highpower")),),
    ),
    _queue(
        "custom",
        0.19,
        _CUSTOM,
        None,
        None,
        4,
        "",
        (
            ("slayer", 0.45, _ARENA_MAPS),
            ("oddball", 0.2, _ZONE_MAPS),
            ("ctf", 0.15, _CTF_MAPS),
            ("koth", 0.2, _ZONE_MAPS),
        ),
    ),
)
_TEAM_PVP_QUEUES = tuple(q for q in _QUEUES if q.key in ("ranked", "quickplay", "btb", "custom"))
RANKED_PLAYLIST_IDS = frozenset(
    q.playlist.asset_id for q in _QUEUES if q.key == "ranked" and q.playlist
)
"""Playlists whose matches move a CSR (the skill documents' ranked playlists)."""


def _cumulative(weights: list[float]) -> list[float]:
    out, total = [], 0.0
    for w in weights:
        total += w
        out.append(total)
    return out


_QUEUE_CUM = _cumulative([q.weight for q in _QUEUES])
_TEAM_QUEUE_CUM = _cumulative([q.weight for q in _TEAM_PVP_QUEUES])
_MODE_CUM = {q.key: _cumulative([m.weight for m in q.modes]) for q in _QUEUES}


def _pick(rng: random.Random, items: tuple[Any, ...], cum: list[float]) -> Any:
    x = rng.random() * cum[-1]
    for item, c in zip(items, cum, strict=True):
        if x < c:
            return item
    return items[-1]


# ------------------------------------------------------------------------ roster

_GT_FIRST = (
    "Shadow", "Crimson", "Silent", "Iron", "Frost", "Rogue", "Nova", "Atomic", "Lucky", "Feral",
    "Cobalt", "Static", "Hollow", "Rapid", "Lunar", "Solar", "Savage", "Quiet", "Noble", "Grim",
    "Toxic", "Swift", "Dark", "Golden", "Wild", "Spectral", "Rusty", "Electric", "Brave", "Sly",
    "Mighty", "Sneaky", "Cosmic", "Arctic", "Blazing", "Phantom", "Zero", "Steel", "Velvet",
    "Omega",
)  # fmt: skip
_GT_SECOND = (
    "Wolf", "Spartan", "Falcon", "Viper", "Ghost", "Reaper", "Hunter", "Warthog", "Banshee",
    "Grunt", "Elite", "Jackal", "Sniper", "Ranger", "Knight", "Pilot", "Badger", "Otter", "Tiger",
    "Raven", "Comet", "Storm", "Blade", "Hammer", "Arrow", "Mongoose", "Scorpion", "Wraith",
    "Phoenix", "Lynx", "Panda", "Noodle", "Waffle", "Pickle", "Goose", "Moose", "Cobra", "Yeti",
)  # fmt: skip


def _gamertag(rng: random.Random) -> str:
    first, second = rng.choice(_GT_FIRST), rng.choice(_GT_SECOND)
    style = rng.random()
    if style < 0.35:
        tag = f"{first}{second}"
    elif style < 0.6:
        tag = f"{first} {second}{rng.randint(1, 99)}"
    elif style < 0.75:
        tag = f"{second}{rng.randint(100, 9999)}"
    elif style < 0.85:
        tag = f"xX{second}Xx"
    elif style < 0.93:
        tag = f"The {first} {second}"
    else:
        tag = f"{first}{second}{rng.choice(('TV', 'HD', 'YT', 'GG', 'x'))}"
    return tag[:15].rstrip()


@dataclass(frozen=True)
class _World:
    """The roster of one (seed, owner) with what match generation needs per player."""

    players: tuple[GeneratedPlayer, ...]  # owner first, then the squad, then everybody else
    ids: tuple[str, ...]  # "xuid(...)" per player
    skills: tuple[float, ...]
    cum_weights: tuple[float, ...]  # how often each non-owner, non-squad player is met
    squad: int  # players[1 : 1 + squad] often play on the owner's team


_SQUAD_SIZE = 4


@lru_cache(maxsize=16)
def _world(seed: int, owner: GeneratedPlayer) -> _World:
    if not owner.xuid.isdigit():
        raise ValueError(f"owner xuid must be digits only, got {owner.xuid!r}")
    rng = random.Random(f"levelup-roster:{seed}")
    players = [owner]
    seen_xuids, seen_tags = {owner.xuid}, {owner.gamertag.casefold()}
    while len(players) < ROSTER_SIZE:
        if rng.random() < 0.45:
            xuid = f"2533274{rng.randrange(10**9):09d}"
        else:
            xuid = f"2535{rng.randrange(10**12):012d}"
        tag = _gamertag(rng)
        if xuid in seen_xuids or tag.casefold() in seen_tags:
            continue
        seen_xuids.add(xuid)
        seen_tags.add(tag.casefold())
        players.append(GeneratedPlayer(xuid=xuid, gamertag=tag))
    skills = [1.12] + [min(1.8, max(0.45, rng.gauss(1.0, 0.22))) for _ in players[1:]]
    # Zipf-like: a few regulars, a long tail of players met once or twice.
    weights = [0.0] * (1 + _SQUAD_SIZE) + [
        1.0 / (rank + 6) ** 1.15 for rank in range(ROSTER_SIZE - 1 - _SQUAD_SIZE)
    ]
    return _World(
        players=tuple(players),
        ids=tuple(f"xuid({p.xuid})" for p in players),
        skills=tuple(skills),
        cum_weights=tuple(_cumulative(weights)),
        squad=_SQUAD_SIZE,
    )


def roster(seed: int = 7, owner: GeneratedPlayer = DEMO_OWNER) -> list[GeneratedPlayer]:
    """The humans the generator draws players from, owner first.

    Why: the profile service of a recorded directory (profiles.json) and the
    tests need to know every human that can appear in a match, with gamertags,
    since match documents carry xuids only.

    Args:
        seed: the same seed as the matches; the roster depends only on it and the owner.
        owner: the player present in every match.

    Returns:
        `ROSTER_SIZE` players with distinct xuids (16 digits) and gamertags.
    """
    return list(_world(seed, owner).players)


# ------------------------------------------------------------------- formatting


def _timestamp(ms: int) -> str:
    """ISO-8601 UTC with milliseconds, trailing zeros dropped, as the API writes them."""
    secs, milli = divmod(ms, 1000)
    t = time.gmtime(secs)
    base = (
        f"{t.tm_year:04d}-{t.tm_mon:02d}-{t.tm_mday:02d}"
        f"T{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d}"
    )
    if milli:
        return f"{base}.{milli:03d}".rstrip("0") + "Z"
    return base + "Z"


def _duration(seconds: float, digits: int = 1) -> str:
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


def _accuracy(hits: int, fired: int) -> float:
    """ShotsHit / ShotsFired as a percentage truncated to 2 decimals; 0 without shots."""
    if fired <= 0:
        return 0.0
    return (hits * 10000 // fired) / 100


def _mix64(value: int) -> int:
    """SplitMix64 finaliser: a cheap, platform-independent integer hash."""
    value = (value + 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF
    value = ((value ^ (value >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
    value = ((value ^ (value >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
    return value ^ (value >> 31)


def _session_end_ms(index: int, seed: int) -> int:
    session = index // _SESSION_LENGTH
    jitter = _mix64(seed * 0x1000193 + session) % _SESSION_JITTER_MS
    return _ANCHOR_MS - session * _SESSION_GAP_MS - jitter


def _season_id(start_ms: int) -> str:
    t = time.gmtime(start_ms // 1000)
    quarter = (t.tm_year - 2021) * 4 + (t.tm_mon - 1) // 3
    return f"Csr/Seasons/CsrSeason{max(1, quarter // 2 + 1)}-1.json"


# --------------------------------------------------------------- stats building


def _split(total: int, weights: list[float]) -> list[int]:
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


class _Entry:
    """One PlayerTeamStats entry while it is built: a player's time on one team."""

    __slots__ = (
        "assists",
        "core",
        "deaths",
        "frac",
        "kills",
        "mode",
        "score",
        "skill",
        "team",
    )

    def __init__(self, team: int, frac: float, skill: float) -> None:
        self.team = team
        self.frac = frac
        self.skill = skill
        self.kills = 0
        self.deaths = 0
        self.assists = 0
        self.score = 0
        self.core: dict[str, Any] = {}
        self.mode: dict[str, dict[str, Any]] = {}


class _Participant:
    """A player of the match (human or bot) and how they took part."""

    __slots__ = (
        "bot_difficulty",
        "entries",
        "join_offset_s",
        "left",
        "outcome",
        "pid",
        "played_s",
        "ptype",
        "rank",
        "skill",
    )

    def __init__(self, pid: str, ptype: int, skill: float, bot_difficulty: int | None) -> None:
        self.pid = pid
        self.ptype = ptype
        self.skill = skill
        self.bot_difficulty = bot_difficulty
        self.entries: list[_Entry] = []
        self.join_offset_s = 0.0
        self.played_s = 0.0
        self.left = False
        self.outcome = _WIN
        self.rank = 1


def _add_medals(
    rng: random.Random,
    medals: dict[int, int],
    kills: int,
    assists: int,
    spree: int,
    skill_rate: float,
    extra: tuple[int, ...],
    extra_count: int,
) -> None:
    """Award medals the way a match does: multikills, sprees, proficiency, skill."""
    rand = rng.random
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
    if assists >= 10:
        medals[_WINGMAN] = 1
    pool = _SKILL_STYLE
    for _ in range(int(kills * skill_rate * (0.5 + rand()))):
        medal = pool[int(rand() * len(pool))]
        medals[medal] = medals.get(medal, 0) + 1
    for _ in range(extra_count):
        medal = extra[int(rand() * len(extra))]
        medals[medal] = medals.get(medal, 0) + 1


def _fill_core(
    rng: random.Random,
    entry: _Entry,
    played_s: float,
    mode: str,
    pve: bool,
    vehicles: bool,
    rounds: tuple[int, int, int],
    objectives: int,
    extra_medals: tuple[int, ...],
    personal: list[tuple[int, int, int]],
) -> None:
    """Derive every CoreStats number of an entry from its kills, deaths and assists.

    `personal` holds the mode's (NameId, count, total) personal score awards; kill,
    assist and penalty awards are added here and PersonalScore is their sum, as
    in the real responses.
    """
    rand = rng.random
    kills, deaths, assists = entry.kills, entry.deaths, entry.assists
    minutes = played_s / 60.0
    suicides = 1 if (rand() < 0.04 and deaths) else 0
    betrayals = 1 if rand() < 0.012 else 0

    # Shots: a few players never fire (AFK, quitters, melee-only infected).
    if (kills == 0 and (played_s < 90 or rand() < 0.08)) or (mode == "infection" and rand() < 0.15):
        fired = 0
    elif pve:
        fired = int(kills * (7 + 6 * rand()) + minutes * 10 * rand())
    else:
        fired = int(kills * (6 + 6 * rand()) + minutes * (12 + 10 * rand()))
    if fired:
        acc = 0.3 + 0.22 * entry.skill * (0.5 + 0.5 * rand())
        hits = min(fired, int(fired * min(acc, 0.9)))
    else:
        hits = 0

    if pve:
        grenade = melee = power = headshots = 0
    else:
        grenade = int(kills * 0.12 * rand())
        melee = int(kills * 0.12 * rand())
        power = int(kills * 0.2 * rand())
        if fired == 0:  # kills without a shot are melee kills
            melee, grenade, power = kills, 0, 0
        headshots = int((kills - grenade - melee) * (0.3 + 0.45 * rand()))
    if pve:
        spree = 0
    elif kills:
        spree = min(kills, 1 + int(kills / (deaths + 1) * (1.5 + 2.5 * rand())))
    else:
        spree = 0

    callouts = int(assists * 0.35 * rand()) if rand() < 0.5 else 0
    emp = 1 if rand() < 0.04 else 0
    if vehicles:
        vehicle_destroys = int(3 * rand() * rand() * (1 + minutes / 10))
        driver_assists = int(4 * rand() * rand())
        hijacks = 1 if rand() < 0.15 else 0
    else:
        vehicle_destroys = driver_assists = hijacks = 0

    if pve:
        damage_dealt = int(kills * (140 + 40 * rand()))
        damage_taken = int(deaths * 180 + 200 * rand() * rand())
    else:
        damage_dealt = int(hits * (28 + 12 * rand()) + melee * (90 + 60 * rand()))
        damage_taken = int(deaths * (280 + 100 * rand()) + 300 * rand())
    spawns = deaths + 1 if played_s > 0 else 0
    avg_life = played_s / spawns if spawns else 0.0

    medals: dict[int, int] = {}
    skill_rate = 0.04 if pve else 0.13
    _add_medals(
        rng,
        medals,
        kills,
        assists,
        kills // (deaths + 1) if pve else spree,
        skill_rate,
        extra_medals,
        int(len(extra_medals) and (1 + kills / 8) * rand()),
    )
    if vehicles and rand() < 0.5:
        medal = _VEHICLE_MEDALS[int(rand() * len(_VEHICLE_MEDALS))]
        medals[medal] = 1
    if callouts >= 5:
        medals[_SPOTTER] = 1

    awards: list[tuple[int, int, int]] = []
    if mode in ("infection", "firefight"):
        awards.extend(personal)
    if kills and not pve:
        awards.append((_PS_KILL[0], kills, kills * _PS_KILL[1]))
    if assists and not pve:
        awards.append((_PS_ASSIST[0], assists, assists * _PS_ASSIST[1]))
    if mode not in ("infection", "firefight"):
        awards.extend(personal)
    if callouts:
        ps = _PS_SENSOR if mode == "infection" else _PS_MARK
        awards.append((ps[0], callouts, callouts * ps[1]))
    if emp:
        awards.append((_PS_EMP[0], 1, _PS_EMP[1]))
    if vehicle_destroys:
        awards.append((_PS_VEHICLE_DESTROYED[0], vehicle_destroys, 50 * vehicle_destroys))
    if driver_assists:
        awards.append((_PS_DRIVER[0], driver_assists, 50 * driver_assists))
    if hijacks:
        awards.append((_PS_HIJACK[0], hijacks, 25 * hijacks))
    if suicides:
        awards.append((_PS_SELF_DESTRUCTION[0], suicides, -100 * suicides))
    if betrayals:
        awards.append((_PS_BETRAYAL[0], betrayals, -100 * betrayals))

    entry.core = {
        "Score": entry.score,
        "PersonalScore": sum(a[2] for a in awards),
        "RoundsWon": rounds[0],
        "RoundsLost": rounds[1],
        "RoundsTied": rounds[2],
        "Kills": kills,
        "Deaths": deaths,
        "Assists": assists,
        "KDA": 0.0,
        "Suicides": suicides,
        "Betrayals": betrayals,
        "AverageLifeDuration": avg_life,
        "GrenadeKills": grenade,
        "HeadshotKills": headshots,
        "MeleeKills": melee,
        "PowerWeaponKills": power,
        "ShotsFired": fired,
        "ShotsHit": hits,
        "Accuracy": 0.0,
        "DamageDealt": damage_dealt,
        "DamageTaken": damage_taken,
        "CalloutAssists": callouts,
        "VehicleDestroys": vehicle_destroys,
        "DriverAssists": driver_assists,
        "Hijacks": hijacks,
        "EmpAssists": emp,
        "MaxKillingSpree": spree,
        "Medals": medals,
        "PersonalScores": awards,
        "DeprecatedDamageDealt": 0.0,
        "DeprecatedDamageTaken": 0.0,
        "Spawns": spawns,
        "ObjectivesCompleted": objectives,
        "_played": played_s,
    }


_SUM_KEYS = (
    "Score",
    "PersonalScore",
    "Kills",
    "Deaths",
    "Assists",
    "Suicides",
    "Betrayals",
    "GrenadeKills",
    "HeadshotKills",
    "MeleeKills",
    "PowerWeaponKills",
    "ShotsFired",
    "ShotsHit",
    "DamageDealt",
    "DamageTaken",
    "CalloutAssists",
    "VehicleDestroys",
    "DriverAssists",
    "Hijacks",
    "EmpAssists",
    "Spawns",
    "_played",
)


def _aggregate_core(cores: list[dict[str, Any]], rounds: tuple[int, int, int]) -> dict[str, Any]:
    """A team's CoreStats from its members' entries (raw form, rendered later)."""
    out: dict[str, Any] = {key: 0 for key in _SUM_KEYS}
    medals: dict[int, int] = {}
    awards: dict[int, list[int]] = {}
    spree = objectives = 0
    for core in cores:
        for key in _SUM_KEYS:
            out[key] += core[key]
        for medal, count in core["Medals"].items():
            medals[medal] = medals.get(medal, 0) + count
        for name_id, count, total in core["PersonalScores"]:
            slot = awards.get(name_id)
            if slot is None:
                awards[name_id] = [count, total]
            else:
                slot[0] += count
                slot[1] += total
        spree = max(spree, core["MaxKillingSpree"])
        objectives = max(objectives, core["ObjectivesCompleted"])
    ordered = sorted(awards.items(), key=lambda item: -item[1][0])
    out["Medals"] = medals
    out["PersonalScores"] = [(name_id, c, t) for name_id, (c, t) in ordered]
    out["MaxKillingSpree"] = spree
    out["ObjectivesCompleted"] = objectives
    out["RoundsWon"], out["RoundsLost"], out["RoundsTied"] = rounds
    out["AverageLifeDuration"] = out["_played"] / out["Spawns"] if out["Spawns"] else 0.0
    return out


def _render_core(raw: dict[str, Any]) -> dict[str, Any]:
    """The CoreStats object in the API's key order and types."""
    kills, deaths, assists = raw["Kills"], raw["Deaths"], raw["Assists"]
    return {
        "Score": raw["Score"],
        "PersonalScore": raw["PersonalScore"],
        "RoundsWon": raw["RoundsWon"],
        "RoundsLost": raw["RoundsLost"],
        "RoundsTied": raw["RoundsTied"],
        "Kills": kills,
        "Deaths": deaths,
        "Assists": assists,
        "KDA": _kda(kills, deaths, assists),
        "Suicides": raw["Suicides"],
        "Betrayals": raw["Betrayals"],
        "AverageLifeDuration": _duration(raw["AverageLifeDuration"]),
        "GrenadeKills": raw["GrenadeKills"],
        "HeadshotKills": raw["HeadshotKills"],
        "MeleeKills": raw["MeleeKills"],
        "PowerWeaponKills": raw["PowerWeaponKills"],
        "ShotsFired": raw["ShotsFired"],
        "ShotsHit": raw["ShotsHit"],
        "Accuracy": _accuracy(raw["ShotsHit"], raw["ShotsFired"]),
        "DamageDealt": raw["DamageDealt"],
        "DamageTaken": raw["DamageTaken"],
        "CalloutAssists": raw["CalloutAssists"],
        "VehicleDestroys": raw["VehicleDestroys"],
        "DriverAssists": raw["DriverAssists"],
        "Hijacks": raw["Hijacks"],
        "EmpAssists": raw["EmpAssists"],
        "MaxKillingSpree": raw["MaxKillingSpree"],
        "Medals": [
            {"NameId": medal, "Count": count, "TotalPersonalScoreAwarded": 0}
            for medal, count in raw["Medals"].items()
        ],
        "PersonalScores": [
            {"NameId": name_id, "Count": count, "TotalPersonalScoreAwarded": total}
            for name_id, count, total in raw["PersonalScores"]
        ],
        "DeprecatedDamageDealt": float(raw["DamageDealt"]),
        "DeprecatedDamageTaken": float(raw["DamageTaken"]),
        "Spawns": raw["Spawns"],
        "ObjectivesCompleted": raw["ObjectivesCompleted"],
    }


def _aggregate_mode(stats: list[dict[str, Any]]) -> dict[str, Any]:
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


def _render_mode(name: str, raw: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for key, value in raw.items():
        out[key] = _duration(value) if key in _DURATION_KEYS else value
    if name in ("PvpStats", "PveStats"):
        out["KDA"] = _kda(raw["Kills"], raw["Deaths"], raw["Assists"])
    return out


def _render_stats(core_raw: dict[str, Any], modes: dict[str, dict[str, Any]]) -> dict[str, Any]:
    stats: dict[str, Any] = {"CoreStats": _render_core(core_raw)}
    for name, raw in modes.items():
        stats[name] = _render_mode(name, raw)
    return stats


# ------------------------------------------------------------- mode statistics


def _mode_stats(
    rng: random.Random, mode: str, entry: _Entry, played_s: float
) -> tuple[dict[str, dict[str, Any]], list[tuple[int, int, int]]]:
    """Mode stats objects of an entry and the personal score awards they earn."""
    rand = rng.random
    score, kills, minutes = entry.score, entry.kills, played_s / 60
    awards: list[tuple[int, int, int]] = []
    stats: dict[str, dict[str, Any]] = {}
    if mode == "ctf":
        steals = score + int(3 * rand() * entry.frac)
        grabs = steals + int(4 * rand() * rand())
        returns = int(4 * rand() * entry.frac)
        carriers_killed = int(3 * rand() * rand())
        capture_assists = int(2 * rand() * rand())
        stats["CaptureTheFlagStats"] = {
            "FlagCaptureAssists": capture_assists,
            "FlagCaptures": score,
            "FlagCarriersKilled": carriers_killed,
            "FlagGrabs": grabs,
            "FlagReturnersKilled": int(2 * rand() * rand()),
            "FlagReturns": returns,
            "FlagSecures": int(4 * rand() * entry.frac),
            "FlagSteals": steals,
            "KillsAsFlagCarrier": int(2 * rand() * rand()) if grabs else 0,
            "KillsAsFlagReturner": 0,
            "TimeAsFlagCarrier": grabs * (2 + 12 * rand()),
        }
        for ps, count in (
            (_PS_FLAG_CAPTURED, score),
            (_PS_FLAG_CAPTURE_ASSIST, capture_assists),
            (_PS_FLAG_STOLEN, steals),
            (_PS_FLAG_RETURNED, returns),
            (_PS_FLAG_TAKEN, grabs - steals),
            (_PS_RUNNER_STOPPED, carriers_killed),
        ):
            if count:
                awards.append((ps[0], count, count * ps[1]))
    elif mode == "oddball":
        held = score + 8 * rand() * entry.frac if score else 6 * rand() * rand()
        grabs = (1 + int(3 * rand())) if held > 0.5 else 0
        carriers_killed = int(4 * rand() * entry.frac)
        stats["OddballStats"] = {
            "KillsAsSkullCarrier": int(2 * rand() * rand()) if grabs else 0,
            "LongestTimeAsSkullCarrier": held * (0.4 + 0.6 * rand()) if grabs else 0.0,
            "SkullCarriersKilled": carriers_killed,
            "SkullGrabs": grabs,
            "TimeAsSkullCarrier": held if grabs else 0.0,
            "SkullScoringTicks": score,
        }
        for ps, count in (
            (_PS_BALL_TAKEN, grabs),
            (_PS_CARRIER_STOPPED, carriers_killed),
            (_PS_BALL_CONTROL, score // 25),
        ):
            if count:
                awards.append((ps[0], count, count * ps[1]))
    elif mode in ("strongholds", "koth", "total_control"):
        captures = int((1 + 5 * rand()) * entry.frac)
        secures = int(4 * rand() * entry.frac)
        defensive = int(kills * 0.4 * rand())
        occupation = minutes * (3 + 10 * rand())
        ticks = score if mode == "strongholds" else int(occupation / 2)
        stats["ZonesStats"] = {
            "StrongholdCaptures": captures,
            "StrongholdDefensiveKills": defensive,
            "StrongholdOffensiveKills": int((kills - defensive) * 0.5 * rand()),
            "StrongholdSecures": secures,
            "StrongholdOccupationTime": occupation,
            "StrongholdScoringTicks": ticks,
        }
        if mode == "koth":
            control = int(occupation / 10)
            if control:
                awards.append((_PS_HILL_CONTROL[0], control, control * _PS_HILL_CONTROL[1]))
            if score:
                awards.append((_PS_HILL_SCORED[0], score, score * _PS_HILL_SCORED[1]))
        else:
            if captures:
                awards.append((_PS_ZONE_CAPTURED[0], captures, captures * _PS_ZONE_CAPTURED[1]))
            if secures:
                awards.append((_PS_ZONE_SECURED[0], secures, secures * _PS_ZONE_SECURED[1]))
    return stats, awards


# ----------------------------------------------------------------- the matches


def _pick_humans(rng: random.Random, world: _World, count: int, taken: set[int]) -> list[int]:
    """Roster positions of `count` more humans, regulars more often than others."""
    cum = world.cum_weights
    total = cum[-1]
    out: list[int] = []
    lo = 1 + world.squad
    while len(out) < count:
        x = rng.random() * total
        # bisect over the cumulative weights
        a, b = lo, len(cum) - 1
        while a < b:
            mid = (a + b) // 2
            if cum[mid] > x:
                b = mid
            else:
                a = mid + 1
        if a not in taken:
            taken.add(a)
            out.append(a)
    return out


class _Context:
    """What every part of one match's generation shares."""

    __slots__ = ("mode", "playable_s", "queue", "rng", "world")

    def __init__(self, rng: random.Random, world: _World, queue: _Queue, mode: str) -> None:
        self.rng = rng
        self.world = world
        self.queue = queue
        self.mode = mode
        self.playable_s = 0.0


def _human(world: _World, pos: int) -> _Participant:
    return _Participant(world.ids[pos], _HUMAN, world.skills[pos], None)


def _team_match(
    ctx: _Context, owner_switch: bool, forced_switch: bool
) -> tuple[list[_Participant], list[tuple[int, int, int, tuple[int, int, int]]]]:
    """Two-team PvP (matchmade or custom): participants and per-team results.

    Returns the participants and, per team, (TeamId, Outcome, Rank, rounds).
    """
    rng, world, queue, mode = ctx.rng, ctx.world, ctx.queue, ctx.mode
    rand = rng.random
    custom = queue.lifecycle == _CUSTOM
    if custom:
        size = (1, 2, 4, 4)[int(rand() * 4)]
        with_bots = rand() < 0.7
        humans = 1 + int(rand() * min(2 * size - 1, 4)) if with_bots else 2 * size
    else:
        size, humans = queue.team_size, 2 * queue.team_size
    if forced_switch and size < 2:
        size, humans = 4, max(humans, 2)
        humans = min(humans, 8)

    # Humans: the owner, some of the squad, then strangers (regulars more often).
    taken = {0}
    positions = [0]
    for pos in range(1, 1 + world.squad):
        if len(positions) < min(humans, size + 1) and rand() < 0.45:
            positions.append(pos)
            taken.add(pos)
    positions += _pick_humans(rng, world, humans - len(positions), taken)
    people = [_human(world, pos) for pos in positions]
    bot_count = 2 * size - humans
    base = 8 + int(rand() * 4)
    for i in range(bot_count):
        difficulty = 1 + int(rand() * 5)
        people.append(_Participant(f"bid({base + i}.0)", _BOT, _BOT_SKILL[difficulty], difficulty))

    # Teams: the owner's squad mates (listed right after the owner) join the owner.
    owner_team = int(rand() * 2)
    team_of: list[int] = []
    counts = [0, 0]
    for idx, _person in enumerate(people):
        if idx == 0 or (
            idx < len(positions) and positions[idx] <= world.squad and counts[owner_team] < size
        ):
            team = owner_team
        else:
            team = 0 if counts[0] < size and (counts[1] >= size or rand() < 0.5) else 1
        counts[team] += 1
        team_of.append(team)

    duration = ctx.playable_s
    for person, team in zip(people, team_of, strict=True):
        person.played_s = duration
        person.entries = [_Entry(team, 1.0, person.skill)]

    # Switch, quit, late join: the awkward cases.
    r = rand()
    if forced_switch:
        if owner_switch:
            switcher = people[0]
        else:
            candidates = [p for p in people[1:] if p.ptype == _HUMAN] or people[1:]
            switcher = candidates[int(rand() * len(candidates))]
        first_team = switcher.entries[0].team
        other = 1 - first_team
        at = 0.25 + 0.5 * rand()
        leavers = [
            p
            for p in people
            if p is not switcher and p is not people[0] and p.entries[0].team == other
        ]
        if leavers:
            leaver = leavers[int(rand() * len(leavers))]
            leaver.left = True
            leaver.played_s = duration * at * (0.85 + 0.15 * rand())
            leaver.entries[0].frac = leaver.played_s / duration
        switcher.entries = [
            _Entry(first_team, at, switcher.skill),
            _Entry(other, 1.0 - at, switcher.skill),
        ]
    elif r < 0.07 and len(others := [p for p in people[1:] if p.ptype == _HUMAN]) > 1:
        quitter = others[int(rand() * len(others))]
        quitter.left = True
        quitter.played_s = duration * (0.1 + 0.75 * rand())
        quitter.entries[0].frac = quitter.played_s / duration
        if not custom and rand() < 0.6:
            pos = _pick_humans(rng, world, 1, {0, *positions})[0]
            joiner = _human(world, pos)
            joiner.join_offset_s = quitter.played_s + 5 + 40 * rand()
            joiner.played_s = max(1.0, duration - joiner.join_offset_s)
            joiner.entries = [
                _Entry(quitter.entries[0].team, joiner.played_s / duration, joiner.skill)
            ]
            people.append(joiner)
    elif r < 0.1 and not custom:
        late = people[1 + int(rand() * (len(people) - 1))]
        if late.ptype == _HUMAN:
            late.join_offset_s = 20 + 120 * rand()
            late.played_s = duration - late.join_offset_s
            late.entries[0].frac = late.played_s / duration
    elif r < 0.103 and not forced_switch:
        owner = people[0]  # the owner rage-quits now and then
        owner.left = True
        owner.played_s = duration * (0.3 + 0.5 * rand())
        owner.entries[0].frac = owner.played_s / duration

    entries_by_team: list[list[_Entry]] = [[], []]
    for person in people:
        for entry in person.entries:
            entries_by_team[entry.team].append(entry)

    # Who wins: team strength plus luck.
    strength = [sum(e.skill * e.frac for e in es) / max(1, size) for es in entries_by_team]
    edge = strength[0] - strength[1] + rng.gauss(0, 0.18)
    tie = mode == "slayer" and rand() < 0.03
    winner = 0 if edge > 0 else 1
    loser = 1 - winner
    minutes = duration / 60

    # Team scores (mode's own units), team kills, rounds.
    scores = [0, 0]
    rounds: list[tuple[int, int, int]] = [(0, 0, 0), (0, 0, 0)]
    if mode == "slayer":
        limit = 100 if size >= 8 else (50 if size >= 3 else 25)
        if tie:
            scores[winner] = scores[loser] = int(limit * (0.55 + 0.3 * rand()))
        else:
            scores[winner] = limit
            scores[loser] = int(limit * (0.5 + 0.48 * rand()))
        kills = list(scores)
    else:
        rate = 1.25 * size * minutes
        kills = [int(rate * (0.85 + 0.3 * rand())) for _ in range(2)]
        if mode == "ctf":
            scores[winner] = 3
            scores[loser] = int(3 * rand())
        elif mode == "oddball":
            loser_rounds = int(2 * rand())
            if loser_rounds:
                scores[winner] = 200 + 10 + int(89 * rand())
                scores[loser] = 100 + int((scores[winner] - 110) * rand())
            else:
                scores[winner] = 200
                scores[loser] = int(190 * rand())
            rounds[winner] = (2, loser_rounds, 0)
            rounds[loser] = (loser_rounds, 2, 0)
        elif mode == "strongholds":
            scores[winner] = 250
            scores[loser] = 60 + int(180 * rand())
        elif mode == "koth":
            scores[winner] = 4
            scores[loser] = int(4 * rand())
        elif mode == "total_control":
            scores[winner] = 2
            scores[loser] = int(2 * rand())
            rounds[winner] = (2, scores[loser], 0)
            rounds[loser] = (scores[loser], 2, 0)
    if mode not in ("oddball", "total_control"):
        if tie:
            rounds = [(0, 0, 1), (0, 0, 1)]
        else:
            rounds[winner] = (1, 0, 0)
            rounds[loser] = (0, 1, 0)

    # Spread team totals over the entries: better and longer-present players get more.
    for team in (0, 1):
        es = entries_by_team[team]
        opp = 1 - team
        weights = [e.frac * e.skill * (0.6 + 0.8 * rand()) for e in es]
        team_kills = _split(kills[team], weights)
        deaths = _split(
            kills[opp], [e.frac * (1.6 - 0.5 * e.skill) * (0.6 + 0.8 * rand()) for e in es]
        )
        assists = _split(int(kills[team] * (0.35 + 0.25 * rand())), weights)
        # Slayer's score is the kills; objective points go mostly to the best players.
        points = team_kills if mode == "slayer" else _split(scores[team], [w * w for w in weights])
        for e, k, d, a, s in zip(es, team_kills, deaths, assists, points, strict=True):
            e.kills, e.deaths, e.assists, e.score = k, d, a, s

    outcomes = [_TIE, _TIE] if tie else [0, 0]
    ranks = [1, 1]
    if not tie:
        outcomes[winner], outcomes[loser] = _WIN, _LOSS
        ranks[winner], ranks[loser] = 1, 2

    vehicles = size >= 8
    extra = _MODE_MEDALS.get(mode, ())
    dominated = kills[winner] > 1.6 * kills[loser] + 4
    for person in people:
        for e in person.entries:
            played = person.played_s * (e.frac if len(person.entries) > 1 else 1.0)
            modes, personal = _mode_stats(rng, mode, e, played)
            _fill_core(rng, e, played, mode, False, vehicles, rounds[e.team], 0, extra, personal)
            pvp = {"Kills": e.kills, "Deaths": e.deaths, "Assists": e.assists, "KDA": 0.0}
            modes["PvpStats"] = pvp
            e.mode = modes
            if not tie and e.team == winner:
                medals = e.core["Medals"]
                if e.kills >= 15 and e.deaths == 0:
                    medals[_PERFECTION] = 1
                if dominated:
                    medals[_STEAKTACULAR] = 1
        last = person.entries[-1].team
        person.outcome = _DNF if person.left else outcomes[last]

    # Rank: by team result, then by Score; quitters last; ties share a rank.
    def rank_key(p: _Participant) -> tuple[int, int]:
        group = 9 if p.left else ranks[p.entries[-1].team]
        return group, -sum(e.score for e in p.entries)

    _assign_ranks(people, rank_key)
    teams = [(t, outcomes[t], ranks[t], rounds[t]) for t in (0, 1)]
    return people, teams


def _assign_ranks(people: list[_Participant], key: Any) -> None:
    """Competition ranking ("1, 2, 2, 4") over `key`, smaller is better."""
    keyed = sorted(((key(p), i) for i, p in enumerate(people)), key=lambda kv: kv[0])
    prev = None
    rank = 0
    for position, (k, i) in enumerate(keyed, start=1):
        if k != prev:
            rank, prev = position, k
        people[i].rank = rank


def _infection_match(ctx: _Context) -> list[_Participant]:
    """Infection: no teams, every player on a TeamId of their own, many rounds."""
    rng, world = ctx.rng, ctx.world
    rand = rng.random
    count = 10 + int(rand() * 7)
    taken = {0}
    positions = [0, *_pick_humans(rng, world, count - 1, taken)]
    people = [_human(world, pos) for pos in positions]
    duration = ctx.playable_s
    total_rounds = 4 + int(rand() * 3)
    for team, person in enumerate(people):
        person.played_s = duration
        person.entries = [_Entry(team, 1.0, person.skill)]
    # A quitter whose TeamId a late joiner inherits, as in the real responses.
    if rand() < 0.35:
        quitter = people[1 + int(rand() * (len(people) - 1))]
        quitter.left = True
        quitter.played_s = duration * (0.3 + 0.55 * rand())
        pos = _pick_humans(rng, world, 1, taken)[0]
        joiner = _human(world, pos)
        joiner.join_offset_s = min(quitter.played_s + 20 + 30 * rand(), duration - 30)
        joiner.played_s = duration - joiner.join_offset_s
        joiner.entries = [_Entry(quitter.entries[0].team, 1.0, joiner.skill)]
        people.append(joiner)

    victim = people[1 + int(rand() * (len(people) - 1))] if rand() < 0.3 else None
    for person in people:
        e = person.entries[0]
        share = person.played_s / duration
        rounds_here = max(1, round(total_rounds * share))
        if person is victim:  # a bad game: no kills, fell off the map
            e.kills, e.assists, e.deaths = 0, 0, 1 + int(rand() * 3)
        else:
            e.kills = int((2 + 8 * rand()) * person.skill * share)
            e.assists = int(3 * rand() * rand())
            e.deaths = max(1, int((3 + 6 * rand()) * share))
        won = int(rounds_here * 0.5 * rand() * person.skill)
        e.score = int((150 + 200 * rand()) * share * (0.8 + 0.2 * person.skill))
        custom_count = 2 + int(12 * rand() * share)
        custom_total = int(custom_count * (7 + 12 * rand())) if person is not victim else 0
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
        played = person.played_s
        extra = (
            _MODE_MEDALS["infection_infected"]
            if rand() < 0.5
            else _MODE_MEDALS["infection_survivor"]
        )
        _fill_core(
            rng,
            e,
            played,
            "infection",
            False,
            False,
            (won, rounds_here - won, 0),
            0,
            extra,
            personal,
        )
        if person is victim:
            e.core["Suicides"] = e.core["Deaths"]
            e.core["PersonalScores"] = [
                (_PS_SENSOR[0], 1, 10),
                (_PS_SELF_DESTRUCTION[0], e.core["Deaths"], -100 * e.core["Deaths"]),
            ]
            e.core["PersonalScore"] = 10 - 100 * e.core["Deaths"]
        e.mode = {
            "InfectionStats": infection,
            "PvpStats": {"Kills": e.kills, "Deaths": e.deaths, "Assists": e.assists, "KDA": 0.0},
        }
    completers = [p for p in people if not p.left]
    best = max(completers, key=lambda p: p.entries[0].score)
    for person in people:
        person.outcome = _DNF if person.left else (_WIN if person is best else _LOSS)

    def rank_key(p: _Participant) -> tuple[int, int]:
        return (1 if p.left else 0), -p.entries[0].score

    _assign_ranks(people, rank_key)  # a tie on top: both rank 1, one Outcome win
    return people


def _firefight_match(
    ctx: _Context,
) -> tuple[list[_Participant], list[tuple[int, int, int, tuple[int, int, int]]]]:
    """Firefight (PvE): four humans on team 0, the Banished as an empty team 1."""
    rng, world = ctx.rng, ctx.world
    rand = rng.random
    taken = {0}
    positions = [0]
    for pos in range(1, 1 + world.squad):
        if len(positions) < 4 and rand() < 0.5:
            positions.append(pos)
            taken.add(pos)
    positions += _pick_humans(rng, world, 4 - len(positions), taken)
    people = [_human(world, pos) for pos in positions]
    won = rand() < 0.8
    objectives = 5 if won else 2 + int(rand() * 3)
    duration = ctx.playable_s
    for person in people:
        person.played_s = duration
        e = _Entry(0, 1.0, person.skill)
        person.entries = [e]
        e.kills = int((55 + 60 * rand()) * person.skill * duration / 760)
        e.deaths = int(3 * rand() * rand()) + (0 if won else int(3 * rand()))
        e.assists = int(e.kills * (0.2 + 0.2 * rand()))
        kinds = _split(
            e.kills,
            [0.05 * rand(), 0.3, 0.35, 0.12, 0.14, 0.02 + 0.03 * rand(), 0.1, 0.02 * rand(), 0.01],
        )
        pve = {
            "Kills": e.kills,
            "Deaths": e.deaths,
            "Assists": e.assists,
            "KDA": 0.0,
            "MarineKills": kinds[0],
            "GruntKills": kinds[1],
            "JackalKills": kinds[2],
            "EliteKills": kinds[3],
            "BruteKills": kinds[4],
            "HunterKills": kinds[5],
            "SkimmerKills": kinds[6],
            "SentinelKills": kinds[7],
            "BossKills": kinds[8],
        }
        elimination = {
            "AlliesRevived": int(3 * rand()),
            "EliminationAssists": 0,
            "Eliminations": 0,
            "EnemyRevivesDenied": 0,
            "Executions": 0,
            "KillsAsLastPlayerStanding": 0,
            "LastPlayersStandingKilled": 0,
            "RoundsSurvived": 0,
            "TimesRevivedByAlly": int(3 * rand()),
            "LivesRemaining": None,
            "EliminationOrder": 0,
        }
        custom_count = e.kills + e.assists + int(10 * rand())
        hill = int(40 + 50 * rand())
        personal = [
            (_CUSTOM_SCORE_ID, custom_count, int(custom_count * (15 + 8 * rand()))),
            (_PS_HILL_CONTROL[0], hill, hill * _PS_HILL_CONTROL[1]),
            (_PS_HILL_SCORED[0], objectives - 1, (objectives - 1) * _PS_HILL_SCORED[1]),
        ]
        _fill_core(
            rng,
            e,
            duration,
            "firefight",
            True,
            False,
            (1, 0, 0) if won else (0, 1, 0),
            objectives,
            _MODE_MEDALS["firefight"],
            personal,
        )
        e.mode = {"EliminationStats": elimination, "PveStats": pve}
        person.outcome = _WIN if won else _LOSS
        person.rank = 1
    teams = [
        (0, _WIN if won else _LOSS, 1, (1, 0, 0) if won else (0, 1, 0)),
        (1, _DNF, 2, (0, 0, 0)),
    ]
    return people, teams


def _participation(
    person: _Participant, join_ms: int, jitter_ms: int, playable_s: float
) -> dict[str, Any]:
    first = join_ms + int(person.join_offset_s * 1000) + jitter_ms
    late = person.join_offset_s > 0
    played_s = min(person.played_s, playable_s)
    leave = _timestamp(first + int(played_s * 1000)) if person.left else None
    return {
        "FirstJoinedTime": _timestamp(first),
        "LastLeaveTime": leave,
        "PresentAtBeginning": not late and person.ptype == _HUMAN,
        "JoinedInProgress": late,
        "LeftInProgress": person.left,
        "PresentAtCompletion": not person.left,
        "TimePlayed": _duration(played_s, 7 if late else 3),
        "ConfirmedParticipation": None,
    }


_DURATION_RANGE = {  # seconds of play by mode (min, spread)
    "slayer": (420.0, 330.0),
    "ctf": (480.0, 360.0),
    "oddball": (420.0, 300.0),
    "strongholds": (480.0, 300.0),
    "koth": (420.0, 360.0),
    "total_control": (540.0, 300.0),
    "infection": (300.0, 240.0),
    "firefight": (660.0, 420.0),
}


def generate_match(
    index: int, *, seed: int = 7, owner: GeneratedPlayer = DEMO_OWNER
) -> dict[str, Any]:
    """One match-stats document, the body of GET /hi/matches/{id}/stats.

    Why a pure function of (index, seed, owner): datasets of any size can be
    produced in any order, in parallel, or one match at a time, and still be
    identical; a test can regenerate the one match it is looking at.

    Args:
        index: position in the owner's history, 0 being the newest match.
        seed: selects the world (roster) and every random choice.
        owner: the player present in every match.

    Returns:
        A fresh dict with MatchId, MatchInfo, Teams and Players.

    Raises:
        ValueError: `index` is negative or the owner's xuid is not digits only.
    """
    if index < 0:
        raise ValueError(f"match index must be >= 0, got {index}")
    world = _world(seed, owner)
    rng = random.Random(f"levelup-match:{seed}:{index}")
    rand = rng.random
    match_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))

    forced_switch = index % _SWITCH_EVERY == _SWITCH_AT
    owner_switch = index % _OWNER_SWITCH_EVERY == _OWNER_SWITCH_AT
    if forced_switch:
        queue = _pick(rng, _TEAM_PVP_QUEUES, _TEAM_QUEUE_CUM)
    else:
        queue = _pick(rng, _QUEUES, _QUEUE_CUM)
    choice: _ModeChoice = _pick(rng, queue.modes, _MODE_CUM[queue.key])
    map_index = int(rand() * len(choice.maps))
    map_asset, pair = choice.maps[map_index], choice.pairs[map_index]
    mode = choice.mode
    category = _CATEGORY[mode]

    ctx = _Context(rng, world, queue, mode)
    low, spread = _DURATION_RANGE[mode]
    if queue.lifecycle == _CUSTOM:
        low, spread = 60.0, 660.0
    playable = round(low + spread * rand(), 3)
    # Infection's rounds have breaks the playable duration leaves out.
    extra = 15 + 12 * rand() if mode == "infection" else rand() / 500
    duration = playable + extra
    duration = min(round(duration, 7), float(_MAX_MATCH_S))
    playable = min(playable, duration)
    ctx.playable_s = playable

    start_ms = _session_end_ms(index, seed) - (index % _SESSION_LENGTH) * _SLOT_MS
    start_ms -= int(rand() * 120_000)
    join_ms = start_ms + 15_000 + int(rand() * 25_000)
    end_ms = join_ms + int(duration * 1000)

    pve = mode == "firefight"
    if mode == "infection":
        people = _infection_match(ctx)
        teams: list[tuple[int, int, int, tuple[int, int, int]]] = []
    elif pve:
        people, teams = _firefight_match(ctx)
    else:
        people, teams = _team_match(ctx, owner_switch and forced_switch, forced_switch)
    rng.shuffle(people)

    matchmade = queue.lifecycle == _MATCHMADE
    match_info = {
        "StartTime": _timestamp(start_ms),
        "EndTime": _timestamp(end_ms),
        "Duration": _duration(duration, 7),
        "LifecycleMode": queue.lifecycle,
        "GameVariantCategory": category,
        "LevelId": _uid(f"level:{map_asset.name}"),
        "MapVariant": map_asset.ref(),
        "UgcGameVariant": choice.variant.ref(),
        "ClearanceId": queue.clearance,
        "Playlist": queue.playlist.ref() if queue.playlist else None,
        "PlaylistExperience": queue.experience,
        "PlaylistMapModePair": pair.ref() if pair else None,
        "SeasonId": _season_id(start_ms) if matchmade else None,
        "PlayableDuration": _duration(playable, 3),
        "TeamsEnabled": mode != "infection",
        "TeamScoringEnabled": mode != "infection",
        "GameplayInteraction": _PVE if pve else _PVP,
    }

    players = []
    for person in people:
        player_team_stats = []
        for e in person.entries:
            player_team_stats.append({"TeamId": e.team, "Stats": _render_stats(e.core, e.mode)})
        players.append(
            {
                "PlayerId": person.pid,
                "PlayerType": person.ptype,
                "BotAttributes": (
                    {"Difficulty": person.bot_difficulty} if person.ptype == _BOT else None
                ),
                "LastTeamId": person.entries[-1].team,
                "Outcome": person.outcome,
                "Rank": person.rank,
                "ParticipationInfo": _participation(person, join_ms, int(rand() * 12), playable),
                "PlayerTeamStats": player_team_stats,
            }
        )

    team_docs = []
    for team_id, outcome, rank, rounds in teams:
        members = [e for p in people for e in p.entries if e.team == team_id]
        core = _aggregate_core([e.core for e in members], rounds)
        mode_names = (
            list(members[0].mode) if members else (["EliminationStats", "PveStats"] if pve else [])
        )
        modes = {}
        for name in mode_names:
            modes[name] = _aggregate_mode([e.mode[name] for e in members])
        if pve and not members:
            modes = _empty_pve_modes()
        if pve:
            modes["EliminationStats"]["LivesRemaining"] = 0
        team_docs.append(
            {
                "TeamId": team_id,
                "Outcome": outcome,
                "Rank": rank,
                "Stats": _render_stats(core, modes),
            }
        )
    return {"MatchId": match_id, "MatchInfo": match_info, "Teams": team_docs, "Players": players}


def _empty_pve_modes() -> dict[str, dict[str, Any]]:
    """The Banished team's mode stats in Firefight: all zeros, as recorded."""
    elimination = dict.fromkeys(
        (
            "AlliesRevived",
            "EliminationAssists",
            "Eliminations",
            "EnemyRevivesDenied",
            "Executions",
            "KillsAsLastPlayerStanding",
            "LastPlayersStandingKilled",
            "RoundsSurvived",
            "TimesRevivedByAlly",
            "LivesRemaining",
            "EliminationOrder",
        ),
        0,
    )
    pve = dict.fromkeys(
        (
            "Kills",
            "Deaths",
            "Assists",
            "KDA",
            "MarineKills",
            "GruntKills",
            "JackalKills",
            "EliteKills",
            "BruteKills",
            "HunterKills",
            "SkimmerKills",
            "SentinelKills",
            "BossKills",
        ),
        0,
    )
    return {"EliminationStats": elimination, "PveStats": pve}


def iter_matches(
    count: int, *, seed: int = 7, owner: GeneratedPlayer = DEMO_OWNER
) -> Iterator[dict[str, Any]]:
    """Matches 0 .. count-1, newest first (each StartTime earlier than the previous).

    Why a generator: benchmark datasets are tens of thousands of documents; they
    are produced and consumed one at a time so memory stays flat.

    Args:
        count: how many matches.
        seed: see `generate_match`.
        owner: the player present in every match.

    Yields:
        Match-stats documents, index 0 (the newest) first.
    """
    for index in range(count):
        yield generate_match(index, seed=seed, owner=owner)


# ------------------------------------------------------------ recorded directory


def _asset_document(asset: _Asset) -> dict[str, Any]:
    """A discovery-service body for an asset, in the shape of the recorded ones."""
    folder = {_MAP: "map", _PLAYLIST: "playlist", _UGC_VARIANT: "ugcgamevariant"}.get(
        asset.kind, "mapmodepair"
    )
    path = f"/ugcstorage/{folder}/{asset.asset_id}/{asset.version_id}/"
    doc: dict[str, Any] = {
        "CustomData": {},
        "Tags": list(asset.tags),
    }
    if asset.kind == _MAP_MODE_PAIR and len(asset.links) == 2:
        map_asset, variant = asset.links
        doc["MapLink"] = _link(map_asset)
        doc["UgcGameVariantLink"] = _link(variant)
    if asset.kind == _PLAYLIST:
        doc["RotationEntries"] = []
    doc.update(
        {
            "AssetId": asset.asset_id,
            "VersionId": asset.version_id,
            "PublicName": asset.name,
            "Description": asset.description,
            "Files": {
                "Prefix": f"https://blobs-infiniteugc.svc.halowaypoint.com{path}",
                "FileRelativePaths": ["images/hero.png", "images/thumbnail.png"],
                "PrefixEndpoint": {
                    "AuthorityId": "iUgcFiles",
                    "Path": path,
                    "QueryString": None,
                    "RetryPolicyId": "linearretry",
                    "TopicName": "",
                    "AcknowledgementTypeId": 0,
                    "AuthenticationLifetimeExtensionSupported": False,
                    "ClearanceAware": False,
                },
            },
            "Contributors": [],
            "AssetHome": 1,
            "AssetStats": {
                "PlaysRecent": 0,
                "PlaysAllTime": 0,
                "Favorites": 0,
                "Likes": 0,
                "Bookmarks": 0,
                "ParentAssetCount": 0,
                "AverageRating": 0.0,
                "NumberOfRatings": 0,
            },
            "InspectionResult": 50,
            "CloneBehavior": 0,
            "Order": 0,
        }
    )
    return doc


def _link(asset: _Asset) -> dict[str, Any]:
    return {
        "AssetId": asset.asset_id,
        "VersionId": asset.version_id,
        "PublicName": asset.name,
        "Description": asset.description,
    }


def _catalog() -> dict[tuple[str, str], _Asset]:
    """Every asset a match can refer to, by (AssetId, VersionId)."""
    out: dict[tuple[str, str], _Asset] = {}
    for queue in _QUEUES:
        if queue.playlist:
            out[(queue.playlist.asset_id, queue.playlist.version_id)] = queue.playlist
        for choice in queue.modes:
            out[(choice.variant.asset_id, choice.variant.version_id)] = choice.variant
            for asset in (*choice.maps, *(p for p in choice.pairs if p)):
                out[(asset.asset_id, asset.version_id)] = asset
    return out


_INDENT_RUN = re.compile(rb"\n( +)")


def _indent4(doc: dict[str, Any]) -> bytes:
    """4-space indented JSON like the recorded fixtures; orjson only indents by 2."""
    return _INDENT_RUN.sub(
        lambda m: b"\n" + m.group(1) * 2, orjson.dumps(doc, option=orjson.OPT_INDENT_2)
    )


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
    """Write a recorded-responses directory holding `count` generated matches.

    Why: the recorded source, the fake Waypoint server, the demo and the
    benchmarks all read this layout; generating it is how they get a realistic
    dataset of any size without a network. Matches are generated and written one
    at a time, so memory stays flat whatever `count` is. Files already in the
    directory are overwritten when regenerated and otherwise left alone.

    Layout written:

    - ``players.json``: ``[{"gamertag", "xuid"}]`` for the whole roster, owner first;
    - ``profiles.json``: ``[{"xuid", "gamertag"}]`` like the profile service's
      GET /users?xuids= response, for every human of the roster;
    - ``matches/<match_id>.json``: compact bodies of GET /hi/matches/{id}/stats;
    - ``assets/<asset_id>/<version_id>.json`` (if `with_assets`): every map,
      playlist, UGC game variant and map-mode pair the matches refer to;
    - ``medals.json`` (if `with_assets`): the medal metadata document.
    - ``skill/<match_id>.json`` (if `with_skill`): the skill service's answer for
      every human of each matchmade match (`levelup.demo.skill`: CSR journeys
      with placements, MMR, expected kills and deaths), and
      ``playlist_csr/<playlist_id>.json``: the owner's and squad's rank in each
      ranked playlist after the newest match.

    Args:
        path: directory to create or fill.
        count: number of matches (index 0 .. count-1, newest first).
        seed: see `generate_match`.
        owner: the player present in every match.
        with_assets: also write the discovery assets.
        with_skill: also write the skill documents (a directory without
            ``skill/`` is one made before the skill service was read).
        compact: write match files as compact JSON (what the API sends) instead
            of 4-space indented JSON (what the recorded fixtures look like on
            disk, ~47 KB each: the default, so file sizes and parse costs are
            comparable with them).

    Returns:
        A summary with the mean compact and on-disk document sizes.
    """
    path = Path(path)
    matches_dir = path / "matches"
    matches_dir.mkdir(parents=True, exist_ok=True)
    people = roster(seed, owner)
    (path / "players.json").write_bytes(
        orjson.dumps([{"gamertag": p.gamertag, "xuid": p.xuid} for p in people])
    )
    (path / "profiles.json").write_bytes(
        orjson.dumps([{"xuid": p.xuid, "gamertag": p.gamertag} for p in people])
    )

    referenced: set[tuple[str, str]] = set()
    total = 0
    folder = str(matches_dir)
    dumps = orjson.dumps
    on_disk = 0
    summaries = []
    for doc in iter_matches(count, seed=seed, owner=owner):
        if with_skill:
            summary = summarize(doc)
            if summary is not None:
                summaries.append(summary)
        data = dumps(doc)
        total += len(data)
        if not compact:
            data = _indent4(doc)
        on_disk += len(data)
        with open(os.path.join(folder, doc["MatchId"] + ".json"), "wb") as fh:
            fh.write(data)
        if with_assets:
            info = doc["MatchInfo"]
            for key in ("MapVariant", "UgcGameVariant", "Playlist", "PlaylistMapModePair"):
                ref = info[key]
                if ref:
                    referenced.add((ref["AssetId"], ref["VersionId"]))

    skill_count = 0
    if with_skill:
        history = SkillHistory(RANKED_PLAYLIST_IDS, seed, fresh=[owner.xuid])
        skill_dir = path / "skill"
        skill_dir.mkdir(exist_ok=True)
        for match_id, skill_doc in skill_documents(history, reversed(summaries)):
            (skill_dir / f"{match_id}.json").write_bytes(dumps(skill_doc))
            skill_count += 1
        csr_dir = path / "playlist_csr"
        csr_dir.mkdir(exist_ok=True)
        asked = [p.xuid for p in people[: 1 + _SQUAD_SIZE]]
        for playlist_id in sorted(RANKED_PLAYLIST_IDS):
            (csr_dir / f"{playlist_id}.json").write_bytes(dumps(history.playlist_csr(asked)))

    written_assets = 0
    if with_assets:
        (path / "medals.json").write_bytes(dumps(medal_metadata_document()))
        catalog = _catalog()
        for key in sorted(referenced):
            asset = catalog[key]
            target = path / "assets" / asset.asset_id
            target.mkdir(parents=True, exist_ok=True)
            (target / f"{asset.version_id}.json").write_bytes(dumps(_asset_document(asset)))
            written_assets += 1

    return RecordedDirSummary(
        path=path,
        count=count,
        owner=owner,
        mean_document_bytes=total / count if count else 0.0,
        mean_file_bytes=on_disk / count if count else 0.0,
        total_bytes=total,
        asset_count=written_assets,
        roster_size=len(people),
        skill_count=skill_count,
    )
