"""Where player databases live, and opening them safely.

One DuckDB file per tracked player: `<data-dir>/players/<folder>/stats.duckdb`.
DuckDB allows one writing process per file; a second one must get a clear
message and exit status 2, not a traceback.

A folder belongs to one player (one xuid), never two: its name is the gamertag
made file-name safe (accents folded, other letters kept), and when that name is
already taken by another player's database (gamertags that differ only in an
accent or a replaced character, `A B` and `A_B`) the new player's folder gets
their xuid appended (`A_B-2533274800000002`). Players are found by the gamertag
and xuid their database stores, so the folder name is only a readable label.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb

from levelup.errors import ConfigError, DatabaseBusyError, PlayerNotFoundError
from levelup.store.schema import MigrationReport, migrate

DB_FILENAME = "stats.duckdb"
# `\w` is Unicode-aware: letters and digits of every script, and `_`.
_FOLDER_UNSAFE = re.compile(r"[^\w-]")
# Folders before accents were folded kept ASCII letters and digits only; still
# recognised when looking a player up by folder name.
_LEGACY_FOLDER_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")
# Room for the "-<xuid>" suffix within the 255-byte limit of a file name.
_FOLDER_MAX_BYTES = 80


def resolve_data_dir(cli_value: str | os.PathLike[str] | None) -> Path:
    """`--data-dir`, else `$LEVELUP_DATA_DIR`, else `./data`."""
    if cli_value:
        return Path(cli_value)
    env = os.environ.get("LEVELUP_DATA_DIR")
    return Path(env) if env else Path("data")


def player_folder_name(gamertag: str) -> str:
    """The readable part of a player's folder name.

    Gamertags may hold spaces, symbols and any script: accents are folded
    (NFKD, combining marks dropped: "Démo" -> "Demo"), other letters and digits
    are kept ("幽霊"), everything else becomes `_`, and the name is cut to
    `_FOLDER_MAX_BYTES` of UTF-8 so a long gamertag still makes a valid file
    name. Different gamertags can give the same name: `new_player_db_path`
    keeps folders unique.
    """
    decomposed = unicodedata.normalize("NFKD", gamertag.strip())
    folded = "".join(c for c in decomposed if not unicodedata.combining(c))
    name = _FOLDER_UNSAFE.sub("_", unicodedata.normalize("NFC", folded))
    encoded = name.encode()
    if len(encoded) > _FOLDER_MAX_BYTES:
        name = encoded[:_FOLDER_MAX_BYTES].decode(errors="ignore")
    return name or "_"


def _legacy_folder_name(gamertag: str) -> str:
    return _LEGACY_FOLDER_UNSAFE.sub("_", gamertag.strip()) or "_"


def player_db_path(data_dir: Path, gamertag: str) -> Path:
    """The database path of `gamertag`'s readable folder (see `new_player_db_path`)."""
    return data_dir / "players" / player_folder_name(gamertag) / DB_FILENAME


def new_player_db_path(data_dir: Path, gamertag: str, xuid: str) -> Path:
    """Where a player who has no database yet gets one: a folder no other xuid uses.

    The readable folder when it is free or already this player's, else the
    readable name with the xuid appended. Folder names are compared
    case-insensitively (case-insensitive file systems), and a folder whose
    database does not say whose it is counts as taken.

    A database another process holds is never passed over for the next name:
    its owner is unknown, and it may well be this player's (a `levelup demo`
    while a sync of the demo player runs would otherwise make a second database
    for the same player).

    Raises:
        ConfigError: both candidate folders hold another player's database.
        DatabaseBusyError: a candidate folder's database is in use by another process.
    """
    base = player_folder_name(gamertag)
    existing = list_player_dbs(data_dir)
    for name in (base, f"{base}-{xuid}"):
        here = [db for db in existing if db.folder.casefold() == name.casefold()]
        busy = next((db for db in here if db.busy), None)
        if busy is not None:
            raise DatabaseBusyError(
                f"the database {busy.path} is in use by another LevelUp process; "
                "try again when it has finished"
            )
        owners = {db.xuid for db in here}
        if not owners or owners == {xuid}:
            return data_dir / "players" / name / DB_FILENAME
    raise ConfigError(
        f"the folders {base!r} and {base + '-' + xuid!r} under {data_dir / 'players'} hold "
        f"other players' databases; cannot choose a folder for {gamertag!r} (xuid {xuid})"
    )


