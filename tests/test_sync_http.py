"""Sync and backfill end to end over real HTTP against the fake Waypoint server:
in-process (`sync_player`, `backfill_player`) and as real `python -m levelup` runs.

What is checked: every match delivered by exactly one successful stats response
per pass (retries are counted apart), every fault kind survived with the stored
rows identical to a clean run, pacing, the recent/old 404 rules, token renewal
and a clean stop (exit 2, rows kept) when raw tokens expire.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from pathlib import Path
from typing import Any

import duckdb
import pytest

from levelup.sources.base import AuthError
from levelup.sources.http import Backoff
from levelup.sources.recorded import RecordedSource
from levelup.store.bookkeeping import failed_match_ids
from levelup.store.database import open_player_db
from levelup.sync.backfill import BackfillRequest, backfill_player
from levelup.testing.fake_waypoint import FakeWaypoint, Fault
from tests.helpers import last_json, run_cli
from tests.http_helpers import (
    PLAYER,
    STATS_RE,
    TOKEN,
    Sleeps,
    azure_env,
    delivered,
    make_recorded,
    make_source,
    mid,
    query,
    raw_env,
    snapshot,
    sync_into,
)


@pytest.fixture()
def reference(tmp_path: Path) -> tuple[Path, Path]:
    """A 40-match recorded directory (the 3 newest ended 5 minutes ago) and the
    database a clean sync from it (no HTTP) produces."""
    root = make_recorded(tmp_path / "rec", 40, recent=3)
    db = tmp_path / "reference.duckdb"
    report = sync_into(db, RecordedSource(root))
    assert report.matches_written == 40 and report.exit_code == 0
    return root, db


# --------------------------------------------------------------------- in-process


def test_clean_sync_over_http_matches_the_recorded_source(tmp_path: Path) -> None:
    """60 matches at 20 requests per second: identical rows, one stats request per
    match, and no one-second window with more than 21 request starts scheduled by
    the limiter (its decisions, not the server's clock, which a loaded machine skews)."""
    root = make_recorded(tmp_path / "rec", 60)
    reference = tmp_path / "reference.duckdb"
    sync_into(reference, RecordedSource(root))
    with FakeWaypoint.start_in_thread(root) as fake:
        fake.accept_token(TOKEN)
        source = make_source(fake, raw_env(tmp_path / "cfg"), rps=20, concurrency=4)
        db = tmp_path / "http.duckdb"
        report = sync_into(db, source)
        starts = list(source.session.limiter.granted)
        counts = delivered(fake)
        assert fake.count(STATS_RE) == 60
    assert report.exit_code == 0 and report.matches_written == 60
    assert report.api["calls"]["match_stats"] == 60 and report.api["retries"] == {}
    assert len(counts) == 60 and set(counts.values()) == {1}
    assert snapshot(db) == snapshot(reference)
    assert len(starts) == len(fake.requests)  # every request went through the limiter
    assert min(b - a for a, b in itertools.pairwise(starts)) >= 0.05 - 1e-9
    worst = max(sum(1 for t in starts if s <= t < s + 1.0) for s in starts)
    assert worst <= 21, worst


def test_every_fault_kind_survived(reference: tuple[Path, Path], tmp_path: Path) -> None:
    root, clean = reference
    recent = {mid(37), mid(38), mid(39)}
    sleeps = Sleeps()
    with FakeWaypoint.start_in_thread(root) as fake:
        faults = [
            Fault(STATS_RE, "429", times=2, retry_after=0.1),
            Fault(STATS_RE, "429", times=1),
            Fault(STATS_RE, "500", times=2),
            Fault(STATS_RE, "503", times=2),
            Fault(STATS_RE, "truncated", times=2),
            Fault(STATS_RE, "slow", times=1, delay=2.0),  # beyond the 0.8 s timeout
            Fault(STATS_RE, "401", times=1),
            Fault(STATS_RE, "404_then_ok", times=2, match_ids=recent),
            Fault(r"/matches$", "503", times=1),
            Fault(r"/matches$", "truncated", times=1),
            Fault(r"^/users$", "500", times=1),
        ]
        for fault in faults:
            fake.add_fault(fault)
        source = make_source(
            fake,
            azure_env(tmp_path / "cfg"),
            rps=200,
            backoff=Backoff(base=0.01, max_delay=0.05, timeout=0.8),
            sleep=sleeps,
        )
        db = tmp_path / "faulty.duckdb"
        report = sync_into(db, source)
        counts = delivered(fake)
        applied = [f.applied for f in fake.faults]
    assert applied == [2, 1, 2, 2, 2, 1, 1, 6, 1, 1, 1]
    assert report.exit_code == 0 and report.failures == [] and report.errors == []
    assert report.matches_written == 40
    # Exactly one delivered stats response per match; the retries are reported apart.
    assert len(counts) == 40 and set(counts.values()) == {1}
    assert report.api["calls"]["match_stats"] == 40
    assert report.api["retries"]["match_stats"] == 2 + 1 + 2 + 2 + 2 + 1 + 1 + 6
    assert report.api["retries"]["history"] == 2 and report.api["retries"]["profile"] == 1
    assert sum(1 for d in sleeps.delays if d >= 2.0) == 6  # the recent-404 policy
    assert snapshot(db) == snapshot(clean)


def test_old_match_404_is_recorded_missing_then_recovered(
    reference: tuple[Path, Path], tmp_path: Path
) -> None:
    root, clean = reference
    db = tmp_path / "http.duckdb"
    with FakeWaypoint.start_in_thread(root) as fake:
        fake.accept_token(TOKEN)
        gone = fake.add_fault(Fault(STATS_RE, "404_then_ok", times=None, match_ids={mid(5)}))
        report = sync_into(db, make_source(fake, raw_env(tmp_path / "cfg")))
        assert report.exit_code == 1 and report.matches_written == 39
        assert [f["match_id"] for f in report.failures] == [mid(5)]
        assert "missing" in report.failures[0]["reason"]
        assert fake.count(f"{mid(5)}/stats") == 1  # an old match: no 404 retries
        assert gone.applied == 1
        with duckdb.connect(str(db)) as conn:
            assert failed_match_ids(conn) == [mid(5)]

        # It is back: the next sync retries exactly the failed match.
        fake.clear_faults()
        fake.reset_requests()
        again = sync_into(db, make_source(fake, raw_env(tmp_path / "cfg")))
        assert again.exit_code == 0 and again.matches_retried == 1
        assert again.matches_written == 1
        assert list(delivered(fake)) == [f"/hi/matches/{mid(5)}/stats"]
    assert snapshot(db) == snapshot(clean)


def test_raw_token_expiry_stops_cleanly_and_keeps_rows(tmp_path: Path) -> None:
    root = make_recorded(tmp_path / "rec", 30)
    db = tmp_path / "http.duckdb"
    with FakeWaypoint.start_in_thread(root) as fake:
        fake.accept_token(TOKEN)
        # The token "expires" once the walk reaches the ten oldest matches.
        fake.add_fault(Fault(STATS_RE, "401", times=None, match_ids={mid(i) for i in range(10)}))
        with pytest.raises(AuthError, match="levelup auth"):
            sync_into(db, make_source(fake, raw_env(tmp_path / "cfg"), rps=100), concurrency=2)
    written = query(db, "SELECT count(*) FROM match_stats")[0][0]
    assert 0 < written <= 20
    assert query(db, "SELECT count(*) FROM match_documents")[0][0] == written
    assert query(db, "SELECT status FROM sync_runs") == [("auth-failed",)]


def test_backfill_refetch_over_http_with_faults(
    reference: tuple[Path, Path], tmp_path: Path
) -> None:
    root, clean = reference
    db = tmp_path / "copy.duckdb"
    db.write_bytes(clean.read_bytes())
    with FakeWaypoint.start_in_thread(root) as fake:
        fake.accept_token(TOKEN)
        for kind in ("429", "500", "503", "truncated", "401"):
            fake.add_fault(Fault(STATS_RE, kind, times=2))  # type: ignore[arg-type]
        source = make_source(fake, azure_env(tmp_path / "cfg"), rps=300)

        async def go() -> Any:
            conn, _ = open_player_db(db)
            try:
                request = BackfillRequest(
                    options={"shots": True, "participants_shots": True},
                    refetch=True,
                    batch_size=16,
                    progress=False,
                )
                return await backfill_player(
                    conn,
                    player="Tester",
                    owner_xuid=PLAYER,
                    request=request,
                    source_provider=lambda: source,
                )
            finally:
                conn.close()
                await source.aclose()

        report = asyncio.run(go())
        counts = delivered(fake)
    assert report.failures == [] and report.fetched_from_source == 40
    assert len(counts) == 40 and set(counts.values()) == {1}
    assert source.counters.calls["match_stats"] == 40
    assert source.counters.retries["match_stats"] == 10
    assert snapshot(db) == snapshot(clean)


# --------------------------------------------------------------------- real CLI runs


def _env(fake: FakeWaypoint, cfg: Path, **extra: str) -> dict[str, str]:
    return {
        "LEVELUP_HOST_MAP": json.dumps(fake.host_map()),
        "LEVELUP_CONFIG_DIR": str(cfg),
        **extra,
    }


def _sync_cli(data: Path, env: dict[str, str], *extra: str) -> Any:
    return run_cli(
        "sync",
        "--player",
        "Tester",
        "--source",
        "api",
        "--data-dir",
        str(data),
        "--requests-per-second",
        "100",
        "--json",
        "--no-skill",  # the recorded directory has no skill documents
        *extra,
        env=env,
    )


def test_cli_auth_then_sync_over_http(reference: tuple[Path, Path], tmp_path: Path) -> None:
    """`levelup auth --code` writes a 0600 file; `levelup sync --source api` signs in
    with it (strict rotation: each run must use the token the previous one saved),
    records an old 404 as a failure (exit 1), and the next run recovers it."""
    root, clean = reference
    cfg = tmp_path / "cfg"
    data = tmp_path / "data"
    with FakeWaypoint.start_in_thread(root, strict_refresh_tokens=True) as fake:
        env = _env(fake, cfg)
        auth = run_cli(
            "auth",
            "--client-id",
            "cli-client",
            "--client-secret",
            "cli-secret-value",
            "--code",
            "https://localhost/?code=M.C1_cli",
            env=env,
        )
        assert auth.returncode == 0, auth.stderr
        path = cfg / "credentials.json"
        assert path.stat().st_mode & 0o777 == 0o600
        assert json.loads(path.read_text())["refresh_token"] == fake.issued_refresh_tokens[-1]

        fake.add_fault(Fault(STATS_RE, "404_then_ok", times=None, match_ids={mid(3)}))
        fake.add_fault(Fault(STATS_RE, "503", times=3))
        first = _sync_cli(data, env)
        assert first.returncode == 1, first.stderr
        report = last_json(first.stdout)
        assert [f["match_id"] for f in report["failures"]] == [mid(3)]
        assert report["matches_written"] == 39
        assert report["api"]["retries"]["match_stats"] == 3
        assert report["api"]["calls"]["auth"] == 5  # one sign-in
        saved = json.loads(path.read_text())["refresh_token"]
        assert saved == fake.issued_refresh_tokens[-1]
        counts = delivered(fake)
        assert len(counts) == 39 and set(counts.values()) == {1}

        fake.clear_faults()
        second = _sync_cli(data, env)
        assert second.returncode == 0, second.stderr
        report = last_json(second.stdout)
        assert report["matches_retried"] == 1 and report["matches_written"] == 1
        assert json.loads(path.read_text())["refresh_token"] == fake.issued_refresh_tokens[-1]
        assert fake.count(f"{mid(3)}/stats", status=200) == 1
    assert snapshot(data / "players" / "Tester" / "stats.duckdb") == snapshot(clean)


def test_cli_raw_token_expiry_exits_2_and_keeps_rows(tmp_path: Path) -> None:
    root = make_recorded(tmp_path / "rec", 30)
    data = tmp_path / "data"
    with FakeWaypoint.start_in_thread(root) as fake:
        fake.accept_token(TOKEN)
        fake.add_fault(Fault(STATS_RE, "401", times=None, match_ids={mid(i) for i in range(10)}))
        env = _env(
            fake,
            tmp_path / "cfg",
            SPNKR_SPARTAN_TOKEN=TOKEN,
            SPNKR_CLEARANCE_TOKEN="raw-clearance-token",
        )
        result = _sync_cli(data, env, "--concurrency", "2")
    assert result.returncode == 2, result.stderr
    assert "levelup auth" in result.stderr and "Traceback" not in result.stderr
    assert TOKEN not in result.stderr + result.stdout
    db = data / "players" / "Tester" / "stats.duckdb"
    written = query(db, "SELECT count(*) FROM match_stats")[0][0]
    assert 0 < written <= 20
    # `--json` (given by `_sync_cli`): the run's report still ends stdout, with the reason.
    stopped = last_json(result.stdout)
    assert stopped["matches_written"] == written and "levelup auth" in stopped["error"]
    assert query(db, "SELECT status FROM sync_runs") == [("auth-failed",)]


def test_lookup_errors_name_their_request_once(tmp_path: Path) -> None:
    """A profile or asset lookup that gives up is reported once per request, its
    message naming the request a single time (the source's message names it already:
    "gamertags of 8 players: gamertags of 8 players: ..." read as two failures)."""
    root = make_recorded(tmp_path / "rec", 5)
    with FakeWaypoint.start_in_thread(root) as fake:
        fake.accept_token(TOKEN)
        fake.add_fault(Fault(r"^/users$", "500", times=None))
        fake.add_fault(Fault(r"^/hi/maps/", "500", times=None))
        source = make_source(
            fake, raw_env(tmp_path / "cfg"), rps=200, backoff=Backoff(base=0.01, max_delay=0.02)
        )
        report = sync_into(tmp_path / "http.duckdb", source)
    assert report.matches_written == 5 and report.failures == []
    errors = report.names["errors"]
    gamertags = [e for e in errors if "gamertags of" in e]
    maps = [e for e in errors if e.startswith("maps ")]
    assert len(gamertags) == 1 and gamertags[0].count("gamertags of") == 1, errors
    assert "gave up" in gamertags[0] and "HTTP 500" in gamertags[0], gamertags
    assert maps and all(e.count(" version ") == 1 for e in maps), errors
