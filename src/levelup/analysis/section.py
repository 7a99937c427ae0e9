"""What a dashboard section is: figures, the tables and notes that show them, and charts.

Each section module defines one `Section`: `compute` turns the matches in scope
into a JSON-ready dictionary (its key in `--json`), `views` into the tables and
notes of the terminal and the page, `charts` into the page's charts. A section
says why its data is missing instead of showing zeros.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import polars as pl

from levelup.analysis.frames import EMPTY, MISSING, ReportFrames
from levelup.analysis.scope import Scope

if TYPE_CHECKING:
    from levelup.analysis.report import Report
    from levelup.analysis.svg import Chart
    from levelup.analysis.tablespec import View


@dataclass
class Context:
    """What every section computes from."""

    frames: ReportFrames
    scope: Scope
    matches: pl.DataFrame  # the per-match frame of the matches in scope, oldest first
    owner: str | None  # the tracked player's xuid
    series: dict[str, Any] = field(default_factory=dict)  # what the charts draw, not in --json
    _roles: pl.DataFrame | None = None

    def roles(self) -> pl.DataFrame:
        """The other players' rows of the matches in scope with their role (teammate,
        opponent, lobby) and the owner's side of the match: joined once, for every
        section that compares the owner with the others."""
        if self._roles is None:
            from levelup.analysis.accuracy import role_frame

            self._roles = role_frame(self.matches, self.frames.participants, self.owner)
        return self._roles


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    compute: Callable[[Context], dict[str, Any]]
    views: Callable[[dict[str, Any], dict[str, Any]], list[View]]
    charts: Callable[[Report], list[Chart]] = lambda report: []


def availability(frames: ReportFrames, table: str) -> str | None:
    """None when the table has rows, else the sentence a section shows instead of figures."""
    state = frames.table_state(table)
    if state == MISSING:
        return f"not available: this database has no {table} table (or an older layout of it)"
    if state == EMPTY:
        return f"not yet backfilled: {table} is empty{_EMPTY_HINTS.get(table, '')}"
    return None


# Why a table filled from the skill service can be empty, and what fills it.
_EMPTY_HINTS = {
    "match_skill": (
        " (a sync with --no-skill, or from a source without the skill service, stores none; "
        "`levelup backfill --skill` fetches it)"
    ),
    "csr_snapshots": (
        " (each sync with the skill service stores the current rank; a source without it, "
        "or --no-skill, stores none)"
    ),
}


def coverage_note(known: int, total: int, what: str, table: str) -> str:
    """ "Medals known for 120 of 150 matches; 30 not yet backfilled (no match_medals rows)"."""
    if known == total:
        return ""
    return (
        f"{what} known for {known:,} of {total:,} matches in scope; "
        f"{total - known:,} not yet backfilled (no {table} rows), left out of these figures."
    )
