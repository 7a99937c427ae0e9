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

The three per-player tables are read in one pass (`_player_details`), plain
values take a fast path that builds no field name, and rows are tuples in their
row dataclass's column order: a dataclass per row (a match yields ~150) would
cost more than reading the JSON.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

from levelup.extract.match import accuracy, unique_players
from levelup.extract.values import (
    INT_MAX,
    json_object,
    log,
    parse_duration,
    parse_int,
    parse_number,
)

# BIGINT bounds for ids such as medal NameIds (uint32 in practice).
_ID_MAX = 2**63 - 1
# Past this a float no longer holds every whole number: 2.0**53 + 1 reads as 2**53.
_EXACT_FLOAT_MAX = 2**53
_CORE = "CoreStats"
_STATS_SUFFIX = "Stats"


def _players(doc: dict[str, Any]) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """(storage key, the `Stats` objects of every team stint) per player, first entry kept
    (a malformed id is skipped: `extract_match` warns about it)."""
    for player_id, _, player in unique_players(doc.get("Players"), "PlayerId"):
        entries = player.get("PlayerTeamStats")
        stints = []
        for entry in entries if isinstance(entries, list) else ():
            stats = entry.get("Stats") if isinstance(entry, dict) else None
            if isinstance(stats, dict) and stats:
                stints.append(stats)
        yield player_id, stints


def _name_id(value: Any, match_id: str, field: str) -> int | None:
    """A medal's or personal score's id. The id is the row's key: an entry without a
    usable one (missing, null, fractional, negative, not a number) cannot be stored,
    so it is skipped with a warning that says so, never silently. Digits in a string
    and integral floats are read exactly (no float rounding: 2**53 and up would
    name another medal)."""
    if type(value) is int and 0 <= value <= _ID_MAX:
        return value
    if type(value) is str:
        text = value.strip()
        if text.isascii() and text.isdigit() and int(text) <= _ID_MAX:
            return int(text)
    elif type(value) is float and value.is_integer() and 0 <= value <= _EXACT_FLOAT_MAX:
        return int(value)
    log.warning(
        "match %s: field %s is %r, not an id; that entry is not stored", match_id, field, value
    )
    return None


def _count(value: Any, match_id: str, field: str, count: bool) -> int | None:
    """`parse_int`, with the plain in-range int answered without building a field name."""
    if type(value) is int and (0 if count else -INT_MAX - 1) <= value <= INT_MAX:
        return value
    return parse_int(value, match_id, field, count=count)


def _add(total: int | None, value: int | None, match_id: str, field: str) -> int | None:
    """Sum of counts that stays NULL once a stint is invalid, and NULL past INTEGER."""
    if total is None or value is None:
        return None
    if total + value > INT_MAX:
        log.warning("match %s: field %s sums past INTEGER; stored as NULL", match_id, field)
        return None
    return total + value


def _awards(
    stints: list[dict[str, Any]], array: str, player_id: str, match_id: str
) -> dict[int, list[int | None]]:
    """NameId -> [count, personal score] from `CoreStats.<array>[]`, summed over stints."""
    totals: dict[int, list[int | None]] = {}
    for stint in stints:
        core = stint.get(_CORE)
        entries = core.get(array) if isinstance(core, dict) else None
        if not isinstance(entries, list):
            continue
        for entry in entries:
            if not isinstance(entry, dict):
                continue
            where = ""
            name_id = entry.get("NameId")
            if type(name_id) is not int or not 0 <= name_id <= _ID_MAX:
                where = f"{player_id}.{array}[].NameId"
                name_id = _name_id(name_id, match_id, where)
                if name_id is None:
                    continue
            count = entry.get("Count")
            if type(count) is not int or not 0 <= count <= INT_MAX:
                count = parse_int(
                    count, match_id, f"{player_id}.{array}[{name_id}].Count", count=True
                )
            score = entry.get("TotalPersonalScoreAwarded")
            if type(score) is not int or not -INT_MAX - 1 <= score <= INT_MAX:
                score = parse_int(score, match_id, f"{player_id}.{array}[{name_id}].Score")
            known = totals.get(name_id)
            if known is None:
                totals[name_id] = [count, score]
            else:
                field = f"{player_id}.{array}[{name_id}]"
                known[0] = _add(known[0], count, match_id, field)
                known[1] = _add(known[1], score, match_id, field)
    return totals


def _stat_value(value: Any, match_id: str, field: str) -> float | None:
    """A mode statistic as a number: ISO-8601 durations in seconds, booleans as 0/1."""
    if isinstance(value, str) and value.strip().startswith("P"):
        return parse_duration(value, match_id, field)
    if isinstance(value, bool):
        return float(value)
    return parse_number(value, match_id, field)


