"""The `levelup` command line: options only; the work lives in the package.

Exit status: 0 all good, 1 some matches failed, 2 usage or configuration error.
Errors the user can act on are one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from levelup import __version__
from levelup.errors import LevelUpError

COMMAND_MODULES = ("sync", "backfill", "demo", "report", "auth")

log = logging.getLogger("levelup")


class _Parser(argparse.ArgumentParser):
    """argparse exits 2 on usage errors already; keep its message short and clear."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="levelup",
        description="Keep and study a Halo Infinite player's match history in DuckDB.",
    )
    parser.add_argument("--version", action="version", version=f"levelup {__version__}")
    parser.add_argument(
        "-v", "--verbose", action="count", default=0, help="more log output (-vv for debug)"
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"levelup.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"levelup.commands.{name}":
                raise
            continue
        module.register(subparsers)
    return parser


def configure_logging(verbosity: int) -> None:
    level = logging.WARNING if verbosity == 0 else logging.INFO if verbosity == 1 else logging.DEBUG
    logging.basicConfig(
        level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )


def main(argv: Sequence[str] | None = None) -> int:
    return run_command(build_parser(), argv)


def run_command(parser: argparse.ArgumentParser, argv: Sequence[str] | None = None) -> int:
    """Parse, run the chosen handler, and map LevelUp errors to exit statuses."""
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return 2
    configure_logging(args.verbose)
    try:
        return int(args.func(args))
    except LevelUpError as exc:
        print(f"levelup: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("levelup: interrupted; what was committed is kept", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
