"""Does the warehouse hold the player's whole history? The API's word against ours.

The API's match counts and service records that the last sync stored
(`levelup.sync.career`) against the stored matches, per match type, every
difference named with its numbers. A database without snapshots claims nothing
(None). Read-only: one query per table, whatever the history's size.
"""

from __future__ import annotations

from typing import Any

import duckdb

from levelup.match_types import LIFECYCLE_BY_RECORD_TYPE

# service record column -> the warehouse's sum over the same matches (match_stats).
COMPARED = {
    "matches_completed": "count(*)",
    "wins": "count(*) FILTER (WHERE outcome = 2)",
    "losses": "count(*) FILTER (WHERE outcome = 3)",
    "ties": "count(*) FILTER (WHERE outcome = 1)",
    "kills": "sum(kills)",
    "deaths": "sum(deaths)",
    "assists": "sum(assists)",
    "shots_fired": "sum(shots_fired)",
    "shots_hit": "sum(shots_hit)",
}
_TYPES = ("all", *LIFECYCLE_BY_RECORD_TYPE)


def table_names(conn: duckdb.DuckDBPyConnection) -> set[str]:
    rows = conn.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"
    ).fetchall()
    return {name for (name,) in rows}


def _latest(conn: duckdb.DuckDBPyConnection, table: str, xuid: str) -> list[tuple[Any, ...]]:
    """The newest snapshot row of each match type for the player."""
    return conn.execute(
        f"SELECT * FROM {table} WHERE xuid = ? "
        "QUALIFY row_number() OVER (PARTITION BY match_type ORDER BY fetched_at DESC) = 1",
        [xuid],
    ).fetchall()


def _warehouse(conn: duckdb.DuckDBPyConnection) -> dict[str, dict[str, int]]:
    """The compared sums per service record type, and the stored count of all matches."""
    case = " ".join(
        f"WHEN lifecycle_mode IN ({', '.join(str(m) for m in sorted(modes or ()))}) THEN '{name}'"
        for name, modes in LIFECYCLE_BY_RECORD_TYPE.items()
    )
    sums = ", ".join(f"{expr} AS {col}" for col, expr in COMPARED.items())
    rows = conn.execute(
        f"SELECT CASE {case} ELSE 'other' END AS match_type, {sums} FROM match_stats GROUP BY ALL"
    ).fetchall()
    result = {name: dict.fromkeys(COMPARED, 0) for name in LIFECYCLE_BY_RECORD_TYPE}
    total = 0
    for match_type, *values in rows:
        total += values[0]
        if match_type in result:
            result[match_type] = {c: int(v or 0) for c, v in zip(COMPARED, values, strict=True)}
    result["all"] = {"matches_completed": total}
    return result


def completeness(conn: duckdb.DuckDBPyConnection, xuid: str) -> dict[str, Any] | None:
    """The comparison for the database's owner, or None when no snapshot was stored.

    Shape: ``{"complete": bool, "counted_at", "recorded_at", "types": {type: {"api_count",
    "stored", "missing", "differences": [{"field", "api", "warehouse", "difference"}]}},
    "differences": ["<one line per difference>"]}``.
    """
    tables = table_names(conn)
    if not {"match_count_snapshots", "service_record_snapshots"} <= tables:
        return None
    counts = {row[1]: row for row in _latest(conn, "match_count_snapshots", xuid)}
    records = {row[1]: row for row in _latest(conn, "service_record_snapshots", xuid)}
    if not counts and not records:
        return None
    columns = [
        name
        for (name,) in conn.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_name = 'service_record_snapshots' ORDER BY ordinal_position"
        ).fetchall()
    ]
    stored = _warehouse(conn)
    types: dict[str, dict[str, Any]] = {}
    lines: list[str] = []
    for match_type in _TYPES:
        entry: dict[str, Any] = {"stored": stored[match_type]["matches_completed"]}
        count = counts.get(match_type)
        if count is not None and count[3] is not None:
            entry["api_count"] = count[3]
            entry["missing"] = count[3] - entry["stored"]
            if entry["missing"]:
                lines.append(
                    f"{match_type}: the API counts {count[3]} matches, {entry['stored']} are "
                    f"stored ({_signed(-entry['missing'])})"
                )
        record = records.get(match_type)
        if record is not None:
            values = dict(zip(columns, record, strict=False))
            entry["differences"] = []
            for field in COMPARED:
                api, ours = values.get(field), stored[match_type].get(field)
                if api is None or ours is None or api == ours:
                    continue
                entry["differences"].append(
                    {"field": field, "api": api, "warehouse": ours, "difference": ours - api}
                )
                lines.append(
                    f"{match_type} service record {field}: {api}, the warehouse's sum "
                    f"{ours} ({_signed(ours - api)})"
                )
        if len(entry) > 1:
            types[match_type] = entry
    return {
        "complete": not lines,
        "counted_at": max((row[2] for row in counts.values()), default=None),
        "recorded_at": max((row[2] for row in records.values()), default=None),
        "types": types,
        "differences": lines,
    }


def _signed(value: int) -> str:
    return f"{value:+d}"


def describe(result: dict[str, Any] | None) -> str:
    """One line for tables: "complete", "n differences", or "not known"."""
    if result is None:
        return "not known"  # no count or service record stored
    if result["complete"]:
        total = result["types"].get("all", {})
        counted = total.get("api_count")
        return f"complete ({counted} matches)" if counted is not None else "complete"
    count = len(result["differences"])
    return f"{count} difference" + ("s" if count > 1 else "")
