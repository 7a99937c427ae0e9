"""Gamertags and asset names, asked of the source once and cached in the database.

Match stats carry xuids and asset ids only. Names come from the profile
service (batches of xuids) and the discovery service (one asset version per
request); both answers are cached (`player_names`, `asset_names`), so a name is
asked for once per database, whatever the number of matches that show it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import duckdb
import polars as pl

from levelup.clock import utc_now
from levelup.sources.base import AuthError, MatchSource, SourceError

log = logging.getLogger("levelup.names")

PROFILE_BATCH = 100

# asset_type (the discovery path segment) -> the match_stats columns holding its ids.
ASSET_COLUMNS = {
    "maps": ("map_id", "map_version_id"),
    "playlists": ("playlist_id", "playlist_version_id"),
    "ugcGameVariants": ("game_variant_id", "game_variant_version_id"),
    "mapModePairs": ("pair_id", "pair_version_id"),
}


@dataclass
class NamesReport:
    gamertags_requested: int = 0
    gamertags_found: int = 0
    assets_requested: int = 0
    assets_found: int = 0
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "gamertags_requested": self.gamertags_requested,
            "gamertags_found": self.gamertags_found,
            "assets_requested": self.assets_requested,
            "assets_found": self.assets_found,
            "errors": self.errors,
        }


def remember_gamertags(conn: duckdb.DuckDBPyConnection, names: dict[str, str | None]) -> None:
    """Cache answers, unknown xuids included (as NULL), so they are not asked again."""
    if not names:
        return
    frame = pl.DataFrame(
        {"xuid": list(names), "gamertag": list(names.values())},
        schema={"xuid": pl.String(), "gamertag": pl.String()},
    )
    conn.register("batch_names", frame)
    try:
        conn.execute(
            "INSERT INTO player_names (xuid, gamertag, fetched_at) "
            "SELECT xuid, gamertag, $now FROM batch_names "
            "ON CONFLICT (xuid) DO UPDATE SET "
            "gamertag = coalesce(excluded.gamertag, player_names.gamertag), "
            "fetched_at = excluded.fetched_at",
            {"now": utc_now()},
        )
    finally:
        conn.unregister("batch_names")


def apply_cached_gamertags(conn: duckdb.DuckDBPyConnection) -> None:
    conn.execute(
        "UPDATE match_participants SET gamertag = n.gamertag FROM player_names AS n "
        "WHERE match_participants.xuid = n.xuid AND n.gamertag IS NOT NULL "
        "AND match_participants.gamertag IS DISTINCT FROM n.gamertag"
    )


async def fill_gamertags(
    conn: duckdb.DuckDBPyConnection, source: MatchSource, report: NamesReport
) -> None:
    missing = [
        row[0]
        for row in conn.execute(
            "SELECT DISTINCT p.xuid FROM match_participants AS p "
            "WHERE NOT coalesce(p.is_bot, false) AND regexp_full_match(p.xuid, '[0-9]+') "
            "AND p.gamertag IS NULL "
            "AND NOT EXISTS (SELECT 1 FROM player_names AS n WHERE n.xuid = p.xuid) "
            "ORDER BY p.xuid"
        ).fetchall()
    ]
    for start in range(0, len(missing), PROFILE_BATCH):
        batch = missing[start : start + PROFILE_BATCH]
        report.gamertags_requested += len(batch)
        try:
            found = await source.gamertags(batch)
        except AuthError:
            raise
        except SourceError as exc:
            report.errors.append(f"gamertags of {len(batch)} players: {exc}")
            continue
        report.gamertags_found += len(found)
        remember_gamertags(conn, {xuid: found.get(xuid) for xuid in batch})
    apply_cached_gamertags(conn)


async def fill_asset_names(
    conn: duckdb.DuckDBPyConnection, source: MatchSource, report: NamesReport
) -> None:
    wanted: list[tuple[str, str, str]] = []
    for asset_type, (id_col, version_col) in ASSET_COLUMNS.items():
        rows = conn.execute(
            f"SELECT DISTINCT s.{id_col}, s.{version_col} FROM match_stats AS s "
            f"WHERE s.{id_col} IS NOT NULL AND s.{version_col} IS NOT NULL "
            "AND NOT EXISTS (SELECT 1 FROM asset_names AS a WHERE a.asset_type = ? "
            f"AND a.asset_id = s.{id_col} AND a.version_id = s.{version_col})",
            [asset_type],
        ).fetchall()
        wanted.extend((asset_type, asset_id, version_id) for asset_id, version_id in rows)
    found: list[tuple[str, str, str, str | None]] = []
    for asset_type, asset_id, version_id in wanted:
        report.assets_requested += 1
        try:
            name = await source.asset_name(asset_type, asset_id, version_id)
        except AuthError:
            raise
        except SourceError as exc:
            report.errors.append(f"{asset_type} {asset_id}/{version_id}: {exc}")
            continue
        if name is not None:
            report.assets_found += 1
        found.append((asset_type, asset_id, version_id, name))
    if found:
        frame = pl.DataFrame(
            found,
            schema={
                "asset_type": pl.String(),
                "asset_id": pl.String(),
                "version_id": pl.String(),
                "public_name": pl.String(),
            },
            orient="row",
        )
        conn.register("batch_assets", frame)
        try:
            conn.execute(
                "INSERT INTO asset_names "
                "SELECT asset_type, asset_id, version_id, public_name, $now FROM batch_assets "
                "ON CONFLICT DO UPDATE SET public_name = excluded.public_name, "
                "fetched_at = excluded.fetched_at",
                {"now": utc_now()},
            )
        finally:
            conn.unregister("batch_assets")


async def fill_names(conn: duckdb.DuckDBPyConnection, source: MatchSource) -> NamesReport:
    """Ask the source for every gamertag and asset name not yet cached."""
    report = NamesReport()
    await fill_gamertags(conn, source, report)
    await fill_asset_names(conn, source, report)
    for error in report.errors:
        log.warning("names: %s", error)
    return report
