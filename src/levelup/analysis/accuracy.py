"""The accuracy section: overall, per kind, mode, map and playlist, trend, best and worst
matches, the owner against the lobby, and the players met most.

Rules the figures follow, because averages of percentages lie:
- an accuracy is always sum(shots hit) / sum(shots fired) x 100 over the rows
  concerned, never a mean of per-match percentages;
- nothing fired gives accuracy None ("n/a"), never 0% and never a division error;
- a match whose shots are unknown (NULL) is counted apart, as "not yet
  backfilled", or "not provided by the API" when the backfill recorded that
  the JSON held no valid value, and it takes no part in any accuracy;
- matchmade PvP, matchmade games against bots, PvE (Firefight) and custom games
  are different sports: every breakdown keeps them apart (the `kind` column).

Team roles in the lobby comparison: a participant is a teammate when the match
has teams and their stored team (the API's `LastTeamId`, so a player who
switched teams counts on the team they finished on) is the owner's; an
opponent when it is another team; in matches without teams (Free-for-all,
Infection, where `teams_enabled` is false) everyone else is only "lobby".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import polars as pl

from levelup.analysis import svg
from levelup.analysis.figures import FIRST_OF_RUN, percent, runs
from levelup.analysis.formatting import NULL_LABELS, fmt_pct
from levelup.analysis.scope import KIND_ORDER, KINDS, accuracy_expr, iso
from levelup.analysis.section import Context, Section
from levelup.analysis.tablespec import (
    MATCH_COLUMNS,
    SHOT_COLUMNS,
    Column,
    TableSpec,
    View,
    key_values,
    note,
    table,
)

if TYPE_CHECKING:
    from levelup.analysis.report import Report

ROLLING_WINDOW = 10
TREND_WINDOWS = (10, 50)
TOP_MATCHES = 5
TOP_PLAYERS = 10
MAX_POINTS = 1000
MAX_BARS = 240
MAX_BAR_ROWS = 15


# --- figures --------------------------------------------------------------------------------


def shot_totals(frame: pl.DataFrame) -> dict[str, Any]:
    """Sum-based totals of rows whose shots are known (`has_shots`)."""
    known = frame.filter(pl.col("has_shots"))
    fired = int(known["shots_fired"].sum() or 0)
    hit = int(known["shots_hit"].sum() or 0)
    return {
        "matches": known.height,
        "shots_fired": fired,
        "shots_hit": hit,
        "accuracy": percent(hit, fired),
    }


def breakdown(matches: pl.DataFrame, key: str, label: str) -> list[dict[str, Any]]:
    """Sum-based accuracy per (kind, key), kinds apart, most played first."""
    if matches.is_empty():
        return []
    grouped = (
        matches.group_by(["kind", key], maintain_order=True)
        .agg(
            name=pl.col(label).first(),
            matches=pl.len(),
            shots_unknown=(~pl.col("has_shots")).sum(),
            zero_shot_matches=(pl.col("shots_fired") == 0).sum(),
            shots_fired=pl.col("shots_fired").sum(),
            shots_hit=pl.col("shots_hit").sum(),
        )
        .with_columns(
            accuracy=accuracy_expr(),
            kind_order=pl.col("kind").replace_strict(KIND_ORDER, return_dtype=pl.Int32),
        )
        .sort(["kind_order", "matches", "name"], descending=[False, True, False])
    )
    return [
        {
            "kind": row["kind"],
            "kind_label": KINDS[row["kind"]],
            "id": row[key],
            "name": row["name"],
            "matches": row["matches"],
            "matches_with_shots": row["matches"] - row["shots_unknown"],
            "shots_unknown": row["shots_unknown"],
            "zero_shot_matches": row["zero_shot_matches"],
            "shots_fired": int(row["shots_fired"] or 0),
            "shots_hit": int(row["shots_hit"] or 0),
            "accuracy": row["accuracy"],
        }
        for row in grouped.iter_rows(named=True)
    ]


def trend(
    matches: pl.DataFrame, windows: Sequence[int] = TREND_WINDOWS, *, filtered: bool = False
) -> dict[str, Any]:
    """The newest N matches with known shots (so a stretch not yet backfilled does not
    empty a window) against the whole scope, `delta` in percentage points. A window
    is `full` only when the scope has N such matches."""
    known = matches.filter(pl.col("has_shots"))
    career = shot_totals(known)
    career["label"] = (
        f"All {known.height:,} matches in scope" if filtered else "Career (every stored match)"
    )
    result: dict[str, Any] = {}
    for window in windows:
        figures = shot_totals(known.tail(window))
        figures["window"] = window
        figures["full"] = known.height >= window
        figures["label"] = f"Last {window}"
        figures["delta"] = (
            figures["accuracy"] - career["accuracy"]
            if figures["accuracy"] is not None and career["accuracy"] is not None
            else None
        )
        result[f"last_{window}"] = figures
    result["career"] = career
    return result


def match_row(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "match_id": row["match_id"],
        "start_time": iso(row["start_time"]),
        "kind": row["kind"],
        "mode": row["mode"],
        "map": row["map_label"],
        "playlist": row["playlist_label"],
        "shots_fired": row["shots_fired"],
        "shots_hit": row["shots_hit"],
        "shots": f"{row['shots_hit']:,} / {row['shots_fired']:,}",
        "accuracy": row["accuracy"],
    }


def best_and_worst(
    matches: pl.DataFrame, min_shots: int, count: int = TOP_MATCHES
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Highest and lowest accuracy among matches with at least `min_shots` fired (a
    1-for-1 match must not top the list); ties go to the newer match."""
    eligible = matches.filter(
        pl.col("has_shots") & (pl.col("shots_fired") >= max(min_shots, 1))
    ).with_columns(ts=pl.col("start_time").fill_null(dt.datetime.min))
    best = eligible.sort(["accuracy", "ts"], descending=[True, True]).head(count)
    worst = eligible.sort(["accuracy", "ts"], descending=[False, True]).head(count)
    return (
        [match_row(row) for row in best.iter_rows(named=True)],
        [match_row(row) for row in worst.iter_rows(named=True)],
    )


