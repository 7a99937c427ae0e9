"""The Halo Waypoint client over real HTTP against the fake server: endpoints, pacing,
retries, the recent-match 404 policy, token renewal.

Also holds the helpers the other HTTP test modules (test_auth, test_sync_http,
test_token_secrecy) import: a recorded directory built from the shared fixtures,
a fake server fixture, and a source factory with fast retries.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import json
from pathlib import Path

import orjson
import pytest

from levelup.errors import ConfigError, PlayerNotFoundError
from levelup.sources import recorded
from levelup.sources.base import (
    AuthError,
    FatalSourceError,
    FetchError,
    MatchNotFoundError,
    ServiceUnreachableError,
)
from levelup.sources.http import (
    RECENT_404_DELAY,
    RECENT_404_RETRIES,
    Backoff,
    RateLimiter,
    WaypointSession,
    endpoint_name,
    host_map_from_env,
    parse_retry_after,
    rewrite_url,
)
from levelup.sources.waypoint import WaypointSource
from levelup.testing.fake_waypoint import FakeWaypoint, Fault
from tests.helpers import FIXTURES
from tests.http_helpers import (
    BASE,
    FAST,
    PLAYER,
    STATS_RE,
    TOKEN,
    Sleeps,
    azure_env,
    make_recorded,
    make_source,
    mid,
    raw_env,
    run,
)


@pytest.fixture(autouse=True)
def _fresh_index_cache() -> None:
    recorded._INDEXES.clear()


# --------------------------------------------------------------------- pure helpers


def test_url_rewrite_endpoint_names_and_host_map_env() -> None:
    hosts = {"halostats.svc.halowaypoint.com": "http://127.0.0.1:9/halostats.svc.halowaypoint.com"}
    url = "https://halostats.svc.halowaypoint.com:443/hi/matches/x/stats?a=1"
    assert (
        rewrite_url(url, hosts)
        == f"{hosts['halostats.svc.halowaypoint.com']}/hi/matches/x/stats?a=1"
    )
    assert rewrite_url("https://example.com/x", hosts) == "https://example.com/x"
    assert rewrite_url(url, {}) == url
    assert endpoint_name("halostats.svc.halowaypoint.com", "/hi/matches/x/stats") == "match_stats"
    assert endpoint_name("halostats.svc.halowaypoint.com", "/hi/players/xuid(1)/matches") == (
        "history"
    )
    assert endpoint_name("login.live.com", "/oauth20_token.srf") == "auth"
    assert endpoint_name("settings.svc.halowaypoint.com", "/spartan-token") == "auth"
    assert endpoint_name("profile.svc.halowaypoint.com", "/users") == "profile"
    assert endpoint_name("discovery-infiniteugc.svc.halowaypoint.com", "/hi/maps/a") == (
        "discovery"
    )
    assert host_map_from_env({}) == {}
    assert host_map_from_env({"LEVELUP_HOST_MAP": json.dumps(hosts)}) == hosts
    with pytest.raises(ConfigError, match="not valid JSON"):
        host_map_from_env({"LEVELUP_HOST_MAP": "{nope"})
    # Credentials must never be sent off this machine through the test hook.
    with pytest.raises(ConfigError, match="on this machine"):
        host_map_from_env({"LEVELUP_HOST_MAP": json.dumps({"a": "https://evil.example.com"})})
    assert parse_retry_after("2") == 2.0 and parse_retry_after("0.25") == 0.25
    assert parse_retry_after("-3") == 0.0 and parse_retry_after("soon") is None
    assert parse_retry_after(None) is None
    assert parse_retry_after("Sun, 01 Jun 2025 12:00:10 GMT", BASE) == 10.0
    rng = __import__("random").Random(1)
    delays = [Backoff(jitter=0).delay(n, rng) for n in range(1, 8)]
    assert delays == [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0]
    jittered = Backoff().delay(3, rng)
    assert 1.0 <= jittered <= 2.0
    # The game's own policy for match stats (Stats_GetMatchStats: linearretry404retry).
    assert (RECENT_404_RETRIES, RECENT_404_DELAY) == (14, 2.0)
    with pytest.raises(ValueError):
        RateLimiter(0, 1)


# --------------------------------------------------------------------- endpoints


def test_source_endpoints_over_http(fake: FakeWaypoint, recorded_dir: Path, tmp_path: Path) -> None:
    map_doc = orjson.loads((FIXTURES / "get_map.json").read_bytes())

    async def scenario() -> None:
        source = make_source(fake, raw_env(tmp_path / "cfg"))
        try:
            who = await source.resolve_player(gamertag="tESTER")
            assert (who.xuid, who.gamertag) == (PLAYER, "Tester")
            assert (await source.resolve_player(xuid=f"xuid({PLAYER})")).gamertag == "Tester"
            with pytest.raises(PlayerNotFoundError):
                await source.resolve_player(gamertag="Nobody")
            with pytest.raises(PlayerNotFoundError):
                await source.resolve_player(xuid="bid(8.0)")

            first = await source.history_page(PLAYER, 0)
            second = await source.history_page(PLAYER, 25, 25)
            assert (first.count, first.result_count, second.result_count) == (25, 25, 5)
            ids = [e.match_id for e in first.entries + second.entries]
            assert ids == [mid(i) for i in reversed(range(30))]
            assert first.entries[0].start_time.startswith("2025-06-02T17:00:00")
            custom = await source.history_page(PLAYER, 0, 25, "custom")
            assert custom.result_count == 0

            body = await source.match_stats_raw(mid(3))
            assert body == (recorded_dir / "matches" / f"{mid(3)}.json").read_bytes()
            with pytest.raises(MatchNotFoundError, match=rf"match {mid(99)}.*missing"):
                await source.match_stats_raw(mid(99))
            with pytest.raises(MatchNotFoundError):
                await source.match_stats_raw("../../users")

            # 250 xuids: three requests of at most 100; bots and bad ids left out.
            many = [f"25330000000{i:05d}" for i in range(248)] + ["1234567890123456", PLAYER]
            names = await source.gamertags([*many, "bid(8.0)", "42"])
            assert names == {"1234567890123456": "GAMERTAG", PLAYER: "Tester"}
            assert await source.gamertags([]) == {}

            name = await source.asset_name("maps", map_doc["AssetId"], map_doc["VersionId"])
            assert name == "Forge Space"
            assert await source.asset_name("playlists", mid(1), "v") is None
            with pytest.raises(ValueError):
                await source.asset_name("films", "a", "b")
            calls = source.counters.calls
            assert calls["match_stats"] == 1 and calls["history"] == 3
            assert calls["profile"] == 2 + 3 and calls["discovery"] == 1
            assert source.counters.retries == {}
        finally:
            await source.aclose()

    run(scenario())
    users = [r for r in fake.requests if r.path == "/users"]
    assert len(users) == 3 and all(r.query.count("xuids=") <= 100 for r in users)
    assert fake.count(STATS_RE) == 2  # no retry of a plain 404 on an old match


# --------------------------------------------------------------------- pacing


def test_pacing_spaces_request_starts(fake: FakeWaypoint, tmp_path: Path) -> None:
    """60 requests at 20 per second with 4 in flight, over real HTTP: the session's
    limiter scheduled every request start one interval (50 ms) or more after the
    previous one, and each reached the server once. What the limiter decides is
    checked, not wall-clock spans (they depend on the machine's load); the exact
    schedule is in test_rate_limiter, the achieved real-time rate in the benchmark."""
    limiters = []

    async def scenario() -> None:
        source = make_source(fake, raw_env(tmp_path / "cfg"), rps=20, concurrency=4)
        limiters.append(source.session.limiter)
        try:
            await asyncio.gather(*(source.match_stats_raw(mid(i % 30)) for i in range(60)))
        finally:
            await source.aclose()

    run(scenario())
    assert len(fake.start_times(STATS_RE)) == 60
    granted = list(limiters[0].granted)
    assert len(granted) == 60
    gaps = [b - a for a, b in itertools.pairwise(granted)]
    assert min(gaps) >= 0.05 - 1e-9, min(gaps)
    worst = max(sum(1 for t in granted if s <= t < s + 1.0) for s in granted)
    assert worst <= 21, worst


def test_concurrency_caps_requests_in_flight(fake: FakeWaypoint, tmp_path: Path) -> None:
    fake.add_fault(Fault(STATS_RE, "slow", times=None, delay=0.15))

    async def scenario() -> None:
        source = make_source(fake, raw_env(tmp_path / "cfg"), rps=1000, concurrency=3)
        try:
            await asyncio.gather(*(source.match_stats_raw(mid(i)) for i in range(12)))
        finally:
            await source.aclose()

    run(scenario())
    records = [r for r in fake.requests if r.fault == "slow"]
    assert len(records) == 12
    in_flight = max(sum(1 for o in records if o.start <= r.start < (o.end or 0)) for r in records)
    assert in_flight == 3


# --------------------------------------------------------------------- retries


def test_429_waits_for_retry_after_and_pauses_everyone(fake: FakeWaypoint, tmp_path: Path) -> None:
    fake.add_fault(Fault(STATS_RE, "429", retry_after=0.4, match_ids={mid(1)}))

    async def scenario() -> WaypointSource:
        source = make_source(fake, raw_env(tmp_path / "cfg"), rps=1000, concurrency=2)

        async def later() -> bytes:
            await asyncio.sleep(0.1)  # after the 429, during its Retry-After
            return await source.match_stats_raw(mid(2))

        try:
            await asyncio.gather(source.match_stats_raw(mid(1)), later())
        finally:
            await source.aclose()
        return source

    source = run(scenario())
    records = [r for r in fake.requests if r.host.startswith("halostats")]
    assert [(r.status, r.fault) for r in records] == [(429, "429"), (200, None), (200, None)]
    # Both the retried request and the other one waited for the Retry-After.
    assert min(r.start for r in records[1:]) - records[0].start >= 0.4
    assert source.counters.retries["match_stats"] == 1
    assert source.counters.calls["match_stats"] == 2


def test_transient_failures_are_retried(
    fake: FakeWaypoint, recorded_dir: Path, tmp_path: Path
) -> None:
    for kind in ("500", "503", "truncated", "429"):
        fake.add_fault(Fault(STATS_RE, kind, match_ids={mid(1)}))  # type: ignore[arg-type]
    fake.add_fault(Fault(STATS_RE, "slow", delay=2.0, match_ids={mid(1)}))  # > the 0.8 s timeout
    fake.add_fault(Fault(r"/matches$", "truncated"))
    sleeps = Sleeps()

    async def scenario() -> WaypointSource:
        source = make_source(
            fake,
            raw_env(tmp_path / "cfg"),
            backoff=Backoff(base=0.01, max_delay=0.05, timeout=0.8, attempts=8),
            sleep=sleeps,
        )
        try:
            assert (
                await source.match_stats_raw(mid(1))
                == (recorded_dir / "matches" / f"{mid(1)}.json").read_bytes()
            )
            page = await source.history_page(PLAYER, 0)
            assert page.result_count == 25
        finally:
            await source.aclose()
        return source

    source = run(scenario())
    records = [r for r in fake.requests if r.path.endswith("/stats")]
    assert [r.fault for r in records] == ["500", "503", "truncated", "429", "slow", None]
    assert [r.status for r in records[:4]] == [500, 503, 200, 429]  # the slow one timed out
    assert records[-1].status == 200
    assert source.counters.retries == {"match_stats": 5, "history": 1}
    assert source.counters.calls == {"match_stats": 1, "history": 1}
    assert len(sleeps.delays) == 5  # the 429 waits in the pacer, not in `sleep`


def test_gives_up_with_the_match_id_after_bounded_attempts(
    fake: FakeWaypoint, tmp_path: Path
) -> None:
    fake.add_fault(Fault(STATS_RE, "503", times=None))
    sleeps = Sleeps()

    async def scenario() -> None:
        source = make_source(
            fake, raw_env(tmp_path / "cfg"), backoff=Backoff(jitter=0.0, timeout=1.0), sleep=sleeps
        )
        try:
            with pytest.raises(FetchError) as err:
                await source.match_stats_raw(mid(4))
            assert not isinstance(err.value, MatchNotFoundError)
            message = str(err.value)
            assert mid(4) in message and "6 attempts" in message and "HTTP 503" in message
            assert source.counters.retries["match_stats"] == 5
            assert "match_stats" not in source.counters.calls
        finally:
            await source.aclose()

    run(scenario())
    assert fake.count(STATS_RE, status=503) == 6
    assert sleeps.delays == [0.5, 1.0, 2.0, 4.0, 8.0]  # exponential (jitter off here)


def test_an_unreachable_host_is_retried_then_stops_the_run_and_is_not_asked_again(
    tmp_path: Path,
) -> None:
    """A host map pointing at a closed port: connection refused on every attempt is
    ServiceUnreachableError (the run stops, exit 2), and the next request to that host
    fails at once instead of spending its own retries; another host is still asked."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    hosts = {
        "halostats.svc.halowaypoint.com": f"http://127.0.0.1:{port}/x",
        "skill.svc.halowaypoint.com": f"http://127.0.0.1:{port}/y",
    }
    stats = "https://halostats.svc.halowaypoint.com/hi/matches/abc/stats"

    async def scenario() -> None:
        session = WaypointSession(
            requests_per_second=1000, host_map=hosts, backoff=FAST, sleep=Sleeps()
        )
        try:
            with pytest.raises(
                ServiceUnreachableError, match=r"cannot reach halostats\.svc"
            ) as err:
                await session.get(stats)
            assert "could not connect" in str(err.value) and err.value.exit_code == 2
            assert isinstance(err.value, FatalSourceError)
            assert session.counters.retries["match_stats"] == FAST.attempts - 1
            with pytest.raises(ServiceUnreachableError, match=r"cannot reach halostats\.svc"):
                await session.get(stats.replace("abc", "def"))
            assert session.counters.retries["match_stats"] == FAST.attempts - 1  # none more
            with pytest.raises(ServiceUnreachableError, match=r"cannot reach skill\.svc"):
                await session.get("https://skill.svc.halowaypoint.com/hi/matches/abc/skill")
            assert session.counters.retries["match_skill"] == FAST.attempts - 1
        finally:
            await session.close()

    run(scenario())


