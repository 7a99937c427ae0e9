"""One benchmark scenario per process, so each peak RSS is the scenario's own.

Run by `benchmarks/run.py`; prints one JSON object on its last stdout line:
`{"matches": N, "seconds": S, "peak_rss_mb": M, ...}`.

Usage: python benchmarks/scenarios.py SCENARIO --work DIR [--sample N]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

import duckdb
import orjson

# Beside this script (its folder is first on sys.path): export and SQL, issue 14;
# the floor of scenario 1.
import ceiling
import warehouse_scenarios
from levelup.extract.match import extract_match, parse_match_json
from levelup.registry import table_spec
from levelup.sources.base import PlayerIdentity
from levelup.sources.recorded import INDEX_FILE_NAME, RecordedDirectory, RecordedSource
from levelup.store.database import connect, open_player_db
from levelup.store.schema import migrate
from levelup.sync.backfill import BackfillRequest, backfill_player, select_matches
from levelup.sync.backfill_options import CLI_OPTIONS, OPTIONS_BY_NAME
from levelup.sync.sync import SyncOptions, sync_player


def _peak_rss_mb() -> float:
    """This process's peak resident set, in MB (10^6 bytes; Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6


def _owner(work: Path) -> PlayerIdentity:
    meta = orjson.loads((work / "owner.json").read_bytes())
    return PlayerIdentity(xuid=meta["xuid"], gamertag=meta["gamertag"])


async def _sync(recorded: Path, db: Path, owner: PlayerIdentity, *, skill: bool = True) -> dict:
    source = RecordedSource(recorded)
    conn, _ = open_player_db(db)
    try:
        started, cpu = time.perf_counter(), ceiling.process_cpu()
        # The whole `levelup sync` path: walk, fetch, parse, extract, write, names.
        report = await sync_player(conn, source, owner, SyncOptions(progress=False, skill=skill))
        seconds, cpu = time.perf_counter() - started, ceiling.process_cpu() - cpu
    finally:
        conn.close()
        await source.aclose()
    return {
        "matches": report.matches_written,
        "participants": report.participants_written,
        # Matchmade matches carry their skill document too (generated `skill/`).
        "skill_documents": report.skill.stored,
        "seconds": seconds,
        # Every thread's CPU (user + system), DuckDB's included: `ceiling.py` compares it.
        "cpu_seconds": cpu,
        "failed": report.matches_failed + report.skill.failed,
    }


def _build_index(recorded: Path) -> dict:
    """The recorded directory's match index built from scratch (a first sync does this)."""
    (recorded / INDEX_FILE_NAME).unlink(missing_ok=True)
    started = time.perf_counter()
    count = RecordedDirectory(recorded).build_index()
    return {"matches": count, "seconds": time.perf_counter() - started}


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
    stats_cols = list(table_spec("match_stats").columns)
    part_cols = list(table_spec("match_participants").columns)
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
                "INSERT OR REPLACE INTO match_documents (match_id, kind, body) VALUES (?, 'stats', ?)",
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


def _padded_copy(source: Path, target: Path, rows: int, *, migrated: bool) -> int:
    """A copy of a database whose match_participants holds at least `rows` rows.

    The selection target is stated for 200,000 participant rows; the generator's
    ~8 players per match give ~160,000 for 20,000 matches, so existing rows are
    repeated under new match ids until there are enough.
    """
    shutil.copy(source, target)
    conn = connect(target)
    try:
        if migrated:
            migrate(conn)
        have = conn.execute("SELECT count(*) FROM match_participants").fetchall()[0][0]
        copy = 0
        while have < rows:
            copy += 1
            conn.execute(
                "INSERT INTO match_participants BY NAME SELECT * REPLACE "
                "(match_id || $suffix AS match_id) FROM match_participants LIMIT $n",
                {"suffix": f"~{copy}", "n": rows - have},
            )
            have = conn.execute("SELECT count(*) FROM match_participants").fetchall()[0][0]
        return have
    finally:
        conn.close()


CLI_NAMES = {option.name for option in CLI_OPTIONS}


def _selection_times(db: Path) -> dict[str, float]:
    """Median of 5 of each option's selection query, as run (`select_matches`), in ms."""
    conn = connect(db)
    timings: dict[str, float] = {}
    try:
        for option in OPTIONS_BY_NAME.values():
            for forced in (False, True) if option.has_force else (False,):
                runs = []
                for _ in range(5):
                    started = time.perf_counter()
                    select_matches(conn, option, forced)
                    runs.append((time.perf_counter() - started) * 1000)
                label = option.force_flag if forced else option.flag
                if option.name not in CLI_NAMES:  # switched on by another option
                    label = f"{label} (implied)"
                timings[label] = statistics.median(runs)
    finally:
        conn.close()
    return timings


