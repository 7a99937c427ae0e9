"""Name lookups when the name service is down: a couple of give-ups stop the asset
lookups (and the gamertag batches) for the run (each would cost its whole retry
schedule), said in the report, and the next sync asks again (a trial finding: 9 maps
x 6 attempts = 109 s a sync)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

from levelup.sources.base import FetchError, PlayerIdentity
from levelup.sources.recorded import RecordedSource
from levelup.store.database import open_player_db
from levelup.sync.names import FAILURES_BEFORE_STOP, PROFILE_BATCH
from levelup.sync.sync import SyncOptions, sync_player
from tests.helpers import core, match, player, write_recorded_dir

OWNER = "2533274800000301"


class _DiscoveryDown(RecordedSource):
    """A recorded directory whose asset service answers only errors (when `down`)."""

    down = True
    asked = 0

    async def asset_name(self, asset_type: str, asset_id: str, version_id: str) -> str | None:
        if not self.down:
            return await super().asset_name(asset_type, asset_id, version_id)
        self.asked += 1
        raise FetchError(f"{asset_type} {asset_id}: gave up after 6 attempts (HTTP 503)")


class _ProfilesDown(RecordedSource):
    """A recorded directory whose profile service answers only errors (when `down`)."""

    down = True
    asked = 0

    async def gamertags(self, xuids: Sequence[str]) -> dict[str, str]:
        if not self.down:
            return await super().gamertags(xuids)
        self.asked += 1
        raise FetchError(f"gamertags of {len(xuids)} players: gave up after 6 attempts")


def _recorded(root: Path, count: int) -> Path:
    docs = []
    for i in range(count):  # every match on its own map: `count` map assets to name
        doc = match(f"cccccccc-0000-4000-8000-{i:012d}", [player(f"xuid({OWNER})", (0, core()))],
                    start=f"2025-01-01T10:{i:02d}:00.000Z", lifecycle=1)  # fmt: skip
        doc["MatchInfo"]["MapVariant"]["AssetId"] = f"map-{i}"
        docs.append(doc)
    return write_recorded_dir(root, docs, [{"gamertag": "Names", "xuid": OWNER}])


def _sync(db: Path, source: RecordedSource) -> dict:
    conn, _ = open_player_db(db)
    try:
        owner = PlayerIdentity(xuid=OWNER, gamertag="Names")
        return asyncio.run(sync_player(conn, source, owner, SyncOptions(progress=False))).names
    finally:
        conn.close()


def test_a_down_asset_service_is_asked_twice_then_left_for_the_next_sync(tmp_path: Path) -> None:
    recorded, db = _recorded(tmp_path / "rec", 9), tmp_path / "names.duckdb"
    down = _DiscoveryDown(recorded)
    names = _sync(db, down)
    assert down.asked == FAILURES_BEFORE_STOP == 2
    assert names["assets_requested"] == 2
    stopped = [e for e in names["errors"] if "more asset names not asked" in e]
    wanted = 9 + 3  # nine maps; the playlist, game variant and map-mode pair are shared
    assert len(stopped) == 1 and stopped[0].startswith(f"{wanted - 2} more asset names")
    back = _DiscoveryDown(recorded)
    back.down = False  # the service is back: every asset is asked again
    again = _sync(db, back)
    assert again["assets_requested"] == wanted and again["errors"] == []


def test_a_down_profile_service_is_asked_twice_then_left_for_the_next_sync(
    tmp_path: Path,
) -> None:
    humans = 4 * PROFILE_BATCH + 10  # five batches to ask
    players = [player(f"xuid({2533274900000000 + i})", (i % 2, core())) for i in range(humans)]
    doc = match("dddddddd-0000-4000-8000-000000000001", [player(f"xuid({OWNER})", (0, core())),
                *players], lifecycle=1)  # fmt: skip
    recorded = write_recorded_dir(tmp_path / "rec", [doc], [{"gamertag": "Names", "xuid": OWNER}])
    db = tmp_path / "names.duckdb"
    down = _ProfilesDown(recorded)
    names = _sync(db, down)
    assert down.asked == FAILURES_BEFORE_STOP == 2
    assert names["gamertags_requested"] == 2 * PROFILE_BATCH
    gave_up = [e for e in names["errors"] if "gave up" in e]
    assert len(gave_up) == 2 and all(e.count("gamertags of") == 1 for e in gave_up), gave_up
    stopped = [e for e in names["errors"] if "more gamertags not asked" in e]
    assert stopped == [
        f"{humans - 2 * PROFILE_BATCH} more gamertags not asked: the service failed 2 times "
        "in a row (the next sync asks again)"
    ]
    back = _ProfilesDown(recorded)
    back.down = False  # the service is back: every missing gamertag is asked again
    again = _sync(db, back)
    assert again["gamertags_requested"] == humans and again["errors"] == []
