"""What the process-wide `RateLimiter` decides, on virtual time: the start time it
schedules for each request, whatever the machine's load. Real-time rates through the
fake server are measured by the benchmark (scenario 4), not asserted here."""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Awaitable
from typing import Any

import pytest

from levelup.sources.http import RateLimiter

T0 = 1000.0


class VirtualTime:
    """A clock and a sleep for the limiter: whenever every task waits on a virtual
    sleep, time jumps to the earliest deadline. `late` makes every wake-up late."""

    def __init__(self, late: float = 0.0) -> None:
        self.now = T0
        self.late = late
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        future = asyncio.get_running_loop().create_future()
        deadline = self.now + max(0.0, seconds) + self.late
        heapq.heappush(self._sleepers, (deadline, next(self._order), future))
        await future

    def run(self, work: Awaitable[Any]) -> Any:
        async def drive() -> Any:
            task = asyncio.ensure_future(work)
            while not task.done():
                for _ in range(50):  # let every ready task run until it waits again
                    await asyncio.sleep(0)
                if task.done():
                    break
                assert self._sleepers, "blocked on something other than virtual time"
                deadline, _, future = heapq.heappop(self._sleepers)
                self.now = max(self.now, deadline)
                future.set_result(None)
            return task.result()

        return asyncio.run(drive())


def _limiter(vt: VirtualTime, rate: float, concurrency: int) -> RateLimiter:
    return RateLimiter(rate, concurrency, clock=vt.clock, sleep=vt.sleep)


def _requests(
    vt: VirtualTime, limiter: RateLimiter, count: int, duration: float
) -> list[tuple[float, float]]:
    """`count` concurrent requests of `duration` seconds; (start, end) of each."""
    spans: list[tuple[float, float]] = []

    async def one() -> None:
        async with limiter.slot():
            start = vt.now
            await vt.sleep(duration)
            spans.append((start, vt.now))

    async def all_of_them() -> None:
        await asyncio.gather(*(one() for _ in range(count)))

    vt.run(all_of_them())
    return spans


def _most_in_one_second(times: list[float]) -> int:
    return max(sum(1 for t in times if s <= t < s + 1.0) for s in times)


def test_starts_are_scheduled_one_interval_apart_and_the_pace_is_reached() -> None:
    vt = VirtualTime()
    limiter = _limiter(vt, rate=20, concurrency=4)
    spans = _requests(vt, limiter, 60, duration=0.01)
    granted = list(limiter.granted)
    assert len(granted) == 60
    gaps = [b - a for a, b in itertools.pairwise(granted)]
    assert gaps == pytest.approx([0.05] * 59)  # exactly the rate: capped and reached
    assert _most_in_one_second(granted) <= 21  # "never more than R + 1 in a second"
    starts = sorted(start for start, _ in spans)
    # A request starts at its scheduled time, or at most a tenth of an interval later.
    assert all(0 <= s - g <= 0.005 + 1e-9 for s, g in zip(starts, granted, strict=True))
    assert _most_in_one_second(starts) <= 21


def test_a_late_wake_up_keeps_the_cadence_up_to_a_tenth_of_an_interval() -> None:
    on_time = VirtualTime(late=0.004)  # under the 0.005 slack at 20/s
    limiter = _limiter(on_time, rate=20, concurrency=1)
    _requests(on_time, limiter, 20, duration=0.0)
    gaps = [b - a for a, b in itertools.pairwise(limiter.granted)]
    assert gaps == pytest.approx([0.05] * 19)

    very_late = VirtualTime(late=0.02)  # beyond the slack: later, never closer
    limiter = _limiter(very_late, rate=20, concurrency=1)
    _requests(very_late, limiter, 20, duration=0.0)
    gaps = [b - a for a, b in itertools.pairwise(limiter.granted)]
    assert min(gaps) >= 0.05 - 1e-9
    assert gaps == pytest.approx([0.05 + 0.02 - 0.005] * 19)


def test_idle_time_is_not_saved_up_for_a_burst() -> None:
    vt = VirtualTime()
    limiter = _limiter(vt, rate=10, concurrency=4)
    _requests(vt, limiter, 3, duration=0.0)

    async def idle() -> None:
        await vt.sleep(5.0)

    vt.run(idle())
    _requests(vt, limiter, 3, duration=0.0)
    granted = list(limiter.granted)
    gaps = [b - a for a, b in itertools.pairwise(granted)]
    assert gaps[:2] == pytest.approx([0.1, 0.1]) and gaps[3:] == pytest.approx([0.1, 0.1])
    assert gaps[2] == pytest.approx(5.0, abs=0.01)  # the idle time itself


def test_pause_holds_every_start_back() -> None:
    vt = VirtualTime()
    limiter = _limiter(vt, rate=100, concurrency=4)
    _requests(vt, limiter, 2, duration=0.0)
    paused_at = vt.now
    limiter.pause(0.4)  # a 429's Retry-After
    _requests(vt, limiter, 5, duration=0.0)
    after = list(limiter.granted)[2:]
    assert min(after) >= paused_at + 0.4 - 1e-9
    assert [b - a for a, b in itertools.pairwise(after)] == pytest.approx([0.01] * 4)


def test_concurrency_caps_requests_in_flight_and_then_the_rate() -> None:
    vt = VirtualTime()
    limiter = _limiter(vt, rate=20, concurrency=4)
    spans = _requests(vt, limiter, 40, duration=0.3)
    in_flight = max(sum(1 for s, e in spans if s <= t < e) for t, _ in spans)
    assert in_flight == 4
    gaps = [b - a for a, b in itertools.pairwise(limiter.granted)]
    assert min(gaps) >= 0.05 - 1e-9  # never faster than the rate
    # 4 requests of 0.3 s at a time: 40 take 10 rounds, about 3 s, not 2 s at 20/s.
    assert limiter.granted[-1] - limiter.granted[0] == pytest.approx(9 * 0.3 + 3 * 0.05)


def test_rate_and_concurrency_are_checked() -> None:
    for rate in (0, -1, float("inf"), float("nan")):
        with pytest.raises(ValueError):
            RateLimiter(rate, 1)
    with pytest.raises(ValueError):
        RateLimiter(1, 0)
