"""`levelup export`: every tracked player's tables as Hive-partitioned Parquet or CSV.

    levelup export --all --format parquet --out ./export
    levelup export --player MyGT --format csv --out ./csv --tables match_stats,match_medals
    levelup export --all --out ./export --since 2025-01-01 --with-documents --json

Files land in OUT/<table>/player_xuid=<xuid>/data_0.<ext>, described by
OUT/schema.json; re-exporting a player replaces their partitions atomically.
Databases are opened read-only and never upgraded.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from levelup.commands.common import (
    add_command,
    add_data_dir,
    add_players,
    print_json,
    stdout_console,
)
from levelup.store.database import resolve_data_dir
from levelup.sync.players import select_databases
from levelup.sync.progress import ProgressBar
from levelup.warehouse.export import (
    FORMATS,
    ExportReport,
    ExportRequest,
    PlayerResult,
    export_players,
)


def _date(text: str) -> dt.date:
    try:
        return dt.datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def _table_list(text: str) -> tuple[str, ...]:
    names = tuple(dict.fromkeys(part.strip() for part in text.split(",") if part.strip()))
    if not names:
        raise argparse.ArgumentTypeError("name at least one table")
    return names


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = add_command(subparsers, "export", __doc__)
    add_players(parser, required=True, all_help="every player database")
    add_data_dir(parser)
    parser.add_argument(
        "--format", choices=FORMATS, default="parquet", help="file format (default parquet)"
    )
    parser.add_argument("--out", type=Path, required=True, metavar="DIR", help="output folder")
    parser.add_argument(
        "--tables",
        type=_table_list,
        metavar="T1,T2",
        help="only these tables (default: every table)",
    )
    parser.add_argument(
        "--since",
        type=_date,
        metavar="DATE",
        help="matches started on or after DATE (UTC); tables not keyed by match are whole",
    )
    parser.add_argument(
        "--with-documents",
        action="store_true",
        help="also the raw match documents, as JSON lines",
    )
    parser.add_argument(
        "--json", action="store_true", help="print the files and row counts as JSON (last line)"
    )
    parser.set_defaults(func=run)


def _warn(message: str) -> None:
    print(f"levelup: warning: {message}", file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    data_dir = resolve_data_dir(args.data_dir)
    databases = select_databases(data_dir, args.player or [], args.all)
    request = ExportRequest(
        out_dir=args.out,
        format=args.format,
        tables=args.tables,
        since=args.since,
        with_documents=args.with_documents,
    )
    with ProgressBar("export") as progress:
        report = export_players(
            databases, request, named=not args.all, progress=progress, warn=_warn
        )
    _report_missing(report)
    if args.json:
        print_json(report.as_dict())
    else:
        _print_summary(report)
    return report.exit_code


def _report_missing(report: ExportReport) -> None:
    """One warning per distinct set of missing tables (a community's old databases
    would otherwise print one line each), naming the first few players."""
    by_missing: dict[tuple[str, ...], list[str]] = {}
    for player in report.players:
        if player.missing_tables:
            label = _label(player)
            by_missing.setdefault(tuple(player.missing_tables), []).append(label)
    for missing, players in by_missing.items():
        more = f" and {len(players) - 5} more" if len(players) > 5 else ""
        shown = ", ".join(players[:5]) + more
        _warn(
            f"{shown}: not in {'this database' if len(players) == 1 else 'these databases'} "
            f"(older layout), not exported: {', '.join(missing)}"
        )


def _label(player: PlayerResult) -> str:
    """The player's gamertag, else their folder's name (a busy database's owner
    cannot be read): the path is in the warning already."""
    return player.gamertag or Path(player.database).parent.name


def _print_summary(report: ExportReport) -> None:
    from rich.table import Table

    table = Table(title=f"LevelUp export ({report.format}) to {report.out_dir}")
    for name, justify in (("player", "left"), ("xuid", "left"), ("matches", "right"),
                          ("rows", "right"), ("status", "left")):  # fmt: skip
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for player in report.players:
        table.add_row(
            _label(player),
            player.xuid or "",
            str(player.matches),
            str(sum(t.rows for t in player.tables)),
            "failed" if player.error else "exported",
        )
    console = stdout_console()
    console.print(table)
    summary = report.as_dict()
    rate = summary["matches_per_second"]
    console.print(
        f"{summary['matches']} matches, {summary['rows']} rows in {summary['seconds']:.2f} s"
        + (f" ({rate:.0f} matches/s)" if rate else "")
        + f"; schema: {summary['schema']}"
    )
