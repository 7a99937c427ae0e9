"""One read-only SQL statement over every selected player's database.

An in-memory DuckDB attaches each player database READ_ONLY and defines, for
every registry table (and the bookkeeping `sync_runs` and `failed_matches`), a
view that is the `UNION ALL BY NAME` of that table in every attached database,
projected onto the registry's columns and led by `player_xuid` and
`player_gamertag`; `levelup_players` lists the attached players.

Read-only twice over: the statement must parse (DuckDB's own
`extract_statements`) as one SELECT-like statement (SELECT, WITH, VALUES,
FROM-first, DESCRIBE, SHOW, SUMMARIZE, or EXPLAIN of one of those), and the
databases are attached read-only with file system access switched off and the
configuration locked, so even a statement that got past the check could
neither change a database nor write a file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import duckdb

from levelup.errors import ConfigError, DatabaseBusyError, UsageError
from levelup.store.database import PlayerDatabase
from levelup.warehouse.reading import (
    attach_read_only,
    database_schemas,
    first_line,
    owner_meta,
    quote_identifier,
    quote_literal,
    read_table,
)
from levelup.warehouse.tables import (
    DocumentsSpec,
    TableSpecLike,
    data_tables,
    documents_table,
    run_tables,
)

PLAYERS_VIEW = "levelup_players"
_READ_TYPES = {duckdb.StatementType.SELECT}
# EXPLAIN [ANALYZE] [(options)]: what follows is the statement it explains.
_EXPLAIN = re.compile(r"^\s*EXPLAIN(\s+ANALY[SZ]E)?(\s*\([^)]*\))?", re.IGNORECASE)


class SqlError(UsageError):
    """The statement does not parse, does not bind, or fails while running (exit 2)."""


class RefusedStatement(UsageError):
    """The statement is not a read (exit 2)."""


def check_read_only(query: str, conn: duckdb.DuckDBPyConnection | None = None) -> str:
    """The one read statement in `query`, as DuckDB parsed it (with `conn`'s parser
    when given: DuckDB's module-level one starts a database instance of its own).

    Raises:
        SqlError: it does not parse, or holds no statement.
        RefusedStatement: more than one statement, or one that is not a read.
    """
    try:
        statements = (conn or duckdb).extract_statements(query)
    except duckdb.Error as exc:
        raise SqlError(f"SQL error: {first_line(exc)}") from None
    if not statements:
        raise SqlError("SQL error: no statement given")
    if len(statements) > 1:
        raise RefusedStatement(
            f"give one statement, not {len(statements)} (levelup sql runs a single query)"
        )
    statement = statements[0]
    kind = statement.type
    if kind == duckdb.StatementType.EXPLAIN:
        # EXPLAIN ANALYZE runs what it explains: the inner statement must be a read too.
        check_read_only(_EXPLAIN.sub("", statement.query, count=1), conn)
        return statement.query
    if kind not in _READ_TYPES:
        # The statement's own first word: DuckDB files INSTALL under LOAD, for one.
        words = statement.query.split(None, 1)
        word = words[0].upper() if words and words[0].isalpha() else kind.name
        raise RefusedStatement(
            f"refused: {word} statements are not allowed; levelup sql only reads "
            "(SELECT, WITH, FROM-first, VALUES, DESCRIBE, SHOW, SUMMARIZE, EXPLAIN)"
        )
    return statement.query


@dataclass
class Catalog:
    """The in-memory connection with every readable player database attached."""

    conn: duckdb.DuckDBPyConnection
    players: list[PlayerDatabase] = field(default_factory=list)
    skipped: list[tuple[Path, str]] = field(default_factory=list)
    # table -> labels of the attached players whose database lacks it
    missing: dict[str, list[str]] = field(default_factory=dict)

    def close(self) -> None:
        self.conn.close()


# An attached player: its alias, its database, and its tables' columns.
_Attached = tuple[str, PlayerDatabase, dict[str, dict[str, str]]]


def _alias(index: int) -> str:
    return f"player_{index}"


def _leading(database: PlayerDatabase) -> str:
    xuid = quote_literal(database.xuid) if database.xuid else "NULL"
    gamertag = quote_literal(database.label)
    return f"CAST({xuid} AS VARCHAR) AS player_xuid, CAST({gamertag} AS VARCHAR) AS player_gamertag"


def _empty_view(columns: dict[str, str]) -> str:
    """A view of the player columns and `columns` (name -> type) with no row."""
    typed = ", ".join(
        f"CAST(NULL AS {sql_type}) AS {quote_identifier(name)}"
        for name, sql_type in columns.items()
    )
    return (
        "SELECT CAST(NULL AS VARCHAR) AS player_xuid, CAST(NULL AS VARCHAR) AS player_gamertag, "
        f"{typed} WHERE false"
    )


def _with_owner(
    conn: duckdb.DuckDBPyConnection,
    alias: str,
    schema: dict[str, dict[str, str]],
    database: PlayerDatabase,
) -> PlayerDatabase:
    """The owner as the attached file records it: listing could not read it if a
    writer held the file at that moment."""
    if database.xuid and database.gamertag:
        return database
    meta = owner_meta(conn, alias, schema)
    return replace(
        database,
        xuid=database.xuid or meta.get("owner_xuid"),
        gamertag=database.gamertag or meta.get("owner_gamertag"),
    )


def _attach_all(
    catalog: Catalog, databases: list[PlayerDatabase], named: bool
) -> list[tuple[str, PlayerDatabase]]:
    """(alias, database) of each database attached; the others recorded in `skipped`.

    Raises:
        DatabaseBusyError: a named database is in use by a writer.
    """
    attached: list[tuple[str, PlayerDatabase]] = []
    for database in databases:
        alias = _alias(len(attached))
        try:
            attach_read_only(catalog.conn, database.path, alias)
        except DatabaseBusyError as exc:
            if named:
                raise
            catalog.skipped.append((database.path, str(exc)))
            continue
        except ConfigError as exc:
            catalog.skipped.append((database.path, str(exc)))
            continue
        attached.append((alias, database))
    return attached


def _union(catalog: Catalog, spec: TableSpecLike | DocumentsSpec, schemas: list[_Attached]) -> str:
    """The view of one table over every attached player that has it (the others are
    recorded in `missing`); no player has it: an empty view of its columns."""
    parts = []
    for alias, database, schema in schemas:
        read = read_table(spec, schema, catalog=alias, leading=_leading(database))
        if read is None:
            catalog.missing.setdefault(spec.name, []).append(database.label)
        else:
            parts.append(read.sql)
    return "\nUNION ALL BY NAME\n".join(parts) if parts else _empty_view(spec.columns)


def _as_stored(spec: TableSpecLike) -> TableSpecLike | DocumentsSpec:
    """A data table with the columns the writer adds (`created_at`, `updated_at`,
    `sync_run_id`) after the registry's, so "what did run X write" is one query;
    a database from before them shows NULLs."""
    stored = getattr(spec, "stored_columns", None)
    if not stored:
        return spec
    return DocumentsSpec(
        name=spec.name,
        columns=dict(stored),
        key=spec.key,
        description=spec.description,
        column_docs=spec.column_docs,
        per_match=spec.per_match,
    )


def _players_view(schemas: list[_Attached]) -> str:
    players = [
        f"SELECT {_leading(database)}, CAST({quote_literal(str(database.path))} AS VARCHAR) "
        "AS database"
        for _, database, _ in schemas
    ]
    return " UNION ALL ".join(players) if players else _empty_view({"database": "VARCHAR"})


def open_catalog(
    databases: list[PlayerDatabase],
    *,
    named: bool,
    conn: duckdb.DuckDBPyConnection | None = None,
) -> Catalog:
    """Attach every database read-only and define the union views. A database locked
    by a writer is skipped (in `skipped`) unless it was `named`; the catalog owns
    `conn` (a new in-memory connection by default).

    Raises:
        DatabaseBusyError: a named database is in use by a writer.
    """
    conn = conn or duckdb.connect(":memory:")
    catalog = Catalog(conn=conn)
    try:
        attached = _attach_all(catalog, databases, named)
        by_alias = database_schemas(conn, [alias for alias, _ in attached])
        schemas = [
            (alias, _with_owner(conn, alias, by_alias[alias], database), by_alias[alias])
            for alias, database in attached
        ]
        catalog.players = [database for _, database, _ in schemas]
        views = [*map(_as_stored, data_tables()), documents_table(), *run_tables()]
        for spec in views:
            body = _union(catalog, spec, schemas)
            conn.execute(f"CREATE VIEW {quote_identifier(spec.name)} AS {body}")
        conn.execute(f"CREATE VIEW {PLAYERS_VIEW} AS {_players_view(schemas)}")
        # The real guarantee, beside the statement check: no file can be read or
        # written from here on, and no setting changed back.
        conn.execute("SET enable_external_access = false")
        conn.execute("SET lock_configuration = true")
    except BaseException:
        conn.close()
        raise
    return catalog


@dataclass
class QueryResult:
    """Column names, their DuckDB types, and every row."""

    columns: list[str]
    types: list[str]
    rows: list[tuple[Any, ...]]


def referenced_tables(catalog: Catalog, statement: str) -> set[str]:
    """Table names the statement reads (to say which players lack them)."""
    try:
        return set(catalog.conn.get_table_names(statement, qualified=False))
    except duckdb.Error:
        return set()


def run_query(catalog: Catalog, statement: str) -> QueryResult:
    """Run one checked read statement.

    Raises:
        SqlError: DuckDB rejects it (catalog, binder, conversion, ...), as one line.
    """
    try:
        relation = catalog.conn.execute(statement)
        rows = relation.fetchall()
        description = relation.description or []
    except duckdb.Error as exc:
        raise SqlError(f"SQL error: {first_line(exc)}") from None
    return QueryResult(
        columns=[d[0] for d in description],
        types=[str(d[1]) for d in description],
        rows=rows,
    )
