"""Benchmark scenario 5: `levelup report` on a large history, the whole process, each output.

    python benchmarks/report_bench.py                     # 20,000 matches, 3 runs per output
    python benchmarks/report_bench.py --matches 500 --runs 1 --out /tmp/REPORT.md   # a smoke run

The dataset is the generator's history synced through the real path (every
participant, medal, mode-stat, team and skill row the sync stores, CSR
snapshots included). A database whose sync stored no skill rows (one made
with `--no-skill`, or before the skill sync existed) gets them in bulk SQL, in
the registry's tables and columns, so the rank, expectation and
toughest-opponent sections are always measured.

Each measured run is `python -m levelup report ...` in its own process, timed
from start to exit (interpreter start-up, imports, loading, figures,
rendering): the terminal report (stdout to a file), `--html`, and `--json`.
Target: at most 3 s each for 20,000 matches. Results go to
benchmarks/REPORT_RESULTS.md (or --out).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from importlib.metadata import version
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO / "src"))

import duckdb  # noqa: E402

from levelup.demo.generator import DEMO_OWNER, write_recorded_dir  # noqa: E402
from levelup.store.database import open_player_db, player_db_path  # noqa: E402
from levelup.store.schema import existing_columns, scalar, set_meta  # noqa: E402

TARGET_SECONDS = 3.0
TARGET_MATCHES = 20_000
OUTPUTS = {
    "terminal": [],
    "html": ["--html", "{work}/report.html"],
    "json": ["--json"],
}

# The skill tables of the contract (issue 11), for databases whose sync did not fill them.
SKILL_TABLES = {
    "match_skill": "match_id VARCHAR, xuid VARCHAR, result_code INTEGER, team_id INTEGER, "
    "team_mmr DOUBLE, pre_csr INTEGER, post_csr INTEGER, csr_change INTEGER, pre_tier VARCHAR, "
    "pre_sub_tier INTEGER, post_tier VARCHAR, post_sub_tier INTEGER, tier_start INTEGER, "
    "next_tier VARCHAR, next_tier_start INTEGER, matches_remaining INTEGER, "
    "initial_measurement_matches INTEGER, expected_kills DOUBLE, kills_stddev DOUBLE, "
    "expected_deaths DOUBLE, deaths_stddev DOUBLE",
    "match_team_skill": "match_id VARCHAR, team_id INTEGER, mmr DOUBLE",
    "csr_snapshots": "xuid VARCHAR, playlist_id VARCHAR, fetched_at TIMESTAMP, "
    "current_csr INTEGER, current_tier VARCHAR, current_sub_tier INTEGER, "
    "current_matches_remaining INTEGER, season_max_csr INTEGER, season_max_tier VARCHAR, "
    "season_max_sub_tier INTEGER, all_time_max_csr INTEGER, all_time_max_tier VARCHAR, "
    "all_time_max_sub_tier INTEGER",
}
TIER_SQL = (
    "CASE WHEN {c} >= 1500 THEN 'Onyx' WHEN {c} >= 1200 THEN 'Diamond' WHEN {c} >= 900 THEN "
    "'Platinum' WHEN {c} >= 600 THEN 'Gold' WHEN {c} >= 300 THEN 'Silver' ELSE 'Bronze' END"
)


def build_database(work: Path, matches: int) -> Path:
    """The generated history synced into `work/data` (reused when it is already there)."""
    from levelup.sources.recorded import RecordedSource
    from levelup.sync.sync import SyncOptions, sync_player

    db = player_db_path(work / "data", DEMO_OWNER.gamertag)
    if db.exists():
        return db
    recorded = work / "recorded"
    files = recorded / "matches"
    if (
        not files.is_dir()
        or sum(1 for _ in files.iterdir()) != matches
        or not (recorded / "skill").is_dir()
    ):
        print(f"generating {matches} matches ...", flush=True)
        write_recorded_dir(recorded, matches)  # deterministic: a kept directory is the same

    async def sync() -> int:
        source = RecordedSource(recorded)
        conn, _ = open_player_db(db)
        try:
            set_meta(conn, "owner_xuid", DEMO_OWNER.xuid)
            set_meta(conn, "owner_gamertag", DEMO_OWNER.gamertag)
            identity = await source.resolve_player(gamertag=DEMO_OWNER.gamertag)
            report = await sync_player(conn, source, identity, SyncOptions(progress=False))
            return report.matches_written
        finally:
            conn.close()
            await source.aclose()

    print("syncing ...", flush=True)
    started = time.perf_counter()
    asyncio.run(sync())
    print(f"synced in {time.perf_counter() - started:.1f} s", flush=True)
    return db


def add_skill_rows(db: Path) -> bool:
    """Skill rows in bulk SQL when the database has none; True when they were added."""
    conn = duckdb.connect(str(db))
    try:
        present = existing_columns(conn, "match_skill")
        if present and scalar(conn, "SELECT count(*) FROM match_skill"):
            return False
        for name, columns in SKILL_TABLES.items():
            if not existing_columns(conn, name):
                conn.execute(f"CREATE TABLE {name} ({columns})")
        owner = DEMO_OWNER.xuid
        conn.execute("BEGIN")
        # The owner's CSR walks with the results in matchmade PvP, per playlist.
        conn.execute(
            f"""
            INSERT INTO match_skill (match_id, xuid, result_code, team_id, team_mmr, pre_csr,
                post_csr, csr_change, pre_tier, pre_sub_tier, post_tier, post_sub_tier,
                matches_remaining, initial_measurement_matches, expected_kills, kills_stddev,
                expected_deaths, deaths_stddev)
            WITH ranked AS (
                SELECT match_id, team_id, kills, deaths, start_time, playlist_id,
                    CASE outcome WHEN 2 THEN 6 + (hash(match_id) % 9)::INTEGER WHEN 3 THEN -(5 + (hash(match_id) % 9)::INTEGER)
                        ELSE 0 END AS change,
                    row_number() OVER (PARTITION BY playlist_id ORDER BY start_time) AS n
                FROM match_stats
                WHERE lifecycle_mode = 3 AND coalesce(gameplay_interaction, 1) <> 2
            ), walked AS (
                SELECT *, 1350 + sum(change) OVER (PARTITION BY playlist_id ORDER BY start_time
                    ROWS UNBOUNDED PRECEDING) AS post
                FROM ranked
            )
            SELECT match_id, '{owner}', 0, team_id, post + ((hash(match_id) % 40)::INTEGER) - 20,
                CASE WHEN n > 5 THEN post - change END, CASE WHEN n >= 5 THEN post END,
                CASE WHEN n > 5 THEN change END,
                CASE WHEN n > 5 THEN {TIER_SQL.format(c="post - change")} END, 2,
                CASE WHEN n >= 5 THEN {TIER_SQL.format(c="post")} END, 2,
                greatest(0, 5 - n), 5,
                coalesce(kills, 10) * (0.8 + ((hash(match_id) % 40)::INTEGER) / 100.0), 4.0,
                coalesce(deaths, 10) * (0.8 + ((hash(match_id || 'd') % 40)::INTEGER) / 100.0), 4.0
            FROM walked
            """
        )
        conn.execute(
            f"""
            INSERT INTO match_skill (match_id, xuid, result_code, team_id, pre_csr, post_csr,
                csr_change, matches_remaining)
            SELECT p.match_id, p.xuid, 0, p.team_id, 900 + (hash(p.xuid) % 900)::INTEGER,
                900 + (hash(p.xuid) % 900)::INTEGER + ((hash(p.match_id) % 21)::INTEGER) - 10,
                ((hash(p.match_id) % 21)::INTEGER) - 10, 0
            FROM match_participants p JOIN match_skill s ON s.match_id = p.match_id
            WHERE p.xuid <> '{owner}' AND NOT p.is_bot AND s.xuid = '{owner}'
            """
        )
        conn.execute(
            f"""
            INSERT INTO match_team_skill (match_id, team_id, mmr)
            SELECT s.match_id, t.team_id, s.team_mmr + CASE WHEN t.team_id = s.team_id THEN 0
                ELSE ((hash(s.match_id || t.team_id::VARCHAR) % 120)::INTEGER) - 60 END
            FROM match_skill s JOIN (SELECT DISTINCT match_id, team_id FROM match_participants
                WHERE team_id IS NOT NULL) t ON t.match_id = s.match_id
            WHERE s.xuid = '{owner}'
            """
        )
        conn.execute(
            f"""
            INSERT INTO csr_snapshots (xuid, playlist_id, fetched_at, current_csr, current_tier,
                current_sub_tier, current_matches_remaining, season_max_csr, season_max_tier,
                season_max_sub_tier, all_time_max_csr, all_time_max_tier, all_time_max_sub_tier)
            SELECT '{owner}', playlist_id, TIMESTAMP '2025-03-02', max_by(post_csr, start_time),
                {TIER_SQL.format(c="max_by(post_csr, start_time)")}, 2, 0, max(post_csr),
                {TIER_SQL.format(c="max(post_csr)")}, 2, max(post_csr),
                {TIER_SQL.format(c="max(post_csr)")}, 2
            FROM match_skill JOIN match_stats USING (match_id)
            WHERE xuid = '{owner}' AND post_csr IS NOT NULL GROUP BY playlist_id
            """
        )
        conn.execute("COMMIT")
        return True
    finally:
        conn.close()


def sizes(db: Path) -> dict[str, int]:
    conn = duckdb.connect(str(db), read_only=True)
    try:
        counts = {}
        for table in ("match_stats", "match_participants", "match_medals", "match_mode_stats",
                      "match_skill", "match_team_skill"):  # fmt: skip
            counts[table] = int(scalar(conn, f"SELECT count(*) FROM {table}") or 0)
        return counts
    finally:
        conn.close()


def measure(work: Path, output: str, runs: int) -> dict:
    """`levelup report` as a user runs it, `runs` times; wall seconds from start to exit."""
    extra = [arg.format(work=work) for arg in OUTPUTS[output]]
    command = [sys.executable, "-m", "levelup", "report", "--player", DEMO_OWNER.gamertag,
               "--data-dir", str(work / "data"), "--tz", "UTC", *extra]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(REPO / "src"), "COLUMNS": "140"}
    seconds, cpu = [], []
    out_bytes = 0
    load = os.getloadavg()[0]
    for _ in range(runs):
        with open(work / f"out-{output}.txt", "wb") as sink:
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            started = time.perf_counter()
            result = subprocess.run(command, stdout=sink, stderr=subprocess.PIPE, env=env)
            seconds.append(time.perf_counter() - started)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
        if result.returncode != 0:
            raise SystemExit(f"report {output} failed:\n{result.stderr.decode()}")
        out_bytes = (work / f"out-{output}.txt").stat().st_size
    if output == "html":
        out_bytes = (work / "report.html").stat().st_size
    return {
        "seconds": statistics.median(seconds),
        "runs": seconds,
        "cpu_seconds": statistics.median(cpu),
        "load": load,
        "bytes": out_bytes,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024 / 1e6,
    }


def render(matches: int, counts: dict[str, int], synthetic: bool, results: dict, runs: int) -> str:
    measured_size = matches >= TARGET_MATCHES
    lines = [
        "# Report benchmark (scenario 5)",
        "",
        "Generated by `python benchmarks/report_bench.py"
        + ("" if (matches, runs) == (TARGET_MATCHES, 3) else f" --matches {matches} --runs {runs}")
        + f"` on {dt.date.today().isoformat()}; {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, duckdb {version('duckdb')}, polars {version('polars')}, "
        f"jinja2 {version('jinja2')}, rich {version('rich')}.",
        "",
        "Rows: "
        + ", ".join(f"{table} {n:,}" for table, n in counts.items())
        + (
            " (skill rows added by the benchmark in bulk SQL: the sync stored none)"
            if synthetic
            else ""
        )
        + ".",
        "",
        f"Each run is `python -m levelup report --player {DEMO_OWNER.gamertag}` in a new process, "
        f"timed from start to exit; median of {runs}. CPU = the process's user + system time "
        "(what it costs whatever else the machine runs); load = the 1-minute load average "
        "when the runs started.",
        "",
        "| output | wall (s) | runs (s) | CPU (s) | load | output size | peak RSS (MB) | target "
        "| status |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for output, r in results.items():
        ok = r["seconds"] <= TARGET_SECONDS
        status = ("met" if ok else "**missed**") if measured_size else "not measured at this size"
        lines.append(
            f"| {output} | {r['seconds']:.2f} | {', '.join(f'{s:.2f}' for s in r['runs'])} | "
            f"{r['cpu_seconds']:.2f} | {r['load']:.1f} | {r['bytes'] / 1e6:.2f} MB | {r['peak_rss_mb']:.0f} | <= {TARGET_SECONDS:.0f} s for "
            f"{TARGET_MATCHES:,} matches | {status} |"
        )
    analysis = HERE / "REPORT_ANALYSIS.md"
    if analysis.exists():
        lines += ["", analysis.read_text()]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--matches", type=int, default=TARGET_MATCHES)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--out", type=Path, default=HERE / "REPORT_RESULTS.md")
    parser.add_argument("--work", type=Path, help="keep (and reuse) the dataset here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="levelup-report-bench-") as tmp:
        work = args.work or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        db = build_database(work, args.matches)
        synthetic = add_skill_rows(db)
        counts = sizes(db)
        results = {}
        for output in OUTPUTS:
            results[output] = measure(work, output, args.runs)
            r = results[output]
            print(f"{output}: {r['seconds']:.2f} s (runs {', '.join(f'{s:.2f}' for s in r['runs'])})",
                  flush=True)  # fmt: skip
        args.out.write_text(render(args.matches, counts, synthetic, results, args.runs))
    print(f"results written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
