"""Match counts and service records (issue 13): the progress bar's true total, dated
snapshots, and the completeness comparison with its differences named; a recorded
directory without them claims nothing and fails nothing. Real DuckDB files, the
recorded directory and the fake Waypoint over loopback, and the CLI."""

from __future__ import annotations

import asyncio
from pathlib import Path

import duckdb
import orjson
import pytest

from levelup.analysis.completeness import completeness, describe
from levelup.sources.base import PlayerIdentity
from levelup.sources.recorded import RecordedSource
from levelup.store.database import open_player_db
from levelup.sync.career import duration_seconds, parse_counts, parse_service_record
from levelup.sync.sync import SyncOptions, sync_player
from levelup.testing.fake_waypoint import FakeWaypoint
from tests.helpers import FIXTURES, core, last_json, match, needs_fixtures, player, run_cli
from tests.helpers import write_recorded_dir as write_dir
from tests.http_helpers import TOKEN, make_source, raw_env

OWNER = PlayerIdentity("2533274800000001", "Owner")
OTHER = "2533274800000002"


def _match(i: int, *, lifecycle: int, outcome: int, kills: int, shots: tuple[int, int]) -> dict:
    me = player(
        f"xuid({OWNER.xuid})",
        (0, core(Kills=kills, Deaths=2, Assists=1, ShotsFired=shots[0], ShotsHit=shots[1])),
        outcome=outcome,
    )
    them = player(f"xuid({OTHER})", (1, core(Kills=1)), outcome=3)
    return match(
        f"00000000-0000-4000-8000-{i:012d}",
        [me, them],
        start=f"2025-01-{i + 1:02d}T10:00:00.000Z",
        lifecycle=lifecycle,
    )


# Three matchmade matches (2 wins, 1 loss; kills 5+7+3; shots 100/50, 80/40, 60/30)
# and one custom game (a tie, 4 kills, 20/10 shots).
DOCS = [
    _match(0, lifecycle=3, outcome=2, kills=5, shots=(100, 50)),
    _match(1, lifecycle=3, outcome=2, kills=7, shots=(80, 40)),
    _match(2, lifecycle=3, outcome=3, kills=3, shots=(60, 30)),
    _match(3, lifecycle=1, outcome=1, kills=4, shots=(20, 10)),
]


def _record(matches: int, wins: int, losses: int, ties: int, kills: int, fired: int, hit: int):
    return {
        "TimePlayed": "PT40M",
        "MatchesCompleted": matches,
        "Wins": wins,
        "Losses": losses,
        "Ties": ties,
        "CoreStats": core(
            Kills=kills, Deaths=2 * matches, Assists=matches, ShotsFired=fired, ShotsHit=hit
        ),
    }


def recorded(root: Path, *, counts: dict | None, records: dict[str, dict] | None) -> Path:
    write_dir(root, DOCS, [{"gamertag": OWNER.gamertag, "xuid": OWNER.xuid}])
    if counts is not None:
        (root / "matches_count").mkdir()
        (root / "matches_count" / f"{OWNER.xuid}.json").write_bytes(orjson.dumps(counts))
    for match_type, body in (records or {}).items():
        folder = root / "service_record" / OWNER.xuid
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{match_type}.json").write_bytes(orjson.dumps(body))
    return root


COUNTS = {
    "MatchesPlayedCount": 4,
    "MatchmadeMatchesPlayedCount": 3,
    "CustomMatchesPlayedCount": 1,
    "LocalMatchesPlayedCount": 0,
}
TRUE_RECORDS = {
    "matchmade": _record(3, 2, 1, 0, 15, 240, 120),
    "custom": _record(1, 0, 0, 1, 4, 20, 10),
    "local": _record(0, 0, 0, 0, 0, 0, 0),
}


def sync(db: Path, source, **options) -> dict:
    async def go():
        conn, _ = open_player_db(db)
        try:
            return await sync_player(conn, source, OWNER, SyncOptions(progress=False, **options))
        finally:
            conn.close()
            await source.aclose()

    return asyncio.run(go()).as_dict()


def check(db: Path) -> dict | None:
    with duckdb.connect(str(db), read_only=True) as conn:
        return completeness(conn, OWNER.xuid)


