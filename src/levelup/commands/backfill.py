"""`levelup backfill` (also `python scripts/backfill_data.py`): repair stored matches.

Examples (add `--source DIR` to work offline from a recorded-responses directory):

    # Shots for the tracked player (matches where shots are missing)
    levelup backfill --player JGtm --shots
    # Force shots for every match (match_stats)
    levelup backfill --player JGtm --shots --force-shots
    # Shots for every participant (match_participants)
    levelup backfill --player JGtm --participants-shots
    # Force shots for every participant of every match
    levelup backfill --player JGtm --participants-shots --force-participants-shots
    # Every player database, both tables
    levelup backfill --all --shots --participants-shots
    # What would be processed, without writing anything
    levelup backfill --player JGtm --shots --participants-shots --dry-run
    # Rewrite every column from the stored JSON after an extraction fix (no API call)
    levelup backfill --all --reextract
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

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
from levelup.errors import ConfigError, LevelUpError, UsageError
from levelup.interrupts import run_interruptibly
from levelup.sources.base import MatchSource
from levelup.sources.factory import SourceOptions, make_source
from levelup.store.database import PlayerDatabase, connect, database_errors, resolve_data_dir
from levelup.store.schema import get_meta, migrate
from levelup.sync.backfill import BackfillRequest, PlayerBackfillReport, backfill_player
from levelup.sync.backfill_options import CLI_OPTIONS
from levelup.sync.players import ensure_owner, parse_xuid_option, select_databases


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = add_command(subparsers, "backfill", *__doc__.split("\n\n", 1))
    add_backfill_arguments(parser)
    parser.set_defaults(func=run)


def add_backfill_arguments(parser: argparse.ArgumentParser) -> None:
    who = parser.add_argument_group("which databases")
    who.add_argument("--player", action="append", default=[], metavar="GT", help="repeatable")
    who.add_argument("--all", action="store_true", help="every player database in the data dir")
    who.add_argument("--xuid", help="owner xuid, for an old database that does not store it")
    add_data_dir(who)
    run_group = parser.add_argument_group("how")
    run_group.add_argument("--dry-run", action="store_true", help="list what would be processed")
    run_group.add_argument(
        "--max-matches", type=positive_int, metavar="N", help="only the newest N selected matches"
    )
    run_group.add_argument(
        "--refetch", action="store_true", help="download the JSON even when it is stored"
    )
    run_group.add_argument(
        "--json", action="store_true", help="print the report as JSON (last line)"
    )
    add_source_options(run_group)
    data = parser.add_argument_group("data options (at least one)")
    for option in CLI_OPTIONS:
        data.add_argument(
            option.flag, dest=f"opt_{option.name}", action="store_true", help=option.help
        )
        if option.has_force:
            data.add_argument(
                option.force_flag,
                dest=f"force_{option.name}",
                action="store_true",
                help=(
                    f"{option.flag} for every stored match, not only where missing "
                    f"(implies {option.flag})"
                ),
            )


def requested_options(args: argparse.Namespace) -> dict[str, bool]:
    """Option name -> forced. A `--force-X` turns `X` on."""
    chosen: dict[str, bool] = {}
    for option in CLI_OPTIONS:
        forced = bool(getattr(args, f"force_{option.name}", False))
        if getattr(args, f"opt_{option.name}") or forced:
            chosen[option.name] = forced
    if not chosen:
        names = ", ".join(o.flag for o in CLI_OPTIONS)
        raise UsageError(f"name at least one data option: {names}")
    return chosen


def run(args: argparse.Namespace) -> int:
    request = BackfillRequest(
        options=requested_options(args),
        dry_run=args.dry_run,
        max_matches=args.max_matches,
        refetch=args.refetch,
        concurrency=args.concurrency,
    )
    if args.source != "api" and not Path(args.source).is_dir():
        # The source is built only when a match's JSON is missing; a wrong path is
        # still a usage error now, not a surprise later (or never).
        raise ConfigError(
            f"--source {args.source!r} is neither 'api' nor a recorded-responses directory"
        )
    data_dir = resolve_data_dir(args.data_dir)
    databases = select_databases(data_dir, args.player, args.all)
    xuid = parse_xuid_option(args.xuid)
    if xuid and len(databases) > 1:
        raise UsageError("--xuid names one player's xuid: use it with a single --player")
    reports, skipped = run_interruptibly(
        _backfill_all(databases, request, args.source, source_options(args), xuid)
    )
    for problem in skipped:
        print(f"levelup: error: {problem}", file=sys.stderr)
    if not reports:
        return 2  # no database could be worked on: a configuration problem
    totals = _totals(reports, request, skipped)
    if args.json:
        print_json(totals)
    else:
        _print(reports, totals, request)
    return 1 if totals["failures"] or skipped else 0


class OwnerUnknownError(LevelUpError):
    """A database's owner xuid is neither stored nor given nor found: that database
    is skipped (named, with the `--xuid` way out) and the others are processed."""

    def __init__(self, db: PlayerDatabase, why: str) -> None:
        self.db = db
        super().__init__(
            f"skipped {db.label} ({db.path}): this database does not record its owner's "
            f"xuid; give it with `levelup backfill --player {db.label} --xuid XUID ...` "
            f"(it could not be looked up: {why})"
        )

    def as_dict(self) -> dict[str, str]:
        return {"player": self.db.label, "database": str(self.db.path), "reason": str(self)}


class _LazySource:
    """Builds the source on first use: a backfill from stored JSON needs no credentials."""

    def __init__(self, spec: str, options: SourceOptions) -> None:
        self._spec = spec
        self._options = options
        self.source: MatchSource | None = None

    def __call__(self) -> MatchSource:
        if self.source is None:
            self.source = make_source(self._spec, self._options)
        return self.source

    async def resolve_player(self, gamertag: str | None = None, xuid: str | None = None):
        """The owner's identity, through the source built now if need be."""
        return await self().resolve_player(gamertag=gamertag, xuid=xuid)


