"""The dashboard as one self-contained web page.

The page must open offline, years later, from a file or an e-mail attachment:
nothing is fetched from anywhere. Charts are inline SVG from the Jinja templates
in `templates/`; tables come from the terminal's specifications; a cell or a
chart point naming a match links to its scoreboard further down the page.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from levelup.analysis import scoreboard
from levelup.analysis.formatting import fmt_duration, fmt_int, fmt_pct, fmt_pct1, fmt_ratio
from levelup.analysis.scope import describe_scope
from levelup.analysis.svg import num
from levelup.analysis.tablespec import View

if TYPE_CHECKING:
    import jinja2

    from levelup.analysis.report import Report

TEMPLATES = Path(__file__).with_name("templates")


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["n"] = num
    return env


def write_html(path: Path, report: Report, sections: list[str] | None = None) -> Path:
    """Write the page (parents created) and return its absolute path."""
    path = Path(path)
    if path.parent != Path():
        path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(report, sections), encoding="utf-8")
    return path.resolve()


def _view(view: View, report: Report) -> dict[str, Any]:
    """A view as the template draws it: text cells, alignment, links to scoreboards."""
    if view.spec is None:
        return {"kind": "note", "text": view.note, "warn": view.warn}
    spec = view.spec
    if not view.rows:
        return {"kind": "empty", "title": spec.title}
    rows = []
    for row, cells in zip(view.rows, view.cells(), strict=True):
        rows.append(
            {
                "you": bool(row.get("is_owner")),
                "cells": [
                    {
                        "text": text,
                        "right": column.right,
                        "wrap": column.wrap,
                        "href": report.link(row.get(column.link)) if column.link else "",
                    }
                    for column, text in zip(spec.columns, cells, strict=True)
                ],
            }
        )
    return {
        "kind": "table",
        "id": f"table-{spec.id}",
        "title": spec.title,
        "header": any(column.header for column in spec.columns),
        "headers": [{"text": c.header, "right": c.right} for c in spec.columns],
        "rows": rows,
        "caption": view.caption,
        "wide": len(spec.columns) > 6 or any(c.wrap for c in spec.columns),
    }


def _cards(summary: dict[str, Any]) -> list[dict[str, str]]:
    o = summary["overview"]
    record = f"{o['wins']:,}-{o['losses']:,}" + (f"-{o['ties']:,}" if o["ties"] else "")
    cards = [
        (fmt_int(summary["matches"]), "matches (every kind)"),
        (fmt_int(o["pvp_matches"]), "PvP matches (against humans)"),
        (record, "PvP wins-losses" + ("-ties" if o["ties"] else "")),
        (fmt_pct1(o["win_rate"]), "PvP win rate (decided matches)"),
        (fmt_ratio(o["kd_ratio"]), "PvP K/D (kills / deaths)"),
        (fmt_ratio(o["kda"]), "PvP KDA per match"),
        (fmt_pct(o["accuracy"]), "PvP accuracy (hit / fired)"),
        (fmt_ratio(o["damage_ratio"]), "PvP damage dealt / taken"),
        (fmt_duration(o["time_played_seconds"]), "time played (every kind)"),
    ]
    for row in summary["csr"][:2]:
        if row["current"] is not None:
            cards.append((fmt_int(row["current"]), f"CSR {row['playlist']} ({row['tier_label']})"))
        else:
            cards.append(("placement", f"{row['playlist']}: {row['tier_label']}"))
    return [{"value": value, "key": key} for value, key in cards]


def page_model(report: Report, sections: list[str] | None = None) -> dict[str, Any]:
    from levelup.analysis.report import SECTIONS

    s = report.summary
    player, filters = describe_scope(s)
    scope = s["scope"]
    span = (
        f" · {scope['first_match'][:10]} to {scope['last_match'][:10]} (UTC)"
        if scope["first_match"]
        else ""
    )
    warnings = []
    if s["missing_columns"]:
        warnings.append(
            "This database has an older layout and lacks "
            + ", ".join(s["missing_columns"])
            + "; the figures that need them are left out."
        )
    model: dict[str, Any] = {
        "player": player,
        "subtitle": ("; ".join(filters) or "Every stored match")
        + span
        + f" · clock times in {scope['tz']}",
        "warnings": warnings,
        "empty": report.empty,
        "stored_matches": f"{s['stored_matches']:,}",
        "modes_present": ", ".join(f"{m['mode']} ({m['matches']:,})" for m in s["modes_present"]),
        "cards": [],
        "sections": [],
        "scoreboards": [],
        "footer": "Every figure is a ratio of sums over the matches where it is known: K/D = "
        "total kills / total deaths, accuracy = total shots hit / total shots fired, win rate "
        "= wins / (wins + losses). Missing data is counted apart, never as 0.",
    }
    if report.empty:
        return model
    model["cards"] = _cards(s)
    for section in SECTIONS:
        if sections and section.key not in sections:
            continue
        model["sections"].append(
            {
                "key": section.key,
                "title": section.title,
                "charts": section.charts(report),
                "views": [_view(v, report) for v in section.views(s[section.key], s)],
            }
        )
    for match_id, board in report.scoreboards.items():
        model["scoreboards"].append(
            {
                "match_id": match_id,
                "title": scoreboard.title(board),
                "outcome": board["outcome"],
                "views": [_view(v, report) for v in scoreboard.views(board)],
            }
        )
    return model


def render_html(report: Report, sections: list[str] | None = None) -> str:
    """The whole page as one string."""
    return _environment().get_template("page.html.j2").render(page=page_model(report, sections))
