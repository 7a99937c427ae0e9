"""Match JSON served from a directory of recorded API responses.

Layout of a recorded directory (the contract shared with the demo generator and
the fake Waypoint server):

- ``players.json``: ``[{"gamertag": "...", "xuid": "<digits>" or "xuid(<digits>)"}]``.
- ``matches/<match_id>.json``: bodies of GET /hi/matches/{id}/stats.
- optional ``history/<xuid>/*.json``: bodies of the match history endpoint. When a
  player has such files, their history is the union of the files' ``Results``
  (deduplicated by MatchId); otherwise it is every match file whose ``Players[]``
  contains the exact ``xuid(<digits>)``.
- optional ``profiles.json``: ``[{"xuid": "<digits>", "gamertag": "..."}]``.
- optional ``assets/<asset_id>/<version_id>.json``: discovery asset bodies.
- optional ``medals.json``: the medal metadata document.
- optional ``skill/<match_id>.json``: bodies of the skill service's
  GET /hi/matches/{id}/skill for every human of the match (a request gets the
  entries of the players it names), and ``playlist_csr/<playlist_id>.json``
  (GET /hi/playlist/{id}/csrs). A directory without the folder has no skill
  service; with it, a missing file is a match the service does not know.

Every document endpoint is served from its description in
`levelup.sources.endpoints` (`RecordedDirectory.document`).

A history built from match files needs who played each match, and parsing every
file on every page request would be far too slow. So each file is read once into
one line of an index (what a history row needs), kept in memory and in
``.index.json`` beside the files, keyed by file name, mtime and size: a later
process reads only the files that changed. Reading one match never touches it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
import tempfile
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from levelup.clock import parse_timestamp
from levelup.errors import ConfigError, PlayerNotFoundError, UsageError
from levelup.sources.base import (
    LIFECYCLE_BY_MATCH_TYPE,
    HistoryEntry,
    HistoryPage,
    MatchNotFoundError,
    PlayerIdentity,
    SourceCounters,
    SourceError,
    normalize_xuid,
    text_value,
)
from levelup.sources.endpoints import (
    ASSET,
    MATCH_COUNT,
    MATCH_SKILL,
    MATCH_STATS,
    MEDAL_METADATA,
    PLAYLIST_CSR,
    SERVICE_RECORD,
    Endpoint,
    players_answer,
)

__all__ = [
    "INDEX_FILE_NAME",
    "MAX_PAGE_SIZE",
    "RecordedDirectory",
    "RecordedSource",
]

logger = logging.getLogger(__name__)

# The history endpoint never returns more than 25 rows, whatever `count` asks for.
MAX_PAGE_SIZE = 25
INDEX_FILE_NAME = ".index.json"
# The first line of the index; 2: JSON lines, one per match file (1 was one JSON document).
_INDEX_HEADER = {"version": 2}

# One line of the index (a JSON list in the file): (file name, mtime_ns, size, StartTime,
# LifecycleMode, MatchInfo as JSON text, ((xuid digits, LastTeamId, Outcome, Rank,
# PresentAtCompletion), ... one per human)). Tuples of plain values: the garbage
# collector stops tracking them, and the sync collects often.
_Entry = tuple[Any, ...]


class UnreadableMatchError(SourceError):
    """A match the directory lists cannot be read as a match: it fails alone (exit 1),
    with the reason, and is retried by the next run."""


_EXPECTED_LAYOUT = (
    "expected a directory holding players.json and/or matches/<match_id>.json "
    "(optional: history/<xuid>/*.json, profiles.json, assets/<asset_id>/<version_id>.json)"
)

_PLACEHOLDER_GAMERPIC = {
    size: f"https://images-eds-ssl.xboxlive.com/image?url=placeholder&format=png&w={px}&h={px}"
    for size, px in (("small", 64), ("medium", 208), ("large", 424), ("xlarge", 1080))
}


def _time_key(start_time: str | None) -> float:
    """Sort key of an ISO-8601 start time: plain string order is wrong when the
    fraction has a varying number of digits ("...27Z" vs "...27.1Z")."""
    parsed = parse_timestamp(start_time)
    return float("-inf") if parsed is None else parsed.timestamp()


def _xuid_or_none(value: Any) -> str | None:
    if value is None:
        return None
    try:
        return normalize_xuid(value)
    except ValueError:
        return None


def _object(value: Any, what: str) -> dict[str, Any]:
    """A JSON object the index reads, {} when absent.

    Raises:
        ValueError: present but not an object (the file cannot be indexed).
    """
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValueError(f"{what} is a {type(value).__name__}, not an object")
    return value


def _history_fields(doc: Any) -> _Entry:
    """(StartTime, LifecycleMode, MatchInfo as JSON text, humans) of a match document.

    Raises:
        ValueError: a field the history needs has the wrong type (the reason the
            match fails when fetched).
    """
    if not isinstance(doc, dict):
        raise ValueError(f"the JSON document is a {type(doc).__name__}, not an object")
    info = _object(doc.get("MatchInfo"), "MatchInfo")
    start = info.get("StartTime")
    if start is not None and not isinstance(start, str):
        raise ValueError(f"MatchInfo.StartTime is not a timestamp: {start!r}")
    lifecycle = info.get("LifecycleMode")
    if lifecycle is not None and type(lifecycle) is not int:
        raise ValueError(f"MatchInfo.LifecycleMode is not a whole number: {lifecycle!r}")
    players = doc.get("Players")
    if players is not None and not isinstance(players, list):
        raise ValueError(f"Players is a {type(players).__name__}, not a list")
    humans: dict[str, tuple[Any, ...]] = {}
    for player in players or ():
        if not isinstance(player, dict):
            continue
        xuid = _xuid_or_none(player.get("PlayerId"))
        if xuid is None or xuid in humans:  # bots ("bid(8.0)") have no xuid
            continue
        what = f"ParticipationInfo of {player.get('PlayerId')}"
        present = _object(player.get("ParticipationInfo"), what).get("PresentAtCompletion")
        team, outcome, rank = (player.get(k) for k in ("LastTeamId", "Outcome", "Rank"))
        # One string object per xuid: the same few hundred people play thousands of matches.
        humans[xuid] = (sys.intern(xuid), team, outcome, rank, present)
    return start, lifecycle, orjson.dumps(info).decode(), tuple(humans.values())


def _loaded_entry(line: bytes) -> _Entry:
    """An index line read back from the file, each xuid one string object again (see
    `_history_fields`).

    Raises:
        TypeError, ValueError: not an index line (a damaged or foreign file).
    """
    name, mtime, size, start, lifecycle, info, humans = orjson.loads(line)
    if not all(isinstance(v, t) for v, t in ((name, str), (start, str | None), (info, str))):
        raise ValueError("not an index line")
    humans = tuple((sys.intern(xuid), *rest) for xuid, *rest in humans)
    if any(len(human) != 5 for human in humans):
        raise ValueError("not an index line")
    return name, mtime, size, start, lifecycle, info, humans


@dataclass(frozen=True, slots=True)
class _Row:
    """One match of a player's history: from the index (`info`, `human`), a history
    file's row (`result`, verbatim), or a match that cannot be read (`unreadable`
    says why: it is listed in every history and filter, and fails when fetched)."""

    match_id: str
    start_time: str | None
    lifecycle_mode: int | None
    result: dict[str, Any] | None = None
    info: str | None = None
    human: tuple[Any, ...] | None = None
    unreadable: str | None = None

    def to_result(self) -> dict[str, Any]:
        """The row in the API's history shape."""
        if self.result is not None:
            return self.result
        assert self.info is not None and self.human is not None
        _, team, outcome, rank, present = self.human
        return {
            "MatchId": self.match_id,
            "MatchInfo": orjson.loads(self.info),
            "LastTeamId": team,
            "Outcome": outcome,
            "Rank": rank,
            "PresentAtEndOfMatch": present,
        }


