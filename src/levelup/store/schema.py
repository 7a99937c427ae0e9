"""The player database's schema and its versioned, idempotent migrations.

The data tables are declared in `levelup.registry`; the raw documents and the
bookkeeping tables here. Opening a database runs
`migrate`, which brings any earlier layout up to `SCHEMA_VERSION` in place:
tables are created when absent, missing columns are added as nullable, and
columns LevelUp does not know are left alone, so no row and no column is lost.
Each step can run twice without harm, which is what makes a crash during a
migration safe to rerun.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import duckdb

from levelup.errors import ConfigError
from levelup.registry import DOCUMENT_COLUMNS, DOCUMENT_KEY, DOCUMENTS_TABLE
from levelup.registry import TABLES as DATA_TABLES

SCHEMA_VERSION = 5

# Bookkeeping: state of the sync and backfill, kept in the database itself.
_BOOKKEEPING: dict[str, tuple[dict[str, str], tuple[str, ...]]] = {
    "levelup_meta": ({"key": "VARCHAR", "value": "VARCHAR"}, ("key",)),
    # How far a history walk got, per match-type filter.
    "sync_state": (
        {
            "match_type": "VARCHAR",
            "walk_complete": "BOOLEAN",
            "walk_started_at": "TIMESTAMP",
            "walk_finished_at": "TIMESTAMP",
        },
        ("match_type",),
    ),
    # A failure per match and document kind: a match whose skill document failed
    # is stored (stats) and its skill document fetched again by the next sync.
    "failed_matches": (
        {
            "match_id": "VARCHAR",
            "reason": "VARCHAR",
            "attempts": "INTEGER",
            "first_failed_at": "TIMESTAMP",
            "last_failed_at": "TIMESTAMP",
            "kind": "VARCHAR",
        },
        ("match_id", "kind"),
    ),
    "sync_runs": (
        {
            "run_id": "VARCHAR",
            "command": "VARCHAR",
            "started_at": "TIMESTAMP",
            "finished_at": "TIMESTAMP",
            "status": "VARCHAR",
            "matches_seen": "INTEGER",
            "matches_new": "INTEGER",
            "matches_written": "INTEGER",
            "matches_failed": "INTEGER",
            "details": "VARCHAR",
        },
        ("run_id",),
    ),
    # Per match and backfill option: when it ran, with which extraction, and
    # whether the JSON held a valid value (so hopeless matches are not retried).
    "backfill_log": (
        {
            "match_id": "VARCHAR",
            "option": "VARCHAR",
            "ran_at": "TIMESTAMP",
            "extraction_version": "INTEGER",
            "had_value": "BOOLEAN",
        },
        ("match_id", "option"),
    ),
}

# name -> (columns, primary key): the registry's data tables first, then the raw
# documents they are extracted from, then bookkeeping.
# A detail table ("replace": a match's rows are deleted and inserted as a whole) has
# no key constraint: its rows are unique by construction, and DuckDB keeps every key
# index in memory: those of a long history's millions of detail rows made a first
# sync run out of its bulk-write memory (benchmarks/ANALYSIS.md).
TABLES: dict[str, tuple[dict[str, str], tuple[str, ...]]] = {
    **{
        spec.name: (spec.stored_columns, spec.key if spec.write == "upsert" else ())
        for spec in DATA_TABLES
    },
    DOCUMENTS_TABLE: (DOCUMENT_COLUMNS, DOCUMENT_KEY),
    **_BOOKKEEPING,
}

# The raw-body table of schema version 1, moved into DOCUMENTS_TABLE by step 2.
_LEGACY_JSON_TABLE = "match_json"


@dataclass
class MigrationReport:
    """What `migrate` did, for logs and tests."""

    from_version: int | None
    to_version: int
    created_tables: list[str] = field(default_factory=list)
    added_columns: list[str] = field(default_factory=list)
    added_keys: list[str] = field(default_factory=list)
    normalized_ids: int = 0
    moved_documents: int = 0

    @property
    def changed(self) -> bool:
        changes = self.created_tables or self.added_columns or self.added_keys
        return bool(changes or self.normalized_ids or self.moved_documents) or (
            self.from_version != self.to_version
        )


def _create_table_sql(name: str, columns: dict[str, str], key: tuple[str, ...]) -> str:
    body = ", ".join(f'"{col}" {sql_type}' for col, sql_type in columns.items())
    constraint = f", PRIMARY KEY ({', '.join(key)})" if key else ""
    return f'CREATE TABLE IF NOT EXISTS "{name}" ({body}{constraint})'


def scalar(conn: duckdb.DuckDBPyConnection, sql: str, params: object = None) -> object:
    """First column of the first row, or None.

    Always fetches the whole result: DuckDB 2 refuses other work on a
    connection that still holds an unfinished result (`fetchone` leaves one).
    """
    rows = conn.execute(sql, params).fetchall()
    return rows[0][0] if rows else None


def existing_columns(conn: duckdb.DuckDBPyConnection, table: str) -> dict[str, str]:
    """Column name -> DuckDB type of a table in the main schema, in table order."""
    rows = conn.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = 'main' AND table_name = ? ORDER BY ordinal_position",
        [table],
    ).fetchall()
    return {name: data_type for name, data_type in rows}


def _key_constraints(conn: duckdb.DuckDBPyConnection, table: str, kinds: str) -> list[list[str]]:
    """The column lists of a main-schema table's constraints of `kinds` (an SQL list)."""
    rows = conn.execute(
        "SELECT constraint_column_names FROM duckdb_constraints() "
        f"WHERE schema_name = 'main' AND table_name = ? AND constraint_type IN ({kinds})",
        [table],
    ).fetchall()
    return [sorted(cols) for (cols,) in rows]


