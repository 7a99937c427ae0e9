"""One match's full scoreboard: every player by team, the teams' scores and objective stats.

Used by `levelup match MATCH_ID` and by the page (a section per match it links
to). A table the database lacks leaves its columns blank, said once per match.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from levelup.analysis.figures import percent, ratio
from levelup.analysis.formatting import csr_value, fmt_duration, humanize_stat, is_time_stat
from levelup.analysis.frames import ReportFrames, ScoreboardFrames
from levelup.analysis.medals import medal_name
from levelup.analysis.modes_maps import CORE_STATS, GENERIC_GROUPS
from levelup.analysis.scope import RESULT_LABELS, RESULTS, iso
from levelup.analysis.section import availability
from levelup.analysis.tablespec import Column, TableSpec, View, key_values, note, table

TOP_MEDALS_PER_PLAYER = 3


def _stat_text(rows: list[dict[str, Any]], category: int | None) -> str:
    parts = []
    for row in rows:
        value = row["value"]
        if value is None:
            continue
        shown = fmt_duration(value) if is_time_stat(row["stat"]) else f"{value:,.0f}"
        parts.append(f"{humanize_stat(row['stat'], category)} {shown}")
    return " · ".join(parts)


def _objectives(
    frame: pl.DataFrame, keys: list[str], categories: dict[str, int | None]
) -> dict[tuple, str]:
    """Each (match, player or team)'s objective stats as one text, named for the match's
    mode (`categories`: match id -> game variant category)."""
    rows = frame.filter(
        ~pl.col("mode").is_in(list(GENERIC_GROUPS))
        & ~pl.col("stat").is_in(list(CORE_STATS))
        & (pl.col("value") != 0)
    )
    result: dict[tuple, list[dict[str, Any]]] = {}
    for row in rows.sort("stat").iter_rows(named=True):
        result.setdefault(tuple(row[k] for k in keys), []).append(row)
    return {key: _stat_text(value, categories.get(key[0])) for key, value in result.items()}


def _medals(boards: ScoreboardFrames, names: pl.DataFrame) -> dict[tuple, dict[str, Any]]:
    if boards.medals.is_empty():
        return {}
    named = boards.medals.join(
        names.unique(subset="medal_id").select("medal_id", "name"), on="medal_id", how="left"
    ).with_columns(name=medal_name())
    result: dict[tuple, dict[str, Any]] = {}
    ordered = named.sort(["count", "name"], descending=[True, False], nulls_last=True)
    for row in ordered.iter_rows(named=True):
        entry = result.setdefault((row["match_id"], row["xuid"]), {"count": 0, "top": []})
        count = row["count"]  # NULL when the stored JSON's count was unusable
        # One unknown count makes the total unknown: a partial sum would look exact.
        entry["count"] = None if count is None or entry["count"] is None else entry["count"] + count
        if len(entry["top"]) < TOP_MEDALS_PER_PLAYER:
            entry["top"].append(_medal_text(row["name"], count))
    return result


def _medal_text(name: str, count: int | None) -> str:
    """ "Killjoy ×3", "Killjoy"; "Killjoy ×?" when the count is not known (the medal
    was earned, so it is listed; the player's total is then unknown too)."""
    if count is None:
        return f"{name} ×?"
    return f"{name} ×{count}" if count > 1 else name


def build_scoreboards(
    frames: ReportFrames,
    boards: ScoreboardFrames,
    matches: pl.DataFrame,
    match_ids: list[str],
) -> dict[str, dict[str, Any]]:
    """match id -> scoreboard, for the given matches (rows of the per-match frame)."""
    wanted = matches.filter(pl.col("match_id").is_in(match_ids))
    if wanted.is_empty():
        return {}
    participants = frames.participants.filter(pl.col("match_id").is_in(match_ids))
    names = frames.names.unique(subset="xuid", keep="first").rename({"gamertag": "cached_name"})
    participants = participants.join(names, on="xuid", how="left")
    skill = frames.skill.filter(pl.col("match_id").is_in(match_ids)).select(
        "match_id", "xuid", "post_csr", "pre_csr", "csr_change", "expected_kills", "expected_deaths"
    )
    participants = participants.join(skill, on=["match_id", "xuid"], how="left")
    medals = _medals(boards, frames.medal_names)
    # A match with medal rows had its medals extracted: a player of it with none earned 0
    # (not "unknown", which is what a match without any medal row is).
    with_medals = set(boards.medals["match_id"].unique()) if not boards.medals.is_empty() else set()
    categories = dict(zip(wanted["match_id"], wanted["game_variant_category"], strict=True))
    player_stats = _objectives(boards.mode_stats, ["match_id", "xuid"], categories)
    team_stats = _objectives(boards.team_mode_stats, ["match_id", "team_id"], categories)
    notes = [
        f"{what}: {text}"
        for what, text in (
            ("Medals", availability_of(boards, "match_medals")),
            ("Team scores", availability_of(boards, "match_teams")),
            ("CSR", availability(frames, "match_skill")),
        )
        if text
    ]
    by_match: dict[str, list[dict[str, Any]]] = {}
    for row in participants.iter_rows(named=True):
        by_match.setdefault(row["match_id"], []).append(row)
    teams_by_match: dict[str, list[dict[str, Any]]] = {}
    for row in boards.teams.iter_rows(named=True):
        teams_by_match.setdefault(row["match_id"], []).append(row)
    result = {}
    for match in wanted.iter_rows(named=True):
        match_id = match["match_id"]
        players = [
            _player(row, frames.owner_xuid, medals, player_stats, match_id in with_medals)
            for row in by_match.get(match_id, [])
        ]
        for player in players:
            if player["is_owner"] and frames.owner_gamertag:
                player["name"] = frames.owner_gamertag
        result[match_id] = _board(
            match, players, teams_by_match.get(match_id, []), team_stats, notes
        )
    return result


def _label(outcome: int | None) -> str:
    return RESULT_LABELS.get(RESULTS.get(outcome, ""), "") if outcome is not None else ""


def availability_of(boards: ScoreboardFrames, table_name: str) -> str | None:
    state = boards.state.get(table_name, "missing")
    if state == "missing":
        return f"not available: this database has no {table_name} table"
    if state == "empty":
        return f"not yet backfilled: {table_name} is empty"
    return None


def _player(
    row: dict[str, Any],
    owner: str | None,
    medals: dict[tuple, dict[str, Any]],
    stats: dict[tuple, str],
    medals_extracted: bool,
) -> dict[str, Any]:
    key = (row["match_id"], row["xuid"])
    medal = medals.get(key)
    if medal is None and medals_extracted:
        medal = {"count": 0, "top": []}
    change = row["csr_change"]
    if change is None and row["post_csr"] is not None and row["pre_csr"] is not None:
        change = row["post_csr"] - row["pre_csr"]
    name = row["cached_name"] or row["gamertag"] or ("Bot" if row["is_bot"] else row["xuid"])
    return {
        "xuid": row["xuid"],
        "name": f"{name} (bot)" if row["is_bot"] and name != "Bot" else name,
        "is_owner": row["xuid"] == owner,
        "is_bot": bool(row["is_bot"]),
        "team_id": row["team_id"],
        "outcome": _label(row["outcome"]),
        "rank": row["rank"],
        "score": row["score"],
        "personal_score": row["personal_score"],
        "kills": row["kills"],
        "deaths": row["deaths"],
        "assists": row["assists"],
        "kd_ratio": ratio(row["kills"], row["deaths"]),
        "shots_fired": row["shots_fired"],
        "shots_hit": row["shots_hit"],
        "accuracy": percent(row["shots_hit"], row["shots_fired"]),
        "damage_dealt": row["damage_dealt"],
        "damage_taken": row["damage_taken"],
        "medals": medal["count"] if medal else None,
        "top_medals": ", ".join(medal["top"]) if medal else "",
        "csr_change": change,
        "post_csr": csr_value(row["post_csr"]),
        "objectives": stats.get(key, ""),
    }


def _by_rank(players: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Players in the order the game ranks them (unranked last, higher score first)."""
    return sorted(players, key=lambda p: (p["rank"] is None, p["rank"], -(p["score"] or 0)))


def _team(
    match: dict[str, Any],
    team_id: int | None,
    members: list[dict[str, Any]],
    team: dict[str, Any],
    objectives: str,
    two_teams: bool,
) -> dict[str, Any]:
    """One team's group: its `match_teams` row when stored, else what its players' rows
    and the owner's match row tell (the owner's team score, the other's in a 2-team match)."""
    score = team.get("score")
    if score is None and team_id == match["team_id"]:
        score = match["my_team_score"]
    elif score is None and two_teams:
        score = match["enemy_team_score"]
    if team:
        outcome, accuracy = (
            _label(team.get("outcome")),
            percent(team.get("shots_hit"), team.get("shots_fired")),
        )
    else:
        outcome = members[0]["outcome"] if members else ""
        accuracy = percent(
            sum(p["shots_hit"] or 0 for p in members), sum(p["shots_fired"] or 0 for p in members)
        )
    return {
        "team_id": team_id,
        "label": f"Team {team_id + 1}" if team_id is not None else "No team",
        "is_owner_team": team_id == match["team_id"],
        "outcome": outcome,
        "score": score,
        "kills": team.get("kills", sum(p["kills"] or 0 for p in members)),
        "deaths": team.get("deaths", sum(p["deaths"] or 0 for p in members)),
        "accuracy": accuracy,
        "objectives": objectives,
        "players": members,
    }


def _board(
    match: dict[str, Any],
    players: list[dict[str, Any]],
    teams: list[dict[str, Any]],
    team_stats: dict[tuple, str],
    notes: list[str],
) -> dict[str, Any]:
    team_rows = {row["team_id"]: row for row in teams}
    team_ids = sorted({p["team_id"] for p in players if p["team_id"] is not None} | set(team_rows))
    teams_enabled = match["teams_enabled"] is not False and len(team_ids) > 1
    if teams_enabled:
        groups = [
            _team(
                match,
                team_id,
                _by_rank([p for p in players if p["team_id"] == team_id]),
                team_rows.get(team_id, {}),
                team_stats.get((match["match_id"], team_id), ""),
                len(team_ids) == 2,
            )
            for team_id in team_ids
        ]
    else:
        everyone = {
            "team_id": None,
            "label": "Every player (no teams)",
            "is_owner_team": True,
            "outcome": "",
            "score": None,
            "kills": sum(p["kills"] or 0 for p in players),
            "deaths": sum(p["deaths"] or 0 for p in players),
            "accuracy": None,
            "objectives": "",
            "players": _by_rank(players),
        }
        groups = [everyone]
    return {
        "match_id": match["match_id"],
        "start_time": iso(match["start_time"]),
        "mode": match["mode"],
        "map": match["map_label"],
        "playlist": match["playlist_label"],
        "kind": match["kind"],
        "duration_seconds": match["duration_seconds"],
        "outcome": RESULT_LABELS.get(match["result"] or "", "unknown"),
        "teams_enabled": teams_enabled,
        "teams": groups,
        "notes": notes,
    }


PLAYER_COLUMNS = (
    Column("name", "Player"),
    Column("score", "Score", "int"),
    Column("kills", "K", "int"),
    Column("deaths", "D", "int"),
    Column("assists", "A", "int"),
    Column("kd_ratio", "K/D", "ratio"),
    Column("shots_fired", "Fired", "int"),
    Column("accuracy", "Acc.", "pct1"),
    Column("damage_dealt", "Dealt", "int"),
    Column("damage_taken", "Taken", "int"),
    Column("medals", "Medals", "int"),
    Column("csr_change", "CSR ±", "signed"),
)
# Long text per player, in a table of its own so the numbers stay readable in 80 columns.
DETAIL_COLUMNS = (
    Column("name", "Player"),
    Column("top_medals", "Medals earned most", wrap=True),
    Column("objectives", "Objective stats", wrap=True),
)


def title(board: dict[str, Any]) -> str:
    when = (board["start_time"] or "")[:16].replace("T", " ")
    return f"{board['mode']} on {board['map']}, {when} UTC"


def views(board: dict[str, Any]) -> list[View]:
    """The scoreboard as tables: a header, then one table per team."""
    result = [
        key_values(
            f"match-{board['match_id']}-head",
            title(board),
            [
                ("Match", board["match_id"], "text"),
                ("Playlist", board["playlist"], "text"),
                ("Duration", fmt_duration(board["duration_seconds"]), "text"),
                ("Your outcome", board["outcome"], "text"),
            ],
        )
    ]
    for index, team in enumerate(board["teams"]):
        score = "" if team["score"] is None else f", score {team['score']:,}"
        outcome = f" ({team['outcome']})" if team["outcome"] else ""
        you = " (your team)" if team["is_owner_team"] and board["teams_enabled"] else ""
        spec = TableSpec(
            f"match-{board['match_id']}-team-{index}",
            f"{team['label']}{you}{outcome}{score}",
            PLAYER_COLUMNS,
            terminal_rows=None,
        )
        rows = [
            {**p, "name": f"{p['name']} ◀" if p["is_owner"] else p["name"]} for p in team["players"]
        ]
        caption = f"Team objective stats: {team['objectives']}" if team["objectives"] else ""
        result.append(table(spec, rows, caption))
        detailed = [r for r in rows if r["top_medals"] or r["objectives"]]
        if detailed:
            details = TableSpec(
                f"match-{board['match_id']}-team-{index}-details",
                f"{team['label']}: medals and objectives",
                DETAIL_COLUMNS,
                terminal_rows=None,
            )
            result.append(table(details, detailed))
    for text in board["notes"]:
        result.append(note(text))
    return result
