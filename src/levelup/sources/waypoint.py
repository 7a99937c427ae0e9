"""`MatchSource` over the real Halo Waypoint API (spnkr's client, our session).

spnkr builds the URLs and parameters; every request goes through
`levelup.sources.http.WaypointSession` (one process-wide pacer, retries, token
renewal through `levelup.sources.auth.TokenManager`). Bodies are never parsed
with spnkr's models: match stats are returned as the raw bytes (the models
reject medal ids they do not know), history and profiles are read as plain JSON.

A 404 on the stats of a match that ended less than an hour ago usually means
"not published yet": `history_page` remembers the matches that ended within the
hour (``MatchInfo.EndTime``), and their stats and skill are retried on the game's
own 404 policy.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Awaitable, Mapping, Sequence
from typing import Any
from urllib.parse import quote

from spnkr import HaloInfiniteClient
from spnkr.xuid import unwrap_xuid

from levelup.clock import parse_timestamp
from levelup.config import load_credentials
from levelup.errors import PlayerNotFoundError, UsageError
from levelup.sources.auth import TokenManager
from levelup.sources.base import (
    MATCH_TYPES,
    FetchError,
    HistoryEntry,
    HistoryPage,
    MatchNotFoundError,
    PlayerIdentity,
    SourceCounters,
    normalize_xuid,
    text_value,
)
from levelup.sources.endpoints import SERVICE_RECORD_TYPES
from levelup.sources.http import (
    CLEARANCE_HEADER,
    RECENT_MATCH_WINDOW,
    SPARTAN_HEADER,
    Backoff,
    BufferedResponse,
    NotFoundError,
    Sleep,
    WaypointSession,
    host_map_from_env,
    request_context,
)
from levelup.sources.pace import PaceSettings

__all__ = ["ASSET_TYPES", "PROFILE_BATCH_LIMIT", "WaypointSource"]

# The profile service's GET /users?xuids= takes a bounded list; the callers
# batch by 100 and so do we, whatever they pass.
PROFILE_BATCH_LIMIT = 100
# spnkr's own limiter acquires after each response, per service: set it far
# above ours so it never adds a delay (ours, in the session, is the real one).
_SPNKR_RATE = 10_000
ASSET_TYPES = ("maps", "playlists", "ugcGameVariants", "mapModePairs")
_MATCH_ID_RE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z-]{0,63}$")


def _profile_xuid(value: str) -> str:
    """The digits of an xuid the profile service takes (16 digits only).

    Raises:
        ValueError: not such an xuid (spnkr's InvalidXuidError is one).
    """
    digits = normalize_xuid(value)
    unwrap_xuid(digits)
    return digits


def _humans(xuids: Sequence[str], *, profile: bool = False) -> list[str]:
    """Digits of the valid xuids, in order, without duplicates (bots' ids are dropped);
    with `profile`, only those the profile service takes."""
    found: dict[str, None] = {}
    for value in xuids:
        try:
            found[_profile_xuid(value) if profile else normalize_xuid(value)] = None
        except ValueError:
            continue
    return list(found)


class WaypointSource:
    """The Halo Waypoint API as a `MatchSource`; build it with `from_environment`."""

    name = "api"

    def __init__(self, session: WaypointSession, tokens: TokenManager) -> None:
        """Wrap a session whose token hook is `tokens` (see `from_environment`)."""
        self.session = session
        self.tokens = tokens
        self.counters: SourceCounters = session.counters
        self._recent: set[str] = set()
        # spnkr writes the initial tokens into session.headers; the token
        # manager has already set them (raw tokens) or will at first use.
        spartan = session.headers.get(SPARTAN_HEADER, "")
        clearance = session.headers.get(CLEARANCE_HEADER, "")
        self.client = HaloInfiniteClient(
            session,  # type: ignore[arg-type]
            spartan,
            clearance,
            requests_per_second=_SPNKR_RATE,
        )

    @classmethod
    def from_environment(
        cls,
        requests_per_second: float = 5.0,
        concurrency: int = 4,
        host_map: Mapping[str, str] | None = None,
        sleep: Sleep | None = None,
        *,
        backoff: Backoff | None = None,
        env: Mapping[str, str] | None = None,
        adaptive: PaceSettings | None = None,
    ) -> WaypointSource:
        """A source signed in with the credentials of the environment or config file.

        Nothing is sent before the first call (sign-in happens then).

        Args:
            host_map: host -> loopback base URL (tests); default ``$LEVELUP_HOST_MAP``.
            env: the environment to read (default ``os.environ``).
            adaptive: find the pace (`--requests-per-second auto`) within these bounds.

        Raises:
            ConfigError: no usable credentials (the message says what to set), or a
                bad ``$LEVELUP_HOST_MAP``.
        """
        env = os.environ if env is None else env
        creds = load_credentials(env)
        if host_map is None:
            host_map = host_map_from_env(env)
        session = WaypointSession(
            requests_per_second=requests_per_second,
            concurrency=concurrency,
            host_map=host_map,
            backoff=backoff,
            sleep=sleep,
            adaptive=adaptive,
        )
        tokens = TokenManager(session, creds)
        return cls(session, tokens)

    def __repr__(self) -> str:
        return f"<WaypointSource {self.session!r} credentials={self.tokens.credentials.mode}>"

    def pacing(self) -> dict[str, Any]:
        """The run's pace for reports (fixed, or where `auto` settled)."""
        return self.session.limiter.describe()

    # ------------------------------------------------------------- recent matches

    def is_recent(self, match_id: str) -> bool:
        """Whether a 404 on this match means "not yet published" (a history page said
        it ended within the hour)."""
        return match_id.lower() in self._recent

    def _note_history(self, results: list[Any]) -> None:
        cutoff = dt.datetime.now(dt.UTC) - RECENT_MATCH_WINDOW
        for row in results:
            if not isinstance(row, dict):
                continue
            info = row.get("MatchInfo") if isinstance(row.get("MatchInfo"), dict) else {}
            ended = info.get("EndTime")
            ended = parse_timestamp(ended.strip()) if isinstance(ended, str) else None
            if ended is not None and ended >= cutoff:
                self._recent.add(str(row.get("MatchId", "")).lower())

    # ------------------------------------------------------------- MatchSource

    async def resolve_player(
        self, gamertag: str | None = None, xuid: str | None = None
    ) -> PlayerIdentity:
        """Look a player up in the profile service, by xuid when given, else by gamertag.

        Raises:
            UsageError: neither was given.
        """
        if xuid is not None:
            try:
                digits = _profile_xuid(xuid)
            except ValueError:
                raise PlayerNotFoundError(f"{xuid!r} is not an xuid") from None
            wanted = f"xuid {digits}"
        elif gamertag is not None and gamertag.strip():
            wanted = f"gamertag {gamertag.strip()!r}"
        else:
            raise UsageError("give a gamertag or an xuid to find a player")
        try:
            with request_context(label=f"profile of {wanted}"):
                if xuid is not None:
                    response = await self.client.profile.get_user_by_id(digits)
                else:
                    assert gamertag is not None
                    # Percent-encoded: the gamertag goes into the path (`gt(...)`), where a
                    # `#` (modern gamertags' suffix) or `?` would cut it short.
                    response = await self.client.profile.get_user_by_gamertag(
                        quote(gamertag.strip(), safe="")
                    )
        except NotFoundError:
            raise PlayerNotFoundError(
                f"Halo Waypoint knows no player with {wanted} (check the spelling)"
            ) from None
        data = await self._json(response, f"profile of {wanted}")
        try:
            found = normalize_xuid(data["xuid"])
        except (KeyError, TypeError, ValueError):
            raise FetchError(f"profile of {wanted}: the answer has no xuid") from None
        return PlayerIdentity(found, text_value(data.get("gamertag")))

    async def history_page(
        self, xuid: str, start: int, count: int = 25, match_type: str = "all"
    ) -> HistoryPage:
        """One page of the player's match history; FetchError when it answers nonsense too."""
        if match_type not in MATCH_TYPES:
            raise UsageError(f"match type {match_type!r}: expected one of {MATCH_TYPES}")
        digits = normalize_xuid(xuid)
        label = f"match history page at {start} of xuid {digits}"
        with request_context(label=label):
            response = await self.client.stats.get_match_history(
                f"xuid({digits})",
                start,
                count,
                match_type,  # type: ignore[arg-type]
            )
        data = await self._json(response, label)
        results = data.get("Results")
        if not isinstance(results, list):
            raise FetchError(f"{label}: the answer has no Results list")
        self._note_history(results)
        entries = []
        for row in results:
            if isinstance(row, dict) and row.get("MatchId"):
                info = row.get("MatchInfo") if isinstance(row.get("MatchInfo"), dict) else {}
                start_time = info.get("StartTime")
                entries.append(
                    HistoryEntry(str(row["MatchId"]), str(start_time) if start_time else None)
                )
        page_start = data.get("Start")
        page_count = data.get("Count")
        result_count = data.get("ResultCount")
        return HistoryPage(
            start=page_start if isinstance(page_start, int) else start,
            count=page_count if isinstance(page_count, int) else min(count, 25),
            result_count=result_count if isinstance(result_count, int) else len(results),
            entries=tuple(entries),
        )

    async def match_stats_raw(self, match_id: str, *, recent: bool | None = None) -> bytes:
        """The match's stats, checked to be JSON; AuthError when credentials are refused.

        Args:
            recent: the match ended less than an hour ago (a 404 is then retried on
                the game's policy); default: whether a history page said so.
        """
        if not _MATCH_ID_RE.match(match_id):
            raise MatchNotFoundError(f"match {match_id!r}: not a match id")
        is_recent = self.is_recent(match_id) if recent is None else recent
        with request_context(label=f"match {match_id}", recent=is_recent):
            response = await self.client.stats.get_match_stats(match_id)
        self._recent.discard(match_id.lower())
        return await response.read()

    async def gamertags(self, xuids: Sequence[str]) -> dict[str, str]:
        """Gamertags by digits-only xuid, asked 100 xuids per request at most.

        Bots and malformed ids are left out, as are xuids the service does not know.
        """
        wanted = _humans(xuids, profile=True)
        seen = set(wanted)
        found: dict[str, str] = {}
        for first in range(0, len(wanted), PROFILE_BATCH_LIMIT):
            batch = wanted[first : first + PROFILE_BATCH_LIMIT]
            label = f"gamertags of {len(batch)} players"
            with request_context(label=label):
                response = await self.client.profile.get_users_by_id(batch)
            data = await response.json()
            if not isinstance(data, list):
                raise FetchError(f"{label}: the answer is not a list")
            for user in data:
                name = text_value(user.get("gamertag")) if isinstance(user, dict) else None
                if name is None:
                    continue
                try:
                    digits = normalize_xuid(user.get("xuid", ""))
                except ValueError:
                    continue
                if digits in seen:
                    found[digits] = name
        return found

    async def asset_name(self, asset_type: str, asset_id: str, version_id: str) -> str | None:
        """PublicName of a discovery asset version, or None when the service has none (404).

        Raises:
            ValueError: `asset_type` is not one of `ASSET_TYPES`.
        """
        getters = {
            "maps": self.client.discovery_ugc.get_map,
            "playlists": self.client.discovery_ugc.get_playlist,
            "ugcGameVariants": self.client.discovery_ugc.get_ugc_game_variant,
            "mapModePairs": self.client.discovery_ugc.get_map_mode_pair,
        }
        if asset_type not in getters:
            raise ValueError(f"asset type {asset_type!r}: expected one of {ASSET_TYPES}")
        label = f"{asset_type} {asset_id} version {version_id}"
        try:
            with request_context(label=label):
                response = await getters[asset_type](asset_id, version_id)
        except NotFoundError:
            return None
        data = await self._json(response, label)
        return text_value(data.get("PublicName"))

    async def medal_metadata_raw(self) -> bytes | None:
        """GET gamecms-hacs /hi/Waypoint/file/medals/metadata.json, unparsed; None on 404."""
        return await self._body("medal metadata", self.client.gamecms_hacs.get_medal_metadata())

    async def match_skill_raw(
        self, match_id: str, xuids: Sequence[str], *, recent: bool | None = None
    ) -> bytes | None:
        """Bots' ids are never sent (the service rejects them); a 404 of a match
        that just ended is retried like its stats."""
        if not _MATCH_ID_RE.match(match_id):
            raise MatchNotFoundError(f"match {match_id!r}: not a match id")
        humans = _humans(xuids)
        if not humans:
            raise MatchNotFoundError(f"skill of match {match_id}: no human player to ask for")
        label = f"skill of match {match_id}"
        is_recent = self.is_recent(match_id) if recent is None else recent
        request = self.client.skill.get_match_skill(match_id, humans)
        body = await self._body(label, request, recent=is_recent)
        if body is None:
            raise MatchNotFoundError(f"{label}: not found (HTTP 404 from the skill service)")
        return body

    async def playlist_csr_raw(self, playlist_id: str, xuids: Sequence[str]) -> bytes | None:
        """Bots' ids are never sent; a 404 is MatchNotFoundError."""
        label = f"CSR of playlist {playlist_id}"
        humans = _humans(xuids)
        if not humans:
            raise MatchNotFoundError(f"{label}: no player to ask for")
        body = await self._body(label, self.client.skill.get_playlist_csr(playlist_id, humans))
        if body is None:
            raise MatchNotFoundError(f"{label}: not found (HTTP 404 from the skill service)")
        return body

    async def match_count_raw(self, xuid: str) -> bytes | None:
        """GET halostats /hi/players/xuid(X)/matches/count, unparsed; None on 404."""
        digits = normalize_xuid(xuid)
        request = self.client.stats.get_match_count(f"xuid({digits})")
        return await self._body(f"match count of xuid {digits}", request)

    async def service_record_raw(self, xuid: str, match_type: str) -> bytes | None:
        """GET halostats /hi/players/xuid(X)/{match_type}/servicerecord, unparsed;
        None on 404.

        Raises:
            ValueError: `match_type` is not matchmade, custom or local.
        """
        if match_type not in SERVICE_RECORD_TYPES:
            raise ValueError(f"match type {match_type!r}: expected one of {SERVICE_RECORD_TYPES}")
        digits = normalize_xuid(xuid)
        request = self.client.stats.get_service_record(
            f"xuid({digits})",
            match_type,  # type: ignore[arg-type]
        )
        return await self._body(f"{match_type} service record of xuid {digits}", request)

    async def aclose(self) -> None:
        """Close the HTTP connections."""
        await self.session.close()

    @staticmethod
    async def _body(label: str, request: Awaitable[Any], *, recent: bool = False) -> bytes | None:
        """The unparsed body of one spnkr request, named `label` in messages; None on 404."""
        try:
            with request_context(label=label, recent=recent):
                response = await request
        except NotFoundError:
            return None
        return await response.read()

    @staticmethod
    async def _json(response: Any, label: str) -> dict[str, Any]:
        inner = getattr(response, "response", response)
        assert isinstance(inner, BufferedResponse)
        data = await inner.json()
        if not isinstance(data, dict):
            raise FetchError(f"{label}: the answer is not a JSON object")
        return data
