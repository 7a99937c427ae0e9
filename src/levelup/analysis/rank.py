"""The rank section: CSR over time per ranked playlist, CSR gained and lost, and the
player's team MMR against the other team's.

From `match_skill` (the skill service's answer per match). A match is ranked
when it has a CSR before or after it, or placement matches remaining; a
placement match is one played without a CSR before it (the API's -1, stored
as NULL). CSR changes are the stored `csr_change`, else post - pre.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import polars as pl

from levelup.analysis import svg
from levelup.analysis.figures import FIRST_OF_RUN, RECORD_OF_RUN, percent, ratio, runs
from levelup.analysis.formatting import TIERS, fmt_pct1, tier_label
from levelup.analysis.scope import match_title
from levelup.analysis.section import Context, Section, availability
from levelup.analysis.tablespec import RECORD_COLUMNS, Column, TableSpec, View, note, table

if TYPE_CHECKING:
    from levelup.analysis.report import Report

MAX_POINTS = 500
MAX_BARS = 240
MMR_CLASSES = {"win": "mmr win", "loss": "mmr loss"}
CSR_CHARTS = 3  # playlists drawn, most played first


def _valid(column: str) -> pl.Expr:
    """The API writes -1 for "no CSR": never a value."""
    return pl.when(pl.col(column) >= 0).then(pl.col(column))


def owner_skill(ctx: Context) -> pl.DataFrame:
    """The owner's skill row per match in scope, with the match's labels and result."""
    skill = ctx.frames.skill.filter(pl.col("xuid") == (ctx.owner or ""))
    return (
        ctx.matches.select(
            "match_id",
            "start_time",
            "playlist_id",
            "playlist_label",
            "mode",
            "map_label",
            "result",
            "kills",
            "deaths",
            "has_kd",
            my_team=pl.col("team_id"),
        )
        .join(skill.drop("xuid"), on="match_id", how="inner")
        .with_columns(pre_csr=_valid("pre_csr"), post_csr=_valid("post_csr"))
        .sort("start_time")
    )


def _ranked(rows: pl.DataFrame) -> pl.DataFrame:
    ranked = rows.filter(
        pl.col("pre_csr").is_not_null()
        | pl.col("post_csr").is_not_null()
        | (pl.col("matches_remaining").fill_null(0) > 0)
    )
    return ranked.with_columns(
        placement=pl.col("pre_csr").is_null(),
        change=pl.coalesce(pl.col("csr_change"), pl.col("post_csr") - pl.col("pre_csr")),
    )


def _playlist_rows(ranked: pl.DataFrame) -> list[dict[str, Any]]:
    rows = []
    order = (
        ranked.group_by("playlist_id")
        .agg(n=pl.len(), name=pl.col("playlist_label").first())
        .sort(["n", "name"], descending=[True, False])
    )
    for playlist_id, n, name in order.iter_rows():
        subset = ranked.filter(pl.col("playlist_id").eq_missing(playlist_id))
        post = subset.filter(pl.col("post_csr").is_not_null())
        changes = subset.filter(pl.col("change").is_not_null() & ~pl.col("placement"))
        wins = changes.filter(pl.col("result") == "win")["change"]
        losses = changes.filter(pl.col("result") == "loss")["change"]
        last = post.tail(1).to_dicts()
        # No change outside placement: nothing gained or lost yet (not "+0").
        gained = (
            int(changes.filter(pl.col("change") > 0)["change"].sum() or 0)
            if changes.height
            else None
        )
        lost = (
            int(changes.filter(pl.col("change") < 0)["change"].sum() or 0)
            if changes.height
            else None
        )
        rows.append(
            {
                "playlist_id": playlist_id,
                "playlist": name,
                "matches": n,
                "placement_matches": int(subset["placement"].sum()),
                "wins": int((subset["result"] == "win").sum()),
                "losses": int((subset["result"] == "loss").sum()),
                "first_csr": post["post_csr"][0] if post.height else None,
                "last_csr": last[0]["post_csr"] if last else None,
                "last_tier": tier_label(
                    last[0]["post_tier"], last[0]["post_sub_tier"], last[0]["post_csr"]
                )
                if last
                else "",
                "peak_csr": post["post_csr"].max() if post.height else None,
                "low_csr": post["post_csr"].min() if post.height else None,
                "gained": gained,
                "lost": lost,
                "net": gained + lost if gained is not None and lost is not None else None,
                "mean_win_change": ratio(float(wins.sum() or 0), wins.len()),
                "mean_loss_change": ratio(float(losses.sum() or 0), losses.len()),
            }
        )
    return rows


def mmr(ctx: Context, rows: pl.DataFrame) -> dict[str, Any]:
    """The owner's team MMR against the other teams' (their mean) per match, and the record."""
    missing = availability(ctx.frames, "match_team_skill")
    if missing:
        return {"available": False, "note": missing}
    others = (
        ctx.frames.team_skill.join(rows.select("match_id", "my_team"), on="match_id")
        .filter(pl.col("team_id") != pl.col("my_team"))
        .group_by("match_id")
        .agg(lobby_mmr=pl.col("mmr").mean())
    )
    both = rows.join(others, on="match_id").filter(
        pl.col("team_mmr").is_not_null() & pl.col("lobby_mmr").is_not_null()
    )
    if both.is_empty():
        return {"available": False, "note": "no match in scope with both teams' MMR"}
    both = both.with_columns(diff=pl.col("team_mmr") - pl.col("lobby_mmr")).sort("start_time")

    def record(frame: pl.DataFrame) -> dict[str, Any]:
        wins = int((frame["result"] == "win").sum())
        losses = int((frame["result"] == "loss").sum())
        return {
            "matches": frame.height,
            "wins": wins,
            "losses": losses,
            "win_rate": percent(wins, wins + losses),
        }

    ctx.series["mmr"] = both
    return {
        "available": True,
        "note": None,
        "matches": both.height,
        "team_mmr": float(both["team_mmr"].mean()),  # type: ignore[arg-type]
        "lobby_mmr": float(both["lobby_mmr"].mean()),  # type: ignore[arg-type]
        "mean_difference": float(both["diff"].mean()),  # type: ignore[arg-type]
        "favoured": record(both.filter(pl.col("diff") > 0)),
        "underdog": record(both.filter(pl.col("diff") < 0)),
    }


def compute(ctx: Context) -> dict[str, Any]:
    missing = availability(ctx.frames, "match_skill")
    if missing:
        return {"available": False, "note": missing, "playlists": [], "mmr": {"available": False}}
    rows = owner_skill(ctx)
    ranked = _ranked(rows)
    ctx.series["ranked"] = ranked
    if ranked.is_empty():
        text = (
            "no ranked match in scope"
            if not rows.is_empty()
            else "not yet backfilled: no match in scope has your match_skill row"
        )
        return {"available": False, "note": text, "playlists": [], "mmr": mmr(ctx, rows)}
    return {
        "available": True,
        "note": None,
        "ranked_matches": ranked.height,
        "skill_matches": rows.height,
        "playlists": _playlist_rows(ranked),
        "mmr": mmr(ctx, rows),
    }


PLAYLIST_TABLE = TableSpec(
    "rank-playlists",
    "CSR per ranked playlist (in scope)",
    (
        Column("playlist", "Playlist"),
        Column("matches", "Matches", "int"),
        Column("placement_matches", "Placement", "int"),
        Column("last_csr", "Last CSR", "int"),
        Column("last_tier", "Tier"),
        Column("peak_csr", "Peak", "int"),
        Column("gained", "Gained", "signed"),
        Column("lost", "Lost", "signed"),
        Column("net", "Net", "signed"),
        Column("mean_win_change", "Per win", "signed1"),
        Column("mean_loss_change", "Per loss", "signed1"),
    ),
)
MMR_TABLE = TableSpec(
    "rank-mmr",
    "Your team's MMR against the other team's",
    (
        Column("label", "Matches where your team was"),
        Column("matches", "Matches", "int"),
        *RECORD_COLUMNS,
    ),
    terminal_rows=None,
)


def views(figures: dict[str, Any], summary: dict[str, Any]) -> list[View]:
    result: list[View] = []
    if figures["available"]:
        result.append(table(PLAYLIST_TABLE, figures["playlists"]))
    else:
        result.append(note("Rank: " + figures["note"]))
    m = figures["mmr"]
    if m.get("available"):
        result.append(
            table(
                MMR_TABLE,
                [
                    {"label": "favoured (higher MMR)", **m["favoured"]},
                    {"label": "the underdog (lower MMR)", **m["underdog"]},
                ],
                f"Over {m['matches']:,} matches: your team's MMR {m['team_mmr']:,.0f} on "
                f"average, the other team's {m['lobby_mmr']:,.0f} "
                f"({m['mean_difference']:+,.0f}).",
            )
        )
    elif m.get("note"):
        result.append(note("Team MMR: " + m["note"]))
    return result


# --- charts ---------------------------------------------------------------------------------


def _tier_bands(frame: svg.Frame) -> list[svg.Shape]:
    """The tiers' CSR ranges behind a CSR chart, each named when there is room."""
    shapes = []
    for tier, start in TIERS:
        end = next((s for t, s in TIERS if s > start), math.inf)
        top, bottom = max(start, frame.low), min(end, frame.high)
        if bottom <= top:
            continue
        y1, y2 = frame.y(bottom), frame.y(top)
        tip = f"{tier}: {start}+" if end == math.inf else f"{tier}: {start}-{end - 1}"
        shapes.append(
            svg.Shape(
                "rect", f"band band-{tier.lower()}", frame.left, y1, frame.plot_w, y2 - y1, tip=tip
            )
        )
        if y2 - y1 >= 16:  # a band too thin for its name is named by its tooltip only
            x = frame.width - frame.right - 4
            shapes.append(svg.Shape("text", "bandlabel", x, y1 + 14, text=tier, anchor="end"))
    return shapes


