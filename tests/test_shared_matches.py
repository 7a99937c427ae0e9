"""Shared matches across tracked players of one data dir (issue 13): a match another
player's database has stored is copied from it, not fetched again; each database's
rows equal a sync of that player alone; a busy neighbour falls back to fetching;
`levelup sync --all` with one session. Real DuckDB files, the recorded directory, the
fake Waypoint over loopback and the CLI in subprocesses."""

from __future__ import annotations

import asyncio
import json
import re
from collections import Counter
from pathlib import Path

import duckdb
import pytest

from levelup.registry import TABLES
from levelup.sources.base import PlayerIdentity
from levelup.sources.recorded import RecordedSource
from levelup.store.database import open_player_db, player_db_path
from levelup.sync.neighbours import Neighbours
from levelup.sync.sync import SyncOptions, sync_player
from levelup.testing.fake_waypoint import FakeWaypoint
from tests.helpers import core, last_json, match, needs_fixtures, player, run_cli
from tests.helpers import write_recorded_dir as write_dir
from tests.http_helpers import TOKEN

A = PlayerIdentity("2533274800000001", "Alpha")
B = PlayerIdentity("2533274800000002", "Bravo")
C = PlayerIdentity("2533274800000003", "Charlie")
STRANGER = "2533274800000009"
# Who played each match: four with all three, two with Alpha and Bravo, one with
# Bravo and Charlie, one each alone (with a stranger).
LINEUPS = [(A, B, C)] * 4 + [(A, B)] * 2 + [(B, C), (A,), (C,)]
MATCH_IDS = [f"00000000-0000-4000-8000-{i:012d}" for i in range(len(LINEUPS))]


def _doc(i: int, lineup: tuple[PlayerIdentity, ...]) -> dict:
    players = [
        player(
            f"xuid({p.xuid})", (n % 2, core(Kills=i + n, Deaths=n, ShotsFired=20 + i, ShotsHit=9))
        )
        for n, p in enumerate(lineup)
    ]
    players.append(player(f"xuid({STRANGER})", (1, core(Kills=2)), outcome=3))
    return match(MATCH_IDS[i], players, start=f"2025-02-{i + 1:02d}T10:00:00.000Z")


def recorded(root: Path) -> Path:
    docs = [_doc(i, lineup) for i, lineup in enumerate(LINEUPS)]
    players = [{"gamertag": p.gamertag, "xuid": p.xuid} for p in (A, B, C)]
    return write_dir(root, docs, players)


def matches_of(who: PlayerIdentity) -> set[str]:
    return {m for m, lineup in zip(MATCH_IDS, LINEUPS, strict=True) if who in lineup}


def sync_into(
    data: Path, who: PlayerIdentity, source, *, share: bool = True, names: bool = False
) -> dict:
    path = player_db_path(data, who.gamertag or who.xuid)

    async def go():
        conn, _ = open_player_db(path)
        try:
            neighbours = Neighbours.of(data, path) if share else None
            options = SyncOptions(progress=False, fetch_names=names)
            return await sync_player(conn, source, who, options, neighbours=neighbours)
        finally:
            conn.close()

    return asyncio.run(go()).as_dict()


def rows(db: Path, *, per_match: bool = False) -> dict[str, list[tuple]]:
    """Every data table's rows (the declared columns, bookkeeping left out), sorted, and
    the documents."""
    out = {}
    with duckdb.connect(str(db), read_only=True) as conn:
        for spec in TABLES:
            if per_match and not spec.per_match:
                continue
            # When a name or snapshot was fetched differs from run to run: left out.
            cols = ", ".join(f'"{c}"' for c in spec.columns if c != "fetched_at")
            out[spec.name] = sorted(
                conn.execute(f"SELECT {cols} FROM {spec.name}").fetchall(), key=repr
            )
        out["documents"] = sorted(
            conn.execute("SELECT match_id, kind, body FROM match_documents").fetchall()
        )
    return out


def db_of(data: Path, who: PlayerIdentity) -> Path:
    return player_db_path(data, who.gamertag or who.xuid)


def alone(
    tmp_path: Path, root: Path, who: PlayerIdentity, *, per_match: bool = False
) -> dict[str, list[tuple]]:
    """`who`'s rows after a sync of that player alone (`per_match`: the match tables,
    gamertags filled in, as the CLI does)."""
    data = tmp_path / f"alone_{who.gamertag}_{per_match}"
    if not db_of(data, who).exists():
        sync_into(data, who, RecordedSource(root), share=False, names=per_match)
    return rows(db_of(data, who), per_match=per_match)


