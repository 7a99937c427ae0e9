"""The fake Halo Waypoint server, over real HTTP: endpoints, tokens, faults, lifecycle.

Also drives spnkr's real client and sign-in functions against it through a tiny
session wrapper that rewrites absolute API URLs to the fake's host map.
"""

from __future__ import annotations

import asyncio
import copy
import datetime as dt
import json
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pytest
from spnkr import HaloInfiniteClient
from spnkr.auth import AzureApp, refresh_player_tokens
from spnkr.auth.oauth import refresh_oauth_token
from spnkr.errors import OAuth2Error

from levelup.errors import ConfigError
from levelup.sources import recorded
from levelup.testing.fake_waypoint import (
    ALL_HOSTS,
    FakeWaypoint,
    Fault,
    rewrite_url,
)
from tests.helpers import FIXTURES, require_shared_fixtures

PLAYER = "2535445291321133"  # in every shared fixture match
OTHER = "2533274800000002"
STATS = "halostats.svc.halowaypoint.com"
PROFILE = "profile.svc.halowaypoint.com"
DISCOVERY = "discovery-infiniteugc.svc.halowaypoint.com"
TOKEN = "test-spartan-token"
APP = AzureApp("client-id", "client-secret")
BASE = dt.datetime(2025, 6, 1, 12, 0, tzinfo=dt.UTC)  # after the real match


def _fixture(name: str) -> Any:
    """A shared fixture file (the calling test is skipped when they are absent)."""
    require_shared_fixtures()
    return orjson.loads((FIXTURES / name).read_bytes())


def mid(i: int) -> str:
    return f"00000000-0000-4000-8000-{i:012d}"


def write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(orjson.dumps(data))


@pytest.fixture(autouse=True)
def _fresh_index_cache() -> None:
    recorded._INDEXES.clear()


@pytest.fixture()
def recorded_dir(tmp_path: Path) -> Path:
    """The real ranked match plus 30 hand-written ones (every third a custom game)."""
    template = _fixture("get_match_stats.json")
    (tmp_path / "matches").mkdir()
    (tmp_path / "matches" / f"{template['MatchId']}.json").write_bytes(
        (FIXTURES / "get_match_stats.json").read_bytes()
    )
    for i in range(30):
        doc = copy.deepcopy(template)
        doc["MatchId"] = mid(i)
        doc["MatchInfo"]["StartTime"] = (BASE + dt.timedelta(hours=i)).isoformat()
        doc["MatchInfo"]["LifecycleMode"] = 1 if i % 3 == 0 else 3
        doc["Players"] = [doc["Players"][0], {**doc["Players"][1], "PlayerId": f"xuid({OTHER})"}]
        write_json(tmp_path / "matches" / f"{mid(i)}.json", doc)
    write_json(tmp_path / "players.json", [{"gamertag": "Tester", "xuid": PLAYER}])
    write_json(tmp_path / "profiles.json", _fixture("get_users.json"))
    map_doc = _fixture("get_map.json")
    write_json(tmp_path / "assets" / map_doc["AssetId"] / f"{map_doc['VersionId']}.json", map_doc)
    return tmp_path


@pytest.fixture()
def fake(recorded_dir: Path) -> Iterator[FakeWaypoint]:
    server = FakeWaypoint.start_in_thread(recorded_dir)
    server.accept_token(TOKEN)
    try:
        yield server
    finally:
        server.stop()


class RewritingSession:
    """What spnkr needs of a session (`headers`, `get`, `post`), pointed at the fake."""

    def __init__(self, session: aiohttp.ClientSession, host_map: dict[str, str]) -> None:
        self._session = session
        self._host_map = host_map
        self.headers = session.headers

    def get(self, url: str, **kwargs: Any) -> Any:
        return self._session.get(rewrite_url(str(url), self._host_map), **kwargs)

    def post(self, url: str, **kwargs: Any) -> Any:
        return self._session.post(rewrite_url(str(url), self._host_map), **kwargs)


@asynccontextmanager
async def http(token: str | None = TOKEN) -> AsyncIterator[aiohttp.ClientSession]:
    headers = {"x-343-authorization-spartan": token} if token else {}
    timeout = aiohttp.ClientTimeout(total=5)
    async with aiohttp.ClientSession(headers=headers, timeout=timeout) as session:
        yield session


