"""Match count and service record documents for a recorded directory, in the API's shape.

The real service counts a player's matches and keeps their career totals; a
generated directory has only the matches, so these documents are computed from
them: the player's count per match type and, per service record type
(matchmade, custom, local), the totals of the player's own rows. A directory
written this way is complete by construction, which is what `levelup demo`
shows; tests change a number to make a difference appear.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import orjson

from levelup.extract.match import MatchDocumentError, parse_match_json
from levelup.registry import extract_stats_document
from levelup.sources.recorded import RecordedDirectory
from levelup.sync.career import COUNT_FIELDS, LIFECYCLE_BY_RECORD_TYPE

_SUMMED = ("kills", "deaths", "assists", "shots_fired", "shots_hit", "time_played_seconds")
_CORE = {"kills": "Kills", "deaths": "Deaths", "assists": "Assists",
         "shots_fired": "ShotsFired", "shots_hit": "ShotsHit"}  # fmt: skip


def _duration(seconds: float) -> str:
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    fraction = seconds - whole
    return f"PT{hours}H{minutes}M{secs + fraction:.3f}S" if hours else f"PT{minutes}M{secs}S"


def write_career_documents(root: Path, xuid: str) -> dict[str, int]:
    """Write ``matches_count/<xuid>.json`` and ``service_record/<xuid>/<type>.json`` from
    the directory's matches of `xuid`; returns the counts by type."""
    directory = RecordedDirectory(root)
    totals: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    counts = dict.fromkeys(COUNT_FIELDS, 0)
    start = 0
    while True:
        page = directory.history_entries(xuid, start, 25)
        for entry in page.entries:
            try:
                match = extract_stats_document(
                    parse_match_json(directory.match_bytes(entry.match_id)), xuid
                )
            except MatchDocumentError:
                continue
            row = match.stats
            if row is None:
                continue
            counts["all"] += 1
            kind = next(
                (k for k, modes in LIFECYCLE_BY_RECORD_TYPE.items() if row.lifecycle_mode in modes),
                None,
            )
            if kind is None:
                continue
            counts[kind] += 1
            sums = totals[kind]
            sums["matches"] += 1
            sums["wins"] += row.outcome == 2
            sums["losses"] += row.outcome == 3
            sums["ties"] += row.outcome == 1
            for name in _SUMMED:
                sums[name] += getattr(row, name) or 0
        if page.result_count < page.count or not page.entries:
            break
        start += len(page.entries)
    (root / "matches_count").mkdir(exist_ok=True)
    body = {COUNT_FIELDS[k]: n for k, n in counts.items()}
    (root / "matches_count" / f"{xuid}.json").write_bytes(orjson.dumps(body))
    folder = root / "service_record" / xuid
    folder.mkdir(parents=True, exist_ok=True)
    for kind in LIFECYCLE_BY_RECORD_TYPE:
        sums = totals[kind]
        record = {
            "TimePlayed": _duration(sums["time_played_seconds"]),
            "MatchesCompleted": int(sums["matches"]),
            "Wins": int(sums["wins"]),
            "Losses": int(sums["losses"]),
            "Ties": int(sums["ties"]),
            "CoreStats": {api: int(sums[name]) for name, api in _CORE.items()},
        }
        (folder / f"{kind}.json").write_bytes(orjson.dumps(record, option=orjson.OPT_INDENT_2))
    return counts
