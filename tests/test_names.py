"""Name lookups when the name service is down: a couple of give-ups stop the asset
lookups for the run (each would cost its whole retry schedule), said in the report,
and the next sync asks again (a trial finding: 9 maps x 6 attempts = 109 s a sync)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from levelup.sources.base import FetchError, PlayerIdentity
from levelup.sources.recorded import RecordedSource
from levelup.store.database import open_player_db
from levelup.sync.names import ASSET_FAILURES_BEFORE_STOP
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
    assert down.asked == ASSET_FAILURES_BEFORE_STOP == 2
    assert names["assets_requested"] == 2
    stopped = [e for e in names["errors"] if "more asset names not asked" in e]
    wanted = 9 + 3  # nine maps; the playlist, game variant and map-mode pair are shared
    assert len(stopped) == 1 and stopped[0].startswith(f"{wanted - 2} more asset names")
    back = _DiscoveryDown(recorded)
    back.down = False  # the service is back: every asset is asked again
    again = _sync(db, back)
    assert again["assets_requested"] == wanted and again["errors"] == []