async def get(
    session: aiohttp.ClientSession, fake: FakeWaypoint, host: str, path: str, **kwargs: Any
) -> tuple[int, bytes, aiohttp.ClientResponse]:
    async with session.get(f"{fake.host_map()[host]}{path}", **kwargs) as resp:
        return resp.status, await resp.read(), resp


# --------------------------------------------------------------------- endpoints


def test_history_endpoint(fake: FakeWaypoint) -> None:
    async def scenario() -> None:
        async with http() as s:
            path = f"/hi/players/xuid({OTHER})/matches"
            status, body, _ = await get(s, fake, STATS, path, params={"start": 0, "count": 25})
            first = orjson.loads(body)
            assert status == 200 and (first["Count"], first["ResultCount"]) == (25, 25)
            _, body, _ = await get(s, fake, STATS, path, params={"start": 25, "count": 100})
            second = orjson.loads(body)
            assert (second["Start"], second["Count"], second["ResultCount"]) == (25, 25, 5)
            ids = [r["MatchId"] for r in first["Results"] + second["Results"]]
            assert ids == [mid(i) for i in reversed(range(30))]
            _, body, _ = await get(s, fake, STATS, path, params={"type": "custom"})
            assert orjson.loads(body)["ResultCount"] == 10
            # By gamertag (case-insensitive), with the real match included.
            _, body, _ = await get(s, fake, STATS, "/hi/players/tESTER/matches")
            assert orjson.loads(body)["ResultCount"] == 25
            status, _, _ = await get(s, fake, STATS, "/hi/players/Nobody/matches")
            assert status == 404
            status, _, _ = await get(s, fake, STATS, path, params={"start": "x"})
            assert status == 400
            status, _, _ = await get(s, fake, STATS, path, params={"type": "ranked"})
            assert status == 400
            status, body, _ = await get(s, fake, STATS, f"/hi/players/xuid({PLAYER})/matches/count")
            assert orjson.loads(body)["MatchesPlayedCount"] == 31

    asyncio.run(scenario())


def test_match_stats_profile_and_discovery(fake: FakeWaypoint, recorded_dir: Path) -> None:
    real_id = _fixture("get_match_stats.json")["MatchId"]
    map_doc = _fixture("get_map.json")

    async def scenario() -> None:
        async with http() as s:
            status, body, resp = await get(s, fake, STATS, f"/hi/matches/{real_id}/stats")
            assert status == 200 and resp.content_type == "application/json"
            assert body == (recorded_dir / "matches" / f"{real_id}.json").read_bytes()
            status, body, _ = await get(s, fake, STATS, "/hi/matches/nope/stats")
            assert status == 404 and orjson.loads(body)["status"] == 404

            url = "/users?xuids=1234567890123456&xuids=xuid(2535445291321133)&xuids=42"
            status, body, _ = await get(s, fake, PROFILE, url)
            users = orjson.loads(body)
            assert status == 200
            assert [(u["xuid"], u["gamertag"]) for u in users] == [
                ("1234567890123456", "GAMERTAG"),
                (PLAYER, "Tester"),
            ]
            _, body, _ = await get(s, fake, PROFILE, "/users/gt(gamertag)")
            assert orjson.loads(body)["xuid"] == "1234567890123456"
            _, body, _ = await get(s, fake, PROFILE, f"/users/xuid({PLAYER})")
            assert orjson.loads(body)["gamertag"] == "Tester"
            status, _, _ = await get(s, fake, PROFILE, "/users/xuid(2533274800009999)")
            assert status == 404
            status, _, _ = await get(s, fake, PROFILE, "/users?xuids=bid(8.0)")
            assert status == 400

            asset = f"/hi/maps/{map_doc['AssetId']}/versions/{map_doc['VersionId']}"
            status, body, _ = await get(s, fake, DISCOVERY, asset)
            assert status == 200 and orjson.loads(body)["PublicName"] == "Forge Space"
            status, _, _ = await get(s, fake, DISCOVERY, f"/hi/playlists/{mid(1)}/versions/x")
            assert status == 404

            async with s.get(f"{fake.base_url}/unknown.example.com/x") as r:
                assert r.status == 404
            async with s.post(f"{fake.host_map()[STATS]}/hi/matches/{real_id}/stats") as r:
                assert r.status == 405

    asyncio.run(scenario())


