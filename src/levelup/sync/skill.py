"""The skill service's part of a sync that is not per new match.

- Skill documents that failed in an earlier run (`failed_matches`, kind
  `skill`) of matches already stored are fetched again, through the backfill
  engine (`--skill` restricted to those matches): one call each, paced like
  every request, rows written set-based.
- The owner's current rank in every ranked playlist they played is asked once
  per sync and stored as a `csr_snapshots` row (a ranked playlist: one where
  the owner has a CSR or placement matches in `match_skill`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

import duckdb
import orjson

from levelup.clock import utc_now
from levelup.errors import about
from levelup.extract.match import MatchDocumentError
from levelup.extract.skill import csr_snapshots
from levelup.registry import SKILL_DOCUMENT
from levelup.sources.base import FatalSourceError, MatchSource, PlayerIdentity, SourceError
from levelup.sync.names import store_name_rows

if TYPE_CHECKING:
    from levelup.sync.sync import SyncReport

log = logging.getLogger("levelup.sync")

_RANKED_PLAYLISTS = (
    "SELECT DISTINCT s.playlist_id FROM match_stats AS s JOIN match_skill AS k "
    "ON k.match_id = s.match_id AND k.xuid = $owner WHERE s.playlist_id IS NOT NULL "
    "AND (k.pre_csr IS NOT NULL OR k.post_csr IS NOT NULL OR k.matches_remaining > 0) "
    "ORDER BY s.playlist_id"
)


async def retry_failed_skill(
    conn: duckdb.DuckDBPyConnection,
    source: MatchSource,
    owner: PlayerIdentity,
    wanted: list[str],
    report: SyncReport,
    fail: Callable[[str, str, str], None],
) -> None:
    """Fetch again the skill documents of stored matches that failed in earlier runs."""
    from levelup.sync.backfill import BackfillRequest, backfill_player

    if not wanted:
        return
    result = await backfill_player(
        conn,
        player=report.player,
        owner_xuid=owner.xuid,
        request=BackfillRequest({"skill": False}, match_ids=frozenset(wanted), progress=False),
        source_provider=lambda: source,
    )
    report.skill.retried += len(wanted)
    if result.skill_service_absent:
        report.skill.service = "absent"
    failed = set()
    for failure in result.failures:
        failed.add(failure["match_id"])
        fail(failure["match_id"], failure["reason"], SKILL_DOCUMENT)
    report.skill.requested += result.fetched_by_kind.get(SKILL_DOCUMENT, 0) + len(failed)
    report.skill.stored += result.fetched_by_kind.get(SKILL_DOCUMENT, 0)


async def store_csr_snapshots(
    conn: duckdb.DuckDBPyConnection,
    source: MatchSource,
    owner: PlayerIdentity,
    report: SyncReport,
) -> None:
    """One `csr_snapshots` row per ranked playlist the owner played, asked now."""
    playlists = [
        row[0] for row in conn.execute(_RANKED_PLAYLISTS, {"owner": owner.xuid}).fetchall()
    ]
    fetched_at = utc_now()
    rows = []
    for playlist_id in playlists:
        try:
            raw = await source.playlist_csr_raw(playlist_id, [owner.xuid])
        except FatalSourceError:
            raise
        except SourceError as exc:  # its message names the request already
            report.skill.errors.append(about(f"CSR of playlist {playlist_id}", str(exc)))
            continue
        if raw is None:  # no skill service, or no recorded playlist CSRs: no snapshots
            return
        report.skill.snapshot_playlists += 1
        try:
            doc = orjson.loads(raw)
            rows.extend(csr_snapshots(doc, playlist_id, fetched_at))
        except (orjson.JSONDecodeError, MatchDocumentError) as exc:
            report.skill.errors.append(f"CSR of playlist {playlist_id}: {exc}")
    report.skill.snapshots += store_name_rows(conn, "csr_snapshots", rows)
    for error in report.skill.errors:
        log.warning("skill: %s", error)
