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


def test_killed_sync_then_rerun_equals_an_uninterrupted_run(tmp_path):
    recorded = tmp_path / "rec"
    write_recorded_dir(recorded, MATCHES)
    clean = tmp_path / "clean"
    assert run_cli(*_sync_args(recorded, clean)).returncode == 0
    clean_db = clean / "players" / DEMO_OWNER.gamertag / "stats.duckdb"
    assert _count(clean_db) == MATCHES

    # Kill at growing delays until one lands mid-way (some batches committed, not all).
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPNKR_")}
    crashed_db = None
    for attempt, delay in enumerate([0.6, 0.9, 1.2, 1.6, 2.0, 2.5, 3.0, 4.0]):
        data = tmp_path / f"crash{attempt}"
        proc = subprocess.Popen(
            [sys.executable, "-m", "levelup", *_sync_args(recorded, data)],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        db = data / "players" / DEMO_OWNER.gamertag / "stats.duckdb"
        if db.exists() and 0 < _count(db) < MATCHES:
            crashed_db = db
            break
    assert crashed_db is not None, "no kill landed mid-way through the sync"

    rerun = run_cli(*_sync_args(recorded, crashed_db.parents[2]), "--json")
    assert rerun.returncode == 0, rerun.stderr
    assert _rows(crashed_db) == _rows(clean_db)
