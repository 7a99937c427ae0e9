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
`levelup.sources.endpoints` (`RecordedDirectory.document`): the file layout
above is the `recorded` template of each description.

Building a history from match files needs to know who played each match. Parsing
thousands of 40 KB documents on every page request would be far too slow, so the
directory is scanned once into a compact index (match id, start time, lifecycle
mode, MatchInfo and each human's team/outcome/rank). The index is cached in memory
per directory for the life of the process and persisted as ``.index.json`` (JSON lines) keyed by
file name, mtime and size, so a second process re-parses only files that changed.
Reading one match (`RecordedDirectory.match_bytes`) never touches the index or any
other match file.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
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
# 2: JSON lines, one per match file (1 was a single JSON document).
_INDEX_VERSION = 2


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


# A human in a match: (xuid digits, LastTeamId, Outcome, Rank, PresentAtEndOfMatch).
_Human = tuple[str, Any, Any, Any, Any]


@dataclass(frozen=True, slots=True)
class _IndexedMatch:
    """What the history needs of one match file, without the file."""

    match_id: str
    start_time: str | None
    sort_key: float
    lifecycle_mode: int | None
    match_info: bytes  # MatchInfo, re-serialized compactly
    humans: tuple[_Human, ...]

    def to_persisted(self, name: str, stat: tuple[int, int]) -> list[Any]:
        """One line of the persisted index: file name, (mtime_ns, size) and the entry."""
        return [
            name,
            stat[0],
            stat[1],
            self.start_time,
            self.lifecycle_mode,
            # MatchInfo as a JSON string: cheaper to load and re-save than a tree.
            self.match_info.decode(),
            [list(h) for h in self.humans],
        ]

    @classmethod
    def from_persisted(
        cls, row: list[Any], strings: dict[str, str]
    ) -> tuple[str, tuple[int, int], _IndexedMatch]:
        """(file name, (mtime_ns, size), entry) from a line written by `to_persisted`.

        `strings` interns the players' xuids: the same few hundred people appear
        in thousands of matches, so one string object each keeps the index small.
        """
        name, mtime, size, start, lifecycle, info, humans = row
        return (
            name,
            (int(mtime), int(size)),
            cls(
                match_id=name[: -len(".json")],
                start_time=start,
                sort_key=_time_key(start),
                lifecycle_mode=lifecycle,
                match_info=str(info).encode(),
                humans=tuple(
                    (strings.setdefault(h[0], h[0]), *h[1:])  # type: ignore[misc]
                    for h in humans
                ),
            ),
        )

    @classmethod
    def from_document(
        cls, match_id: str, doc: Any, strings: dict[str, str] | None = None
    ) -> _IndexedMatch:
        """The entry of a parsed match file; `strings` interns xuids (see `from_persisted`)."""
        if not isinstance(doc, dict):
            raise ValueError(f"the JSON document is a {type(doc).__name__}, not an object")
        strings = {} if strings is None else strings
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
        humans: list[_Human] = []
        seen: set[str] = set()
        for player in players or ():
            if not isinstance(player, dict):
                continue
            xuid = _xuid_or_none(player.get("PlayerId"))
            if xuid is None or xuid in seen:  # bots ("bid(8.0)") have no xuid
                continue
            seen.add(xuid)
            participation = _object(
                player.get("ParticipationInfo"), f"ParticipationInfo of {player.get('PlayerId')}"
            )
            humans.append(
                (
                    strings.setdefault(xuid, xuid),
                    player.get("LastTeamId"),
                    player.get("Outcome"),
                    player.get("Rank"),
                    participation.get("PresentAtCompletion"),
                )
            )
        return cls(
            match_id=match_id,
            start_time=start,
            sort_key=_time_key(start),
            lifecycle_mode=lifecycle,
            match_info=orjson.dumps(info),
            humans=tuple(humans),
        )


@dataclass(frozen=True, slots=True)
class _HistoryRow:
    """One row of a player's history, either from the index or from a history file."""

    match_id: str
    start_time: str | None
    sort_key: float
    lifecycle_mode: int | None
    indexed: _IndexedMatch | None = None
    human: _Human | None = None
    result: dict[str, Any] | None = None  # verbatim from a history file
    # Why the match cannot be read (a bad match file, or a bad row of a history
    # file): listed in every history and filter, and failed when fetched.
    unreadable: str | None = None

    def to_result(self) -> dict[str, Any]:
        """The row in the API's history shape."""
        if self.result is not None:
            return self.result
        assert self.indexed is not None and self.human is not None
        _, team, outcome, rank, present = self.human
        return {
            "MatchId": self.match_id,
            "MatchInfo": orjson.loads(self.indexed.match_info),
            "LastTeamId": team,
            "Outcome": outcome,
            "Rank": rank,
            "PresentAtEndOfMatch": present,
        }


def _history_file_row(result: Any, where: str) -> _HistoryRow | None:
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
    return _HistoryRow(
        match_id=match_id,
        start_time=start,
        sort_key=_time_key(start),
        lifecycle_mode=lifecycle,
        result=result,
        unreadable=f"the recorded history row {where} is not readable: {problem}"
        if problem
        else None,
    )


def _sorted_rows(rows: Iterable[_HistoryRow]) -> list[_HistoryRow]:
    # Newest first; the match id breaks ties so pages are stable across calls.
    by_id = sorted(rows, key=lambda r: r.match_id)
    return sorted(by_id, key=lambda r: r.sort_key, reverse=True)


class _MatchIndex:
    """Compact, incrementally refreshed index of a directory's match files.

    One instance per directory per process (see `_INDEXES`); thread-safe because
    the fake server builds it in an executor thread while tests read it.
    """

    def __init__(self, root: Path, persist: bool) -> None:
        self._root = root
        self._matches_dir = root / "matches"
        self._index_path = root / INDEX_FILE_NAME
        self._persist = persist
        self._lock = threading.Lock()
        self._stats: dict[str, tuple[int, int]] = {}  # file name -> (mtime_ns, size)
        self._entries: dict[str, _IndexedMatch] = {}  # file name -> entry
        self._dir_mtime: int | None = None
        self._loaded_from_disk = False
        self._persisted_stale = False  # the persisted file lists files that are gone
        self._rows_cache: dict[str, list[_HistoryRow] | None] = {}
        self._merged_cache: dict[str, list[_HistoryRow]] = {}
        self.generation = 0
        self.files_parsed = 0  # observable by tests: how many match files the scans parsed
        self.bad_files: dict[str, str] = {}

    def _dir_mtime_now(self) -> int | None:
        try:
            return self._matches_dir.stat().st_mtime_ns
        except FileNotFoundError:
            return None

    def ensure_fresh(self, full_check: bool = False) -> None:
        """Bring the index up to date with the files on disk.

        A changed directory mtime (files added, removed or atomically replaced)
        triggers a re-stat of every file; `full_check` forces it, which a new
        `RecordedDirectory` does once so that files edited in place are seen too.
        Only new or changed files are parsed.
        """
        with self._lock:
            mtime = self._dir_mtime_now()
            if not full_check and self.generation > 0 and mtime == self._dir_mtime:
                return
            self._refresh(mtime)

    def _refresh(self, dir_mtime: int | None) -> None:
        current: dict[str, tuple[int, int]] = {}
        if dir_mtime is not None:
            with os.scandir(self._matches_dir) as it:
                for entry in it:
                    if entry.name.endswith(".json") and not entry.name.startswith("."):
                        st = entry.stat()
                        current[entry.name] = (st.st_mtime_ns, st.st_size)
        if not self._loaded_from_disk:
            self._loaded_from_disk = True
            self._load_persisted(current)
        changed = self.generation == 0 or current != self._stats
        if not changed:
            self._dir_mtime = dir_mtime
            return
        entries: dict[str, _IndexedMatch] = {}
        bad: dict[str, str] = {}
        parsed = 0
        strings: dict[str, str] = {}
        for name, stat in current.items():
            old = self._entries.get(name)
            if old is not None and self._stats.get(name) == stat:
                entries[name] = old
                continue
            parsed += 1
            try:
                entries[name] = _read_entry(self._matches_dir / name, stat, strings)
            except (OSError, ValueError) as exc:  # orjson.JSONDecodeError is a ValueError
                bad[name] = str(exc)
                logger.warning(
                    "unreadable match file %s (reported as a failed match): %s", name, exc
                )
        self.files_parsed += parsed
        removed = any(name not in current for name in self._entries) or self._persisted_stale
        self._persisted_stale = False
        self._entries = entries
        self._stats = current
        self.bad_files = bad
        self._dir_mtime = dir_mtime
        self._rows_cache = {}
        self._merged_cache = {}
        self.generation += 1
        if parsed or removed:
            self._save_persisted()

    def _load_persisted(self, current: dict[str, tuple[int, int]]) -> None:
        """Reuse the entries of the persisted index whose file is unchanged.

        The file is JSON lines (a header, then one line per match file) read one
        line at a time: loading one 20,000-match JSON document at once used to
        build a ~400 MB tree for a moment, most of the sync's peak memory.
        """
        if not self._persist:
            return
        try:
            fh = open(self._index_path, "rb")  # noqa: SIM115 - closed below
        except OSError:
            return
        strings: dict[str, str] = {}
        with fh:
            try:
                header = orjson.loads(fh.readline())
            except (OSError, ValueError):
                return
            if not isinstance(header, dict) or header.get("version") != _INDEX_VERSION:
                return
            for line in fh:
                try:
                    name, stat, entry = _IndexedMatch.from_persisted(orjson.loads(line), strings)
                except (TypeError, ValueError, AttributeError, IndexError):
                    self._persisted_stale = True
                    continue
                if current.get(name) != stat:
                    self._persisted_stale = True
                    continue
                self._entries[name] = entry
                self._stats[name] = stat

    def _save_persisted(self) -> None:
        if not self._persist:
            return
        try:
            fd, tmp = tempfile.mkstemp(prefix=".index.", suffix=".tmp", dir=self._root)
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(orjson.dumps({"version": _INDEX_VERSION}) + b"\n")
                    for name, entry in self._entries.items():
                        row = entry.to_persisted(name, self._stats[name])
                        fh.write(orjson.dumps(row) + b"\n")
                os.chmod(tmp, 0o644)  # mkstemp's 0600 would hide it from other users
                os.replace(tmp, self._index_path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
        except OSError as exc:  # a read-only directory simply gets no persisted index
            logger.debug("could not persist %s: %s", self._index_path, exc)

    def rows_for(self, xuid: str) -> list[_HistoryRow] | None:
        """The player's rows, newest first, or None when no match file has them.

        Rows are built per player on first request (and per index generation):
        a sync asks for one player, so the others' rows are never materialized.
        """
        with self._lock:
            if xuid in self._rows_cache:
                return self._rows_cache[xuid]
            # One pass over the index for this player only: grouping every
            # player's matches up front would hold ~170,000 pairs for 20,000 matches.
            pairs = [
                (entry, human)
                for entry in self._entries.values()
                for human in entry.humans
                if human[0] == xuid
            ]
            rows = self._rows_cache[xuid] = (
                _sorted_rows(
                    _HistoryRow(
                        match_id=entry.match_id,
                        start_time=entry.start_time,
                        sort_key=entry.sort_key,
                        lifecycle_mode=entry.lifecycle_mode,
                        indexed=entry,
                        human=human,
                    )
                    for entry, human in pairs
                )
                if pairs
                else None
            )
            return rows

    def rows_with_unreadable(self, xuid: str) -> list[_HistoryRow]:
        """The player's rows and the unreadable files' rows, newest first (cached
        per player and index generation, like `rows_for`)."""
        rows = self.rows_for(xuid) or []
        with self._lock:
            if not self.bad_files:
                return rows
            merged = self._merged_cache.get(xuid)
        if merged is None:
            merged = _sorted_rows([*rows, *self.unreadable_rows()])
            with self._lock:
                self._merged_cache[xuid] = merged
        return merged

    def unreadable_rows(self) -> list[_HistoryRow]:
        """One row per match file that cannot be read as a match.

        Whose match it is cannot be known, so every player's history lists it
        (at the end: its start time is unknown), and the sync reports it as a
        failed match instead of skipping it unseen.
        """
        with self._lock:
            return [
                _HistoryRow(
                    match_id=name[: -len(".json")],
                    start_time=None,
                    sort_key=float("-inf"),
                    lifecycle_mode=None,
                    result={"MatchId": name[: -len(".json")]},
                    unreadable=f"the recorded file matches/{name} is not a readable match: {why}",
                )
                for name, why in sorted(self.bad_files.items())
            ]

    def __len__(self) -> int:
        return len(self._entries)


def _read_entry(path: Path, stat: tuple[int, int], strings: dict[str, str]) -> _IndexedMatch:
    """The index entry of one match file, built only once the parsed file is freed.

    An entry made straight from the document keeps a few of its objects (and
    allocates its own among them), which pins part of the memory of each of the
    thousands of documents parsed: +175 MiB resident for 20,000 files instead of
    +38 MiB. Going through the entry's persisted form (a few hundred bytes)
    costs microseconds and leaves nothing of the document behind.

    Raises:
        OSError: the file cannot be read.
        ValueError: not JSON, or not a JSON object.
    """
    with open(path, "rb") as fh:
        doc = orjson.loads(fh.read())
    entry = _IndexedMatch.from_document(path.name[: -len(".json")], doc, strings)
    row = orjson.dumps(entry.to_persisted(path.name, stat))
    del doc, entry
    return _IndexedMatch.from_persisted(orjson.loads(row), strings)[2]


_INDEXES: dict[tuple[Path, bool], _MatchIndex] = {}
_INDEXES_LOCK = threading.Lock()


def _shared_index(root: Path, persist: bool) -> _MatchIndex:
    with _INDEXES_LOCK:
        index = _INDEXES.get((root, persist))
        if index is None:
            index = _INDEXES[(root, persist)] = _MatchIndex(root, persist)
        return index


class RecordedDirectory:
    """Synchronous access to a recorded-responses directory.

    Shared by `RecordedSource` (in-process) and the fake Waypoint server (over
    HTTP), so both serve exactly the same histories, profiles and documents.
    Methods are thread-safe.
    """

    def __init__(self, path: str | os.PathLike[str], *, persist_index: bool = True) -> None:
        """Open a recorded directory.

        Args:
            path: the directory.
            persist_index: write the match index to ``DIR/.index.json`` so that the
                next process does not re-parse every match file. A read-only
                directory is fine either way.

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
        self._index = _shared_index(self.path, persist_index)
        self._index_checked = False
        self._check_lock = threading.Lock()
        self._players: list[PlayerIdentity] | None = None
        self._profiles: dict[str, dict[str, Any]] | None = None
        self._history_cache: dict[str, tuple[tuple[Any, ...], list[_HistoryRow]]] = {}
        # Lower-case match id -> why it cannot be read: bad match files, and bad rows
        # of each player's history files.
        self._unreadable_files: dict[str, str] = {}
        self._unreadable_rows: dict[str, dict[str, str]] = {}
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
            if self._history_files(digits) or self._fresh_index().rows_for(digits) is not None:
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

        Returns None when the directory has no such service (see `has_service`).

        Raises:
            MatchNotFoundError: no file for these parameters, or an id that
                cannot be a file name (path traversal attempt).
        """
        relative = endpoint.recorded_file(**params)
        what = f"{endpoint.name} {' '.join(str(v) for v in params.values())}"
        if relative is None:
            raise MatchNotFoundError(f"{what} not found: not a valid id")
        path = self.path / relative
        try:
            with open(path, "rb") as fh:
                return fh.read()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as exc:
            if not self.has_service(endpoint):
                return None
            raise MatchNotFoundError(f"{what} not found: no {path}") from exc

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
        try:
            with open(path, "rb") as fh:
                return fh.read()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as exc:
            other = self._other_case(path)
            if other is None:
                raise MatchNotFoundError(f"match {match_id} not found: no {path}") from exc
        with open(other, "rb") as fh:
            return fh.read()

    def _other_case(self, path: Path) -> Path | None:
        """The file whose name differs from `path`'s only in case, if exactly one does.

        Match ids are GUIDs, compared and stored lower-case: a sync asks for
        `abc...` even when the file is `ABC....json` (the API does not care either).
        Only reached when the exact name is missing, so the listing costs nothing
        on the common path.
        """
        wanted = path.name.casefold()
        try:
            names = [n for n in os.listdir(path.parent) if n.casefold() == wanted]
        except OSError:
            return None
        return path.parent / names[0] if len(names) == 1 else None

    def medal_metadata(self) -> bytes | None:
        """The body of ``medals.json`` (the medal metadata document), or None without one."""
        return self.document(MEDAL_METADATA)

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
        with self._check_lock:
            full_check = not self._index_checked
            self._index_checked = True
        self._index.ensure_fresh(full_check=full_check)
        return self._index

    def build_index(self) -> int:
        """Scan (or refresh) the match index now rather than on the first history
        request; returns the number of indexed matches."""
        return len(self._fresh_index())

    @property
    def index_files_parsed(self) -> int:
        """How many match files this process's index scans have parsed (for tests)."""
        return self._index.files_parsed

    def _history_dir(self, xuid: str) -> Path | None:
        base = self.path / "history"
        for name in (xuid, f"xuid({xuid})"):
            if (base / name).is_dir():
                return base / name
        return None

    def _history_files(self, xuid: str) -> list[Path]:
        folder = self._history_dir(xuid)
        if folder is None:
            return []
        return sorted(p for p in folder.glob("*.json") if p.is_file())

    def _rows_from_history_files(self, xuid: str, files: list[Path]) -> list[_HistoryRow]:
        key = tuple((f.name, f.stat().st_mtime_ns, f.stat().st_size) for f in files)
        with self._lock:
            cached = self._history_cache.get(xuid)
        if cached is not None and cached[0] == key:
            return cached[1]
        by_id: dict[str, _HistoryRow] = {}
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
                if row is not None and row.match_id not in by_id:
                    by_id[row.match_id] = row
        rows = _sorted_rows(by_id.values())
        with self._lock:
            self._history_cache[xuid] = (key, rows)
            self._unreadable_rows[xuid] = {
                r.match_id.lower(): r.unreadable for r in rows if r.unreadable
            }
        return rows

    def _history_rows(self, xuid: str | int, match_type: str) -> list[_HistoryRow]:
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
            rows = index.rows_with_unreadable(digits)
            unreadable = index.unreadable_rows()
            with self._lock:  # replaced whole: a repaired file is readable again
                self._unreadable_files = {r.match_id.lower(): r.unreadable for r in unreadable}
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
            reason = self._unreadable_files.get(key)
            for rows in self._unreadable_rows.values():
                reason = reason or rows.get(key)
            return reason

    def _page_bounds(self, start: int, count: int) -> tuple[int, int]:
        if start < 0 or count < 0:
            raise UsageError(f"start and count must be >= 0 (got start={start}, count={count})")
        return start, min(count, MAX_PAGE_SIZE)

    def history_page(
        self, xuid: str | int, start: int = 0, count: int = MAX_PAGE_SIZE, match_type: str = "all"
    ) -> dict[str, Any]:
        """One page of a player's history in the API's shape, newest first.

        `count` is capped at 25 like the real endpoint; ``ResultCount < Count``
        marks the last page.

        Raises:
            ValueError: `xuid` is not an xuid.
            UsageError: unknown match type, negative start or count.
        """
        start, count = self._page_bounds(start, count)
        rows = self._history_rows(xuid, match_type)[start : start + count]
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
        start, count = self._page_bounds(start, count)
        rows = self._history_rows(xuid, match_type)[start : start + count]
        return HistoryPage(
            start=start,
            count=count,
            result_count=len(rows),
            entries=tuple(HistoryEntry(r.match_id, r.start_time) for r in rows),
        )

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

    def __init__(
        self, path: str | os.PathLike[str] | RecordedDirectory, *, persist_index: bool = True
    ) -> None:
        """Open the source.

        Raises:
            ConfigError: see `RecordedDirectory`.
        """
        if isinstance(path, RecordedDirectory):
            self.directory = path
        else:
            self.directory = RecordedDirectory(path, persist_index=persist_index)
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
        """One page of history, newest first; count is capped at 25 like the API.

        Runs in a worker thread because the first call may build the index.
        """
        self.counters.calls["history"] += 1
        return await asyncio.to_thread(
            self.directory.history_entries, xuid, start, count, match_type
        )

    async def match_stats_raw(self, match_id: str) -> bytes:
        """The match's file, unparsed.

        Raises:
            MatchNotFoundError: no file for this match.
        """
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
        """``skill/<match_id>.json`` cut to the players asked; None without ``skill/``.

        Raises:
            MatchNotFoundError: the folder exists but has no file for this match.
        """
        return self._serve(MATCH_SKILL, xuids, match_id=match_id)

    async def playlist_csr_raw(self, playlist_id: str, xuids: Sequence[str]) -> bytes | None:
        """``playlist_csr/<playlist_id>.json`` cut to the players asked; None without the folder.

        Raises:
            MatchNotFoundError: the folder exists but has no file for this playlist.
        """
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
