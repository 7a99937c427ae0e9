"""The dashboard as rich tables in the terminal, from the summary `--json` prints,
through the sections' views (the page's tables). Every cell is plain text, never
rich markup: a gamertag with brackets prints as it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from levelup.analysis.scope import describe_scope
from levelup.analysis.tablespec import View


def _table(view: View) -> Table:
    spec = view.spec
    assert spec is not None
    headless = all(not column.header for column in spec.columns)
    # A two-column key/value table is narrow: its title goes on a line of its own
    # (render_view) rather than wrapping inside the table's width.
    title = None if headless else spec.title
    table = Table(title=title, title_justify="left", title_style="bold", expand=False)
    for column in spec.columns:
        table.add_column(column.header, justify="right" if column.right else "left")
    table.show_header = not headless
    limit = spec.terminal_rows
    for cells in view.cells(limit):
        table.add_row(*(Text(cell) for cell in cells))
    caption = view.caption
    if limit is not None and len(view.rows) > limit:
        more = f"{len(view.rows) - limit} more rows in --json / --html"
        caption = f"{caption} {more}".strip()
    if caption:
        table.caption = caption
        table.caption_justify = "left"
    return table


def render_view(view: View, console: Console) -> None:
    if view.spec is not None:
        if not view.rows:
            console.print(Text(f"{view.spec.title}: nothing to show", style="dim"))
            return
        if all(not column.header for column in view.spec.columns):
            console.print(Text(view.spec.title, style="bold"))
        console.print(_table(view))
    elif view.note:
        console.print(Text(view.note, style="yellow" if view.warn else "dim"))


def render_views(views: Sequence[View], console: Console) -> None:
    for view in views:
        render_view(view, console)


def _header(summary: dict[str, Any], console: Console) -> None:
    who, filters = describe_scope(summary)
    header = Text(f"Player report: {who}", style="bold")
    header.append(f"  ({'; '.join(filters) or 'every stored match'})", style="dim")
    console.print(header)
    if summary["missing_columns"]:
        console.print(
            Text(
                "This database has an older layout and lacks "
                + ", ".join(summary["missing_columns"])
                + "; the figures that need them are left out. Any sync or backfill upgrades it.",
                style="yellow",
            )
        )


def render_empty_scope(summary: dict[str, Any], console: Console) -> None:
    """No match in scope: say so, and list the modes that are stored."""
    console.print("No matches in scope.")
    present = summary.get("modes_present") or []
    if present:
        listed = ", ".join(f"{m['mode']} ({m['matches']:,})" for m in present)
        console.print(Text(f"Modes stored ({summary['stored_matches']:,} matches): {listed}."))


def render_terminal(
    summary: dict[str, Any], console: Console, sections: Sequence[str] | None = None
) -> None:
    """Print the dashboard; a scope with no match prints a notice and the modes present."""
    from levelup.analysis.report import SECTIONS

    _header(summary, console)
    if summary["matches"] == 0:
        render_empty_scope(summary, console)
        return
    scope = summary["scope"]
    if scope["first_match"]:
        console.print(
            Text(f"{scope['first_match'][:10]} to {scope['last_match'][:10]} (UTC)", style="dim")
        )
    for section in SECTIONS:
        if sections and section.key not in sections:
            continue
        console.rule(Text(section.title, style="bold"), align="left")
        render_views(section.views(summary[section.key], summary), console)
