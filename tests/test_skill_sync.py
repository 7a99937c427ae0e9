"""The skill service in sync and backfill (issue 11): over real HTTP against the fake
Waypoint server, and through `python -m levelup` on recorded directories."""

from __future__ import annotations

import asyncio
import copy
import shutil
import urllib.parse
from collections import Counter
from pathlib import Path

import duckdb
import orjson
import pytest

from levelup.demo.generator import DEMO_OWNER, write_recorded_dir
from levelup.sources.base import MatchSource, PlayerIdentity
from levelup.sources.recorded import RecordedSource
from levelup.store.bookkeeping import failed_match_ids
from levelup.store.database import open_player_db
from levelup.sync.sync import SyncOptions, SyncReport, sync_player
from levelup.testing.fake_waypoint import FakeWaypoint, Fault
from tests.helpers import last_json, run_cli
from tests.http_helpers import TOKEN, make_source, raw_env

OWNER = PlayerIdentity(DEMO_OWNER.xuid, DEMO_OWNER.gamertag)
SKILL_RE = r"^/hi/matches/[^/]+/skill$"
MATCHES = 40


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("skill") / "rec"
    write_recorded_dir(root, MATCHES, compact=True)
    return root


def _copy(generated: Path, target: Path) -> Path:
    shutil.copytree(generated, target, ignore=shutil.ignore_patterns(".index.json"))
    return target


def _sync(db: Path, source: MatchSource, **options: object) -> SyncReport:
    async def run() -> SyncReport:
        conn, _ = open_player_db(db)
        try:
            return await sync_player(conn, source, OWNER, SyncOptions(**options))
        finally:
            conn.close()
            await source.aclose()

    return asyncio.run(run())


