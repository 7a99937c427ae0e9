"""Errors that reach the user, each mapped to an exit status by the CLI.

Exit status 2 means "the run could not start or continue as asked" (usage,
configuration, credentials, a locked database); 1 means "some matches failed";
130 and 143 mean "stopped by SIGINT / SIGTERM".
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator


class LevelUpError(Exception):
    """Base of every error the CLI turns into a one-line message."""

    exit_code = 2


class UsageError(LevelUpError):
    """The command line asks for something impossible or ambiguous."""


class ConfigError(LevelUpError):
    """Settings or credentials are missing or wrong."""


class DatabaseBusyError(LevelUpError):
    """Another process holds the player's database (DuckDB allows one writer)."""


class PlayerNotFoundError(LevelUpError):
    """No database, or no source entry, matches the requested player."""


class Interrupted(LevelUpError):
    """The run was stopped by SIGINT (exit 130) or SIGTERM (exit 143) after
    keeping what it had fetched; the next run resumes."""

    def __init__(self, signal_number: int, signal_name: str) -> None:
        super().__init__(
            f"interrupted by {signal_name}; what was fetched is kept and the next run resumes"
        )
        self.exit_code = 128 + signal_number


def about(where: object, reason: str) -> str:
    """`where: reason`, or the reason alone when it names `where` already (a busy
    database's message names its file), so a warning never says the path twice."""
    return reason if str(where) in reason else f"{where}: {reason}"


def first_user_error(error: BaseException) -> LevelUpError | None:
    """The error a user should see in a task group's failure, or None.

    `asyncio.TaskGroup` wraps its tasks' errors in an `ExceptionGroup`, which
    would reach the user as a traceback. The first error that stops a run
    (exit status 2: credentials, configuration) wins, else the first LevelUp
    error, searched depth first.
    """
    leaves: list[BaseException] = []
    pending = [error]
    while pending:
        current = pending.pop(0)
        if isinstance(current, BaseExceptionGroup):
            pending[:0] = list(current.exceptions)
        else:
            leaves.append(current)
    found = [leaf for leaf in leaves if isinstance(leaf, LevelUpError)]
    found.sort(key=lambda leaf: leaf.exit_code != 2)  # stable: depth-first order otherwise
    return found[0] if found else None


@contextlib.contextmanager
def unwrapped_task_errors() -> Iterator[None]:
    """Around `async with asyncio.TaskGroup()`: its failure surfaces as the
    project's own error (`first_user_error`); a group holding none (a bug) is
    raised unchanged, with every task's traceback."""
    try:
        yield
    except BaseExceptionGroup as group:
        found = first_user_error(group)
        if found is None:
            raise
        raise found from None
