"""LevelUp benchmarks: ingest and backfill near the machine's limit, side by side.

    python benchmarks/run.py                  # 20,000 generated matches, 3 runs each
    python benchmarks/run.py --matches 5000 --runs 1
    python benchmarks/run.py --quick --out /tmp/RESULTS.md   # a smoke run (200 matches)

Scenarios (each in its own process, so peak RSS is the scenario's own):
  1. sync of the whole dataset from a recorded-responses directory into an empty database;
  2. backfill --force-shots --force-participants-shots from the stored JSON;
  3. backfill --shots --participants-shots on a database in the old layout, JSON in a
     recorded-responses directory;
  4. sync of 500 matches through the fake Waypoint server at 50 requests/s.
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

from levelup.demo.generator import DEMO_OWNER, write_recorded_dir  # noqa: E402

FIXTURE_OWNER = "2535445291321133"
TARGETS = {"sync": 2000.0, "backfill_stored": 3000.0, "backfill_old": 3000.0}
RSS_TARGET_MB = 400.0
RATIO_TARGET = 50.0


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
    """Where the time goes in scenario 1: cProfile of a sync, top functions by own time."""
    import asyncio

    sys.path.insert(0, str(HERE))
    import scenarios

    db = work / "profile.duckdb"
    if db.exists():
        db.unlink()
    profiler = cProfile.Profile()
    profiler.enable()
    asyncio.run(scenarios._sync(work / "recorded", db, scenarios._owner(work)))
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--matches", type=int, default=20000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--fake-matches", type=int, default=500)
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument(
        "--quick", action="store_true", help="200 matches, 1 run, 60 through the fake"
    )
    parser.add_argument("--out", type=Path, default=HERE / "RESULTS.md")
    parser.add_argument("--work", type=Path, help="keep the datasets here (default: a temp dir)")
    args = parser.parse_args()
    if args.quick:
        args.matches, args.runs, args.fake_matches = 200, 1, 60
    sample = min(200, args.matches)
    with tempfile.TemporaryDirectory(prefix="levelup-bench-") as tmp:
        root = args.work or Path(tmp)
        gen = root / "generated"
        print(f"generating {args.matches} matches ...", flush=True)
        sizes = generated_dataset(gen, args.matches)
        results: dict[str, dict] = {}
        for name in ("sync", "backfill_stored", "backfill_old"):
            runs = []
            for i in range(args.runs):
                if name == "backfill_old":
                    scenario("prepare_old", gen)  # set-up, outside the measured process
                runs.append(scenario(name, gen))
                print(f"{name} run {i + 1}: {runs[-1]['matches'] / runs[-1]['seconds']:.0f} matches/s, "
                      f"RSS {runs[-1]['peak_rss_mb']} MB", flush=True)  # fmt: skip
            results[name] = median_of(runs)
        results["baseline_sync"] = scenario("baseline_sync", gen, "--sample", str(sample))
        results["baseline_backfill"] = scenario("baseline_backfill", gen, "--sample", str(sample))
        selection = scenario("selection", gen)
        where = (
            profile_sync(gen, min(args.matches, 3000)) if not args.quick else "(skipped in --quick)"
        )
        (gen / "recorded_fake").mkdir(exist_ok=True)
        write_recorded_dir(gen / "recorded_fake", args.fake_matches)
        fake = scenario("fake", gen, "--rate", str(args.rate))
        print(
            f"fake: {fake['achieved_rate']:.1f}/{args.rate} req/s, {fake['stats_200']} stats 200s",
            flush=True,
        )
        fixture_results = {}
        if FIXTURES.is_dir():
            fix = root / "fixtures"
            fixture_count = min(args.matches, 5000)
            fixture_dataset(fix, fixture_count)
            for name in ("sync", "backfill_stored", "backfill_old"):
                if name == "backfill_old":
                    scenario("prepare_old", fix)
                fixture_results[name] = scenario(name, fix)
        report = render(args, sizes, results, selection, fake, fixture_results, where, sample)
    args.out.write_text(report)
    print(f"results written to {args.out}")
    return 0


def _status(ok: bool) -> str:
    return "met" if ok else "**missed**"


def render(args, sizes, results, selection, fake, fixture_results, where, sample) -> str:
    m = machine()
    fx = fixture_sizes()
    base_sync = results["baseline_sync"]["matches"] / results["baseline_sync"]["seconds"]
    base_backfill = (
        results["baseline_backfill"]["matches"] / results["baseline_backfill"]["seconds"]
    )
    baselines = {"sync": base_sync, "backfill_stored": base_backfill, "backfill_old": base_backfill}
    labels = {
        "sync": "1. sync from a recorded directory, empty database",
        "backfill_stored": "2. backfill --force-shots --force-participants-shots, stored JSON",
        "backfill_old": "3. backfill --shots --participants-shots, old layout, JSON in a directory",
    }
    lines = [
        "# Benchmark results",
        "",
        f"Generated by `python benchmarks/run.py{' --quick' if args.quick else ''}"
        f"{'' if args.quick or args.matches == 20000 else f' --matches {args.matches}'}` on "
        f"{dt.date.today().isoformat()}.",
        "",
        "## Machine",
        "",
        f"{m['cores']} cores, {m['memory_gib']} GiB, Python {m['python']}; duckdb {m['duckdb']}, "
        f"polars {m['polars']}, pyarrow {m['pyarrow']}, orjson {m['orjson']}, spnkr {m['spnkr']}, "
        f"aiohttp {m['aiohttp']}.",
        "",
        "## Dataset",
        "",
        f"{args.matches} generated matches ({selection['participant_rows']} participant rows): "
        f"mean {sizes['mean_file'] / 1024:.1f} KB per file as written (4-space indented, like the "
        f"recorded fixtures), {sizes['mean_compact'] / 1024:.1f} KB compact.",
    ]
    if fx:
        lines.append(
            f"Recorded fixtures: mean {fx['mean_file'] / 1024:.1f} KB per file, "
            f"{fx['mean_compact'] / 1024:.1f} KB compact (generated/fixture: "
            f"{sizes['mean_file'] / fx['mean_file']:.2f} on disk, "
            f"{sizes['mean_compact'] / fx['mean_compact']:.2f} compact)."
        )
    lines += [
        "",
        f"## Results (median of {args.runs} run(s); baseline: one autocommitted statement per row on a fixed {sample}-match sample)",
        "",
        "| scenario | matches/s | wall (s) | peak RSS (MB) | baseline matches/s | ratio | target | status |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, label in labels.items():
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
            f"{baselines[name]:.0f} | {ratio:.0f}x | {target} | {_status(ok)} |"
        )
    fake_ok = (
        fake["achieved_rate"] >= 0.9 * fake["configured_rate"]
        and fake["stats_200"] == fake["matches"]
    )
    lines += [
        f"| 4. sync of {fake['matches']} matches through the fake Waypoint at {fake['configured_rate']:.0f} req/s | "
        f"{fake['matches'] / fake['seconds']:.1f} | {fake['seconds']:.2f} | {fake['peak_rss_mb']:.0f} | | | "
        f">= 90% of the rate, one 200 per match | {_status(fake_ok)} |",
        "",
        f"Scenario 4: {fake['requests']} requests (history pages and match stats) at "
        f"{fake['achieved_rate']:.1f} requests/s = {100 * fake['achieved_rate'] / fake['configured_rate']:.1f}% "
        f"of the configured {fake['configured_rate']:.0f}/s; at most {fake['max_starts_in_1s']} request "
        f"starts in any one-second window; {fake['stats_200']} successful stats responses for "
        f"{fake['matches']} matches written.",
        "",
        "Per-run rates: "
        + "; ".join(f"{n} " + ", ".join(f"{x:.0f}" for x in results[n]["rates"]) for n in labels),
        "",
        "## Backfill selection queries",
        "",
        f"Median of 5 on {selection['participant_rows']} participant rows (target < 50 ms):",
        "",
        "| option | ms |",
        "|---|---|",
        *(f"| {k} | {v:.1f} |" for k, v in selection["selection_ms"].items()),
    ]
    if fixture_results:
        lines += [
            "",
            "## On documents cloned from the recorded fixtures",
            "",
            f"{fixture_results['sync']['matches']} matches cloned from ../shared/fixtures/halo_api (one run each):",
            "",
            "| scenario | matches/s | wall (s) | peak RSS (MB) |",
            "|---|---|---|---|",
            *(
                f"| {labels[n]} | {r['matches'] / r['seconds']:.0f} | {r['seconds']:.2f} | {r['peak_rss_mb']:.0f} |"
                for n, r in fixture_results.items()
            ),
        ]
    lines += [
        "",
        "## Where the time goes (scenario 1, cProfile, top functions by own time)",
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