def _query(db: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as conn:
        return conn.execute(sql).fetchall()


def _humans_and_lifecycle(root: Path) -> dict[str, tuple[int, set[str], set[str]]]:
    """Per match: lifecycle mode, its humans' xuids, its bots' ids (from the stats files)."""
    out = {}
    for path in (root / "matches").glob("*.json"):
        doc = orjson.loads(path.read_bytes())
        humans = {p["PlayerId"][5:-1] for p in doc["Players"] if p["PlayerId"].startswith("xuid(")}
        bots = {p["PlayerId"] for p in doc["Players"] if p["PlayerId"].startswith("bid(")}
        out[doc["MatchId"]] = (doc["MatchInfo"]["LifecycleMode"], humans, bots)
    return out


def _add_a_bot_to_a_matchmade_match(root: Path) -> None:
    """Matchmaking backfills a quitter's seat with a bot: such a match asks its humans only."""
    for path in sorted((root / "matches").glob("*.json")):
        doc = orjson.loads(path.read_bytes())
        if doc["MatchInfo"]["LifecycleMode"] == 3 and doc["Teams"]:
            bot = copy.deepcopy(doc["Players"][0])
            bot.update(PlayerId="bid(8.0)", PlayerType=2, BotAttributes={"Difficulty": 2})
            doc["Players"].append(bot)
            path.write_bytes(orjson.dumps(doc))
            return
    raise AssertionError("no matchmade team match generated")


def test_each_matchmade_match_asks_exactly_its_humans_over_http(
    generated: Path, tmp_path: Path
) -> None:
    root = _copy(generated, tmp_path / "rec")
    _add_a_bot_to_a_matchmade_match(root)
    matches = _humans_and_lifecycle(root)
    with FakeWaypoint.start_in_thread(root) as fake:
        fake.accept_token(TOKEN)
        source = make_source(fake, raw_env(tmp_path / "cfg"))
        db = tmp_path / "http.duckdb"
        report = _sync(db, source)
        skill_requests = [r for r in fake.requests if r.host == "skill.svc.halowaypoint.com"]
    assert report.exit_code == 0, report.as_dict()
    asked: dict[str, list[str]] = {}
    for request in skill_requests:
        if request.path.endswith("/skill"):
            match_id = request.path.split("/")[3]
            assert match_id not in asked, "one skill request per match"
            asked[match_id] = urllib.parse.parse_qs(request.query)["players"]
            assert request.status == 200
    matchmade = {m for m, (mode, _, _) in matches.items() if mode == 3}
    assert set(asked) == matchmade and len(matchmade) < len(matches)  # customs never asked
    with_bots = 0
    for match_id, players in asked.items():
        _, humans, bots = matches[match_id]
        assert sorted(players) == sorted(f"xuid({x})" for x in humans)
        assert not any("bid(" in p for p in players)
        with_bots += bool(bots)
    assert with_bots, "the generated data has matchmade matches with bots"
    assert report.api["calls"]["match_skill"] == len(matchmade)
    assert report.api["calls"]["playlist_csr"] == 1
    assert report.skill.stored == len(matchmade) and report.skill.snapshots == 1
    # The same rows as a sync from the directory itself.
    reference = tmp_path / "recorded.duckdb"
    _sync(reference, RecordedSource(root))
    for table in ("match_skill", "match_team_skill", "match_skill_counterfactuals"):
        sql = f"SELECT * EXCLUDE (sync_run_id) FROM {table} ORDER BY ALL"  # runs differ
        assert _query(db, sql) == _query(reference, sql) and _query(db, sql)
    skill_matches = _query(db, "SELECT count(DISTINCT match_id) FROM match_skill")[0][0]
    assert skill_matches == len(matchmade)


def test_a_skill_500_then_success_stores_it_once(generated: Path, tmp_path: Path) -> None:
    root = _copy(generated, tmp_path / "rec")
    with FakeWaypoint.start_in_thread(root) as fake:
        fake.accept_token(TOKEN)
        fake.add_fault(Fault(SKILL_RE, "500", times=3))
        fake.add_fault(Fault(SKILL_RE, "429", times=1, retry_after=0.05))
        source = make_source(fake, raw_env(tmp_path / "cfg"))
        db = tmp_path / "db.duckdb"
        report = _sync(db, source)
        ok = Counter(r.path for r in fake.requests if r.path.endswith("/skill") and r.status == 200)
    assert report.exit_code == 0 and report.skill.failed == 0
    assert report.api["retries"]["match_skill"] == 4
    assert set(ok.values()) == {1}
    stored = _query(db, "SELECT count(*) FROM match_documents WHERE kind = 'skill'")[0][0]
    assert stored == len(ok) == report.skill.stored


def test_a_skill_failure_keeps_the_stats_and_is_retried_next_sync(
    generated: Path, tmp_path: Path
) -> None:
    root = _copy(generated, tmp_path / "rec")
    victim = sorted(p.stem for p in (root / "skill").glob("*.json"))[0]
    with FakeWaypoint.start_in_thread(root) as fake:
        fake.accept_token(TOKEN)
        fake.add_fault(Fault(SKILL_RE, "503", times=None, match_ids=[victim]))
        db = tmp_path / "db.duckdb"
        report = _sync(db, make_source(fake, raw_env(tmp_path / "cfg")))
        assert report.exit_code == 1
        assert [(f["match_id"], f["kind"]) for f in report.failures] == [(victim, "skill")]
        assert "HTTP 503" in report.failures[0]["reason"]
        assert report.matches_written == MATCHES and report.walk_complete
        assert _query(db, f"SELECT count(*) FROM match_stats WHERE match_id = '{victim}'") == [(1,)]
        assert _query(db, f"SELECT count(*) FROM match_skill WHERE match_id = '{victim}'") == [(0,)]
        conn, _ = open_player_db(db)
        assert failed_match_ids(conn, "skill") == [victim] and failed_match_ids(conn) == []
        conn.close()
        # Next sync: no new match, the skill document of that match only.
        fake.clear_faults()
        fake.reset_requests()
        again = _sync(db, make_source(fake, raw_env(tmp_path / "cfg")))
        asked = [r.path for r in fake.requests if r.path.endswith("/skill")]
    assert again.exit_code == 0 and again.failures == [] and again.matches_written == 0
    assert asked == [f"/hi/matches/{victim}/skill"]
    assert again.skill.retried == 1 and again.skill.stored == 1
    assert _query(db, f"SELECT count(*) > 0 FROM match_skill WHERE match_id = '{victim}'") == [
        (True,)
    ]
    assert _query(db, "SELECT count(*) FROM failed_matches") == [(0,)]


def test_backfill_skill_on_a_database_synced_with_no_skill(generated: Path, tmp_path: Path) -> None:
    root = _copy(generated, tmp_path / "rec")
    data = tmp_path / "data"
    common = ("--player", DEMO_OWNER.gamertag, "--data-dir", str(data))
    synced = run_cli("sync", *common, "--source", str(root), "--no-skill", "--json")
    assert synced.returncode == 0, synced.stderr
    payload = last_json(synced.stdout)
    assert payload["skill"]["service"] == "off" and "match_skill" not in payload["api"]["calls"]
    db = data / "players" / DEMO_OWNER.gamertag / "stats.duckdb"
    assert _query(db, "SELECT count(*) FROM match_skill") == [(0,)]
    matchmade = _query(db, "SELECT count(*) FROM match_stats WHERE lifecycle_mode = 3")[0][0]

    dry = run_cli("backfill", *common, "--skill", "--dry-run", "--json")
    assert dry.returncode == 0, dry.stderr
    assert last_json(dry.stdout)["selected"]["skill"] == matchmade
    assert (
        "skill" in dry.stdout or len(last_json(dry.stdout)["would_process"]["skill"]) == matchmade
    )

    filled = run_cli("backfill", *common, "--skill", "--source", str(root), "--json")
    assert filled.returncode == 0, filled.stderr
    result = last_json(filled.stdout)
    assert result["players"][0]["fetched_by_kind"] == {"skill": matchmade}
    assert result["skill_updated"] > 0 and result["team_skill_updated"] > 0
    assert _query(db, "SELECT count(DISTINCT match_id) FROM match_skill") == [(matchmade,)]
    # Nothing left to fetch; re-extracting every stored skill document makes no call.
    again = last_json(run_cli("backfill", *common, "--skill", "--json").stdout)
    assert again["selected"]["skill"] == 0
    forced = run_cli("backfill", *common, "--skill", "--force-skill", "--json")
    assert forced.returncode == 0, forced.stderr
    forced_report = last_json(forced.stdout)
    assert forced_report["selected"]["skill"] == matchmade
    assert forced_report["fetched_from_source"] == 0 and forced_report["skill_updated"] == 0


def test_a_directory_without_skill_folders_has_no_skill_service(
    generated: Path, tmp_path: Path
) -> None:
    root = _copy(generated, tmp_path / "rec")
    shutil.rmtree(root / "skill")
    shutil.rmtree(root / "playlist_csr")
    data = tmp_path / "data"
    result = run_cli(
        "sync", "--player", DEMO_OWNER.gamertag, "--source", str(root), "--data-dir", str(data)
    )
    assert result.returncode == 0, result.stderr
    assert "no skill service" in result.stdout
    db = data / "players" / DEMO_OWNER.gamertag / "stats.duckdb"
    assert _query(db, "SELECT count(*) FROM match_stats") == [(MATCHES,)]
    assert _query(db, "SELECT count(*) FROM match_skill") == [(0,)]
    assert _query(db, "SELECT count(*) FROM csr_snapshots") == [(0,)]


def test_a_missing_skill_file_is_a_skill_failure_of_that_match(
    generated: Path, tmp_path: Path
) -> None:
    root = _copy(generated, tmp_path / "rec")
    victim = sorted(p.stem for p in (root / "skill").glob("*.json"))[-1]
    (root / "skill" / f"{victim}.json").unlink()
    data = tmp_path / "data"
    result = run_cli(
        "sync", "--player", DEMO_OWNER.gamertag, "--source", str(root), "--data-dir", str(data),
        "--json",
    )  # fmt: skip
    assert result.returncode == 1
    payload = last_json(result.stdout)
    assert [(f["match_id"], f["kind"]) for f in payload["failures"]] == [(victim, "skill")]
    assert payload["matches_written"] == MATCHES and payload["matches_failed"] == 0
    assert payload["skill"]["csr_snapshots"] == 1


def test_a_backfill_skill_failure_is_recorded_and_fetched_by_the_next_sync(
    generated: Path, tmp_path: Path
) -> None:
    root = _copy(generated, tmp_path / "rec")
    data = tmp_path / "data"
    common = ("--player", DEMO_OWNER.gamertag, "--data-dir", str(data))
    synced = run_cli("sync", *common, "--source", str(root), "--no-skill", "--json")
    assert synced.returncode == 0, synced.stderr
    victim = sorted(p.stem for p in (root / "skill").glob("*.json"))[0]
    kept = tmp_path / "kept.json"
    shutil.move(root / "skill" / f"{victim}.json", kept)

    filled = run_cli("backfill", *common, "--skill", "--source", str(root), "--json")
    assert filled.returncode == 1, filled.stderr
    failures = last_json(filled.stdout)["players"][0]["failures"]
    assert [(f["match_id"], f["kind"]) for f in failures] == [(victim, "skill")]
    db = data / "players" / DEMO_OWNER.gamertag / "stats.duckdb"
    assert _query(db, "SELECT match_id, kind, attempts FROM failed_matches") == [
        (victim, "skill", 1)
    ]

    shutil.move(kept, root / "skill" / f"{victim}.json")
    again = run_cli("sync", *common, "--source", str(root), "--json")
    assert again.returncode == 0, again.stderr
    payload = last_json(again.stdout)
    assert payload["matches_written"] == 0
    assert payload["skill"]["retried"] == 1 and payload["skill"]["stored"] == 1
    assert _query(db, f"SELECT count(*) > 0 FROM match_skill WHERE match_id = '{victim}'") == [
        (True,)
    ]
    assert _query(db, "SELECT count(*) FROM failed_matches") == [(0,)]