@pytest.mark.parametrize("order", [(A, B), (A, B, C), (C, B, A)])
def test_each_shared_match_is_fetched_once_and_rows_equal_a_solo_sync(
    tmp_path: Path, order: tuple[PlayerIdentity, ...]
) -> None:
    root = recorded(tmp_path / "rec")
    source = RecordedSource(root)  # one source for the run: its counters count every call
    data = tmp_path / "data"
    reports = [sync_into(data, who, source) for who in order]
    wanted = set().union(*(matches_of(who) for who in order))
    assert source.counters.calls["match_stats"] == len(wanted)  # each match fetched once
    copied = [r["shared"]["matches_copied"] for r in reports]
    assert copied[0] == 0
    fetched_before: set[str] = set()
    for who, report in zip(order, reports, strict=True):
        mine = matches_of(who)
        assert report["matches_written"] == len(mine) and report["failures"] == []
        assert report["shared"]["matches_copied"] == len(mine & fetched_before)
        assert report["shared"]["api_calls_saved"] == len(mine & fetched_before)
        fetched_before |= mine
        assert rows(db_of(data, who)) == alone(tmp_path, root, who), who


def test_a_busy_neighbour_falls_back_to_fetching(tmp_path: Path) -> None:
    root = recorded(tmp_path / "rec")
    data = tmp_path / "data"
    sync_into(data, A, RecordedSource(root))
    holder = duckdb.connect(str(db_of(data, A)))  # Alpha's database held by a writer
    try:
        source = RecordedSource(root)
        report = sync_into(data, B, source)
    finally:
        holder.close()
    assert source.counters.calls["match_stats"] == len(matches_of(B))  # all fetched
    assert report["shared"]["matches_copied"] == 0
    assert report["shared"]["busy"] == [str(db_of(data, A))]
    assert rows(db_of(data, B)) == alone(tmp_path, root, B)


def test_a_neighbour_made_busy_after_the_index_is_not_waited_for(tmp_path: Path) -> None:
    """The documents are read page by page: a neighbour that a writer takes between the
    index and the copy gives nothing, and those matches are fetched."""
    root = recorded(tmp_path / "rec")
    data = tmp_path / "data"
    sync_into(data, A, RecordedSource(root))
    neighbours = Neighbours.of(data, db_of(data, B))
    assert neighbours.index() == len(matches_of(A))
    holder = duckdb.connect(str(db_of(data, A)))
    try:
        assert neighbours.documents(sorted(matches_of(A))) == []
    finally:
        holder.close()
    copies = neighbours.documents(sorted(matches_of(A) & matches_of(B)))
    assert {c.match_id for c in copies} == matches_of(A) & matches_of(B)
    assert all(set(c.documents) == {"stats"} for c in copies)


def _stats_ids(fake: FakeWaypoint) -> Counter[str]:
    found: Counter[str] = Counter()
    for record in fake.requests:
        hit = re.match(r"^/hi/matches/([^/]+)/stats$", record.path)
        if hit and record.status == 200:
            found[hit.group(1)] += 1
    return found


