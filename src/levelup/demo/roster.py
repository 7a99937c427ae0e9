"""The humans of the generated world, and who of them a match brings together.

Why a fixed roster: about 300 humans per (seed, owner), so the same opponents and
teammates come back across a history and "players seen most often" has an
answer, and a recorded directory's profile service (profiles.json) can name every
xuid a match carries. The owner's squad often plays on the owner's team; among
the others a few regulars are met often and a long tail once or twice.
"""

from __future__ import annotations

import random
from bisect import bisect_right
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate


@dataclass(frozen=True)
class GeneratedPlayer:
    """A human of the generated world, as the profile service would describe them."""

    xuid: str  # digits only (16 of them for generated players), never "xuid(...)"
    gamertag: str


DEMO_OWNER = GeneratedPlayer(xuid="2535400000000001", gamertag="DemoSpartan")

ROSTER_SIZE = 300
"""Humans in the generated world, the owner included."""


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
    """A gamertag in one of the styles real ones come in, at most 15 characters."""
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
class World:
    """The roster of one (seed, owner) with what match generation needs per player."""

    players: tuple[GeneratedPlayer, ...]  # owner first, then the squad, then everybody else
    ids: tuple[str, ...]  # "xuid(...)" per player
    skills: tuple[float, ...]
    cum_weights: tuple[float, ...]  # how often each non-owner, non-squad player is met
    squad: int  # players[1 : 1 + squad] often play on the owner's team


_SQUAD_SIZE = 4


@lru_cache(maxsize=16)
def world_of(seed: int, owner: GeneratedPlayer) -> World:
    """The roster of (seed, owner), built once and shared by every match generated."""
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
    return World(
        players=tuple(players),
        ids=tuple(f"xuid({p.xuid})" for p in players),
        skills=tuple(skills),
        cum_weights=tuple(accumulate(weights)),
        squad=_SQUAD_SIZE,
    )


def roster(seed: int = 7, owner: GeneratedPlayer = DEMO_OWNER) -> list[GeneratedPlayer]:
    """The `ROSTER_SIZE` humans (distinct xuids and gamertags) the generator draws the
    players of (seed, owner) from, owner first: match documents carry xuids only, and
    a recorded directory's profile service (profiles.json) and the tests name them."""
    return list(world_of(seed, owner).players)


def pick_humans(rng: random.Random, world: World, count: int, taken: set[int]) -> list[int]:
    """Roster positions of `count` more humans, regulars more often than others."""
    cum = world.cum_weights
    total = cum[-1]
    out: list[int] = []
    while len(out) < count:
        pos = bisect_right(cum, rng.random() * total, 1 + world.squad, len(cum) - 1)
        if pos not in taken:
            taken.add(pos)
            out.append(pos)
    return out


def lobby(
    rng: random.Random, world: World, total: int, squad_room: int, squad_rate: float
) -> list[int]:
    """Roster positions of a lobby's `total` humans: the owner, the squad mates who came
    along (while fewer than `squad_room` are in), then others, regulars more often."""
    positions = [0]
    for pos in range(1, 1 + world.squad):
        if len(positions) < squad_room and rng.random() < squad_rate:
            positions.append(pos)
    return positions + pick_humans(rng, world, total - len(positions), set(positions))
