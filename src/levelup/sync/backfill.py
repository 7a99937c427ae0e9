"""Repair stored matches from their JSON: the engine behind `levelup backfill`.

For each player database: every requested option selects its matches with one
SQL query; the union is processed newest first, in batches. Each selected
match's JSON is read once per run (from the database's stored copy, else from
the source, which is then stored), extracted once, and every option writes its
own columns for the whole batch with one set-based statement, in one
transaction per batch. A crash loses at most the batch in flight; a rerun
finishes the work, because selection is driven by what is still missing.

Only rows whose values really change are written, judged in the column's own
type (an old database may hold accuracy as FLOAT), so the counters are exactly
the rows changed and a second run changes nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import duckdb
import orjson
import polars as pl
import pyarrow as pa

from levelup.errors import unwrapped_task_errors
from levelup.extract.match import (
    EXTRACTION_VERSION,
    ExtractedMatch,
    MatchDocumentError,
    parse_match_json,
)
from levelup.registry import (
    DOCUMENTS_TABLE,
    RUN_COLUMN,
    SKILL_DOCUMENT,
    STATS_DOCUMENT,
    extract_document,
    extract_stats_document,
    table_spec,
)
from levelup.sources.base import FatalSourceError, MatchSource, SourceError
from levelup.store.bookkeeping import record_failures
from levelup.store.database import bulk_writes
from levelup.store.schema import existing_columns
from levelup.store.writer import arrow_frame, batch_transaction
from levelup.sync.backfill_options import (
    ALL_MATCHES_SQL,
    IMPLIED,
    OPTIONS_BY_NAME,
    STATS_TABLE,
    BackfillOption,
)
from levelup.sync.names import fill_personal_score_names
from levelup.sync.progress import ProgressBar
from levelup.sync.warnings_counter import WarningCounter
from levelup.threads import paused_collector, prompt_gil_handoff, system_arrow_memory

log = logging.getLogger("levelup.backfill")

SourceProvider = Callable[[], MatchSource]


@dataclass(frozen=True)
class BackfillRequest:
    """What to backfill: option name -> forced."""

    options: dict[str, bool]
    dry_run: bool = False
    max_matches: int | None = None
    refetch: bool = False
    # Two batches are alive at once (one being written): 500 bounds the memory of a
    # backfill that fetches every body and is as fast as 1,000 (benchmarks/ANALYSIS.md).
    batch_size: int = 500
    concurrency: int = 4
    progress: bool | None = None
    # Only these matches (the sync retrying the skill documents that failed).
    match_ids: frozenset[str] | None = None

    def expanded(self) -> dict[str, bool]:
        """Options with the ones they imply (`reextract` covers participants too)."""
        result = dict(self.options)
        for name, implied in IMPLIED.items():
            if name in result:
                for other, forced in implied:
                    result.setdefault(other, forced or result[name])
        return result


@dataclass
class PlayerBackfillReport:
    player: str
    xuid: str | None
    options: list[str]
    selected: dict[str, int] = field(default_factory=dict)
    would_process: dict[str, list[str]] = field(default_factory=dict)
    matches_processed: int = 0
    read_from_store: int = 0
    fetched_from_source: int = 0
    counters: dict[str, int] = field(default_factory=dict)
    failures: list[dict[str, str]] = field(default_factory=list)
    value_warnings: int = 0
    elapsed_seconds: float = 0.0
    # Documents fetched, by kind ("stats", "skill"); the source had no skill service.
    fetched_by_kind: dict[str, int] = field(default_factory=dict)
    skill_service_absent: bool = False

    def as_dict(self) -> dict:
        payload = {
            "player": self.player,
            "xuid": self.xuid,
            "selected": self.selected,
            "matches_processed": self.matches_processed,
            "read_from_store": self.read_from_store,
            "fetched_from_source": self.fetched_from_source,
            "fetched_by_kind": self.fetched_by_kind,
            **self.counters,
            "failures": self.failures,
            "value_warnings": self.value_warnings,
            "elapsed_seconds": round(self.elapsed_seconds, 3),
        }
        if self.skill_service_absent:
            payload["skill_service"] = "absent"
        if self.would_process:
            payload["would_process"] = self.would_process
        return payload


def _chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def select_matches(
    conn: duckdb.DuckDBPyConnection, option: BackfillOption, forced: bool
) -> set[str]:
    """The matches one option would process.

    Unless forced, a match whose JSON was found to hold no valid value for this
    option by the current extraction is not selected again.
    """
    if forced:
        sql = option.force_selection_sql or ALL_MATCHES_SQL
        return {row[0] for row in conn.execute(sql).fetchall()}
    sql = (
        f"SELECT sel.match_id FROM ({option.selection_sql}) AS sel WHERE NOT EXISTS ("
        "SELECT 1 FROM backfill_log AS l WHERE l.match_id = sel.match_id "
        "AND l.option = $option AND NOT l.had_value AND l.extraction_version = $version)"
    )
    rows = conn.execute(sql, {"option": option.name, "version": EXTRACTION_VERSION}).fetchall()
    return {row[0] for row in rows}


def _newest_first(conn: duckdb.DuckDBPyConnection, match_ids: set[str]) -> list[str]:
    frame = pl.DataFrame({"match_id": sorted(match_ids)}, schema={"match_id": pl.String()})
    conn.register("backfill_ids", frame)
    try:
        rows = conn.execute(
            "SELECT i.match_id FROM backfill_ids AS i "
            "LEFT JOIN match_stats AS s ON s.match_id = i.match_id "
            "ORDER BY s.start_time DESC NULLS LAST, i.match_id"
        ).fetchall()
    finally:
        conn.unregister("backfill_ids")
    return [row[0] for row in rows]


def _stored_rowids(conn: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Where each stored stats body is in the documents table (its rowid), without the bodies."""
    rows = conn.execute(
        f'SELECT match_id, rowid FROM "{DOCUMENTS_TABLE}" WHERE kind = $kind AND body IS NOT NULL',
        {"kind": STATS_DOCUMENT},
    ).fetchall()
    return dict(rows)