def test_recent_match_404_follows_the_game_policy(tmp_path: Path) -> None:
    """History says the two newest matches ended 5 minutes ago: a 404 on their stats is
    retried every 2 s (14 times at most); an old match's 404 is "missing" at once."""
    root = make_recorded(tmp_path / "rec", 6, recent=2)
    sleeps = Sleeps()
    with FakeWaypoint.start_in_thread(root) as fake:
        fake.accept_token(TOKEN)
        fake.add_fault(Fault(STATS_RE, "404_then_ok", times=3, match_ids={mid(5)}))
        fake.add_fault(Fault(STATS_RE, "404_then_ok", times=None, match_ids={mid(4), mid(1)}))

        async def scenario() -> WaypointSource:
            source = make_source(fake, raw_env(tmp_path / "cfg"), sleep=sleeps)
            try:
                page = await source.history_page(PLAYER, 0)
                assert [e.match_id for e in page.entries[:2]] == [mid(5), mid(4)]
                assert source.is_recent(mid(5)) and not source.is_recent(mid(3))
                assert await source.match_stats_raw(mid(5))
                with pytest.raises(MatchNotFoundError, match=rf"{mid(4)}.*after 14 retries"):
                    await source.match_stats_raw(mid(4))
                with pytest.raises(MatchNotFoundError, match=rf"{mid(1)}.*missing"):
                    await source.match_stats_raw(mid(1))
                # The caller can also say so itself.
                with pytest.raises(MatchNotFoundError, match="after 14 retries"):
                    await source.match_stats_raw(mid(1), recent=True)
            finally:
                await source.aclose()
            return source

        source = run(scenario())
        assert fake.count(f"{mid(5)}/stats", status=404) == 3
        assert fake.count(f"{mid(5)}/stats", status=200) == 1
        assert fake.count(f"{mid(4)}/stats") == 15
        assert fake.count(f"{mid(1)}/stats") == 1 + 15
    assert len(sleeps.delays) == 3 + 14 + 14
    assert all(2.0 <= d <= 2.1 for d in sleeps.delays)
    assert source.counters.retries["match_stats"] == 31


