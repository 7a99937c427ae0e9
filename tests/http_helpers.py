"""Helpers of the tests that talk HTTP to the fake Waypoint server: credentials,
a recorded directory built from the shared fixtures, a source with fast retries, and
what a sync stored. A module of its own so no test module imports another (their
pytest fixtures `recorded_dir` and `fake` are in conftest.py)."""

from __future__ import annotations

import asyncio
import copy
import datetime as dt
from collections import Counter
from pathlib import Path
from typing import Any

import duckdb
import orjson

from levelup.sources.base import MatchSource, PlayerIdentity
from levelup.sources.http import Backoff
from levelup.sources.waypoint import WaypointSource
from levelup.store.database import open_player_db
from levelup.sync.sync import SyncOptions, SyncReport, sync_player
from levelup.testing.fake_waypoint import FakeWaypoint
from tests.helpers import FIXTURES, require_shared_fixtures

PLAYER = "2535445291321133"  # in every shared fixture match
STATS_RE = r"^/hi/matches/[^/]+/stats$"
TOKEN = "raw-spartan-token-0123456789"
CLEARANCE = "raw-clearance-token-0123456789"
CLIENT_SECRET = "azure-client-secret-0123456789"
REFRESH = "oauth-refresh-token-0123456789"
BASE = dt.datetime(2025, 6, 1, 12, 0, tzinfo=dt.UTC)
# Fast retries for tests; the production numbers are the defaults of Backoff.
FAST = Backoff(base=0.01, factor=2.0, max_delay=0.05, timeout=1.0)


def mid(i: int) -> str:
    return f"00000000-0000-4000-8000-{i:012d}"


def make_recorded(root: Path, count: int, *, recent: int = 0) -> Path:
    """`count` copies of the real ranked match (ids mid(0..count-1), mid(0) oldest),
    for the player `PLAYER` ("Tester"). The `recent` newest ones ended 5 minutes ago.
    Reads ../shared: the calling test is skipped when the fixtures are absent."""
    require_shared_fixtures()
    template = orjson.loads((FIXTURES / "get_match_stats.json").read_bytes())
    (root / "matches").mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC)
    for i in range(count):
        doc = copy.deepcopy(template)
        doc["MatchId"] = mid(i)
        if i >= count - recent:
            start = now - dt.timedelta(minutes=15 + (count - i))
            end = now - dt.timedelta(minutes=5)
        else:
            start = BASE + dt.timedelta(hours=i)
            end = start + dt.timedelta(minutes=10)
        doc["MatchInfo"]["StartTime"] = start.isoformat().replace("+00:00", "Z")
        doc["MatchInfo"]["EndTime"] = end.isoformat().replace("+00:00", "Z")
        (root / "matches" / f"{mid(i)}.json").write_bytes(orjson.dumps(doc))
    (root / "players.json").write_bytes(orjson.dumps([{"gamertag": "Tester", "xuid": PLAYER}]))
    (root / "profiles.json").write_bytes((FIXTURES / "get_users.json").read_bytes())
    map_doc = orjson.loads((FIXTURES / "get_map.json").read_bytes())
    asset_dir = root / "assets" / map_doc["AssetId"]
    asset_dir.mkdir(parents=True, exist_ok=True)
    (asset_dir / f"{map_doc['VersionId']}.json").write_bytes(orjson.dumps(map_doc))
    return root


class Sleeps:
    """A `sleep` for the session that records the delays and does not wait."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
        await asyncio.sleep(0)


def raw_env(config_dir: Path) -> dict[str, str]:
    return {
        "SPNKR_SPARTAN_TOKEN": TOKEN,
        "SPNKR_CLEARANCE_TOKEN": CLEARANCE,
        "LEVELUP_CONFIG_DIR": str(config_dir),
    }


def azure_env(config_dir: Path, refresh: str = REFRESH) -> dict[str, str]:
    return {
        "SPNKR_AZURE_CLIENT_ID": "client-id",
        "SPNKR_AZURE_CLIENT_SECRET": CLIENT_SECRET,
        "SPNKR_OAUTH_REFRESH_TOKEN": refresh,
        "LEVELUP_CONFIG_DIR": str(config_dir),
    }


def make_source(
    fake: FakeWaypoint,
    env: dict[str, str],
    *,
    rps: float = 500,
    concurrency: int = 4,
    backoff: Backoff = FAST,
    sleep: Any = None,
    **kwargs: Any,
) -> WaypointSource:
    return WaypointSource.from_environment(
        requests_per_second=rps,
        concurrency=concurrency,
        host_map=fake.host_map(),
        sleep=sleep or Sleeps(),
        backoff=backoff,
        env=env,
        **kwargs,
    )


def run(coro: Any) -> Any:
    return asyncio.run(coro)


OWNER = PlayerIdentity(PLAYER, "Tester")


def sync_into(
    db: Path, source: MatchSource, concurrency: int = 4, *, skill: bool = False
) -> SyncReport:
    """A sync of `make_recorded`'s directories: copies of the real stats document with
    no skill documents, so the skill service is off (it is tested in test_skill_sync)."""

    async def go() -> SyncReport:
        conn, _ = open_player_db(db)
        try:
            options = SyncOptions(progress=False, concurrency=concurrency, skill=skill)
            return await sync_player(conn, source, OWNER, options)
        finally:
            conn.close()
            await source.aclose()

    return asyncio.run(go())


def snapshot(db: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Everything a sync stores about matches, without the write timestamps."""
    with duckdb.connect(str(db), read_only=True) as conn:
        return {
            "stats": conn.execute(
                "SELECT * EXCLUDE (created_at, updated_at, sync_run_id) FROM match_stats ORDER BY match_id"
            ).fetchall(),
            "participants": conn.execute(
                "SELECT * EXCLUDE (created_at, updated_at, sync_run_id) FROM match_participants "
                "ORDER BY match_id, xuid"
            ).fetchall(),
            "json": conn.execute(
                "SELECT match_id, body FROM match_documents ORDER BY match_id"
            ).fetchall(),
            "names": conn.execute(
                "SELECT xuid, gamertag FROM player_names ORDER BY xuid"
            ).fetchall(),
            "assets": conn.execute(
                "SELECT asset_type, asset_id, version_id, public_name FROM asset_names ORDER BY ALL"
            ).fetchall(),
        }


def delivered(fake: FakeWaypoint) -> Counter[str]:
    """Successful stats responses the client received, by path (a truncated body or
    a slow answer the client gave up on does not count)."""
    return Counter(
        r.path
        for r in fake.requests
        if r.path.endswith("/stats") and r.status == 200 and r.fault is None
    )


def query(db: Path, sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(db), read_only=True) as conn:
        return conn.execute(sql).fetchall()
