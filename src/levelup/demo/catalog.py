"""What a generated match is played on: queues, game variants, maps and their documents.

Why a catalog: a match refers to discovery assets (map, playlist, UGC game
variant, map-mode pair) by id, and a recorded directory must hold the document
of every asset its matches refer to. Both come from here, so the ids in the
matches and the documents always agree, on every machine (ids are UUIDv5 of the
asset's name).
"""

from __future__ import annotations

import random
import uuid
from bisect import bisect_right
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Any

from levelup.demo.scoring import MODES

CUSTOM, MATCHMADE = 1, 3  # LifecycleMode (spnkr's enum values)
_MAP, _PLAYLIST, _UGC_VARIANT, _MAP_MODE_PAIR = 2, 3, 6, 7  # AssetKind

_NAMESPACE = uuid.UUID("5b0e7a52-3c1d-4f7e-9a0b-6d2c8e4f1a93")


def uid(name: str) -> str:
    """A stable UUID string for a named catalog item (same on every machine)."""
    return str(uuid.uuid5(_NAMESPACE, name))


@dataclass(frozen=True)
class Asset:
    """A discovery asset a match refers to (map, playlist, variant, map-mode pair); its
    ids follow from its kind and name."""

    kind: int
    name: str
    description: str = ""
    tags: tuple[str, ...] = ()
    links: tuple[Asset, ...] = ()  # a map-mode pair's map and variant
    asset_id: str = field(init=False)
    version_id: str = field(init=False)

    def __post_init__(self) -> None:
        key = f"{self.kind}:{self.name}"
        object.__setattr__(self, "asset_id", uid(key))
        object.__setattr__(self, "version_id", uid(key + ":v1"))

    def ref(self) -> dict[str, Any]:
        """The {AssetKind, AssetId, VersionId} object MatchInfo carries."""
        return {"AssetKind": self.kind, "AssetId": self.asset_id, "VersionId": self.version_id}


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
_MAPS = {name: Asset(_MAP, name, desc, ("343i",)) for name, desc in _MAP_DESCRIPTIONS.items()}


@dataclass(frozen=True)
class ModeChoice:
    """One game mode of a queue: its variant, maps and map-mode pairs."""

    mode: str
    weight: float
    variant: Asset
    maps: tuple[Asset, ...]
    pairs: tuple[Asset | None, ...]  # aligned with maps; None outside matchmaking


@dataclass(frozen=True)
class Queue:
    """Where a match comes from: a matchmaking playlist, or custom games."""

    key: str
    weight: float
    lifecycle: int
    playlist: Asset | None
    experience: int | None
    team_size: int
    clearance: str
    modes: tuple[ModeChoice, ...]


def _queue(
    key: str,
    weight: float,
    playlist_name: str | None,
    experience: int | None,
    team_size: int,
    variant_prefix: str,
    modes: tuple[tuple[str, float, tuple[str, ...]], ...],
) -> Queue:
    """A queue: matchmade with a playlist, custom games without one."""
    playlist = None
    if playlist_name:
        playlist = Asset(_PLAYLIST, playlist_name, f"{playlist_name}: matchmade games.", ("343i",))
    choices = []
    for mode, mode_weight, map_names in modes:
        label = MODES[mode].label
        name = f"{variant_prefix}:{label}" if variant_prefix else label
        tags = ("343i", variant_prefix or "Custom")
        variant = Asset(_UGC_VARIANT, name, MODES[mode].description, tags)
        maps = tuple(_MAPS[m] for m in map_names)
        pairs = tuple(
            Asset(_MAP_MODE_PAIR, f"{name} on {m.name}", links=(m, variant)) if playlist else None
            for m in maps
        )
        choices.append(ModeChoice(mode, mode_weight, variant, maps, pairs))
    lifecycle = MATCHMADE if playlist else CUSTOM
    return Queue(
        key, weight, lifecycle, playlist, experience, team_size, uid(f"clearance:{key}"),
        tuple(choices),
    )  # fmt: skip


