"""The `levelup` command line: options only; the work lives in the package.

Exit status: 0 all good, 1 some matches failed, 2 usage or configuration error,
130 interrupted by SIGINT (Ctrl-C), 143 by SIGTERM. Errors the user can act on,
and interruptions (even during start-up), are one line on stderr, never a
traceback.
"""

from __future__ import annotations

import argparse
import difflib
import importlib
import logging
import os
import signal
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from levelup import __version__
from levelup.commands import COMMANDS, READ_ONLY
from levelup.errors import Interrupted, LevelUpError, first_user_error
from levelup.interrupts import Terminated, install_termination_handler, signal_received

log = logging.getLogger("levelup")


def common_options() -> argparse.ArgumentParser:
    """Options every command accepts after its name (`levelup report -v`), as an
    argparse parent. They are counted apart from the same options given before the
    command (`levelup -v report`) and added up, so both places work."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "-v",
        "--verbose",
        dest="command_verbose",
        action="count",
        default=0,
        help="more log output (-vv for debug)",
    )
    return common


class _Parser(argparse.ArgumentParser):
    """argparse with short, helpful usage errors.

    A command's parser (`strict`) rejects an unknown option itself, so the user
    sees that command's usage, not the top-level one; every error about an unknown
    option or command says which known one is closest ("did you mean ...?").
    """

    def __init__(self, *args: Any, strict: bool = False, **kwargs: Any) -> None:
        # No prefixes: `--play` is not `--player`, so an option added later never
        # changes what an existing script's abbreviation means.
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)
        self._strict = strict
        self._seen: list[str] = []

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        self._seen = list(sys.argv[1:] if args is None else args)
        namespace, extras = super().parse_known_args(args, namespace)
        if self._strict and extras:
            self.error(f"unrecognized arguments: {' '.join(extras)}")
        return namespace, extras

    def _check_value(self, action: argparse.Action, value: Any) -> None:
        try:
            super()._check_value(action, value)  # type: ignore[misc]
        except argparse.ArgumentError as exc:
            if action.choices is not None and isinstance(value, str):
                close = difflib.get_close_matches(value, [str(c) for c in action.choices], n=1)
                if close:
                    raise argparse.ArgumentError(
                        action, f"{exc.message} (did you mean {close[0]!r}?)"
                    ) from None
            raise

    def unknown_options(self) -> list[str]:
        """The options in the arguments last parsed that this parser does not know."""
        known = list(self._option_string_actions)
        unknown = []
        for token in self._seen:
            if token == "--":
                break
            if not token.startswith("-") or token == "-" or _is_number(token):
                continue
            name = token.split("=", 1)[0]
            if name in known:
                continue
            unknown.append(name)
        return unknown

    def suggestions(self) -> str:
        """ " (did you mean --player?)" hints for the unknown options, or ""."""
        long_options = [k for k in self._option_string_actions if k.startswith("--")]
        hints = []
        for name in self.unknown_options():
            close = difflib.get_close_matches(name, long_options, n=1, cutoff=0.6)
            if close:
                hints.append(f"{name}: did you mean {close[0]}?")
        return f" ({'; '.join(hints)})" if hints else ""

    def error(self, message: str) -> NoReturn:  # type: ignore[override]
        unknown = self.unknown_options()
        # A misspelled command: its options belong to the command meant, not to this parser.
        misspelled_command = message.startswith("argument COMMAND")
        if unknown and message.startswith("the following arguments are required"):
            # A required option reported missing because it was misspelled: the
            # misspelling is the error (its suggestion follows).
            message = f"unrecognized arguments: {' '.join(unknown)}"
        elif unknown and "unrecognized arguments" not in message and not misspelled_command:
            message += f"; unrecognized arguments: {' '.join(unknown)}"
        self.print_usage(sys.stderr)
        hints = "" if misspelled_command else self.suggestions()
        self.exit(2, f"{self.prog}: error: {message}{hints}\n")


def _is_number(token: str) -> bool:
    try:
        float(token)
    except ValueError:
        return False
    return True


class _Commands(argparse._SubParsersAction):
    """Every command's parser gets the common options and rejects unknown ones itself."""

    def add_parser(self, name: str, **kwargs: Any) -> argparse.ArgumentParser:
        kwargs["parents"] = [*kwargs.get("parents", ()), common_options()]
        kwargs.setdefault("strict", True)
        return super().add_parser(name, **kwargs)


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The command line with the command `only` fully built (only its module imported):
    each command module imports its own slow stack (DuckDB, Polars, aiohttp, spnkr),
    and the top-level help (`only` None) lists every command from `COMMANDS` alone."""
    parser = _Parser(
        prog="levelup",
        description="Keep and study a Halo Infinite player's match history in DuckDB.",
    )
    parser.add_argument("--version", action="version", version=f"levelup {__version__}")
    parser.add_argument(
        "-v", "--verbose", action="count", default=0, help="more log output (-vv for debug)"
    )
    subparsers = parser.add_subparsers(
        dest="command", metavar="COMMAND", parser_class=_Parser, action=_Commands
    )
    for name, help_text in COMMANDS.items():
        if name == only:
            importlib.import_module(f"levelup.commands.{name}").register(subparsers)
        else:
            subparsers.add_parser(name, help=help_text, add_help=False)
    return parser


def backfill_script(argv: Sequence[str] | None = None) -> int:
    """Entry of `scripts/backfill_data.py`: `levelup backfill`'s options without the command."""
    from levelup.commands import backfill

    doc = backfill.__doc__ or ""
    parser = _Parser(  # the same usage errors and suggestions, and the common options
        parents=[common_options()],
        prog="backfill_data.py",
        description=doc.split("\n\n", 1)[0],
        epilog=doc.split("\n\n", 1)[1].replace(
            "levelup backfill", "python scripts/backfill_data.py"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    backfill.add_backfill_arguments(parser)
    parser.set_defaults(func=backfill.run)
    return run_command(parser, argv)


def configure_logging(verbosity: int) -> None:
    level = logging.WARNING if verbosity == 0 else logging.INFO if verbosity == 1 else logging.DEBUG
    logging.basicConfig(
        level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )


def main(argv: Sequence[str] | None = None) -> int:
    install_termination_handler()
    try:
        # Imports the command's module: the slow part of start-up.
        parser = build_parser(_requested_command(argv))
    except (KeyboardInterrupt, Terminated) as exc:
        return stopped(exc, argv)
    return run_command(parser, argv)


def stopped(exc: BaseException, argv: Sequence[str] | None = None) -> int:
    """One line and the signal's exit status, for a stop outside an interruptible run.

    A command that writes says its committed work is kept; one that only reads
    (`READ_ONLY`; the export's partitions are whole either way) just stops."""
    terminated = isinstance(exc, Terminated) or (
        not isinstance(exc, KeyboardInterrupt) and signal_received() == signal.SIGTERM
    )
    signal_name, status = ("SIGTERM", 143) if terminated else ("SIGINT", 130)
    kept = "" if _requested_command(argv) in READ_ONLY else "; what was committed is kept"
    print(f"levelup: interrupted by {signal_name}{kept}", file=sys.stderr)
    return status


def _requested_command(argv: Sequence[str] | None) -> str | None:
    """The command named on the command line, if it is one (else None: build them all,
    for the top-level help and argparse's own error on an unknown command)."""
    words = list(sys.argv[1:] if argv is None else argv)
    for word in words:
        if word.startswith("-"):
            if word in ("-h", "--help", "--version"):
                return None
            continue
        return word if word in COMMANDS else None
    return None


def run_command(parser: argparse.ArgumentParser, argv: Sequence[str] | None = None) -> int:
    """Parse, run the chosen handler, and map LevelUp errors to exit statuses.

    A closed stdout (`levelup report | head -3`) is a normal end: exit 0, no message.
    """
    install_termination_handler()
    try:
        status = _run(parser, argv)
        sys.stdout.flush()  # a buffered tail must meet a closed pipe here, not at exit
    except BrokenPipeError:
        return _reader_gone()
    except (KeyboardInterrupt, Terminated) as exc:
        return stopped(exc, argv)
    return status


def _run(parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> int:
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return 2
    configure_logging(getattr(args, "verbose", 0) + getattr(args, "command_verbose", 0))
    try:
        return int(args.func(args))
    except Interrupted as exc:
        print(f"levelup: {exc}", file=sys.stderr)
        return exc.exit_code
    except LevelUpError as exc:
        print(f"levelup: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except RuntimeError as exc:
        # DuckDB replaces a signal's exception raised during a query with this one.
        if signal_received() is not None and "interrupted" in str(exc).lower():
            return stopped(exc, argv)
        raise
    except BrokenPipeError:
        raise  # a reader that stopped early: a normal end (see `run_command`)
    except OSError as exc:  # the file system refused (read-only, full, a file in the way)
        print(f"levelup: error: {_describe_os_error(exc)}", file=sys.stderr)
        return 2
    except BaseExceptionGroup as group:  # a task group that escaped its own unwrapping
        found = first_user_error(group)
        if found is None:
            raise
        print(f"levelup: error: {found}", file=sys.stderr)
        return found.exit_code


def _describe_os_error(exc: OSError) -> str:
    """ "<what went wrong>: <file>", without importing the storage layer at start-up."""
    from levelup.store.database import describe_os_error

    where = exc.filename or ""
    if exc.filename2:
        where = f"{where} -> {exc.filename2}"
    return f"{describe_os_error(exc)}: {where}" if where else describe_os_error(exc)


def _reader_gone() -> int:
    """Point stdout at /dev/null, so the interpreter's final flush of what is still
    buffered cannot fail again ("Exception ignored ... BrokenPipeError"), and end well."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout has no file descriptor (embedded, tests)
        pass
    finally:
        os.close(devnull)
    return 0


if __name__ == "__main__":
    sys.exit(main())