def test_spnkr_client_through_the_fake(fake: FakeWaypoint) -> None:
    real_id = _fixture("get_match_stats.json")["MatchId"]
    map_doc = _fixture("get_map.json")

    async def scenario() -> None:
        async with aiohttp.ClientSession() as session:
            wrapped = RewritingSession(session, fake.host_map())
            client = HaloInfiniteClient(wrapped, TOKEN, "any-clearance")  # type: ignore[arg-type]
            history = await (await client.stats.get_match_history(PLAYER, 0, 25)).parse()
            assert history.result_count == 25 and len(history.results) == 25
            assert str(history.results[0].match_id) == mid(29)
            stats = await (await client.stats.get_match_stats(real_id)).parse()
            assert str(stats.match_id) == real_id
            users = await (await client.profile.get_users_by_id([PLAYER])).parse()
            assert users[0].gamertag == "Tester"
            asset = await client.discovery_ugc.get_map(map_doc["AssetId"], map_doc["VersionId"])
            assert (await asset.parse()).public_name == "Forge Space"
            with pytest.raises(aiohttp.ClientResponseError) as err:
                await client.stats.get_match_stats(mid(999))
            assert err.value.status == 404
        assert fake.count(r"^/hi/matches/.*/stats$", status=200) == 1
        assert fake.count(r"^/hi/players/xuid\(\d+\)/matches$") == 1
        record = next(r for r in fake.requests if r.path.endswith("/matches"))
        assert (record.method, record.host, record.status) == ("GET", STATS, 200)
        assert "start=0" in record.query and "type=all" in record.query

    asyncio.run(scenario())


# --------------------------------------------------------------------- tokens


def test_spartan_token_rules(fake: FakeWaypoint) -> None:
    path = f"/hi/matches/{mid(1)}/stats"

    async def scenario() -> None:
        async with http(token=None) as s:
            assert (await get(s, fake, STATS, path))[0] == 401
            bad = {"x-343-authorization-spartan": "forged"}
            assert (await get(s, fake, STATS, path, headers=bad))[0] == 401
        async with http() as s:
            ok = await get(s, fake, STATS, path, headers={"343-clearance": "whatever"})
            assert ok[0] == 200
            fake.expire_tokens()
            assert (await get(s, fake, PROFILE, "/users/gt(Tester)"))[0] == 401
            past = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
            fake.accept_token(TOKEN, expires_at=past)
            status, body, _ = await get(s, fake, STATS, path)
            assert status == 401 and b"expired" in body
            fake.accept_token(TOKEN)
            assert (await get(s, fake, STATS, path))[0] == 200
            # The clearance endpoint, with and without the player segment.
            settings = "settings.svc.halowaypoint.com"
            oban = "/oban/flight-configurations/titles/hi/audiences/RETAIL"
            for tail in (f"/players/xuid({PLAYER})/active?sandbox=UNUSED&build=1", "/active"):
                status, body, _ = await get(s, fake, settings, oban + tail)
                assert status == 200 and orjson.loads(body)["FlightConfigurationId"]
            status, body, _ = await get(s, fake, PROFILE, "/users/me")
            assert orjson.loads(body)["gamertag"] == "Tester"

    asyncio.run(scenario())


