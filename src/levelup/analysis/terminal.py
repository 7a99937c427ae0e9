"""The accuracy report as rich tables.

Rendering reads only the summary dictionary `build_report` produced, the same
one `--json` prints, so the terminal can never show a figure the JSON lacks.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from levelup.analysis.accuracy import describe_scope

# Long breakdowns (maps, playlists) are cut here; --json and --html hold every row.
MAX_ROWS = 15

NULL_LABELS = {
    "not_backfilled": "not yet backfilled",
    "not_provided": "not provided by the API",
}


def fmt_pct(value: float | None) -> str:
    """A percentage with two decimals; "n/a" when nothing was fired."""
    return "n/a" if value is None else f"{value:.2f}%"


def fmt_delta(value: float | None) -> str:
    return "" if value is None else f"{value:+.2f} pts"


def fmt_int(value: int | None) -> str:
    return "" if value is None else f"{value:,}"


def _table(title: str, *columns: str, numeric_from: int = 1) -> Table:
    table = Table(title=title, title_justify="left", title_style="bold", expand=False)
    for index, column in enumerate(columns):
        table.add_column(column, justify="right" if index >= numeric_from else "left")
    return table


def _summary_table(summary: dict[str, Any]) -> Table:
    table = _table("Overall", "", "", numeric_from=1)
    table.show_header = False
    nulls = summary["null_shots"]
    rows = [
        ("Matches", fmt_int(summary["matches"])),
        ("  with known shots", fmt_int(summary["matches_with_shots"])),
        ("  of which fired nothing", fmt_int(summary["zero_shot_matches"])),
        (f"  shots {NULL_LABELS['not_backfilled']}", fmt_int(nulls["not_backfilled"])),
        (f"  shots {NULL_LABELS['not_provided']}", fmt_int(nulls["not_provided"])),
        ("Shots fired", fmt_int(summary["shots_fired"])),
        ("Shots hit", fmt_int(summary["shots_hit"])),
        ("Accuracy (hits / fired)", fmt_pct(summary["overall_accuracy"])),
    ]
    for label, value in rows:
        table.add_row(label, value)
    return table


def _kind_table(rows: list[dict[str, Any]]) -> Table:
    table = _table("By kind of match", "Kind", "Matches", "Shots unknown", "Fired", "Hit", "Acc.")
    for row in rows:
        table.add_row(
            row["kind_label"],
            fmt_int(row["matches"]),
            fmt_int(row["shots_unknown"]),
            fmt_int(row["shots_fired"]),
            fmt_int(row["shots_hit"]),
            fmt_pct(row["accuracy"]),
        )
    return table


def _breakdown_table(title: str, rows: list[dict[str, Any]], what: str) -> Table:
    table = _table(title, "Kind", what, "Matches", "Shots unknown", "Fired", "Hit", "Acc.")
    table.columns[1].justify = "left"
    for row in rows[:MAX_ROWS]:
        table.add_row(
            row["kind_label"],
            row["name"],
            fmt_int(row["matches"]),
            fmt_int(row["shots_unknown"]),
            fmt_int(row["shots_fired"]),
            fmt_int(row["shots_hit"]),
            fmt_pct(row["accuracy"]),
        )
    if len(rows) > MAX_ROWS:
        table.caption = f"{len(rows) - MAX_ROWS} more rows in --json / --html"
    return table


def _trend_table(trend: dict[str, Any]) -> Table:
    table = _table(
        "Trend (newest matches with known shots)",
        "Window",
        "Matches",
        "Fired",
        "Hit",
        "Acc.",
        "vs career",
    )
    for key, figures in trend.items():
        label = "Career (scope)" if key == "career" else f"Last {figures['window']}"
        table.add_row(
            label,
            fmt_int(figures["matches"]),
            fmt_int(figures["shots_fired"]),
            fmt_int(figures["shots_hit"]),
            fmt_pct(figures["accuracy"]),
            fmt_delta(figures.get("delta")),
        )
    return table


def _matches_table(title: str, rows: list[dict[str, Any]]) -> Table:
    table = _table(title, "Date (UTC)", "Mode", "Map", "Hit / fired", "Acc.", numeric_from=3)
    for row in rows:
        table.add_row(
            (row["start_time"] or "")[:16].replace("T", " "),
            row["mode"],
            row["map"],
            f"{row['shots_hit']:,} / {row['shots_fired']:,}",
            fmt_pct(row["accuracy"]),
        )
    return table


def _lobby_table(lobby: dict[str, Any]) -> Table:
    table = _table("You against the lobby (same matches)", "Who", "Players", "Fired", "Hit", "Acc.")

    def add(label: str, figures: dict[str, Any], players: str = "") -> None:
        table.add_row(
            label,
            players,
            fmt_int(figures["shots_fired"]),
            fmt_int(figures["shots_hit"]),
            fmt_pct(figures["accuracy"]),
        )

    def add_groups(prefix: str, groups: dict[str, Any]) -> None:
        add(f"{prefix}You", groups["player"], "1")
        for key, label in (
            ("teammates", "Teammates"),
            ("opponents", "Opponents"),
            ("lobby", "Whole lobby"),
        ):
            figures = groups[key]
            add(f"{prefix}{label}", figures, fmt_int(figures["players"]))

    add_groups("", lobby)
    if len(lobby["by_kind"]) > 1:
        for kind in lobby["by_kind"]:
            table.add_section()
            add_groups(f"{kind['kind_label']}: ", kind)
    table.caption = "In matches without teams (FFA, Infection) others count in the lobby only."
    table.caption_justify = "left"
    return table


def _players_table(rows: list[dict[str, Any]]) -> Table:
    table = _table(
        "Players seen most often (humans)",
        "Gamertag",
        "Matches",
        "With",
        "Against",
        "Fired",
        "Hit",
        "Acc.",
    )
    for row in rows:
        table.add_row(
            row["gamertag"] or row["xuid"],
            fmt_int(row["matches"]),
            fmt_int(row["as_teammate"]),
            fmt_int(row["as_opponent"]),
            fmt_int(row["shots_fired"]),
            fmt_int(row["shots_hit"]),
            fmt_pct(row["accuracy"]),
        )
    return table


def render_terminal(summary: dict[str, Any], console: Console) -> None:
    """Print the report; a scope with no match prints a one-line notice instead."""
    who, filters = describe_scope(summary)
    scope = summary["scope"]
    header = Text(f"Accuracy report: {who}", style="bold")
    header.append(f"  ({'; '.join(filters) or 'every stored match'})", style="dim")
    console.print(header)
    if summary["missing_columns"]:
        console.print(
            "[yellow]This database has an older layout and lacks "
            + ", ".join(summary["missing_columns"])
            + "; the figures that need them are left out. Any sync or backfill upgrades it.[/]"
        )
    if summary["matches"] == 0:
        console.print("No matches in scope.")
        return
    if scope["first_match"]:
        console.print(f"[dim]{scope['first_match'][:10]} to {scope['last_match'][:10]} (UTC)[/]")
    console.print(_summary_table(summary))
    if len(summary["by_kind"]) > 1:
        console.print(_kind_table(summary["by_kind"]))
    console.print(_trend_table(summary["trend"]))
    console.print(_breakdown_table("By game mode", summary["by_mode"], "Mode"))
    console.print(_breakdown_table("By map", summary["by_map"], "Map"))
    console.print(_breakdown_table("By playlist", summary["by_playlist"], "Playlist"))
    min_shots = scope["min_shots"]
    if summary["best"]:
        console.print(_matches_table(f"Best matches (at least {min_shots} shots)", summary["best"]))
        console.print(
            _matches_table(f"Worst matches (at least {min_shots} shots)", summary["worst"])
        )
    else:
        console.print(f"No match with at least {min_shots} shots fired for best / worst.")
    console.print(_lobby_table(summary["lobby"]))
    if summary["frequent_players"]:
        console.print(_players_table(summary["frequent_players"]))
    nulls = summary["null_shots"]
    if nulls["not_backfilled"] or nulls["not_provided"]:
        console.print(
            f"[dim]Shots unknown: {nulls['not_backfilled']} match(es) not yet backfilled "
            f"(run `levelup backfill`), {nulls['not_provided']} not provided by the API. "
            "They count as matches but take no part in any accuracy.[/]"
        )