def _selection(work: Path, rows: int) -> dict:
    """Selection queries on the synced database (nothing to do) and on the old-layout
    one after migration (everything to do), both padded to `rows` participant rows."""
    synced = _padded_copy(work / "sync.duckdb", work / "selection_synced.duckdb", rows,
                          migrated=False)  # fmt: skip
    old = _padded_copy(work / "old.duckdb", work / "selection_old.duckdb", rows, migrated=True)
    return {
        "participant_rows": {"synced": synced, "old": old},
        "synced_ms": _selection_times(work / "selection_synced.duckdb"),
        "old_ms": _selection_times(work / "selection_old.duckdb"),
        "matches": 0,
        "seconds": 0.0,
    }


def _sync_process(work: Path) -> dict:
    """The whole `levelup sync --source DIR` as a user runs it (start-up included), into a
    fresh data dir, the recorded directory's index already built."""
    owner = _owner(work)
    data = work / "process_data"
    shutil.rmtree(data, ignore_errors=True)
    command = [
        sys.executable, "-m", "levelup", "sync", "--player", owner.gamertag or owner.xuid,
        "--xuid", owner.xuid, "--source", str(work / "recorded"), "--data-dir", str(data), "--json",
    ]  # fmt: skip
    started = time.perf_counter()
    child = subprocess.run(command, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if child.returncode != 0:
        raise SystemExit(f"levelup sync failed ({child.returncode}):\n{child.stderr}")
    report = orjson.loads(child.stdout.strip().splitlines()[-1])
    return {"matches": report["matches_written"], "seconds": seconds}


def _through_fake(work: Path, rate: float | str, limit: float | None = None) -> dict:
    """`levelup sync --source api` in a child process against the fake Waypoint server
    (in this process, so its request log can be read), paced at `rate` requests/s
    ("auto": adaptive), the fake limited to `limit` requests/s when given."""
    from levelup.testing.fake_waypoint import FakeWaypoint

    owner = _owner(work)
    token = f"bench-{uuid.uuid4().hex}"
    data = work / "fake_data"
    shutil.rmtree(data, ignore_errors=True)
    with FakeWaypoint.start_in_thread(work / "recorded_fake", rate_limit=limit) as fake:
        fake.accept_token(token)
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("SPNKR_", "LEVELUP_"))},
            "LEVELUP_HOST_MAP": json.dumps(fake.host_map()),
            "LEVELUP_CONFIG_DIR": str(work / "fake_config"),
            "SPNKR_SPARTAN_TOKEN": token,
            "SPNKR_CLEARANCE_TOKEN": f"clearance-{token}",
        }
        command = [
            sys.executable, "-m", "levelup", "sync", "--player", owner.gamertag or owner.xuid,
            "--source", "api", "--requests-per-second", str(rate), "--data-dir", str(data),
            "--json",
        ]  # fmt: skip
        started = time.perf_counter()
        child = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        seconds = time.perf_counter() - started
        records = fake.requests
    if child.returncode != 0:
        raise SystemExit(f"levelup sync over HTTP failed ({child.returncode}):\n{child.stderr}")
    report = orjson.loads(child.stdout.strip().splitlines()[-1])
    starts = sorted(r.start for r in records)
    span = starts[-1] - starts[0] if len(starts) > 1 else 0.0
    stats_200 = Counter(
        r.path.split("/")[3] for r in records if r.path.endswith("/stats") and r.status == 200
    )
    skill_200 = Counter(
        r.path.split("/")[3] for r in records if r.path.endswith("/skill") and r.status == 200
    )
    with duckdb.connect(str(next(data.glob("players/*/stats.duckdb"))), read_only=True) as conn:
        written = {row[0] for row in conn.execute("SELECT match_id FROM match_stats").fetchall()}
        matchmade = {
            row[0]
            for row in conn.execute(
                "SELECT match_id FROM match_stats WHERE lifecycle_mode = 3"
            ).fetchall()
        }
        with_skill = {
            row[0]
            for row in conn.execute(
                "SELECT match_id FROM match_documents WHERE kind = 'skill'"
            ).fetchall()
        }
    # Exactly one 200 per (match, kind): stats for every match, skill for every matchmade one.
    one_each = (
        set(stats_200) == written
        and set(stats_200.values()) == {1}
        and set(skill_200) == matchmade == with_skill
        and set(skill_200.values()) <= {1}
    )
    if not one_each:
        raise SystemExit(
            f"expected exactly one 200 response per (match, kind): {len(written)} matches "
            f"written, {sum(stats_200.values())} stats responses for {len(stats_200)} matches, "
            f"{sum(skill_200.values())} skill responses for {len(skill_200)} of "
            f"{len(matchmade)} matchmade matches"
        )
    if limit is not None:
        return {
            "matches": report["matches_written"],
            "seconds": seconds,
            **_limited_run(records, limit),
            "pace": report.get("pace", {}),
            "one_200_per_match": one_each,
            "failed": report["matches_failed"],
        }
    return {
        "matches": report["matches_written"],
        "seconds": seconds,
        "sync_seconds": report["elapsed_seconds"],
        "requests": len(starts),
        "achieved_rate": (len(starts) - 1) / span if span else 0.0,
        "configured_rate": rate,
        "stats_200": sum(stats_200.values()),
        "skill_200": sum(skill_200.values()),
        "one_200_per_match": one_each,
        "max_starts_in_1s": max(sum(1 for t in starts if s <= t < s + 1.0) for s in starts),
        "failed": report["matches_failed"],
        "child_peak_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024 / 1e6,
    }


