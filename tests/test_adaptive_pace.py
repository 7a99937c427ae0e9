"""`--requests-per-second auto`: the adaptive pace raises while answers are clean, cuts
on a 429, honours Retry-After, stays between its floor and ceiling; and the fake's
hidden rate limit (a server-side token bucket). Behaviour only: the rate it reaches
against the fake is measured in benchmarks/ (scenario 5), not here."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from levelup.commands.common import requests_per_second as pace
from levelup.commands.common import source_options
from levelup.sources.http import Backoff, RateLimiter
from levelup.sources.pace import AdaptivePace, PaceSettings
from levelup.testing.fake_waypoint import FakeWaypoint, TokenBucket
from tests.helpers import needs_fixtures
from tests.http_helpers import TOKEN, make_recorded, make_source, mid, raw_env


def busy(p: AdaptivePace, start: float, seconds: float) -> float:
    """Requests started at the current pace for `seconds`, every one answered cleanly."""
    now = start
    end = start + seconds
    while now < end:
        p.started(now)
        now += 1 / p.rate
        p.answered(now)
    return now


def test_raises_while_clean_and_busy_then_cuts_sharply_on_a_429() -> None:
    p = AdaptivePace(PaceSettings(start=5, floor=1, ceiling=100), now=0.0)
    now = busy(p, 0.0, 1.6)  # three clean half-second holds
    assert p.rate == pytest.approx(5 * 1.6**3) and p.raises == 3 and p.cuts == 0
    before = p.rate
    assert p.rate_limited(now, started_at=now - 0.01)
    # No clean pace was known above the last raise: back to the last clean one.
    assert p.rate < before and p.rate == pytest.approx(before / 1.6)
    assert p.bad == pytest.approx(before) and p.cuts == 1
    # Answers of requests sent before the cut say nothing new: no second cut.
    assert not p.rate_limited(now + 0.05, started_at=now - 0.02)
    assert p.cuts == 1
    # Clean again: the pace probes the middle of the bracket, never the bad pace.
    now = busy(p, now + 0.1, 2.5)
    assert before / 1.6 < p.rate < before


def test_first_429_halves_and_a_429_below_the_clean_pace_lowers_it() -> None:
    p = AdaptivePace(PaceSettings(start=8, floor=1, ceiling=50), now=0.0)
    assert p.rate_limited(0.5, 0.4)
    assert p.rate == 4.0  # nothing clean known yet: half
    now = busy(p, 1.0, 12)
    clean = p.good
    assert clean is not None and p.rate >= clean
    assert p.rate_limited(now, now)  # the "clean" pace drew a 429 after all
    assert p.good is not None and p.good < clean and p.rate <= p.good


def test_settles_in_a_narrow_bracket_and_stays_between_floor_and_ceiling() -> None:
    p = AdaptivePace(PaceSettings(start=5, floor=2, ceiling=12), now=0.0)
    now = busy(p, 0.0, 10)
    assert p.rate == 12  # clean all the way: the ceiling, no further
    for _ in range(10):
        now += 1
        p.rate_limited(now, now)
    assert p.rate == 2  # the floor, however many 429s
    # A limit at 10/s: the pace brackets it and settles close below it.
    p = AdaptivePace(PaceSettings(start=5, floor=1, ceiling=50), now=0.0)
    now = 0.0
    cuts = []
    while now < 50:
        if p.rate > 10:
            p.started(now)
            cuts.append(p.rate_limited(now + 0.01, now))
            now += 0.5
        else:
            now = busy(p, now, 2.1)
    assert 9.0 <= p.rate <= 10 and p.describe()["settled_at"] == round(p.rate, 2)
    assert 1 <= len(cuts) <= 4 and all(cuts)
    # A minute without a 429: the limit may have moved, so the pace probes again.
    settled = p.rate
    busy(p, now, 35)
    assert p.rate > settled


def test_an_idle_client_proves_nothing() -> None:
    p = AdaptivePace(PaceSettings(start=5), now=0.0)
    for second in range(10):  # one request a second at a pace of 5: not using it
        p.started(float(second))
        p.answered(second + 0.1)
    assert p.rate == 5 and p.raises == 0


def test_settings_and_option_parsing() -> None:
    with pytest.raises(ValueError):
        PaceSettings(start=100, ceiling=50)
    with pytest.raises(ValueError):
        PaceSettings(growth=1.0)
    assert pace("auto") == "auto" and pace("AUTO") == "auto" and pace("2.5") == 2.5
    for bad in ("fast", "0", "-1", "nan", "inf"):
        with pytest.raises(Exception, match="auto"):
            pace(bad)

    class Args:
        requests_per_second = "auto"
        concurrency = 3

    options = source_options(Args())  # type: ignore[arg-type]
    assert options.adaptive and options.concurrency == 3
    assert RateLimiter(5, 1).describe() == {"mode": "fixed", "requests_per_second": 5.0}


def test_token_bucket_refills_at_its_rate() -> None:
    bucket = TokenBucket(10, burst=2)
    t = time.monotonic()
    assert bucket.take(t) is None and bucket.take(t) is None
    wait = bucket.take(t)
    assert wait == pytest.approx(0.1, abs=0.011)
    assert bucket.take(t + 0.101) is None and bucket.limited == 1


@needs_fixtures  # make_recorded copies the shared ranked match
def test_auto_against_the_fake_hidden_limit_cuts_and_honours_retry_after(
    tmp_path: Path,
) -> None:
    """Real HTTP: a session at `auto` starting far above a hidden limit of 10/s gets
    429s, cuts its pace below where they came from, waits each Retry-After, and every
    request is answered in the end."""
    recorded = make_recorded(tmp_path / "rec", 20)
    fake = FakeWaypoint.start_in_thread(recorded, rate_limit=10, rate_burst=2)
    fake.accept_token(TOKEN)
    settings = PaceSettings(start=40, floor=1, ceiling=60, hold=0.5, ramp_hold=0.5)

    async def go() -> dict:
        source = make_source(
            fake,
            raw_env(tmp_path / "cfg"),
            backoff=Backoff(attempts=8, timeout=5),
            sleep=asyncio.sleep,
            adaptive=settings,
        )
        try:
            for i in range(60):
                await source.match_stats_raw(mid(i % 20))
            return source.pacing()
        finally:
            await source.aclose()

    try:
        found = asyncio.run(go())
        records = fake.requests
    finally:
        fake.stop()
    limited = [r for r in records if r.status == 429]
    assert sum(r.status == 200 for r in records) == 60
    assert limited and found["cuts"] >= 1
    assert found["lowest_limited"] is not None and found["settled_at"] < found["lowest_limited"]
    assert found["settled_at"] < 40
    # Retry-After honoured: one request at a time, and after each 429 the next one
    # starts no sooner than the answer said.
    for r in limited:
        assert r.retry_after is not None
        later = [x.start for x in records if x.start > r.start]
        assert later and min(later) - r.start >= r.retry_after