def is_lock_error(exc: duckdb.Error) -> bool:
    """DuckDB's "another process holds this file" error (on connect or ATTACH)."""
    text = str(exc)
    return "lock" in text.lower() and ("Conflicting" in text or "Could not set lock" in text)


def connect(path: Path, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open a database file, turning DuckDB's lock conflict into `DatabaseBusyError`.

    Raises:
        DatabaseBusyError: another process has the file open for writing.
        PlayerNotFoundError: read-only open of a file that does not exist.
    """
    if read_only and not path.exists():
        raise PlayerNotFoundError(f"no database at {path}")
    if not read_only:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(
                f"cannot create the folder {path.parent} for the database: {describe_os_error(exc)}"
            ) from None
    try:
        conn = duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as exc:
        if is_lock_error(exc):
            raise DatabaseBusyError(
                f"the database {path} is in use by another LevelUp process "
                "(DuckDB allows one writer at a time); wait for it to finish and retry"
            ) from None
        if is_damaged(exc) or is_no_room(exc):
            raise StorageError(describe_database_error(exc, path)) from None
        raise ConfigError(f"cannot open the database {path}: {_first_line(exc)}") from None
    except duckdb.Error as exc:
        raise StorageError(describe_database_error(exc, path)) from None
    if not read_only:
        # No vacuum at checkpoints: it merges each batch's small row groups into the
        # growing last one, recompressing every match JSON stored so far, so checkpoints
        # grew with the history (benchmarks/ANALYSIS.md). The stored rows are the same and
        # scans as fast. The setting belongs to this open database, not to the file.
        conn.execute("SET max_vacuum_tasks = 0")
    return conn


# See `bulk_writes`.
_BULK_CHECKPOINT_THRESHOLD = "1MiB"
_BULK_MIN_MEMORY_MIB = 128


@contextlib.contextmanager
def bulk_writes(conn: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """DuckDB settings for a phase that streams batches of matches into the file,
    restored on exit (migrations and other work run with DuckDB's defaults).

    - `checkpoint_threshold` 1 MiB: every batch commit checkpoints, and DuckDB
      then writes a large commit straight into the file, not through the WAL
      (faster and smaller: benchmarks/ANALYSIS.md).
    - `memory_limit` max(128 MiB, half the file): DuckDB otherwise caches every
      block it touched up to 80% of the machine's memory. Half the file leaves
      room for the upsert tables' key indexes and the batch; more spills to
      disk. The file grows during the phase, so the writer raises the limit
      with it before each batch (`grow_bulk_memory`): a limit fixed at the
      start ran out at the end of a 5,000-match sync.
    """
    names = ("checkpoint_threshold", "memory_limit")
    previous = conn.execute(
        "SELECT " + ", ".join(f"current_setting('{name}')" for name in names)
    ).fetchall()[0]
    conn.execute(f"SET checkpoint_threshold = '{_BULK_CHECKPOINT_THRESHOLD}'")
    limit = _bulk_memory_mib(conn)
    conn.execute(f"SET memory_limit = '{limit}MiB'")
    _BULK_LIMITS[id(conn)] = limit
    try:
        yield
    finally:
        _BULK_LIMITS.pop(id(conn), None)
        for name, value in zip(names, previous, strict=True):
            conn.execute(f"SET {name} = '{value}'")


# Connection -> the memory limit (MiB) `bulk_writes` set on it, while it lasts.
_BULK_LIMITS: dict[int, int] = {}


def grow_bulk_memory(conn: duckdb.DuckDBPyConnection) -> None:
    """Raise a bulk phase's memory limit to half the file as it is now (never lower
    it; nothing outside `bulk_writes`). Called before each batch is written."""
    current = _BULK_LIMITS.get(id(conn))
    if current is None:
        return
    wanted = _bulk_memory_mib(conn)
    if wanted > current:
        conn.execute(f"SET memory_limit = '{wanted}MiB'")
        _BULK_LIMITS[id(conn)] = wanted


def _bulk_memory_mib(conn: duckdb.DuckDBPyConnection) -> int:
    rows = conn.execute(
        "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
    ).fetchall()
    try:
        size = os.path.getsize(rows[0][0]) if rows and rows[0][0] else 0
    except OSError:
        size = 0
    return max(_BULK_MIN_MEMORY_MIB, size // 2 // 2**20)


def open_player_db(path: Path) -> tuple[duckdb.DuckDBPyConnection, MigrationReport]:
    """Open for writing and bring the schema up to date in one transaction.

    Raises:
        DatabaseBusyError: another process writes to it.
        ConfigError: it cannot be created, or it is damaged, or not LevelUp's.
    """
    conn = connect(path)
    try:
        with database_errors(path):
            conn.execute("BEGIN TRANSACTION")
            try:
                report = migrate(conn)
            except ConfigError as exc:
                raise ConfigError(f"the database {path}: {exc}") from None
            conn.execute("COMMIT")
    except BaseException:
        conn.close()
        raise
    return conn, report


class StorageError(ConfigError):
    """A database file is damaged, or the disk is full: the run stops (exit 2) with
    what it committed kept."""


# errno values meaning "no room to write": disk full, quota, a file size limit.
_NO_ROOM = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
_NO_ROOM_TEXT = ("no space left on device", "disk quota exceeded", "file too large")
_DAMAGED_TEXT = (
    "could not read enough bytes",
    "not a valid duckdb database",
    "corrupt",
    "checksum",
    "invalid block",
    "the file is not a",
)


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def describe_os_error(exc: OSError) -> str:
    """An `OSError` as a short phrase ("read-only file system", "not a directory")."""
    if exc.errno in _NO_ROOM:
        return "the disk is full (or a size limit was reached)"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    if exc.errno == errno.EROFS:
        return "read-only file system"
    if exc.errno == errno.ENOTDIR:
        return "a file is in the way where a folder should be"
    if exc.errno == errno.ENAMETOOLONG:
        return "the name is too long for the file system"
    return exc.strerror or _first_line(exc)


def is_no_room(exc: BaseException) -> bool:
    """Whether `exc` (from DuckDB or the file system) means the disk is full."""
    if isinstance(exc, OSError) and exc.errno in _NO_ROOM:
        return True
    text = str(exc).lower()
    return any(marker in text for marker in _NO_ROOM_TEXT)


def describe_database_error(exc: BaseException, path: Path) -> str:
    """A DuckDB failure on `path` as one line a user can act on."""
    if is_no_room(exc):
        return (
            f"disk full while writing {path}: what was committed is kept (the file is not "
            "damaged); free some space and run the command again"
        )
    text = str(exc).lower()
    if isinstance(exc, duckdb.SerializationException | duckdb.InternalException) or any(
        marker in text for marker in _DAMAGED_TEXT
    ):
        return (
            f"the database file {path} is damaged and cannot be read ({_first_line(exc)}); "
            "restore it from a copy, or move it away and sync again"
        )
    return f"the database {path} failed: {_first_line(exc)}"


def read_error(exc: BaseException, path: Path) -> ConfigError:
    """The one-line error for a failed read of `path` (saying so when the file is damaged)."""
    if is_damaged(exc) or isinstance(exc, _STORAGE_FAILURES):
        return StorageError(describe_database_error(exc, path))
    return ConfigError(f"cannot read the database {path}: {_first_line(exc)}")


@contextlib.contextmanager
def database_errors(path: Path) -> Iterator[None]:
    """Work on the database at `path`, turning the failures a user can act on
    (a damaged file, a full disk, a database DuckDB invalidated after one) into
    `StorageError` (one line, exit 2) instead of a traceback. Other DuckDB errors
    are bugs and go through."""
    try:
        yield
    except duckdb.Error as exc:
        if isinstance(exc, _STORAGE_FAILURES) or is_no_room(exc) or is_damaged(exc):
            raise StorageError(describe_database_error(exc, path)) from None
        raise
    except OSError as exc:
        if is_no_room(exc):
            raise StorageError(describe_database_error(exc, path)) from None
        raise


# DuckDB raises these when the file or the disk fails (FatalException also after a
# write failed half-way: the database is then invalidated until reopened).
_STORAGE_FAILURES = (
    duckdb.IOException,
    duckdb.FatalException,
    duckdb.SerializationException,
    duckdb.InternalException,
)


def is_damaged(exc: BaseException) -> bool:
    """Whether `exc` (from DuckDB, or Polars reading DuckDB's stream) says the file is damaged."""
    text = str(exc).lower()
    return "invalidated" in text or any(marker in text for marker in _DAMAGED_TEXT)


@dataclass(frozen=True)
class PlayerDatabase:
    """A player database found on disk, with what it says about its owner."""

    path: Path
    folder: str
    gamertag: str | None
    xuid: str | None
    # Another process holds the file: who owns it is unknown, not "nobody".
    busy: bool = False

    @property
    def label(self) -> str:
        return self.gamertag or self.folder


def _read_owners(paths: list[Path]) -> list[tuple[str | None, str | None, bool]]:
    """(gamertag, xuid, busy) of each database; no owner when unreadable or busy.

    One in-memory DuckDB attaches each file read-only in turn: a connection of its
    own per file starts a whole database instance, many times the cost of an
    ATTACH, and a community has hundreds of players (benchmarks/ANALYSIS.md).
    """
    owners: list[tuple[str | None, str | None, bool]] = []
    with duckdb.connect(":memory:") as conn:
        for path in paths:
            owners.append(_read_owner(conn, path))
    return owners


def _read_owner(conn: duckdb.DuckDBPyConnection, path: Path) -> tuple[str | None, str | None, bool]:
    literal = "'" + str(path).replace("'", "''") + "'"
    try:
        conn.execute(f"ATTACH {literal} AS levelup_owner_probe (READ_ONLY)")
    except duckdb.Error as exc:
        return None, None, is_lock_error(exc)
    try:
        rows = conn.execute(
            "SELECT key, value FROM levelup_owner_probe.main.levelup_meta "
            "WHERE key IN ('owner_gamertag', 'owner_xuid')"
        ).fetchall()
    except duckdb.Error:  # no levelup_meta (not LevelUp's, or older), or unreadable
        rows = []
    finally:
        conn.execute("DETACH levelup_owner_probe")
    meta = {str(key): str(value) for key, value in rows if value is not None}
    return meta.get("owner_gamertag"), meta.get("owner_xuid"), False


def list_player_dbs(data_dir: Path) -> list[PlayerDatabase]:
    """Every `players/*/stats.duckdb` under the data dir, sorted by folder."""
    root = data_dir / "players"
    if not root.is_dir():
        return []
    paths = sorted(root.glob(f"*/{DB_FILENAME}"))
    return [
        PlayerDatabase(path=path, folder=path.parent.name, gamertag=gamertag, xuid=xuid, busy=busy)
        for path, (gamertag, xuid, busy) in zip(paths, _read_owners(paths), strict=True)
    ]


def find_player_db(data_dir: Path, player: str) -> PlayerDatabase | None:
    """Find a player's database case-insensitively by stored gamertag or xuid,
    or by folder name for a database that does not record its owner's xuid
    (an older one, or one another process holds).

    A database that records its owner is never found by folder name: two
    gamertags can share a readable name (`A B` and `A_B`), and the other
    player's database must not be taken for this one's.
    """
    wanted = player.strip().casefold()
    wanted_xuid = wanted[5:-1] if wanted.startswith("xuid(") and wanted.endswith(")") else wanted
    databases = list_player_dbs(data_dir)
    for db in databases:
        if db.gamertag and db.gamertag.casefold() == wanted:
            return db
        if db.xuid and db.xuid == wanted_xuid:
            return db
    folders = {player_folder_name(player).casefold(), _legacy_folder_name(player).casefold()}
    for db in databases:
        if db.folder.casefold() in folders and db.xuid is None:
            return db
    return None