def _limited_run(records: list, limit: float) -> dict:
    """Rates measured at the fake against its hidden limit: accepted requests per
    second over the whole run, the share answered 429, and the longest stall after
    a 429 beyond the Retry-After it gave (from the answer to the next request start)."""
    halo = sorted((r for r in records if r.host != "settings.svc.halowaypoint.com"),
                  key=lambda r: r.start)  # fmt: skip
    starts = [r.start for r in halo]
    span = starts[-1] - starts[0] if len(starts) > 1 else 0.0
    accepted = sum(1 for r in halo if r.status != 429)
    limited = [r for r in halo if r.status == 429]
    excess = 0.0
    for r in limited:
        later = [t for t in starts if t > (r.end or r.start)]
        if later:
            excess = max(excess, later[0] - (r.end or r.start) - (r.retry_after or 0.0))
    # Sustained: while the match stats are fetched (the pipeline's busy phase),
    # every request in that window counted, history pages included.
    stats = [r.start for r in halo if r.path.endswith("/stats")]
    first, last = (stats[0], stats[-1]) if stats else (0.0, 0.0)
    busy = [r for r in halo if first <= r.start <= last and r.status != 429]
    return {
        "requests": len(halo),
        "limit": limit,
        "accepted_rate": (accepted - 1) / span if span else 0.0,
        "sustained_rate": (len(busy) - 1) / (last - first) if last > first else 0.0,
        "limited": len(limited),
        "limited_share": len(limited) / len(halo) if halo else 0.0,
        "max_stall_beyond_retry_after": excess,
        "max_retry_after": max((r.retry_after or 0.0 for r in limited), default=0.0),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("scenario", choices=["index", "sync", "backfill_stored", "backfill_old",
                                             "baseline_sync", "baseline_backfill", "selection",
                                             "fake", "fake_auto", "prepare_old", "warehouse_prepare",
                                             "export", "sql", "backfill_details",
                                             "sync_process", "sync_no_skill",
                                             "ceiling"])  # fmt: skip
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--sample", type=int, default=200)
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--players", type=int, default=5)
    parser.add_argument("--sql-matches", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--limit", type=float, default=20.0)
    args = parser.parse_args()
    work: Path = args.work
    owner = _owner(work) if (work / "owner.json").exists() else None
    if args.scenario == "index":
        result = _build_index(work / "recorded")
    elif args.scenario == "sync":
        db = work / "sync.duckdb"
        if db.exists():
            db.unlink()
        result = asyncio.run(_sync(work / "recorded", db, owner))
    elif args.scenario == "sync_no_skill":  # scenario 1 with `--no-skill`, its own database
        db = work / "sync_no_skill.duckdb"
        db.unlink(missing_ok=True)
        result = asyncio.run(_sync(work / "recorded", db, owner, skill=False))
        db.unlink()
    elif args.scenario == "ceiling":
        result = ceiling.ceiling(work)
    elif args.scenario == "backfill_stored":
        result = asyncio.run(_backfill(work / "sync.duckdb", owner,
                                       {"shots": True, "participants_shots": True}, None))  # fmt: skip
    elif args.scenario == "backfill_details":
        details = {"medals": True, "mode_stats": True, "personal_scores": True, "teams": True}
        result = asyncio.run(_backfill(work / "sync.duckdb", owner, details, None))
    elif args.scenario == "sync_process":
        result = _sync_process(work)
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
        result = _selection(work, args.rows)
    elif args.scenario == "warehouse_prepare":
        result = warehouse_scenarios.prepare(work, args.players, args.sql_matches)
    elif args.scenario == "export":
        result = warehouse_scenarios.export(work)
    elif args.scenario == "sql":
        result = warehouse_scenarios.sql(work, args.runs)
    elif args.scenario == "fake_auto":
        result = _through_fake(work, "auto", args.limit)
    else:
        result = _through_fake(work, args.rate)
    result["peak_rss_mb"] = round(_peak_rss_mb(), 1)
    sys.stdout.write(orjson.dumps(result).decode() + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