def _first_of_mode(name: str, seen: set[str], match_id: str, where: str) -> str | None:
    """The mode an object of `Stats` names (`OddballStats` -> `Oddball`), or None with
    a warning when an earlier object of the same stats named it already."""
    mode = name.removesuffix(_STATS_SUFFIX) or name
    if mode in seen:
        log.warning(
            "match %s: %s.%s names mode %s again; the first object kept",
            match_id, where, name, mode,
        )  # fmt: skip
        return None
    seen.add(mode)
    return mode


def _mode_values(
    stats: dict[str, Any], match_id: str, where: str
) -> Iterator[tuple[str, str, float | None]]:
    """(mode, stat, value) for every scalar field of every object beside `CoreStats`.

    A nested object's fields are named `Parent.Child`; lists are not statistics
    and are skipped with a warning. A flattened name that is also a key of the
    object (`{"A": {"B": 1}, "A.B": 2}`) keeps the first value met, with a warning:
    the detail tables have no key constraint, so two rows must never share a key.
    Likewise two objects naming the same mode (`OddballStats` and `Oddball`): the
    first is kept (`_first_of_mode`).
    """
    modes: set[str] = set()
    for name, body in stats.items():
        if name == _CORE or not isinstance(body, dict):
            continue
        mode = _first_of_mode(name, modes, match_id, where)
        if mode is None:
            continue
        pending = list(body.items())
        seen: set[str] = set()
        for stat, value in pending:  # grows while nested objects are flattened
            if stat in seen:
                log.warning(
                    "match %s: %s.%s.%s appears twice (a nested field and a key); "
                    "the first kept", match_id, where, name, stat,
                )  # fmt: skip
                continue
            seen.add(stat)
            kind = type(value)
            if kind is int:
                yield mode, stat, float(value)
            elif kind is float and math.isfinite(value):
                yield mode, stat, value
            elif kind is dict:
                pending.extend((f"{stat}.{k}", v) for k, v in value.items())
            elif kind is list:
                log.warning("match %s: %s.%s.%s is a list; not stored", match_id, where, name, stat)
            elif value is None:
                yield mode, stat, None
            else:
                yield mode, stat, _stat_value(value, match_id, f"{where}.{name}.{stat}")


def _is_maximum(stat: str) -> bool:
    return stat.rsplit(".", 1)[-1].startswith(("Longest", "Max"))


def _combine(values: list[float | None], stat: str) -> float | None:
    if None in values:
        return None
    return max(values) if _is_maximum(stat) else math.fsum(values)  # type: ignore[type-var, arg-type]


# A row: a tuple in the column order of its row dataclass (`extract/rows.py`).
Row = tuple[Any, ...]
_Details = tuple[list[Row], list[Row], list[Row]]
# The last document read, so the three per-player tables share one pass (a
# reference to the document, not its id: the check is identity, never a reused id).
_last: tuple[dict[str, Any] | None, str, _Details] = (None, "", ([], [], []))


def _plain_awards(
    entries: Any, match_id: str, player_id: str, out: list[Row], array: str, stints: list
) -> None:
    """Rows of one stint's `Medals`/`PersonalScores`: plain in-range ints and distinct ids
    are appended as they are (the common case); anything else goes through `_awards`."""
    if not isinstance(entries, list):
        return
    rows = []
    ids = set()
    for entry in entries:
        if type(entry) is not dict:
            break
        name_id = entry.get("NameId")
        count = entry.get("Count")
        score = entry.get("TotalPersonalScoreAwarded")
        if not (
            type(name_id) is int
            and 0 <= name_id <= _ID_MAX
            and name_id not in ids
            and type(count) is int
            and 0 <= count <= INT_MAX
            and type(score) is int
            and -INT_MAX - 1 <= score <= INT_MAX
        ):
            break
        ids.add(name_id)
        rows.append((match_id, player_id, name_id, count, score))
    else:
        out.extend(rows)
        return
    awards = _awards(stints, array, player_id, match_id)
    out.extend((match_id, player_id, key, c, sc) for key, (c, sc) in awards.items())


def _single_stint_modes(
    stats: dict[str, Any], match_id: str, owner: str | int, out: list[Row]
) -> None:
    """Mode stat rows of one stats object (a player's only stint, or a team's): plain
    numbers inline, the rest (durations, nested objects, odd values) through
    `_mode_values`. `owner` is the row's second key (xuid or team id)."""
    modes: set[str] = set()
    for name, body in stats.items():
        if name == _CORE or type(body) is not dict:
            continue
        mode = _first_of_mode(name, modes, match_id, str(owner))
        if mode is None:
            continue
        for value in body.values():
            kind = type(value)
            if not (kind is int or value is None or (kind is float and math.isfinite(value))):
                out.extend(
                    (match_id, owner, m, stat, v)
                    for m, stat, v in _mode_values({name: body}, match_id, str(owner))
                )
                break
        else:
            out.extend(
                (match_id, owner, mode, stat, None if v is None else float(v))
                for stat, v in body.items()
            )