def role_frame(
    matches: pl.DataFrame, participants: pl.DataFrame, owner: str | None
) -> pl.DataFrame:
    """Other players' rows in the given matches, with role teammate / opponent / lobby,
    and the owner's side of the match: the one join every comparison with the others
    needs. `teams_enabled` NULL (an old database) reads as teams when both team ids
    are known: FFA matches are the ones the API marks explicitly."""
    owner_rows = matches.select(
        "match_id",
        "kind",
        "result",
        "start_time",
        owner_team=pl.col("team_id"),
        teams=pl.col("teams_enabled"),
        owner_has_shots=pl.col("has_shots"),
        my_kills=pl.col("kills"),
        my_deaths=pl.col("deaths"),
    )
    others = participants.join(owner_rows, on="match_id", how="inner")
    if owner is not None:
        others = others.filter(pl.col("xuid") != owner)
    team_mode = (
        pl.col("teams").fill_null(True)
        & pl.col("owner_team").is_not_null()
        & pl.col("team_id").is_not_null()
    )
    return others.with_columns(
        role=pl.when(team_mode & (pl.col("team_id") == pl.col("owner_team")))
        .then(pl.lit("teammate"))
        .when(team_mode)
        .then(pl.lit("opponent"))
        .otherwise(pl.lit("lobby")),
        has_shots=pl.col("shots_fired").is_not_null() & pl.col("shots_hit").is_not_null(),
    )


_NO_ONE = {"rows": 0, "players": 0, "bots": 0, "shots_unknown": 0, "shots_fired": 0,
           "shots_hit": 0, "accuracy": None}  # fmt: skip


