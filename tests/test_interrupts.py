"""Stopping a run: SIGINT / SIGTERM, credentials refused mid-run, errors raised inside
the pipeline's task group, out-of-range pacing. Real `python -m levelup` subprocesses
against the fake Waypoint server over loopback, real DuckDB files.

What is checked: the first signal ends the run within a few seconds with exit 130
(143 for SIGTERM) and one line on stderr, every match fetched before it is written,
the run is recorded "interrupted" and the walk unfinished, and a rerun completes to
the same tables as an uninterrupted sync. A 401 the token cannot cure on a long
history ends with exit 2 and the fetched matches written (it used to hang).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import orjson
import pytest

from levelup.sources.recorded import RecordedSource
from levelup.testing.fake_waypoint import FakeWaypoint, Fault
from tests.helpers import last_json, run_cli
from tests.http_helpers import STATS_RE, TOKEN, delivered, make_recorded, mid, snapshot, sync_into

CLEARANCE = "raw-clearance-token"


def _env(fake: FakeWaypoint, tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPNKR_")}
    env.pop("LEVELUP_DATA_DIR", None)
    env.update(
        LEVELUP_HOST_MAP=json.dumps(fake.host_map()),
        LEVELUP_CONFIG_DIR=str(tmp_path / "cfg"),
        SPNKR_SPARTAN_TOKEN=TOKEN,
        SPNKR_CLEARANCE_TOKEN=CLEARANCE,
    )
    return env


def _sync_args(data: Path, *extra: str) -> list[str]:
    # --no-skill: make_recorded writes no skill documents.
    return [
        "sync", "--player", "Tester", "--source", "api", "--data-dir", str(data), "--no-skill",
        *extra,
    ]  # fmt: skip


def _start(args: list[str], env: dict[str, str], *python_options: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, *python_options, "-m", "levelup", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def _query(db: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as conn:
        return conn.execute(sql).fetchall()


def _wait_for(condition, timeout: float = 60) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the condition never came true"
        time.sleep(0.02)


@pytest.mark.parametrize(("sig", "status"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_first_signal_stops_the_sync_keeps_what_was_fetched_and_rerun_completes(
    tmp_path: Path, sig: signal.Signals, status: int
) -> None:
    root = make_recorded(tmp_path / "rec", 150)
    reference = tmp_path / "reference.duckdb"
    sync_into(reference, RecordedSource(root))
    data = tmp_path / "data"
    db = data / "players" / "Tester" / "stats.duckdb"
    with FakeWaypoint.start_in_thread(root) as fake:
        fake.accept_token(TOKEN)
        env = _env(fake, tmp_path)
        # 150 matches at 25 requests per second: the run lasts ~6 s unless stopped.
        process = _start(_sync_args(data, "--requests-per-second", "25"), env)
        try:
            # Mid-walk, with the queue of ids to fetch full (64 slots) and nothing
            # committed yet (the first batch is 100 matches).
            _wait_for(lambda: sum(delivered(fake).values()) >= 40)
            process.send_signal(sig)
            signalled = time.monotonic()
            _, stderr = process.communicate(timeout=30)
        finally:
            process.kill()
        stopped_after = time.monotonic() - signalled
        received = delivered(fake)

        assert process.returncode == status, stderr
        assert stopped_after < 5, f"took {stopped_after:.1f} s to stop"
        lines = [line for line in stderr.splitlines() if line.strip()]
        assert lines == [
            f"levelup: interrupted by {sig.name}; what was fetched is kept and the next run resumes"
        ]
        stored = _query(db, "SELECT count(*) FROM match_stats")[0][0]
        # Every body the client received is written; a response the fake sent while
        # the run was being cancelled may not have been read.
        assert len(received) - 4 <= stored <= len(received), (stored, len(received))
        assert stored >= 36
        assert _query(db, "SELECT count(*) FROM match_documents")[0][0] == stored
        assert _query(db, "SELECT status FROM sync_runs") == [("interrupted",)]
        assert _query(db, "SELECT walk_complete FROM sync_state") == [(False,)]

        rerun = run_cli(*_sync_args(data, "--requests-per-second", "200", "--json"), env=env)
        assert rerun.returncode == 0, rerun.stderr
        report = last_json(rerun.stdout)
        assert report["resumed"] is True and report["matches_written"] == 150 - stored
        assert report["walk_complete"] is True
    assert snapshot(db) == snapshot(reference)


def test_credentials_refused_mid_run_write_what_was_fetched_and_exit_2(tmp_path: Path) -> None:
    """A 401 the raw token cannot cure on a long history: it used to hang at 0% CPU
    (the walker waited for room in a full queue nobody drained) and lose the matches
    fetched in the run."""
    root = make_recorded(tmp_path / "rec", 200)
    data = tmp_path / "data"
    db = data / "players" / "Tester" / "stats.duckdb"
    with FakeWaypoint.start_in_thread(root) as fake:
        fake.accept_token(TOKEN)
        # The token "expires" after the 40 newest: the walker is still queueing ids.
        refused = {mid(i) for i in range(160)}
        fake.add_fault(Fault(STATS_RE, "401", times=None, match_ids=refused))
        started = time.monotonic()
        result = run_cli(
            *_sync_args(data, "--requests-per-second", "200", "--concurrency", "2", "--json"),
            env=_env(fake, tmp_path),
            timeout=60,
        )
        received = delivered(fake)
    assert time.monotonic() - started < 30
    assert result.returncode == 2, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "levelup auth" in lines[0], result.stderr
    assert not set(received) & {f"/hi/matches/{m}/stats" for m in refused}
    stored = {row[0] for row in _query(db, "SELECT match_id FROM match_stats")}
    # Every match the client received is stored (at most the ones in flight when the
    # first 401 came back are not, and the next run fetches them).
    assert len(received) - 2 <= len(stored) <= len(received) and len(stored) >= 38
    assert _query(db, "SELECT status FROM sync_runs") == [("auth-failed",)]
    assert _query(db, "SELECT walk_complete FROM sync_state") == [(False,)]


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        (
            ["sync", "--source", "none"],
            "levelup: interrupted by SIGINT; what was committed is kept",
        ),
        # A command that only reads has nothing to keep.
        (["report"], "levelup: interrupted by SIGINT"),
    ],
)
def test_sigint_during_start_up_is_one_line(
    tmp_path: Path, command: list[str], expected: str
) -> None:
    """Ctrl-C while the command line imports its modules: no traceback."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPNKR_")}
    process = _start(
        [*command, "--player", "X", "--data-dir", str(tmp_path)],
        env,
        "-X",
        "importtime",
    )
    assert process.stderr is not None
    seen: list[str] = []
    try:
        for line in process.stderr:
            seen.append(line)
            # Printed when the import ends; DuckDB and Polars are imported after it.
            if line.rstrip().endswith("| levelup.commands.common"):
                process.send_signal(signal.SIGINT)
                break
        rest = process.stderr.read()
        process.wait(timeout=30)
    finally:
        process.kill()
    assert any(line.rstrip().endswith("| levelup.commands.common") for line in seen), seen[-3:]
    lines = [line for line in rest.splitlines() if line.strip() and "import time:" not in line]
    assert process.returncode == 130, rest
    assert lines == [expected]