def _stored_bodies(
    conn: duckdb.DuckDBPyConnection, match_ids: list[str], rowids: dict[str, int]
) -> dict[str, str]:
    """The stored bodies of a batch, reading only the stretch of the documents that holds them.

    Looking bodies up by id makes DuckDB decompress the whole table for every
    batch, so reading a body costs more the longer the history. A rowid range is
    pushed down to the scan, and a sync stores matches in the order the backfill
    processes them (newest first), so each batch decompresses little more than
    itself (the figures: benchmarks/ANALYSIS.md). `rowids` was read at the start
    of the run; a body it does not place where expected is looked up by id, as before.
    """
    located = [rowids[m] for m in match_ids if m in rowids]
    if not located:
        return {}
    frame = pl.DataFrame({"match_id": match_ids}, schema={"match_id": pl.String()})
    conn.register("backfill_ids", frame)
    try:
        bodies = dict(
            conn.execute(
                f'SELECT j.match_id, j.body FROM "{DOCUMENTS_TABLE}" AS j '
                "WHERE j.rowid BETWEEN $low AND $high AND j.body IS NOT NULL AND j.kind = $kind "
                "AND j.match_id IN (SELECT match_id FROM backfill_ids)",
                {"low": min(located), "high": max(located), "kind": STATS_DOCUMENT},
            ).fetchall()
        )
        if len(bodies) < len(located):
            bodies.update(
                conn.execute(
                    f'SELECT j.match_id, j.body FROM "{DOCUMENTS_TABLE}" AS j '
                    "JOIN backfill_ids AS i ON i.match_id = j.match_id "
                    "WHERE j.body IS NOT NULL AND j.kind = $kind",
                    {"kind": STATS_DOCUMENT},
                ).fetchall()
            )
    finally:
        conn.unregister("backfill_ids")
    return bodies


def _stored_documents(
    conn: duckdb.DuckDBPyConnection, match_ids: list[str], kind: str
) -> dict[str, str]:
    """The stored documents of a kind other than stats (small: looked up by id)."""
    if not match_ids:
        return {}
    frame = pl.DataFrame({"match_id": match_ids}, schema={"match_id": pl.String()})
    conn.register("backfill_doc_ids", frame)
    try:
        return dict(
            conn.execute(
                f'SELECT j.match_id, j.body FROM "{DOCUMENTS_TABLE}" AS j '
                "JOIN backfill_doc_ids AS i ON i.match_id = j.match_id "
                "WHERE j.body IS NOT NULL AND j.kind = $kind",
                {"kind": kind},
            ).fetchall()
        )
    finally:
        conn.unregister("backfill_doc_ids")


def _stored_humans(conn: duckdb.DuckDBPyConnection, match_ids: list[str]) -> dict[str, list[str]]:
    """The humans of each stored match (what a skill request names), from its participants."""
    frame = pl.DataFrame({"match_id": match_ids}, schema={"match_id": pl.String()})
    conn.register("backfill_doc_ids", frame)
    try:
        rows = conn.execute(
            "SELECT p.match_id, list(p.xuid ORDER BY p.xuid) FROM match_participants AS p "
            "JOIN backfill_doc_ids AS i ON i.match_id = p.match_id "
            "WHERE NOT coalesce(p.is_bot, false) AND regexp_full_match(p.xuid, '[0-9]+') "
            "GROUP BY p.match_id"
        ).fetchall()
    finally:
        conn.unregister("backfill_doc_ids")
    return {match_id: list(xuids) for match_id, xuids in rows}


