"""The file system and the database file failing: one clear line and exit 2, never a
traceback (issue 9, item 7). Real `python -m levelup` subprocesses, real files.

A data dir that is a file, a `players` that is a file, a read-only data dir, a
300-character gamertag, a disk that fills mid-sync (a file size limit on the
subprocess: RLIMIT_FSIZE with SIGXFSZ ignored, so writes fail with EFBIG the way
they fail with ENOSPC), a truncated or overwritten database file, a
`schema_version` that is not a number.
"""

from __future__ import annotations

import os
import resource
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from levelup.demo.generator import DEMO_OWNER, write_recorded_dir
from tests.helpers import core, last_json, match, player, run_cli
from tests.helpers import write_recorded_dir as write_hand_written

GT = DEMO_OWNER.gamertag


def _one_line_error(result: subprocess.CompletedProcess[str], *needles: str) -> str:
    assert result.returncode == 2, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("levelup: error: "), lines
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("rec") / "recorded"
    write_recorded_dir(root, 400)
    return root


@pytest.fixture(scope="module")
def synced(recorded: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data dir whose player database holds the 400 matches."""
    data = tmp_path_factory.mktemp("synced") / "data"
    result = run_cli("sync", "--player", GT, "--source", str(recorded), "--data-dir", str(data))
    assert result.returncode == 0, result.stderr
    return data


def _copy(data: Path, to: Path) -> Path:
    shutil.copytree(data, to)
    return to / "players" / GT / "stats.duckdb"


def _sync(recorded: Path, data: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return run_cli("sync", "--player", GT, "--source", str(recorded), "--data-dir", str(data),
                   *extra)  # fmt: skip


@pytest.mark.parametrize("where", ["data-dir", "players"])
def test_a_file_where_a_folder_belongs(tmp_path: Path, recorded: Path, where: str) -> None:
    data = tmp_path / "data"
    if where == "data-dir":
        data.write_text("not a folder")
    else:
        data.mkdir()
        (data / "players").write_text("not a folder")
    _one_line_error(_sync(recorded, data), "a file is in the way")
    _one_line_error(
        run_cli("demo", "--matches", "3", "--data-dir", str(data)), "a file is in the way"
    )


@pytest.fixture()
def read_only_dir(tmp_path: Path) -> Iterator[Path]:
    """A folder nothing can be created in, also for root (who ignores permissions):
    chattr +i where the file system allows it."""
    folder = tmp_path / "read-only"
    folder.mkdir()
    if os.geteuid() != 0:
        folder.chmod(0o555)
        yield folder
        folder.chmod(0o755)
        return
    if (
        shutil.which("chattr") is None
        or subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode
    ):
        pytest.skip("running as root on a file system without chattr +i: cannot make it read-only")
    try:
        yield folder
    finally:
        subprocess.run(["chattr", "-i", str(folder)], check=True)


def test_a_read_only_data_dir(read_only_dir: Path, recorded: Path) -> None:
    _one_line_error(_sync(recorded, read_only_dir), "permission denied", str(read_only_dir))
    _one_line_error(
        run_cli("demo", "--matches", "3", "--data-dir", str(read_only_dir)), "permission denied"
    )


def test_a_300_character_gamertag_gets_a_valid_folder(tmp_path: Path) -> None:
    gamertag = "Ü" * 150 + "x" * 150
    owner = "2535400000000001"
    root = write_hand_written(
        tmp_path / "rec",
        [match("00000000-0000-4000-8000-000000000001", [player(f"xuid({owner})", (0, core()))])],
        [{"gamertag": gamertag, "xuid": owner}],
    )
    data = tmp_path / "data"
    result = run_cli("sync", "--player", gamertag, "--source", str(root), "--data-dir",
                     str(data), "--json")  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert last_json(result.stdout)["matches_written"] == 1
    (folder,) = (data / "players").iterdir()
    assert folder.name == "U" * 80
    shown = run_cli("report", "--player", gamertag, "--data-dir", str(data), "--json")
    assert shown.returncode == 0, shown.stderr
    assert last_json(shown.stdout)["player"]["xuid"] == owner


def _with_file_size_limit(limit: int) -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))


def test_a_disk_that_fills_mid_sync(tmp_path: Path, recorded: Path) -> None:
    # How big the database is once the first batch (100 matches) is committed.
    first = tmp_path / "first"
    assert _sync(recorded, first, "--max-matches", "100").returncode == 0
    limit = (first / "players" / GT / "stats.duckdb").stat().st_size + 2**20

    data = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPNKR_")}
    full = subprocess.run(
        [sys.executable, "-m", "levelup", "sync", "--player", GT, "--source", str(recorded),
         "--data-dir", str(data)],
        capture_output=True, text=True, env=env, timeout=300,
        preexec_fn=lambda: _with_file_size_limit(limit),
    )  # fmt: skip
    line = _one_line_error(full, "disk full", str(data / "players" / GT / "stats.duckdb"))
    assert "Traceback" not in full.stderr and "kept" in line
    db = data / "players" / GT / "stats.duckdb"
    with duckdb.connect(str(db), read_only=True) as conn:  # not damaged
        kept = conn.execute("SELECT count(*) FROM match_stats").fetchall()[0][0]
        assert conn.execute("SELECT status FROM sync_runs").fetchall() == [("running",)]
    assert 100 <= kept < 400

    again = _sync(recorded, data, "--json")
    assert again.returncode == 0, again.stderr
    assert last_json(again.stdout)["matches_written"] == 400 - kept
    with duckdb.connect(str(db), read_only=True) as conn:
        runs = conn.execute("SELECT status FROM sync_runs ORDER BY started_at").fetchall()
        assert runs == [("abandoned",), ("ok",)]
        assert conn.execute("SELECT count(*) FROM match_stats").fetchall() == [(400,)]


@pytest.mark.parametrize("damage", ["truncated", "overwritten"])
def test_a_damaged_database_file_is_named(
    tmp_path: Path, synced: Path, recorded: Path, damage: str
) -> None:
    db = _copy(synced, tmp_path / "data")
    size = db.stat().st_size
    with open(db, "r+b") as fh:
        if damage == "truncated":
            fh.truncate(size // 2)
        else:
            fh.write(b"not a database" * 1000)
    for result in (
        _sync(recorded, tmp_path / "data"),
        run_cli("report", "--player", GT, "--data-dir", str(tmp_path / "data")),
    ):
        assert "Traceback" not in result.stderr
        _one_line_error(result, str(db), "damaged")
    # DuckDB reads lazily: a backfill that selects nothing may never touch the damage.
    backfill = run_cli("backfill", "--player", GT, "--force-shots", "--data-dir",
                       str(tmp_path / "data"))  # fmt: skip
    assert "Traceback" not in backfill.stderr
    if backfill.returncode != 0:
        _one_line_error(backfill, str(db), "damaged")


def test_a_schema_version_that_is_not_a_number(
    tmp_path: Path, synced: Path, recorded: Path
) -> None:
    db = _copy(synced, tmp_path / "data")
    with duckdb.connect(str(db)) as conn:
        conn.execute("UPDATE levelup_meta SET value = 'abc' WHERE key = 'schema_version'")
    for result in (
        _sync(recorded, tmp_path / "data"),
        run_cli("backfill", "--player", GT, "--shots", "--data-dir", str(tmp_path / "data")),
    ):
        _one_line_error(result, str(db), "schema_version is 'abc'")
