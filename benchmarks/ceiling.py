"""What this machine allows today's sync pipeline, whatever its extractors cost:
scenario 1's floor.

Scenario 1 (a sync from a recorded directory) does, per match, work outside the
extractors: read the file, parse the JSON, dump the compact body to store, turn
the rows (Python tuples) into Arrow frames, and DuckDB's own work to insert them
and the bodies. This scenario measures that part alone, on the very rows and
bodies scenario 1 stored (`sync.duckdb`; the backfill scenarios rewrite the same
values), with the writer's own functions (`_Batch`, `_write_batch`: this module
follows the writer's internals on purpose), in CPU seconds (user + system): on a
machine of `cores` cores, this pipeline with free extraction and every core
busy all the time could sync at most `matches / (floor / cores)` matches per
second. Some of the floor is a choice of this design (rows as Python tuples
first, the body dumped again); DuckDB's inserts, the bodies above all, are not
(benchmarks/ANALYSIS.md, "the floor of a sync").

Each step is measured twice: with the skill documents and their tables
(scenario 1 as it runs) and without (`--no-skill`: the stats tables only).
"""

from __future__ import annotations

import gc
import os
import resource
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import orjson

from levelup.registry import SKILL_DOCUMENT, STATS_DOCUMENT, TABLES
from levelup.store.database import bulk_writes, open_player_db
from levelup.store.writer import DOCUMENT_COLUMNS, _Batch, _write_batch, arrow_frame
from levelup.threads import system_arrow_memory

BATCH = 500  # the sync's batch size (`SyncOptions.batch_size`)