def _group_figures(roles: pl.DataFrame, keys: list[str]) -> dict[tuple, dict[str, Any]]:
    """Sum-based figures of the other players per group (one group_by, not a filter each)."""
    if roles.is_empty():
        return {}
    known = pl.col("has_shots")
    grouped = roles.group_by(keys).agg(
        rows=pl.len(),
        players=pl.col("xuid").n_unique(),
        bots=pl.col("xuid").filter(pl.col("is_bot").fill_null(False)).n_unique(),
        shots_unknown=(~known).sum(),
        shots_fired=pl.col("shots_fired").filter(known).sum(),
        shots_hit=pl.col("shots_hit").filter(known).sum(),
    )
    result = {}
    for row in grouped.iter_rows(named=True):
        fired, hit = int(row["shots_fired"] or 0), int(row["shots_hit"] or 0)
        result[tuple(row[k] for k in keys)] = {
            "rows": row["rows"],
            "players": row["players"],
            "bots": row["bots"],
            "shots_unknown": row["shots_unknown"],
            "shots_fired": fired,
            "shots_hit": hit,
            "accuracy": percent(hit, fired),
        }
    return result


def lobby(matches: pl.DataFrame, roles: pl.DataFrame) -> dict[str, Any]:
    """The owner against teammates, opponents and the whole lobby, summed over the matches
    where the owner's shots are known. Bots are players of the lobby (what a custom
    game is played against); the per-kind split keeps bot games apart."""
    known = matches.filter(pl.col("has_shots"))
    roles = roles.filter(pl.col("owner_has_shots"))
    by_role = _group_figures(roles, ["role"])
    by_kind_role = _group_figures(roles, ["kind", "role"])
    whole = _group_figures(roles.with_columns(all=pl.lit(True)), ["all"])
    by_kind_whole = _group_figures(roles, ["kind"])

    def groups(player: dict[str, Any], role_of: Any, lobby_figures: dict | None) -> dict:
        return {
            "player": {
                key: player[key] for key in ("matches", "shots_fired", "shots_hit", "accuracy")
            },
            "teammates": role_of("teammate") or dict(_NO_ONE),
            "opponents": role_of("opponent") or dict(_NO_ONE),
            "lobby": lobby_figures or dict(_NO_ONE),
        }

    result = groups(shot_totals(known), lambda r: by_role.get((r,)), whole.get((True,)))
    by_kind = []
    for kind in KINDS:
        kind_matches = known.filter(pl.col("kind") == kind)
        if kind_matches.is_empty():
            continue
        figures = groups(
            shot_totals(kind_matches),
            lambda r, k=kind: by_kind_role.get((k, r)),
            by_kind_whole.get((kind,)),
        )
        by_kind.append({"kind": kind, "kind_label": KINDS[kind], **figures})
    result["by_kind"] = by_kind
    return result


def frequent_players(
    matches: pl.DataFrame,
    roles: pl.DataFrame,
    names: pl.DataFrame,
    count: int = TOP_PLAYERS,
) -> list[dict[str, Any]]:
    """The humans met most often in the scope, with their accuracy where their shots are
    known; the gamertag is the name cache's (current), else the newest seen in a match."""
    roles = roles.filter(~pl.col("is_bot").fill_null(False))
    if roles.is_empty():
        return []
    known = pl.col("has_shots")
    grouped = (
        roles.group_by("xuid")
        .agg(
            matches=pl.col("match_id").n_unique(),
            as_teammate=(pl.col("role") == "teammate").sum(),
            as_opponent=(pl.col("role") == "opponent").sum(),
            shots_fired=pl.col("shots_fired").filter(known).sum(),
            shots_hit=pl.col("shots_hit").filter(known).sum(),
        )
        .sort(["matches", "xuid"], descending=[True, False])
        .head(count)
    )
    # The newest gamertag seen in a match, for the few players shown only.
    seen = (
        roles.select("xuid", "gamertag", "start_time")
        .join(grouped.select("xuid"), on="xuid", how="semi")
        .filter(pl.col("gamertag").is_not_null())
        .sort("start_time", nulls_last=False)
        .group_by("xuid")
        .agg(seen_gamertag=pl.col("gamertag").last())
    )
    grouped = (
        grouped.join(seen, on="xuid", how="left")
        .join(names.unique(subset="xuid", keep="first"), on="xuid", how="left")
        .with_columns(accuracy=accuracy_expr())
    )
    return [
        {
            "xuid": row["xuid"],
            "gamertag": row["gamertag"] or row["seen_gamertag"],
            "name": row["gamertag"] or row["seen_gamertag"] or row["xuid"],
            "matches": row["matches"],
            "as_teammate": row["as_teammate"],
            "as_opponent": row["as_opponent"],
            "shots_fired": int(row["shots_fired"] or 0),
            "shots_hit": int(row["shots_hit"] or 0),
            "accuracy": row["accuracy"],
        }
        for row in grouped.iter_rows(named=True)
    ]


