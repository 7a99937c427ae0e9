"""What the sync and the backfill need from wherever match JSON comes from.

Two implementations share this interface: the real Halo Waypoint API
(`levelup.sources.waypoint`) and a recorded-responses directory
(`levelup.sources.recorded`). Keeping the interface this small lets every
caller be tested against the recorded directory, and the HTTP path against the
local fake Waypoint server, with the same code above it.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from levelup.errors import LevelUpError

# Re-exported: the filters are part of the sources' vocabulary.
from levelup.match_types import LIFECYCLE_BY_MATCH_TYPE as LIFECYCLE_BY_MATCH_TYPE
from levelup.match_types import MATCH_TYPES as MATCH_TYPES

_XUID_RE = re.compile(r"^(?:xuid\(([0-9]+)\)|([0-9]+))$")


def text_value(value: object) -> str | None:
    """A name from a JSON answer (gamertag, PublicName): a non-empty string, or a
    whole number's digits. An object, a list or a boolean is no name: as Python
    text ("['a']", "{'en': 'x'}") it would be stored as if it were one."""
    if isinstance(value, str):
        return value or None
    if type(value) is int:
        return str(value)
    return None


def normalize_xuid(value: str | int) -> str:
    """Return the digits of an xuid given as "xuid(123)", "123" or 123.

    Raises:
        ValueError: the value is not an xuid (bots' "bid(8.0)" included).
    """
    match = _XUID_RE.match(str(value).strip())
    if not match:
        raise ValueError(f"not an xuid: {value!r}")
    return match.group(1) or match.group(2)


@dataclass(frozen=True)
class PlayerIdentity:
    """A player as the profile service knows them: digits-only xuid and gamertag."""

    xuid: str
    gamertag: str | None


@dataclass(frozen=True)
class HistoryEntry:
    """One row of a match history page: enough to decide whether to fetch the match."""

    match_id: str
    start_time: str | None = None


@dataclass(frozen=True)
class HistoryPage:
    """One page of a player's match history, newest first.

    `result_count` < `count` means this is the last page.
    """

    start: int
    count: int
    result_count: int
    entries: tuple[HistoryEntry, ...]


class SourceError(LevelUpError):
    """A request to the source failed; the message never contains a token."""

    exit_code = 1


class MatchNotFoundError(SourceError):
    """The source has no stats for this match (an old 404, a missing file)."""


class FetchError(SourceError):
    """The source could not deliver a response after its retries."""


class FatalSourceError(SourceError):
    """The source cannot serve this run any more: the run stops cleanly (what was
    fetched is written), exit 2. Every step re-raises it instead of recording a
    failure per match, so one cause is one message, not a failure per request."""

    exit_code = 2


class AuthError(FatalSourceError):
    """Credentials are missing, expired or refused."""


class ServiceUnreachableError(FatalSourceError):
    """A host could not be connected to (name lookup failed, connection refused)
    on any of a request's attempts: the network is down or the host map is wrong."""


@dataclass
class SourceCounters:
    """Requests made, by endpoint name, split into successes and retries."""

    calls: Counter[str] = field(default_factory=Counter)
    retries: Counter[str] = field(default_factory=Counter)

    def as_dict(self) -> dict[str, dict[str, int]]:
        return {"calls": dict(self.calls), "retries": dict(self.retries)}


@runtime_checkable
class MatchSource(Protocol):
    """Where match history and match stats come from; `counters` counts requests by
    the names of `levelup.sources.http.endpoint_name`."""

    name: str
    counters: SourceCounters

    async def resolve_player(
        self, gamertag: str | None = None, xuid: str | None = None
    ) -> PlayerIdentity:
        """Find a player by gamertag (case-insensitive) or xuid.

        Raises:
            PlayerNotFoundError: the source does not know the player.
        """
        ...

    async def history_page(
        self, xuid: str, start: int, count: int = 25, match_type: str = "all"
    ) -> HistoryPage:
        """One page of the player's match history, newest first."""
        ...

    async def match_stats_raw(self, match_id: str) -> bytes:
        """The body of GET /hi/matches/{match_id}/stats, unparsed.

        Raises:
            MatchNotFoundError: the match does not exist at the source.
            FetchError: the source failed after its retries.
        """
        ...

    async def gamertags(self, xuids: Sequence[str]) -> dict[str, str]:
        """Gamertags by digits-only xuid; xuids the source does not know are left out."""
        ...

    async def asset_name(self, asset_type: str, asset_id: str, version_id: str) -> str | None:
        """PublicName of a discovery asset ("maps", "playlists", "ugcGameVariants",
        "mapModePairs"), or None when the source does not have it."""
        ...

    async def medal_metadata_raw(self) -> bytes | None:
        """The medal metadata document (GET gamecms-hacs
        /hi/Waypoint/file/medals/metadata.json), unparsed; None when the source has none."""
        ...

    async def match_skill_raw(self, match_id: str, xuids: Sequence[str]) -> bytes | None:
        """The body of GET skill /hi/matches/{match_id}/skill?players=... for these
        humans (digits-only xuids, never a bot), unparsed; None when the source has
        no skill service at all (a recorded directory made before it existed).

        Raises:
            MatchNotFoundError: the service does not know the match.
            FetchError: the source failed after its retries.
        """
        ...

    async def playlist_csr_raw(self, playlist_id: str, xuids: Sequence[str]) -> bytes | None:
        """The body of GET skill /hi/playlist/{playlist_id}/csrs?players=..., unparsed;
        None when the source has no skill service.

        Raises:
            MatchNotFoundError: the service does not know the playlist.
            FetchError: the source failed after its retries.
        """
        ...

    async def match_count_raw(self, xuid: str) -> bytes | None:
        """The body of GET halostats /hi/players/xuid(X)/matches/count, unparsed; None
        when the source has no count (a recorded directory without ``matches_count/``).

        Raises:
            FetchError: the source failed after its retries.
        """
        ...

    async def service_record_raw(self, xuid: str, match_type: str) -> bytes | None:
        """The body of GET halostats /hi/players/xuid(X)/{match_type}/servicerecord
        (match_type: matchmade, custom or local), unparsed; None when the source has
        no service record for the player.

        Raises:
            FetchError: the source failed after its retries.
        """
        ...

    async def aclose(self) -> None:
        """Release connections and files."""
        ...
