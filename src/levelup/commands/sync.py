"""`levelup sync`: fetch a player's new matches into their database (or every
tracked player's, `--all`, with one session, limiter and credentials for the run).

Matches another tracked player of the data dir has stored are copied from their
database instead of fetched (`levelup.sync.neighbours`)."""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.table import Table

from levelup.commands.common import (
    add_command,
    add_data_dir,
    add_source_options,
    key_value_table,
    positive_int,
    print_json,
    source_options,
    stdout_console,
)
from levelup.errors import (
    DatabaseBusyError,
    Interrupted,
    LevelUpError,
    PlayerNotFoundError,
    UsageError,
)
from levelup.interrupts import run_interruptibly
from levelup.sources.base import MATCH_TYPES, MatchSource, PlayerIdentity
from levelup.sources.factory import make_source
from levelup.store.database import (
    PlayerDatabase,
    database_errors,
    find_player_db,
    list_player_dbs,
    open_player_db,
    resolve_data_dir,
)
from levelup.sync.neighbours import Neighbours
from levelup.sync.players import (
    claim_database,
    database_for_new_player,
    ensure_owner,
    parse_xuid_option,
    resolve_new_player,
)
from levelup.sync.sync import SyncOptions, SyncReport, sync_player


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = add_command(
        subparsers,
        "sync",
        "Walk the player's match history and store every match not yet stored: "
        "the player's own row, every participant (shots included) and the raw JSON.",
        raw=False,
    )
    parser.add_argument("--player", metavar="GT", help="gamertag or xuid")
    parser.add_argument(
        "--all",
        action="store_true",
        help="every tracked player of the data dir, one after another (one session)",
    )
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
    parser.add_argument(
        "--no-skill",
        action="store_true",
        help="do not ask the skill service (CSR, MMR, expected kills/deaths); "
        "`levelup backfill --skill` fetches them later",
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON (last line)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    data_dir = resolve_data_dir(args.data_dir)
    if args.player is not None and not args.player.strip():
        raise UsageError("--player needs a gamertag or xuid, not an empty name")
    if args.all and args.player:
        raise UsageError("give --player GT or --all (every tracked player), not both")
    if not args.all and not args.player:
        raise UsageError("name the player to sync: --player GT, or --all (every tracked player)")
    if args.all and args.xuid:
        raise UsageError("--xuid names one player's xuid: use it with --player")
    xuid = parse_xuid_option(args.xuid)
    if args.all:
        databases = list_player_dbs(data_dir)
        if not databases:
            raise UsageError(
                f"no tracked player under {data_dir / 'players'}: "
                "sync one first with `levelup sync --player GT`"
            )
    source = make_source(args.source, source_options(args))
    options = SyncOptions(
        match_type=args.match_type,
        max_matches=args.max_matches,
        full=args.full,
        concurrency=args.concurrency,
        skill=not args.no_skill,
    )
    if args.all:
        return _run_all(source, data_dir, databases, options, args.json)
    # Filled by the sync however it ends: a run stopped by Ctrl-C still prints its JSON.
    partial = SyncReport(player=args.player, xuid=xuid or "")
    try:
        report = run_interruptibly(_sync(source, data_dir, args.player, xuid, options, partial))
    except Interrupted:
        if args.json:  # what was done, if anything: a script always gets its report
            print_json({**partial.as_dict(), "interrupted": True})
        raise
    except LevelUpError as exc:
        # A run that began and then stopped (credentials refused mid-run, a host
        # unreachable): its report too, with the reason; the error line follows.
        if args.json and partial.elapsed_seconds:
            print_json({**partial.as_dict(), "interrupted": False, "error": str(exc)})
        raise
    if args.json:
        print_json({**report.as_dict(), "interrupted": False})
    else:
        print_sync_report(report)
    return report.exit_code


async def _sync(
    source: MatchSource,
    data_dir: Path,
    player: str,
    xuid: str | None,
    options: SyncOptions,
    report: SyncReport | None = None,
) -> SyncReport:
    try:
        found = find_player_db(data_dir, player)
        identity = None
        if found is None:
            identity = await resolve_new_player(source, player, xuid)
            path = database_for_new_player(data_dir, identity, player)
        else:
            path = found.path
        return await _sync_database(source, data_dir, path, player, xuid, options, identity, report)
    finally:
        await source.aclose()


async def _sync_database(
    source: MatchSource,
    data_dir: Path,
    path: Path,
    player: str,
    xuid: str | None,
    options: SyncOptions,
    identity: PlayerIdentity | None = None,
    report: SyncReport | None = None,
) -> SyncReport:
    """One player's sync into the database at `path`, sharing with its neighbours
    (`report`, when given, is the one the sync fills)."""
    conn, _ = open_player_db(path)
    try:
        with database_errors(path):  # a full disk, a damaged file: one line, exit 2
            if identity is not None:
                claim_database(conn, identity, path)
            owner = await ensure_owner(conn, requested=player, xuid_option=xuid, source=source)
            neighbours = Neighbours.of(data_dir, path)
            return await sync_player(
                conn, source, owner, options, neighbours=neighbours, report=report
            )
    finally:
        conn.close()


@dataclass
class AllReport:
    """`levelup sync --all`: a report per player, the databases skipped, totals."""

    players: list[SyncReport] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)
    api: dict = field(default_factory=dict)
    elapsed_seconds: float = 0.0

    @property
    def exit_code(self) -> int:
        codes = [r.exit_code for r in self.players] + [1 if self.skipped else 0]
        return max(codes)

    def totals(self) -> dict[str, Any]:
        def total(name: str) -> int:
            return sum(getattr(r, name) for r in self.players)

        return {
            "players": len(self.players),
            "skipped": len(self.skipped),
            "matches_new": total("matches_new"),
            "matches_written": total("matches_written"),
            "matches_failed": total("matches_failed"),
            "matches_copied": sum(r.shared.get("matches_copied", 0) for r in self.players),
            "api_calls_saved": sum(r.shared.get("api_calls_saved", 0) for r in self.players),
            "api": self.api,
            "elapsed_seconds": round(self.elapsed_seconds, 3),
        }

    def as_dict(self) -> dict[str, Any]:
        return {
            "players": [r.as_dict() for r in self.players],
            "skipped": self.skipped,
            "totals": self.totals(),
        }