# --------------------------------------------------------------------- tokens


def test_401_renews_once_then_retries(fake: FakeWaypoint, tmp_path: Path) -> None:
    fake.add_fault(Fault(STATS_RE, "401", match_ids={mid(1)}))
    fake.add_fault(Fault(STATS_RE, "401", times=2, match_ids={mid(2)}))
    fake.add_fault(Fault(r"^/users/", "401", times=None))

    async def scenario() -> WaypointSource:
        source = make_source(fake, azure_env(tmp_path / "cfg"))
        try:
            assert await source.match_stats_raw(mid(1))
            assert source.tokens.renewals == 2  # the first sign-in, then the 401
            with pytest.raises(AuthError, match=rf"{mid(2)}.*renewed.*levelup auth"):
                await source.match_stats_raw(mid(2))
            assert source.tokens.renewals == 3
        finally:
            await source.aclose()
        return source

    source = run(scenario())
    assert [(r.status, r.fault) for r in fake.requests if mid(1) in r.path] == [
        (401, "401"),
        (200, None),
    ]
    assert fake.count(f"{mid(2)}/stats") == 2  # a second 401 is not retried
    assert source.counters.calls["auth"] == 3 * 5  # three sign-ins of five requests
    assert source.counters.retries["match_stats"] == 2