async def _backfill_all(
    databases: list[PlayerDatabase],
    request: BackfillRequest,
    spec: str,
    options: SourceOptions,
    xuid: str | None,
) -> tuple[list[PlayerBackfillReport], list[OwnerUnknownError]]:
    lazy = _LazySource(spec, options)
    reports = []
    skipped: list[OwnerUnknownError] = []
    try:
        for db in databases:
            try:
                reports.append(await _backfill_one(db, request, lazy, xuid))
            except OwnerUnknownError as exc:
                skipped.append(exc)  # nothing of it was written (its transaction is undone)
    finally:
        if lazy.source is not None:
            await lazy.source.aclose()
    return reports, skipped


async def _backfill_one(
    db: PlayerDatabase,
    request: BackfillRequest,
    lazy: _LazySource,
    xuid: str | None,
) -> PlayerBackfillReport:
    conn = connect(db.path)
    try:
        with database_errors(db.path):  # a full disk, a damaged file: one line, exit 2
            # A dry run writes nothing, migration included: it all happens in a
            # transaction that is rolled back.
            conn.execute("BEGIN TRANSACTION")
            try:
                migrate(conn)
            except ConfigError as exc:
                raise ConfigError(f"the database {db.path}: {exc}") from None
            owner = await _owner(conn, db, xuid, lazy, request)
            if not request.dry_run:
                conn.execute("COMMIT")
            report = await backfill_player(
                conn, player=db.label, owner_xuid=owner, request=request, source_provider=lazy
            )
            if request.dry_run:
                conn.execute("ROLLBACK")
            return report
    finally:
        conn.close()


