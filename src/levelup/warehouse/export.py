"""Export every tracked player's tables as Hive-partitioned Parquet or CSV.

Layout: `OUT/<table>/player_xuid=<xuid>/data_0.parquet` (or `.csv`), one
folder per table and player, plus `OUT/schema.json`. DuckDB, Polars, Spark,
Trino and BigQuery read `OUT/<table>/` as one table with a `player_xuid`
column taken from the folder names. Raw documents (`--with-documents`) are JSON
lines in the same layout (`OUT/match_documents/player_xuid=<xuid>/data_0.jsonl`).

Every file is written by DuckDB's own `COPY (SELECT ...) TO` from the player's
database, attached read-only to one in-memory DuckDB: no row passes through
Python.

Atomicity: a player's partitions are first written under
`OUT/.levelup-staging/<run>/<player run>/<table>/`; only when all of that player's tables are
complete is each old partition moved aside and the new one renamed into place
(a rename on the same file system), then the old one deleted. An interrupted
or failed export therefore leaves every partition either wholly old or wholly
new, never half written; its staging folder is removed, or by the next export
if the process was killed. One export at a time per OUT (a lock file).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import queue
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import duckdb
import orjson

from levelup import __version__
from levelup.errors import ConfigError, DatabaseBusyError, LevelUpError, UsageError, about
from levelup.store.database import PlayerDatabase
from levelup.warehouse.reading import (
    MATCHES_TABLE,
    LayoutError,
    attach_read_only,
    database_schema,
    owner_meta,
    quote_literal,
    read_table,
)
from levelup.warehouse.tables import DocumentsSpec, TableSpecLike, data_tables, documents_table

Format = Literal["parquet", "csv"]
FORMATS: tuple[Format, ...] = ("parquet", "csv")
PARTITION_COLUMN = "player_xuid"
SCHEMA_FILE = "schema.json"
STAGING_DIR = ".levelup-staging"
LOCK_FILE = ".levelup-export.lock"
DOCUMENTS_EXTENSION = "jsonl"
# Timestamps are stored as naive UTC: written as ISO-8601 with the Z they imply.
ISO_TIMESTAMP = "%Y-%m-%dT%H:%M:%S.%fZ"

# COPYs run at once (see `Exporter._write_tables`).
PARALLEL_COPIES = 2

_COPY_OPTIONS: dict[str, str] = {
    # zstd's fastest level: the same size here as its default, in less time.
    "parquet": "FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 1",
    "csv": f"FORMAT csv, HEADER true, TIMESTAMPFORMAT {quote_literal(ISO_TIMESTAMP)}",
}


@dataclass(frozen=True)
class ExportRequest:
    """What to export, where, and how."""

    out_dir: Path
    format: Format = "parquet"
    tables: tuple[str, ...] | None = None  # None: every data table
    since: dt.date | None = None
    with_documents: bool = False


@dataclass
class TableResult:
    """One table of one player: the file written and its rows."""

    name: str
    rows: int
    file: str
    missing_columns: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"rows": self.rows, "file": self.file, "missing_columns": self.missing_columns}


@dataclass
class PlayerResult:
    """One player's export: what was written, what the database lacks, or why it failed."""

    database: Path
    xuid: str | None
    gamertag: str | None
    tables: list[TableResult] = field(default_factory=list)
    missing_tables: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def matches(self) -> int:
        return sum(t.rows for t in self.tables if t.name == MATCHES_TABLE)

    def as_dict(self) -> dict[str, Any]:
        return {
            "database": str(self.database),
            "xuid": self.xuid,
            "gamertag": self.gamertag,
            "status": "failed" if self.error else "exported",
            "error": self.error,
            "matches": self.matches,
            "tables": {t.name: t.as_dict() for t in self.tables},
            "missing_tables": self.missing_tables,
        }