async def _fetch_skill_bodies(
    source: MatchSource, humans: dict[str, list[str]], match_ids: list[str], concurrency: int
) -> tuple[dict[str, bytes], dict[str, str], bool]:
    """Skill bodies by id, failure reasons by id, and whether the source has no skill
    service at all (then nothing is a failure)."""
    bodies: dict[str, bytes] = {}
    errors: dict[str, str] = {}
    absent = False
    pending = iter(match_ids)

    async def worker() -> None:
        nonlocal absent
        for match_id in pending:
            if absent:
                return
            players = humans.get(match_id)
            if not players:
                errors[match_id] = "no human player stored for the match to ask the skill service"
                continue
            try:
                body = await source.match_skill_raw(match_id, players)
            except FatalSourceError:
                raise
            except SourceError as exc:
                errors[match_id] = str(exc)
                continue
            if body is None:
                absent = True
                return
            bodies[match_id] = body

    async with asyncio.TaskGroup() as group:
        for _ in range(max(1, min(concurrency, len(match_ids)))):
            group.create_task(worker())
    return bodies, errors, absent


async def _fetch_bodies(
    source: MatchSource, match_ids: list[str], concurrency: int
) -> tuple[dict[str, bytes], dict[str, str]]:
    """Bodies by id, and failure reasons by id; a FatalSourceError stops the run."""
    bodies: dict[str, bytes] = {}
    errors: dict[str, str] = {}
    # `concurrency` workers take the ids in order: the same requests as one task
    # per id behind a semaphore, without a thousand tasks per batch.
    pending = iter(match_ids)

    async def worker() -> None:
        for match_id in pending:
            try:
                bodies[match_id] = await source.match_stats_raw(match_id)
            except FatalSourceError:
                raise
            except SourceError as exc:
                errors[match_id] = str(exc)

    with unwrapped_task_errors():  # a FatalSourceError, not an ExceptionGroup
        async with asyncio.TaskGroup() as group:
            for _ in range(max(1, min(concurrency, len(match_ids)))):
                group.create_task(worker())
    return bodies, errors


def _cast(column: str, sql_type: str, alias: str = "f") -> str:
    return f'CAST({alias}."{column}" AS {sql_type})'


def _frame(table: str) -> str:
    return f"b_{table}"


def _selected(option: BackfillOption, alias: str) -> str:
    return f"{alias}.match_id IN (SELECT match_id FROM b_sel WHERE option = '{option.name}')"


def _same_key(option: BackfillOption, left: str, right: str) -> str:
    return " AND ".join(f'{left}."{k}" = {right}."{k}"' for k in option.spec.key)


def _update_sql(option: BackfillOption, target_types: dict[str, str]) -> str | None:
    """UPDATE ... FROM the batch frame, touching only rows whose values change."""
    columns = option.written_columns
    if not columns:
        return None
    sets = ", ".join(f'"{c}" = {_cast(c, target_types[c])}' for c in columns)
    if option.spec.timestamps:
        sets += ', "updated_at" = now()::TIMESTAMP'
    changed = " OR ".join(f't."{c}" IS DISTINCT FROM {_cast(c, target_types[c])}' for c in columns)
    return (
        f'UPDATE "{option.table}" AS t SET {sets} FROM {_frame(option.table)} AS f '
        f"WHERE {_same_key(option, 't', 'f')} AND {_selected(option, 'f')} AND ({changed})"
    )


def _insert_missing_sql(option: BackfillOption) -> str | None:
    """Rows missing from the table are inserted whole (a match_stats row always exists)."""
    spec = option.spec
    if spec.name == STATS_TABLE:
        return None
    columns = list(spec.columns)
    select = [spec.select_sql.get(c, f'f."{c}"') for c in columns]
    if spec.timestamps:
        columns += ["created_at", "updated_at"]
        select += ["now()::TIMESTAMP", "now()::TIMESTAMP"]
    cols_sql = ", ".join(f'"{c}"' for c in columns)
    return (
        f'INSERT INTO "{spec.name}" ({cols_sql}) SELECT {", ".join(select)} '
        f"FROM {_frame(spec.name)} AS f {spec.joins} WHERE {_selected(option, 'f')} "
        f'AND NOT EXISTS (SELECT 1 FROM "{spec.name}" AS t WHERE {_same_key(option, "t", "f")})'
    )


def _delete_gone_sql(option: BackfillOption) -> str | None:
    """A detail table's rows that the JSON no longer yields are deleted."""
    if option.spec.write != "replace":
        return None
    return (
        f'DELETE FROM "{option.table}" AS t WHERE {_selected(option, "t")} AND NOT EXISTS '
        f"(SELECT 1 FROM {_frame(option.table)} AS f WHERE {_same_key(option, 't', 'f')})"
    )


