"""The rich console every command prints with.

Rich's own answer to a closed pipe is to exit with status 1; for a command line
tool a reader that stopped reading (`levelup report | head -3`) is a normal end.
This console raises `BrokenPipeError` instead, which `levelup.cli` turns into
exit status 0 without a message.
"""

from __future__ import annotations

from rich.console import Console


class PipeAwareConsole(Console):
    """A `rich.console.Console` that lets a closed pipe reach the CLI as `BrokenPipeError`."""

    def on_broken_pipe(self) -> None:
        self.quiet = True  # nothing more to write to a reader that has gone
        raise BrokenPipeError