@pytest.mark.parametrize("rate", ["nan", "inf", "-inf", "1e-9", "0", "-3", "1001", "fast"])
def test_out_of_range_request_rates_are_usage_errors(tmp_path: Path, rate: str) -> None:
    result = run_cli(
        "sync", "--player", "X", "--data-dir", str(tmp_path), "--requests-per-second", rate
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "--requests-per-second" in result.stderr.splitlines()[-1]


@pytest.mark.parametrize(
    "history",
    [b"{not json", orjson.dumps({"Start": 0}), orjson.dumps({"Results": {"MatchId": "x"}})],
    ids=["not-json", "no-results", "results-object"],
)
def test_a_bad_history_file_is_one_line_not_an_exception_group(
    tmp_path: Path, history: bytes
) -> None:
    root = make_recorded(tmp_path / "rec", 3)
    (root / "history" / "2535445291321133").mkdir(parents=True)
    (root / "history" / "2535445291321133" / "page.json").write_bytes(history)
    result = run_cli(
        "sync", "--player", "Tester", "--source", str(root), "--data-dir", str(tmp_path / "d")
    )
    assert result.returncode == 2, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "page.json" in lines[0], result.stderr
    db = tmp_path / "d" / "players" / "Tester" / "stats.duckdb"
    assert _query(db, "SELECT status FROM sync_runs") == [("failed",)]


def test_a_backfill_whose_token_is_refused_is_one_line(tmp_path: Path) -> None:
    root = make_recorded(tmp_path / "rec", 6)
    data = tmp_path / "data"
    synced = run_cli("sync", "--player", "Tester", "--source", str(root), "--data-dir", str(data))
    assert synced.returncode == 0, synced.stderr
    with FakeWaypoint.start_in_thread(root) as fake:  # the token is not accepted
        result = run_cli(
            "backfill", "--player", "Tester", "--shots", "--force-shots", "--refetch",
            "--source", "api", "--data-dir", str(data), env=_env(fake, tmp_path),
        )  # fmt: skip
    assert result.returncode == 2, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "levelup auth" in lines[0], result.stderr


def test_a_signal_while_skill_requests_are_in_flight_loses_no_skill_document(
    tmp_path: Path,
) -> None:
    """Stopped while the skill service is slow to answer: the stats fetched are written,
    and the rerun asks for every skill document the first run did not store (none is
    silently left missing: the tables end equal to an uninterrupted sync's)."""
    from levelup.demo.generator import DEMO_OWNER, write_recorded_dir

    root = tmp_path / "rec"
    write_recorded_dir(root, 60, compact=True)
    data = tmp_path / "data"
    args = ["sync", "--player", DEMO_OWNER.gamertag, "--source", "api", "--data-dir", str(data)]
    db = data / "players" / DEMO_OWNER.gamertag / "stats.duckdb"
    with FakeWaypoint.start_in_thread(root) as fake:
        fake.accept_token(TOKEN)
        env = _env(fake, tmp_path)
        fast = ("--requests-per-second", "200", "--json")
        full = run_cli(*args[:-1], str(tmp_path / "ref_data"), *fast, env=env)
        assert full.returncode == 0, full.stderr
        fake.reset_requests()
        fake.add_fault(Fault(r"/skill$", "slow", times=None, delay=1.0))
        process = _start([*args, "--requests-per-second", "40", "--json"], env)
        try:
            _wait_for(lambda: any(r.path.endswith("/skill") for r in fake.requests))
            _wait_for(lambda: sum(delivered(fake).values()) >= 10)
            process.send_signal(signal.SIGINT)
            signalled = time.monotonic()
            stdout, stderr = process.communicate(timeout=30)
        finally:
            process.kill()
        assert process.returncode == 130, stderr
        assert time.monotonic() - signalled < 5
        # --json: the report of what the stopped run did, on stdout as usual.
        partial = last_json(stdout)
        assert partial["interrupted"] is True and partial["walk_complete"] is False
        stored = _query(db, "SELECT count(*) FROM match_stats")[0][0]
        assert partial["matches_written"] == stored > 0
        assert stderr.strip().splitlines()[-1].startswith("levelup: interrupted by SIGINT")
        assert _query(db, "SELECT status FROM sync_runs") == [("interrupted",)]
        fake.clear_faults()
        rerun = run_cli(*args, *fast, env=env)
        assert rerun.returncode == 0, rerun.stderr
        assert last_json(rerun.stdout)["interrupted"] is False
    reference = tmp_path / "ref_data" / "players" / DEMO_OWNER.gamertag / "stats.duckdb"
    for table in ("match_stats", "match_skill", "match_skill_counterfactuals", "match_medals"):
        sql = f"SELECT count(*), count(DISTINCT match_id) FROM {table}"
        assert _query(db, sql) == _query(reference, sql), table
    assert _query(db, "SELECT count(*) FROM failed_matches") == [(0,)]


_INTERRUPTED_EARLY = """
import os, signal, sys, time
import levelup.sync.neighbours as neighbours
from levelup.cli import main

index = neighbours.Neighbours.index


def ctrl_c_while_indexing(self, *args, **kwargs):
    os.kill(os.getpid(), signal.SIGINT)  # as a user's Ctrl-C before any match is fetched
    time.sleep(0.5)
    return index(self, *args, **kwargs)


neighbours.Neighbours.index = ctrl_c_while_indexing
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize("who", [["--player", "DemoSpartan"], ["--all"]])
def test_a_signal_before_the_first_match_still_records_the_run_and_prints_its_report(
    tmp_path: Path, who: list[str]
) -> None:
    """Stopped while the other players' databases are indexed (before anything is
    fetched): the run is 'interrupted', not left 'running', and --json prints the report."""
    from levelup.demo.generator import write_recorded_dir

    recorded = tmp_path / "recorded"
    write_recorded_dir(recorded, 5, seed=2)
    data = tmp_path / "data"
    first = run_cli("sync", "--player", "DemoSpartan", "--source", str(recorded),
                    "--data-dir", str(data), "--max-matches", "2")  # fmt: skip
    assert first.returncode == 0, first.stderr
    stopped = subprocess.run(
        [sys.executable, "-c", _INTERRUPTED_EARLY, "sync", *who, "--source", str(recorded),
         "--data-dir", str(data), "--json"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert stopped.returncode == 130, stopped.stderr
    report = last_json(stopped.stdout)
    assert report["interrupted"] is True
    if who == ["--all"]:
        assert [p["player"] for p in report["players"]] == ["DemoSpartan"]
    db = data / "players" / "DemoSpartan" / "stats.duckdb"
    statuses = [r[0] for r in _query(db, "SELECT status FROM sync_runs ORDER BY started_at")]
    assert statuses == ["ok", "interrupted"]