def _since(now: dict[str, dict[str, int]], before: dict[str, dict[str, int]]) -> dict:
    """The counters' growth between two `SourceCounters.as_dict()` snapshots."""
    grown: dict[str, dict[str, int]] = {}
    for part in ("calls", "retries"):
        old = before.get(part, {})
        grown[part] = {k: v - old.get(k, 0) for k, v in now.get(part, {}).items()}
        grown[part] = {k: v for k, v in grown[part].items() if v}
    return grown


async def _sync_all(
    source: MatchSource,
    data_dir: Path,
    databases: list[PlayerDatabase],
    options: SyncOptions,
    result: AllReport,
) -> None:
    """Every tracked player, one after another, with the one source (session, limiter,
    credentials): a player synced earlier in the run shares its matches with the next.
    `result` is filled however the run ends."""
    started = time.perf_counter()
    try:
        for db in databases:
            before = source.counters.as_dict()
            # Filled however the player's sync ends: an interrupted run reports it too.
            report = SyncReport(player=db.label, xuid=db.xuid or "")
            try:
                await _sync_database(
                    source, data_dir, db.path, db.xuid or db.label, None, options, report=report
                )
            except (DatabaseBusyError, PlayerNotFoundError) as exc:
                result.skipped.append({"database": str(db.path), "reason": str(exc)})
                continue
            finally:
                if report.elapsed_seconds > 0:  # this player's sync began
                    report.api = _since(source.counters.as_dict(), before)
                    result.players.append(report)
    finally:
        result.api = source.counters.as_dict()
        result.elapsed_seconds = time.perf_counter() - started
        await source.aclose()


def _run_all(
    source: MatchSource,
    data_dir: Path,
    databases: list[PlayerDatabase],
    options: SyncOptions,
    as_json: bool,
) -> int:
    result = AllReport()
    try:
        run_interruptibly(_sync_all(source, data_dir, databases, options, result))
    except Interrupted:
        if as_json:
            print_json({**result.as_dict(), "interrupted": True})
        raise
    except LevelUpError as exc:  # the players synced before the stop, and why it stopped
        if as_json:
            print_json({**result.as_dict(), "interrupted": False, "error": str(exc)})
        raise
    for problem in result.skipped:
        print(f"levelup: warning: {problem['reason']}", file=sys.stderr)
    if as_json:
        print_json({**result.as_dict(), "interrupted": False})
        return result.exit_code
    for report in result.players:
        print_sync_report(report)
    totals = result.totals()
    calls = ", ".join(f"{k} {v}" for k, v in sorted(totals["api"].get("calls", {}).items()))
    rows = [
        ("players synced", totals["players"]),
        ("databases skipped (busy)", totals["skipped"]),
        ("matches written", totals["matches_written"]),
        ("matches failed", totals["matches_failed"]),
        ("matches copied from another player", totals["matches_copied"]),
        ("API calls saved", totals["api_calls_saved"]),
        ("API calls", calls or "none"),
        ("elapsed", f"{totals['elapsed_seconds']:.2f} s"),
    ]
    stdout_console().print(key_value_table("sync --all: totals", rows))
    return result.exit_code


def shared_rows(shared: dict) -> list[tuple[str, Any]]:
    """Matches copied from other tracked players' databases, when there were any to ask."""
    if not shared.get("databases"):
        return []
    rows: list[tuple[str, Any]] = [
        ("matches copied from another player", shared["matches_copied"]),
        ("API calls saved", shared["api_calls_saved"]),
    ]
    if shared.get("busy"):
        rows.append(("busy databases (fetched instead)", len(shared["busy"])))
    return rows


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
        ("skill (CSR, MMR, expected kills)", _skill_line(report)),
        ("history walk complete", "yes" if report.walk_complete else "no"),
        ("API calls", api_calls or "none"),
        ("API retries", retries or "none"),
        *shared_rows(report.shared),
        *pace_rows(report.pace),
        ("elapsed", f"{report.elapsed_seconds:.2f} s"),
    ]
    console.print(key_value_table(f"sync {report.player} (xuid {report.xuid})", rows))
    if report.failures:
        table = Table(title="failed matches", title_justify="left")
        table.add_column("match id")
        table.add_column("reason")
        for failure in report.failures:
            kind = failure.get("kind", "stats")
            reason = failure["reason"] if kind == "stats" else f"{kind}: {failure['reason']}"
            table.add_row(failure["match_id"], reason)
        console.print(table)
    for error in [*report.errors, *report.skill.errors]:
        console.print(f"[red]error:[/red] {error}")


def _skill_line(report: SyncReport) -> str:
    skill = report.skill
    if skill.service == "off":
        return "not asked (--no-skill); `levelup backfill --skill` fetches it later"
    if skill.service == "absent":
        return "the source has no skill service: matches stored without skill rows"
    line = f"{skill.stored} stored, {skill.failed} failed"
    if skill.retried:
        line += f" ({skill.retried} earlier failures retried)"
    if skill.snapshots:
        line += f"; rank snapshots of {skill.snapshots} playlist(s)"
    return line
