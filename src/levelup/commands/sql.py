"""`levelup sql`: one read-only SQL statement over every tracked player.

    levelup sql "SELECT player_gamertag, sum(kills) FROM match_stats GROUP BY ALL"
    levelup sql "SELECT count(*) FROM match_participants" --player MyGT --format csv
    levelup sql "SHOW TABLES" --format json

Every table is one view over the selected players (default: every player
database), with `player_xuid` and `player_gamertag` columns; `levelup_players`
lists them. Databases are attached read-only; anything but a read is refused.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import decimal
import sys
import uuid
from typing import Any

from levelup.commands.common import add_command, add_data_dir, add_players, print_json
from levelup.errors import DatabaseBusyError, about
from levelup.store.database import resolve_data_dir
from levelup.sync.players import select_databases
from levelup.warehouse.sql import (
    Catalog,
    QueryResult,
    check_read_only,
    open_catalog,
    referenced_tables,
    run_query,
)

OUTPUT_FORMATS = ("table", "csv", "json")
# A terminal table beyond this many rows is unreadable; csv and json print them all.
TABLE_MAX_ROWS = 1000


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = add_command(subparsers, "sql", __doc__)
    parser.add_argument("query", metavar="SQL", help="one SELECT / WITH / DESCRIBE / ... statement")
    add_players(parser, required=False, all_help="every player database (the default)")
    add_data_dir(parser)
    parser.add_argument(
        "--format", choices=OUTPUT_FORMATS, default="table", help="output (default table)"
    )
    parser.set_defaults(func=run)


def _warn(message: str) -> None:
    print(f"levelup: warning: {message}", file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    import duckdb

    # One in-memory DuckDB parses the statement and then holds the attached databases.
    conn = duckdb.connect(":memory:")
    try:
        statement = check_read_only(args.query, conn)  # before any database is opened
        data_dir = resolve_data_dir(args.data_dir)
        named = bool(args.player)
        databases = select_databases(data_dir, args.player or [], not named)
    except BaseException:
        conn.close()
        raise
    catalog = open_catalog(databases, named=named, conn=conn)
    try:
        if catalog.skipped and not catalog.players:
            # Nothing readable: an empty answer would look like "no such rows".
            # Each reason names its database already.
            reasons = "; ".join(reason for _, reason in catalog.skipped)
            raise DatabaseBusyError(f"no player database could be read: {reasons}")
        for path, reason in catalog.skipped:
            _warn(f"skipped: {about(path, reason)}")
        _note_missing(catalog, statement)
        result = run_query(catalog, statement)
    finally:
        catalog.close()
    _print(result, args.format, catalog)
    return 1 if catalog.skipped else 0


def _note_missing(catalog: Catalog, statement: str) -> None:
    """Say which players' databases lack a table the query reads (older layouts):
    their rows are absent from its view, not zero."""
    for table in sorted(referenced_tables(catalog, statement)):
        lacking = catalog.missing.get(table)
        if lacking:
            _warn(
                f"{table} is not in the database of {', '.join(lacking)} (older layout): "
                "those players have no rows in it"
            )


def _plain(value: Any) -> Any:
    """JSON and CSV friendly values: exact decimals as numbers, times as ISO-8601."""
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta | uuid.UUID | bytes):
        return str(value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def _print(result: QueryResult, fmt: str, catalog: Catalog) -> None:
    if fmt == "json":
        print_json(
            {
                "columns": result.columns,
                "types": result.types,
                "rows": [[_plain(v) for v in row] for row in result.rows],
                "row_count": len(result.rows),
                "players": [
                    {"xuid": db.xuid, "gamertag": db.label, "database": str(db.path)}
                    for db in catalog.players
                ],
                "skipped": [{"database": str(p), "reason": r} for p, r in catalog.skipped],
            }
        )
    elif fmt == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(result.columns)
        for row in result.rows:
            writer.writerow(["" if v is None else _plain(v) for v in row])
        sys.stdout.flush()
    else:
        _print_table(result)


def _print_table(result: QueryResult) -> None:
    """A table when every column fits the terminal with its header readable, else
    one block per row (column, value), as psql's expanded display does: a wide
    `SELECT *` squeezed into narrow columns could not be read at all."""
    import os

    from rich.table import Table

    from levelup.console import PipeAwareConsole

    width = None if sys.stdout.isatty() or "COLUMNS" in os.environ else 160
    console = PipeAwareConsole(width=width)
    rows = [
        ["NULL" if v is None else str(_plain(v)) for v in row]
        for row in result.rows[:TABLE_MAX_ROWS]
    ]
    if _fits(result.columns, rows, console.width):
        table = Table(show_lines=False)
        for name, sql_type in zip(result.columns, result.types, strict=True):
            numeric = any(t in sql_type for t in ("INT", "DOUBLE", "FLOAT", "DECIMAL", "REAL"))
            table.add_column(name, justify="right" if numeric else "left", overflow="fold")
        for cells in rows:
            table.add_row(*cells)
        console.print(table)
    else:
        _print_expanded(console, result.columns, rows)
    shown = len(rows)
    note = f"{len(result.rows)} row(s)"
    if shown < len(result.rows):
        note += f"; the first {shown} shown (--format csv or json prints every row)"
    print(note, file=sys.stderr)


# A column narrower than this (or than its header) is not worth reading in a table.
_MIN_COLUMN = 12


def _fits(columns: list[str], rows: list[list[str]], width: int) -> bool:
    """Whether every column gets its header's width (up to `_MIN_COLUMN`) or its
    widest value, whichever is less, plus rich's borders and padding (3 each)."""
    needed = 1
    for index, name in enumerate(columns):
        widest = max((len(cells[index]) for cells in rows), default=0)
        needed += min(max(len(name), widest), max(len(name), _MIN_COLUMN)) + 3
    return needed <= width


def _print_expanded(console: Any, columns: list[str], rows: list[list[str]]) -> None:
    """One block per row: each column's name, then its value wrapped beside it."""
    from rich.table import Table

    for number, cells in enumerate(rows, start=1):
        console.print(f"-[ row {number} ]-", style="bold", highlight=False, markup=False)
        block = Table.grid(padding=(0, 1))
        block.add_column(no_wrap=True)
        block.add_column(no_wrap=True)
        block.add_column(overflow="fold")
        for name, value in zip(columns, cells, strict=True):
            block.add_row(name, "|", value)
        console.print(block, highlight=False)