def _has_unique_key(conn: duckdb.DuckDBPyConnection, table: str, key: tuple[str, ...]) -> bool:
    if sorted(key) in _key_constraints(conn, table, "'PRIMARY KEY', 'UNIQUE'"):
        return True
    index_name = f"{table}_levelup_key"
    found = scalar(
        conn,
        "SELECT count(*) FROM duckdb_indexes() WHERE table_name = ? AND index_name = ?",
        [table, index_name],
    )
    return bool(found)


def _ensure_unique_key(
    conn: duckdb.DuckDBPyConnection, table: str, key: tuple[str, ...], report: MigrationReport
) -> None:
    """Upserts need a unique key; an old table made without one gets a unique index."""
    if _has_unique_key(conn, table, key):
        return
    cols = ", ".join(key)
    duplicates = scalar(
        conn,
        f'SELECT count(*) FROM (SELECT {cols} FROM "{table}" GROUP BY {cols} HAVING count(*) > 1)',
    )
    if duplicates:
        raise ConfigError(
            f"table {table} has {duplicates} duplicated key(s) on ({cols}); "
            "LevelUp cannot upgrade it without choosing which copy to keep. "
            "Remove the duplicates, then run the command again."
        )
    conn.execute(f'CREATE UNIQUE INDEX "{table}_levelup_key" ON "{table}" ({cols})')
    report.added_keys.append(f"{table}({cols})")


def _ensure_table(
    conn: duckdb.DuckDBPyConnection,
    name: str,
    columns: dict[str, str],
    key: tuple[str, ...],
    report: MigrationReport,
) -> None:
    present = existing_columns(conn, name)
    if not present:
        conn.execute(_create_table_sql(name, columns, key))
        report.created_tables.append(name)
        return
    for col, sql_type in columns.items():
        if col not in present:
            conn.execute(f'ALTER TABLE "{name}" ADD COLUMN "{col}" {sql_type}')
            report.added_columns.append(f"{name}.{col}")
    if key:
        _ensure_unique_key(conn, name, key, report)


def stored_version(conn: duckdb.DuckDBPyConnection) -> int | None:
    """The schema version recorded in the database, None for a database LevelUp never opened."""
    value = get_meta(conn, "schema_version")
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        raise ConfigError(
            f"levelup_meta.schema_version is {value!r}, not a version number: the database "
            "is damaged or was not written by LevelUp"
        ) from None


def _normalize_participant_ids(conn: duckdb.DuckDBPyConnection, report: MigrationReport) -> None:
    """Humans are keyed by digits; older tools stored "xuid(123)". Rewrite those keys,
    unless a row with the digits already exists for the match (then both are kept:
    choosing would lose data)."""
    pattern = r"^xuid\((\d+)\)$"
    rows = conn.execute(
        "UPDATE match_participants AS p SET xuid = regexp_extract(p.xuid, $pattern, 1) "
        "WHERE regexp_full_match(p.xuid, $pattern) AND NOT EXISTS ("
        "SELECT 1 FROM match_participants AS q WHERE q.match_id = p.match_id "
        "AND q.xuid = regexp_extract(p.xuid, $pattern, 1))",
        {"pattern": pattern},
    ).fetchall()
    report.normalized_ids = int(rows[0][0]) if rows else 0


def _step_1_baseline(conn: duckdb.DuckDBPyConnection, report: MigrationReport) -> None:
    """Every table and column of the first release; upgrades pre-LevelUp layouts."""
    _ensure_all_tables(conn, report)
    _normalize_participant_ids(conn, report)


def _ensure_all_tables(
    conn: duckdb.DuckDBPyConnection,
    report: MigrationReport,
    skip: frozenset[str] | set[str] = frozenset(),
) -> None:
    for name, (columns, key) in TABLES.items():
        if name not in skip:
            _ensure_table(conn, name, columns, key, report)