def _replaces_whole_rows(option: BackfillOption, present: dict[str, str]) -> bool:
    """A detail table whose every column the option writes, and which has no column
    beyond its declaration: its selected matches' rows can be replaced as a whole."""
    spec = option.spec
    return (
        spec.write == "replace"
        and option.columns is None
        and not spec.timestamps
        and not spec.joins
        and set(present) <= set(spec.stored_columns)
    )


@dataclass(frozen=True)
class _ReplaceStatements:
    """A detail table's rows of the selected matches, brought in line with the batch.

    Inserting the missing rows, updating the changed ones and deleting the gone ones
    each joined the batch with the whole table (a scan per statement per batch, so a
    backfill grew with the square of the history). Instead the selected matches'
    rows are read in one scan and compared with the batch's rows (both small): the
    changed and gone rows are deleted by row id, the changed and new ones inserted,
    each keeping the `sync_run_id` of the row it replaces, and nothing is written when
    nothing differs. The counter is the same: rows inserted, changed or deleted.
    """

    read: str
    count: str
    delete: str
    insert: str

    @classmethod
    def of(cls, option: BackfillOption, present: dict[str, str]) -> _ReplaceStatements:
        spec = option.spec
        columns = list(spec.columns)
        key = " AND ".join(f'o."{k}" = f."{k}"' for k in spec.key)
        differs = (
            " OR ".join(
                f'o."{c}" IS DISTINCT FROM {_cast(c, present[c])}' for c in option.written_columns
            )
            or "false"
        )
        rows = (
            f"(SELECT * FROM {_frame(option.table)} AS f WHERE {_selected(option, 'f')}) AS f "
            f"FULL JOIN b_old AS o ON {key}"
        )
        run = RUN_COLUMN in present
        kept = ", ".join(_quoted([*spec.key, *option.written_columns]))
        cols_sql = ", ".join(_quoted(columns)) + (f', "{RUN_COLUMN}"' if run else "")
        select = ", ".join(spec.select_sql.get(c, f'f."{c}"') for c in columns)
        return cls(
            read=(
                f"SELECT rowid AS rid, {kept}{f', {RUN_COLUMN}' if run else ''} "
                f'FROM "{option.table}" AS t WHERE {_selected(option, "t")}'
            ),
            count=(
                f"SELECT count(*) FROM {rows} WHERE o.rid IS NULL OR f.match_id IS NULL "
                f"OR ({differs})"
            ),
            delete=(
                f'DELETE FROM "{option.table}" WHERE rowid IN (SELECT o.rid FROM {rows} '
                f"WHERE o.rid IS NOT NULL AND (f.match_id IS NULL OR ({differs})))"
            ),
            insert=(
                f'INSERT INTO "{option.table}" ({cols_sql}) '
                f"SELECT {select}{f', o.{RUN_COLUMN}' if run else ''} FROM {rows} {spec.joins} "
                f"WHERE f.match_id IS NOT NULL AND (o.rid IS NULL OR ({differs}))"
            ),
        )

    def run(self, conn: duckdb.DuckDBPyConnection) -> int:
        """Bring the rows in line; the number of rows inserted, changed or deleted."""
        conn.register("b_old", conn.sql(self.read).to_arrow_table())
        try:
            changed = _rowcount(conn.execute(self.count))
            if changed:
                conn.execute(self.delete)
                conn.execute(self.insert)
        finally:
            conn.unregister("b_old")
        return changed


def _quoted(columns: Iterable[str]) -> list[str]:
    return [f'"{c}"' for c in columns]


def _had_value(option: BackfillOption, match: ExtractedMatch) -> bool:
    rows = match.rows(option.table)
    if not rows:
        return False
    return all(getattr(row, c) is not None for row in rows for c in option.value_columns)


_DOCUMENT_UPSERT = (
    f'INSERT INTO "{DOCUMENTS_TABLE}" (match_id, kind, body, fetched_at, source) '
    "SELECT match_id, kind, body, now()::TIMESTAMP, $source FROM b_json "
    "ON CONFLICT (match_id, kind) DO UPDATE SET body = excluded.body, "
    "fetched_at = excluded.fetched_at, source = excluded.source"
)
# The same rows when none of the batch's ids has a stored document yet (a backfill
# of an old database fetches every body), for a fraction of DuckDB's upsert cost.
_DOCUMENT_INSERT = _DOCUMENT_UPSERT.partition(" ON CONFLICT ")[0]
_DOCUMENTS_ALL_NEW = (
    f'SELECT NOT EXISTS (SELECT 1 FROM "{DOCUMENTS_TABLE}" AS d JOIN b_json AS b '
    "ON b.match_id = d.match_id AND b.kind = d.kind)"
)
# A document fetched and stored resolves the failure recorded for it (a sync's
# skill failure, fetched again here).
_FAILURES_RESOLVED = (
    "DELETE FROM failed_matches AS f WHERE EXISTS (SELECT 1 FROM b_json AS b "
    "WHERE b.match_id = f.match_id AND b.kind = f.kind)"
)


