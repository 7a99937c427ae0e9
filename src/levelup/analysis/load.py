"""Reading a player database for the report: a few queries, nothing written.

The database is opened read-only by the caller and never migrated, so any
table or column may be absent (an old layout) or empty (not backfilled yet):
each table is read when present, with the columns it has, and its state is
recorded for the sections to explain. The large tables are filtered in SQL
(the owner's medal and mode-stat rows only); the scoreboards' every-player
rows are read for the handful of matches shown, in a second step.
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb
import polars as pl

from levelup.analysis import frames as fr
from levelup.analysis.frames import ReportFrames, ScoreboardFrames, conform
from levelup.errors import ConfigError
from levelup.store.schema import get_meta, scalar


def declared_columns(table: str) -> dict[str, str] | None:
    """The columns (name -> DuckDB type) the registry declares for `table`, or None: the
    tests check with it that the report reads only declared columns."""
    from levelup.registry import table_spec

    try:
        return dict(table_spec(table).columns)
    except KeyError:
        return None


def _frame(relation: duckdb.DuckDBPyRelation) -> pl.DataFrame:
    """A query's rows as a Polars frame through the Arrow C stream interface: not
    `relation.pl()`, whose pyarrow import (with numpy) would slow every report's start."""
    return pl.DataFrame(relation)


class Catalog:
    """Every table's columns, read in one query (a catalog query per table costs more
    than reading most tables)."""

    def __init__(self, conn: duckdb.DuckDBPyConnection) -> None:
        self.conn = conn
        self.tables: dict[str, dict[str, str]] = {}
        rows = conn.execute(
            "SELECT table_name, column_name, data_type FROM duckdb_columns() "
            "WHERE schema_name = 'main' ORDER BY table_name, column_index"
        ).fetchall()
        for table, column, data_type in rows:
            self.tables.setdefault(table, {})[column] = data_type

    def columns(self, table: str) -> dict[str, str]:
        return self.tables.get(table, {})


def _select(
    conn: Catalog,
    table: str,
    needed: dict[str, pl.DataType],
    where: str = "",
    params: Sequence[object] = (),
) -> tuple[pl.DataFrame | None, list[str]]:
    """The needed columns the table has (None if no table), and the "table.column"s it lacks."""
    present = conn.columns(table)
    if not present:
        return None, [table]
    columns = [name for name in needed if name in present]
    if not columns:
        return None, [table]
    select = ", ".join(f'"{name}"' for name in columns)
    query = f'SELECT {select} FROM "{table}" {where}'
    frame = _frame(conn.conn.sql(query, params=list(params) or None))
    return frame, [f"{table}.{name}" for name in needed if name not in present]


def _state(conn: Catalog, table: str, needed: Sequence[str]) -> str:
    """ "missing" (no table, or it lacks a column the section needs), "empty" or "ok"."""
    present = conn.columns(table)
    if not present or any(name not in present for name in needed):
        return fr.MISSING
    has_rows = scalar(conn.conn, f'SELECT EXISTS (SELECT 1 FROM "{table}")')
    return fr.PRESENT if has_rows else fr.EMPTY


def infer_owner_xuid(stats: pl.DataFrame, participants: pl.DataFrame) -> str | None:
    """The human seen in the most of the owner's matches, for databases with no owner_xuid.

    Every stored match has the owner's row in `match_participants`, so the owner
    is in all of them; another player can tie only if they played every match too.
    """
    humans = participants.filter(~pl.col("is_bot").fill_null(False)).join(
        stats.select("match_id"), on="match_id", how="semi"
    )
    if humans.is_empty():
        return None
    counts = humans.group_by("xuid").agg(n=pl.len()).sort(["n", "xuid"], descending=[True, False])
    return str(counts["xuid"][0])


def _owner_rows(
    conn: Catalog,
    table: str,
    needed: dict[str, pl.DataType],
    owner: str | None,
    key: tuple[str, ...],
    and_only: str = "",
    ids: Sequence[str] = (),
) -> tuple[pl.DataFrame, str]:
    """The owner's rows of a per-player table, and the table's state."""
    state = _state(conn, table, (*key, "xuid"))
    if state == fr.MISSING or owner is None:
        return fr.empty(needed), state
    frame, _ = _select(conn, table, needed, f"WHERE xuid = ? {and_only}", [owner, *ids])
    return conform(frame, needed), state


