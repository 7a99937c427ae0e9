"""The engine: bulk, transactional writes of extracted matches.

A match is its rows in every table of the registry (`levelup.registry`) and its
raw documents (kind `stats`, and any other given, such as `skill`), all written
in one transaction: a crash leaves a match absent, never half-written. A kind's
tables are written only for the matches whose document of that kind is in the
batch: a match stored without its skill document keeps its skill rows. Rows go
as one frame per table per batch (`INSERT ... SELECT`): DuckDB does a few
hundred single-row upserts per second, hundreds of thousands of rows in bulk.
The statements are built from each table's declaration.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import duckdb
import polars as pl
import pyarrow as pa

from levelup.extract.match import ExtractedMatch
from levelup.registry import DOCUMENTS_TABLE, RUN_COLUMN, STATS_DOCUMENT, TABLES, TableSpec
from levelup.store.database import grow_bulk_memory

log = logging.getLogger("levelup.writer")

DOCUMENT_COLUMNS = {"match_id": "VARCHAR", "kind": "VARCHAR", "body": "VARCHAR"}

_ARROW_TYPES = {
    "VARCHAR": pa.string(),
    "INTEGER": pa.int32(),
    "BIGINT": pa.int64(),
    "DOUBLE": pa.float64(),
    "BOOLEAN": pa.bool_(),
    "TIMESTAMP": pa.timestamp("us"),
}


def arrow_frame(columns: Mapping[str, str], rows: list[tuple]) -> pa.Table:
    """Rows (tuples in column order) as an Arrow table with the declared types.

    Built column by column: Arrow converts a list of plain Python values in C++
    at about half the cost of a row-oriented Polars frame, which matters with
    ~150 detail rows per match. A value its column cannot hold raises here.
    """
    names = list(columns)
    values = list(zip(*rows, strict=True)) if rows else [() for _ in names]
    return pa.table(
        [pa.array(v, type=_ARROW_TYPES[t]) for v, t in zip(values, columns.values(), strict=True)],
        names=names,
    )


def upsert_sql(
    table: str,
    frame_name: str,
    columns: list[str],
    key: tuple[str, ...],
    *,
    timestamps: bool = True,
    select_exprs: Mapping[str, str] | None = None,
    update_exprs: Mapping[str, str] | None = None,
    joins: str = "",
    run_id: bool = False,
) -> str:
    """`INSERT ... SELECT ... ON CONFLICT DO UPDATE SET <named columns>`.

    Only the named columns are updated on conflict: columns this tool does not
    know, and `created_at`, survive. The explicit SET list is also what keeps
    DuckDB on its fast path (a MERGE without one is many times slower).
    """
    select_exprs = select_exprs or {}
    update_exprs = update_exprs or {}
    insert_cols = list(columns)
    select = [select_exprs.get(c, f'f."{c}"') for c in columns]
    if timestamps:
        insert_cols += ["created_at", "updated_at"]
        select += ["now()::TIMESTAMP", "now()::TIMESTAMP"]
    if run_id:  # the statement then takes the `$run_id` parameter
        insert_cols.append(RUN_COLUMN)
        select.append("$run_id")
    sets = [f'"{c}" = ' + update_exprs.get(c, f'excluded."{c}"') for c in columns if c not in key]
    if timestamps:
        sets.append('"updated_at" = excluded."updated_at"')
    if run_id:
        sets.append(f'"{RUN_COLUMN}" = excluded."{RUN_COLUMN}"')
    cols_sql = ", ".join(f'"{c}"' for c in insert_cols)
    conflict = f"DO UPDATE SET {', '.join(sets)}" if sets else "DO NOTHING"
    return (
        f'INSERT INTO "{table}" ({cols_sql}) SELECT {", ".join(select)} '
        f"FROM {frame_name} AS f {joins} "
        f"ON CONFLICT ({', '.join(key)}) {conflict}"
    )


def _insert_only(upsert: str) -> str:
    """The same INSERT without its ON CONFLICT clause."""
    head, found, _ = upsert.partition(" ON CONFLICT ")
    assert found, upsert
    return head


def frame_name(spec: TableSpec) -> str:
    return f"batch_{spec.name}"


@dataclass(frozen=True)
class TableStatements:
    """The bulk statements of one table, built once from its declaration.

    `insert` is the plain INSERT used when no key of the batch is stored yet
    (the common case: a sync writes new matches): the same rows as `upsert`
    for a fraction of DuckDB's conflict handling. A "replace" table deletes
    the batch's matches' rows first, so rows no longer in the JSON go.
    """

    spec: TableSpec
    upsert: str
    insert: str
    delete: str | None

    @classmethod
    def of(cls, spec: TableSpec) -> TableStatements:
        upsert = upsert_sql(
            spec.name,
            frame_name(spec),
            list(spec.columns),
            spec.key,
            timestamps=spec.timestamps,
            select_exprs=spec.select_sql,
            update_exprs=spec.update_sql,
            joins=spec.joins,
            run_id=True,
        )
        delete = None
        if spec.write == "replace":
            delete = f'DELETE FROM "{spec.name}" WHERE match_id IN ({_matches_with(spec.document)})'
        return cls(spec, upsert, _insert_only(upsert), delete)

    def write(self, conn: duckdb.DuckDBPyConnection, new: bool, run_id: str | None) -> None:
        params = {"run_id": run_id}
        if new:
            conn.execute(self.insert, params)
        elif self.delete is not None:
            conn.execute(self.delete)
            conn.execute(self.insert, params)
        else:
            conn.execute(self.upsert, params)


def _matches_with(kind: str | None) -> str:
    """The batch's matches whose rows of a kind's tables are written: every match for
    the stats tables, the matches whose document of that kind is in the batch otherwise."""
    if kind == STATS_DOCUMENT:
        return "SELECT match_id FROM batch_matches"
    return f"SELECT match_id FROM batch_documents WHERE kind = '{kind}'"


# Every table filled from a per-match document, whatever its kind.
_STATEMENTS = {spec.name: TableStatements.of(spec) for spec in TABLES if spec.document}

_DOCUMENT_UPSERT = (
    f'INSERT INTO "{DOCUMENTS_TABLE}" (match_id, kind, body, fetched_at, source, {RUN_COLUMN}) '
    "SELECT match_id, kind, body, now()::TIMESTAMP, $source, $run_id FROM batch_documents "
    "ON CONFLICT (match_id, kind) DO UPDATE SET body = excluded.body, "
    "fetched_at = excluded.fetched_at, source = excluded.source, "
    f"{RUN_COLUMN} = excluded.{RUN_COLUMN}"
)
_DOCUMENT_INSERT = _insert_only(_DOCUMENT_UPSERT)
# Detail rows exist only for matches whose document is stored, and participant
# rows only for the batch's matches: a batch none of whose ids is in these
# three tables has no row anywhere yet (a check far cheaper than the conflict
# handling it saves: benchmarks/ANALYSIS.md).
_BATCH_IS_NEW = (
    "SELECT NOT EXISTS (SELECT 1 FROM match_stats "
    "WHERE match_id IN (SELECT match_id FROM batch_matches)) "
    "AND NOT EXISTS (SELECT 1 FROM match_participants "
    "WHERE match_id IN (SELECT match_id FROM batch_matches)) "
    f'AND NOT EXISTS (SELECT 1 FROM "{DOCUMENTS_TABLE}" '
    "WHERE match_id IN (SELECT match_id FROM batch_matches))"
)


# A failure is per (match, kind): writing a match resolves its stats failure and the
# failures of the kinds whose documents came with it (a skill failure stays otherwise).
_FAILURES_RESOLVED = (
    "DELETE FROM failed_matches AS f WHERE (f.kind = 'stats' "
    "AND f.match_id IN (SELECT match_id FROM batch_matches)) OR EXISTS (SELECT 1 FROM "
    "batch_documents AS d WHERE d.match_id = f.match_id AND d.kind = f.kind)"
)


class MatchWriter:
    """Buffers extracted matches and writes them in batches, one transaction each.

    Flushes every `batch_size` matches or `max_seconds` seconds, so a slow API
    still commits progress and a crash loses at most the batch in flight.

    With `background=True` a full batch is written by a helper thread while the
    caller parses the next one (DuckDB releases the GIL: two cores instead of
    taking turns). One batch at most is in flight, and the caller may touch the
    connection again only after `flush`, `wait` or `close`, which wait for it.
    A failed background batch writes nothing (rolled back) and its error is
    raised by the next `add`, `flush` or `wait`. `on_flush` and the counters
    run on the caller's thread, once the batch is committed.
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
        source: str | None = None,
        run_id: str | None = None,
    ) -> None:
        self._conn = conn
        self._batch_size = batch_size
        # A smaller first batch gets the first matches committed quickly (see SyncOptions).
        self._limit = min(first_batch_size or batch_size, batch_size)
        self._max_seconds = max_seconds
        self._on_flush = on_flush
        self._clock = clock
        self._source = source
        self._run_id = run_id  # stored in every row written (`sync_run_id`)
        # Per match id: its rows as tuples per table, and its documents by kind.
        self._rows: dict[str, dict[str, list[tuple]]] = {}
        self._documents: dict[str, dict[str, str]] = {}
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
        return len(self._rows)

    def add(
        self,
        match: ExtractedMatch,
        raw_json: bytes | str | None,
        *,
        other_documents: Mapping[str, bytes | str] | None = None,
    ) -> None:
        """Queue one match: its rows in every table, its stats document (`raw_json`)
        and any other documents by kind; the last copy of a match id in a batch wins.

        The rows of another kind's tables (`match.details`, e.g. `match_skill`) are
        written only when that kind's document is in `other_documents`: they then
        replace the match's stored rows of those tables."""
        if match.stats is None:
            raise ValueError(f"match {match.match_id} has no owner row to write")
        if not self._rows:
            self._batch_started = self._clock()
        documents = dict(other_documents or {})
        if raw_json is not None:
            documents[STATS_DOCUMENT] = raw_json
        tables: dict[str, list[tuple]] = {}
        for name, statements in _STATEMENTS.items():
            kind = statements.spec.document
            if kind != STATS_DOCUMENT and kind not in documents:
                tables[name] = []
                continue
            spec = statements.spec
            rows = match.rows(name)
            # Extractors return tuples already; dataclass rows are converted.
            tables[name] = rows if spec.extractor else [spec.row_values(row) for row in rows]
        self._rows[match.match_id] = tables
        self._documents[match.match_id] = {
            kind: body.decode() if isinstance(body, bytes) else body
            for kind, body in documents.items()
        }
        if (
            len(self._rows) >= self._limit
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
        if not self._rows:
            return
        batch = self._frames()
        self._limit = self._batch_size
        match_ids = batch.match_ids
        participants = batch.tables["match_participants"].num_rows
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
        tables = {}
        for name, statements in _STATEMENTS.items():
            rows = [row for match in self._rows.values() for row in match[name]]
            tables[name] = arrow_frame(statements.spec.columns, rows)
        documents = [
            (match_id, kind, body)
            for match_id, bodies in self._documents.items()
            for kind, body in bodies.items()
        ]
        return _Batch(
            match_ids=list(self._rows),
            tables=tables,
            documents=arrow_frame(DOCUMENT_COLUMNS, documents),
            source=self._source,
            run_id=self._run_id,
        )

    def _clear(self) -> None:
        self._rows = {}
        self._documents = {}

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
    tables: dict[str, pa.Table]
    documents: pa.Table
    source: str | None
    run_id: str | None


def _write_batch(conn: duckdb.DuckDBPyConnection, batch: _Batch) -> None:
    """Write one batch in one transaction; a failure rolls everything back."""
    frames = {frame_name(_STATEMENTS[name].spec): frame for name, frame in batch.tables.items()}
    frames["batch_documents"] = batch.documents
    frames["batch_matches"] = pl.DataFrame(
        {"match_id": batch.match_ids}, schema={"match_id": pl.String()}
    )
    with batch_transaction(conn, frames):
        new = bool(conn.execute(_BATCH_IS_NEW).fetchall()[0][0])
        for name, statements in _STATEMENTS.items():
            if batch.tables[name].num_rows or (statements.delete and not new):
                statements.write(conn, new, batch.run_id)
        if batch.documents.num_rows:
            conn.execute(
                _DOCUMENT_INSERT if new else _DOCUMENT_UPSERT,
                {"source": batch.source, "run_id": batch.run_id},
            )
        conn.execute(_FAILURES_RESOLVED)


@contextlib.contextmanager
def batch_transaction(conn: duckdb.DuckDBPyConnection, frames: Mapping[str, Any]) -> Iterator[None]:
    """The frames registered under their names for the statements run inside, all in
    one transaction: committed at the end, rolled back on any error (Ctrl-C included),
    the frames unregistered either way. The bulk memory limit is raised first, as the
    file grows batch after batch (`grow_bulk_memory`)."""
    grow_bulk_memory(conn)
    for name, frame in frames.items():
        conn.register(name, frame)
    try:
        conn.execute("BEGIN TRANSACTION")
        try:
            yield
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    finally:
        for name in frames:
            conn.unregister(name)
