"""The engine: bulk, transactional writes of extracted matches.

A match is its `match_stats` row, all its participants and its raw JSON; the
three are written in the same transaction, so a crash leaves a match absent,
never half-written. Rows are buffered and written as one Polars frame per table
per batch (`INSERT ... SELECT ... ON CONFLICT DO UPDATE`), because DuckDB does a
few hundred single-row upserts per second but hundreds of thousands of rows per
second in bulk.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable

import duckdb
import polars as pl

from levelup.sync.models import (
    PARTICIPANT_COLUMNS,
    PARTICIPANT_KEY,
    PARTICIPANT_SCHEMA,
    STATS_COLUMNS,
    STATS_KEY,
    STATS_SCHEMA,
    participant_row_values,
    stats_row_values,
)
from levelup.sync.transformers import ExtractedMatch

JSON_SCHEMA = {"match_id": pl.String(), "body": pl.String()}


def utc_now() -> dt.datetime:
    """Naive UTC, the convention of every TIMESTAMP column."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def upsert_sql(
    table: str,
    frame_name: str,
    columns: list[str],
    key: tuple[str, ...],
    *,
    update: list[str] | None = None,
    timestamps: bool = True,
    select_exprs: dict[str, str] | None = None,
    update_exprs: dict[str, str] | None = None,
    source_alias: str = "f",
    joins: str = "",
) -> str:
    """`INSERT ... SELECT ... ON CONFLICT DO UPDATE SET <named columns>`.

    Only the named columns are updated on conflict: columns this tool does not
    know, and `created_at`, survive. The explicit SET list is also what keeps
    DuckDB on its fast path (a MERGE without one is ~45x slower).
    """
    select_exprs = select_exprs or {}
    update_exprs = update_exprs or {}
    update = [c for c in (update if update is not None else columns) if c not in key]
    insert_cols = list(columns)
    select = [select_exprs.get(c, f'{source_alias}."{c}"') for c in columns]
    if timestamps:
        insert_cols += ["created_at", "updated_at"]
        select += ["now()::TIMESTAMP", "now()::TIMESTAMP"]
    sets = [f'"{c}" = ' + update_exprs.get(c, f'excluded."{c}"') for c in update]
    if timestamps:
        sets.append('"updated_at" = excluded."updated_at"')
    cols_sql = ", ".join(f'"{c}"' for c in insert_cols)
    conflict = f"DO UPDATE SET {', '.join(sets)}" if sets else "DO NOTHING"
    return (
        f'INSERT INTO "{table}" ({cols_sql}) SELECT {", ".join(select)} '
        f"FROM {frame_name} AS {source_alias} {joins} "
        f"ON CONFLICT ({', '.join(key)}) {conflict}"
    )


# Participants' gamertags come from the name cache; a NULL never erases a known name.
_PARTICIPANT_UPSERT = upsert_sql(
    "match_participants",
    "batch_participants",
    list(PARTICIPANT_COLUMNS),
    PARTICIPANT_KEY,
    select_exprs={"gamertag": 'coalesce(f."gamertag", n."gamertag")'},
    joins='LEFT JOIN player_names AS n ON n."xuid" = f."xuid"',
    update_exprs={"gamertag": 'coalesce(excluded."gamertag", match_participants."gamertag")'},
)
_STATS_UPSERT = upsert_sql("match_stats", "batch_stats", list(STATS_COLUMNS), STATS_KEY)
_JSON_UPSERT = (
    "INSERT INTO match_json (match_id, body, fetched_at) "
    "SELECT match_id, body, now()::TIMESTAMP FROM batch_json "
    "ON CONFLICT (match_id) DO UPDATE SET body = excluded.body, fetched_at = excluded.fetched_at"
)


class MatchWriter:
    """Buffers extracted matches and writes them in batches, one transaction each.

    Flushes every `batch_size` matches or `max_seconds` seconds, whichever
    comes first, so a slow API still commits progress regularly and a crash
    loses at most the batch in flight.
    """

    def __init__(
        self,
        conn: duckdb.DuckDBPyConnection,
        *,
        batch_size: int = 500,
        max_seconds: float = 5.0,
        on_flush: Callable[[list[str]], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._conn = conn
        self._batch_size = batch_size
        self._max_seconds = max_seconds
        self._on_flush = on_flush
        self._clock = clock
        self._stats: dict[str, tuple] = {}
        self._participants: dict[tuple[str, str], tuple] = {}
        self._json: dict[str, str] = {}
        self._batch_started = clock()
        self.matches_written = 0
        self.participants_written = 0
        self.batches = 0

    @property
    def pending(self) -> int:
        return len(self._stats)

    def add(self, match: ExtractedMatch, raw_json: bytes | str | None) -> None:
        """Queue one match; the last copy of a match id in a batch wins."""
        if match.stats is None:
            raise ValueError(f"match {match.match_id} has no owner row to write")
        if not self._stats:
            self._batch_started = self._clock()
        self._stats[match.match_id] = stats_row_values(match.stats)
        for row in match.participants:
            self._participants[(row.match_id, row.xuid)] = participant_row_values(row)
        if raw_json is not None:
            self._json[match.match_id] = (
                raw_json.decode() if isinstance(raw_json, bytes) else raw_json
            )
        if (
            len(self._stats) >= self._batch_size
            or self._clock() - self._batch_started >= self._max_seconds
        ):
            self.flush()

    def flush(self) -> None:
        """Write everything queued in one transaction; a failure writes nothing."""
        if not self._stats:
            return
        stats = pl.DataFrame(list(self._stats.values()), schema=STATS_SCHEMA, orient="row")
        participants = pl.DataFrame(
            list(self._participants.values()), schema=PARTICIPANT_SCHEMA, orient="row"
        )
        raw = pl.DataFrame(
            {"match_id": list(self._json), "body": list(self._json.values())},
            schema=JSON_SCHEMA,
        )
        match_ids = list(self._stats)
        conn = self._conn
        conn.register("batch_stats", stats)
        conn.register("batch_participants", participants)
        conn.register("batch_json", raw)
        try:
            conn.execute("BEGIN TRANSACTION")
            try:
                conn.execute(_STATS_UPSERT)
                if participants.height:
                    conn.execute(_PARTICIPANT_UPSERT)
                if raw.height:
                    conn.execute(_JSON_UPSERT)
                conn.execute(
                    "DELETE FROM failed_matches "
                    "WHERE match_id IN (SELECT match_id FROM batch_stats)"
                )
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        finally:
            for name in ("batch_stats", "batch_participants", "batch_json"):
                conn.unregister(name)
        self.matches_written += len(match_ids)
        self.participants_written += participants.height
        self.batches += 1
        self._stats.clear()
        self._participants.clear()
        self._json.clear()
        if self._on_flush is not None:
            self._on_flush(match_ids)