def _csr_chart(report: Report, index: int, playlist: dict[str, Any]) -> svg.Chart:
    """Post-match CSR per match in one playlist, tier bands behind, placements marked."""
    ranked = report.series["ranked"].filter(
        pl.col("playlist_id").eq_missing(playlist["playlist_id"])
    )
    chart_id = f"chart-csr-{index}"
    title = f"CSR over time: {playlist['playlist']}"
    points = ranked.filter(pl.col("post_csr").is_not_null())
    if points.is_empty():
        return svg.empty_chart(chart_id, title, "Placement matches only: no CSR yet")
    # A run of matches is drawn at the CSR it ended on (a mean CSR was never anyone's rank).
    grouped, size = runs(points, MAX_POINTS, pl.all().last(), placements=pl.col("placement").sum())
    csr = grouped["post_csr"].to_list()
    frame = svg.Frame(svg.WIDTH, 300, *svg.nice_range(csr, floor=0))
    shapes = [*_tier_bands(frame), *frame.y_grid(svg.fmt_axis_num), *frame.line(csr, "csr")]
    for i, run in enumerate(grouped.iter_rows(named=True)):
        change = run["change"]
        tip = (
            f"{match_title(run)}: CSR {run['post_csr']:,}"
            + (f" ({change:+d})" if change is not None and not run["placement"] else "")
            + (", placement match" if run["placement"] else "")
            + (f" (last of a run of {run['n']} matches)" if run["n"] > 1 else "")
        )
        cls = "csrpt placement" if run["placements"] else "csrpt"
        shapes.append(frame.square(i, len(csr), run["post_csr"], cls, tip, report.run_link(run), 6))
    shapes += frame.dates(grouped["start_time"].to_list())
    legend = [
        svg.Legend(
            "var(--you)",
            "CSR after the match" if size == 1 else f"CSR after each run of {size} matches",
        ),
        svg.Legend("var(--warn)", "placement match (no CSR before it)"),
        svg.Legend("var(--grid)", "tier bands"),
    ]
    return svg.Chart(chart_id, title, frame.height, shapes, legend=legend)


