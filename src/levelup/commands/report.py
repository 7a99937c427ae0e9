"""`levelup report`: a player's dashboard, in the terminal, as JSON or as a web page.

The database is opened read-only and never migrated: a report must work while
nothing may write (a sync elsewhere is refused with a clear message by
`connect`), and on an old layout it reports what the tables allow and says
what they lack. Loading is a few SQL queries into Polars (`analysis.load`);
every figure is computed in `levelup.analysis`.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
from polars.exceptions import ComputeError

from levelup.analysis.completeness import completeness, describe
from levelup.analysis.frames import ReportFrames
from levelup.analysis.load import load_frames, load_scoreboards
from levelup.analysis.modes import parse_mode
from levelup.analysis.report import (
    SECTION_ALIASES,
    SECTION_KEYS,
    Report,
    attach_scoreboards,
    build_report,
    scoreboard_ids,
)
from levelup.analysis.scope import Scope
from levelup.commands.common import (
    add_command,
    add_data_dir,
    non_negative_int,
    positive_int,
    print_json,
)
from levelup.console import PipeAwareConsole
from levelup.errors import ConfigError, PlayerNotFoundError
from levelup.store.database import (
    PlayerDatabase,
    connect,
    find_player_db,
    is_damaged,
    list_player_dbs,
    read_error,
    resolve_data_dir,
)
from levelup.store.schema import get_meta

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


def zone(text: str) -> str:
    """An IANA time zone name (Europe/Paris, America/New_York, UTC), checked."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise argparse.ArgumentTypeError(
            f"unknown time zone {text!r}: give an IANA name such as Europe/Paris, "
            "America/New_York or UTC"
        ) from None
    return text


def machine_zone() -> str:
    """The machine's IANA zone: $TZ, else where /etc/localtime points, else UTC."""
    candidates = [os.environ.get("TZ", "").lstrip(":")]
    try:
        target = os.readlink("/etc/localtime")
        candidates.append(target.split("zoneinfo/", 1)[1] if "zoneinfo/" in target else "")
    except OSError:
        pass
    with contextlib.suppress(OSError):
        candidates.append(Path("/etc/timezone").read_text(encoding="utf-8").strip())
    for name in candidates:
        if name:
            try:
                return zone(name)
            except argparse.ArgumentTypeError:
                continue
    return "UTC"


def _section(text: str) -> str:
    key = SECTION_ALIASES.get(text.strip().lower().replace("-", "_"), text.strip().lower())
    if key not in SECTION_KEYS:
        names = ", ".join(dict.fromkeys([*SECTION_KEYS, *SECTION_ALIASES]))
        raise argparse.ArgumentTypeError(f"unknown section {text!r}; sections: {names}")
    return key


def add_scope_options(parser: argparse.ArgumentParser) -> None:
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


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = add_command(
        subparsers,
        "report",
        "Dashboard of a stored player (read-only). Every figure is a ratio of "
        "sums (K/D = total kills / total deaths, accuracy = total hit / total fired, win "
        "rate over decided matches); missing data is counted apart, never as 0.",
        raw=False,
    )
    parser.add_argument("--player", required=True, metavar="GT", help="gamertag or xuid")
    add_data_dir(parser)
    add_scope_options(parser)
    parser.add_argument(
        "--min-shots",
        type=non_negative_int,
        default=DEFAULT_MIN_SHOTS,
        metavar="N",
        help=f"shots a match needs to rank among best / worst (default {DEFAULT_MIN_SHOTS})",
    )
    parser.add_argument(
        "--tz",
        type=zone,
        metavar="ZONE",
        help="time zone of the time section (IANA name; default: the machine's)",
    )
    parser.add_argument(
        "--section",
        type=_section,
        action="append",
        metavar="NAME",
        help="show only these sections in the terminal and the page (repeatable): "
        + ", ".join(SECTION_KEYS),
    )
    parser.add_argument("--html", type=Path, metavar="FILE", help="also write a web page")
    parser.add_argument(
        "--json",
        action="store_true",
        help="print every figure as one JSON object on stdout (and no table anywhere)",
    )
    parser.set_defaults(func=run)


def find_database(data_dir: Path, player: str) -> PlayerDatabase:
    found = find_player_db(data_dir, player)
    if found is not None:
        return found
    known = [db.label for db in list_player_dbs(data_dir)]
    hint = f"; stored players: {', '.join(known)}" if known else "; no player is stored there yet"
    raise PlayerNotFoundError(
        f"no database for player {player!r} under {data_dir / 'players'}{hint} "
        "(run `levelup sync --player GT` first)"
    )