def test_403_is_not_retried(fake: FakeWaypoint, tmp_path: Path) -> None:
    async def scenario() -> None:
        source = make_source(fake, raw_env(tmp_path / "cfg"))
        # The fake has no 403 fault: point the token at the profile of a player who is
        # refused by swapping the route's answer for a 403.
        try:
            original = fake._route

            async def forbidden(request, method, host, path):  # type: ignore[no-untyped-def]
                if path.startswith("/hi/matches/"):
                    from levelup.testing.fake_waypoint import _error

                    return _error(403, "forbidden")
                return await original(request, method, host, path)

            fake._route = forbidden  # type: ignore[method-assign]
            with pytest.raises(AuthError, match=r"HTTP 403"):
                await source.match_stats_raw(mid(1))
        finally:
            await source.aclose()

    run(scenario())
    assert fake.count(STATS_RE) == 1


def test_concurrent_401s_share_one_renewal(fake: FakeWaypoint, tmp_path: Path) -> None:
    async def scenario() -> WaypointSource:
        source = make_source(fake, azure_env(tmp_path / "cfg"), concurrency=8)
        try:
            await source.match_stats_raw(mid(0))
            fake.expire_tokens()
            await asyncio.gather(*(source.match_stats_raw(mid(i)) for i in range(1, 17)))
        finally:
            await source.aclose()
        return source

    source = run(scenario())
    assert source.tokens.renewals == 2
    assert fake.count(STATS_RE, status=200) == 17
    assert len(fake.issued_spartan_tokens) == 2