def _change_chart(report: Report) -> svg.Chart:
    """CSR gained (up) and lost (down) per ranked match, placements left out."""
    title = "CSR gained and lost per match"
    ranked = report.series["ranked"].filter(pl.col("change").is_not_null() & ~pl.col("placement"))
    if ranked.is_empty():
        return svg.empty_chart("chart-csr-change", title, "No CSR change outside placement")
    grouped, size = runs(
        ranked,
        MAX_BARS,
        *FIRST_OF_RUN,
        change=pl.col("change").sum(),
        playlist=pl.col("playlist_label").first(),
        **RECORD_OF_RUN,
    )
    frame = svg.Frame(svg.WIDTH, 240, *svg.nice_range([*grouped["change"], 0]))
    shapes = frame.y_grid(lambda v: f"{v:+,.0f}" if v else "0")
    for i, run in enumerate(grouped.iter_rows(named=True)):
        if run["n"] == 1:
            tip = f"{match_title(run)} ({run['playlist']}): {run['change']:+d} CSR"
        else:
            tip = (
                f"{run['n']} matches from {run['start_time']:%Y-%m-%d}: {run['change']:+d} CSR, "
                f"{run['wins']} W / {run['losses']} L"
            )
        cls = "gain" if run["change"] >= 0 else "loss"
        shapes.append(frame.bar(i, grouped.height, run["change"], cls, tip, report.run_link(run)))
    shapes += frame.dates(grouped["start_time"].to_list(), bars=True)
    legend = [svg.Legend("var(--team)", "CSR gained"), svg.Legend("var(--opp)", "CSR lost")]
    if size > 1:
        legend.append(svg.Legend("var(--muted)", f"each bar sums {size} consecutive matches"))
    return svg.Chart("chart-csr-change", title, frame.height, shapes, legend=legend)


