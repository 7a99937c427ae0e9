"""When a history walk may stop at the first known match, across `--match-type` filters.

A walk may stop early only when everything older is known to be stored: an
earlier walk of the same or a broader filter completed, and no walk sharing
matches with it was left unfinished since. Real `python -m levelup sync` runs on
hand-written recorded directories.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import duckdb
import orjson
import pytest

from levelup.sources.base import HistoryPage, PlayerIdentity, ServiceUnreachableError
from levelup.sources.recorded import RecordedSource
from levelup.store.database import open_player_db
from levelup.sync.sync import SyncOptions, sync_player
from tests.helpers import core, last_json, match, player, run_cli, write_recorded_dir

OWNER = "2535400000000001"
MATCHMAKING, CUSTOM = 3, 1


def _doc(i: int, lifecycle: int) -> dict:
    return match(
        f"00000000-0000-4000-8000-{i:012d}",
        [player(f"xuid({OWNER})", (0, core(ShotsFired=10, ShotsHit=i % 10)))],
        start=f"2025-01-01T{i // 60:02d}:{i % 60:02d}:00.000Z",
        lifecycle=lifecycle,
    )


def _recorded(root: Path, docs: list[dict]) -> Path:
    return write_recorded_dir(root, docs, [{"gamertag": "Owner", "xuid": OWNER}])


def _add(root: Path, *docs: dict) -> None:
    for doc in docs:
        (root / "matches" / f"{doc['MatchId']}.json").write_bytes(orjson.dumps(doc))


def _sync(recorded: Path, data: Path, *extra: str) -> dict:
    result = run_cli("sync", "--player", "Owner", "--source", str(recorded), "--data-dir",
                     str(data), "--json", *extra)  # fmt: skip
    assert result.returncode == 0, result.stderr
    return last_json(result.stdout)


def _stored(data: Path) -> set[str]:
    with duckdb.connect(str(data / "players" / "Owner" / "stats.duckdb"), read_only=True) as c:
        return {row[0] for row in c.execute("SELECT match_id FROM match_stats").fetchall()}


def _states(data: Path) -> dict[str, bool]:
    with duckdb.connect(str(data / "players" / "Owner" / "stats.duckdb"), read_only=True) as c:
        return dict(c.execute("SELECT match_type, walk_complete FROM sync_state").fetchall())


def test_an_all_walk_after_matchmaking_walks_fetches_the_custom_games(tmp_path: Path) -> None:
    # 40 matchmaking games and 36 custom games, interleaved; the newest is matchmaking.
    docs = [_doc(i, CUSTOM if i % 2 == 0 and i < 72 else MATCHMAKING) for i in range(76)]
    customs = {d["MatchId"] for d in docs if d["MatchInfo"]["LifecycleMode"] == CUSTOM}
    assert len(customs) == 36 and docs[-1]["MatchInfo"]["LifecycleMode"] == MATCHMAKING
    recorded = _recorded(tmp_path / "rec", docs)
    data = tmp_path / "data"

    first = _sync(recorded, data, "--match-type", "matchmaking")
    assert first["matches_written"] == 40 and first["walk_complete"] is True
    # No `all` walk ever completed: this one walks everything and skips the known.
    second = _sync(recorded, data)
    assert second["matches_written"] == 36 and second["resumed"] is True
    assert second["walk_complete"] is True
    assert _stored(data) == {d["MatchId"] for d in docs}
    # Now every filter is proven complete: the next walks stop at once.
    assert _states(data) == {"matchmaking": True, "all": True}
    assert _sync(recorded, data)["matches_seen"] == 1
    custom = _sync(recorded, data, "--match-type", "custom")
    assert custom["matches_seen"] == 1 and custom["resumed"] is False


def test_an_unfinished_narrower_walk_makes_the_broader_one_resume(tmp_path: Path) -> None:
    docs = [_doc(i, MATCHMAKING if i % 3 else CUSTOM) for i in range(10)]
    recorded = _recorded(tmp_path / "rec", docs)
    data = tmp_path / "data"
    assert _sync(recorded, data)["walk_complete"] is True

    # Two new matchmaking games; a matchmaking walk stores only the newest of them.
    older, newer = _doc(100, MATCHMAKING), _doc(101, MATCHMAKING)
    _add(recorded, older, newer)
    cut = _sync(recorded, data, "--match-type", "matchmaking", "--max-matches", "1")
    assert cut["matches_written"] == 1 and cut["walk_complete"] is False
    assert newer["MatchId"] in _stored(data) and older["MatchId"] not in _stored(data)

    # The `all` walk completed before, but the matchmaking walk left a gap since:
    # stopping at the newest known match would never fetch the older one.
    custom = _doc(102, CUSTOM)
    _add(recorded, custom)
    again = _sync(recorded, data)
    assert again["resumed"] is True and again["matches_written"] == 2
    assert {older["MatchId"], custom["MatchId"]} <= _stored(data)
    assert _states(data) == {"all": True, "matchmaking": True}
    assert _sync(recorded, data, "--match-type", "matchmaking")["matches_seen"] == 1


def test_an_unfinished_all_walk_makes_a_narrower_one_resume(tmp_path: Path) -> None:
    docs = [_doc(i, MATCHMAKING) for i in range(6)]
    recorded = _recorded(tmp_path / "rec", docs)
    data = tmp_path / "data"
    assert _sync(recorded, data, "--match-type", "matchmaking")["walk_complete"] is True
    _add(recorded, _doc(50, MATCHMAKING), _doc(51, MATCHMAKING))
    assert _sync(recorded, data, "--max-matches", "1")["walk_complete"] is False
    narrow = _sync(recorded, data, "--match-type", "matchmaking")
    assert narrow["resumed"] is True and narrow["matches_written"] == 1
    assert len(_stored(data)) == 8


class _NoHistory(RecordedSource):
    """A recorded directory whose history service cannot be reached (offline)."""

    async def history_page(self, *args: object, **kwargs: object) -> HistoryPage:
        raise ServiceUnreachableError("cannot reach the history service (offline)")


def test_a_run_that_stores_nothing_keeps_the_earlier_walks_state(tmp_path: Path) -> None:
    """A sync that fails before storing anything (offline, sign-in refused, the first
    history page failing) must not make the next one walk the whole history again:
    what the earlier complete walk established still holds (a trial finding)."""
    recorded = _recorded(tmp_path / "rec", [_doc(i, MATCHMAKING) for i in range(30)])
    data = tmp_path / "data"
    assert _sync(recorded, data)["matches_written"] == 30
    before = _states(data)
    assert before == {"all": True}
    db = data / "players" / "Owner" / "stats.duckdb"
    conn, _ = open_player_db(db)
    try:
        owner = PlayerIdentity(xuid=OWNER, gamertag="Owner")
        with pytest.raises(ServiceUnreachableError):
            asyncio.run(sync_player(conn, _NoHistory(recorded), owner, SyncOptions(progress=False)))
        runs = conn.execute("SELECT status FROM sync_runs ORDER BY started_at").fetchall()
    finally:
        conn.close()
    assert runs[-1] == ("failed",)
    assert _states(data) == before
    _add(recorded, _doc(30, MATCHMAKING))
    after = _sync(recorded, data)
    # The new match and the known one it stops at, not the 31 of a whole walk.
    assert (after["resumed"], after["matches_seen"], after["matches_written"]) == (False, 2, 1)