class _BatchWriter:
    """Writes one batch for every option in one transaction.

    `frames` runs on the caller's thread (Python objects to Polars frames);
    `write` only runs SQL, so it can run on a helper thread (see `_WriteBehind`).
    """

    def __init__(
        self,
        conn: duckdb.DuckDBPyConnection,
        options: list[BackfillOption],
        source_name: str | None = None,
    ) -> None:
        self._conn = conn
        self._options = options
        self.source_name = source_name
        self._tables = sorted({o.table for o in options})
        types = {table: existing_columns(conn, table) for table in self._tables}
        self._statements = {
            o.name: [
                sql
                for sql in (
                    _insert_missing_sql(o),
                    _update_sql(o, types[o.table]),
                    _delete_gone_sql(o),
                )
                if sql is not None
            ]
            for o in options
            if not _replaces_whole_rows(o, types[o.table])
        }
        self._replace = {
            o.name: _ReplaceStatements.of(o, types[o.table])
            for o in options
            if _replaces_whole_rows(o, types[o.table])
        }

    def frames(
        self,
        extracted: list[ExtractedMatch],
        selection: list[tuple[str, str]],
        log_rows: list[tuple[str, str, bool]],
        fetched: dict[str, dict[str, bytes]],
    ) -> dict[str, pl.DataFrame | pa.Table]:
        # Arrow, as the sync's writer builds them (about half the cost of row-oriented
        # Polars frames); every extractor yields a match's rows unique by key, and a
        # batch holds each match once.
        result: dict[str, pl.DataFrame | pa.Table] = {}
        for table in self._tables:
            spec = table_spec(table)
            rows = [row for m in extracted for row in m.rows(table)]
            if not spec.extractor:  # dataclass rows; an extractor's are tuples already
                rows = [spec.row_values(row) for row in rows]
            result[_frame(table)] = arrow_frame(spec.columns, rows)
        result["b_sel"] = pl.DataFrame(
            selection, schema={"match_id": pl.String(), "option": pl.String()}, orient="row"
        )
        result["b_log"] = pl.DataFrame(
            log_rows,
            schema={"match_id": pl.String(), "option": pl.String(), "had_value": pl.Boolean()},
            orient="row",
        )
        result["b_json"] = pl.DataFrame(
            [
                (match_id, kind, body.decode())
                for kind, bodies in fetched.items()
                for match_id, body in bodies.items()
            ],
            schema={"match_id": pl.String(), "kind": pl.String(), "body": pl.String()},
            orient="row",
        )
        return result

    def write(self, frames: dict[str, pl.DataFrame | pa.Table]) -> dict[str, int]:
        """Run the batch's statements in one transaction; rows changed per counter."""
        conn = self._conn
        changed: dict[str, int] = {}
        with batch_transaction(conn, frames):
            for option in self._options:
                replace = self._replace.get(option.name)
                if replace is not None:
                    changed[option.counter] = replace.run(conn)
                    continue
                changed[option.counter] = sum(
                    _rowcount(conn.execute(sql)) for sql in self._statements[option.name]
                )
            if frames["b_log"].height:
                conn.execute(
                    "INSERT INTO backfill_log (match_id, option, ran_at, extraction_version, "
                    "had_value) SELECT match_id, option, now()::TIMESTAMP, $version, had_value "
                    "FROM b_log ON CONFLICT (match_id, option) DO UPDATE SET "
                    "ran_at = excluded.ran_at, "
                    "extraction_version = excluded.extraction_version, "
                    "had_value = excluded.had_value",
                    {"version": EXTRACTION_VERSION},
                )
            if frames["b_json"].height:
                new = bool(conn.execute(_DOCUMENTS_ALL_NEW).fetchall()[0][0])
                conn.execute(
                    _DOCUMENT_INSERT if new else _DOCUMENT_UPSERT,
                    {"source": self.source_name},
                )
                conn.execute(_FAILURES_RESOLVED)
        return changed


