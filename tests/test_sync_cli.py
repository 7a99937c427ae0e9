"""`levelup sync` end to end: real subprocess runs on a recorded directory, real DuckDB files."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import duckdb
import orjson
import pytest

from tests.helpers import (
    FIXTURE_PLAYER,
    MATCH_FILES,
    core,
    fixture_recorded_dir,
    last_json,
    match,
    needs_fixtures,
    player,
    run_cli,
    write_recorded_dir,
)


def _db(data: Path, folder: str = "FixturePlayer") -> Path:
    return data / "players" / folder / "stats.duckdb"


def _query(path: Path, sql: str):
    with duckdb.connect(str(path), read_only=True) as conn:
        return conn.execute(sql).fetchall()


@needs_fixtures
def test_first_sync_stores_every_match_participant_and_raw_json(tmp_path):
    recorded = fixture_recorded_dir(tmp_path / "rec")
    result = run_cli("sync", "--player", "FixturePlayer", "--source", str(recorded),
                     "--data-dir", str(tmp_path / "data"), "--json")  # fmt: skip
    assert result.returncode == 0, result.stderr
    report = last_json(result.stdout)
    assert report["matches_new"] == report["matches_written"] == len(MATCH_FILES)
    assert report["failures"] == [] and report["walk_complete"] is True
    assert report["api"]["calls"]["match_stats"] == len(MATCH_FILES)
    db = _db(tmp_path / "data")
    players = sum(len(orjson.loads(p.read_bytes())["Players"]) for p in MATCH_FILES)
    assert _query(
        db, "SELECT count(*), count(shots_fired), count(shots_hit) FROM match_participants"
    ) == [(players, players, players)]
    assert _query(db, "SELECT count(*), count(shots_fired) FROM match_stats") == [
        (len(MATCH_FILES), len(MATCH_FILES))
    ]
    assert _query(db, "SELECT count(*) FROM match_documents")[0][0] == len(MATCH_FILES)
    assert _query(db, "SELECT value FROM levelup_meta WHERE key = 'owner_xuid'") == [
        (FIXTURE_PLAYER,)
    ]
    runs = _query(db, "SELECT command, status, matches_written FROM sync_runs")
    assert runs == [("sync", "ok", len(MATCH_FILES))]

    # Incremental: the walk stops at the first known match, nothing is fetched again.
    again = run_cli("sync", "--player", "fixtureplayer", "--source", str(recorded),
                    "--data-dir", str(tmp_path / "data"), "--json")  # fmt: skip
    assert again.returncode == 0, again.stderr
    second = last_json(again.stdout)
    assert second["matches_new"] == 0 and second["matches_seen"] == 1
    assert "match_stats" not in second["api"]["calls"]


def _history(xuid: str, docs: list[dict]) -> bytes:
    results = [
        {"MatchId": d["MatchId"], "MatchInfo": {"StartTime": d["MatchInfo"]["StartTime"],
         "LifecycleMode": 3}, "LastTeamId": 0, "Outcome": 2, "Rank": 1,
         "PresentAtEndOfMatch": True}
        for d in docs
    ]  # fmt: skip
    return orjson.dumps({"Start": 0, "Count": 25, "ResultCount": len(results), "Results": results})


OWNER = "2535400000000001"


def _good(i: int) -> dict:
    return match(
        f"00000000-0000-4000-8000-00000000000{i}",
        [player(f"xuid({OWNER})", (0, core(ShotsFired=10 * i, ShotsHit=i)))],
        start=f"2025-01-0{i}T10:00:00.000Z",
    )


def test_a_bad_match_is_reported_and_the_rest_is_written(tmp_path):
    good = [_good(i) for i in (1, 2, 3)]
    no_owner = match("00000000-0000-4000-8000-000000000004",
                     [player("xuid(2535400000000009)", (0, core()))], start="2025-01-04T10:00:00Z")  # fmt: skip
    no_start = _good(5)
    del no_start["MatchInfo"]["StartTime"]
    bad_json_id = "00000000-0000-4000-8000-000000000006"
    missing_id = "00000000-0000-4000-8000-000000000007"
    recorded = write_recorded_dir(
        tmp_path / "rec",
        [*good, no_owner, no_start, (bad_json_id, b'{"MatchId": "trunc')],
        [{"gamertag": "Owner", "xuid": OWNER}],
    )
    listed = [*good, no_owner, {**no_start, "MatchInfo": {"StartTime": "2025-01-05T10:00:00Z"}},
              {"MatchId": bad_json_id, "MatchInfo": {"StartTime": "2025-01-06T10:00:00Z"}},
              {"MatchId": missing_id, "MatchInfo": {"StartTime": "2025-01-07T10:00:00Z"}}]  # fmt: skip
    (recorded / "history" / OWNER).mkdir(parents=True)
    (recorded / "history" / OWNER / "page0.json").write_bytes(_history(OWNER, listed))
    data = tmp_path / "data"
    result = run_cli("sync", "--player", "Owner", "--source", str(recorded), "--data-dir",
                     str(data), "--json")  # fmt: skip
    assert result.returncode == 1, result.stderr
    report = last_json(result.stdout)
    reasons = {f["match_id"]: f["reason"] for f in report["failures"]}
    assert set(reasons) == {no_owner["MatchId"], no_start["MatchId"], bad_json_id, missing_id}
    assert "not among the match's players" in reasons[no_owner["MatchId"]]
    assert "StartTime" in reasons[no_start["MatchId"]]
    assert "invalid JSON" in reasons[bad_json_id]
    assert missing_id in reasons[missing_id] or "not" in reasons[missing_id].lower()
    assert report["matches_written"] == 3 and report["walk_complete"] is False
    db = _db(data, "Owner")
    assert _query(db, "SELECT count(*) FROM match_stats")[0][0] == 3
    assert len(_query(db, "SELECT match_id FROM failed_matches WHERE attempts = 1")) == 4

    # The human readable report names them too.
    text = run_cli("sync", "--player", "Owner", "--source", str(recorded), "--data-dir", str(data))
    assert text.returncode == 1
    assert bad_json_id in text.stdout and "failed matches" in text.stdout

    # Fix one match: the next run retries the failures and writes it.
    (recorded / "matches" / f"{bad_json_id}.json").write_bytes(
        orjson.dumps(_good(6) | {"MatchId": bad_json_id})
    )
    fixed = run_cli("sync", "--player", "Owner", "--source", str(recorded), "--data-dir",
                    str(data), "--json")  # fmt: skip
    assert fixed.returncode == 1
    assert last_json(fixed.stdout)["matches_retried"] == 4
    assert _query(db, "SELECT count(*) FROM match_stats")[0][0] == 4
    failed = dict(_query(db, "SELECT match_id, attempts FROM failed_matches"))
    assert bad_json_id not in failed and failed[missing_id] == 3


def test_max_matches_leaves_the_walk_incomplete_and_the_next_run_resumes(tmp_path):
    docs = [_good(i) for i in range(1, 8)]
    recorded = write_recorded_dir(tmp_path / "rec", docs, [{"gamertag": "Owner", "xuid": OWNER}])
    data = tmp_path / "data"
    first = run_cli("sync", "--player", "Owner", "--source", str(recorded), "--data-dir",
                    str(data), "--max-matches", "2", "--json")  # fmt: skip
    assert first.returncode == 0, first.stderr
    report = last_json(first.stdout)
    assert report["matches_written"] == 2 and report["walk_complete"] is False
    db = _db(data, "Owner")
    newest = {r[0] for r in _query(db, "SELECT match_id FROM match_stats")}
    assert newest == {docs[6]["MatchId"], docs[5]["MatchId"]}
    second = run_cli("sync", "--player", "Owner", "--source", str(recorded), "--data-dir",
                     str(data), "--json")  # fmt: skip
    report = last_json(second.stdout)
    assert report["resumed"] is True and report["matches_written"] == 5
    assert report["walk_complete"] is True
    assert _query(db, "SELECT count(*) FROM match_stats")[0][0] == 7


def test_match_type_filter(tmp_path):
    custom = match("00000000-0000-4000-8000-0000000000c1",
                   [player(f"xuid({OWNER})", (0, core(ShotsFired=3, ShotsHit=1)))], lifecycle=1)  # fmt: skip
    recorded = write_recorded_dir(
        tmp_path / "rec", [_good(1), custom], [{"gamertag": "Owner", "xuid": OWNER}]
    )
    result = run_cli("sync", "--player", "Owner", "--source", str(recorded), "--data-dir",
                     str(tmp_path / "data"), "--match-type", "custom", "--json")  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert _query(_db(tmp_path / "data", "Owner"), "SELECT match_id FROM match_stats") == [
        (custom["MatchId"],)
    ]


@needs_fixtures
def test_unknown_player_and_bad_source_are_usage_errors(tmp_path):
    recorded = fixture_recorded_dir(tmp_path / "rec")
    unknown = run_cli(
        "sync", "--player", "Nobody", "--source", str(recorded), "--data-dir", str(tmp_path)
    )
    assert unknown.returncode == 2
    assert "Nobody" in unknown.stderr and "Traceback" not in unknown.stderr
    bad = run_cli(
        "sync", "--player", "X", "--source", str(tmp_path / "nope"), "--data-dir", str(tmp_path)
    )
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert "recorded-responses directory" in bad.stderr
    usage = run_cli("sync", "--source", str(recorded))
    assert usage.returncode == 2 and "--player" in usage.stderr


@pytest.mark.parametrize("spec", ["", "  "])
def test_an_empty_source_is_a_usage_error_not_the_current_folder(tmp_path, spec):
    """`Path("")` is ".": an empty `--source` (an unset shell variable) must not read
    whatever recorded directory the command happens to run in."""
    owner = "2533274800000401"
    doc = match("eeeeeeee-0000-4000-8000-000000000001", [player(f"xuid({owner})", (0, core()))])
    here = write_recorded_dir(tmp_path / "rec", [doc], [{"gamertag": "Here", "xuid": owner}])
    result = run_cli("sync", "--player", "Here", "--source", spec, "--data-dir",
                     str(tmp_path / "data"), cwd=here)  # fmt: skip
    assert result.returncode == 2, result.stdout + result.stderr
    assert f"--source {spec!r} is neither 'api' nor" in result.stderr
    assert "Traceback" not in result.stderr and not (tmp_path / "data").exists()


@pytest.mark.parametrize(("value", "says"), [("0", "at least 1"), ("100000", "at most 64")])
def test_concurrency_out_of_range_is_a_usage_error(tmp_path, value, says):
    """100,000 fetcher tasks would be created before the first request: refused."""
    result = run_cli("sync", "--player", "X", "--source", str(tmp_path), "--concurrency", value)
    assert result.returncode == 2 and says in result.stderr and "Traceback" not in result.stderr


def test_missing_api_credentials_name_the_variables(tmp_path):
    result = run_cli("sync", "--player", "Someone", "--data-dir", str(tmp_path),
                     env={"LEVELUP_CONFIG_DIR": str(tmp_path / "config")})  # fmt: skip
    assert result.returncode == 2
    assert "SPNKR_" in result.stderr and "Traceback" not in result.stderr


@needs_fixtures
def test_a_second_writer_gets_a_clear_message(tmp_path):
    recorded = fixture_recorded_dir(tmp_path / "rec")
    data = tmp_path / "data"
    assert run_cli("sync", "--player", "FixturePlayer", "--source", str(recorded),
                   "--data-dir", str(data)).returncode == 0  # fmt: skip
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('ready', flush=True); "
         "time.sleep(60)", str(_db(data))],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        started = time.monotonic()
        result = run_cli("sync", "--player", "FixturePlayer", "--source", str(recorded),
                         "--data-dir", str(data))  # fmt: skip
        assert result.returncode == 2
        assert "in use by another" in result.stderr and "Traceback" not in result.stderr
        assert time.monotonic() - started < 30
    finally:
        holder.kill()
        holder.wait()


@needs_fixtures
@pytest.mark.parametrize("who", ["FIXTUREPLAYER", FIXTURE_PLAYER, f"xuid({FIXTURE_PLAYER})"])
def test_player_is_found_by_gamertag_case_insensitively_or_by_xuid(tmp_path, who):
    recorded = fixture_recorded_dir(tmp_path / "rec")
    data = tmp_path / "data"
    assert run_cli("sync", "--player", "FixturePlayer", "--source", str(recorded),
                   "--data-dir", str(data)).returncode == 0  # fmt: skip
    result = run_cli(
        "sync", "--player", who, "--source", str(recorded), "--data-dir", str(data), "--json"
    )
    assert result.returncode == 0, result.stderr
    assert last_json(result.stdout)["xuid"] == FIXTURE_PLAYER
    assert [p.name for p in (data / "players").iterdir()] == ["FixturePlayer"]


@needs_fixtures
def test_data_dir_comes_from_the_environment(tmp_path):
    recorded = fixture_recorded_dir(tmp_path / "rec")
    result = run_cli("sync", "--player", "FixturePlayer", "--source", str(recorded),
                     env={"LEVELUP_DATA_DIR": str(tmp_path / "envdata")}, cwd=tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert _db(tmp_path / "envdata").exists()