def _step_2_documents(conn: duckdb.DuckDBPyConnection, report: MigrationReport) -> None:
    """Raw bodies move from `match_json` to the generic `match_documents` (kind 'stats').

    The body text is copied as is (byte-identical), inside the caller's
    transaction: an interrupted migration leaves `match_json` untouched. The
    detail tables (medals, mode stats, teams...) are created empty; `levelup
    backfill --medals --mode-stats --personal-scores --teams` fills them from
    the stored documents.
    """
    _ensure_all_tables(conn, report)
    if not existing_columns(conn, _LEGACY_JSON_TABLE):
        return
    moved = conn.execute(
        f'INSERT INTO "{DOCUMENTS_TABLE}" (match_id, kind, body, fetched_at, source) '
        "SELECT j.match_id, 'stats', j.body, j.fetched_at, NULL "
        f'FROM "{_LEGACY_JSON_TABLE}" AS j WHERE j.match_id IS NOT NULL '
        f"ON CONFLICT (match_id, kind) DO NOTHING"
    ).fetchall()
    conn.execute(f'DROP TABLE "{_LEGACY_JSON_TABLE}"')
    report.moved_documents = int(moved[0][0]) if moved else 0


def _step_3_failures_per_kind(conn: duckdb.DuckDBPyConnection, report: MigrationReport) -> None:
    """Failures become per (match_id, kind): `failed_matches` gains `kind`, every
    existing failure is a stats failure, and the key becomes (match_id, kind).

    DuckDB cannot change a primary key in place, so an older table is copied
    into the new layout (columns LevelUp does not know are kept), inside the
    caller's transaction. The skill tables are created empty; `levelup backfill
    --skill` fetches the skill documents of stored matchmade matches.
    """
    _ensure_all_tables(conn, report, skip={"failed_matches"})
    columns, key = TABLES["failed_matches"]
    present = existing_columns(conn, "failed_matches")
    # A table has one primary key at most.
    if present and sorted(key) not in _key_constraints(conn, "failed_matches", "'PRIMARY KEY'"):
        kept = {**columns, **{c: t for c, t in present.items() if c not in columns}}
        shared = [c for c in kept if c in present and c != "kind"]
        kind = "coalesce(kind, 'stats')" if "kind" in present else "'stats'"
        names = ", ".join(f'"{c}"' for c in shared)
        conn.execute('CREATE TEMP TABLE "levelup_failed_copy" AS SELECT * FROM failed_matches')
        conn.execute("DROP TABLE failed_matches")
        conn.execute(_create_table_sql("failed_matches", kept, key))
        conn.execute(
            f'INSERT INTO failed_matches ({names}, "kind") SELECT {names}, {kind} '
            'FROM "levelup_failed_copy" WHERE match_id IS NOT NULL'
        )
        conn.execute('DROP TABLE "levelup_failed_copy"')
        report.added_keys.append("failed_matches(match_id, kind)")
    else:
        _ensure_table(conn, "failed_matches", columns, key, report)
        conn.execute("UPDATE failed_matches SET kind = 'stats' WHERE kind IS NULL")


# Version -> the step that brings a database from version - 1 to it. Add new
# steps at the end; never edit a released one.
MIGRATIONS: dict[int, Callable[[duckdb.DuckDBPyConnection, MigrationReport], None]] = {
    1: _step_1_baseline,
    2: _step_2_documents,
    3: _step_3_failures_per_kind,
    # Every extracted table and the documents gain `sync_run_id` (NULL for rows written
    # before: no run is known for them).
    4: _ensure_all_tables,
    # `match_count_snapshots` and `service_record_snapshots` (issue 13).
    5: _ensure_all_tables,
}


def migrate(conn: duckdb.DuckDBPyConnection) -> MigrationReport:
    """Bring the database to `SCHEMA_VERSION` inside the caller's transaction, if any.

    Raises:
        ConfigError: the database comes from a newer LevelUp, or cannot be upgraded.
    """
    version = stored_version(conn)
    report = MigrationReport(from_version=version, to_version=SCHEMA_VERSION)
    if version is not None and version > SCHEMA_VERSION:
        raise ConfigError(
            f"this database has schema version {version}, newer than this LevelUp "
            f"({SCHEMA_VERSION}); upgrade LevelUp to open it"
        )
    if version == SCHEMA_VERSION:
        return report
    if version is None and not scalar(
        conn, "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'main'"
    ):
        # A new, empty database: the latest layout at once (every step would only
        # find its tables already made by the first one).
        _ensure_all_tables(conn, report)
        set_meta(conn, "schema_version", str(SCHEMA_VERSION))
        return report
    # A database of unknown origin runs every step: each one is idempotent.
    for step_version in sorted(MIGRATIONS):
        if version is None or step_version > version:
            MIGRATIONS[step_version](conn, report)
    set_meta(conn, "schema_version", str(SCHEMA_VERSION))
    return report


def get_meta(conn: duckdb.DuckDBPyConnection, key: str) -> str | None:
    """A value of `levelup_meta` (owner_xuid, owner_gamertag, schema_version)."""
    if not existing_columns(conn, "levelup_meta"):
        return None
    value = scalar(conn, "SELECT value FROM levelup_meta WHERE key = ?", [key])
    return None if value is None else str(value)


def set_meta(conn: duckdb.DuckDBPyConnection, key: str, value: str) -> None:
    conn.execute(
        "INSERT INTO levelup_meta VALUES (?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [key, value],
    )
