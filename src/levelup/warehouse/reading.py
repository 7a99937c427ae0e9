"""Reading a player database as the registry describes it, whatever its layout.

Why: reports, exports and SQL open databases read-only and never migrate them,
so an old database may lack tables or columns, or hold a column with an older
type (accuracy as FLOAT). Every table is read through one projection onto the
registry's columns and types: a missing column reads as a typed NULL and is
named, so every player's rows line up as one table and nothing is guessed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import duckdb

from levelup.errors import ConfigError, DatabaseBusyError
from levelup.store.database import is_lock_error
from levelup.warehouse.tables import (
    LEGACY_DOCUMENTS_TABLE,
    DocumentsSpec,
    TableSpecLike,
    documents_table,
)

# The table the `--since` filter reads match start times from.
MATCHES_TABLE = "match_stats"
START_COLUMN = "start_time"


def first_line(exc: BaseException) -> str:
    """An error's first non-blank line (DuckDB's messages go on with context)."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__


def quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def attach_read_only(conn: duckdb.DuckDBPyConnection, path: Path, alias: str) -> None:
    """Attach a player database READ_ONLY to a running (in-memory) DuckDB.

    Why not one connection per file: each starts a whole database instance, many
    times the cost of an ATTACH to a running one (benchmarks/ANALYSIS.md), and a
    community export or query opens hundreds of files.

    Raises:
        DatabaseBusyError: a writer (a sync) holds the file.
        ConfigError: the file cannot be opened as a DuckDB database.
    """
    try:
        conn.execute(f"ATTACH {quote_literal(str(path))} AS {quote_identifier(alias)} (READ_ONLY)")
    except duckdb.Error as exc:
        if is_lock_error(exc):
            raise DatabaseBusyError(
                f"the database {path} is in use by another LevelUp process "
                "(DuckDB allows one writer at a time); wait for it to finish and retry"
            ) from None
        raise ConfigError(f"cannot open the database {path}: {first_line(exc)}") from None


def owner_meta(
    conn: duckdb.DuckDBPyConnection, alias: str, schema: dict[str, dict[str, str]]
) -> dict[str, str]:
    """owner_xuid / owner_gamertag as the attached database records them (may be empty)."""
    if "levelup_meta" not in schema:
        return {}
    rows = conn.execute(
        f"SELECT key, value FROM {quote_identifier(alias)}.main.levelup_meta "
        "WHERE key IN ('owner_xuid', 'owner_gamertag') AND value IS NOT NULL"
    ).fetchall()
    return {str(key): str(value) for key, value in rows}


def database_schema(
    conn: duckdb.DuckDBPyConnection, catalog: str | None = None
) -> dict[str, dict[str, str]]:
    """Table -> (column -> DuckDB type) of one database's main schema, in column order
    (`catalog` None: the connection's own database)."""
    rows = conn.execute(
        "SELECT table_name, column_name, data_type FROM duckdb_columns() "
        "WHERE database_name = coalesce(?, current_database()) AND schema_name = 'main' "
        "ORDER BY table_name, column_index",
        [catalog],
    ).fetchall()
    tables: dict[str, dict[str, str]] = {}
    for table, column, data_type in rows:
        tables.setdefault(table, {})[column] = data_type
    return tables


def database_schemas(
    conn: duckdb.DuckDBPyConnection, catalogs: list[str]
) -> dict[str, dict[str, dict[str, str]]]:
    """`database_schema` of several attached databases in one catalog query."""
    rows = conn.execute(
        "SELECT database_name, table_name, column_name, data_type FROM duckdb_columns() "
        "WHERE database_name IN (SELECT unnest($catalogs)) AND schema_name = 'main' "
        "ORDER BY database_name, table_name, column_index",
        {"catalogs": catalogs},
    ).fetchall()
    found: dict[str, dict[str, dict[str, str]]] = {name: {} for name in catalogs}
    for catalog, table, column, data_type in rows:
        found[catalog].setdefault(table, {})[column] = data_type
    return found


@dataclass(frozen=True)
class TableRead:
    """How one table of one database is read."""

    sql: str  # SELECT <registry columns> FROM <table> [WHERE <since>]
    missing_columns: list[str]  # registry columns the database lacks (read as NULL)
    relation: str  # the stored table actually read (match_json for old documents)


def _relation(catalog: str | None, table: str) -> str:
    if catalog is None:
        return quote_identifier(table)
    return f"{quote_identifier(catalog)}.{quote_identifier(table)}"


def _column_expression(name: str, wanted: str, present: dict[str, str]) -> str:
    column = quote_identifier(name)
    have = present.get(name)
    if have is None:
        return f"CAST(NULL AS {wanted}) AS {column}"
    if have.upper() == wanted.upper():
        return column
    return f"CAST({column} AS {wanted}) AS {column}"


def _since_filter(
    spec: TableSpecLike | DocumentsSpec,
    since: dt.date | None,
    catalog: str | None,
    schema: dict[str, dict[str, str]],
) -> str:
    if since is None or not spec.per_match:
        return ""
    if START_COLUMN not in schema.get(MATCHES_TABLE, {}):
        raise LayoutError(
            f"cannot apply --since: the database has no {MATCHES_TABLE}.{START_COLUMN}"
        )
    bound = f"TIMESTAMP {quote_literal(since.isoformat())}"
    if spec.name == MATCHES_TABLE:
        return f" WHERE {quote_identifier(START_COLUMN)} >= {bound}"
    matches = _relation(catalog, MATCHES_TABLE)
    return (
        f' WHERE "match_id" IN (SELECT "match_id" FROM {matches} '
        f"WHERE {quote_identifier(START_COLUMN)} >= {bound})"
    )


class LayoutError(Exception):
    """The database cannot be read as asked (e.g. `--since` without start times)."""


def read_table(
    spec: TableSpecLike | DocumentsSpec,
    schema: dict[str, dict[str, str]],
    *,
    catalog: str | None = None,
    since: dt.date | None = None,
    leading: str = "",
    overrides: dict[str, str] | None = None,
) -> TableRead | None:
    """The SELECT that reads `spec` from one database (`schema`, its tables), or None
    when it has no such table.

    Args:
        catalog: the attached database's name, None for the connection's own.
        since: keep only matches started on or after this day (per-match tables).
        leading: SQL select items put before the table's columns (player columns).
        overrides: column -> SQL expression replacing the plain column read.

    Raises:
        LayoutError: `since` is given and the database has no match start times.
    """
    relation = spec.name
    present = schema.get(spec.name)
    fixed = dict(overrides or {})
    if present is None and spec.name == documents_table().name:
        present = schema.get(LEGACY_DOCUMENTS_TABLE)
        relation = LEGACY_DOCUMENTS_TABLE
        # An old layout holds only match stats bodies, with no recorded source.
        fixed.setdefault("kind", "CAST('stats' AS VARCHAR)")
    if present is None:
        return None
    items = [leading] if leading else []
    missing = []
    for name, wanted in spec.columns.items():
        if name in fixed:
            items.append(f"{fixed[name]} AS {quote_identifier(name)}")
            continue
        if name not in present:
            missing.append(name)
        items.append(_column_expression(name, wanted, present))
    sql = (
        f"SELECT {', '.join(items)} FROM {_relation(catalog, relation)}"
        f"{_since_filter(spec, since, catalog, schema)}"
    )
    return TableRead(sql=sql, missing_columns=missing, relation=relation)
