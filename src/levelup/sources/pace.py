"""Adaptive pacing (`--requests-per-second auto`): find the highest pace the service accepts.

The Halo services do not publish their rate limit, and a server-side token bucket
hides it: a pace above the limit is answered normally until the bucket runs dry.
`AdaptivePace` therefore brackets the limit between the highest pace that stayed
clean (`good`) and the lowest pace that drew a 429 (`bad`):

- before any 429 (slow start) the pace is multiplied by `growth` after every
  `ramp_hold` seconds of clean answers while the client was really using the pace;
  after a cut, the pace is back at the last clean one after `ramp_hold` as well;
- after a 429 the pace is cut at once to the last clean pace (at most
  `cut` times the pace that drew it; half of it when nothing was clean yet); the
  session also holds every start for the Retry-After the answer gave;
- once a 429 is known, a clean `hold` moves the pace to the middle of the bracket,
  and stops probing when the bracket is narrower than `settle` (a fraction);
- a 429 at or below the clean pace means the clean pace was not clean after all
  (the bucket was still draining): it is lowered to `1 - 2 * settle` times the
  pace that drew it (the pace itself is cut by `cut`, as for any 429);
- after `forget` seconds without a 429 the bad pace is raised a little, since
  the service's limit may have moved.

The pace stays between `floor` and `ceiling`. Only a request that started after
the last cut can cut again: the answers of requests already in flight at the
previous pace say nothing new. The controller is pure (times are passed in), so
its behaviour is unit-tested without a clock; `levelup.sources.http.RateLimiter`
feeds it real times.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["AUTO", "AdaptivePace", "PaceSettings"]

AUTO = "auto"


@dataclass(frozen=True)
class PaceSettings:
    """The bounds and step sizes of adaptive pacing (requests per second, seconds).

    The defaults start at the fixed default pace, never go below the pace of the
    original project's successor (1/s) and never above 50/s.
    """

    start: float = 5.0
    floor: float = 1.0
    ceiling: float = 50.0
    hold: float = 2.0
    ramp_hold: float = 0.5
    growth: float = 1.6
    cut: float = 0.8
    settle: float = 0.05
    forget: float = 60.0
    busy: float = 0.8  # share of the pace really used for a clean hold to count

    def __post_init__(self) -> None:
        values = (self.start, self.floor, self.ceiling, self.hold, self.ramp_hold, self.growth)
        values += (self.forget,)
        if not all(math.isfinite(v) and v > 0 for v in values):
            raise ValueError("pace settings must be positive numbers")
        if not self.floor <= self.start <= self.ceiling:
            raise ValueError("the starting pace must lie between the floor and the ceiling")
        if self.growth <= 1 or not 0 < self.cut < 1 or not 0 < self.settle < 1:
            raise ValueError("growth must exceed 1; cut and settle are fractions")


class AdaptivePace:
    """The pace of an `auto` run; see the module docstring."""

    def __init__(self, settings: PaceSettings | None = None, now: float = 0.0) -> None:
        self.settings = settings or PaceSettings()
        self.rate = self.settings.start
        self.good: float | None = None  # highest pace that stayed clean for a hold
        self.bad: float | None = None  # lowest pace that drew a 429
        self.cuts = 0
        self.raises = 0
        self.peak = self.rate
        self._window_start = now
        self._window_starts = 0
        self._last_cut = -math.inf
        self._bad_since = now

    def _set(self, rate: float) -> None:
        s = self.settings
        self.rate = min(s.ceiling, max(s.floor, rate))
        self.peak = max(self.peak, self.rate)

    def _new_window(self, now: float) -> None:
        self._window_start = now
        self._window_starts = 0

    def started(self, now: float) -> None:
        """A request started now (at the current pace)."""
        self._window_starts += 1

    def answered(self, now: float) -> None:
        """A request got an answer that was not a 429: maybe time to raise the pace."""
        s = self.settings
        elapsed = now - self._window_start
        probing = self.bad is not None and self.rate >= (self.good or 0.0)
        if elapsed < (s.hold if probing else s.ramp_hold):
            return
        # A client held back by its own work (or by --concurrency) proves nothing
        # about a faster pace: raise only when the pace was really used.
        busy = self._window_starts >= s.busy * self.rate * elapsed
        self._new_window(now)
        if not busy:
            return
        if self.bad is not None and now - self._bad_since >= s.forget:
            self.bad = min(s.ceiling, self.bad * (1 + s.settle * 2))
            self._bad_since = now
        if self.good is not None and self.rate < self.good:
            target = self.good  # back to the last clean pace after a cut
        else:
            self.good = good = max(self.good or 0.0, self.rate)
            if self.bad is None:
                target = self.rate * s.growth
            elif (self.bad - good) <= s.settle * self.bad:
                target = good  # the bracket is narrow enough: stay
            else:
                target = (good + self.bad) / 2
        if target > self.rate:
            self.raises += 1
        self._set(max(self.rate, target))

    def rate_limited(self, now: float, started_at: float) -> bool:
        """A request that started at `started_at` got a 429 now; True when the pace was cut."""
        if started_at < self._last_cut:
            return False  # sent at the pace already cut
        s = self.settings
        drew = self.rate
        self.bad = drew if self.bad is None else min(self.bad, drew)
        self._bad_since = now
        if self.good is not None and self.good >= drew * (1 - s.settle / 2):
            # That pace was not clean after all: the limit is a little below it.
            self.good = drew * (1 - 2 * s.settle)
        target = drew / 2 if self.good is None else min(self.good, drew * s.cut)
        self._set(target)
        self.cuts += 1
        self._last_cut = now
        self._new_window(now)
        return True

    def describe(self) -> dict[str, float | int | None]:
        """What a report says about the run's pace."""
        return {
            "settled_at": round(self.rate, 2),
            "highest_clean": round(self.good, 2) if self.good is not None else None,
            "lowest_limited": round(self.bad, 2) if self.bad is not None else None,
            "peak": round(self.peak, 2),
            "raises": self.raises,
            "cuts": self.cuts,
            "floor": self.settings.floor,
            "ceiling": self.settings.ceiling,
        }