class _WriteBehind:
    """Writes each batch on one helper thread while the caller reads and parses the next.

    DuckDB releases the GIL while it executes, so the writes and the parsing
    share the two cores instead of taking turns. One batch at most is in
    flight, and the connection is used by that thread only until the next
    `submit` or `wait` returns (reads go through a separate cursor). A failed
    batch writes nothing (its transaction is rolled back); its error is raised
    by the next `submit` or `wait`. `on_done` gets each batch's result on the
    caller's thread.
    """

    def __init__(self, on_done: Callable[[dict[str, int]], None]) -> None:
        self._on_done = on_done
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="backfill-write")
        self._in_flight: Future[dict[str, int]] | None = None

    def submit(self, write: Callable[..., dict[str, int]], *args: Any) -> None:
        self.wait()
        self._in_flight = self._executor.submit(write, *args)

    def wait(self) -> None:
        future, self._in_flight = self._in_flight, None
        if future is not None:
            self._on_done(future.result())

    def __enter__(self) -> _WriteBehind:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *_: object) -> None:
        try:
            if exc_type is None:
                self.wait()
            else:  # already failing: finish the write in flight, report the first error
                try:
                    self.wait()
                except Exception:
                    log.exception("the batch being written when the backfill stopped failed")
        finally:
            self._executor.shutdown(wait=True)


def _rowcount(result: duckdb.DuckDBPyConnection) -> int:
    rows = result.fetchall()
    return int(rows[0][0]) if rows and rows[0][0] is not None else 0


async def backfill_player(
    conn: duckdb.DuckDBPyConnection,
    *,
    player: str,
    owner_xuid: str | None,
    request: BackfillRequest,
    source_provider: SourceProvider,
) -> PlayerBackfillReport:
    """Run the request on one open, migrated database; see the module docstring.

    `source_provider` is called only when a selected match has no stored JSON
    (or with `--refetch`), so a backfill from stored JSON needs no credentials.
    """
    started = time.perf_counter()
    wanted = request.expanded()
    options = [OPTIONS_BY_NAME[name] for name in wanted]
    report = PlayerBackfillReport(player=player, xuid=owner_xuid, options=[o.name for o in options])
    ordered, selections = _select(conn, request, options, wanted)
    report.selected = {name: len(ids) for name, ids in selections.items()}
    report.counters = {o.counter: 0 for o in options}
    if request.dry_run:
        position = {match_id: index for index, match_id in enumerate(ordered)}
        report.would_process = {
            name: sorted(ids, key=position.__getitem__) for name, ids in selections.items()
        }
    else:
        run = _Run(conn, request, options, selections, owner_xuid, report, source_provider)
        try:
            await run.all(ordered, player)
        finally:
            run.record_skill_failures()
        if "personal_scores" in wanted:
            fill_personal_score_names(conn)
    report.elapsed_seconds = time.perf_counter() - started
    return report


def _select(
    conn: duckdb.DuckDBPyConnection,
    request: BackfillRequest,
    options: list[BackfillOption],
    wanted: dict[str, bool],
) -> tuple[list[str], dict[str, set[str]]]:
    """The matches to process, newest first (cut at `max_matches`), and each
    option's selection among them."""
    selections = {o.name: select_matches(conn, o, wanted[o.name]) for o in options}
    if request.match_ids is not None:
        selections = {name: ids & request.match_ids for name, ids in selections.items()}
    union: set[str] = set().union(*selections.values()) if selections else set()
    ordered = _newest_first(conn, union)
    if request.max_matches is not None:
        ordered = ordered[: request.max_matches]
    kept = set(ordered)
    return ordered, {name: ids & kept for name, ids in selections.items()}