def test_parsers_on_the_real_samples() -> None:
    if not FIXTURES.is_dir():
        pytest.skip("shared fixtures not found")
    counts = parse_counts((FIXTURES / "get_match_count.json").read_bytes())
    assert counts == {"all": 731, "matchmade": 729, "custom": 2, "local": 0}
    row = parse_service_record(
        (FIXTURES / "get_service_record.json").read_bytes(), "1", "matchmade", None
    )  # type: ignore[arg-type]
    assert (row.matches_completed, row.wins, row.losses, row.ties) == (2664, 1405, 1219, 38)
    assert (row.kills, row.deaths, row.assists) == (42197, 26566, 15174)
    assert (row.shots_fired, row.shots_hit) == (1033857, 487503)
    assert row.time_played_seconds == pytest.approx(17 * 86400 + 10 * 3600 + 55 * 60 + 53.7685509)
    empty = parse_service_record(
        (FIXTURES / "get_service_record_empty.json").read_bytes(), "1", "custom", None
    )  # type: ignore[arg-type]
    assert empty.matches_completed == 0 and empty.time_played_seconds == 0
    assert duration_seconds("PT1M11S") == 71 and duration_seconds("soon") is None


def test_first_sync_has_the_true_total_and_a_complete_history(tmp_path: Path) -> None:
    root = recorded(tmp_path / "rec", counts=COUNTS, records=TRUE_RECORDS)
    db = tmp_path / "p.duckdb"
    report = sync(db, RecordedSource(root))
    assert report["matches_written"] == 4
    assert report["matches_counted"] == 4 and report["progress_total"] == 4
    assert report["career"] == {"counts": parse_counts(orjson.dumps(COUNTS)), "service_records": 3}
    assert report["career_errors"] == [] and report["api"]["calls"]["match_count"] == 1
    assert report["api"]["calls"]["service_record"] == 3
    result = check(db)
    assert result is not None and result["complete"], result
    assert result["types"]["matchmade"] == {
        "stored": 3, "api_count": 3, "missing": 0, "differences": []
    }  # fmt: skip
    assert describe(result) == "complete (4 matches)"
    # Each sync adds a dated snapshot; the comparison reads the newest.
    sync(db, RecordedSource(root))
    with duckdb.connect(str(db), read_only=True) as conn:
        assert conn.execute("SELECT count(*) FROM service_record_snapshots").fetchall() == [(6,)]


def test_a_difference_is_named_with_its_numbers(tmp_path: Path) -> None:
    records = dict(TRUE_RECORDS, matchmade=_record(5, 3, 2, 0, 19, 240, 120))
    counts = dict(COUNTS, MatchesPlayedCount=6, MatchmadeMatchesPlayedCount=5)
    root = recorded(tmp_path / "rec", counts=counts, records=records)
    db = tmp_path / "p.duckdb"
    report = sync(db, RecordedSource(root))
    # The API counts 6: the bar's total is 6, though only 4 are there to fetch.
    assert report["progress_total"] == 6 and report["matches_written"] == 4
    result = check(db)
    assert result is not None and not result["complete"]
    mm = result["types"]["matchmade"]
    assert (mm["api_count"], mm["stored"], mm["missing"]) == (5, 3, 2)
    named = {d["field"]: (d["api"], d["warehouse"], d["difference"]) for d in mm["differences"]}
    assert named == {
        "matches_completed": (5, 3, -2), "wins": (3, 2, -1), "losses": (2, 1, -1),
        "kills": (19, 15, -4), "deaths": (10, 6, -4), "assists": (5, 3, -2),
    }  # fmt: skip
    assert "matchmade: the API counts 5 matches, 3 are stored (-2)" in result["differences"]
    assert (
        "matchmade service record kills: 19, the warehouse's sum 15 (-4)" in (result["differences"])
    )
    assert result["types"]["custom"]["differences"] == []


def test_no_count_or_service_record_claims_nothing_and_fails_nothing(tmp_path: Path) -> None:
    root = recorded(tmp_path / "rec", counts=None, records=None)
    db = tmp_path / "p.duckdb"
    report = sync(db, RecordedSource(root))
    assert report["matches_written"] == 4 and report["failures"] == [] and not report["errors"]
    assert report["matches_counted"] is None and report["career_errors"] == []
    assert report["progress_total"] == 4  # counted as the walk went
    assert "match_count" not in report["api"]["calls"]
    assert check(db) is None and describe(None) == "not known"


def test_an_incremental_sync_counts_the_new_matches(tmp_path: Path) -> None:
    root = recorded(tmp_path / "rec", counts=COUNTS, records=TRUE_RECORDS)
    db = tmp_path / "p.duckdb"
    sync(db, RecordedSource(root))
    new = _match(9, lifecycle=3, outcome=2, kills=1, shots=(10, 5))
    (root / "matches" / f"{new['MatchId']}.json").write_bytes(orjson.dumps(new))
    counts = dict(COUNTS, MatchesPlayedCount=5, MatchmadeMatchesPlayedCount=4)
    (root / "matches_count" / f"{OWNER.xuid}.json").write_bytes(orjson.dumps(counts))
    report = sync(db, RecordedSource(root))
    assert report["matches_written"] == 1 and report["progress_total"] == 1
    assert report["matches_counted"] == 5