def with_rolling(matches: pl.DataFrame, window: int = ROLLING_WINDOW) -> pl.DataFrame:
    """Matches with known shots, oldest first, with the sum-based rolling accuracy over
    each match and the `window - 1` before it."""
    known = matches.filter(pl.col("has_shots"))
    return known.with_columns(
        rolling_fired=pl.col("shots_fired").rolling_sum(window, min_samples=1),
        rolling_hit=pl.col("shots_hit").rolling_sum(window, min_samples=1),
    ).with_columns(rolling_accuracy=accuracy_expr("rolling_hit", "rolling_fired"))


def _kind_rows(matches: pl.DataFrame) -> list[dict[str, Any]]:
    rows = []
    for kind, label in KINDS.items():
        subset = matches.filter(pl.col("kind") == kind)
        if subset.is_empty():
            continue
        totals = shot_totals(subset)
        rows.append(
            {
                "kind": kind,
                "kind_label": label,
                "matches": subset.height,
                "matches_with_shots": totals["matches"],
                "shots_unknown": subset.height - totals["matches"],
                "shots_fired": totals["shots_fired"],
                "shots_hit": totals["shots_hit"],
                "accuracy": totals["accuracy"],
            }
        )
    return rows


def compute(ctx: Context) -> dict[str, Any]:
    """Every accuracy figure of the scope (the keys `--json` has always had)."""
    matches = ctx.matches
    totals = shot_totals(matches)
    best, worst = best_and_worst(matches, ctx.scope.min_shots)
    null_counts = matches.filter(~pl.col("has_shots"))["null_reason"].value_counts()
    null_shots = {"not_backfilled": 0, "not_provided": 0}
    for reason, n in null_counts.iter_rows():
        null_shots[reason] = int(n)
    ctx.series["accuracy"] = with_rolling(matches)
    return {
        "matches_with_shots": totals["matches"],
        "zero_shot_matches": matches.filter(pl.col("shots_fired") == 0).height,
        "shots_fired": totals["shots_fired"],
        "shots_hit": totals["shots_hit"],
        "overall_accuracy": totals["accuracy"],
        "null_shots": null_shots,
        "by_kind": _kind_rows(matches),
        "by_mode": breakdown(matches, "game_variant_category", "mode"),
        "by_map": breakdown(matches, "map_id", "map_label"),
        "by_playlist": breakdown(matches, "playlist_id", "playlist_label"),
        "trend": trend(matches, filtered=ctx.scope.filtered),
        "best": best,
        "worst": worst,
        "lobby": lobby(matches, ctx.roles()),
        "frequent_players": frequent_players(matches, ctx.roles(), ctx.frames.names),
    }


# --- tables ---------------------------------------------------------------------------------

KIND_TABLE = TableSpec(
    "accuracy-kinds",
    "By kind of match",
    (
        Column("kind_label", "Kind"),
        Column("matches", "Matches", "int"),
        Column("shots_unknown", "Shots unknown", "int"),
        *SHOT_COLUMNS,
    ),
)


def _breakdown_spec(table_id: str, title: str, what: str) -> TableSpec:
    columns = KIND_TABLE.columns
    return TableSpec(table_id, title, (columns[0], Column("name", what), *columns[1:]))


MODE_TABLE = _breakdown_spec("accuracy-modes", "By game mode", "Mode")
MAP_TABLE = _breakdown_spec("accuracy-maps", "By map", "Map")
PLAYLIST_TABLE = _breakdown_spec("accuracy-playlists", "By playlist", "Playlist")
TREND_TABLE = TableSpec(
    "accuracy-trend",
    "Trend (newest matches with known shots)",
    (
        Column("label", "Window"),
        Column("matches", "Matches", "int"),
        *SHOT_COLUMNS,
        Column("delta", "vs whole scope", "delta"),
    ),
)