class _Run:
    """One player's backfill, batch after batch: what every batch needs to read,
    fetch, extract and write, held once."""

    def __init__(
        self,
        conn: duckdb.DuckDBPyConnection,
        request: BackfillRequest,
        options: list[BackfillOption],
        selections: dict[str, set[str]],
        owner_xuid: str | None,
        report: PlayerBackfillReport,
        source_provider: SourceProvider,
    ) -> None:
        self.conn = conn
        self.request = request
        self.options = options
        self.selections = selections
        self.owner_xuid = owner_xuid
        self.report = report
        self.source_provider = source_provider
        self.source: MatchSource | None = None
        self.writer = _BatchWriter(conn, options)
        # Per document kind: the matches some option of that kind selected.
        self.by_kind: dict[str, set[str]] = {}
        for option in options:
            self.by_kind.setdefault(option.document, set()).update(selections[option.name])
        self.rowids = {} if request.refetch else _stored_rowids(conn)
        # Stored bodies are read through their own cursor: the main connection
        # belongs to the write in flight.
        self.reader = conn.cursor()

    async def all(self, ordered: list[str], player: str) -> None:
        report = self.report
        with (
            contextlib.closing(self.reader),
            WarningCounter() as warnings,
            ProgressBar(f"backfill {player}", enabled=self.request.progress) as progress,
            prompt_gil_handoff(),
            paused_collector(),
            system_arrow_memory(),
            bulk_writes(self.conn),
            _WriteBehind(lambda changed: _count_changes(report, changed)) as writes,
        ):
            progress.set_total(len(ordered))
            for chunk in _chunks(ordered, self.request.batch_size):
                # A backfill from stored JSON never waits on I/O: yield to the event loop
                # between batches, so a SIGINT/SIGTERM (delivered there, one loop turn
                # after it arrives) stops it within a batch or so, what was written kept.
                await asyncio.sleep(0)
                writes.submit(self.writer.write, await self.batch(chunk))
                await asyncio.sleep(0)
                progress.advance(len(chunk))
            report.value_warnings = warnings.count

    async def batch(self, chunk: list[str]) -> Any:
        """One chunk's frames, ready for `_BatchWriter.write`: its documents read
        from the store or fetched, its rows extracted."""
        fetched: dict[str, dict[str, bytes]] = {}
        bodies = await self.stats_documents(chunk, fetched)
        skill_bodies: dict[str, str | bytes] = {}
        skill_ids = [m for m in chunk if m in self.by_kind.get(SKILL_DOCUMENT, ())]
        if skill_ids:
            self.source = await _skill_documents(
                self.reader, skill_ids, self.request, self.source, self.source_provider,
                self.writer, self.report, skill_bodies, fetched,
            )  # fmt: skip
        batch = _extract_chunk(
            chunk, bodies, skill_bodies, fetched, self.owner_xuid, self.options,
            self.selections, self.report,
        )  # fmt: skip
        return self.writer.frames(*batch, fetched)

    async def stats_documents(
        self, chunk: list[str], fetched: dict[str, dict[str, bytes]]
    ) -> dict[str, str | bytes]:
        """The chunk's stats bodies: stored ones read, the others fetched (into `fetched`)."""
        report = self.report
        stats_ids = [m for m in chunk if m in self.by_kind.get(STATS_DOCUMENT, ())]
        bodies: dict[str, str | bytes] = {}
        if not self.request.refetch:
            bodies.update(_stored_bodies(self.reader, stats_ids, self.rowids))
        report.read_from_store += len(bodies)
        missing = [m for m in stats_ids if m not in bodies]
        if missing:
            self.source = self.source or self.source_provider()
            self.writer.source_name = self.source.name
            got, errors = await _fetch_bodies(self.source, missing, self.request.concurrency)
            fetched[STATS_DOCUMENT] = got
            report.fetched_from_source += len(got)
            _count_fetched(report, STATS_DOCUMENT, len(got))
            bodies.update(got)
            for match_id, reason in errors.items():
                _fail(report, match_id, reason)
        return bodies

    def record_skill_failures(self) -> None:
        """Skill documents that could not be fetched or read go to `failed_matches`,
        as a sync's do, so the next sync asks for them again (a stored one resolves
        its failure in the batch that writes it). Runs once every write is done,
        also after an interruption; a database error here is logged, so the error
        that stopped the run (if any) is the one reported."""
        failures = [
            (f["match_id"], f["reason"], f["kind"])
            for f in self.report.failures
            if f["kind"] == SKILL_DOCUMENT
        ]
        try:
            record_failures(self.conn, failures)
        except duckdb.Error as exc:
            log.warning("the skill failures of this backfill could not be recorded: %s", exc)


async def _skill_documents(
    reader: duckdb.DuckDBPyConnection,
    match_ids: list[str],
    request: BackfillRequest,
    source: MatchSource | None,
    source_provider: SourceProvider,
    writer: _BatchWriter,
    report: PlayerBackfillReport,
    bodies: dict[str, str | bytes],
    fetched: dict[str, dict[str, bytes]],
) -> MatchSource | None:
    """The skill documents of a batch: stored ones read, the others fetched once each
    (for the humans stored for the match). Returns the source, built if it was needed."""
    if not request.refetch:
        bodies.update(_stored_documents(reader, match_ids, SKILL_DOCUMENT))
    report.read_from_store += len(bodies)
    missing = [m for m in match_ids if m not in bodies]
    if not missing or report.skill_service_absent:
        return source
    source = source or source_provider()
    writer.source_name = source.name
    humans = _stored_humans(reader, missing)
    got, errors, absent = await _fetch_skill_bodies(source, humans, missing, request.concurrency)
    if absent:
        report.skill_service_absent = True
        log.warning("the source has no skill service: no skill document fetched")
    fetched[SKILL_DOCUMENT] = got
    report.fetched_from_source += len(got)
    _count_fetched(report, SKILL_DOCUMENT, len(got))
    bodies.update(got)
    for match_id, reason in errors.items():
        _fail(report, match_id, reason, SKILL_DOCUMENT)
    return source