def _newest_first(rows: Iterable[_Row]) -> list[_Row]:
    """Newest first; the match id breaks ties so pages are stable across calls."""
    return sorted(rows, key=lambda r: (-_time_key(r.start_time), r.match_id))


def _history_file_row(result: Any, where: str) -> _Row | None:
    """One row of a history file's `Results`; a row with a match id but fields of the
    wrong type is kept as unreadable (the match then fails with the reason)."""
    match_id = result.get("MatchId") if isinstance(result, dict) else None
    if not isinstance(match_id, str) or not match_id:
        logger.warning("%s has no MatchId text; not a match of the history", where)
        return None
    problem = None
    info = result.get("MatchInfo")
    if info is None:
        info = {}
    elif not isinstance(info, dict):
        problem, info = f"MatchInfo is a {type(info).__name__}, not an object", {}
    start = info.get("StartTime")
    if start is not None and not isinstance(start, str):
        problem, start = f"MatchInfo.StartTime is not a timestamp: {start!r}", None
    lifecycle = info.get("LifecycleMode")
    if lifecycle is not None and type(lifecycle) is not int:
        problem = f"MatchInfo.LifecycleMode is not a whole number: {lifecycle!r}"
        lifecycle = None
    why = f"the recorded history row {where} is not readable: {problem}" if problem else None
    return _Row(match_id, start, lifecycle, result=result, unreadable=why)