def _matches_spec(table_id: str, title: str) -> TableSpec:
    shots = (Column("shots", "Hit / fired", align="right"), Column("accuracy", "Acc.", "pct"))
    return TableSpec(table_id, title, (*MATCH_COLUMNS, *shots))


LOBBY_TABLE = TableSpec(
    "accuracy-lobby",
    "You against the lobby (same matches)",
    (Column("who", "Who"), Column("players", "Players", "int"), *SHOT_COLUMNS),
    terminal_rows=None,
)
PLAYERS_TABLE = TableSpec(
    "accuracy-players",
    "Players seen most often (humans)",
    (
        Column("name", "Gamertag"),
        Column("matches", "Matches", "int"),
        Column("as_teammate", "With", "int"),
        Column("as_opponent", "Against", "int"),
        *SHOT_COLUMNS,
    ),
)


def _lobby_rows(lobby_figures: dict[str, Any]) -> list[dict[str, Any]]:
    def group_rows(prefix: str, groups: dict[str, Any]) -> list[dict[str, Any]]:
        rows = [{"who": f"{prefix}You", "players": 1, **groups["player"]}]
        for key, label in (
            ("teammates", "Teammates"),
            ("opponents", "Opponents"),
            ("lobby", "Whole lobby"),
        ):
            rows.append({"who": f"{prefix}{label}", **groups[key]})
        return rows

    rows = group_rows("", lobby_figures)
    if len(lobby_figures["by_kind"]) > 1:
        for kind in lobby_figures["by_kind"]:
            rows += group_rows(f"{kind['kind_label']}: ", kind)
    return rows


def _overall(figures: dict[str, Any], summary: dict[str, Any]) -> View:
    nulls = figures["null_shots"]
    return key_values(
        "accuracy-overall",
        "Accuracy (shots hit / shots fired)",
        [
            ("Matches", summary["matches"], "int"),
            ("  with known shots", figures["matches_with_shots"], "int"),
            ("  of which fired nothing", figures["zero_shot_matches"], "int"),
            (f"  shots {NULL_LABELS['not_backfilled']}", nulls["not_backfilled"], "int"),
            (f"  shots {NULL_LABELS['not_provided']}", nulls["not_provided"], "int"),
            ("Shots fired", figures["shots_fired"], "int"),
            ("Shots hit", figures["shots_hit"], "int"),
            ("Accuracy (hits / fired)", figures["overall_accuracy"], "pct"),
        ],
    )


def _trend_views(trend_figures: dict[str, Any]) -> list[View]:
    """The full windows and the whole scope; a note when no window is full yet."""
    windows = [w for k, w in trend_figures.items() if k != "career" and w["full"]]
    result = [table(TREND_TABLE, [*windows, {**trend_figures["career"], "delta": None}])]
    if not windows:
        result.append(
            note(
                f"Fewer than {min(TREND_WINDOWS)} matches with known shots in scope: no trend "
                "window yet (the row above is the whole scope)."
            )
        )
    return result


def views(figures: dict[str, Any], summary: dict[str, Any]) -> list[View]:
    nulls = figures["null_shots"]
    result = [_overall(figures, summary)]
    if len(figures["by_kind"]) > 1:
        result.append(table(KIND_TABLE, figures["by_kind"]))
    result += _trend_views(figures["trend"])
    result.append(table(MODE_TABLE, figures["by_mode"]))
    result.append(table(MAP_TABLE, figures["by_map"]))
    result.append(table(PLAYLIST_TABLE, figures["by_playlist"]))
    min_shots = summary["scope"]["min_shots"]
    if figures["best"]:
        for key, label in (("best", "Best"), ("worst", "Worst")):
            title = f"{label} matches (at least {min_shots} shots)"
            result.append(table(_matches_spec(f"accuracy-{key}", title), figures[key]))
    else:
        result.append(note(f"No match with at least {min_shots} shots fired for best / worst."))
    result.append(
        table(
            LOBBY_TABLE,
            _lobby_rows(figures["lobby"]),
            "Over the matches where your shots are known. In matches without teams (FFA, "
            "Infection) others count in the lobby only; bots are part of the lobby.",
        )
    )
    if figures["frequent_players"]:
        result.append(table(PLAYERS_TABLE, figures["frequent_players"]))
    if nulls["not_backfilled"] or nulls["not_provided"]:
        result.append(
            note(
                f"Shots unknown: {nulls['not_backfilled']} match(es) not yet backfilled "
                f"(run `levelup backfill`), {nulls['not_provided']} not provided by the API. "
                "They count as matches but take no part in any accuracy."
            )
        )
    return result


