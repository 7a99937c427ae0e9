"""`--source api|DIR` -> a MatchSource."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from levelup.errors import ConfigError
from levelup.sources.base import MatchSource

# A request every 20 s at the slowest; faster than 1000 per second is no pacing at all.
MIN_REQUESTS_PER_SECOND = 0.05
MAX_REQUESTS_PER_SECOND = 1000.0


@dataclass(frozen=True)
class SourceOptions:
    """Request pacing for the real API; the recorded directory ignores them."""

    requests_per_second: float = 5.0
    concurrency: int = 4
    # `--requests-per-second auto`: the pace is found (levelup.sources.pace) and
    # requests_per_second is ignored.
    adaptive: bool = False


def make_source(spec: str, options: SourceOptions | None = None) -> MatchSource:
    """Build the source named on the command line.

    Raises:
        ConfigError: DIR does not exist, or the API credentials are missing.
    """
    options = options or SourceOptions()
    if not MIN_REQUESTS_PER_SECOND <= options.requests_per_second <= MAX_REQUESTS_PER_SECOND:
        raise ConfigError(
            f"--requests-per-second must be between {MIN_REQUESTS_PER_SECOND:g} and "
            f"{MAX_REQUESTS_PER_SECOND:g} (got {options.requests_per_second!r})"
        )
    if options.concurrency < 1:
        raise ConfigError("--concurrency must be at least 1")
    if spec == "api":
        from levelup.sources.pace import PaceSettings
        from levelup.sources.waypoint import WaypointSource

        return WaypointSource.from_environment(
            requests_per_second=options.requests_per_second,
            concurrency=options.concurrency,
            adaptive=PaceSettings() if options.adaptive else None,
        )
    path = Path(spec)
    if not spec.strip() or not path.is_dir():  # Path("") is ".", not what was meant
        raise ConfigError(
            f"--source {spec!r} is neither 'api' nor a recorded-responses directory "
            "(a folder with players.json and matches/<match_id>.json)"
        )
    from levelup.sources.recorded import RecordedSource

    return RecordedSource(path)