class _MatchIndex:
    """The index of one directory's match files, shared by the process's
    `RecordedDirectory` objects of it (see `_INDEXES`); thread-safe, because the fake
    server builds it in an executor thread while tests read it."""

    def __init__(self, root: Path) -> None:
        self._folder = root / "matches"
        self._file = root / INDEX_FILE_NAME
        self._lock = threading.Lock()
        self._entries: dict[str, _Entry] = {}  # file name -> its line
        self._stats: dict[str, tuple[int, int]] | None = None  # the last listing
        self._folder_mtime: int | None = None
        self._rows: dict[str, list[_Row]] = {}  # per player, until the files change
        # Match id -> why its file cannot be read as a match.
        self.unreadable: dict[str, str] = {}
        self.files_parsed = 0  # observable by tests

    def __len__(self) -> int:
        return len(self._entries)

    def ensure_fresh(self, full_check: bool) -> None:
        """Bring the index up to date with the files; only new or changed ones are read.

        The files are listed again when the folder's mtime changed (files added,
        removed or replaced) and on `full_check`, which each new `RecordedDirectory`
        asks for once, so that files edited in place are seen too.
        """
        with self._lock:
            try:
                mtime: int | None = self._folder.stat().st_mtime_ns
            except FileNotFoundError:
                mtime = None
            if full_check or self._stats is None or mtime != self._folder_mtime:
                self._folder_mtime = mtime
                self._refresh({} if mtime is None else self._listing())

    def _listing(self) -> dict[str, tuple[int, int]]:
        """File name -> (mtime_ns, size) of every match file."""
        listing = {}
        with os.scandir(self._folder) as it:
            for entry in it:
                if entry.name.endswith(".json") and not entry.name.startswith("."):
                    stat = entry.stat()
                    listing[entry.name] = (stat.st_mtime_ns, stat.st_size)
        return listing

    def _refresh(self, listing: dict[str, tuple[int, int]]) -> None:
        if self._stats is None:
            self._entries, stale = self._load(listing)
        elif listing == self._stats:
            return
        else:
            stale = False
        entries = {n: e for n, e in self._entries.items() if listing.get(n) == (e[1], e[2])}
        stale = stale or len(entries) < len(self._entries)
        unreadable = {}
        for name, stat in listing.items():
            if name in entries:
                continue
            self.files_parsed += 1
            stale = True
            try:
                with open(self._folder / name, "rb") as fh:
                    entries[name] = (name, *stat, *_history_fields(orjson.loads(fh.read())))
            except (OSError, ValueError) as exc:  # orjson.JSONDecodeError is a ValueError
                unreadable[name[: -len(".json")]] = (
                    f"the recorded file matches/{name} is not a readable match: {exc}"
                )
                logger.warning(
                    "unreadable match file %s (reported as a failed match): %s", name, exc
                )
        self._entries, self._stats, self._rows, self.unreadable = entries, listing, {}, unreadable
        if stale:
            self._save()

    def _load(self, listing: dict[str, tuple[int, int]]) -> tuple[dict[str, _Entry], bool]:
        """The persisted lines whose file is unchanged, and whether the file holds others.

        Read one line at a time: one JSON document for thousands of matches built a
        tree many times the file's size for a moment.
        """
        entries: dict[str, _Entry] = {}
        stale = False
        try:
            with open(self._file, "rb") as fh:
                if orjson.loads(fh.readline()) != _INDEX_HEADER:
                    return {}, False
                for line in fh:
                    try:
                        entry = _loaded_entry(line)
                    except (TypeError, ValueError):
                        entry = None
                    if entry is not None and listing.get(entry[0]) == (entry[1], entry[2]):
                        entries[entry[0]] = entry
                    else:
                        stale = True
        except (OSError, ValueError):
            pass
        return entries, stale

    def _save(self) -> None:
        """Write the index (a temporary file renamed over the old one); a directory
        that cannot be written to simply has none."""
        try:
            fd, tmp = tempfile.mkstemp(prefix=".index.", suffix=".tmp", dir=self._file.parent)
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(orjson.dumps(_INDEX_HEADER) + b"\n")
                    for entry in self._entries.values():
                        fh.write(orjson.dumps(entry, option=orjson.OPT_APPEND_NEWLINE))
                os.chmod(tmp, 0o644)  # mkstemp's 0600 would hide it from other users
                os.replace(tmp, self._file)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
        except OSError as exc:
            logger.debug("could not persist %s: %s", self._file, exc)

    def rows(self, xuid: str) -> list[_Row]:
        """The player's matches and every unreadable match file, newest first.

        Built for the asked player only (a sync asks for one), and kept until the
        files change. An unreadable file's player cannot be known, so every history
        lists it, at the end (its start time is unknown), and the sync reports it as
        a failed match instead of skipping it unseen.
        """
        with self._lock:
            rows = self._rows.get(xuid)
            if rows is None:
                played = (
                    _Row(e[0][: -len(".json")], e[3], e[4], info=e[5], human=human)
                    for e in self._entries.values()
                    for human in e[6]
                    if human[0] == xuid
                )
                bad = (
                    _Row(match_id, None, None, result={"MatchId": match_id}, unreadable=why)
                    for match_id, why in self.unreadable.items()
                )
                rows = self._rows[xuid] = _newest_first([*played, *bad])
            return rows