# --- charts ---------------------------------------------------------------------------------


def _buckets(per_match: pl.DataFrame, limit: int) -> tuple[list[dict[str, Any]], int]:
    """Runs of consecutive matches, at most `limit` of them, and the run length; the
    rolling accuracy covers ROLLING_WINDOW runs, so the line stays as smooth however
    many matches a run holds."""
    grouped, size = runs(
        per_match,
        limit,
        *FIRST_OF_RUN,
        end=pl.col("start_time").last(),
        modes=pl.col("mode").n_unique(),
        maps=pl.col("map_label").n_unique(),
        fired=pl.col("shots_fired").sum(),
        hit=pl.col("shots_hit").sum(),
    )
    rolling = (
        pl.col("hit").rolling_sum(ROLLING_WINDOW, min_samples=1)
        * 100.0
        / pl.col("fired").rolling_sum(ROLLING_WINDOW, min_samples=1)
    )
    grouped = grouped.with_columns(rolling=rolling, accuracy=accuracy_expr("hit", "fired"))
    finite = grouped.with_columns(
        rolling=pl.when(pl.col("rolling").is_finite()).then(pl.col("rolling"))
    )
    return finite.to_dicts(), size


def _what(run: dict[str, Any]) -> str:
    """A run's time, mode and map, for its tooltip."""
    start = run["start_time"]
    first = start.strftime("%Y-%m-%d %H:%M") if start else "unknown date"
    if run["n"] == 1:
        return f"{run['mode']} on {run['map_label']}, {first}"
    last = run["end"].strftime("%Y-%m-%d %H:%M") if run["end"] else "?"
    modes = run["mode"] if run["modes"] == 1 else f"{run['modes']} modes"
    maps = run["map_label"] if run["maps"] == 1 else f"{run['maps']} maps"
    return f"{run['n']} matches, {first} to {last} ({modes}, {maps})"


def accuracy_over_time(report: Report) -> svg.Chart:
    """Per-match accuracy points, the rolling accuracy line and the whole-scope line."""
    per_match = report.series["accuracy"]
    title = "Accuracy over time"
    if per_match.is_empty():
        return svg.empty_chart("chart-accuracy-time", title, "No match with known shots")
    buckets, size = _buckets(per_match, MAX_POINTS)
    values = [b["accuracy"] for b in buckets] + [b["rolling"] for b in buckets]
    low, high = svg.nice_range([v for v in values if v is not None], floor=0, ceil=100)
    frame = svg.Frame(svg.WIDTH, 320, low, high)
    shapes = frame.y_grid(svg.fmt_axis_pct)
    career = report.summary["accuracy"]["trend"]["career"]["accuracy"]
    if career is not None:
        shapes.append(frame.rule(career, "career", f"Accuracy over the scope {fmt_pct(career)}"))
    for index, run in enumerate(buckets):
        if run["accuracy"] is None:
            continue
        tip = f"{_what(run)}: {fmt_pct(run['accuracy'])} ({run['hit']:,} / {run['fired']:,} shots)"
        x, y = frame.x_index(index, len(buckets)), frame.y(run["accuracy"])
        shapes.append(svg.Shape("circle", "pt", x, y, r=4, tip=tip, href=report.run_link(run)))
    shapes += frame.line([b["rolling"] for b in buckets], "roll")
    shapes += frame.dates([b["start_time"] for b in buckets])
    each = "match" if size == 1 else f"run of {size} consecutive matches"
    legend = [
        svg.Legend("var(--you)", f"one {each}", faint=True),
        svg.Legend("var(--you)", f"rolling accuracy over the last {ROLLING_WINDOW * size} matches"),
        svg.Legend("var(--muted)", "accuracy over the scope"),
    ]
    return svg.Chart("chart-accuracy-time", title, frame.height, shapes, legend=legend)