def test_token_renewed_before_it_expires(recorded_dir: Path, tmp_path: Path) -> None:
    """Tokens living 2 s are renewed before expiry (half-way, as the 5-minute margin
    is longer than their life): no request is ever refused."""
    with FakeWaypoint.start_in_thread(
        recorded_dir, spartan_lifetime=dt.timedelta(seconds=2)
    ) as fake:

        async def scenario() -> WaypointSource:
            source = make_source(fake, azure_env(tmp_path / "cfg"))
            try:
                await source.match_stats_raw(mid(0))
                await asyncio.sleep(1.2)
                await source.match_stats_raw(mid(1))
            finally:
                await source.aclose()
            return source

        source = run(scenario())
        assert fake.count(STATS_RE, status=401) == 0
        assert fake.count(STATS_RE, status=200) == 2
        assert source.tokens.renewals == 2


def test_raw_tokens_missing_clearance_is_fetched(fake: FakeWaypoint, tmp_path: Path) -> None:
    env = raw_env(tmp_path / "cfg")
    del env["SPNKR_CLEARANCE_TOKEN"]

    async def scenario() -> WaypointSource:
        source = make_source(fake, env)
        try:
            assert await source.match_stats_raw(mid(0))
        finally:
            await source.aclose()
        return source

    source = run(scenario())
    assert fake.count(r"/oban/") == 1 and source.counters.calls["auth"] == 1


def test_a_gamertag_reaches_the_service_whole(tmp_path: Path) -> None:
    """The gamertag is part of the profile URL's path (`/users/gt(...)`): a `#` (the
    suffix of modern gamertags), a `?` or a `%` must arrive as written, not cut the
    path short or be decoded into another name (a trial finding)."""
    odd = {"2533274800000201": "Spartan#1234", "2533274800000202": "Q?uestion",
           "2533274800000203": "Pct%20Guy", "2533274800000204": "Démo Spártan 幽霊"}  # fmt: skip
    root = tmp_path / "rec"
    (root / "matches").mkdir(parents=True)
    players = [{"gamertag": gt, "xuid": xuid} for xuid, gt in odd.items()]
    (root / "players.json").write_bytes(orjson.dumps(players))
    profiles = [{"xuid": xuid, "gamertag": gt} for xuid, gt in odd.items()]
    (root / "profiles.json").write_bytes(orjson.dumps(profiles))

    async def scenario(fake: FakeWaypoint) -> None:
        source = make_source(fake, raw_env(tmp_path / "cfg"))
        try:
            for xuid, gamertag in odd.items():
                who = await source.resolve_player(gamertag=gamertag)
                assert (who.xuid, who.gamertag) == (xuid, gamertag)
        finally:
            await source.aclose()

    with FakeWaypoint.start_in_thread(root) as fake:
        fake.accept_token(TOKEN)
        run(scenario(fake))
        paths = [r.path for r in fake.requests if "/users/" in r.path]
    assert len(paths) == len(odd), paths  # one request each, none cut short