@needs_fixtures
def test_sync_all_through_the_fake_fetches_each_match_once(tmp_path: Path) -> None:
    root = recorded(tmp_path / "rec")
    data = tmp_path / "data"
    fake = FakeWaypoint.start_in_thread(root)
    fake.accept_token(TOKEN)
    env = {
        "LEVELUP_HOST_MAP": json.dumps(fake.host_map()),
        "LEVELUP_CONFIG_DIR": str(tmp_path / "cfg"),
        "SPNKR_SPARTAN_TOKEN": TOKEN,
        "SPNKR_CLEARANCE_TOKEN": "clearance",
    }
    # --no-skill: the recorded directory has no skill documents.
    common = ("--source", "api", "--data-dir", str(data), "--requests-per-second", "200",
              "--no-skill")  # fmt: skip
    try:
        # Each player is tracked with their newest match; then one run for all.
        for who in (A, B, C):
            first = run_cli("sync", "--player", who.gamertag or "", "--max-matches", "1",
                            *common, env=env)  # fmt: skip
            assert first.returncode == 0, first.stderr
        result = run_cli("sync", "--all", *common, "--json", env=env)
        fetched = _stats_ids(fake)
    finally:
        fake.stop()
    assert result.returncode == 0, result.stderr
    assert set(fetched) == set(MATCH_IDS) and set(fetched.values()) == {1}, fetched
    report = last_json(result.stdout)
    by_player = {r["player"]: r for r in report["players"]}
    assert set(by_player) == {"Alpha", "Bravo", "Charlie"}
    totals = report["totals"]
    assert totals["players"] == 3 and totals["skipped"] == 0
    # Every match each player has beyond the first run's, written; copies counted.
    assert totals["matches_written"] == sum(len(matches_of(p)) for p in (A, B, C)) - 3
    assert totals["matches_copied"] == totals["api_calls_saved"] > 0
    # Every match written by the run was either fetched or copied, never both.
    fetched_by_run = totals["api"]["calls"].get("match_stats", 0)
    assert fetched_by_run + totals["matches_copied"] == totals["matches_written"]
    assert sum(r["api"]["calls"].get("match_stats", 0) for r in report["players"]) == (
        fetched_by_run
    )
    for who in (A, B, C):  # the match tables (names and snapshots came from the fake)
        ours = rows(db_of(data, who), per_match=True)
        assert ours == alone(tmp_path, root, who, per_match=True), who


def test_sync_all_usage_and_text_report(tmp_path: Path) -> None:
    root = recorded(tmp_path / "rec")
    data = tmp_path / "data"
    none = run_cli("sync", "--all", "--source", str(root), "--data-dir", str(data))
    assert none.returncode == 2 and "no tracked player" in none.stderr
    both = run_cli("sync", "--all", "--player", "Alpha", "--source", str(root))
    assert both.returncode == 2 and "not both" in both.stderr
    neither = run_cli("sync", "--source", str(root), "--data-dir", str(data))
    assert neither.returncode == 2 and "not both" not in neither.stderr
    assert "name the player to sync: --player GT, or --all" in neither.stderr
    empty = run_cli("sync", "--player", " ", "--source", str(root), "--data-dir", str(data))
    assert empty.returncode == 2 and "not an empty name" in empty.stderr
    for who in (A, B):
        first = run_cli("sync", "--player", who.gamertag or "", "--max-matches", "1",
                        "--source", str(root), "--data-dir", str(data))  # fmt: skip
        assert first.returncode == 0, first.stderr
    result = run_cli("sync", "--all", "--source", str(root), "--data-dir", str(data),
                     env={"COLUMNS": "160"})  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "sync Alpha" in result.stdout and "sync Bravo" in result.stdout
    assert "sync --all: totals" in result.stdout and "API calls saved" in result.stdout


def test_a_copied_match_without_skill_asks_only_the_skill_service(tmp_path: Path) -> None:
    """Alpha's database holds stats documents only (synced from a directory without a
    skill service); Bravo's sync copies their shared matches and asks the skill service
    for them, never their stats: Bravo's rows equal a sync of Bravo alone."""
    import shutil

    from levelup.demo.generator import DEMO_OWNER, roster
    from levelup.demo.generator import write_recorded_dir as generate

    with_skill = tmp_path / "gen"
    generate(with_skill, 40, seed=5)
    without = tmp_path / "gen_noskill"
    shutil.copytree(with_skill, without, ignore=shutil.ignore_patterns("skill", "playlist_csr"))
    owner = PlayerIdentity(DEMO_OWNER.xuid, DEMO_OWNER.gamertag)
    data = tmp_path / "data"
    sync_into(data, owner, RecordedSource(without))
    index = RecordedSource(with_skill).directory
    mates = [p for p in roster(5) if p.xuid != owner.xuid]
    counts = {p.xuid: index.history_entries(p.xuid, 0, 25).result_count for p in mates}
    mate = max(mates, key=lambda p: counts[p.xuid])
    friend = PlayerIdentity(mate.xuid, "Friend")
    assert counts[friend.xuid] > 0
    source = RecordedSource(with_skill)
    report = sync_into(data, friend, source)
    copied = report["shared"]["matches_copied"]
    assert copied > 0 and report["failures"] == []
    assert source.counters.calls["match_stats"] == report["matches_written"] - copied
    assert source.counters.calls["match_skill"] == report["skill"]["requested"] > 0
    solo = tmp_path / "solo"
    sync_into(solo, friend, RecordedSource(with_skill), share=False)
    assert rows(db_of(data, friend)) == rows(db_of(solo, friend))
