"""`levelup sync`: fetch a player's new matches into their database."""

from __future__ import annotations

import argparse

from rich.table import Table

from levelup.commands import COMMANDS
from levelup.commands.common import (
    add_data_dir,
    add_source_options,
    key_value_table,
    positive_int,
    print_json,
    source_options,
    stdout_console,
)
from levelup.interrupts import run_interruptibly
from levelup.sources.base import MATCH_TYPES, MatchSource
from levelup.sources.factory import make_source
from levelup.store.database import find_player_db, open_player_db, resolve_data_dir
from levelup.sync.players import (
    claim_database,
    database_for_new_player,
    ensure_owner,
    parse_xuid_option,
    resolve_new_player,
)
from levelup.sync.sync import SyncOptions, SyncReport, sync_player


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "sync",
        help=COMMANDS["sync"],
        description="Walk the player's match history and store every match not yet stored: "
        "the player's own row, every participant (shots included) and the raw JSON.",
    )
    parser.add_argument("--player", required=True, metavar="GT", help="gamertag or xuid")
    parser.add_argument("--xuid", help="the player's xuid, when the source cannot look it up")
    add_source_options(parser)
    parser.add_argument(
        "--match-type", choices=MATCH_TYPES, default="all", help="history filter (default all)"
    )
    add_data_dir(parser)
    parser.add_argument(
        "--max-matches", type=positive_int, metavar="N", help="newest N new matches"
    )
    parser.add_argument(
        "--full",
        action="store_true",
        help="walk the whole history, not just up to the last known match",
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON (last line)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    data_dir = resolve_data_dir(args.data_dir)
    xuid = parse_xuid_option(args.xuid)
    source = make_source(args.source, source_options(args))
    options = SyncOptions(
        match_type=args.match_type,
        max_matches=args.max_matches,
        full=args.full,
        concurrency=args.concurrency,
    )
    report = run_interruptibly(_sync(source, data_dir, args.player, xuid, options))
    if args.json:
        print_json(report.as_dict())
    else:
        print_sync_report(report)
    return report.exit_code


async def _sync(
    source: MatchSource, data_dir, player: str, xuid: str | None, options: SyncOptions
) -> SyncReport:
    try:
        found = find_player_db(data_dir, player)
        identity = None
        if found is None:
            identity = await resolve_new_player(source, player, xuid)
            path = database_for_new_player(data_dir, identity, player)
        else:
            path = found.path
        conn, _ = open_player_db(path)
        try:
            if identity is not None:
                claim_database(conn, identity, path)
            owner = await ensure_owner(conn, requested=player, xuid_option=xuid, source=source)
            return await sync_player(conn, source, owner, options)
        finally:
            conn.close()
    finally:
        await source.aclose()


def pace_rows(pace: dict) -> list[tuple[str, str]]:
    """The report's pace line: where `auto` settled (and how), or nothing."""
    if pace.get("mode") != "auto":
        return []
    found = f"{pace['settled_at']:g} requests/s"
    details = f"{pace['raises']} raises, {pace['cuts']} cuts on 429"
    if pace.get("lowest_limited") is not None:
        details += f", 429 from {pace['lowest_limited']:g}/s"
    return [("pace (auto)", f"settled at {found} ({details})")]


def print_sync_report(report: SyncReport) -> None:
    console = stdout_console()
    api_calls = ", ".join(f"{k} {v}" for k, v in sorted(report.api.get("calls", {}).items()))
    retries = ", ".join(f"{k} {v}" for k, v in sorted(report.api.get("retries", {}).items()))
    rows = [
        ("matches seen in history", report.matches_seen),
        ("new matches", report.matches_new),
        ("failed matches retried", report.matches_retried),
        ("matches written", report.matches_written),
        ("participant rows written", report.participants_written),
        ("matches failed", report.matches_failed),
        ("value warnings (stored as NULL)", report.value_warnings),
        ("history walk complete", "yes" if report.walk_complete else "no"),
        ("API calls", api_calls or "none"),
        ("API retries", retries or "none"),
        *pace_rows(report.pace),
        ("elapsed", f"{report.elapsed_seconds:.2f} s"),
    ]
    console.print(key_value_table(f"sync {report.player} (xuid {report.xuid})", rows))
    if report.failures:
        table = Table(title="failed matches", title_justify="left")
        table.add_column("match id")
        table.add_column("reason")
        for failure in report.failures:
            table.add_row(failure["match_id"], failure["reason"])
        console.print(table)
    for error in report.errors:
        console.print(f"[red]error:[/red] {error}")