def test_sign_in_chain_with_spnkr(recorded_dir: Path) -> None:
    async def scenario() -> None:
        async with (
            FakeWaypoint(recorded_dir, spartan_lifetime=dt.timedelta(minutes=30)) as fake,
            aiohttp.ClientSession() as session,
        ):
            wrapped: Any = RewritingSession(session, fake.host_map())
            before = dt.datetime.now(dt.UTC)
            player = await refresh_player_tokens(wrapped, APP, "initial-refresh-token")
            assert player.player_id == f"xuid({PLAYER})" and player.gamertag == "Tester"
            assert player.is_valid
            expected = before + dt.timedelta(minutes=30)
            assert abs((player.spartan_token.expires_at - expected).total_seconds()) < 5
            assert player.clearance_token.token
            assert player.xbl_authorization_header_value.startswith("XBL3.0 x=")

            # The issued spartan token opens the Halo endpoints; a refresh rotates it.
            headers = {
                "x-343-authorization-spartan": player.spartan_token.token,
                "343-clearance": player.clearance_token.token,
            }
            url = f"{fake.host_map()[STATS]}/hi/matches/{mid(0)}/stats"
            async with session.get(url, headers=headers) as resp:
                assert resp.status == 200
            fake.expire_tokens()
            async with session.get(url, headers=headers) as resp:
                assert resp.status == 401
            again = await refresh_player_tokens(wrapped, APP, "initial-refresh-token")
            assert again.spartan_token.token != player.spartan_token.token
            headers["x-343-authorization-spartan"] = again.spartan_token.token
            async with session.get(url, headers=headers) as resp:
                assert resp.status == 200

            # Each OAuth refresh returns a new refresh token.
            first = await refresh_oauth_token(wrapped, "r0", APP)
            second = await refresh_oauth_token(wrapped, first.refresh_token, APP)
            assert len({first.refresh_token, second.refresh_token, "r0"}) == 3
            assert fake.issued_refresh_tokens[-1] == second.refresh_token
            fake.revoke_refresh_token(second.refresh_token)
            with pytest.raises(OAuth2Error, match="invalid_grant"):
                await refresh_oauth_token(wrapped, second.refresh_token, APP)

            # Strict rotation: a used refresh token is refused.
            fake.strict_refresh_tokens = True
            fake.accept_refresh_token("saved")
            rotated = await refresh_oauth_token(wrapped, "saved", APP)
            with pytest.raises(OAuth2Error):
                await refresh_oauth_token(wrapped, "saved", APP)
            await refresh_oauth_token(wrapped, rotated.refresh_token, APP)

            # The chain checks each step's input.
            url = f"{fake.host_map()['settings.svc.halowaypoint.com']}/spartan-token"
            proof = {"Proof": [{"Token": "made-up", "TokenType": "Xbox_XSTSv3"}]}
            async with session.post(url, json=proof) as resp:
                assert resp.status == 401

    asyncio.run(scenario())


def test_expired_at_issue(recorded_dir: Path) -> None:
    async def scenario() -> None:
        async with (
            FakeWaypoint(recorded_dir, spartan_lifetime=dt.timedelta(seconds=-60)) as fake,
            aiohttp.ClientSession() as session,
        ):
            player = await refresh_player_tokens(
                RewritingSession(session, fake.host_map()),  # type: ignore[arg-type]
                APP,
                "r",
            )
            assert not player.is_valid
            headers = {"x-343-authorization-spartan": player.spartan_token.token}
            url = f"{fake.host_map()[STATS]}/hi/matches/{mid(0)}/stats"
            async with session.get(url, headers=headers) as resp:
                assert resp.status == 401

    asyncio.run(scenario())


# --------------------------------------------------------------------- faults

STATS_RE = r"/hi/matches/.*/stats"


def statuses(fake: FakeWaypoint, paths: list[str]) -> list[int]:
    async def scenario() -> list[int]:
        out = []
        async with http() as s:
            for path in paths:
                out.append((await get(s, fake, STATS, path))[0])
        return out

    return asyncio.run(scenario())


def stats_path(i: int) -> str:
    return f"/hi/matches/{mid(i)}/stats"


def test_fault_429_with_retry_after(fake: FakeWaypoint) -> None:
    fake.add_fault(Fault(STATS_RE, "429", retry_after=2))
    fake.add_fault(Fault(STATS_RE, "429", retry_after=0.25))
    fake.add_fault(Fault(STATS_RE, "429"))

    async def scenario() -> list[tuple[int, str | None]]:
        async with http() as s:
            out = []
            for _ in range(4):
                status, _, resp = await get(s, fake, STATS, stats_path(1))
                out.append((status, resp.headers.get("Retry-After")))
            return out

    assert asyncio.run(scenario()) == [(429, "2"), (429, "0.25"), (429, None), (200, None)]
    assert fake.count(STATS_RE, status=429) == 3
    assert [r.fault for r in fake.requests] == ["429", "429", "429", None]