def process_cpu() -> float:
    """This process's CPU seconds so far, every thread's, user + system."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _batches(ids: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(ids), BATCH):
        yield ids[start : start + BATCH]


def _stored_rows(src: duckdb.DuckDBPyConnection, name: str, columns: list[str],
                 lo: str, hi: str) -> list[tuple]:  # fmt: skip
    """A batch's rows of one table as Python tuples in column order: what an extractor
    hands the writer (fetched from the stored table, outside the timed steps)."""
    cols = ", ".join(f'"{c}"' for c in columns)
    return src.execute(
        f'SELECT {cols} FROM "{name}" WHERE match_id BETWEEN ? AND ?', [lo, hi]
    ).fetchall()


def _frames_and_writes(
    src: duckdb.DuckDBPyConnection, ids: list[str], kinds: tuple[str, ...], target: Path
) -> dict[str, float]:
    """CPU of the Arrow frames (this thread) and of the writes (the whole process,
    DuckDB's threads included) for every batch, into a fresh database."""
    specs = [s for s in TABLES if s.document in kinds]
    for path in (target, Path(f"{target}.wal")):
        path.unlink(missing_ok=True)
    conn, _ = open_player_db(target)
    frames_cpu = writes_cpu = 0.0
    rows = 0
    placeholders = ", ".join("?" for _ in kinds)
    try:
        with bulk_writes(conn), system_arrow_memory():  # as in a sync's bulk phase
            for batch in _batches(ids):
                lo, hi = batch[0], batch[-1]
                tables = {s.name: _stored_rows(src, s.name, list(s.columns), lo, hi) for s in specs}
                documents = src.execute(
                    "SELECT match_id, kind, body FROM match_documents "
                    f"WHERE match_id BETWEEN ? AND ? AND kind IN ({placeholders})",
                    [lo, hi, *kinds],
                ).fetchall()
                rows += sum(len(t) for t in tables.values())
                started = time.thread_time()
                frames = {s.name: arrow_frame(s.columns, tables[s.name]) for s in specs}
                for spec in TABLES:  # the writer expects every document table's frame
                    if spec.document and spec.name not in frames:
                        frames[spec.name] = arrow_frame(spec.columns, [])
                ready = _Batch(
                    match_ids=batch,
                    tables=frames,
                    documents=arrow_frame(DOCUMENT_COLUMNS, documents),
                    source="recorded",
                    run_id="ceiling",
                )
                frames_cpu += time.thread_time() - started
                del tables, documents
                started = process_cpu()
                _write_batch(conn, ready)
                writes_cpu += process_cpu() - started
    finally:
        conn.close()
        for path in (target, Path(f"{target}.wal")):
            path.unlink(missing_ok=True)
    return {"frames_cpu": frames_cpu, "writes_cpu": writes_cpu, "rows": rows}


def _read_parse_dump(recorded: Path, ids: list[str], kinds: tuple[str, ...]) -> float:
    """CPU of reading each stored match's recorded files, parsing and dumping them compact."""
    folders = {STATS_DOCUMENT: recorded / "matches", SKILL_DOCUMENT: recorded / "skill"}
    started = process_cpu()
    for kind in kinds:
        folder = folders[kind]
        for match_id in ids:
            path = folder / f"{match_id}.json"
            try:
                with open(path, "rb") as fh:
                    body = fh.read()
            except FileNotFoundError:  # a custom game has no skill document
                continue
            orjson.dumps(orjson.loads(body))
    return process_cpu() - started


def ceiling(work: Path) -> dict:
    """The floor and ceiling, with and without skill, from scenario 1's database."""
    synced = work / "sync.duckdb"
    if not synced.exists():
        raise SystemExit(f"{synced} is missing: run the sync scenario first")
    cores = os.cpu_count() or 1
    src = duckdb.connect(str(synced), read_only=True)
    gc.disable()  # as in a sync (`paused_collector`)
    try:
        ids = [r[0] for r in src.execute("SELECT match_id FROM match_stats ORDER BY 1").fetchall()]
        result: dict = {"matches": len(ids), "cores": cores, "seconds": 0.0}
        for label, kinds in (("with_skill", (STATS_DOCUMENT, SKILL_DOCUMENT)),
                             ("without_skill", (STATS_DOCUMENT,))):  # fmt: skip
            started = time.perf_counter()
            parts = _frames_and_writes(src, ids, kinds, work / f"ceiling_{label}.duckdb")
            parts["read_parse_dump_cpu"] = _read_parse_dump(work / "recorded", ids, kinds)
            floor = parts["frames_cpu"] + parts["writes_cpu"] + parts["read_parse_dump_cpu"]
            parts["floor_cpu"] = floor
            parts["ceiling"] = len(ids) / (floor / cores) if floor else 0.0
            result[label] = parts
            result["seconds"] += time.perf_counter() - started
    finally:
        gc.enable()
        src.close()
    return result


def render(sync: dict, sync_no_skill: dict | None, floor: dict) -> list[str]:
    """RESULTS.md's section: the floor per step, the ceiling, and the sync's own CPU."""
    cores = floor["cores"]
    lines = [
        "## What this machine allows (scenario 1's floor)",
        "",
        f"`scenarios.py ceiling`: on the rows and bodies scenario 1 stored ({floor['matches']} "
        "matches), the work today's pipeline does outside its extractors, in CPU seconds "
        "(user + system): reading, parsing and dumping the recorded files; building the Arrow "
        "frames from rows of Python values; DuckDB's inserts of the rows and bodies (the "
        f"writer's own statements). Spread perfectly over the {cores} cores with extraction "
        "free, today's pipeline could not beat the ceiling. The sync without skill is one "
        "run (scenario 1's figures: the median of its runs).",
        "",
        "| | read + parse + dump (s) | Arrow frames (s) | DuckDB writes (s) | floor (s) "
        "| ceiling (matches/s) | the sync: matches/s | its CPU (s) | that CPU over every core "
        "(matches/s) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for label, measured in (("with_skill", sync), ("without_skill", sync_no_skill)):
        part = floor[label]
        own = (measured or {}).get("cpu_seconds")
        rate = f"{measured['matches'] / measured['seconds']:.0f}" if measured else "not measured"
        spread = f"{floor['matches'] / (own / cores):.0f}" if own else "not measured"
        lines.append(
            f"| {label.replace('_', ' ')} ({part['rows']:,} rows) | "
            f"{part['read_parse_dump_cpu']:.2f} | {part['frames_cpu']:.2f} | "
            f"{part['writes_cpu']:.2f} | {part['floor_cpu']:.2f} | {part['ceiling']:.0f} | "
            f"{rate} | {f'{own:.2f}' if own else 'not measured'} | {spread} |"
        )
    lines.append("")
    return lines
