"""Which database, and which xuid, a command works on.

An older database may store neither the owner's xuid nor gamertag; then the
xuid comes from `--xuid`, else from the source's profile lookup of the
gamertag (the folder name), and is stored for next time.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from levelup.errors import ConfigError, PlayerNotFoundError, UsageError
from levelup.sources.base import MatchSource, PlayerIdentity, normalize_xuid
from levelup.store.database import (
    PlayerDatabase,
    find_player_db,
    list_player_dbs,
    new_player_db_path,
)
from levelup.store.schema import get_meta, set_meta


def looks_like_xuid(text: str) -> bool:
    try:
        normalize_xuid(text)
    except ValueError:
        return False
    return len(text.strip()) >= 10 or text.strip().startswith("xuid(")


def parse_xuid_option(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return normalize_xuid(value)
    except ValueError:
        raise UsageError(f"--xuid {value!r} is not an xuid (digits, or xuid(digits))") from None


async def resolve_new_player(source: MatchSource, player: str, xuid: str | None) -> PlayerIdentity:
    """The identity of a player who has no database yet, from the source."""
    if xuid is not None:
        identity = await source.resolve_player(xuid=xuid)
        return PlayerIdentity(xuid=xuid, gamertag=identity.gamertag or player)
    if looks_like_xuid(player):
        return await source.resolve_player(xuid=normalize_xuid(player))
    return await source.resolve_player(gamertag=player)


def database_for_new_player(data_dir: Path, identity: PlayerIdentity, requested: str) -> Path:
    """A folder of its own for a player who has no database yet (see `new_player_db_path`)."""
    return new_player_db_path(data_dir, identity.gamertag or requested, identity.xuid)


def claim_database(conn: duckdb.DuckDBPyConnection, identity: PlayerIdentity, path: Path) -> None:
    """Record `identity` as the owner of a newly chosen database, after checking
    that the file does not already belong to someone else.

    Raises:
        ConfigError: the database records another owner xuid (nothing is written).
    """
    stored = get_meta(conn, "owner_xuid")
    if stored is not None and stored != identity.xuid:
        raise ConfigError(
            f"the database {path} belongs to xuid {stored}, not to "
            f"{identity.gamertag or 'the player'} (xuid {identity.xuid}); nothing was written"
        )
    if stored is None:
        set_meta(conn, "owner_xuid", identity.xuid)
    if identity.gamertag and get_meta(conn, "owner_gamertag") is None:
        set_meta(conn, "owner_gamertag", identity.gamertag)


async def ensure_owner(
    conn: duckdb.DuckDBPyConnection,
    *,
    requested: str,
    xuid_option: str | None,
    source: MatchSource | None,
) -> PlayerIdentity:
    """The owner's identity, stored in `levelup_meta` once known.

    Raises:
        ConfigError: `--xuid` contradicts the stored owner, or no way to learn the xuid.
    """
    stored_xuid = get_meta(conn, "owner_xuid")
    stored_gamertag = get_meta(conn, "owner_gamertag")
    if xuid_option and stored_xuid and xuid_option != stored_xuid:
        raise ConfigError(
            f"--xuid {xuid_option} does not match this database's owner xuid {stored_xuid}"
        )
    xuid = xuid_option or stored_xuid
    gamertag = stored_gamertag
    if xuid is None:
        if source is None:
            raise ConfigError(
                f"the database of {requested} does not record its owner's xuid; "
                "pass --xuid, or a --source that can look the gamertag up"
            )
        identity = await source.resolve_player(gamertag=stored_gamertag or requested)
        xuid = identity.xuid
        gamertag = gamertag or identity.gamertag
    if gamertag is None and not looks_like_xuid(requested):
        gamertag = requested
    if stored_xuid != xuid:
        set_meta(conn, "owner_xuid", xuid)
    if gamertag and stored_gamertag != gamertag:
        set_meta(conn, "owner_gamertag", gamertag)
    return PlayerIdentity(xuid=xuid, gamertag=gamertag)


def select_databases(data_dir: Path, players: list[str], all_players: bool) -> list[PlayerDatabase]:
    """`--player` (repeatable) or `--all`, as existing databases.

    Raises:
        UsageError: neither or both given.
        PlayerNotFoundError: a named player has no database.
    """
    if all_players and players:
        raise UsageError("give --player or --all, not both")
    if all_players:
        found = list_player_dbs(data_dir)
        if not found:
            raise PlayerNotFoundError(f"no player database under {data_dir / 'players'}")
        return found
    if not players:
        raise UsageError("name a player with --player GT, or use --all")
    selected = []
    for player in players:
        db = find_player_db(data_dir, player)
        if db is None:
            raise PlayerNotFoundError(
                f"no database for player {player!r} under {data_dir / 'players'} "
                "(run `levelup sync --player ...` first, or check --data-dir)"
            )
        if db.path not in {d.path for d in selected}:
            selected.append(db)
    return selected