def _count_fetched(report: PlayerBackfillReport, kind: str, count: int) -> None:
    report.fetched_by_kind[kind] = report.fetched_by_kind.get(kind, 0) + count


def _count_changes(report: PlayerBackfillReport, changed: dict[str, int]) -> None:
    for counter, count in changed.items():
        report.counters[counter] += count


def _extract_chunk(
    chunk: list[str],
    bodies: dict[str, str | bytes],
    skill_bodies: dict[str, str | bytes],
    fetched: dict[str, dict[str, bytes]],
    owner_xuid: str | None,
    options: list[BackfillOption],
    selections: dict[str, set[str]],
    report: PlayerBackfillReport,
) -> tuple[list[ExtractedMatch], list[tuple[str, str]], list[tuple[str, str, bool]]]:
    """Parse and extract each document of a batch once, for every option.

    A document that cannot be read fails its match (its kind) only, and a
    fetched one is then not stored. Returns the extracted matches, the
    (match, option) pairs to write and the backfill_log rows.
    """
    extracted: list[ExtractedMatch] = []
    selection: list[tuple[str, str]] = []
    log_rows: list[tuple[str, str, bool]] = []
    fetched_stats = fetched.get(STATS_DOCUMENT, {})
    fetched_skill = fetched.get(SKILL_DOCUMENT, {})
    tables = {option.table for option in options}  # the only ones written
    for match_id in chunk:
        body = bodies.pop(match_id, None)  # freed once parsed: raw bodies are large
        skill_body = skill_bodies.pop(match_id, None)
        if body is None and skill_body is None:
            continue
        if body is not None:
            match = _extract_stats(match_id, body, fetched_stats, owner_xuid, report, tables)
            if match is None:
                continue
        else:
            match = ExtractedMatch(match_id=match_id, stats=None, participants=[])
        has_skill = skill_body is not None and _extract_skill(
            match, skill_body, fetched_skill, report
        )
        if match.stats is None and any(
            o.table == STATS_TABLE and match_id in selections[o.name] for o in options
        ):
            reason = (
                "the owner is not among the match's players"
                if owner_xuid
                else "the owner's xuid is unknown (pass --xuid)"
            )
            _fail(report, match_id, reason)
        extracted.append(match)
        report.matches_processed += 1
        for option in options:
            if match_id not in selections[option.name]:
                continue
            if option.table == STATS_TABLE and match.stats is None:
                continue
            if option.document == SKILL_DOCUMENT and not has_skill:
                continue
            if option.document == STATS_DOCUMENT and body is None:
                continue
            selection.append((match_id, option.name))
            log_rows.append((match_id, option.name, _had_value(option, match)))
    return extracted, selection, log_rows


def _extract_stats(
    match_id: str,
    body: str | bytes,
    fetched: dict[str, bytes],
    owner_xuid: str | None,
    report: PlayerBackfillReport,
    tables: set[str],
) -> ExtractedMatch | None:
    try:
        doc = parse_match_json(body)
        match = extract_stats_document(doc, owner_xuid, only=tables)
    except MatchDocumentError as exc:
        where = "fetched" if match_id in fetched else "stored; --refetch downloads it again"
        _fail(report, match_id, f"{exc} ({where})")
        fetched.pop(match_id, None)
        return None
    if match.match_id.lower() != match_id.lower():
        _fail(report, match_id, f"the JSON is for another match ({match.match_id})")
        fetched.pop(match_id, None)
        return None
    if match_id in fetched:
        fetched[match_id] = orjson.dumps(doc)  # stored compact, as the sync does
    match.match_id = match_id
    for row in match.participants:
        row.match_id = match_id
    if match.stats is not None:
        match.stats.match_id = match_id
    return match


def _extract_skill(
    match: ExtractedMatch,
    body: str | bytes,
    fetched: dict[str, bytes],
    report: PlayerBackfillReport,
) -> bool:
    """The skill tables' rows into `match.details`; False (a skill failure) when unreadable."""
    match_id = match.match_id
    try:
        doc = parse_match_json(body)
        match.details.update(extract_document(SKILL_DOCUMENT, doc, match_id))
    except MatchDocumentError as exc:
        where = "fetched" if match_id in fetched else "stored; --refetch downloads it again"
        _fail(report, match_id, f"skill document: {exc} ({where})", SKILL_DOCUMENT)
        fetched.pop(match_id, None)
        return False
    if match_id in fetched:
        fetched[match_id] = orjson.dumps(doc)
    return True


def _fail(
    report: PlayerBackfillReport, match_id: str, reason: str, kind: str = STATS_DOCUMENT
) -> None:
    log.warning("match %s failed: %s", match_id, reason)
    report.failures.append({"match_id": match_id, "kind": kind, "reason": reason})
