"""The player's career as the API counts it: match counts and service records.

A sync asks the match count service first, so that the progress bar of a first
or full sync has its true total (`expected_fetches`), and at its end stores the
counts and the three service records (matchmade, custom, local) as dated
snapshots (`match_count_snapshots`, `service_record_snapshots`). Those are what
`levelup players` and `levelup report` compare the warehouse with
(`levelup.analysis.completeness`). A source without these documents (a recorded
directory that records none) gives neither: no total, no snapshot, no claim.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import duckdb
import orjson

from levelup.clock import utc_now
from levelup.errors import about
from levelup.extract.rows import MatchCountSnapshotRow, ServiceRecordSnapshotRow
from levelup.extract.values import iso_duration_seconds
from levelup.match_types import LIFECYCLE_BY_MATCH_TYPE
from levelup.match_types import LIFECYCLE_BY_RECORD_TYPE as LIFECYCLE_BY_RECORD_TYPE  # re-exported
from levelup.sources.base import FatalSourceError, MatchSource, SourceError
from levelup.sources.endpoints import SERVICE_RECORD_TYPES
from levelup.sync.names import store_name_rows

log = logging.getLogger("levelup.sync")

# The count document's fields, by the match type they count.
COUNT_FIELDS = {
    "all": "MatchesPlayedCount",
    "matchmade": "MatchmadeMatchesPlayedCount",
    "custom": "CustomMatchesPlayedCount",
    "local": "LocalMatchesPlayedCount",
}
# --match-type -> the count that covers it.
COUNT_FOR_FILTER = {"all": "all", "matchmaking": "matchmade", "custom": "custom", "local": "local"}


class CareerDocumentError(ValueError):
    """A count or service record body that is not what the service sends."""


def duration_seconds(value: Any) -> float | None:
    """An ISO-8601 duration as the API writes it (``P17DT10H55M53.7685509S``), in seconds."""
    return iso_duration_seconds(value) if isinstance(value, str) else None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _load(body: bytes, what: str) -> Any:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        raise CareerDocumentError(f"{what} is not JSON") from None


def parse_counts(body: bytes) -> dict[str, int]:
    """Counts by match type ("all", "matchmade", "custom", "local") from a count body.

    Raises:
        CareerDocumentError: not JSON, or no count of all matches.
    """
    doc = _load(body, "the match count answer")
    if not isinstance(doc, dict) or _int(doc.get(COUNT_FIELDS["all"])) is None:
        raise CareerDocumentError("the match count answer has no MatchesPlayedCount")
    found = {kind: _int(doc.get(name)) for kind, name in COUNT_FIELDS.items()}
    return {kind: n for kind, n in found.items() if n is not None}


def parse_service_record(
    body: bytes, xuid: str, match_type: str, fetched_at: dt.datetime
) -> ServiceRecordSnapshotRow:
    """One service record body as a snapshot row.

    Raises:
        CareerDocumentError: not a JSON object with `MatchesCompleted`.
    """
    doc = _load(body, f"the {match_type} service record")
    if not isinstance(doc, dict) or _int(doc.get("MatchesCompleted")) is None:
        raise CareerDocumentError(f"the {match_type} service record has no MatchesCompleted")
    core = doc.get("CoreStats") if isinstance(doc.get("CoreStats"), dict) else {}
    return ServiceRecordSnapshotRow(
        xuid=xuid,
        match_type=match_type,
        fetched_at=fetched_at,
        matches_completed=_int(doc.get("MatchesCompleted")),
        wins=_int(doc.get("Wins")),
        losses=_int(doc.get("Losses")),
        ties=_int(doc.get("Ties")),
        kills=_int(core.get("Kills")),
        deaths=_int(core.get("Deaths")),
        assists=_int(core.get("Assists")),
        shots_fired=_int(core.get("ShotsFired")),
        shots_hit=_int(core.get("ShotsHit")),
        time_played_seconds=duration_seconds(doc.get("TimePlayed")),
    )


async def fetch_counts(source: MatchSource, xuid: str, errors: list[str]) -> dict[str, int] | None:
    """The API's match counts, or None when the source has none (or failed: the
    failure is added to `errors`, and the sync goes on without a total)."""
    try:
        body = await source.match_count_raw(xuid)
        return parse_counts(body) if body is not None else None
    except FatalSourceError:
        raise
    except SourceError as exc:  # its message names the request already
        errors.append(about("match count", str(exc)))
        return None
    except CareerDocumentError as exc:
        errors.append(f"match count: {exc}")
        return None


def known_by_type(conn: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Stored matches by `--match-type` filter ("all", "matchmaking", ...)."""
    rows = conn.execute(
        "SELECT lifecycle_mode, count(*) FROM match_stats GROUP BY lifecycle_mode"
    ).fetchall()
    by_mode = {mode: n for mode, n in rows}
    result = {"all": sum(by_mode.values())}
    for name, modes in LIFECYCLE_BY_MATCH_TYPE.items():
        if modes is not None:
            result[name] = sum(n for mode, n in by_mode.items() if mode in modes)
    return result


def expected_fetches(
    counts: Mapping[str, int] | None,
    match_type: str,
    known: Mapping[str, int],
    retries: int,
    max_matches: int | None,
) -> int | None:
    """How many matches a walk that does not stop at the first known match will fetch:
    the API's count of the filter's matches, less those stored, plus the retries."""
    if counts is None or COUNT_FOR_FILTER[match_type] not in counts:
        return None
    new = max(0, counts[COUNT_FOR_FILTER[match_type]] - known.get(match_type, 0))
    if max_matches is not None:
        new = min(new, max_matches)
    return new + retries


@dataclass
class CareerSnapshot:
    """What one sync stored: the counts and the service records it got."""

    counts: dict[str, int] | None
    service_records: int = 0

    def as_dict(self) -> dict[str, Any]:
        """The `career` object of the sync's `--json`: every field, by name."""
        return asdict(self)


async def store_snapshots(
    conn: duckdb.DuckDBPyConnection,
    source: MatchSource,
    xuid: str,
    counts: dict[str, int] | None,
    errors: list[str],
) -> CareerSnapshot:
    """Store the counts and ask for the three service records (each stored when the
    source has it); a failed or unreadable record is added to `errors`."""
    fetched_at = utc_now().replace(tzinfo=None)
    snapshot = CareerSnapshot(counts=counts)
    if counts:
        rows = [MatchCountSnapshotRow(xuid, kind, fetched_at, n) for kind, n in counts.items()]
        store_name_rows(conn, "match_count_snapshots", rows)
    records = []
    for match_type in SERVICE_RECORD_TYPES:
        try:
            body = await source.service_record_raw(xuid, match_type)
            if body is not None:
                records.append(parse_service_record(body, xuid, match_type, fetched_at))
        except FatalSourceError:
            raise
        except SourceError as exc:  # its message names the request already
            errors.append(about(f"{match_type} service record", str(exc)))
        except CareerDocumentError as exc:
            errors.append(f"{match_type} service record: {exc}")
    store_name_rows(conn, "service_record_snapshots", records)
    snapshot.service_records = len(records)
    return snapshot
