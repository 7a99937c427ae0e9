"""Every document endpoint of the Halo services LevelUp reads, described once.

A description says where the endpoint lives (host and path template), what its
requests are counted as (`name`, the key of `SourceCounters`), and where a
recorded-responses directory keeps its bodies (`recorded`, a path template
under the directory). The recorded directory (`RecordedDirectory.document`),
the recorded source and the fake Waypoint server (`levelup.testing`) serve
every endpoint from its description, and the HTTP session names its counters
from it, so a new endpoint costs one entry here, one method per source
(`WaypointSource` calls spnkr) and one generator function for its bodies.

Endpoints whose answer is computed rather than stored (match history,
profiles) are served by their own code; the fake computes a match count from
the history when a directory records none.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import orjson

HALOSTATS = "halostats.svc.halowaypoint.com"
SKILL = "skill.svc.halowaypoint.com"
PROFILE = "profile.svc.halowaypoint.com"
DISCOVERY = "discovery-infiniteugc.svc.halowaypoint.com"
GAMECMS = "gamecms-hacs.svc.halowaypoint.com"
SETTINGS = "settings.svc.halowaypoint.com"
LOGIN = "login.live.com"
USER_AUTH = "user.auth.xboxlive.com"
XSTS = "xsts.auth.xboxlive.com"

# Hosts whose requests carry the spartan and clearance headers (and only those:
# the sign-in hosts get exactly the headers of each request, so a spartan token
# is never sent to login.live.com or the Xbox services).
HALO_HOSTS = frozenset({HALOSTATS, SKILL, PROFILE, DISCOVERY, GAMECMS})
# The sign-in chain: OAuth, Xbox user and XSTS tokens, then the spartan and
# clearance tokens from the settings service.
SIGN_IN_HOSTS = frozenset({LOGIN, USER_AUTH, XSTS, SETTINGS})
ALL_HOSTS = (HALOSTATS, SKILL, PROFILE, DISCOVERY, GAMECMS, SETTINGS, LOGIN, USER_AUTH, XSTS)

_PARAM_RE = re.compile(r"\{(\w+)\}")
# File-name-safe ids only: ids arrive from URLs in the fake server and must never
# escape the directory ("../players", "a/b").
_SAFE_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._()-]*$")


def safe_id(value: str) -> bool:
    """Whether an id taken from a URL can be part of a file name."""
    return bool(_SAFE_ID_RE.match(value)) and ".." not in value


@dataclass(frozen=True)
class Endpoint:
    """One document endpoint.

    Attributes:
        name: its counter name ("match_stats", "match_skill", ...).
        host: the service's host name.
        path: the URL path, `{param}` for each part taken from the request.
        recorded: where a recorded directory keeps a body, relative to the
            directory, with the same `{param}` names (a subset of them).
        per_player: the request names players (`?players=xuid(A)&players=...`)
            and the answer's `Value[]` holds one entry per named player: a
            recorded body holds every player, the answer only those asked.
        optional_service: a recorded directory without the body's folder has
            no such service at all (made before the endpoint was added): the
            sources answer "no service" (None) instead of "not found".
    """

    name: str
    host: str
    path: str
    recorded: str
    per_player: bool = False
    optional_service: bool = False

    @cached_property
    def regex(self) -> re.Pattern[str]:
        """The path as a regex with one named group per parameter."""
        parts = _PARAM_RE.split(self.path)  # literal, name, literal, name, ...
        pattern = "".join(
            f"(?P<{part}>[^/]+)" if i % 2 else re.escape(part) for i, part in enumerate(parts)
        )
        return re.compile(f"^{pattern}$")

    @cached_property
    def folder(self) -> str | None:
        """The recorded body's first folder (None for a file at the top level)."""
        head, sep, _ = self.recorded.partition("/")
        return head if sep else None

    def recorded_file(self, **params: str) -> str | None:
        """The recorded body's path for these parameters; None for an unsafe id.

        A `player` parameter is a player as the path names it (``xuid(N)``); the
        recorded layout keeps the digits (``matches_count/N.json``).
        """
        wanted = _PARAM_RE.findall(self.recorded)
        values = {p: str(params.get(p, "")) for p in wanted}
        if "player" in values:
            values["player"] = unwrap_player(values["player"])
        if any(not safe_id(v) for v in values.values()):
            return None
        return self.recorded.format(**values)


