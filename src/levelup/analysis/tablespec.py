"""One table specification for the terminal and the page.

A section describes each of its tables once, as a `TableSpec`, and hands `View`s
(a spec with its rows) to both renderers, rich in the terminal and the Jinja
template on the page, so the two never disagree on a header, a format or a row.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from levelup.analysis import formatting as f

FORMATS: dict[str, Callable[[Any], str]] = {
    "text": lambda v: "" if v is None else str(v),
    "int": f.fmt_int,
    "signed": f.fmt_signed,
    "pct": f.fmt_pct,
    "pct1": f.fmt_pct1,
    "delta": f.fmt_delta,
    "ratio": f.fmt_ratio,
    "float1": f.fmt_float1,
    "signed1": f.fmt_signed1,
    "duration": f.fmt_duration,
    "datetime": f.fmt_datetime,
}


@dataclass(frozen=True)
class Column:
    """One column: the row key it shows, its header, its format (a FORMATS key), and
    `link`, the row key of a match id whose scoreboard the page links the cell to."""

    key: str
    header: str
    fmt: str = "text"
    link: str | None = None
    align: str = ""
    wrap: bool = False  # long text: the page lets it wrap (other cells stay on one line)

    @property
    def right(self) -> bool:
        """Numbers align right, text left, unless the column says otherwise."""
        if self.align:
            return self.align == "right"
        return self.fmt not in ("text", "datetime")

    def cell(self, row: dict[str, Any]) -> str:
        return FORMATS[self.fmt](row.get(self.key))


# Columns several tables share, declared once.
RECORD_COLUMNS = (
    Column("wins", "W", "int"),
    Column("losses", "L", "int"),
    Column("win_rate", "Win rate", "pct1"),
)
SHOT_COLUMNS = (
    Column("shots_fired", "Fired", "int"),
    Column("shots_hit", "Hit", "int"),
    Column("accuracy", "Acc.", "pct"),
)
MATCH_COLUMNS = (
    Column("start_time", "Date (UTC)", "datetime", link="match_id"),
    Column("mode", "Mode"),
    Column("map", "Map"),
)


@dataclass(frozen=True)
class TableSpec:
    """A table's identity and columns; `terminal_rows` cuts long tables in the terminal only."""

    id: str
    title: str
    columns: tuple[Column, ...]
    terminal_rows: int | None = 15


@dataclass
class View:
    """What a section shows: a table (spec and rows) or a note, with an optional caption."""

    spec: TableSpec | None = None
    rows: list[dict[str, Any]] = field(default_factory=list)
    caption: str = ""
    note: str = ""
    warn: bool = False

    def cells(self, limit: int | None = None) -> list[list[str]]:
        assert self.spec is not None
        rows = self.rows if limit is None else self.rows[:limit]
        return [[column.cell(row) for column in self.spec.columns] for row in rows]


def table(spec: TableSpec, rows: Sequence[dict[str, Any]], caption: str = "") -> View:
    return View(spec=spec, rows=list(rows), caption=caption)


def note(text: str, *, warn: bool = False) -> View:
    return View(note=text, warn=warn)


def key_values(table_id: str, title: str, pairs: Sequence[tuple[str, Any, str]]) -> View:
    """A two-column table of (label, value, format) pairs, formatted per row."""
    spec = TableSpec(
        table_id, title, (Column("label", ""), Column("value", "", align="right")), None
    )
    rows = [{"label": label, "value": FORMATS[fmt](value)} for label, value, fmt in pairs]
    return View(spec=spec, rows=rows)