def _player_details(doc: dict[str, Any], match_id: str) -> _Details:
    """Medals, personal scores and mode stats of every player, in one pass."""
    global _last
    cached_doc, cached_id, cached = _last
    if cached_doc is doc and cached_id == match_id:
        return cached
    medal_rows: list[Row] = []
    score_rows: list[Row] = []
    mode_rows: list[Row] = []
    for player_id, stints in _players(doc):
        if len(stints) == 1:
            core = stints[0].get(_CORE)
            if isinstance(core, dict):
                _plain_awards(core.get("Medals"), match_id, player_id, medal_rows, "Medals", stints)
                _plain_awards(
                    core.get("PersonalScores"), match_id, player_id, score_rows,
                    "PersonalScores", stints,
                )  # fmt: skip
            _single_stint_modes(stints[0], match_id, player_id, mode_rows)
            continue
        for medal, (count, score) in _awards(stints, "Medals", player_id, match_id).items():
            medal_rows.append((match_id, player_id, medal, count, score))
        awards = _awards(stints, "PersonalScores", player_id, match_id)
        for score_id, (count, score) in awards.items():
            score_rows.append((match_id, player_id, score_id, count, score))
        collected: dict[tuple[str, str], list[float | None]] = {}
        for stint in stints:
            for mode, stat, value in _mode_values(stint, match_id, player_id):
                collected.setdefault((mode, stat), []).append(value)
        mode_rows.extend(
            (match_id, player_id, mode, stat, _combine(values, stat))
            for (mode, stat), values in collected.items()
        )
    _last = (doc, match_id, (medal_rows, score_rows, mode_rows))
    return medal_rows, score_rows, mode_rows


def medals(doc: dict[str, Any], match_id: str) -> list[Row]:
    """`match_medals`: one row per player and medal earned, counts summed over stints."""
    return _player_details(doc, match_id)[0]


def personal_scores(doc: dict[str, Any], match_id: str) -> list[Row]:
    """`match_personal_scores`: one row per player and kind of personal score."""
    return _player_details(doc, match_id)[1]


def mode_stats(doc: dict[str, Any], match_id: str) -> list[Row]:
    """`match_mode_stats`: every mode statistic of every player, summed over stints."""
    return _player_details(doc, match_id)[2]


def _teams(doc: dict[str, Any], match_id: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """(TeamId, team object) for each team with a valid id, first entry kept."""
    teams = doc.get("Teams")
    seen: set[int] = set()
    for team in teams if isinstance(teams, list) else ():
        team = json_object(team)
        team_id = parse_int(team.get("TeamId"), match_id, "Teams[].TeamId")
        if team_id is None or team_id in seen:
            continue
        seen.add(team_id)
        yield team_id, team


def team_mode_stats(doc: dict[str, Any], match_id: str) -> list[Row]:
    """`match_team_mode_stats`: every mode statistic of every team."""
    rows: list[Row] = []
    for team_id, team in _teams(doc, match_id):
        stats = team.get("Stats")
        if isinstance(stats, dict):
            _single_stint_modes(stats, match_id, team_id, rows)
    return rows


# CoreStats key and whether it is a count (never negative), in match_teams column order.
_TEAM_COUNTS = (
    ("Score", False),
    ("PersonalScore", False),
    ("Kills", True),
    ("Deaths", True),
    ("Assists", True),
    ("ShotsFired", True),
    ("ShotsHit", True),
    ("DamageDealt", True),
    ("DamageTaken", True),
)


def teams(doc: dict[str, Any], match_id: str) -> list[Row]:
    """`match_teams`: the team scoreboard, `CoreStats` read by key; none without teams."""
    rows: list[Row] = []
    for team_id, team in _teams(doc, match_id):
        core = json_object(json_object(team.get("Stats")).get(_CORE))
        counts = []
        for api_key, is_count in _TEAM_COUNTS:
            value = core.get(api_key)
            if not (type(value) is int and (0 if is_count else -INT_MAX - 1) <= value <= INT_MAX):
                value = parse_int(value, match_id, f"Teams[{team_id}].{api_key}", count=is_count)
            counts.append(value)
        outcome = _count(team.get("Outcome"), match_id, f"Teams[{team_id}].Outcome", False)
        rank = _count(team.get("Rank"), match_id, f"Teams[{team_id}].Rank", False)
        rows.append((match_id, team_id, outcome, rank, *counts, accuracy(counts[6], counts[5])))
    return rows
