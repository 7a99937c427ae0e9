"""Gamertags, asset, medal and personal score names, asked once and cached in the database.

Match stats carry xuids and ids only. Names come from the profile service
(batches of xuids), the discovery service (one asset version per request), the
medal metadata document (every medal at once) and, for personal scores, the
names the spnkr SDK knows; every answer is cached (`player_names`,
`asset_names`, `medal_names`, `personal_score_names`), so a name is asked for
once per database, whatever the number of matches that show it.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import duckdb
import orjson
import polars as pl

from levelup.clock import utc_now
from levelup.errors import about
from levelup.extract.reference import medal_names
from levelup.extract.rows import AssetNameRow, PersonalScoreNameRow
from levelup.extract.score_names import PERSONAL_SCORE_NAMES
from levelup.extract.score_names import SOURCE as SCORE_NAMES_SOURCE
from levelup.registry import table_spec
from levelup.sources.base import FatalSourceError, MatchSource, SourceError
from levelup.store.schema import get_meta, scalar, set_meta
from levelup.store.writer import upsert_sql

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
    """What the names step asked for and stored, and what failed."""

    gamertags_requested: int = 0
    gamertags_found: int = 0
    assets_requested: int = 0
    assets_found: int = 0
    medal_names_stored: int = 0
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        """The `names` object of the sync's `--json`: every field, by name."""
        return asdict(self)


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


# Lookups (asset names, gamertag batches) that gave up after their retries one after
# another before the rest are left for the next sync: the service is down, not one
# name missing (that is a None), and each ask would cost its whole retry schedule
# (a trial: 9 maps x 6 attempts = 109 s a sync).
FAILURES_BEFORE_STOP = 2


def _left_for_next_sync(what: str) -> str:
    return (
        f"{what} not asked: the service failed {FAILURES_BEFORE_STOP} times in a row "
        "(the next sync asks again)"
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
    failed_in_a_row = 0
    for start in range(0, len(missing), PROFILE_BATCH):
        if failed_in_a_row == FAILURES_BEFORE_STOP:
            report.errors.append(_left_for_next_sync(f"{len(missing) - start} more gamertags"))
            break
        batch = missing[start : start + PROFILE_BATCH]
        report.gamertags_requested += len(batch)
        try:
            found = await source.gamertags(batch)
        except FatalSourceError:
            raise
        except SourceError as exc:
            report.errors.append(about(f"gamertags of {len(batch)} players", str(exc)))
            failed_in_a_row += 1
            continue
        failed_in_a_row = 0
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
    failed_in_a_row = 0
    for done, (asset_type, asset_id, version_id) in enumerate(wanted):
        if failed_in_a_row == FAILURES_BEFORE_STOP:
            report.errors.append(_left_for_next_sync(f"{len(wanted) - done} more asset names"))
            break
        report.assets_requested += 1
        try:
            name = await source.asset_name(asset_type, asset_id, version_id)
        except FatalSourceError:
            raise
        except SourceError as exc:
            report.errors.append(about(f"{asset_type} {asset_id} version {version_id}", str(exc)))
            failed_in_a_row += 1
            continue
        failed_in_a_row = 0
        if name is not None:
            report.assets_found += 1
        found.append((asset_type, asset_id, version_id, name))
    now = utc_now()
    store_name_rows(conn, "asset_names", [AssetNameRow(*row, fetched_at=now) for row in found])


def store_name_rows(conn: duckdb.DuckDBPyConnection, table: str, rows: Sequence[Any]) -> int:
    """Upsert rows of a name table of the registry in one statement; returns the row count."""
    if not rows:
        return 0
    spec = table_spec(table)
    frame = pl.DataFrame(
        [spec.row_values(row) for row in rows], schema=spec.polars_schema, orient="row"
    )
    conn.register("batch_name_rows", frame)
    try:
        conn.execute(
            upsert_sql(table, "batch_name_rows", list(spec.columns), spec.key, timestamps=False)
        )
    finally:
        conn.unregister("batch_name_rows")
    return frame.height


# An unknown medal id makes a later sync ask for the metadata again, at most this often.
MEDAL_METADATA_MAX_AGE = dt.timedelta(days=1)
_MEDALS_FETCHED_KEY = "medal_metadata_fetched_at"


def _fetched_at(value: str | None) -> dt.datetime:
    """A stored fetch date; never (datetime.min) when absent or unreadable."""
    try:
        return dt.datetime.fromisoformat(value) if value else dt.datetime.min
    except ValueError:
        return dt.datetime.min


async def fill_medal_names(
    conn: duckdb.DuckDBPyConnection, source: MatchSource, report: NamesReport
) -> None:
    """Fetch the medal metadata when a stored medal has no name (once a day at most)."""
    unknown = scalar(
        conn,
        "SELECT count(*) FROM (SELECT DISTINCT medal_id FROM match_medals AS m WHERE NOT EXISTS "
        "(SELECT 1 FROM medal_names AS n WHERE n.medal_id = m.medal_id))",
    )
    if not unknown:
        return
    now = utc_now()
    if now - _fetched_at(get_meta(conn, _MEDALS_FETCHED_KEY)) < MEDAL_METADATA_MAX_AGE:
        return
    try:
        raw = await source.medal_metadata_raw()
    except FatalSourceError:
        raise
    except SourceError as exc:
        report.errors.append(about("medal metadata", str(exc)))
        return
    set_meta(conn, _MEDALS_FETCHED_KEY, now.isoformat())
    if raw is None:
        return
    try:
        doc = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        report.errors.append(f"medal metadata: invalid JSON: {exc}")
        return
    report.medal_names_stored = store_name_rows(conn, "medal_names", medal_names(doc))


_SCORE_NAMES_KEY = "personal_score_names_from"


def fill_personal_score_names(conn: duckdb.DuckDBPyConnection) -> None:
    """Personal score names (the names spnkr knows), stored once per version of that table.

    Ids it does not know keep their rows (with no name).
    """
    if get_meta(conn, _SCORE_NAMES_KEY) == SCORE_NAMES_SOURCE:
        return
    rows = [PersonalScoreNameRow(score_id, name) for score_id, name in PERSONAL_SCORE_NAMES.items()]
    store_name_rows(conn, "personal_score_names", rows)
    set_meta(conn, _SCORE_NAMES_KEY, SCORE_NAMES_SOURCE)


async def fill_names(conn: duckdb.DuckDBPyConnection, source: MatchSource) -> NamesReport:
    """Ask the source for every gamertag, asset and medal name not yet cached."""
    report = NamesReport()
    await fill_gamertags(conn, source, report)
    await fill_asset_names(conn, source, report)
    await fill_medal_names(conn, source, report)
    fill_personal_score_names(conn)
    for error in report.errors:
        log.warning("names: %s", error)
    return report