def _covered(
    conn: Catalog,
    table: str,
    state: str,
    where: str = "",
    ids: Sequence[str] = (),
) -> pl.DataFrame:
    """Match ids that have any row in a per-match table: their data is known."""
    if state != fr.PRESENT:
        return fr.empty({"match_id": fr.S})
    query = f'SELECT DISTINCT match_id FROM "{table}" {where}'
    return _frame(conn.conn.sql(query, params=list(ids) or None))


def _whole(
    conn: Catalog,
    table: str,
    needed: dict[str, pl.DataType],
    key: Sequence[str],
    where: str = "",
    ids: Sequence[str] = (),
) -> tuple[pl.DataFrame, str]:
    state = _state(conn, table, key)
    if state != fr.PRESENT:
        return fr.empty(needed), state
    frame, _ = _select(conn, table, needed, where, ids)
    return conform(frame, needed), state


def _only(match_ids: Sequence[str] | None, prefix: str = "WHERE") -> tuple[str, list[str]]:
    """A match-id filter clause and its parameters (none when every match is wanted)."""
    if match_ids is None:
        return "", []
    ids = list(dict.fromkeys(match_ids))
    if not ids:
        return f"{prefix} false", []
    return f"{prefix} match_id IN ({', '.join('?' for _ in ids)})", ids


def load_frames(
    conn: duckdb.DuckDBPyConnection,
    owner_xuid: str | None = None,
    match_ids: Sequence[str] | None = None,
) -> ReportFrames:
    """Read what the report needs; `match_ids` limits every per-match table to those
    matches (one match's scoreboard needs no history).

    Raises:
        ConfigError: the file has no `match_stats` table, so it holds no matches at all.
    """
    where, ids = _only(match_ids)
    catalog = Catalog(conn)
    stats, missing = _select(catalog, "match_stats", fr.STATS_NEEDED, where, ids)
    if stats is None:
        raise ConfigError(
            "this database has no match_stats table: it is not a LevelUp player database, "
            "or no sync ever completed in it"
        )
    participants, lacking = _select(
        catalog, "match_participants", fr.PARTICIPANTS_NEEDED, where, ids
    )
    missing += lacking
    assets, lacking = _select(catalog, "asset_names", fr.ASSETS_NEEDED)
    missing += lacking
    names, lacking = _select(catalog, "player_names", fr.NAMES_NEEDED)
    missing += lacking
    log_columns = catalog.columns("backfill_log")
    not_provided = None
    if {"match_id", "option", "had_value"} <= set(log_columns):
        and_only, _ = _only(match_ids, "AND")
        not_provided = _frame(
            conn.sql(
                "SELECT DISTINCT match_id FROM backfill_log "
                f"WHERE option = 'shots' AND had_value = false {and_only}",
                params=ids or None,
            )
        )
    else:
        missing.append("backfill_log")
    frames = ReportFrames(
        stats=conform(stats, fr.STATS_NEEDED),
        participants=conform(participants, fr.PARTICIPANTS_NEEDED),
        not_provided=conform(not_provided, {"match_id": fr.S}),
        assets=conform(assets, fr.ASSETS_NEEDED),
        names=conform(names, fr.NAMES_NEEDED),
        missing=missing,
    )
    owner = owner_xuid or get_meta(conn, "owner_xuid")
    owner = owner or infer_owner_xuid(frames.stats, frames.participants)
    frames.owner_xuid = owner
    frames.owner_gamertag = get_meta(conn, "owner_gamertag")
    _load_registry_tables(catalog, frames, owner, match_ids)
    return frames