async def _owner(
    conn,
    db: PlayerDatabase,
    xuid: str | None,
    lazy: _LazySource,
    request: BackfillRequest,
) -> str | None:
    """The owner's xuid; only the match_stats options need it.

    Raises:
        OwnerUnknownError: not stored, not given, and the source could not look it up.
    """
    needs_owner = any(name in ("shots", "accuracy", "reextract") for name in request.options)
    if not needs_owner and db.xuid is None and xuid is None:
        return None
    try:
        identity = await ensure_owner(
            conn, requested=db.gamertag or db.folder, xuid_option=xuid, source=lazy
        )
    except LevelUpError as exc:
        if xuid is not None or get_meta(conn, "owner_xuid") is not None:
            raise  # not an unknown owner (a contradicting --xuid, say)
        raise OwnerUnknownError(db, str(exc)) from None
    return identity.xuid


def _totals(
    reports: list[PlayerBackfillReport],
    request: BackfillRequest,
    skipped: list[OwnerUnknownError],
) -> dict:
    counters: dict[str, int] = {}
    selected: dict[str, int] = {}
    would: dict[str, list[str]] = {}
    for report in reports:
        for key, value in report.counters.items():
            counters[key] = counters.get(key, 0) + value
        for key, value in report.selected.items():
            selected[key] = selected.get(key, 0) + value
        for key, ids in report.would_process.items():
            would.setdefault(key, []).extend(ids)
    payload: dict = {
        "dry_run": request.dry_run,
        "options": sorted(request.expanded()),
        "selected": selected,
        "matches_processed": sum(r.matches_processed for r in reports),
        "read_from_store": sum(r.read_from_store for r in reports),
        "fetched_from_source": sum(r.fetched_from_source for r in reports),
        **counters,
        "failures": [f | {"player": r.player} for r in reports for f in r.failures],
        "value_warnings": sum(r.value_warnings for r in reports),
        "elapsed_seconds": round(sum(r.elapsed_seconds for r in reports), 3),
        "players": [r.as_dict() for r in reports],
        "skipped_databases": [problem.as_dict() for problem in skipped],
    }
    if request.dry_run:
        payload["would_process"] = would
    return payload


DRY_RUN_SHOWN = 5
"""Match ids a dry run prints per option; `--json` has the full lists."""


def _print(reports: list[PlayerBackfillReport], totals: dict, request: BackfillRequest) -> None:
    console = stdout_console()
    title = "backfill" + (" (dry run: nothing written)" if request.dry_run else "")
    for report in reports:
        rows: list[tuple[str, object]] = [
            (f"selected for {name}", count) for name, count in report.selected.items()
        ]
        if not request.dry_run:  # a dry run reads, fetches and writes nothing: no counts
            rows += [
                ("read from the database", report.read_from_store),
                ("fetched from the source", report.fetched_from_source),
                *((name, count) for name, count in report.counters.items()),
                ("failed", len(report.failures)),
                *(
                    [("skill service", "absent from the source: no skill document fetched")]
                    if report.skill_service_absent
                    else []
                ),
                ("value warnings (stored as NULL)", report.value_warnings),
            ]
        rows.append(("elapsed", f"{report.elapsed_seconds:.2f} s"))
        console.print(key_value_table(f"{title}: {report.player}", rows))
    if request.dry_run:
        for name, ids in totals.get("would_process", {}).items():
            console.print(
                f"[bold]{name}[/bold] would process {len(ids)} match(es)" + (":" if ids else "")
            )
            for match_id in ids[:DRY_RUN_SHOWN]:
                console.print(f"  {match_id}")
            if len(ids) > DRY_RUN_SHOWN:
                console.print(f"  ... and {len(ids) - DRY_RUN_SHOWN} more (--json lists them all)")
    elif len(reports) > 1:
        console.print(
            "total: "
            + ", ".join(f"{k} {totals[k]}" for k in sorted(totals) if k.endswith("_updated"))
        )
    for failure in totals["failures"]:
        console.print(
            f"[red]failed[/red] {failure['player']} {failure['match_id']}"
            f"{'' if failure.get('kind', 'stats') == 'stats' else ' (' + failure['kind'] + ')'}"
            f": {failure['reason']}"
        )