def console_for(to_stderr: bool) -> PipeAwareConsole:
    """Rich output; 120 columns when not a terminal, so piped tables do not wrap at 80."""
    stream = sys.stderr if to_stderr else sys.stdout
    width = None if stream.isatty() or "COLUMNS" in os.environ else 120
    return PipeAwareConsole(file=stream, width=width)


@contextlib.contextmanager
def reading(database: PlayerDatabase) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection to the database, closed after use; a failed read (DuckDB's,
    or Polars' reading the stream of a damaged file) is one line naming the file."""
    conn = connect(database.path, read_only=True)
    try:
        yield conn
    except duckdb.Error as exc:
        raise read_error(exc, database.path) from None
    except ComputeError as exc:
        if not is_damaged(exc):
            raise
        raise read_error(exc, database.path) from None
    finally:
        conn.close()


def _build(
    database: PlayerDatabase, scope: Scope, fallback_name: str, with_scoreboards: bool
) -> tuple[Report, ReportFrames]:
    with reading(database) as conn:
        frames = load_frames(conn, database.xuid)
        gamertag = get_meta(conn, "owner_gamertag") or database.gamertag
        player: dict[str, Any] = {"gamertag": gamertag or fallback_name, "xuid": frames.owner_xuid}
        report = build_report(frames, scope, player=player)
        # The whole history, whatever the scope: does the warehouse hold it all?
        report.summary["completeness"] = (
            completeness(conn, frames.owner_xuid) if frames.owner_xuid else None
        )
        if with_scoreboards and not report.empty:
            attach_scoreboards(report, frames, load_scoreboards(conn, scoreboard_ids(report)))
    return report, frames


def print_completeness(result: dict[str, Any] | None, console: PipeAwareConsole) -> None:
    """The API's count and service record against the warehouse (nothing when unknown)."""
    if result is None:
        return
    counted = [
        f"{kind} {entry['stored']}/{entry['api_count']}"
        for kind, entry in result["types"].items()
        if "api_count" in entry
    ]
    head = "Completeness: " + describe(result)
    if counted:
        head += " (stored/counted by the API: " + ", ".join(counted) + ")"
    console.print(head, markup=False, highlight=False)
    for line in result["differences"]:
        console.print(f"  - {line}", markup=False, highlight=False)


def run(args: argparse.Namespace) -> int:
    data_dir = resolve_data_dir(args.data_dir)
    database = find_database(data_dir, args.player)
    scope = Scope(
        last=args.last,
        since=args.since,
        categories=tuple(dict.fromkeys(args.mode or ())),
        min_shots=args.min_shots,
        tz=args.tz or machine_zone(),
    )
    sections = list(dict.fromkeys(args.section or ())) or None
    if args.html:
        check_html_target(args.html)
    report, _ = _build(database, scope, args.player, with_scoreboards=bool(args.html))
    summary = report.summary
    if args.json:
        # Notices only (never a table): stdout carries the JSON line alone.
        err = console_for(to_stderr=True)
        if summary["missing_columns"]:
            err.print(
                "This database has an older layout and lacks "
                + ", ".join(summary["missing_columns"])
                + "; the figures that need them are left out.",
                markup=False,
                highlight=False,
            )
    else:
        from levelup.analysis.terminal import render_terminal

        render_terminal(summary, console_for(to_stderr=False), sections)
        print_completeness(summary.get("completeness"), console_for(to_stderr=False))
    if args.html:
        from levelup.analysis.html_report import write_html

        try:
            written = write_html(args.html, report, sections)
        except OSError as exc:
            raise ConfigError(f"cannot write {args.html}: {exc}") from None
        console_for(to_stderr=args.json).print(
            f"HTML report written to {written}", markup=False, highlight=False
        )
    if args.json:
        print_json({**summary, "database": str(database.path)})
    return 0


def check_html_target(path: Path) -> None:
    """Refuse an --html path that cannot be the page's file before the report is built:
    a folder (or a file's path through a file) would fail only after the whole terminal
    report was printed.

    Raises:
        ConfigError: the path is an existing folder, or one of its parents is a file.
    """
    if path.is_dir():
        raise ConfigError(f"--html {path}: is a folder; give the page's file name, such as "
                          f"{path / 'report.html'}")  # fmt: skip
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise ConfigError(f"--html {path}: {parent} is a file, not a folder")
            return
