"""Errors that reach the user, each mapped to an exit status by the CLI.

Exit status 2 means "the run could not start or continue as asked" (usage,
configuration, credentials, a locked database); 1 means "some matches failed".
"""


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
