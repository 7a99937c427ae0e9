"""Match-stats JSON -> the per-player and per-team detail tables.

`match_medals`, `match_personal_scores`, `match_mode_stats` (per player) and
`match_team_mode_stats`, `match_teams` (per team) come from the same stored
document as `match_stats`, so they can be filled at any time with no API call.

A player's values are summed over all their `PlayerTeamStats` entries (team
switchers), except statistics named `Longest*` or `Max*`, which take the
maximum. As for the core numbers, a value that is invalid in one stint makes
the player's total NULL: a partial sum would look like a real number.

Mode statistics are stored generically (mode, stat, value), so an object the
API adds later (`FooStats`) is stored without a code change.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from levelup.extract.match import accuracy, player_key
from levelup.extract.rows import (
    MatchMedalRow,
    MatchModeStatRow,
    MatchPersonalScoreRow,
    MatchTeamModeStatRow,
    MatchTeamRow,
)
from levelup.extract.values import (
    INT_MAX,
    log,
    parse_duration,
    parse_int,
    parse_number,
)

# BIGINT bounds for ids such as medal NameIds (uint32 in practice).
_ID_MAX = 2**63 - 1
_CORE = "CoreStats"
_STATS_SUFFIX = "Stats"


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _players(doc: dict[str, Any], match_id: str) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """(storage key, the `Stats` objects of every team stint) per player, first entry kept."""
    seen: set[str] = set()
    players = doc.get("Players")
    for player in players if isinstance(players, list) else ():
        raw_id = _dict(player).get("PlayerId")
        if not isinstance(raw_id, str) or not raw_id:
            continue
        player_id, _ = player_key(raw_id)
        if player_id in seen:
            continue
        seen.add(player_id)
        entries = player.get("PlayerTeamStats")
        stints = [
            _dict(_dict(entry).get("Stats"))
            for entry in (entries if isinstance(entries, list) else ())
        ]
        yield player_id, [s for s in stints if s]


def _name_id(value: Any, match_id: str, field: str) -> int | None:
    number = parse_number(value, match_id, field)
    if number is None or not number.is_integer() or not 0 <= number <= _ID_MAX:
        if number is not None:
            log.warning(
                "match %s: field %s has an invalid id %r; entry skipped", match_id, field, value
            )
        return None
    return int(number)


def _add(
    total: int | None, value: int | None, first: bool, match_id: str, field: str
) -> int | None:
    """Sum of counts that stays NULL once a stint is invalid, and NULL past INTEGER."""
    if first:
        return value
    if total is None or value is None:
        return None
    if total + value > INT_MAX:
        log.warning("match %s: field %s sums past INTEGER; stored as NULL", match_id, field)
        return None
    return total + value


def _awards(
    doc: dict[str, Any], match_id: str, array: str
) -> Iterator[tuple[str, int, int | None, int | None]]:
    """(player, NameId, count, personal score) from `CoreStats.<array>[]`, summed over stints."""
    for player_id, stints in _players(doc, match_id):
        totals: dict[int, list[int | None]] = {}
        for stint in stints:
            entries = _dict(stint.get(_CORE)).get(array)
            for entry in entries if isinstance(entries, list) else ():
                entry = _dict(entry)
                where = f"{player_id}.{array}[].NameId"
                name_id = _name_id(entry.get("NameId"), match_id, where)
                if name_id is None:
                    continue
                count = parse_int(entry.get("Count"), match_id, f"{where}.Count", count=True)
                score = parse_int(
                    entry.get("TotalPersonalScoreAwarded"), match_id, f"{where}.TotalPersonalScore"
                )
                known = totals.get(name_id)
                if known is None:
                    totals[name_id] = [count, score]
                else:
                    known[0] = _add(known[0], count, False, match_id, where)
                    known[1] = _add(known[1], score, False, match_id, where)
        for name_id, (count, score) in totals.items():
            yield player_id, name_id, count, score


def medals(doc: dict[str, Any], match_id: str) -> list[MatchMedalRow]:
    """`match_medals`: one row per player and medal earned."""
    return [MatchMedalRow(match_id, *award) for award in _awards(doc, match_id, "Medals")]


def personal_scores(doc: dict[str, Any], match_id: str) -> list[MatchPersonalScoreRow]:
    """`match_personal_scores`: one row per player and kind of personal score."""
    awards = _awards(doc, match_id, "PersonalScores")
    return [MatchPersonalScoreRow(match_id, *award) for award in awards]


def _stat_value(value: Any, match_id: str, field: str) -> float | None:
    """A mode statistic as a number: ISO-8601 durations in seconds, booleans as 0/1."""
    if isinstance(value, str) and value.strip().startswith("P"):
        return parse_duration(value, match_id, field)
    if isinstance(value, bool):
        return float(value)
    return parse_number(value, match_id, field)


def _mode_values(
    stats: dict[str, Any], match_id: str, where: str
) -> Iterator[tuple[str, str, float | None]]:
    """(mode, stat, value) for every scalar field of every object beside `CoreStats`.

    A nested object's fields are named `Parent.Child`; lists are not statistics
    and are skipped with a warning.
    """
    for name, body in stats.items():
        if name == _CORE or not isinstance(body, dict):
            continue
        mode = (
            name[: -len(_STATS_SUFFIX)]
            if name.endswith(_STATS_SUFFIX) and name != _STATS_SUFFIX
            else name
        )
        pending = list(body.items())
        while pending:
            stat, value = pending.pop(0)
            if isinstance(value, dict):
                pending.extend((f"{stat}.{k}", v) for k, v in value.items())
            elif isinstance(value, list):
                log.warning("match %s: %s.%s.%s is a list; not stored", match_id, where, name, stat)
            else:
                yield mode, stat, _stat_value(value, match_id, f"{where}.{name}.{stat}")


def _is_maximum(stat: str) -> bool:
    leaf = stat.rsplit(".", 1)[-1]
    return leaf.startswith(("Longest", "Max"))


def _combine(values: list[float | None], stat: str) -> float | None:
    if any(v is None for v in values):
        return None
    return max(values) if _is_maximum(stat) else sum(values)  # type: ignore[type-var, arg-type]


def mode_stats(doc: dict[str, Any], match_id: str) -> list[MatchModeStatRow]:
    """`match_mode_stats`: every mode statistic of every player, summed over stints."""
    rows: list[MatchModeStatRow] = []
    for player_id, stints in _players(doc, match_id):
        collected: dict[tuple[str, str], list[float | None]] = {}
        for stint in stints:
            for mode, stat, value in _mode_values(stint, match_id, player_id):
                collected.setdefault((mode, stat), []).append(value)
        rows.extend(
            MatchModeStatRow(match_id, player_id, mode, stat, _combine(values, stat))
            for (mode, stat), values in collected.items()
        )
    return rows


def _teams(doc: dict[str, Any], match_id: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """(TeamId, team object) for each team with a valid id, first entry kept."""
    teams = doc.get("Teams")
    seen: set[int] = set()
    for team in teams if isinstance(teams, list) else ():
        team = _dict(team)
        team_id = parse_int(team.get("TeamId"), match_id, "Teams[].TeamId")
        if team_id is None or team_id in seen:
            continue
        seen.add(team_id)
        yield team_id, team


def team_mode_stats(doc: dict[str, Any], match_id: str) -> list[MatchTeamModeStatRow]:
    """`match_team_mode_stats`: every mode statistic of every team."""
    rows: list[MatchTeamModeStatRow] = []
    for team_id, team in _teams(doc, match_id):
        values: dict[tuple[str, str], float | None] = {}
        for mode, stat, value in _mode_values(
            _dict(team.get("Stats")), match_id, f"Teams[{team_id}]"
        ):
            values.setdefault((mode, stat), value)
        rows.extend(
            MatchTeamModeStatRow(match_id, team_id, m, s, v) for (m, s), v in values.items()
        )
    return rows


_TEAM_COUNTS = (
    ("Score", "score", False),
    ("PersonalScore", "personal_score", False),
    ("Kills", "kills", True),
    ("Deaths", "deaths", True),
    ("Assists", "assists", True),
    ("ShotsFired", "shots_fired", True),
    ("ShotsHit", "shots_hit", True),
    ("DamageDealt", "damage_dealt", True),
    ("DamageTaken", "damage_taken", True),
)


def teams(doc: dict[str, Any], match_id: str) -> list[MatchTeamRow]:
    """`match_teams`: the team scoreboard, `CoreStats` read by key; none without teams."""
    rows: list[MatchTeamRow] = []
    for team_id, team in _teams(doc, match_id):
        where = f"Teams[{team_id}]"
        core = _dict(_dict(team.get("Stats")).get(_CORE))
        counts = {
            column: parse_int(core.get(api_key), match_id, f"{where}.{api_key}", count=is_count)
            for api_key, column, is_count in _TEAM_COUNTS
        }
        rows.append(
            MatchTeamRow(
                match_id=match_id,
                team_id=team_id,
                outcome=parse_int(team.get("Outcome"), match_id, f"{where}.Outcome"),
                rank=parse_int(team.get("Rank"), match_id, f"{where}.Rank"),
                accuracy=accuracy(counts["shots_hit"], counts["shots_fired"]),
                **counts,
            )
        )
    return rows
