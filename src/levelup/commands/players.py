"""`levelup players`: every tracked player of the data dir, at a glance.

Per player: matches stored, first and last match, the last sync (when, status),
pending failures, database size, and completeness (the API's counts and
service record against the warehouse, `levelup.analysis.completeness`). Every
database is opened read-only and never upgraded; one in use by a sync is named
and skipped (exit 1).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from pathlib import Path
from typing import Any

import duckdb
from rich.table import Table

from levelup.analysis.completeness import completeness, describe, table_names
from levelup.commands.common import add_command, add_data_dir, print_json
from levelup.console import PipeAwareConsole
from levelup.errors import DatabaseBusyError, LevelUpError, UsageError
from levelup.store.database import PlayerDatabase, connect, list_player_dbs, resolve_data_dir


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = add_command(
        subparsers,
        "players",
        "Every tracked player of the data dir: matches stored, first and last "
        "match, last sync, pending failures, database size, completeness.",
        raw=False,
    )
    add_data_dir(parser)
    parser.add_argument("--json", action="store_true", help="print the list as JSON (last line)")
    parser.set_defaults(func=run)


def _size(path: Path) -> int:
    """The database file and its write-ahead log, in bytes."""
    wal = path.with_name(path.name + ".wal")
    return path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)


def player_summary(db: PlayerDatabase) -> dict[str, Any]:
    """What `levelup players` says of one database (read-only).

    Raises:
        DatabaseBusyError: a sync holds the database.
    """
    conn = connect(db.path, read_only=True)
    try:
        tables = table_names(conn)
        summary: dict[str, Any] = {
            "gamertag": db.gamertag,
            "xuid": db.xuid,
            "folder": db.folder,
            "database": str(db.path),
            "database_bytes": _size(db.path),
            "matches": 0,
            "first_match": None,
            "last_match": None,
            "last_sync": None,
            "pending_failures": 0,
            "completeness": None,
        }
        if "match_stats" in tables:
            count, first, last = conn.execute(
                "SELECT count(*), min(start_time), max(start_time) FROM match_stats"
            ).fetchall()[0]
            summary.update(matches=count, first_match=first, last_match=last)
        if "sync_runs" in tables:
            rows = conn.execute(
                "SELECT started_at, finished_at, status, matches_written FROM sync_runs "
                "WHERE command = 'sync' ORDER BY started_at DESC LIMIT 1"
            ).fetchall()
            if rows:
                started, finished, status, written = rows[0]
                summary["last_sync"] = {
                    "started_at": started,
                    "finished_at": finished,
                    "status": status,
                    "matches_written": written,
                }
        if "failed_matches" in tables:
            summary["pending_failures"] = conn.execute(
                "SELECT count(*) FROM failed_matches"
            ).fetchall()[0][0]
        if db.xuid and "match_stats" in tables:
            summary["completeness"] = completeness(conn, db.xuid)
        return summary
    finally:
        conn.close()


def run(args: argparse.Namespace) -> int:
    data_dir = resolve_data_dir(args.data_dir)
    if args.data_dir and not data_dir.is_dir():
        # A named folder that is not there is a typo, not "no player yet" (the
        # default ./data of a fresh install still lists nobody, exit 0).
        what = "is not a folder" if data_dir.exists() else "does not exist"
        raise UsageError(f"--data-dir {data_dir} {what}")
    players: list[dict[str, Any]] = []
    skipped: list[dict[str, str]] = []
    for db in list_player_dbs(data_dir):
        try:
            players.append(player_summary(db))
        except DatabaseBusyError as exc:
            skipped.append({"database": str(db.path), "reason": str(exc)})
        except (LevelUpError, duckdb.Error) as exc:
            skipped.append({"database": str(db.path), "reason": f"unreadable: {exc}"})
    for problem in skipped:
        print(f"levelup: warning: {problem['reason']}", file=sys.stderr)
    if args.json:
        print_json({"data_dir": str(data_dir), "players": players, "skipped": skipped})
    else:
        _print(data_dir, players)
    return 1 if skipped else 0


def _day(value: dt.datetime | None) -> str:
    return value.strftime("%Y-%m-%d") if value else "-"


def _megabytes(size: int) -> str:
    return f"{size / 1e6:.1f} MB"


def _print(data_dir: Path, players: list[dict[str, Any]]) -> None:
    # 120 columns when not a terminal, so a piped table does not wrap at 80.
    width = None if sys.stdout.isatty() or "COLUMNS" in os.environ else 120
    console = PipeAwareConsole(soft_wrap=False, width=width)
    if not players:
        console.print(f"no tracked player under {data_dir / 'players'}")
        return
    table = Table(title=f"tracked players ({data_dir})", title_justify="left")
    for name, justify in (
        ("player", "left"), ("xuid", "left"), ("matches", "right"), ("first", "left"),
        ("last", "left"), ("last sync", "left"), ("pending failures", "right"),
        ("size", "right"), ("completeness", "left"),
    ):  # fmt: skip
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    # The xuid is the value --xuid needs: never cropped or wrapped, whatever the width.
    longest = max(len(p["xuid"] or "?") for p in players)
    xuid = table.columns[1]
    xuid.no_wrap, xuid.min_width, xuid.overflow = True, longest, "fold"
    for p in players:
        sync = p["last_sync"]
        last_sync = f"{sync['started_at']:%Y-%m-%d %H:%M} {sync['status']}" if sync else "never"
        table.add_row(
            p["gamertag"] or p["folder"],
            p["xuid"] or "?",
            str(p["matches"]),
            _day(p["first_match"]),
            _day(p["last_match"]),
            last_sync,
            str(p["pending_failures"]),
            _megabytes(p["database_bytes"]),
            describe(p["completeness"]),
        )
    console.print(table)
    for p in players:
        result = p["completeness"]
        if result is None:
            continue
        lines = _type_lines(result)
        if lines or result["differences"]:
            console.print(f"[bold]{p['gamertag'] or p['folder']}[/bold]: " + "; ".join(lines))
            for line in result["differences"]:
                console.print(f"  - {line}")


def _type_lines(result: dict[str, Any]) -> list[str]:
    """Per match type: what the API counts and what is stored."""
    out = []
    for match_type, entry in result["types"].items():
        if "api_count" in entry:
            out.append(f"{match_type} {entry['stored']}/{entry['api_count']} stored")
    return out