def _load_registry_tables(
    conn: Catalog,
    frames: ReportFrames,
    owner: str | None,
    match_ids: Sequence[str] | None,
) -> None:
    """The medal, mode-stat and skill tables, each when the database has it."""
    state = frames.state
    and_only, ids = _only(match_ids, "AND")
    where, _ = _only(match_ids)
    medal_key, stat_key = ("match_id", "medal_id", "count"), ("match_id", "mode", "stat")
    frames.medals, state["match_medals"] = _owner_rows(
        conn, "match_medals", fr.MEDALS_NEEDED, owner, medal_key, and_only, ids
    )
    frames.medal_matches = _covered(conn, "match_medals", state["match_medals"], where, ids)
    frames.medal_names, state["medal_names"] = _whole(
        conn, "medal_names", fr.MEDAL_NAMES_NEEDED, ("medal_id", "name")
    )
    frames.mode_stats, state["match_mode_stats"] = _owner_rows(
        conn, "match_mode_stats", fr.MODE_STATS_NEEDED, owner, stat_key, and_only, ids
    )
    # Every player has a mode-stat group in every match (PvpStats or PveStats beside
    # CoreStats), so the owner's rows tell which matches are extracted: no scan of the
    # whole table.
    frames.mode_stat_matches = frames.mode_stats.select("match_id").unique()
    frames.skill, state["match_skill"] = _skill(conn, owner, where, ids)
    frames.team_skill, state["match_team_skill"] = _whole(
        conn, "match_team_skill", fr.TEAM_SKILL_NEEDED, ("match_id", "team_id", "mmr"), where, ids
    )
    frames.csr, state["csr_snapshots"] = _owner_rows(
        conn, "csr_snapshots", fr.CSR_NEEDED, owner, ("playlist_id", "fetched_at")
    )


def _skill(
    conn: Catalog, owner: str | None, where: str, ids: Sequence[str]
) -> tuple[pl.DataFrame, str]:
    """Every column of the owner's skill rows; of the other players', their CSR only
    (all the report uses of them), which is most of the table's rows."""
    state = _state(conn, "match_skill", ("match_id", "xuid"))
    if state != fr.PRESENT:
        return fr.empty(fr.SKILL_NEEDED), state
    and_only = where.replace("WHERE", "AND", 1)
    mine, _ = _select(conn, "match_skill", fr.SKILL_NEEDED, f"WHERE xuid = ? {and_only}",
                      [owner or "", *ids])  # fmt: skip
    theirs, _ = _select(conn, "match_skill", fr.OTHER_SKILL_NEEDED,
                        f"WHERE xuid <> ? {and_only}", [owner or "", *ids])  # fmt: skip
    frame = pl.concat(
        [conform(mine, fr.SKILL_NEEDED), conform(theirs, fr.SKILL_NEEDED)], how="vertical"
    )
    return frame, state


def load_scoreboards(conn: duckdb.DuckDBPyConnection, match_ids: Sequence[str]) -> ScoreboardFrames:
    """Every player's and team's rows of the given matches (a few dozen at most)."""
    only = _only(match_ids)
    boards = ScoreboardFrames()
    catalog = Catalog(conn)
    boards.teams, boards.state["match_teams"] = _whole(
        catalog, "match_teams", fr.TEAMS_NEEDED, ("match_id", "team_id"), *only
    )
    boards.team_mode_stats, boards.state["match_team_mode_stats"] = _whole(
        catalog, "match_team_mode_stats", fr.TEAM_MODE_STATS_NEEDED, ("match_id", "stat"), *only
    )
    boards.medals, boards.state["match_medals"] = _whole(
        catalog, "match_medals", fr.PLAYER_MEDALS_NEEDED, ("match_id", "xuid", "medal_id"), *only
    )
    boards.mode_stats, boards.state["match_mode_stats"] = _whole(
        catalog,
        "match_mode_stats",
        fr.PLAYER_MODE_STATS_NEEDED,
        ("match_id", "xuid", "stat"),
        *only,
    )
    return boards


def match_ids_starting(conn: duckdb.DuckDBPyConnection, prefix: str, limit: int = 6) -> list[str]:
    """Stored match ids that start with `prefix` (case-insensitive), a few at most."""
    if not Catalog(conn).columns("match_stats"):
        return []
    rows = conn.execute(
        "SELECT match_id FROM match_stats WHERE starts_with(lower(match_id), lower(?)) "
        "ORDER BY match_id LIMIT ?",
        [prefix, limit],
    ).fetchall()
    return [row[0] for row in rows]