_ARENA_MAPS = ("Aquarius", "Live Fire", "Recharge", "Streets", "Solitude", "Catalyst", "Bazaar")
_CTF_MAPS = ("Aquarius", "Forbidden", "Empyrean", "Argyle", "Catalyst", "Origin")
_ZONE_MAPS = ("Live Fire", "Recharge", "Streets", "Solitude")
_BTB_MAPS = ("Fragmentation", "Highpower", "Deadlock", "Breaker")
_ARENA_MODES = (
    ("slayer", 0.36, _ARENA_MAPS),
    ("ctf", 0.2, _CTF_MAPS),
    ("oddball", 0.14, _ZONE_MAPS),
    ("strongholds", 0.16, _ZONE_MAPS),
    ("koth", 0.14, _ZONE_MAPS),
)
_BTB_MODES = (
    ("slayer", 0.45, _BTB_MAPS),
    ("ctf", 0.35, _BTB_MAPS),
    ("total_control", 0.2, _BTB_MAPS),
)
_INFECTION_MAPS = ("Behemoth", "Launch Site", "Sanctuary", "Streets")
_FIREFIGHT_MAPS = ("Fragmentation", "Behemoth", "Highpower")
_CUSTOM_MODES = (
    ("slayer", 0.45, _ARENA_MAPS),
    ("oddball", 0.2, _ZONE_MAPS),
    ("ctf", 0.15, _CTF_MAPS),
    ("koth", 0.2, _ZONE_MAPS),
)
QUEUES: tuple[Queue, ...] = (
    _queue("ranked", 0.30, "Ranked Arena", 2, 4, "Ranked", _ARENA_MODES),
    _queue("quickplay", 0.31, "Quick Play", 2, 4, "Arena", _ARENA_MODES),
    _queue("btb", 0.02, "Big Team Battle", 3, 12, "Big Team", _BTB_MODES),
    _queue("infection", 0.09, "Infection", 5, 0, "", (("infection", 1.0, _INFECTION_MAPS),)),
    _queue("firefight", 0.09, "Firefight: King of the Hill", 5, 4, "Firefight",
           (("firefight", 1.0, _FIREFIGHT_MAPS),)),
    _queue("custom", 0.19, None, None, 4, "", _CUSTOM_MODES),
)  # fmt: skip
_TEAM_PVP_QUEUES = tuple(q for q in QUEUES if q.key in ("ranked", "quickplay", "btb", "custom"))
RANKED_PLAYLIST_IDS = frozenset(
    q.playlist.asset_id for q in QUEUES if q.key == "ranked" and q.playlist
)
"""Playlists whose matches move a CSR (the skill documents' ranked playlists)."""


_QUEUE_CUM = list(accumulate(q.weight for q in QUEUES))
_TEAM_QUEUE_CUM = list(accumulate(q.weight for q in _TEAM_PVP_QUEUES))
_MODE_CUM = {q.key: list(accumulate(m.weight for m in q.modes)) for q in QUEUES}


def _pick(rng: random.Random, items: tuple[Any, ...], cum: list[float]) -> Any:
    """One of `items`, drawn by weight (`cum`: the running totals of the weights)."""
    return items[min(bisect_right(cum, rng.random() * cum[-1]), len(items) - 1)]


def choose(rng: random.Random, team_pvp: bool) -> tuple[Queue, ModeChoice, int]:
    """A match's queue, mode and map (an index into the mode's maps), by weight;
    `team_pvp` keeps to queues of two-team PvP (for a match that needs a team switch)."""
    if team_pvp:
        queue = _pick(rng, _TEAM_PVP_QUEUES, _TEAM_QUEUE_CUM)
    else:
        queue = _pick(rng, QUEUES, _QUEUE_CUM)
    choice: ModeChoice = _pick(rng, queue.modes, _MODE_CUM[queue.key])
    return queue, choice, int(rng.random() * len(choice.maps))


# ------------------------------------------------------------------- documents


def catalog() -> dict[tuple[str, str], Asset]:
    """Every asset a match can refer to, by (AssetId, VersionId)."""
    out: dict[tuple[str, str], Asset] = {}
    for queue in QUEUES:
        if queue.playlist:
            out[(queue.playlist.asset_id, queue.playlist.version_id)] = queue.playlist
        for choice in queue.modes:
            for asset in (choice.variant, *choice.maps, *(p for p in choice.pairs if p)):
                out[(asset.asset_id, asset.version_id)] = asset
    return out


def _link(asset: Asset) -> dict[str, Any]:
    """How a discovery document names another asset (and itself)."""
    return {
        "AssetId": asset.asset_id,
        "VersionId": asset.version_id,
        "PublicName": asset.name,
        "Description": asset.description,
    }


_FOLDERS = {_MAP: "map", _PLAYLIST: "playlist", _UGC_VARIANT: "ugcgamevariant"}
_ASSET_STATS = dict.fromkeys(
    ("PlaysRecent", "PlaysAllTime", "Favorites", "Likes", "Bookmarks", "ParentAssetCount"), 0
)


def asset_document(asset: Asset) -> dict[str, Any]:
    """A discovery-service body for an asset, in the shape of the recorded ones."""
    path = f"/ugcstorage/{_FOLDERS.get(asset.kind, 'mapmodepair')}/{asset.asset_id}/"
    path += f"{asset.version_id}/"
    doc: dict[str, Any] = {"CustomData": {}, "Tags": list(asset.tags)}
    if asset.kind == _MAP_MODE_PAIR and len(asset.links) == 2:
        doc["MapLink"], doc["UgcGameVariantLink"] = (_link(a) for a in asset.links)
    if asset.kind == _PLAYLIST:
        doc["RotationEntries"] = []
    endpoint = {
        "AuthorityId": "iUgcFiles",
        "Path": path,
        "QueryString": None,
        "RetryPolicyId": "linearretry",
        "TopicName": "",
        "AcknowledgementTypeId": 0,
        "AuthenticationLifetimeExtensionSupported": False,
        "ClearanceAware": False,
    }
    return doc | {
        **_link(asset),
        "Files": {
            "Prefix": f"https://blobs-infiniteugc.svc.halowaypoint.com{path}",
            "FileRelativePaths": ["images/hero.png", "images/thumbnail.png"],
            "PrefixEndpoint": endpoint,
        },
        "Contributors": [],
        "AssetHome": 1,
        "AssetStats": {**_ASSET_STATS, "AverageRating": 0.0, "NumberOfRatings": 0},
        "InspectionResult": 50,
        "CloneBehavior": 0,
        "Order": 0,
    }