def _mmr_chart(report: Report) -> svg.Chart:
    """Team MMR minus the other team's per match: above the line, your team was favoured."""
    title = "Your team's MMR minus the other team's, per match"
    both = report.series.get("mmr")
    if both is None or both.is_empty():
        return svg.empty_chart("chart-mmr", title, "No match with both teams' MMR")
    grouped, _ = runs(
        both,
        MAX_POINTS,
        *FIRST_OF_RUN,
        pl.col("result").first(),
        diff=pl.col("diff").mean(),
        **RECORD_OF_RUN,
    )
    frame = svg.Frame(svg.WIDTH, 240, *svg.nice_range([*grouped["diff"], 0]))
    shapes = frame.y_grid(lambda v: f"{v:+,.0f}" if v else "0")
    for i, run in enumerate(grouped.iter_rows(named=True)):
        if run["n"] == 1:
            result = run["result"]
            tip = f"{match_title(run)}: {run['diff']:+,.0f} MMR, {result or 'unknown result'}"
            cls = MMR_CLASSES.get(result, "mmr")
        else:
            tip = (
                f"{run['n']} matches from {run['start_time']:%Y-%m-%d}: mean "
                f"{run['diff']:+,.0f} MMR, {run['wins']} W / {run['losses']} L"
            )
            cls = MMR_CLASSES["win" if run["wins"] >= run["losses"] else "loss"]
        shapes.append(frame.square(i, grouped.height, run["diff"], cls, tip, report.run_link(run)))
    shapes += frame.dates(grouped["start_time"].to_list())
    m = report.summary["rank"]["mmr"]
    legend = [
        svg.Legend("var(--team)", "won"),
        svg.Legend("var(--opp)", "lost"),
        svg.Legend(
            "var(--muted)",
            f"win rate favoured {fmt_pct1(m['favoured']['win_rate'])}, "
            f"as the underdog {fmt_pct1(m['underdog']['win_rate'])}",
        ),
    ]
    return svg.Chart("chart-mmr", title, frame.height, shapes, legend=legend)


def charts(report: Report) -> list[svg.Chart]:
    figures = report.summary["rank"]
    if not figures["available"]:
        result = [svg.empty_chart("chart-csr-0", "CSR over time", "Rank: " + figures["note"])]
    else:
        result = [
            _csr_chart(report, index, playlist)
            for index, playlist in enumerate(figures["playlists"][:CSR_CHARTS])
        ]
        result.append(_change_chart(report))
    if figures["mmr"].get("available"):
        result.append(_mmr_chart(report))
    return result


SECTION = Section("rank", "Rank", compute, views, charts)
