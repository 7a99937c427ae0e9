"""Options and output shared by the commands."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

import orjson
from rich.table import Table

from levelup.commands import COMMANDS
from levelup.console import PipeAwareConsole
from levelup.sources.factory import (
    MAX_REQUESTS_PER_SECOND,
    MIN_REQUESTS_PER_SECOND,
    SourceOptions,
)
from levelup.sources.pace import AUTO


def add_command(
    subparsers: argparse._SubParsersAction,
    name: str,
    description: str,
    epilog: str | None = None,
    *,
    raw: bool = True,
) -> argparse.ArgumentParser:
    """The parser of command `name`, its help from COMMANDS; `raw`: the description and
    epilog are shown as written, not rewrapped."""
    formatter = argparse.RawDescriptionHelpFormatter if raw else argparse.HelpFormatter
    return subparsers.add_parser(
        name,
        help=COMMANDS[name],
        description=description,
        epilog=epilog,
        formatter_class=formatter,
    )


def add_players(parser: argparse.ArgumentParser, *, required: bool, all_help: str) -> None:
    """`--player GT` (repeatable) or `--all`: the databases a command reads."""
    who = parser.add_mutually_exclusive_group(required=required)
    who.add_argument(
        "--player", action="append", metavar="GT", help="gamertag or xuid (repeatable)"
    )
    who.add_argument("--all", action="store_true", help=all_help)


def add_data_dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data-dir",
        metavar="D",
        help="where player databases live (default: $LEVELUP_DATA_DIR, else ./data)",
    )


# Requests in flight at once: the pace (at most MAX_REQUESTS_PER_SECOND starts a second)
# bounds the throughput, so more fetchers than this only hold memory and sockets.
MAX_CONCURRENCY = 64


def add_source_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--source",
        default="api",
        metavar="api|DIR",
        help="'api' for Halo Waypoint (default), or a recorded-responses directory",
    )
    parser.add_argument(
        "--requests-per-second",
        type=requests_per_second,
        default=5.0,
        metavar="R|auto",
        help="pace of API request starts for the whole process (default 5); 'auto' finds "
        "the highest pace the service accepts",
    )
    parser.add_argument(
        "--concurrency",
        type=int_at_least(1, MAX_CONCURRENCY, "more in flight would only wait for the pace"),
        default=4,
        metavar="N",
        help=f"API requests in flight at once (default 4, at most {MAX_CONCURRENCY})",
    )


def requests_per_second(text: str) -> float | str:
    """An argparse `type` for `--requests-per-second`: "auto", or a number in the sane
    range (nan and inf are not rates, and 1e-9 would wait for ever)."""
    if text.strip().lower() == AUTO:
        return AUTO
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is neither a number nor 'auto'") from None
    if not MIN_REQUESTS_PER_SECOND <= value <= MAX_REQUESTS_PER_SECOND:  # False for nan
        raise argparse.ArgumentTypeError(
            f"{text!r} must be between {MIN_REQUESTS_PER_SECOND:g} and "
            f"{MAX_REQUESTS_PER_SECOND:g} requests per second (or 'auto')"
        )
    return value


def source_options(args: argparse.Namespace) -> SourceOptions:
    if args.requests_per_second == AUTO:
        return SourceOptions(concurrency=args.concurrency, adaptive=True)
    return SourceOptions(requests_per_second=args.requests_per_second, concurrency=args.concurrency)


def int_at_least(
    minimum: int | None, maximum: int | None = None, why: str = ""
) -> Callable[[str], int]:
    """An argparse `type` for whole numbers in [minimum, maximum] (None: no bound), with
    a one-line error; `why` says why the maximum is there."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if minimum is not None and value < minimum:
            raise argparse.ArgumentTypeError(f"{text!r} must be at least {minimum}")
        if maximum is not None and value > maximum:
            reason = f" ({why})" if why else ""
            raise argparse.ArgumentTypeError(f"{text!r} must be at most {maximum:,}{reason}")
        return value

    return parse


positive_int = int_at_least(1)
non_negative_int = int_at_least(0)
whole_number = int_at_least(None)


def print_json(payload: dict[str, Any]) -> None:
    """One JSON object on the last line of stdout: scripts read exactly that line."""
    sys.stdout.write(orjson.dumps(payload, default=str).decode() + "\n")
    sys.stdout.flush()


def key_value_table(title: str, rows: list[tuple[str, Any]]) -> Table:
    table = Table(title=title, show_header=False, title_justify="left")
    table.add_column("what", style="bold")
    table.add_column("value", justify="right")
    for key, value in rows:
        table.add_row(key, str(value))
    return table


def stdout_console() -> PipeAwareConsole:
    return PipeAwareConsole(soft_wrap=True)
