"""LevelUp benchmarks: ingest and backfill near the machine's limit, side by side.

    python benchmarks/run.py                  # 20,000 generated matches, 3 runs each
    python benchmarks/run.py --matches 5000 --runs 1
    python benchmarks/run.py --quick --out /tmp/RESULTS.md   # a smoke run (200 matches)

Scenarios (each in its own process, so peak RSS is the scenario's own):
  1. sync of the whole dataset from a recorded-responses directory into an empty database;
  2. backfill --force-shots --force-participants-shots from the stored JSON;
  3. backfill --shots --participants-shots on a database in the old layout, JSON in a
     recorded-responses directory;
  4. sync of 500 matches through the fake Waypoint server at 50 requests/s;
  4b. the same with `--requests-per-second auto` against a fake limited to 20 requests/s.
Scenario 1 also runs once with `--no-skill`, and its floor is measured (`ceiling.py`: the
CPU no extractor can avoid, and the rate it allows on this machine's cores).
Scenarios 1-3 are compared with a baseline that writes the same rows one autocommitted
statement per row (the plan's original code) on a fixed 200-match sample. Each scenario
also runs once on documents cloned from ../shared/fixtures/halo_api when it exists.
Results go to benchmarks/RESULTS.md (or --out).
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import io
import os
import platform
import pstats
import statistics
import subprocess
import sys
import tempfile
from importlib.metadata import version
from pathlib import Path

import orjson

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
FIXTURES = REPO.parent / "shared" / "fixtures" / "halo_api"
sys.path.insert(0, str(REPO / "src"))

import ceiling  # noqa: E402  (beside this script: scenario 1's floor)
import warehouse_scenarios  # noqa: E402  (beside this script: export and SQL, issue 14)
from levelup.demo.generator import DEMO_OWNER, write_recorded_dir  # noqa: E402

FIXTURE_OWNER = "2535445291321133"
TARGETS = {"sync": 2000.0, "backfill_stored": 3000.0, "backfill_old": 3000.0}
RSS_TARGET_MB = 400.0
RATIO_TARGET = 50.0
# The sizes the targets are set for. On fewer matches the fixed costs (process and
# database start-up, the first batch, the gaps between the walk's phases) weigh too
# much for a rate to say anything, so a smaller run reports its numbers without a verdict.
TARGET_MATCHES = 20000
TARGET_FAKE_MATCHES = 500
NOT_MEASURED = "not measured at this size"


def scenario(name: str, work: Path, *extra: str) -> dict:
    result = subprocess.run(
        [sys.executable, str(HERE / "scenarios.py"), name, "--work", str(work), *extra],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if result.returncode != 0:
        raise SystemExit(f"scenario {name} failed:\n{result.stderr}")
    return orjson.loads(result.stdout.strip().splitlines()[-1])


def generated_dataset(work: Path, count: int) -> dict:
    summary = write_recorded_dir(work / "recorded", count)
    (work / "owner.json").write_bytes(
        orjson.dumps({"xuid": DEMO_OWNER.xuid, "gamertag": DEMO_OWNER.gamertag})
    )
    return {"mean_compact": summary.mean_document_bytes, "mean_file": summary.mean_file_bytes}


def fixture_dataset(work: Path, count: int) -> dict:
    """The recorded fixtures cloned `count` times with new ids and times, owner kept."""
    docs = [orjson.loads(p.read_bytes()) for p in sorted(FIXTURES.glob("get_match_stats*.json"))]
    matches = work / "recorded" / "matches"
    matches.mkdir(parents=True, exist_ok=True)
    start = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    sizes = []
    for i in range(count):
        doc = dict(docs[i % len(docs)])
        doc["MatchId"] = f"00000000-0000-4000-8000-{i:012d}"
        doc["MatchInfo"] = dict(
            doc["MatchInfo"],
            StartTime=(start - dt.timedelta(hours=i)).isoformat().replace("+00:00", "Z"),
        )
        raw = orjson.dumps(doc, option=orjson.OPT_INDENT_2)
        sizes.append(len(raw))
        (matches / f"{doc['MatchId']}.json").write_bytes(raw)
    (work / "recorded" / "players.json").write_bytes(
        orjson.dumps([{"gamertag": "Fixture", "xuid": FIXTURE_OWNER}])
    )
    (work / "owner.json").write_bytes(orjson.dumps({"xuid": FIXTURE_OWNER, "gamertag": "Fixture"}))
    return {"mean_file": statistics.mean(sizes)}


def fixture_sizes() -> dict:
    if not FIXTURES.is_dir():
        return {}
    raws = [p.read_bytes() for p in sorted(FIXTURES.glob("get_match_stats*.json"))]
    return {
        "mean_file": statistics.mean(len(r) for r in raws),
        "mean_compact": statistics.mean(len(orjson.dumps(orjson.loads(r))) for r in raws),
    }


def median_of(runs: list[dict]) -> dict:
    rates = sorted(r["matches"] / r["seconds"] for r in runs)
    middle = runs[[r["matches"] / r["seconds"] for r in runs].index(rates[len(rates) // 2])]
    return {
        **middle,
        "rate": rates[len(rates) // 2],
        "rates": rates,
        "peak_rss_mb": max(r["peak_rss_mb"] for r in runs),
    }


def profile_sync(work: Path, count: int) -> str:
    """Where the main thread's time goes in scenario 1: cProfile of a sync of the
    newest `count` matches, top functions by own time."""
    import asyncio

    from levelup.sources.recorded import RecordedSource
    from levelup.store.database import open_player_db
    from levelup.sync.sync import SyncOptions, sync_player

    owner = orjson.loads((work / "owner.json").read_bytes())
    db = work / "profile.duckdb"
    db.unlink(missing_ok=True)

    async def go() -> None:
        from levelup.sources.base import PlayerIdentity

        conn, _ = open_player_db(db)
        try:
            await sync_player(
                conn,
                RecordedSource(work / "recorded"),
                PlayerIdentity(owner["xuid"], owner["gamertag"]),
                SyncOptions(max_matches=count, progress=False),
            )
        finally:
            conn.close()

    profiler = cProfile.Profile()
    profiler.enable()
    asyncio.run(go())
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(14)
    lines = [ln for ln in out.getvalue().splitlines() if ln.strip()]
    start = next(i for i, ln in enumerate(lines) if "ncalls" in ln)
    return "\n".join(lines[start : start + 15])


def machine() -> dict:
    meminfo = Path("/proc/meminfo").read_text().splitlines()
    mem_kb = next(int(line.split()[1]) for line in meminfo if line.startswith("MemTotal"))
    return {
        "cores": os.cpu_count(),
        "memory_gib": round(mem_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        **{
            lib: version(lib)
            for lib in ("duckdb", "polars", "pyarrow", "orjson", "spnkr", "aiohttp")
        },
    }


def run_scenarios(gen: Path, runs: int) -> dict[str, dict]:
    """Scenarios 1-3, `runs` times each, every run in a fresh process."""
    results: dict[str, dict] = {}
    for name in ("sync", "backfill_stored", "backfill_old", "backfill_details", "sync_process"):
        measured = []
        for i in range(runs):
            if name == "backfill_old":
                scenario("prepare_old", gen)  # set-up, outside the measured process
            measured.append(scenario(name, gen))
            last = measured[-1]
            print(f"{name} run {i + 1}: {last['matches'] / last['seconds']:.0f} matches/s, "
                  f"{last['seconds']:.2f} s, peak RSS {last['peak_rss_mb']:.0f} MB", flush=True)  # fmt: skip
        results[name] = median_of(measured)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--matches", type=int, default=20000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--fake-matches", type=int, default=500)
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument(
        "--fake-limit", type=float, default=20.0, help="the fake's hidden limit in scenario 4b"
    )
    parser.add_argument(
        "--quick", action="store_true", help="200 matches, 1 run, 60 through the fake"
    )
    parser.add_argument(
        "--out", type=Path, help="default: RESULTS.md, or EXPORT_RESULTS.md with --only warehouse"
    )
    parser.add_argument("--work", type=Path, help="keep the datasets here (default: a temp dir)")
    parser.add_argument("--sql-players", type=int, default=5, help="players of the SQL scenario")
    parser.add_argument("--sql-matches", type=int, default=5000, help="matches per SQL player")
    parser.add_argument(
        "--only",
        choices=["all", "warehouse"],
        default="all",
        help="'warehouse': only the export and SQL scenarios (after one sync of the dataset)",
    )
    args = parser.parse_args()
    if args.quick:
        args.matches, args.runs, args.fake_matches = 200, 1, 60
        args.sql_matches = 40
    if args.out is None:
        args.out = HERE / ("EXPORT_RESULTS.md" if args.only == "warehouse" else "RESULTS.md")
    if args.only == "warehouse":
        return warehouse_only(args)
    sample = min(200, args.matches)
    with tempfile.TemporaryDirectory(prefix="levelup-bench-") as tmp:
        root = args.work or Path(tmp)
        gen = root / "generated"
        print(f"generating {args.matches} matches ...", flush=True)
        sizes = generated_dataset(gen, args.matches)
        # A first sync from a fresh directory builds its match index: measured on
        # its own, so that scenario 1 measures the sync itself in every run.
        index = scenario("index", gen)
        print(f"index: {index['matches']} matches in {index['seconds']:.2f} s", flush=True)
        results = run_scenarios(gen, args.runs)
        results["sync_no_skill"] = scenario("sync_no_skill", gen)
        floor = scenario("ceiling", gen)  # on the database scenario 1 left
        print(f"ceiling: {floor['with_skill']['ceiling']:.0f} matches/s with skill, "
              f"{floor['without_skill']['ceiling']:.0f} without", flush=True)  # fmt: skip
        results["baseline_sync"] = scenario("baseline_sync", gen, "--sample", str(sample))
        results["baseline_backfill"] = scenario("baseline_backfill", gen, "--sample", str(sample))
        scenario("prepare_old", gen)
        rows = 200_000 if not args.quick else 2_000
        selection = scenario("selection", gen, "--rows", str(rows))
        where = (
            profile_sync(gen, min(args.matches, 3000)) if not args.quick else "(skipped in --quick)"
        )
        write_recorded_dir(gen / "recorded_fake", args.fake_matches)
        fake = scenario("fake", gen, "--rate", str(args.rate))
        print(
            f"fake: {fake['achieved_rate']:.1f}/{args.rate} req/s, {fake['stats_200']} stats 200s "
            f"for {fake['matches']} matches",
            flush=True,
        )
        auto = scenario("fake_auto", gen, "--limit", str(args.fake_limit))
        print(
            f"auto: {auto['sustained_rate']:.1f} accepted req/s against a hidden limit of "
            f"{args.fake_limit:g}, {100 * auto['limited_share']:.1f}% answered 429",
            flush=True,
        )
        fake["auto"] = auto
        warehouse = run_warehouse(gen, args)
        fixture_results = {}
        if FIXTURES.is_dir():
            fix = root / "fixtures"
            fixture_dataset(fix, min(args.matches, 5000))
            scenario("index", fix)
            for name in ("sync", "backfill_stored", "backfill_old", "backfill_details",
                         "sync_process"):  # fmt: skip
                if name == "backfill_old":
                    scenario("prepare_old", fix)
                fixture_results[name] = scenario(name, fix)
        report = render(
            args,
            sizes,
            index,
            results,
            selection,
            fake,
            fixture_results,
            where,
            sample,
            warehouse,
            floor,
        )
    args.out.write_text(report)
    print(f"results written to {args.out}")
    return 0


def run_warehouse(gen: Path, args: argparse.Namespace) -> list[str]:
    """Export and SQL (issue 14) on the synced dataset: its RESULTS.md section."""
    scenario("warehouse_prepare", gen, "--players", str(args.sql_players),
             "--sql-matches", str(args.sql_matches))  # fmt: skip
    exported = scenario("export", gen)
    print(f"export: {exported['matches'] / exported['seconds']:.0f} matches/s (whole process)",
          flush=True)  # fmt: skip
    queried = scenario("sql", gen, "--runs", str(max(args.runs, 3) if not args.quick else 1))
    print(f"sql: {queried['every_table']['cli_seconds']:.3f} s (whole process)", flush=True)
    return warehouse_scenarios.render(
        exported, queried, args.sql_players, args.sql_matches, NOT_MEASURED
    )


def warehouse_only(args: argparse.Namespace) -> int:
    """`--only warehouse`: generate, sync with the CLI (unmeasured input), export and SQL."""
    with tempfile.TemporaryDirectory(prefix="levelup-bench-") as tmp:
        root = args.work or Path(tmp)
        gen = root / "generated"
        print(f"generating {args.matches} matches ...", flush=True)
        generated_dataset(gen, args.matches)
        scenario("index", gen)
        (gen / "sync.duckdb").unlink(missing_ok=True)  # the CLI syncs the dataset instead
        section = run_warehouse(gen, args)
    m = machine()
    command = f"python benchmarks/run.py --only warehouse --matches {args.matches}"
    lines = [
        "# Benchmark results: export and SQL",
        "",
        f"Generated by `{command}` on {dt.date.today().isoformat()}. MB = 10^6 bytes.",
        "",
        f"{m['cores']} cores, {m['memory_gib']} GiB, Python {m['python']}; duckdb {m['duckdb']}, "
        f"polars {m['polars']}, pyarrow {m['pyarrow']}.",
        "",
        *section,
    ]
    args.out.write_text("\n".join(lines) + "\n")
    print(f"results written to {args.out}")
    return 0


def _status(ok: bool, measured: bool = True) -> str:
    if not measured:
        return NOT_MEASURED
    return "met" if ok else "**missed**"


LABELS = {
    "sync": "1. sync from a recorded directory (stats and skill documents) into an empty database",
    "backfill_stored": "2. backfill --force-shots --force-participants-shots, stored JSON",
    "backfill_old": "3. backfill --shots --participants-shots, old layout, JSON in a directory",
}
# Scenarios without a per-row baseline: (label, target matches/s).
EXTRA = {
    "backfill_details": (
        "2b. backfill --force-medals --force-mode-stats --force-personal-scores "
        "--force-teams, stored JSON",
        3000,
    ),
    "sync_process": (
        "1b. the whole `levelup sync --source DIR` process (start-up included)",
        2000,
    ),
}


AUTO_SHARE_TARGET = 0.9
AUTO_LIMITED_TARGET = 0.02
# A stall after a 429 may exceed its Retry-After by one request interval and the
# scheduler's latency, no more.
AUTO_STALL_TOLERANCE = 0.25


def _auto_rows(auto: dict, measured: bool) -> list[str]:
    """Scenario 4b: `--requests-per-second auto` against the fake's hidden limit."""
    share = auto["sustained_rate"] / auto["limit"]
    ok = (
        share >= AUTO_SHARE_TARGET
        and auto["limited_share"] <= AUTO_LIMITED_TARGET
        and auto["max_stall_beyond_retry_after"] <= AUTO_STALL_TOLERANCE
        and auto["one_200_per_match"]
    )
    pace = auto.get("pace") or {}
    return [
        f"| 4b. sync of {auto['matches']} matches through the fake Waypoint limited to "
        f"{auto['limit']:g} req/s (hidden token bucket), `--requests-per-second auto` | "
        f"{auto['matches'] / auto['seconds']:.1f} | {auto['seconds']:.2f} | | | | "
        f">= 90% of the limit accepted, <= 2% answered 429, no stall beyond Retry-After | "
        f"{_status(ok, measured)} |",
        "",
        f"Scenario 4b (rates measured at the fake): {auto['requests']} requests; while the "
        f"match stats were fetched, {auto['sustained_rate']:.1f} accepted per second = "
        f"{100 * share:.1f}% of the limit (the target's measure); over the whole run, phases "
        f"of the sync that do not use the pace included (start-up, the walk's first page, "
        f"names at the end), {auto['accepted_rate']:.1f} per second; "
        f"{auto['limited']} answered 429 ({100 * auto['limited_share']:.1f}%); longest stall "
        f"after a 429 beyond its Retry-After (at most {auto['max_retry_after']:.2f} s): "
        f"{auto['max_stall_beyond_retry_after']:.3f} s. The report says the pace settled at "
        f"{pace.get('settled_at')} req/s ({pace.get('raises')} raises, {pace.get('cuts')} cuts; "
        f"peak {pace.get('peak')}).",
    ]