@dataclass
class ExportReport:
    """The whole run, for the terminal summary and `--json`."""

    out_dir: Path
    format: Format
    players: list[PlayerResult] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def failed(self) -> list[PlayerResult]:
        return [p for p in self.players if p.error]

    @property
    def exit_code(self) -> int:
        return 1 if self.failed else 0

    def as_dict(self) -> dict[str, Any]:
        matches = sum(p.matches for p in self.players)
        return {
            "out": str(self.out_dir),
            "format": self.format,
            "schema": str(self.out_dir / SCHEMA_FILE),
            "players": [p.as_dict() for p in self.players],
            "players_exported": len(self.players) - len(self.failed),
            "players_failed": len(self.failed),
            "matches": matches,
            "rows": sum(t.rows for p in self.players for t in p.tables),
            "seconds": round(self.seconds, 3),
            "matches_per_second": round(matches / self.seconds, 1) if self.seconds else None,
        }


def selected_tables(request: ExportRequest) -> list[TableSpecLike | DocumentsSpec]:
    """The tables asked for, in registry order (documents last).

    Raises:
        UsageError: an unknown table name.
    """
    tables: list[TableSpecLike | DocumentsSpec] = list(data_tables())
    documents = documents_table()
    known = [spec.name for spec in tables] + [documents.name]
    if request.tables is None:
        return tables + ([documents] if request.with_documents else [])
    unknown = [name for name in request.tables if name not in known]
    if unknown:
        raise UsageError(f"unknown table(s) {', '.join(unknown)}; tables: {', '.join(known)}")
    wanted = set(request.tables) | ({documents.name} if request.with_documents else set())
    return [spec for spec in [*tables, documents] if spec.name in wanted]


def _extension(spec: TableSpecLike | DocumentsSpec, fmt: Format) -> str:
    return DOCUMENTS_EXTENSION if isinstance(spec, DocumentsSpec) else fmt


def _copy_options(spec: TableSpecLike | DocumentsSpec, fmt: Format) -> str:
    if isinstance(spec, DocumentsSpec):
        return "FORMAT json"
    return _COPY_OPTIONS[fmt]


def _document_overrides() -> dict[str, str]:
    """Bodies as JSON objects (a body that is not valid JSON is kept, as a string)."""
    return {
        "body": 'CASE WHEN json_valid("body") THEN CAST("body" AS JSON) ELSE to_json("body") END',
        "fetched_at": f'strftime("fetched_at", {quote_literal(ISO_TIMESTAMP)})',
    }


def partition_name(xuid: str) -> str:
    return f"{PARTITION_COLUMN}={xuid}"


