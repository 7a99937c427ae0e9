"""One benchmark scenario per process, so each peak RSS is the scenario's own.

Run by `benchmarks/run.py`; prints one JSON object on its last stdout line:
`{"matches": N, "seconds": S, "peak_rss_mb": M, ...}`.

Usage: python benchmarks/scenarios.py SCENARIO --work DIR [--sample N]
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import sys
import time
import uuid
from pathlib import Path

import duckdb
import orjson

from levelup.sources.base import PlayerIdentity
from levelup.sources.recorded import RecordedSource
from levelup.store.database import connect, open_player_db
from levelup.store.schema import migrate
from levelup.sync.backfill import BackfillRequest, backfill_player, select_matches
from levelup.sync.backfill_options import OPTIONS_BY_NAME
from levelup.sync.models import PARTICIPANT_COLUMNS, STATS_COLUMNS
from levelup.sync.sync import SyncOptions, sync_player
from levelup.sync.transformers import extract_match, parse_match_json


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _owner(work: Path) -> PlayerIdentity:
    meta = orjson.loads((work / "owner.json").read_bytes())
    return PlayerIdentity(xuid=meta["xuid"], gamertag=meta["gamertag"])


async def _sync(recorded: Path, db: Path, owner: PlayerIdentity) -> dict:
    source = RecordedSource(recorded)
    conn, _ = open_player_db(db)
    try:
        started = time.perf_counter()
        report = await sync_player(conn, source, owner, SyncOptions(fetch_names=False))
        seconds = time.perf_counter() - started
    finally:
        conn.close()
        await source.aclose()
    return {"matches": report.matches_written, "seconds": seconds, "failed": report.matches_failed}


async def _backfill(
    db: Path, owner: PlayerIdentity, options: dict[str, bool], recorded: Path | None
) -> dict:
    conn = connect(db)
    migrate(conn)
    source = RecordedSource(recorded) if recorded else None

    def provider():
        if source is None:
            raise RuntimeError("the benchmark expected every JSON to be stored")
        return source

    try:
        started = time.perf_counter()
        report = await backfill_player(
            conn, player="bench", owner_xuid=owner.xuid,
            request=BackfillRequest(options=options), source_provider=provider,
        )  # fmt: skip
        seconds = time.perf_counter() - started
    finally:
        conn.close()
        if source is not None:
            await source.aclose()
    return {
        "matches": report.matches_processed,
        "seconds": seconds,
        "failed": len(report.failures),
        "read_from_store": report.read_from_store,
        "fetched": report.fetched_from_source,
        **report.counters,
    }


def make_old_layout(source_db: Path, target: Path) -> None:
    """The plan's original layout from a synced database, in bulk: shots NULL in
    match_stats, ten columns in match_participants, no JSON, no LevelUp tables."""
    if target.exists():
        target.unlink()
    conn = duckdb.connect(str(target))
    try:
        conn.execute(f"ATTACH '{source_db}' AS src (READ_ONLY)")
        conn.execute(
            "CREATE TABLE match_stats AS SELECT match_id, start_time, playlist_id, map_id, "
            "outcome, kills, deaths, assists, kda, accuracy::FLOAT AS accuracy, "
            "NULL::INTEGER AS shots_fired, NULL::INTEGER AS shots_hit FROM src.match_stats"
        )
        conn.execute(
            "CREATE TABLE match_participants AS SELECT match_id, xuid, team_id, outcome, "
            "gamertag, rank, score, kills, deaths, assists FROM src.match_participants"
        )
        conn.execute("ALTER TABLE match_stats ADD PRIMARY KEY (match_id)")
        conn.execute("ALTER TABLE match_participants ADD PRIMARY KEY (match_id, xuid)")
        conn.execute("DETACH src")
    finally:
        conn.close()


def _sample_ids(db: Path, count: int) -> list[str]:
    with duckdb.connect(str(db), read_only=True) as conn:
        rows = conn.execute(
            "SELECT match_id FROM match_stats ORDER BY match_id LIMIT ?", [count]
        ).fetchall()
    return [r[0] for r in rows]


def _baseline(kind: str, work: Path, sample: int) -> dict:
    """The original code's write pattern: one autocommitted statement per row.

    Same parsing and extraction as the real path; only the writes differ.
    """
    owner = _owner(work)
    recorded = work / "recorded"
    ids = _sample_ids(work / "sync.duckdb", sample)
    bodies = {m: (recorded / "matches" / f"{m}.json").read_bytes() for m in ids}
    db = work / f"baseline_{kind}.duckdb"
    if kind == "sync":
        if db.exists():
            db.unlink()
        conn, _ = open_player_db(db)
    else:
        make_old_layout(work / "sync.duckdb", db)
        conn = connect(db)
        migrate(conn)
    stats_cols = list(STATS_COLUMNS)
    part_cols = list(PARTICIPANT_COLUMNS)
    insert_stats = f"INSERT OR REPLACE INTO match_stats ({', '.join(stats_cols)}) VALUES ({', '.join('?' * len(stats_cols))})"
    insert_part = f"INSERT OR REPLACE INTO match_participants ({', '.join(part_cols)}) VALUES ({', '.join('?' * len(part_cols))})"
    started = time.perf_counter()
    for match_id in ids:
        raw = bodies[match_id]
        match = extract_match(parse_match_json(raw), owner.xuid)
        assert match.stats is not None
        if kind == "sync":
            conn.execute(insert_stats, [getattr(match.stats, c) for c in stats_cols])
            for row in match.participants:
                conn.execute(insert_part, [getattr(row, c) for c in part_cols])
            conn.execute(
                "INSERT OR REPLACE INTO match_json (match_id, body) VALUES (?, ?)",
                [match_id, raw.decode()],
            )
        else:
            s = match.stats
            conn.execute(
                "UPDATE match_stats SET shots_fired = ?, shots_hit = ?, accuracy = ? WHERE match_id = ?",
                [s.shots_fired, s.shots_hit, s.accuracy, match_id],
            )
            for row in match.participants:
                conn.execute(
                    "UPDATE match_participants SET shots_fired = ?, shots_hit = ?, accuracy = ? "
                    "WHERE match_id = ? AND xuid = ?",
                    [row.shots_fired, row.shots_hit, row.accuracy, match_id, row.xuid],
                )
    seconds = time.perf_counter() - started
    conn.close()
    return {"matches": len(ids), "seconds": seconds}


def _selection(work: Path) -> dict:
    """Median time of each option's selection query on the synced database."""
    conn = connect(work / "sync.duckdb", read_only=True)
    timings = {}
    try:
        participants = conn.execute("SELECT count(*) FROM match_participants").fetchall()[0][0]
        for name, option in OPTIONS_BY_NAME.items():
            runs = []
            for forced in (False,):
                for _ in range(5):
                    started = time.perf_counter()
                    select_matches(conn, option, forced)
                    runs.append((time.perf_counter() - started) * 1000)
            timings[name] = sorted(runs)[len(runs) // 2]
    finally:
        conn.close()
    return {"participant_rows": participants, "selection_ms": timings, "matches": 0, "seconds": 0.0}


async def _through_fake(work: Path, rate: float) -> dict:
    from levelup.sources.fake_waypoint import FakeWaypoint
    from levelup.sources.waypoint import WaypointSource

    recorded = work / "recorded_fake"
    owner = _owner(work)
    fake = FakeWaypoint(recorded)
    await fake.start()
    token = f"bench-{uuid.uuid4().hex}"
    fake.accept_token(token)
    db = work / "fake.duckdb"
    if db.exists():
        db.unlink()
    source = WaypointSource.from_environment(
        requests_per_second=rate, concurrency=4, host_map=fake.host_map(),
        env={"SPNKR_SPARTAN_TOKEN": token, "SPNKR_CLEARANCE_TOKEN": "bench-clearance"},
    )  # fmt: skip
    conn, _ = open_player_db(db)
    try:
        started = time.perf_counter()
        report = await sync_player(conn, source, owner, SyncOptions(fetch_names=False))
        seconds = time.perf_counter() - started
    finally:
        conn.close()
        await source.aclose()
        await fake.close()
    starts = sorted(r.start for r in fake.requests)
    span = starts[-1] - starts[0] if len(starts) > 1 else 0.0
    achieved = (len(starts) - 1) / span if span else 0.0
    stats_ok = fake.count(r"/hi/matches/.*/stats", status=200)
    windows = max(sum(1 for t in starts if s <= t < s + 1.0) for s in starts) if starts else 0
    return {
        "matches": report.matches_written,
        "seconds": seconds,
        "requests": len(starts),
        "achieved_rate": achieved,
        "configured_rate": rate,
        "stats_200": stats_ok,
        "max_starts_in_1s": windows,
        "failed": report.matches_failed,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("scenario", choices=["sync", "backfill_stored", "backfill_old", "baseline_sync",
                                             "baseline_backfill", "selection", "fake", "prepare_old"])  # fmt: skip
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--sample", type=int, default=200)
    parser.add_argument("--rate", type=float, default=50.0)
    args = parser.parse_args()
    work: Path = args.work
    owner = _owner(work) if (work / "owner.json").exists() else None
    if args.scenario == "sync":
        db = work / "sync.duckdb"
        if db.exists():
            db.unlink()
        result = asyncio.run(_sync(work / "recorded", db, owner))
    elif args.scenario == "backfill_stored":
        result = asyncio.run(_backfill(work / "sync.duckdb", owner,
                                       {"shots": True, "participants_shots": True}, None))  # fmt: skip
    elif args.scenario == "prepare_old":
        make_old_layout(work / "sync.duckdb", work / "old.duckdb")
        result = {"matches": 0, "seconds": 0.0}
    elif args.scenario == "backfill_old":
        db = work / "old.duckdb"
        result = asyncio.run(_backfill(db, owner, {"shots": False, "participants_shots": False},
                                       work / "recorded"))  # fmt: skip
    elif args.scenario == "baseline_sync":
        result = _baseline("sync", work, args.sample)
    elif args.scenario == "baseline_backfill":
        result = _baseline("backfill", work, args.sample)
    elif args.scenario == "selection":
        result = _selection(work)
    else:
        result = asyncio.run(_through_fake(work, args.rate))
    result["peak_rss_mb"] = round(_peak_rss_mb(), 1)
    sys.stdout.write(orjson.dumps(result).decode() + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