def test_fault_5xx_global_count_and_order(fake: FakeWaypoint) -> None:
    fake.add_fault(Fault(STATS_RE, "500", times=2))
    fake.add_fault(Fault(STATS_RE, "503"))
    paths = [stats_path(1), stats_path(2), stats_path(3), stats_path(4)]
    assert statuses(fake, paths) == [500, 500, 503, 200]
    assert [f.applied for f in fake.faults] == [2, 1]


def test_fault_5xx_per_path_and_forever(fake: FakeWaypoint) -> None:
    fake.add_fault(Fault(STATS_RE, "503", per_path=True))
    assert statuses(fake, [stats_path(1), stats_path(1), stats_path(2), stats_path(2)]) == [
        503,
        200,
        503,
        200,
    ]
    fake.clear_faults()
    fake.add_fault(Fault(r"^/users", "500", times=None))
    assert statuses(fake, [stats_path(1)]) == [200]
    fake.reset_requests()

    async def users() -> list[int]:
        async with http() as s:
            return [(await get(s, fake, PROFILE, "/users/gt(Tester)"))[0] for _ in range(3)]

    assert asyncio.run(users()) == [500, 500, 500]
    assert fake.count("^/users", status=500) == 3


def test_fault_404_then_ok_is_per_path(fake: FakeWaypoint) -> None:
    fake.add_fault(Fault(STATS_RE, "404_then_ok", times=2))
    got = statuses(fake, [stats_path(1), stats_path(2), stats_path(1), stats_path(1)])
    assert got == [404, 404, 404, 200]
    assert statuses(fake, [stats_path(2), stats_path(2)]) == [404, 200]
    fake.clear_faults()
    fake.add_fault(Fault(STATS_RE, "404_then_ok", times=1, per_path=False))
    assert statuses(fake, [stats_path(3), stats_path(4)]) == [404, 200]


def test_fault_match_ids(fake: FakeWaypoint) -> None:
    fake.add_fault(Fault(STATS_RE, "500", times=None, match_ids={mid(2)}))
    got = statuses(fake, [stats_path(1), stats_path(2), stats_path(3), stats_path(2)])
    assert got == [200, 500, 200, 500]


def test_fault_slow(fake: FakeWaypoint) -> None:
    fake.add_fault(Fault(STATS_RE, "slow", delay=0.3))
    started = time.monotonic()
    assert statuses(fake, [stats_path(1)]) == [200]
    assert time.monotonic() - started >= 0.3
    assert statuses(fake, [stats_path(1)]) == [200]


def test_fault_truncated(fake: FakeWaypoint, recorded_dir: Path) -> None:
    fake.add_fault(Fault(STATS_RE, "truncated"))
    full = (recorded_dir / "matches" / f"{mid(1)}.json").read_bytes()

    async def scenario() -> None:
        async with http() as s:
            status, body, resp = await get(s, fake, STATS, stats_path(1))
            assert status == 200 and resp.content_type == "application/json"
            assert int(resp.headers["Content-Length"]) == len(body) == len(full) // 2
            assert full.startswith(body)
            with pytest.raises(orjson.JSONDecodeError):
                orjson.loads(body)
            assert (await get(s, fake, STATS, stats_path(1)))[1] == full

    asyncio.run(scenario())


def test_fault_401_regardless_of_token(fake: FakeWaypoint) -> None:
    fake.add_fault(Fault(STATS_RE, "401", times=2))
    assert statuses(fake, [stats_path(1), stats_path(2), stats_path(1)]) == [401, 401, 200]


def test_fault_validation() -> None:
    with pytest.raises(ValueError, match="unknown fault kind"):
        Fault(STATS_RE, "418")  # type: ignore[arg-type]
    assert Fault(STATS_RE, "404_then_ok").counts_per_path
    assert not Fault(STATS_RE, "500").counts_per_path


# --------------------------------------------------------------------- observability, lifecycle