@contextlib.contextmanager
def _export_lock(out_dir: Path) -> Iterator[None]:
    """One export at a time per output folder (so staging cleanup is safe)."""
    if os.name != "posix":  # pragma: no cover - LevelUp runs on Linux and macOS
        yield
        return
    import fcntl

    with open(out_dir / LOCK_FILE, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ConfigError(
                f"another levelup export is writing to {out_dir}; wait for it to finish"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _prepare_out_dir(out_dir: Path, fmt: Format) -> dict[str, Any]:
    """Create OUT, refuse mixing formats, and read the previous schema.json."""
    if out_dir.exists() and not out_dir.is_dir():
        raise UsageError(f"--out {out_dir} is a file, not a folder")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"cannot create {out_dir}: {exc}") from None
    previous: dict[str, Any] = {}
    schema_path = out_dir / SCHEMA_FILE
    if schema_path.exists():
        try:
            previous = orjson.loads(schema_path.read_bytes())
        except (OSError, orjson.JSONDecodeError) as exc:
            raise ConfigError(
                f"{schema_path} is not readable JSON ({exc}); move it away to export there"
            ) from None
        if previous.get("format") not in (None, fmt):
            raise UsageError(
                f"{out_dir} holds a {previous['format']} export; export {fmt} to another --out"
            )
    elif any(p for p in out_dir.iterdir() if p.name not in (LOCK_FILE, STAGING_DIR)):
        raise UsageError(
            f"{out_dir} is not empty and holds no LevelUp export ({SCHEMA_FILE}); "
            "give an empty or new folder"
        )
    return previous


def _schema_document(fmt: Format, players: dict[str, dict[str, Any]]) -> dict[str, Any]:
    tables: dict[str, Any] = {}
    for spec in [*data_tables(), documents_table()]:
        ext = _extension(spec, fmt)
        tables[spec.name] = {
            "description": spec.description,
            "key": list(spec.key),
            "per_match": spec.per_match,
            "files": f"{spec.name}/{PARTITION_COLUMN}=*/data_0.{ext}",
            "format": "jsonl" if isinstance(spec, DocumentsSpec) else fmt,
            "columns": [
                {"name": PARTITION_COLUMN, "type": "VARCHAR",
                 "lineage": "the tracked player's xuid: the Hive partition (folder name), "
                 "not stored in the files"},
                *(
                    {"name": name, "type": sql_type, "lineage": spec.column_docs.get(name, "")}
                    for name, sql_type in spec.columns.items()
                ),
            ],
        }  # fmt: skip
    return {
        "generated_by": f"levelup {__version__}",
        "format": fmt,
        "partitioning": {
            "column": PARTITION_COLUMN,
            "type": "VARCHAR",
            "layout": "<table>/player_xuid=<xuid>/data_0.<ext>",
        },
        "timestamps": "naive UTC"
        + ("" if fmt == "parquet" else f"; CSV and JSON lines: ISO-8601 ({ISO_TIMESTAMP})"),
        "updated_at": dt.datetime.now(dt.UTC).isoformat(),
        "tables": tables,
        "players": players,
    }


def _write_json_atomically(path: Path, payload: dict[str, Any]) -> None:
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    temporary.write_bytes(orjson.dumps(payload, option=orjson.OPT_INDENT_2))
    os.replace(temporary, path)


class Exporter:
    """Writes each player's partitions into staging, then swaps them into OUT.

    One in-memory DuckDB attaches each player database read-only in turn and
    runs the `COPY`s from it.
    """

    ALIAS = "player_db"

    def __init__(
        self,
        request: ExportRequest,
        tables: list[TableSpecLike | DocumentsSpec],
        staging: Path,
        conn: duckdb.DuckDBPyConnection,
    ) -> None:
        self.request = request
        self.tables = tables
        self.staging = staging
        self.conn = conn

    def export_player(
        self, database: PlayerDatabase, on_table: Callable[[], object] | None = None
    ) -> PlayerResult:
        """Export one player; a failure is returned in the result, the run goes on.

        Raises:
            DatabaseBusyError: the database is locked by a writer.
            ConfigError: it cannot be opened.
        """
        attach_read_only(self.conn, database.path, self.ALIAS)
        try:
            return self._export_attached(database, on_table)
        finally:
            self.conn.execute(f"DETACH {self.ALIAS}")

    def _export_attached(
        self, database: PlayerDatabase, on_table: Callable[[], object] | None
    ) -> PlayerResult:
        schema = database_schema(self.conn, self.ALIAS)
        # Listing could not read the owner if a writer held the file at that moment.
        meta = owner_meta(self.conn, self.ALIAS, schema)
        xuid = database.xuid or meta.get("owner_xuid")
        gamertag = database.gamertag or meta.get("owner_gamertag") or database.folder
        result = PlayerResult(database=database.path, xuid=xuid, gamertag=gamertag)
        if not xuid:
            result.error = (
                "the database does not record its owner's xuid (the partition key); LevelUp "
                "records it on this player's next `levelup sync` or `levelup backfill --xuid X`"
            )
            return result
        if not xuid.isdigit():
            result.error = f"owner xuid {xuid!r} is not digits"
            return result
        # staging/<run>/<player run>/<table>/data_0.<ext>: each <table> folder is
        # renamed to OUT/<table>/player_xuid=<xuid> as a whole.
        run_folder = self.staging / uuid.uuid4().hex
        try:
            written = self._write_tables(schema, xuid, run_folder, on_table)
            for spec, table in zip(self.tables, written, strict=True):
                if table is None:
                    result.missing_tables.append(spec.name)
                else:
                    result.tables.append(table)
        except (duckdb.Error, LayoutError, OSError) as exc:
            shutil.rmtree(run_folder, ignore_errors=True)
            result.tables, result.missing_tables = [], []
            result.error = f"export failed, previous partitions kept: {_one_line(exc)}"
            return result
        try:
            self._swap_in(xuid, [spec.name for spec in self.tables], run_folder)
        except OSError as exc:
            result.error = (
                f"could not move the new partitions into place ({_one_line(exc)}); "
                "each partition is whole, old or new"
            )
        return result

    def _write_tables(
        self,
        schema: dict[str, dict[str, str]],
        xuid: str,
        run_folder: Path,
        on_table: Callable[[], object] | None,
    ) -> list[TableResult | None]:
        """Every table's COPY, `PARALLEL_COPIES` at a time, largest first, each on a
        cursor of its own: a big table's COPY uses both cores only part of its time
        (reading, then compressing, then writing), so two at once overlap the rest
        (benchmarks/ANALYSIS.md). The results are in the tables' order; the first
        error is raised once every COPY started has ended (none is left writing)."""
        cursors: queue.SimpleQueue[duckdb.DuckDBPyConnection] = queue.SimpleQueue()
        opened = [self.conn.cursor() for _ in range(PARALLEL_COPIES)]
        for cursor in opened:
            cursors.put(cursor)

        def write(spec: TableSpecLike | DocumentsSpec) -> TableResult | None:
            cursor = cursors.get()
            try:
                return self._write_table(cursor, schema, spec, xuid, run_folder)
            finally:
                cursors.put(cursor)

        pool = ThreadPoolExecutor(max_workers=PARALLEL_COPIES, thread_name_prefix="export")
        try:
            order = self._largest_first(schema)
            futures = {spec.name: pool.submit(write, spec) for spec in order}
            for future in as_completed(futures.values()):
                future.result()  # the first failure, as soon as it happens
                if on_table is not None:
                    on_table()
            return [futures[spec.name].result() for spec in self.tables]
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
            for cursor in opened:
                cursor.close()

    def _largest_first(self, schema: dict[str, dict[str, str]]) -> list[Any]:
        """The tables by their row count in DuckDB's catalog (no scan): the big ones
        start first, the small ones fill in beside them."""
        rows = dict(
            self.conn.execute(
                "SELECT table_name, estimated_size FROM duckdb_tables() WHERE database_name = ?",
                [self.ALIAS],
            ).fetchall()
        )
        return sorted(self.tables, key=lambda spec: -(rows.get(spec.name) or 0))

    def _write_table(
        self,
        cursor: duckdb.DuckDBPyConnection,
        schema: dict[str, dict[str, str]],
        spec: TableSpecLike | DocumentsSpec,
        xuid: str,
        run_folder: Path,
    ) -> TableResult | None:
        is_documents = isinstance(spec, DocumentsSpec)
        read = read_table(
            spec,
            schema,
            catalog=self.ALIAS,
            since=self.request.since,
            overrides=_document_overrides() if is_documents else None,
        )
        if read is None:
            return None
        folder = run_folder / spec.name
        folder.mkdir(parents=True)
        target = folder / f"data_0.{_extension(spec, self.request.format)}"
        rows = cursor.execute(
            f"COPY ({read.sql}) TO {quote_literal(str(target))} "
            f"({_copy_options(spec, self.request.format)})"
        ).fetchall()
        final = self.request.out_dir / spec.name / partition_name(xuid) / target.name
        return TableResult(
            name=spec.name,
            rows=int(rows[0][0]) if rows else 0,
            file=str(final),
            missing_columns=read.missing_columns,
        )

    def _swap_in(self, xuid: str, tables: list[str], run_folder: Path) -> None:
        """Each new partition replaces the old one; a table the database lacks loses
        its old partition (the export mirrors the database). If this is interrupted,
        a partition already moved aside is put back."""
        trash = run_folder / ".replaced"  # no table name starts with a dot
        moved: list[tuple[Path, Path]] = []
        try:
            for name in tables:
                target = self.request.out_dir / name / partition_name(xuid)
                fresh = run_folder / name
                if target.exists():
                    aside = trash / name
                    trash.mkdir(exist_ok=True)
                    os.rename(target, aside)
                    moved.append((aside, target))
                if fresh.exists():
                    target.parent.mkdir(parents=True, exist_ok=True)
                    os.rename(fresh, target)
        except BaseException:
            for aside, target in moved:
                if not target.exists() and aside.exists():
                    os.rename(aside, target)
            raise
        finally:
            shutil.rmtree(run_folder, ignore_errors=True)


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def check_available(conn: duckdb.DuckDBPyConnection, databases: list[PlayerDatabase]) -> None:
    """Named databases must all be readable before anything is written.

    Raises:
        DatabaseBusyError: one of them is locked by a writer.
        ConfigError: one of them cannot be opened.
    """
    for database in databases:
        attach_read_only(conn, database.path, "levelup_check")
        conn.execute("DETACH levelup_check")


def export_players(
    databases: list[PlayerDatabase],
    request: ExportRequest,
    *,
    named: bool,
    progress: Any = None,
    warn: Callable[[str], None] | None = None,
) -> ExportReport:
    """Export every database; a busy one fails the run (named) or is reported and skipped.

    Args:
        databases: the selected player databases.
        request: what and where.
        named: the players were named with --player (a busy one is then exit 2).
        progress: a `ProgressBar`-like object (set_total, advance), or None.
        warn: called with a one-line message for each skipped or failed player.

    Raises:
        DatabaseBusyError: a named database is in use by a writer.
        UsageError, ConfigError: the output folder or the options are unusable.
    """
    out_dir = request.out_dir
    tables = selected_tables(request)
    previous = _prepare_out_dir(out_dir, request.format)
    report = ExportReport(out_dir=out_dir, format=request.format)
    started = time.perf_counter()
    with _export_lock(out_dir), duckdb.connect(":memory:") as conn:
        # A file's rows need no particular order (readers sort or group as they ask),
        # and without one DuckDB writes each file from both cores.
        conn.execute("SET preserve_insertion_order = false")
        if named:
            check_available(conn, databases)
        staging_root = out_dir / STAGING_DIR
        shutil.rmtree(staging_root, ignore_errors=True)  # left by a killed export
        exporter = Exporter(request, tables, staging_root / uuid.uuid4().hex, conn)
        players: dict[str, dict[str, Any]] = dict(previous.get("players") or {})
        if progress is not None:
            progress.set_total(len(databases) * len(tables))
        advance = progress.advance if progress is not None else None
        try:
            for database in databases:
                result = _export_one(exporter, database, named, advance)
                report.players.append(result)
                if result.error:
                    if warn is not None:
                        warn(f"{database.label}: {about(database.path, result.error)}")
                    continue
                key = str(result.xuid)
                players[key] = _player_entry(players.get(key), result, request)
                _write_json_atomically(
                    out_dir / SCHEMA_FILE, _schema_document(request.format, players)
                )
        finally:
            shutil.rmtree(staging_root, ignore_errors=True)
        if not (out_dir / SCHEMA_FILE).exists():
            _write_json_atomically(out_dir / SCHEMA_FILE, _schema_document(request.format, players))
    report.seconds = time.perf_counter() - started
    return report


def _export_one(
    exporter: Exporter,
    database: PlayerDatabase,
    named: bool,
    advance: Callable[[], object] | None,
) -> PlayerResult:
    """One player's export; its failure is in the result, so the run goes on.

    Raises:
        DatabaseBusyError: the database was named and is in use by a writer.
    """
    try:
        return exporter.export_player(database, advance)
    except DatabaseBusyError as exc:
        if named:
            raise
        return _failed(database, str(exc))
    except LevelUpError as exc:
        return _failed(database, str(exc))


def _failed(database: PlayerDatabase, reason: str) -> PlayerResult:
    return PlayerResult(database.path, database.xuid, database.gamertag, error=reason)


def _player_entry(
    previous: dict[str, Any] | None, result: PlayerResult, request: ExportRequest
) -> dict[str, Any]:
    """The player's line in schema.json; tables not exported this time keep theirs."""
    before = previous or {}
    exported = {t.name for t in result.tables} | set(result.missing_tables)
    rows = {k: v for k, v in (before.get("rows") or {}).items() if k not in exported}
    rows.update({t.name: t.rows for t in result.tables})
    columns = {k: v for k, v in (before.get("missing_columns") or {}).items() if k not in exported}
    columns.update({t.name: t.missing_columns for t in result.tables if t.missing_columns})
    missing = [n for n in before.get("missing_tables") or [] if n not in exported]
    return {
        "gamertag": result.gamertag,
        "database": str(result.database),
        "exported_at": dt.datetime.now(dt.UTC).isoformat(),
        "since": request.since.isoformat() if request.since else None,
        "rows": rows,
        "missing_tables": missing + result.missing_tables,
        "missing_columns": columns,
    }