def test_a_corrupt_count_is_named_and_the_sync_goes_on(tmp_path: Path) -> None:
    root = recorded(tmp_path / "rec", counts=COUNTS, records=TRUE_RECORDS)
    (root / "matches_count" / f"{OWNER.xuid}.json").write_bytes(b"{not json")
    report = sync(tmp_path / "p.duckdb", RecordedSource(root))
    assert report["matches_written"] == 4 and report["walk_complete"]
    assert report["career_errors"] == ["match count: the match count answer is not JSON"]


@needs_fixtures
def test_through_the_fake_the_total_is_the_count_services(tmp_path: Path) -> None:
    """Real HTTP: the count comes from the fake's count service (the recorded body), the
    service records the fake does not have answer 404: no snapshot, no failure."""
    root = recorded(tmp_path / "rec", counts=dict(COUNTS, MatchesPlayedCount=7), records=None)
    fake = FakeWaypoint.start_in_thread(root)
    fake.accept_token(TOKEN)
    try:
        source = make_source(fake, raw_env(tmp_path / "cfg"))
        report = sync(tmp_path / "p.duckdb", source)
        assert fake.count(r"/matches/count$", status=200) == 1
        assert fake.count(r"/servicerecord$", status=404) == 3
    finally:
        fake.stop()
    assert report["matches_counted"] == 7 and report["progress_total"] == 7
    assert report["matches_written"] == 4 and report["career_errors"] == []
    assert report["career"]["service_records"] == 0


def test_cli_sync_json_says_the_count(tmp_path: Path) -> None:
    root = recorded(tmp_path / "rec", counts=COUNTS, records=TRUE_RECORDS)
    result = run_cli(
        "sync", "--player", OWNER.gamertag or "", "--source", str(root),
        "--data-dir", str(tmp_path / "data"), "--json",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    report = last_json(result.stdout)
    assert report["matches_counted"] == 4 and report["career"]["service_records"] == 3


def test_report_says_what_the_api_counts_and_names_differences(tmp_path: Path) -> None:
    records = dict(TRUE_RECORDS, custom=_record(1, 0, 0, 1, 9, 20, 10))
    root = recorded(tmp_path / "rec", counts=COUNTS, records=records)
    data = tmp_path / "data"
    synced = run_cli("sync", "--player", "Owner", "--source", str(root), "--data-dir", str(data))
    assert synced.returncode == 0, synced.stderr
    result = run_cli("report", "--player", "Owner", "--data-dir", str(data), "--json")
    assert result.returncode == 0, result.stderr
    found = last_json(result.stdout)["completeness"]
    assert found["types"]["all"] == {"stored": 4, "api_count": 4, "missing": 0}
    assert found["differences"] == ["custom service record kills: 9, the warehouse's sum 4 (-5)"]
    text = run_cli("report", "--player", "Owner", "--data-dir", str(data))
    assert text.returncode == 0, text.stderr
    assert "Completeness: 1 difference (stored/counted by the API: all 4/4, matchmade 3/3" in (
        text.stdout
    )
    assert "custom service record kills: 9, the warehouse's sum 4 (-5)" in text.stdout


def test_generated_career_documents_make_a_complete_history(tmp_path: Path) -> None:
    """`levelup.demo.career` writes the count and service records a generated directory's
    matches imply: a sync of it is complete; the demo shows it."""
    from levelup.demo.career import write_career_documents
    from levelup.demo.generator import DEMO_OWNER
    from levelup.demo.generator import write_recorded_dir as generate

    root = tmp_path / "gen"
    generate(root, 40, seed=3)
    counts = write_career_documents(root, DEMO_OWNER.xuid)
    assert counts["all"] == 40 and counts["matchmade"] + counts["custom"] <= 40
    db = tmp_path / "demo.duckdb"

    async def go():
        conn, _ = open_player_db(db)
        try:
            return await sync_player(
                conn, RecordedSource(root), DEMO_OWNER, SyncOptions(progress=False)
            )
        finally:
            conn.close()

    report = asyncio.run(go())
    assert report.progress_total == 40 and report.career["service_records"] == 3
    with duckdb.connect(str(db), read_only=True) as conn:
        result = completeness(conn, DEMO_OWNER.xuid)
    assert result is not None and result["complete"], result["differences"]
