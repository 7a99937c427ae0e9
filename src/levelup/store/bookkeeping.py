"""The database's own memory of runs: history walks, failed matches, run logs.

State lives in the destination (dlt's rule), not in side files, so copying a
player's database copies everything a later run needs to resume.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

import duckdb
import orjson
import polars as pl

from levelup.clock import utc_now
from levelup.match_types import (
    covering_match_types,
    narrower_match_types,
    overlapping_match_types,
)


def known_match_ids(conn: duckdb.DuckDBPyConnection) -> set[str]:
    """Matches the tracked player has a `match_stats` row for (participant rows don't count),
    lower-case: ids are compared without regard to case (older versions stored the case
    of the body's MatchId)."""
    return {row[0].lower() for row in conn.execute("SELECT match_id FROM match_stats").fetchall()}


def failed_match_ids(conn: duckdb.DuckDBPyConnection, kind: str = "stats") -> list[str]:
    """Matches whose document of `kind` failed, oldest failure first."""
    rows = conn.execute(
        "SELECT match_id FROM failed_matches WHERE kind = ? ORDER BY last_failed_at, match_id",
        [kind],
    ).fetchall()
    return [row[0] for row in rows]


def record_failures(
    conn: duckdb.DuckDBPyConnection,
    failures: Iterable[tuple[str, str] | tuple[str, str, str]],
) -> None:
    """Upsert failures in one statement: the reason is the latest, attempts count up.

    Each failure is (match_id, reason) for the stats document, or
    (match_id, reason, kind) for another kind ("skill").
    """
    latest: dict[tuple[str, str], str] = {}
    for failure in failures:
        kind = failure[2] if len(failure) > 2 else "stats"  # type: ignore[misc]
        latest[(failure[0], kind)] = failure[1]
    if not latest:
        return
    frame = pl.DataFrame(
        {
            "match_id": [m for m, _ in latest],
            "kind": [k for _, k in latest],
            "reason": list(latest.values()),
        },
        schema={"match_id": pl.String(), "kind": pl.String(), "reason": pl.String()},
    )
    now = utc_now()
    conn.register("batch_failures", frame)
    try:
        conn.execute(
            "INSERT INTO failed_matches "
            "(match_id, kind, reason, attempts, first_failed_at, last_failed_at) "
            "SELECT match_id, kind, reason, 1, $now, $now FROM batch_failures "
            "ON CONFLICT (match_id, kind) DO UPDATE SET reason = excluded.reason, "
            "attempts = failed_matches.attempts + 1, last_failed_at = excluded.last_failed_at",
            {"now": now},
        )
    finally:
        conn.unregister("batch_failures")


def can_stop_at_known(conn: duckdb.DuckDBPyConnection, match_type: str) -> bool:
    """Whether a walk of `match_type` may stop at the first match already stored.

    Only when everything older than the stored matches is known to be stored:
    an earlier walk of the same or a broader filter completed (a matchmaking
    walk proves nothing about custom games), and no walk of a filter sharing
    matches with this one was left unfinished since (it may have stored the
    newest matches and left gaps behind them).
    """
    states = {
        row[0]: bool(row[1])
        for row in conn.execute("SELECT match_type, walk_complete FROM sync_state").fetchall()
    }
    if any(states.get(t) is False for t in overlapping_match_types(match_type)):
        return False
    return any(states.get(t) for t in covering_match_types(match_type))


def mark_walk(conn: duckdb.DuckDBPyConnection, match_type: str, *, complete: bool) -> None:
    """Incomplete is written when a walk starts, so a crash leaves it incomplete.

    A completed walk stored every match of its filter, so the filters it
    covers (every one, for `all`) are complete too.
    """
    now = utc_now()
    conn.execute(
        "INSERT INTO sync_state (match_type, walk_complete, walk_started_at, walk_finished_at) "
        "VALUES ($type, $complete, $now, CASE WHEN $complete THEN $now END) "
        "ON CONFLICT (match_type) DO UPDATE SET walk_complete = excluded.walk_complete, "
        "walk_started_at = CASE WHEN $complete THEN sync_state.walk_started_at "
        "ELSE excluded.walk_started_at END, "
        "walk_finished_at = excluded.walk_finished_at",
        {"type": match_type, "complete": complete, "now": now},
    )
    narrower = [t for t in narrower_match_types(match_type) if t != match_type]
    if complete and narrower:
        conn.execute(
            "UPDATE sync_state SET walk_complete = true, walk_finished_at = $now "
            "WHERE list_contains($types, match_type) AND NOT walk_complete",
            {"types": narrower, "now": now},
        )


WalkState = tuple[bool, Any, Any] | None  # (walk_complete, started, finished); None: no row


def walk_state(conn: duckdb.DuckDBPyConnection, match_type: str) -> WalkState:
    """A filter's walk state as stored, to put back with `restore_walk`."""
    row = conn.execute(
        "SELECT walk_complete, walk_started_at, walk_finished_at FROM sync_state "
        "WHERE match_type = ?",
        [match_type],
    ).fetchone()
    return None if row is None else (bool(row[0]), row[1], row[2])


def restore_walk(conn: duckdb.DuckDBPyConnection, match_type: str, state: WalkState) -> None:
    """Put a filter's walk state back as `walk_state` read it (no row: none).

    For a run that stored nothing: what the earlier walks established still
    holds, so a sync that failed at sign-in, or whose first history page
    failed, does not cost the next one a walk of the whole history."""
    if state is None:
        conn.execute("DELETE FROM sync_state WHERE match_type = ?", [match_type])
        return
    conn.execute(
        "UPDATE sync_state SET walk_complete = ?, walk_started_at = ?, walk_finished_at = ? "
        "WHERE match_type = ?",
        [*state, match_type],
    )


def start_run(conn: duckdb.DuckDBPyConnection, command: str) -> str:
    """Record a run as "running"; runs still "running" become "abandoned".

    Only one process writes to a database at a time, so a run still marked
    running when another starts ended without recording its end (killed, or
    stopped by a disk that was full).
    """
    run_id = uuid.uuid4().hex
    conn.execute("UPDATE sync_runs SET status = 'abandoned' WHERE status = 'running'")
    conn.execute(
        "INSERT INTO sync_runs (run_id, command, started_at, status) VALUES (?, ?, ?, 'running')",
        [run_id, command, utc_now()],
    )
    return run_id


def finish_run(
    conn: duckdb.DuckDBPyConnection,
    run_id: str,
    *,
    status: str,
    seen: int,
    new: int,
    written: int,
    failed: int,
    details: dict,
) -> None:
    conn.execute(
        "UPDATE sync_runs SET finished_at = ?, status = ?, matches_seen = ?, matches_new = ?, "
        "matches_written = ?, matches_failed = ?, details = ? WHERE run_id = ?",
        [utc_now(), status, seen, new, written, failed, orjson.dumps(details).decode(), run_id],
    )
