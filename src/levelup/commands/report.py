"""`levelup report`: a player's shooting accuracy, in the terminal, as JSON or as a web page.

The database is opened read-only and never migrated: a report must work while
nothing may write (a sync elsewhere is refused with a clear message by
`connect`), and on an old layout it reports what the columns allow and names
the ones it lacks. Loading is one SQL query per table into Polars; every figure
is computed in `levelup.analysis.accuracy`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from levelup.analysis.accuracy import (
    ASSETS_NEEDED,
    NAMES_NEEDED,
    PARTICIPANTS_NEEDED,
    STATS_NEEDED,
    ReportFrames,
    Scope,
    build_report,
    conform,
    parse_mode,
)
from levelup.analysis.terminal import render_terminal
from levelup.commands.common import add_data_dir, non_negative_int, positive_int, print_json
from levelup.console import PipeAwareConsole
from levelup.errors import ConfigError, PlayerNotFoundError
from levelup.store.database import (
    PlayerDatabase,
    connect,
    find_player_db,
    list_player_dbs,
    resolve_data_dir,
)
from levelup.store.schema import existing_columns, get_meta

DEFAULT_MIN_SHOTS = 20


def _date(text: str) -> dt.date:
    try:
        return dt.datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def _mode(text: str) -> int:
    try:
        return parse_mode(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "report",
        help="shooting accuracy: overall, by mode, map and playlist, trend, against the lobby",
        description="Accuracy report of a stored player (read-only). Accuracy is always "
        "total shots hit / total shots fired; matches whose shots are unknown are counted "
        "apart, never as 0%.",
    )
    parser.add_argument("--player", required=True, metavar="GT", help="gamertag or xuid")
    add_data_dir(parser)
    parser.add_argument("--last", type=positive_int, metavar="N", help="the newest N matches")
    parser.add_argument(
        "--since", type=_date, metavar="DATE", help="matches started on or after DATE (UTC)"
    )
    parser.add_argument(
        "--mode",
        type=_mode,
        action="append",
        metavar="NAME",
        help="game mode (Slayer, CTF, Oddball, Strongholds, KingOfTheHill, Infection, "
        "Firefight, ...); repeat for several",
    )
    parser.add_argument(
        "--min-shots",
        type=non_negative_int,
        default=DEFAULT_MIN_SHOTS,
        metavar="N",
        help=f"shots a match needs to rank among best / worst (default {DEFAULT_MIN_SHOTS})",
    )
    parser.add_argument("--html", type=Path, metavar="FILE", help="also write a web page")
    parser.add_argument(
        "--json", action="store_true", help="print the figures as JSON (last line of stdout)"
    )
    parser.set_defaults(func=run)


def _query(conn: duckdb.DuckDBPyConnection, sql: str) -> pl.DataFrame:
    return conn.sql(sql).pl()


def _load_table(
    conn: duckdb.DuckDBPyConnection, table: str, needed: dict[str, pl.DataType]
) -> tuple[pl.DataFrame | None, list[str]]:
    """The needed columns the table has, and the "table.column" names it lacks."""
    present = existing_columns(conn, table)
    if not present:
        return None, [table]
    columns = [name for name in needed if name in present]
    select = ", ".join(f'"{name}"' for name in columns)
    frame = _query(conn, f'SELECT {select} FROM "{table}"')
    return frame, [f"{table}.{name}" for name in needed if name not in present]


def load_frames(conn: duckdb.DuckDBPyConnection, owner_xuid: str | None = None) -> ReportFrames:
    """Read what the report needs: one query per table, nothing written.

    Raises:
        ConfigError: the file has no `match_stats` table, so it holds no matches at all.
    """
    stats, missing = _load_table(conn, "match_stats", STATS_NEEDED)
    if stats is None:
        raise ConfigError(
            "this database has no match_stats table: it is not a LevelUp player database, "
            "or no sync ever completed in it"
        )
    participants, lacking = _load_table(conn, "match_participants", PARTICIPANTS_NEEDED)
    missing += lacking
    assets, lacking = _load_table(conn, "asset_names", ASSETS_NEEDED)
    missing += lacking
    names, lacking = _load_table(conn, "player_names", NAMES_NEEDED)
    missing += lacking
    log_columns = existing_columns(conn, "backfill_log")
    not_provided = None
    if {"match_id", "option", "had_value"} <= set(log_columns):
        not_provided = _query(
            conn,
            "SELECT DISTINCT match_id FROM backfill_log "
            "WHERE option = 'shots' AND had_value = false",
        )
    else:
        missing.append("backfill_log")
    return ReportFrames(
        stats=conform(stats, STATS_NEEDED),
        participants=conform(participants, PARTICIPANTS_NEEDED),
        not_provided=conform(not_provided, {"match_id": pl.String()}),
        assets=conform(assets, ASSETS_NEEDED),
        names=conform(names, NAMES_NEEDED),
        owner_xuid=owner_xuid or get_meta(conn, "owner_xuid"),
        missing=missing,
    )


def _find_database(data_dir: Path, player: str) -> PlayerDatabase:
    found = find_player_db(data_dir, player)
    if found is not None:
        return found
    known = [db.label for db in list_player_dbs(data_dir)]
    hint = f"; stored players: {', '.join(known)}" if known else "; no player is stored there yet"
    raise PlayerNotFoundError(
        f"no database for player {player!r} under {data_dir / 'players'}{hint} "
        "(run `levelup sync --player GT` first)"
    )


def _console(to_stderr: bool) -> PipeAwareConsole:
    """Rich output; 120 columns when not a terminal, so piped tables do not wrap at 80."""
    stream = sys.stderr if to_stderr else sys.stdout
    width = None if stream.isatty() or "COLUMNS" in os.environ else 120
    return PipeAwareConsole(file=stream, width=width)


def run(args: argparse.Namespace) -> int:
    data_dir = resolve_data_dir(args.data_dir)
    database = _find_database(data_dir, args.player)
    conn = connect(database.path, read_only=True)
    try:
        try:
            frames = load_frames(conn, database.xuid)
            gamertag = get_meta(conn, "owner_gamertag") or database.gamertag
        except duckdb.Error as exc:
            raise ConfigError(f"cannot read the database {database.path}: {exc}") from None
    finally:
        conn.close()
    scope = Scope(
        last=args.last,
        since=args.since,
        categories=tuple(dict.fromkeys(args.mode or ())),
        min_shots=args.min_shots,
    )
    player: dict[str, Any] = {"gamertag": gamertag or args.player, "xuid": frames.owner_xuid}
    report = build_report(frames, scope, player=player)
    console = _console(to_stderr=args.json)
    render_terminal(report.summary, console)
    if args.html:
        from levelup.analysis.html_report import write_html

        try:
            written = write_html(args.html, report)
        except OSError as exc:
            raise ConfigError(f"cannot write {args.html}: {exc}") from None
        console.print(f"HTML report written to {written}")
    if args.json:
        print_json({**report.summary, "database": str(database.path)})
    return 0
