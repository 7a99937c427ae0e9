"""`--source api|DIR` -> a MatchSource."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from levelup.errors import ConfigError
from levelup.sources.base import MatchSource


@dataclass(frozen=True)
class SourceOptions:
    """Request pacing for the real API; the recorded directory ignores them."""

    requests_per_second: float = 5.0
    concurrency: int = 4


def make_source(spec: str, options: SourceOptions | None = None) -> MatchSource:
    """Build the source named on the command line.

    Raises:
        ConfigError: DIR does not exist, or the API credentials are missing.
    """
    options = options or SourceOptions()
    if options.requests_per_second <= 0:
        raise ConfigError("--requests-per-second must be greater than 0")
    if options.concurrency < 1:
        raise ConfigError("--concurrency must be at least 1")
    if spec == "api":
        from levelup.sources.waypoint import WaypointSource

        return WaypointSource.from_environment(
            requests_per_second=options.requests_per_second, concurrency=options.concurrency
        )
    path = Path(spec)
    if not path.is_dir():
        raise ConfigError(
            f"--source {spec!r} is neither 'api' nor a recorded-responses directory "
            "(a folder with players.json and matches/<match_id>.json)"
        )
    from levelup.sources.recorded import RecordedSource

    return RecordedSource(path)