_INDEXES: dict[Path, _MatchIndex] = {}
_INDEXES_LOCK = threading.Lock()


def _shared_index(root: Path) -> _MatchIndex:
    with _INDEXES_LOCK:
        return _INDEXES.setdefault(root, _MatchIndex(root))


class RecordedDirectory:
    """Synchronous access to a recorded-responses directory.

    Shared by `RecordedSource` (in-process) and the fake Waypoint server (over
    HTTP), so both serve exactly the same histories, profiles and documents.
    Methods are thread-safe.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        """Open a recorded directory (its match index, ``DIR/.index.json``, is written
        when a history first needs it; a read-only directory simply keeps none).

        Raises:
            ConfigError: the directory is missing, or holds neither players.json nor matches/.
        """
        root = Path(path).expanduser()
        if not root.is_dir():
            what = "is not a directory" if root.exists() else "does not exist"
            raise ConfigError(f"recorded directory {root} {what}: {_EXPECTED_LAYOUT}")
        if not (root / "players.json").is_file() and not (root / "matches").is_dir():
            raise ConfigError(
                f"recorded directory {root} has no players.json and no matches/: {_EXPECTED_LAYOUT}"
            )
        self.path = root.resolve()
        self._index = _shared_index(self.path)
        self._index_checked = False
        self._players: list[PlayerIdentity] | None = None
        self._profiles: dict[str, dict[str, Any]] | None = None
        self._history_cache: dict[str, tuple[tuple[Any, ...], list[_Row]]] = {}
        # Lower-case match id -> why it cannot be read, from the match files ("") and
        # from each player's history files (their xuid), as last served.
        self._unreadable: dict[str, dict[str, str]] = {"": {}}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"RecordedDirectory({str(self.path)!r})"

    # ----------------------------------------------------------------- players

    def _read_json_list(self, name: str) -> list[Any]:
        file = self.path / name
        try:
            data = orjson.loads(file.read_bytes())
        except FileNotFoundError:
            return []
        except (OSError, ValueError) as exc:
            raise ConfigError(f"{file} is not valid JSON: {exc}") from exc
        if not isinstance(data, list):
            raise ConfigError(f"{file} must hold a JSON list of {{xuid, gamertag}} objects")
        return data

    def _identities(self, name: str) -> list[PlayerIdentity]:
        out: list[PlayerIdentity] = []
        for item in self._read_json_list(name):
            xuid = _xuid_or_none(item.get("xuid")) if isinstance(item, dict) else None
            if xuid is None:
                raise ConfigError(f"{self.path / name}: entry without a valid xuid: {item!r}")
            out.append(PlayerIdentity(xuid, text_value(item.get("gamertag"))))
        return out

    def players(self) -> list[PlayerIdentity]:
        """The players of players.json, in file order.

        Raises:
            ConfigError: players.json is not a list of {xuid, gamertag} objects.
        """
        with self._lock:
            if self._players is None:
                self._players = self._identities("players.json")
            return list(self._players)

    def _profile_map(self) -> dict[str, dict[str, Any]]:
        """Profiles by xuid: players.json entries, overridden by profiles.json ones."""
        with self._lock:
            if self._profiles is None:
                profiles: dict[str, dict[str, Any]] = {}
                for ident in self._identities("players.json"):
                    if ident.gamertag:
                        profiles[ident.xuid] = {"xuid": ident.xuid, "gamertag": ident.gamertag}
                for item in self._read_json_list("profiles.json"):
                    xuid = _xuid_or_none(item.get("xuid")) if isinstance(item, dict) else None
                    name = text_value(item.get("gamertag")) if xuid is not None else None
                    if xuid is None or name is None:
                        continue
                    profiles[xuid] = {**item, "xuid": xuid, "gamertag": name}
                self._profiles = profiles
            return self._profiles

    def find_player(self, gamertag: str | None = None, xuid: str | None = None) -> PlayerIdentity:
        """Resolve a player by xuid (preferred when given) or gamertag (case-insensitive).

        Looks in players.json, then profiles.json; an xuid known only from match
        files or history files resolves with a None gamertag.

        Raises:
            UsageError: neither a gamertag nor an xuid was given.
            PlayerNotFoundError: the directory does not know the player.
        """
        if xuid is not None:
            try:
                digits = normalize_xuid(xuid)
            except ValueError as exc:
                raise PlayerNotFoundError(f"{xuid!r} is not an xuid") from exc
            for ident in self.players():
                if ident.xuid == digits:
                    return ident
            profile = self._profile_map().get(digits)
            if profile is not None:
                return PlayerIdentity(digits, profile["gamertag"])
            if self._history_files(digits) or any(
                r.unreadable is None for r in self._fresh_index().rows(digits)
            ):
                return PlayerIdentity(digits, None)
            raise PlayerNotFoundError(
                f"no player with xuid {digits} in {self.path} "
                "(not in players.json, profiles.json, history/ or any match file)"
            )
        if gamertag is None or not gamertag.strip():
            raise UsageError("give a gamertag or an xuid to find a player")
        wanted = gamertag.strip().casefold()
        for ident in self.players():
            if ident.gamertag is not None and ident.gamertag.casefold() == wanted:
                return ident
        for digits, profile in self._profile_map().items():
            if profile["gamertag"].casefold() == wanted:
                return PlayerIdentity(digits, profile["gamertag"])
        known = sorted(p.gamertag for p in self.players() if p.gamertag)
        hint = f" (known: {', '.join(known[:10])})" if known else ""
        raise PlayerNotFoundError(
            f"no player with gamertag {gamertag!r} in {self.path / 'players.json'} "
            f"or profiles.json{hint}"
        )

    def profiles(self, xuids: Iterable[str | int]) -> list[dict[str, Any]]:
        """Profiles in the shape of GET /users?xuids=, in request order; unknown
        xuids (and bots' ids) are left out, as the profile service does."""
        known = self._profile_map()
        out: list[dict[str, Any]] = []
        seen: set[str] = set()
        for raw in xuids:
            xuid = _xuid_or_none(raw)
            if xuid is None or xuid in seen or xuid not in known:
                continue
            seen.add(xuid)
            profile = dict(known[xuid])
            profile.setdefault("gamerpic", dict(_PLACEHOLDER_GAMERPIC))
            out.append(profile)
        return out

    # ----------------------------------------------------------------- matches

    def has_service(self, endpoint: Endpoint) -> bool:
        """Whether the directory serves an endpoint at all: its folder (or, for a
        top-level file, the file) exists. Endpoints that are not optional always are."""
        if not endpoint.optional_service:
            return True
        return (self.path / (endpoint.folder or endpoint.recorded)).exists()

    def document(self, endpoint: Endpoint, **params: str) -> bytes | None:
        """The recorded body of one request to a described endpoint, read from its own file.

        Returns None when the directory has no such service (see `has_service`). A
        document keyed by a match id is found whatever case its file name spells
        the id in (`_other_case`), as a match file is.

        Raises:
            MatchNotFoundError: no file for these parameters, or an id that
                cannot be a file name (path traversal attempt).
        """
        relative = endpoint.recorded_file(**params)
        what = f"{endpoint.name} {' '.join(str(v) for v in params.values())}"
        if relative is None:
            raise MatchNotFoundError(f"{what} not found: not a valid id")
        path = self.path / relative
        # `skill/ABC....json` for match abc...: match ids only (a miss lists the folder).
        body = self._read(path, any_case="match_id" in params)
        if body is None:
            if not self.has_service(endpoint):
                return None
            raise MatchNotFoundError(f"{what} not found: no {path}")
        return body

    def match_path(self, match_id: str) -> Path:
        """Where the stats document of `match_id` lives (whether or not it exists).

        Raises:
            MatchNotFoundError: the id cannot be a file name (path traversal attempt).
        """
        relative = MATCH_STATS.recorded_file(match_id=match_id)
        if relative is None:
            raise MatchNotFoundError(f"match {match_id!r} not found: not a valid match id")
        return self.path / relative

    def match_bytes(self, match_id: str) -> bytes:
        """The stats document of one match, read from its own file only.

        Raises:
            MatchNotFoundError: there is no ``matches/<match_id>.json``.
        """
        path = self.match_path(match_id)
        body = self._read(path, any_case=True)
        if body is None:
            raise MatchNotFoundError(f"match {match_id} not found: no {path}")
        return body

    def _read(self, path: Path, *, any_case: bool) -> bytes | None:
        """A file's bytes; with `any_case`, those of the one file whose name differs
        only in case when `path` itself is missing (`_other_case`); None: no file."""
        try:
            with open(path, "rb") as fh:
                return fh.read()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            other = self._other_case(path) if any_case else None
            if other is None:
                return None
        with open(other, "rb") as fh:
            return fh.read()

    def _other_case(self, path: Path) -> Path | None:
        """The file whose name differs from `path`'s only in case, if exactly one does.

        Match ids are GUIDs, compared and stored lower-case: a sync asks for
        `abc...` even when the file is `ABC....json` (the API does not care either).
        Only reached when the exact name is missing (a match or skill file that is
        not there is a failure of that match), so the listing costs nothing on the
        common path.
        """
        wanted = path.name.casefold()
        try:
            names = [n for n in os.listdir(path.parent) if n.casefold() == wanted]
            names = [n for n in names if (path.parent / n).is_file()]
        except OSError:
            return None
        return path.parent / names[0] if len(names) == 1 else None

    def asset(self, asset_type: str, asset_id: str, version_id: str) -> dict[str, Any] | None:
        """A discovery asset body from ``assets/<asset_id>/<version_id>.json``, or None.

        `asset_type` ("maps", "playlists", ...) is not part of the path: asset ids
        are unique across types.

        Raises:
            ConfigError: the file exists but is not a JSON object.
        """
        try:
            body = self.document(
                ASSET, asset_type=asset_type, asset_id=asset_id, version_id=version_id
            )
        except MatchNotFoundError:
            return None
        file = self.path / "assets" / asset_id / f"{version_id}.json"
        try:
            data = orjson.loads(body or b"")
        except ValueError as exc:
            raise ConfigError(f"{file} is not valid JSON: {exc}") from exc
        if not isinstance(data, dict):
            raise ConfigError(f"{file} must hold a JSON object")
        return data

    # ----------------------------------------------------------------- history

    def _fresh_index(self) -> _MatchIndex:
        with self._lock:
            full_check, self._index_checked = not self._index_checked, True
        self._index.ensure_fresh(full_check)
        return self._index

    def build_index(self) -> int:
        """Scan (or refresh) the match index now rather than on the first history
        request; returns the number of indexed matches."""
        return len(self._fresh_index())

    @property
    def index_files_parsed(self) -> int:
        """How many match files this process's index scans have parsed (for tests)."""
        return self._index.files_parsed

    def _history_files(self, xuid: str) -> list[Path]:
        for name in (xuid, f"xuid({xuid})"):
            folder = self.path / "history" / name
            if folder.is_dir():
                return sorted(p for p in folder.glob("*.json") if p.is_file())
        return []

    def _rows_from_history_files(self, xuid: str, files: list[Path]) -> list[_Row]:
        """The union of the files' rows (the first of each match id), newest first;
        read again only when a file changed."""
        key = tuple((f.name, f.stat().st_mtime_ns, f.stat().st_size) for f in files)
        with self._lock:
            cached = self._history_cache.get(xuid)
        if cached is not None and cached[0] == key:
            return cached[1]
        by_id: dict[str, _Row] = {}
        for file in files:
            try:
                body = orjson.loads(file.read_bytes())
            except (OSError, ValueError) as exc:
                raise ConfigError(f"{file} is not valid JSON: {exc}") from exc
            results = body.get("Results") if isinstance(body, dict) else None
            if not isinstance(results, list):
                raise ConfigError(f"{file} is not a match history body (no Results list)")
            for index, result in enumerate(results):
                row = _history_file_row(result, f"{file.name}: Results[{index}]")
                if row is not None:
                    by_id.setdefault(row.match_id, row)
        rows = _newest_first(by_id.values())
        with self._lock:
            self._history_cache[xuid] = (key, rows)
            self._unreadable[xuid] = {
                r.match_id.lower(): r.unreadable for r in rows if r.unreadable
            }
        return rows

    def _history_rows(self, xuid: str | int, match_type: str) -> list[_Row]:
        if match_type not in LIFECYCLE_BY_MATCH_TYPE:
            raise UsageError(
                f"unknown match type {match_type!r}: "
                f"expected one of {', '.join(LIFECYCLE_BY_MATCH_TYPE)}"
            )
        digits = normalize_xuid(xuid)
        files = self._history_files(digits)
        if files:
            rows = self._rows_from_history_files(digits, files)
        else:
            index = self._fresh_index()
            rows = index.rows(digits)
            with self._lock:  # replaced whole: a repaired file is readable again
                self._unreadable[""] = {m.lower(): why for m, why in index.unreadable.items()}
        modes = LIFECYCLE_BY_MATCH_TYPE[match_type]
        if modes is None:
            return rows
        # A row whose type cannot be read belongs to every filter: none may skip it unseen.
        return [r for r in rows if r.unreadable or r.lifecycle_mode in modes]

    def unreadable_reason(self, match_id: str) -> str | None:
        """Why a match listed in a history this directory served cannot be read, if so
        (a sync asks for the history before it fetches any match)."""
        key = match_id.lower()
        with self._lock:
            return next((r[key] for r in self._unreadable.values() if key in r), None)

    def _page(
        self, xuid: str | int, start: int, count: int, match_type: str
    ) -> tuple[int, int, list[_Row]]:
        """(start, count capped at 25, the page's rows).

        Raises:
            ValueError: `xuid` is not an xuid.
            UsageError: unknown match type, negative start or count.
        """
        if start < 0 or count < 0:
            raise UsageError(f"start and count must be >= 0 (got start={start}, count={count})")
        count = min(count, MAX_PAGE_SIZE)
        return start, count, self._history_rows(xuid, match_type)[start : start + count]

    def history_page(
        self, xuid: str | int, start: int = 0, count: int = MAX_PAGE_SIZE, match_type: str = "all"
    ) -> dict[str, Any]:
        """One page of a player's history in the API's shape, newest first (see `_page`);
        ``ResultCount < Count`` marks the last page."""
        start, count, rows = self._page(xuid, start, count, match_type)
        return {
            "Start": start,
            "Count": count,
            "ResultCount": len(rows),
            "Results": [row.to_result() for row in rows],
            "Links": {},
        }

    def history_entries(
        self, xuid: str | int, start: int = 0, count: int = MAX_PAGE_SIZE, match_type: str = "all"
    ) -> HistoryPage:
        """The same page as `history_page`, as a `HistoryPage` (no MatchInfo built)."""
        start, count, rows = self._page(xuid, start, count, match_type)
        entries = tuple(HistoryEntry(r.match_id, r.start_time) for r in rows)
        return HistoryPage(start=start, count=count, result_count=len(rows), entries=entries)

    def match_counts(self, xuid: str | int) -> dict[str, int]:
        """Counts by match type, in the shape of GET /hi/players/{p}/matches/count."""
        return {
            "CustomMatchesPlayedCount": len(self._history_rows(xuid, "custom")),
            "MatchesPlayedCount": len(self._history_rows(xuid, "all")),
            "MatchmadeMatchesPlayedCount": len(self._history_rows(xuid, "matchmaking")),
            "LocalMatchesPlayedCount": len(self._history_rows(xuid, "local")),
        }


class RecordedSource:
    """`MatchSource` over a recorded directory: the whole pipeline, no network.

    `match_stats_raw` opens exactly the one file asked for; only history (and
    resolving an xuid that is in no player list) touches the match index.
    """

    def __init__(self, path: str | os.PathLike[str] | RecordedDirectory) -> None:
        """Open the source.

        Raises:
            ConfigError: see `RecordedDirectory`.
        """
        self.directory = path if isinstance(path, RecordedDirectory) else RecordedDirectory(path)
        self.name = f"recorded:{self.directory.path}"
        self.counters = SourceCounters()

    async def resolve_player(
        self, gamertag: str | None = None, xuid: str | None = None
    ) -> PlayerIdentity:
        """See `RecordedDirectory.find_player`."""
        self.counters.calls["profile"] += 1
        return await asyncio.to_thread(self.directory.find_player, gamertag, xuid)

    async def history_page(
        self, xuid: str, start: int, count: int = MAX_PAGE_SIZE, match_type: str = "all"
    ) -> HistoryPage:
        """In a worker thread: the first call may build the index."""
        self.counters.calls["history"] += 1
        return await asyncio.to_thread(
            self.directory.history_entries, xuid, start, count, match_type
        )

    async def match_stats_raw(self, match_id: str) -> bytes:
        """The match's file, unparsed; a match the history listed as unreadable fails."""
        self.counters.calls["match_stats"] += 1
        reason = self.directory.unreadable_reason(match_id)
        if reason is not None:
            raise UnreadableMatchError(f"match {match_id}: {reason}")
        return self.directory.match_bytes(match_id)

    async def gamertags(self, xuids: Sequence[str]) -> dict[str, str]:
        """Gamertags from profiles.json and players.json; unknown xuids are left out."""
        self.counters.calls["profile"] += 1
        return {p["xuid"]: p["gamertag"] for p in self.directory.profiles(xuids)}

    async def asset_name(self, asset_type: str, asset_id: str, version_id: str) -> str | None:
        """PublicName of ``assets/<asset_id>/<version_id>.json``, or None."""
        self.counters.calls["discovery"] += 1
        asset = self.directory.asset(asset_type, asset_id, version_id)
        if asset is None:
            return None
        return text_value(asset.get("PublicName"))

    async def medal_metadata_raw(self) -> bytes | None:
        """``medals.json``, or None: a directory without it has no medal names."""
        return self._serve(MEDAL_METADATA)

    async def match_skill_raw(self, match_id: str, xuids: Sequence[str]) -> bytes | None:
        """``skill/<match_id>.json`` cut to the players asked; None without ``skill/``."""
        return self._serve(MATCH_SKILL, xuids, match_id=match_id)

    async def playlist_csr_raw(self, playlist_id: str, xuids: Sequence[str]) -> bytes | None:
        """``playlist_csr/<playlist_id>.json`` cut to the players asked; None without the folder."""
        return self._serve(PLAYLIST_CSR, xuids, playlist_id=playlist_id)

    async def match_count_raw(self, xuid: str) -> bytes | None:
        """``matches_count/<xuid>.json``; None without the folder or the player's file
        (a directory that records no count claims nothing)."""
        return self._serve_optional(MATCH_COUNT, player=xuid)

    async def service_record_raw(self, xuid: str, match_type: str) -> bytes | None:
        """``service_record/<xuid>/<match_type>.json``; None when not recorded."""
        return self._serve_optional(SERVICE_RECORD, player=xuid, match_type=match_type)

    def _serve_optional(self, endpoint: Endpoint, **params: str) -> bytes | None:
        """A per-player document a directory may record for some players only."""
        try:
            return self._serve(endpoint, **params)
        except MatchNotFoundError:
            return None

    def _serve(
        self, endpoint: Endpoint, players: Sequence[str] | None = None, **params: str
    ) -> bytes | None:
        """One request to a described endpoint, counted like the API's."""
        body = self.directory.document(endpoint, **params)
        if body is None:
            return None
        self.counters.calls[endpoint.name] += 1
        return players_answer(body, players) if endpoint.per_player and players else body

    async def aclose(self) -> None:
        """Nothing to release: files are opened and closed per call."""