def test_requests_and_start_times(fake: FakeWaypoint) -> None:
    async def scenario() -> None:
        async with http() as s:
            await asyncio.gather(*(get(s, fake, STATS, stats_path(i)) for i in range(5)))

    asyncio.run(scenario())
    times = fake.start_times(STATS_RE)
    assert len(times) == 5 and times == sorted(times)
    assert all(r.end is not None and r.end >= r.start for r in fake.requests)
    assert fake.count(STATS_RE, status=200, method="get") == 5
    assert fake.count(STATS_RE, status=404) == 0


def test_async_context_manager_and_host_map(recorded_dir: Path) -> None:
    async def scenario() -> str:
        async with FakeWaypoint(recorded_dir) as fake:
            hosts = fake.host_map()
            assert (
                set(hosts) == set(ALL_HOSTS) and len(hosts) == 9
            )  # gamecms-hacs and skill included
            assert hosts[STATS] == f"{fake.base_url}/{STATS}"
            assert fake.rewrite(f"https://{STATS}:443/hi/matches/x/stats?a=1") == (
                f"{fake.base_url}/{STATS}/hi/matches/x/stats?a=1"
            )
            assert fake.rewrite("https://example.com/x") == "https://example.com/x"
            return fake.base_url

    base_url = asyncio.run(scenario())

    async def closed() -> None:
        async with aiohttp.ClientSession() as s:
            with pytest.raises(aiohttp.ClientConnectionError):
                await s.get(f"{base_url}/{STATS}/hi/matches/x/stats")

    asyncio.run(closed())


def test_thread_mode_context_manager(recorded_dir: Path) -> None:
    with FakeWaypoint.start_in_thread(recorded_dir) as fake:
        assert fake.base_url.startswith("http://127.0.0.1:")
        assert statuses(fake, [stats_path(1)]) == [401]
    with pytest.raises(RuntimeError):
        fake.stop()
    with pytest.raises(ConfigError):
        FakeWaypoint.start_in_thread(recorded_dir / "missing")


def test_command_line_entry(recorded_dir: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")}
    command = [sys.executable, "-m", "levelup.testing.fake_waypoint", str(recorded_dir)]
    with subprocess.Popen(
        [*command, "--accept-token", TOKEN],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
        text=True,
    ) as proc:
        try:
            assert proc.stdout is not None
            line = proc.stdout.readline()
            host_map = json.loads(line)["host_map"]
            assert set(host_map) == set(ALL_HOSTS)

            async def scenario() -> int:
                async with http() as s, s.get(f"{host_map[STATS]}{stats_path(1)}") as resp:
                    return resp.status

            assert asyncio.run(scenario()) == 200
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    missing = subprocess.run(
        [*command[:-1], str(recorded_dir / "missing")],
        capture_output=True,
        env=env,
        text=True,
        timeout=30,
    )
    assert missing.returncode == 2 and "does not exist" in missing.stderr


def test_stopping_with_a_request_in_flight_leaves_no_pending_task(tmp_path: Path) -> None:
    """A client gives up on a "slow" answer and the server is stopped while its handler
    still waits: the server's loop must end that task, or the interpreter reports
    "Task was destroyed but it is pending!" at exit (at the end of every pytest run).
    A child process, so its exit is observed; generated data, no shared fixture."""
    script = f"""
import asyncio
import aiohttp
from levelup.demo.generator import write_recorded_dir
from levelup.testing.fake_waypoint import FakeWaypoint, Fault

root = write_recorded_dir({str(tmp_path / "rec")!r}, 2).path
with FakeWaypoint.start_in_thread(root) as fake:
    fake.add_fault(Fault(r"/stats$", "slow", times=None, delay=5))
    url = fake.host_map()["{STATS}"] + "/hi/matches/x/stats"

    async def give_up() -> None:
        timeout = aiohttp.ClientTimeout(total=0.3)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            try:
                async with session.get(url) as response:
                    await response.read()
            except TimeoutError:
                print("gave up")

    asyncio.run(give_up())
"""
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "gave up"
    assert "Task was destroyed" not in result.stderr, result.stderr
    assert result.stderr == ""
