"""A sync killed mid-way, then rerun, ends with the same rows as an uninterrupted run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb

from levelup.demo.generator import DEMO_OWNER, write_recorded_dir
from tests.helpers import run_cli

MATCHES = 1500
# Timestamps and run logs legitimately differ between the two histories.
COMPARED = {
    "match_stats": "* EXCLUDE (created_at, updated_at, sync_run_id)",
    "match_participants": "* EXCLUDE (created_at, updated_at, sync_run_id)",
    "match_documents": "match_id, kind, body",
    "match_medals": "* EXCLUDE (sync_run_id)",
    "match_mode_stats": "* EXCLUDE (sync_run_id)",
    "match_teams": "* EXCLUDE (sync_run_id)",
    "player_names": "xuid, gamertag",
    "asset_names": "asset_type, asset_id, version_id, public_name",
    "failed_matches": "match_id, reason, attempts",
    "sync_state": "match_type, walk_complete",
    # Fetch dates (e.g. medal_metadata_fetched_at) legitimately differ between the runs.
    "levelup_meta": "key, CASE WHEN key LIKE '%_fetched_at' THEN NULL ELSE value END",
}


def _rows(db: Path) -> dict[str, list]:
    with duckdb.connect(str(db), read_only=True) as conn:
        return {
            table: sorted(conn.execute(f"SELECT {cols} FROM {table}").fetchall(), key=str)
            for table, cols in COMPARED.items()
        }


def _count(db: Path) -> int:
    """Matches stored; 0 when the kill landed after the file was created but before its
    tables were (the product handles that database: the rerun migrates it)."""
    with duckdb.connect(str(db), read_only=True) as conn:
        exists = conn.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'match_stats'"
        ).fetchall()[0][0]
        if not exists:
            return 0
        return conn.execute("SELECT count(*) FROM match_stats").fetchall()[0][0]


def _sync_args(recorded: Path, data: Path) -> list[str]:
    return [
        "sync",
        "--player",
        DEMO_OWNER.gamertag,
        "--source",
        str(recorded),
        "--data-dir",
        str(data),
    ]


def _kill_after(recorded: Path, data: Path, delay: float) -> int | None:
    """Start a sync, SIGKILL it after `delay` seconds; the matches it had committed
    (None when it had not even created the database)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPNKR_")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "levelup", *_sync_args(recorded, data)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    db = data / "players" / DEMO_OWNER.gamertag / "stats.duckdb"
    return _count(db) if db.exists() else None


def test_killed_sync_then_rerun_equals_an_uninterrupted_run(tmp_path):
    recorded = tmp_path / "rec"
    write_recorded_dir(recorded, MATCHES)
    clean = tmp_path / "clean"
    started = time.monotonic()
    assert run_cli(*_sync_args(recorded, clean)).returncode == 0
    whole = time.monotonic() - started
    clean_db = clean / "players" / DEMO_OWNER.gamertag / "stats.duckdb"
    assert _count(clean_db) == MATCHES

    # Find a kill that lands mid-way (some batches committed, not all) by bisecting
    # the delay between "too early" and "too late", starting from the clean run's
    # own duration: fixed delays missed on a loaded machine (a run took longer
    # than the last one).
    early, late = 0.0, whole * 1.5
    crashed_db = None
    for attempt in range(10):
        delay = (early + late) / 2
        data = tmp_path / f"crash{attempt}"
        committed = _kill_after(recorded, data, delay)
        if not committed:
            early = delay
        elif committed >= MATCHES:
            late = delay
        else:
            crashed_db = data / "players" / DEMO_OWNER.gamertag / "stats.duckdb"
            break
    assert crashed_db is not None, f"no kill landed mid-way (last delay {delay:.2f} s)"

    rerun = run_cli(*_sync_args(recorded, crashed_db.parents[2]), "--json")
    assert rerun.returncode == 0, rerun.stderr
    assert _rows(crashed_db) == _rows(clean_db)
