"""The engine: bulk, transactional writes of extracted matches.

A match is its `match_stats` row, all its participants and its raw JSON; the
three are written in the same transaction, so a crash leaves a match absent,
never half-written. Rows are buffered and written as one Polars frame per table
per batch (`INSERT ... SELECT ... ON CONFLICT DO UPDATE`), because DuckDB does a
few hundred single-row upserts per second but hundreds of thousands of rows per
second in bulk.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import duckdb
import polars as pl

from levelup.extract.match import ExtractedMatch
from levelup.extract.rows import (
    PARTICIPANT_COLUMNS,
    PARTICIPANT_KEY,
    PARTICIPANT_SCHEMA,
    STATS_COLUMNS,
    STATS_KEY,
    STATS_SCHEMA,
    participant_row_values,
    stats_row_values,
)

log = logging.getLogger("levelup.writer")

JSON_SCHEMA = {"match_id": pl.String(), "body": pl.String()}


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


def _insert_only(upsert: str) -> str:
    """The same INSERT without its ON CONFLICT clause."""
    head, found, _ = upsert.partition(" ON CONFLICT ")
    assert found, upsert
    return head


# When no key of a batch is stored yet (the common case: a sync writes new
# matches), the upserts above and plain INSERTs write the same rows, and plain
# INSERTs are ~3x cheaper in DuckDB (no per-row conflict handling): ~20 ms less
# per 500 matches, for a ~4 ms check on a 20,000-match database.
_STATS_INSERT = _insert_only(_STATS_UPSERT)
_PARTICIPANT_INSERT = _insert_only(_PARTICIPANT_UPSERT)
_JSON_INSERT = _insert_only(_JSON_UPSERT)
# Participant rows come only from the batch's matches, so their match ids suffice.
_BATCH_IS_NEW = (
    "SELECT NOT EXISTS (SELECT 1 FROM match_stats "
    "WHERE match_id IN (SELECT match_id FROM batch_stats)) "
    "AND NOT EXISTS (SELECT 1 FROM match_participants "
    "WHERE match_id IN (SELECT match_id FROM batch_stats)) "
    "AND NOT EXISTS (SELECT 1 FROM match_json WHERE match_id IN (SELECT match_id FROM batch_json))"
)


class MatchWriter:
    """Buffers extracted matches and writes them in batches, one transaction each.

    Flushes every `batch_size` matches or `max_seconds` seconds, whichever
    comes first, so a slow API still commits progress regularly and a crash
    loses at most the batch in flight.

    With `background=True` a full batch is written by one helper thread while
    the caller goes on parsing the next one: DuckDB releases the GIL while it
    executes, so the write and the parsing use two cores instead of taking
    turns (measured on 20,000 matches: ~35% more matches per second). At most
    one batch is in flight, and the connection is used by one thread at a
    time: the caller may touch it again only after `flush`, `wait` or `close`,
    which wait for the batch in flight. A failed background batch writes
    nothing (its transaction is rolled back) and its error is raised by the
    next `add`, `flush` or `wait`. `on_flush` and the counters always run on
    the caller's thread, once the batch is committed.
    """

    def __init__(
        self,
        conn: duckdb.DuckDBPyConnection,
        *,
        batch_size: int = 500,
        max_seconds: float = 5.0,
        on_flush: Callable[[list[str]], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
        background: bool = False,
        first_batch_size: int | None = None,
    ) -> None:
        self._conn = conn
        self._batch_size = batch_size
        # A smaller first batch gets the first matches committed quickly (see SyncOptions).
        self._limit = min(first_batch_size or batch_size, batch_size)
        self._max_seconds = max_seconds
        self._on_flush = on_flush
        self._clock = clock
        self._stats: dict[str, tuple] = {}
        self._participants: dict[tuple[str, str], tuple] = {}
        self._json: dict[str, str] = {}
        self._batch_started = clock()
        self._executor = (
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="levelup-writer")
            if background
            else None
        )
        # The write in flight, with its match ids and participant count: the
        # frames themselves are dropped as soon as they are written.
        self._in_flight: tuple[Future[None], list[str], int] | None = None
        self.matches_written = 0
        self.participants_written = 0
        self.batches = 0

    @property
    def pending(self) -> int:
        """Matches buffered and not yet handed to a write."""
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
            len(self._stats) >= self._limit
            or self._clock() - self._batch_started >= self._max_seconds
        ):
            self._write_buffered(wait=False)

    def flush(self) -> None:
        """Write everything queued and wait until it is committed; a failure writes nothing."""
        self._write_buffered(wait=True)

    def wait(self) -> None:
        """Wait for the batch in flight (if any) and raise its error."""
        if self._in_flight is None:
            return
        future, match_ids, participants = self._in_flight
        self._in_flight = None
        future.result()
        self._committed(match_ids, participants)

    def close(self, *, raise_errors: bool = True) -> None:
        """Wait for the batch in flight, then stop the helper thread; nothing new is written.

        A caller already handling another exception passes `raise_errors=False`:
        the batch's error is then logged, so the original error is the one reported.
        """
        try:
            self.wait()
        except Exception:
            if raise_errors:
                raise
            log.exception("the batch in flight when the run stopped was not written")
        finally:
            if self._executor is not None:
                self._executor.shutdown(wait=True)
                self._executor = None

    def __enter__(self) -> MatchWriter:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *_: object) -> None:
        """`close`: what is still buffered is not written (call `flush` for that)."""
        self.close(raise_errors=exc_type is None)

    def _write_buffered(self, *, wait: bool) -> None:
        self.wait()
        if not self._stats:
            return
        batch = self._frames()
        self._limit = self._batch_size
        match_ids, participants = batch.match_ids, batch.participants.height
        if self._executor is None or wait:
            _write_batch(self._conn, batch)  # on failure the rows stay buffered
            self._clear()
            self._committed(match_ids, participants)
        else:
            self._clear()
            future = self._executor.submit(_write_batch, self._conn, batch)
            self._in_flight = (future, match_ids, participants)

    def _frames(self) -> _Batch:
        """The buffered rows as frames, built on the caller's thread (a bad value fails here)."""
        return _Batch(
            match_ids=list(self._stats),
            stats=pl.DataFrame(list(self._stats.values()), schema=STATS_SCHEMA, orient="row"),
            participants=pl.DataFrame(
                list(self._participants.values()), schema=PARTICIPANT_SCHEMA, orient="row"
            ),
            raw=pl.DataFrame(
                {"match_id": list(self._json), "body": list(self._json.values())},
                schema=JSON_SCHEMA,
            ),
        )

    def _clear(self) -> None:
        self._stats = {}
        self._participants = {}
        self._json = {}

    def _committed(self, match_ids: list[str], participants: int) -> None:
        self.matches_written += len(match_ids)
        self.participants_written += participants
        self.batches += 1
        if self._on_flush is not None:
            self._on_flush(match_ids)


@dataclass(frozen=True, slots=True)
class _Batch:
    """One transaction's worth of rows, ready to write."""

    match_ids: list[str]
    stats: pl.DataFrame
    participants: pl.DataFrame
    raw: pl.DataFrame


def _write_batch(conn: duckdb.DuckDBPyConnection, batch: _Batch) -> None:
    """Write one batch in one transaction; a failure rolls everything back."""
    frames = {
        "batch_stats": batch.stats,
        "batch_participants": batch.participants,
        "batch_json": batch.raw,
    }
    for name, frame in frames.items():
        conn.register(name, frame)
    try:
        conn.execute("BEGIN TRANSACTION")
        try:
            new = bool(conn.execute(_BATCH_IS_NEW).fetchall()[0][0])
            conn.execute(_STATS_INSERT if new else _STATS_UPSERT)
            if batch.participants.height:
                conn.execute(_PARTICIPANT_INSERT if new else _PARTICIPANT_UPSERT)
            if batch.raw.height:
                conn.execute(_JSON_INSERT if new else _JSON_UPSERT)
            conn.execute(
                "DELETE FROM failed_matches WHERE match_id IN (SELECT match_id FROM batch_stats)"
            )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    finally:
        for name in frames:
            conn.unregister(name)
