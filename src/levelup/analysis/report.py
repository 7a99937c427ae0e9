"""The player's dashboard: every section computed once into one summary dictionary.

The terminal tables, the `--json` object and the HTML page all read the
`summary` built here, so no rendering can show a figure the others lack. Its
top level holds the headline figures scripts rely on, one key per section, and
the accuracy figures where the report has always printed them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from levelup.analysis import (
    accuracy,
    expectation,
    medals,
    modes_maps,
    overview,
    people,
    rank,
    recent,
    timing,
)
from levelup.analysis.figures import percent
from levelup.analysis.frames import ReportFrames, ScoreboardFrames
from levelup.analysis.scope import (
    PVP_KINDS,
    Scope,
    apply_scope,
    iso,
    modes_present,
    prepare_matches,
)
from levelup.analysis.scoreboard import build_scoreboards
from levelup.analysis.section import Context, Section

SECTIONS: tuple[Section, ...] = (
    overview.SECTION,
    rank.SECTION,
    expectation.SECTION,
    accuracy.SECTION,
    medals.SECTION,
    modes_maps.SECTION,
    timing.SECTION,
    people.SECTION,
    recent.SECTION,
)
SECTION_KEYS = {section.key: section for section in SECTIONS}
# The names `--section` accepts, beside the keys.
SECTION_ALIASES = {
    "medals": "medal_stats",
    "modes": "modes_maps",
    "maps": "modes_maps",
    "matches": "recent_matches",
    "skill": "expectation",
}


@dataclass
class Report:
    """The figures (`summary`, JSON-ready), the per-match series the charts draw,
    and the scoreboards of the matches the page details."""

    summary: dict[str, Any]
    series: dict[str, Any] = field(default_factory=dict)
    scoreboards: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return self.summary["matches"] == 0

    def link(self, match_id: str | None) -> str:
        """The page anchor of a match's scoreboard, or "" when the page does not have it."""
        if match_id is None or match_id not in self.scoreboards:
            return ""
        return f"#match-{match_id}"

    def run_link(self, run: dict[str, Any]) -> str:
        """The link of a chart's run of matches: its scoreboard when it is one match."""
        return self.link(run["match_id"]) if run["n"] == 1 else ""


def build_report(
    frames: ReportFrames, scope: Scope, *, player: dict[str, Any] | None = None
) -> Report:
    """Every figure of the dashboard for the matches in scope; `player` ({"gamertag",
    "xuid"}) is echoed in the summary."""
    every = prepare_matches(frames)
    matches = apply_scope(every, scope)
    ctx = Context(frames=frames, scope=scope, matches=matches, owner=frames.owner_xuid)
    sections = {section.key: section.compute(ctx) for section in SECTIONS}
    acc = sections["accuracy"]
    sections["overview"]["accuracy"] = pvp_accuracy(acc["by_kind"])
    head = sections["overview"]
    starts = matches["start_time"].drop_nulls()
    summary: dict[str, Any] = {
        "player": {**(player or {}), "xuid": (player or {}).get("xuid") or frames.owner_xuid},
        "scope": {
            **scope.describe(),
            "first_match": iso(starts.min()) if len(starts) else None,  # type: ignore[arg-type]
            "last_match": iso(starts.max()) if len(starts) else None,  # type: ignore[arg-type]
        },
        "matches": matches.height,
        # The headline figures (wins to kd_ratio) are PvP's: `pvp_matches` of `matches`.
        "pvp_matches": head["pvp_matches"],
        "wins": head["wins"],
        "losses": head["losses"],
        "ties": head["ties"],
        "win_rate": head["win_rate"],
        "kills": head["kills"],
        "deaths": head["deaths"],
        "assists": head["assists"],
        "kd_ratio": head["kd_ratio"],
        "overall_accuracy": acc["overall_accuracy"],
        "medals": sections["medal_stats"]["earned"],
        "csr": head["csr"],
        **{key: value for key, value in acc.items() if key != "overall_accuracy"},
        **sections,
        "stored_matches": every.height,
        "modes_present": modes_present(every),
        "tables": dict(frames.state),
        "missing_columns": list(frames.missing),
    }
    ctx.series["matches"] = matches
    return Report(summary=summary, series=ctx.series)


def pvp_accuracy(kinds: list[dict[str, Any]]) -> float | None:
    """The headline's accuracy: hits / fired over the PvP kinds' matches with shots."""
    pvp = [row for row in kinds if row["kind"] in PVP_KINDS]
    return percent(sum(r["shots_hit"] for r in pvp), sum(r["shots_fired"] for r in pvp))


def attach_scoreboards(report: Report, frames: ReportFrames, boards: ScoreboardFrames) -> None:
    """Give the report the scoreboards of `scoreboard_ids` (read by `load_scoreboards`)."""
    report.scoreboards = build_scoreboards(
        frames, boards, report.series["matches"], scoreboard_ids(report)
    )


def scoreboard_ids(report: Report) -> list[str]:
    """The matches the page gives a full scoreboard: recent ones, best and worst."""
    s = report.summary
    ids = [row["match_id"] for row in s["recent_matches"]["matches"]]
    ids += [row["match_id"] for row in s["accuracy"]["best"] + s["accuracy"]["worst"]]
    ids += [row["match_id"] for row in s["expectation"].get("best", [])]
    ids += [row["match_id"] for row in s["expectation"].get("worst", [])]
    return list(dict.fromkeys(ids))