def shots_per_match(report: Report) -> svg.Chart:
    """Shots fired (full bar) and shots hit (inner bar) per match, oldest first."""
    per_match = report.series["accuracy"]
    title = "Shots fired and hit per match"
    if per_match.is_empty():
        return svg.empty_chart("chart-shots", title, "No match with known shots")
    buckets, size = _buckets(per_match, MAX_BARS)
    top = max(b["fired"] for b in buckets) or 1
    frame = svg.Frame(svg.WIDTH, 260, 0, top * 1.05)
    shapes = frame.y_grid(svg.fmt_axis_num)
    n = len(buckets)
    for index, run in enumerate(buckets):
        tip = (
            f"{_what(run)}: {run['hit']:,} hit of {run['fired']:,} fired "
            f"({fmt_pct(run['accuracy'])})"
        )
        href = report.run_link(run)
        shapes.append(frame.bar(index, n, run["fired"], "fired", tip, href))
        shapes.append(frame.bar(index, n, run["hit"], "hit", tip, href, min_h=0))
    shapes += frame.dates([b["start_time"] for b in buckets], bars=True)
    each = "per match" if size == 1 else f"per run of {size} consecutive matches"
    legend = [
        svg.Legend("var(--fired)", f"shots fired {each}"),
        svg.Legend("var(--hit)", "shots hit"),
    ]
    return svg.Chart("chart-shots", title, frame.height, shapes, legend=legend)


def _breakdown_bars(rows: list[dict[str, Any]], several_kinds: bool) -> list[svg.BarRow]:
    top = sorted(rows, key=lambda r: -r["matches"])[:MAX_BAR_ROWS]
    return [
        svg.BarRow(
            label=f"{r['name']} · {r['kind_label']}" if several_kinds else r["name"],
            value=r["accuracy"],
            text=fmt_pct(r["accuracy"]),
            detail=f"{r['matches']:,} matches",
        )
        for r in top
    ]


def _lobby_bars(lobby_figures: dict[str, Any]) -> list[svg.BarRow]:
    def row(label: str, figures: dict[str, Any], css: str = "") -> svg.BarRow:
        return svg.BarRow(
            label,
            figures["accuracy"],
            fmt_pct(figures["accuracy"]),
            f"{figures['shots_hit']:,} / {figures['shots_fired']:,} shots",
            css,
        )

    return [
        row("You", lobby_figures["player"]),
        row("Teammates", lobby_figures["teammates"], "team"),
        row("Opponents", lobby_figures["opponents"], "opp"),
        row("Whole lobby", lobby_figures["lobby"], "lobby"),
    ]


def charts(report: Report) -> list[svg.Chart]:
    figures = report.summary["accuracy"]
    by_mode, by_map = (
        svg.horizontal_bars(
            f"chart-by-{what}",
            f"Accuracy by {what}",
            _breakdown_bars(figures[f"by_{what}"], len(figures["by_kind"]) > 1),
            width=svg.HALF_WIDTH,
            label_w=200,
        )
        for what in ("mode", "map")
    )
    if len(figures["by_map"]) > MAX_BAR_ROWS:
        by_map.note = f"The {MAX_BAR_ROWS} most played maps; every map is in the table below."
    return [
        accuracy_over_time(report),
        shots_per_match(report),
        by_mode,
        by_map,
        svg.horizontal_bars(
            "chart-lobby", "You against the lobby", _lobby_bars(figures["lobby"]), label_w=200
        ),
    ]


SECTION = Section("accuracy", "Accuracy", compute, views, charts)