def unwrap_player(value: str) -> str:
    """``xuid(N)`` -> ``N`` (any other value unchanged)."""
    lowered = value.strip().lower()
    if lowered.startswith("xuid(") and lowered.endswith(")"):
        return lowered[5:-1]
    return value


MATCH_STATS = Endpoint(
    "match_stats", HALOSTATS, "/hi/matches/{match_id}/stats", "matches/{match_id}.json"
)
MATCH_SKILL = Endpoint(
    "match_skill",
    SKILL,
    "/hi/matches/{match_id}/skill",
    "skill/{match_id}.json",
    per_player=True,
    optional_service=True,
)
PLAYLIST_CSR = Endpoint(
    "playlist_csr",
    SKILL,
    "/hi/playlist/{playlist_id}/csrs",
    "playlist_csr/{playlist_id}.json",
    per_player=True,
    optional_service=True,
)
MEDAL_METADATA = Endpoint(
    "gamecms", GAMECMS, "/hi/Waypoint/file/medals/metadata.json", "medals.json",
    optional_service=True,
)  # fmt: skip
ASSET = Endpoint(
    "discovery",
    DISCOVERY,
    "/hi/{asset_type}/{asset_id}/versions/{version_id}",
    "assets/{asset_id}/{version_id}.json",  # asset ids are unique across types
)

# A player's match counts by type (real sample: get_match_count.json). A recorded
# directory without matches_count/ has no count: no progress total, no completeness.
MATCH_COUNT = Endpoint(
    "match_count",
    HALOSTATS,
    "/hi/players/{player}/matches/count",
    "matches_count/{player}.json",
    optional_service=True,
)
# A player's career totals for one match type: matchmade, custom or local
# (get_service_record.json, get_service_record_empty.json).
SERVICE_RECORD = Endpoint(
    "service_record",
    HALOSTATS,
    "/hi/players/{player}/{match_type}/servicerecord",
    "service_record/{player}/{match_type}.json",
    optional_service=True,
)
SERVICE_RECORD_TYPES = ("matchmade", "custom", "local")

ENDPOINTS: tuple[Endpoint, ...] = (
    MATCH_STATS,
    MATCH_SKILL,
    PLAYLIST_CSR,
    MEDAL_METADATA,
    ASSET,
    MATCH_COUNT,
    SERVICE_RECORD,
)


def endpoint_for(host: str, path: str) -> Endpoint | None:
    """The described endpoint a request goes to, if any."""
    for endpoint in ENDPOINTS:
        if endpoint.host == host and endpoint.regex.match(path):
            return endpoint
    return None


def wrap_xuid(xuid: str) -> str:
    """``xuid(<digits>)`` as the per-player endpoints take it."""
    return xuid if xuid.startswith("xuid(") else f"xuid({xuid})"


def players_answer(body: bytes, players: Iterable[str]) -> bytes:
    """A per-player body cut down to the players asked for, in the order asked.

    A recorded body holds an entry for every player; the service answers only
    for the players named in the request. A player without an entry is left
    out. A body that is not a `{"Value": [...]}` object is returned unchanged
    (a corrupt recording must reach the parser, which reports it).
    """
    wanted = list(dict.fromkeys(wrap_xuid(p).lower() for p in players))
    # The common case, every player of the recording asked: no parse needed.
    if body.count(b'"Id"') == len(wanted) and all(f'"Id":"{w}"'.encode() in body for w in wanted):
        return body
    try:
        doc: Any = orjson.loads(body)
    except orjson.JSONDecodeError:
        return body
    values = doc.get("Value") if isinstance(doc, dict) else None
    if not isinstance(values, list):
        return body
    by_id = {str(v.get("Id", "")).lower(): v for v in values if isinstance(v, dict)}
    if len(wanted) == len(by_id) == len(values) and set(wanted) == set(by_id):
        return body
    doc["Value"] = [by_id[p] for p in wanted if p in by_id]
    return orjson.dumps(doc)