def render(
    args, sizes, index, results, selection, fake, fixture_results, where, sample, warehouse, floor
) -> str:
    m = machine()
    fx = fixture_sizes()
    base_sync = results["baseline_sync"]["matches"] / results["baseline_sync"]["seconds"]
    base_backfill = (
        results["baseline_backfill"]["matches"] / results["baseline_backfill"]["seconds"]
    )
    baselines = {"sync": base_sync, "backfill_stored": base_backfill, "backfill_old": base_backfill}
    command = "python benchmarks/run.py" + (" --quick" if args.quick else "")
    if not args.quick and (args.matches, args.runs) != (20000, 3):
        command += f" --matches {args.matches} --runs {args.runs}"
    lines = [
        "# Benchmark results",
        "",
        f"Generated by `{command}` on {dt.date.today().isoformat()}. MB = 10^6 bytes; peak RSS",
        "is the scenario process's own (`getrusage`), the largest of its runs.",
        "",
        "## Machine",
        "",
        f"{m['cores']} cores, {m['memory_gib']} GiB, Python {m['python']}; duckdb {m['duckdb']}, "
        f"polars {m['polars']}, pyarrow {m['pyarrow']}, orjson {m['orjson']}, spnkr {m['spnkr']}, "
        f"aiohttp {m['aiohttp']}.",
        "",
        "## Dataset",
        "",
        f"{args.matches} generated matches ({results['sync']['participants']} participant rows): "
        f"mean {sizes['mean_file'] / 1000:.1f} KB per file as written (4-space indented, like the "
        f"recorded fixtures), {sizes['mean_compact'] / 1000:.1f} KB compact (as stored).",
    ]
    if fx:
        lines.append(
            f"Recorded fixtures: mean {fx['mean_file'] / 1000:.1f} KB per file, "
            f"{fx['mean_compact'] / 1000:.1f} KB compact (generated/fixture: "
            f"{sizes['mean_file'] / fx['mean_file']:.2f} on disk, "
            f"{sizes['mean_compact'] / fx['mean_compact']:.2f} compact)."
        )
    lines += [
        "",
        f"The recorded directory's match index (what a first sync from a fresh directory "
        f"builds before anything else) took {index['seconds']:.2f} s for {index['matches']} "
        f"files ({index['matches'] / index['seconds']:.0f} files/s, peak RSS "
        f"{index['peak_rss_mb']:.0f} MB); scenario 1 runs with it built.",
        "",
        f"## Results (median of {args.runs} run(s))",
        "",
        f"Baseline: the same parsing and extraction, then one autocommitted statement per row "
        f"(`INSERT OR REPLACE` / `UPDATE ... WHERE match_id = ?`, the plan's original code) "
        f"on a fixed {sample}-match sample.",
        "",
        "| scenario | matches/s | wall (s) | peak RSS (MB) | baseline matches/s | ratio | target | status |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, label in LABELS.items():
        r = results[name]
        ratio = r["rate"] / baselines[name]
        ok = r["rate"] >= TARGETS[name] and r["peak_rss_mb"] < RSS_TARGET_MB
        if name != "sync":
            ok = ok and ratio >= RATIO_TARGET
        target = (
            f">= {TARGETS[name]:.0f}/s"
            + ("" if name == "sync" else f", >= {RATIO_TARGET:.0f}x")
            + f", RSS < {RSS_TARGET_MB:.0f} MB"
        )
        lines.append(
            f"| {label} | {r['rate']:.0f} | {r['seconds']:.2f} | {r['peak_rss_mb']:.0f} | "
            f"{baselines[name]:.0f} | {ratio:.0f}x | {target} | "
            f"{_status(ok, args.matches >= TARGET_MATCHES)} |"
        )
    for name, (label, target) in EXTRA.items():
        r = results[name]
        ok = r["rate"] >= target and r["peak_rss_mb"] < RSS_TARGET_MB
        lines.append(
            f"| {label} | {r['rate']:.0f} | {r['seconds']:.2f} | {r['peak_rss_mb']:.0f} | | | "
            f">= {target}/s, RSS < {RSS_TARGET_MB:.0f} MB | "
            f"{_status(ok, args.matches >= TARGET_MATCHES)} |"
        )
    share = fake["achieved_rate"] / fake["configured_rate"]
    fake_ok = share >= 0.9 and fake["one_200_per_match"]
    fake_measured = fake["matches"] >= TARGET_FAKE_MATCHES
    lines += [
        f"| 4. sync of {fake['matches']} matches ({fake.get('skill_200', 0)} with their skill "
        f"document) through the fake Waypoint at "
        f"{fake['configured_rate']:.0f} req/s (`levelup sync --source api`) | "
        f"{fake['matches'] / fake['seconds']:.1f} | "
        f"{fake['seconds']:.2f} | {fake['child_peak_rss_mb']:.0f} | | | "
        f">= 90% of the rate, one 200 per (match, kind) | {_status(fake_ok, fake_measured)} |",
        *_auto_rows(fake["auto"], fake_measured),
        "",
    ]
    if args.matches < TARGET_MATCHES or not fake_measured:
        lines += [
            f"Targets are judged from {TARGET_MATCHES:,} matches ({TARGET_FAKE_MATCHES} through "
            f"the fake server); below that, start-up and the first batch weigh too much for a "
            f'rate to mean anything, so a row says "{NOT_MEASURED}" instead of a verdict '
            f"(the numbers are shown as measured; exactly one 200 per match is still checked).",
            "",
        ]
    lines += [
        f"Scenario 4 (the real CLI in a child process; its RSS): {fake['requests']} requests "
        f"(history pages, match stats, profiles, asset names) at {fake['achieved_rate']:.1f} "
        f"requests/s = {100 * share:.1f}% of the configured {fake['configured_rate']:.0f}/s; at "
        f"most {fake['max_starts_in_1s']} request starts in any one-second window; "
        f"{fake['stats_200']} successful stats responses for {fake['matches']} matches written, "
        f"exactly one per match: {'yes' if fake['one_200_per_match'] else 'NO'}.",
        "",
        "Per-run rates (matches/s): "
        + "; ".join(f"{n} " + ", ".join(f"{x:.0f}" for x in results[n]["rates"]) for n in LABELS),
        "",
        "## Backfill selection queries",
        "",
        f"`select_matches` per option, median of 5, in ms (target < 50 ms), on the synced "
        f"database (nothing to do; {selection['participant_rows']['synced']} participant rows) "
        f"and on the old-layout one after migration (everything to do; "
        f"{selection['participant_rows']['old']} rows), both padded to that size by repeating "
        f"rows under new match ids:",
        "",
        "| option | synced | old layout |",
        "|---|---|---|",
        *(
            f"| {k} | {v:.1f} | {selection['old_ms'][k]:.1f} |"
            for k, v in selection["synced_ms"].items()
        ),
    ]
    if fixture_results:
        lines += [
            "",
            "## On documents cloned from the recorded fixtures",
            "",
            f"{fixture_results['sync']['matches']} matches cloned from ../shared/fixtures/halo_api "
            "(new MatchIds and StartTimes, owner kept; one run each):",
            "",
            "| scenario | matches/s | wall (s) | peak RSS (MB) |",
            "|---|---|---|---|",
            *(
                f"| {LABELS.get(n) or EXTRA[n][0]} | {r['matches'] / r['seconds']:.0f} | "
                f"{r['seconds']:.2f} | "
                f"{r['peak_rss_mb']:.0f} |"
                for n, r in fixture_results.items()
            ),
        ]
    lines += ["", *ceiling.render(results["sync"], results["sync_no_skill"], floor)]
    lines += ["", *warehouse]
    lines += [
        "",
        "## Main thread of scenario 1 (cProfile on 3,000 matches, top functions by own time)",
        "",
        "cProfile sees only the calling thread: the batch writes run on a helper thread "
        "(see the analysis below).",
        "",
        "```",
        where,
        "```",
        "",
    ]
    analysis = HERE / "ANALYSIS.md"
    if analysis.exists():
        lines += [analysis.read_text()]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
