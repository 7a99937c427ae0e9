"""Walk a player's match history and store every new match.

The walk, the fetches and the writes run as a pipeline: history pages feed a
queue of match ids, a few fetchers turn ids into JSON bodies (the source paces
them), and this coroutine parses, extracts and hands matches to the bulk
writer. Nothing waits for the whole history before the first write, and memory
holds one batch, not the history.

Skill: for each new matchmade match, the fetcher that got its stats asks the
skill service right after, for exactly the match's humans (never a bot, never
for a custom or local game), and the match's stats, participants and skill
rows are written in the same batch transaction. A skill failure never loses
the stats: the match is stored, its skill document is recorded as failed
(`failed_matches`, kind `skill`), reported, and fetched again by the next sync
(through the backfill engine, `sync.skill`). A source without a skill service
(a recorded directory without `skill/`) stores matches without skill rows.
Once per sync, the owner's rank in each ranked playlist they played is asked
and stored as a `csr_snapshots` row.

Resume rule: the walk stops at the first match already stored only when
everything older is known to be stored: an earlier walk of the same or a
broader `--match-type` completed, and no walk sharing matches with this one
was left unfinished since (`store.bookkeeping.can_stop_at_known`). Otherwise
(`--full`, a crash, failures, `--max-matches`, or an `all` walk after only
matchmaking walks) it walks everything and skips what is known, so gaps are
filled. `sync_state` is marked incomplete when a walk starts and complete only
when it ends cleanly.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import duckdb
import orjson

from levelup.errors import about, unwrapped_task_errors
from levelup.extract.match import ExtractedMatch, MatchDocumentError, parse_match_json
from levelup.extract.skill import skill_request
from levelup.registry import (
    SKILL_DOCUMENT,
    STATS_DOCUMENT,
    extract_document,
    extract_stats_document,
)
from levelup.sources.base import (
    AuthError,
    FatalSourceError,
    HistoryPage,
    MatchSource,
    PlayerIdentity,
    SourceError,
)
from levelup.store.bookkeeping import (
    WalkState,
    can_stop_at_known,
    failed_match_ids,
    finish_run,
    known_match_ids,
    mark_walk,
    record_failures,
    restore_walk,
    start_run,
    walk_state,
)
from levelup.store.database import bulk_writes
from levelup.store.writer import MatchWriter
from levelup.sync.career import (
    COUNT_FOR_FILTER,
    expected_fetches,
    fetch_counts,
    known_by_type,
    store_snapshots,
)
from levelup.sync.names import fill_names, remember_gamertags
from levelup.sync.neighbours import Copied, Neighbours
from levelup.sync.progress import ProgressBar
from levelup.sync.skill import retry_failed_skill, store_csr_snapshots
from levelup.sync.warnings_counter import WarningCounter
from levelup.threads import paused_collector, prompt_gil_handoff, system_arrow_memory

log = logging.getLogger("levelup.sync")

HISTORY_PAGE_SIZE = 25
_DONE = object()


@dataclass(frozen=True)
class SyncOptions:
    match_type: str = "all"
    max_matches: int | None = None
    full: bool = False
    batch_size: int = 500
    # The first batch is smaller so the first matches are committed (safe from a
    # crash, visible to readers) within a fraction of a second on any source.
    first_batch_size: int = 100
    flush_seconds: float = 5.0
    concurrency: int = 4
    fetch_names: bool = True
    # Ask the match count first (the progress total) and store the counts and
    # service records at the end (levelup.sync.career).
    fetch_career: bool = True
    progress: bool | None = None
    # Ask the skill service for every new matchmade match (`--no-skill`: never).
    skill: bool = True


@dataclass
class SyncReport:
    """What a sync did; `as_dict` is the `--json` shape."""

    player: str
    xuid: str
    matches_seen: int = 0
    matches_new: int = 0
    matches_retried: int = 0
    matches_written: int = 0
    participants_written: int = 0
    failures: list[dict[str, str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    value_warnings: int = 0
    walk_complete: bool = False
    resumed: bool = False
    api: dict = field(default_factory=dict)
    names: dict = field(default_factory=dict)
    skill: SkillReport = field(default_factory=lambda: SkillReport())
    elapsed_seconds: float = 0.0
    # The pace of the API requests: fixed, or where `--requests-per-second auto`
    # settled (empty for a source without pacing, a recorded directory).
    pace: dict = field(default_factory=dict)
    # The API's count of the walk's matches (None: the source has no count), the
    # progress bar's total (None: it counted as the walk went), and what was
    # stored of the career snapshots; a failed count or service record is named
    # in `career_errors` (it does not fail the sync).
    matches_counted: int | None = None
    progress_total: int | None = None
    career: dict = field(default_factory=dict)
    career_errors: list[str] = field(default_factory=list)
    # Matches copied from other tracked players' databases (levelup.sync.neighbours).
    shared: dict = field(default_factory=dict)

    @property
    def matches_failed(self) -> int:
        """Matches whose stats could not be stored (skill failures are counted apart)."""
        return sum(1 for f in self.failures if f.get("kind", "stats") == "stats")

    @property
    def exit_code(self) -> int:
        return 1 if self.failures or self.errors or self.skill.errors else 0

    def as_dict(self) -> dict:
        return {
            "player": self.player,
            "xuid": self.xuid,
            "matches_seen": self.matches_seen,
            "matches_new": self.matches_new,
            "matches_retried": self.matches_retried,
            "matches_written": self.matches_written,
            "participants_written": self.participants_written,
            "matches_failed": self.matches_failed,
            "failures": self.failures,
            "errors": self.errors,
            "value_warnings": self.value_warnings,
            "walk_complete": self.walk_complete,
            "resumed": self.resumed,
            "api": self.api,
            "names": self.names,
            "skill": self.skill.as_dict(),
            "elapsed_seconds": round(self.elapsed_seconds, 3),
            "pace": self.pace,
            "matches_counted": self.matches_counted,
            "progress_total": self.progress_total,
            "career": self.career,
            "career_errors": self.career_errors,
            "shared": self.shared,
        }


@dataclass
class SkillReport:
    """What the sync did with the skill service (`--json`: the `skill` object).

    `service`: "on", "off" (`--no-skill`) or "absent" (the source has none).
    """

    service: str = "on"
    requested: int = 0
    stored: int = 0
    failed: int = 0
    retried: int = 0
    not_matchmade: int = 0
    snapshots: int = 0
    snapshot_playlists: int = 0
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "service": self.service,
            "requested": self.requested,
            "stored": self.stored,
            "failed": self.failed,
            "retried": self.retried,
            "not_matchmade": self.not_matchmade,
            "csr_snapshots": self.snapshots,
            "csr_playlists": self.snapshot_playlists,
            "errors": self.errors,
        }


class _Walk:
    """State of one history walk, shared by the walker and the final bookkeeping."""

    def __init__(self) -> None:
        self.reached_end = False
        self.stopped_at_known = False
        self.cut_by_max = False
        self.queued: set[str] = set()
        # The matches this walk will fetch, from the API's count (None: unknown).
        self.expected: int | None = None
        # Other tracked players' databases to copy stored matches from, and the
        # queue copied documents go to (as if fetched, their other kinds with them).
        self.neighbours: Neighbours | None = None
        self.results: asyncio.Queue | None = None


async def _walk_history(
    source: MatchSource,
    owner: PlayerIdentity,
    options: SyncOptions,
    known: set[str],
    resume: bool,
    retry_ids: list[str],
    queue: asyncio.Queue,
    walk: _Walk,
    report: SyncReport,
    progress: ProgressBar,
) -> None:
    """Queue the ids to fetch, then one `_DONE` per fetcher.

    The `_DONE`s are queued only when the walk ends normally: when it fails or
    is cancelled, the task group cancels the fetchers too, and waiting for room
    in a full queue that nothing drains any more would hang the run.
    """
    walker = _Walker(source, owner, options, known, resume, queue, walk, report, progress)
    await walker.run(retry_ids)
    for _ in range(options.concurrency):
        await queue.put(_DONE)


class _Walker:
    """Walks the history newest first, queueing each new match once: to the fetchers,
    or, when another tracked player has stored it, straight to the results."""

    def __init__(
        self,
        source: MatchSource,
        owner: PlayerIdentity,
        options: SyncOptions,
        known: set[str],
        resume: bool,
        queue: asyncio.Queue,
        walk: _Walk,
        report: SyncReport,
        progress: ProgressBar,
    ) -> None:
        self.source, self.owner, self.options = source, owner, options
        self.known, self.resume, self.queue = known, resume, queue
        self.walk, self.report, self.progress = walk, report, progress

    async def run(self, retry_ids: list[str]) -> None:
        # The first page is asked for before the failed matches are queued again: a
        # recorded directory learns then which of its files cannot be read.
        start = 0
        page = await self.page_at(start)
        for match_id in retry_ids:
            self.report.matches_retried += 1
            await self.enqueue(match_id)
        while page is not None:
            new, stop = self.new_on(page)
            await self.dispatch(new)
            if stop:
                return
            if not page.entries or page.result_count < page.count:
                self.walk.reached_end = True
                return
            start += len(page.entries)
            page = await self.page_at(start)

    def new_on(self, page: HistoryPage) -> tuple[list[str], bool]:
        """A page's matches to store, and whether the walk stops at this page (a
        known match reached where that proves the rest known, or `max_matches`)."""
        walk, report, options = self.walk, self.report, self.options
        new: list[str] = []
        for entry in page.entries:
            report.matches_seen += 1
            match_id = entry.match_id.lower()  # ids are compared and stored lower-case
            if match_id in self.known:
                if not self.resume:
                    walk.stopped_at_known = True
                    return new, True
                continue
            if match_id in walk.queued or match_id in new:
                continue
            if options.max_matches is not None and report.matches_new >= options.max_matches:
                walk.cut_by_max = True
                return new, True
            report.matches_new += 1
            new.append(match_id)
        return new, False

    async def page_at(self, start: int) -> HistoryPage | None:
        try:
            return await self.source.history_page(
                self.owner.xuid, start, HISTORY_PAGE_SIZE, self.options.match_type
            )
        except FatalSourceError:
            raise
        except SourceError as exc:
            self.report.errors.append(about(f"match history page at {start}", str(exc)))
            return None

    def counted(self, match_id: str) -> None:
        self.walk.queued.add(match_id)
        self.progress.set_total(max(len(self.walk.queued), self.walk.expected or 0))

    async def enqueue(self, match_id: str) -> None:
        self.counted(match_id)
        await self.queue.put(match_id)

    async def dispatch(self, new: list[str]) -> None:
        """A page's new matches: copied from a neighbour that has them, else fetched."""
        neighbours, results = self.walk.neighbours, self.walk.results
        shared = [m for m in new if neighbours is not None and neighbours.has(m)]
        if shared and neighbours is not None and results is not None:
            for copy in await asyncio.to_thread(neighbours.documents, shared):
                self.counted(copy.match_id)
                await results.put(await self.copied(copy))
        for match_id in new:
            if match_id not in self.walk.queued:
                await self.enqueue(match_id)

    async def copied(self, copy: Copied) -> _Fetched:
        """A neighbour's stored match as if fetched, its other documents with it."""
        others = {k: v for k, v in copy.documents.items() if k != STATS_DOCUMENT}
        item = _Fetched(copy.match_id, others=others)
        try:
            item.doc = parse_match_json(copy.documents[STATS_DOCUMENT])
        except MatchDocumentError as exc:
            item.error = str(exc)
        skill = self.report.skill
        if item.doc is not None and SKILL_DOCUMENT not in others and skill.service == "on":
            # The neighbour stored no skill document: only that is asked for
            # (every human's rows are missing), the stats call is saved.
            await _fetch_skill(self.source, item, skill)
        return item


@dataclass(slots=True)
class _Fetched:
    """One match as the fetchers hand it over: its stats document (parsed once, or
    the reason it could not be) and, for a matchmade match, its skill body."""

    match_id: str
    doc: dict | None = None
    error: str | None = None
    skill_body: bytes | None = None
    skill_error: str | None = None
    # Documents of other kinds copied with the match from a neighbour's database.
    others: dict[str, bytes] = field(default_factory=dict)


async def _fetch(
    source: MatchSource,
    queue: asyncio.Queue,
    results: asyncio.Queue,
    held: list[_Fetched],
    skill: SkillReport,
) -> None:
    """Fetch queued ids until `_DONE`: stats, then (matchmade matches) skill for
    exactly the humans of the stats just fetched. A fetcher cancelled after the
    stats arrived leaves the match in `held`, so a stopped run still writes it."""
    while True:
        match_id = await queue.get()
        if match_id is _DONE:
            await results.put(_DONE)
            return
        item = _Fetched(match_id)
        try:
            body = await source.match_stats_raw(match_id)
        except FatalSourceError:
            raise
        except SourceError as exc:
            item.error = str(exc)
        else:
            try:
                item.doc = parse_match_json(body)
            except MatchDocumentError as exc:
                item.error = str(exc)
            if item.doc is not None and skill.service == "on":
                try:
                    await _fetch_skill(source, item, skill)
                except asyncio.CancelledError:
                    item.skill_error = "the run stopped before the skill service answered"
                    held.append(item)
                    raise
        try:
            await results.put(item)
        except asyncio.CancelledError:
            held.append(item)
            raise


async def _fetch_skill(source: MatchSource, item: _Fetched, skill: SkillReport) -> None:
    assert item.doc is not None
    humans = skill_request(item.doc)
    if humans is None:
        skill.not_matchmade += 1
        return
    if not humans:
        item.skill_error = "no human player to ask the skill service about"
        return
    skill.requested += 1
    try:
        body = await source.match_skill_raw(item.match_id, humans)
    except FatalSourceError:
        raise
    except SourceError as exc:
        item.skill_error = str(exc)
        return
    if body is None:  # the source has no skill service: not a failure
        skill.service = "absent"
        skill.requested -= 1
        return
    item.skill_body = body


def _fetched_but_not_stored(results: asyncio.Queue, held: list[_Fetched]) -> list[_Fetched]:
    """What the fetchers had delivered when the pipeline stopped."""
    items = list(held)
    held.clear()
    while not results.empty():
        item = results.get_nowait()
        if item is not _DONE:
            items.append(item)
    return items


async def sync_player(
    conn: duckdb.DuckDBPyConnection,
    source: MatchSource,
    owner: PlayerIdentity,
    options: SyncOptions | None = None,
    *,
    neighbours: Neighbours | None = None,
    report: SyncReport | None = None,
) -> SyncReport:
    """Store every new match of `owner`'s history; see the module docstring.

    With `neighbours` (the other tracked players' databases of the data dir), a
    new match one of them has stored is copied from it instead of fetched
    (`levelup.sync.neighbours`); the report's `shared` says how many, and the API
    calls saved.

    However the run stops, what was fetched is written first: a cancellation
    (SIGINT, SIGTERM) ends with `sync_runs.status` "interrupted", credentials
    that fail mid-run with "auth-failed", and the walk stays unfinished, so the
    next run resumes. A caller that wants the report of a run that raised passes
    its own `report`, which is filled however the run ends.

    Raises:
        FatalSourceError: credentials failed mid-run (AuthError) or the service
            cannot be reached; everything fetched so far is written.
        asyncio.CancelledError: the run was cancelled; everything fetched so far is written.
        LevelUpError: the source cannot be read as asked (e.g. a bad history file).
    """
    run = _SyncRun(conn, source, owner, options or SyncOptions(), report)
    await run.execute(neighbours)
    return run.report


class _SyncRun:
    """One sync of one player: its report, its writer and the failures waiting to be
    recorded, shared by the walk, the fetchers and the steps after the walk."""

    def __init__(
        self,
        conn: duckdb.DuckDBPyConnection,
        source: MatchSource,
        owner: PlayerIdentity,
        options: SyncOptions,
        report: SyncReport | None,
    ) -> None:
        self.conn, self.source, self.owner, self.options = conn, source, owner, options
        self.started = time.perf_counter()
        self.report = report or SyncReport(player="", xuid="")
        self.report.player, self.report.xuid = owner.gamertag or owner.xuid, owner.xuid
        if not options.skill:
            self.report.skill.service = "off"
        self.pending_failures: list[tuple[str, str, str]] = []
        self.walk = _Walk()
        self.progress: ProgressBar | None = None

    def fail(self, match_id: str, reason: str, kind: str = STATS_DOCUMENT) -> None:
        """A match (or one of its documents) failed: reported now, recorded with the
        next committed batch, so it is retried by the next sync."""
        what = "" if kind == STATS_DOCUMENT else f" ({kind})"
        log.warning("match %s failed%s: %s", match_id, what, reason)
        self.report.failures.append({"match_id": match_id, "kind": kind, "reason": reason})
        self.pending_failures.append((match_id, reason, kind))
        if kind == SKILL_DOCUMENT:
            self.report.skill.failed += 1

    def record_failures(self) -> None:
        record_failures(self.conn, self.pending_failures)
        self.pending_failures.clear()

    def on_flush(self, _ids: list[str]) -> None:
        self.record_failures()

    def handle(self, item: _Fetched) -> None:
        """One fetched match: stored, or failed with its reason."""
        assert self.progress is not None
        self.progress.advance()
        if item.error is not None or item.doc is None:
            self.fail(item.match_id, item.error or "no body")
        elif _store(item, self.owner, self.writer, self.fail):
            self.report.skill.stored += 1

    async def execute(self, neighbours: Neighbours | None) -> None:
        conn, options, report = self.conn, self.options, self.report
        known = known_match_ids(conn)
        retry_ids = [
            m for m in dict.fromkeys(i.lower() for i in failed_match_ids(conn)) if m not in known
        ]
        # Skill documents that failed in earlier runs, for matches already stored.
        skill_retry_ids = [m for m in failed_match_ids(conn, SKILL_DOCUMENT) if m in known]
        resume = options.full or not can_stop_at_known(conn, options.match_type)
        report.resumed = resume and not options.full and bool(known)
        if self.owner.gamertag:
            remember_gamertags(conn, {self.owner.xuid: self.owner.gamertag})
        previous_walk = walk_state(conn, options.match_type)
        mark_walk(conn, options.match_type, complete=False)
        run_id = start_run(conn, "sync")
        self.writer = MatchWriter(
            conn,
            batch_size=options.batch_size,
            max_seconds=options.flush_seconds,
            on_flush=self.on_flush,
            background=True,
            first_batch_size=options.first_batch_size,
            source=self.source.name,
            run_id=run_id,
        )
        status = "failed"
        try:  # from here on the run is recorded however it ends, Ctrl-C included
            if neighbours is not None:
                await asyncio.to_thread(neighbours.index)
                self.walk.neighbours = neighbours
            await self.in_bulk_phase(known, resume, retry_ids, skill_retry_ids)
            # A skill failure leaves the walk complete: the match is stored, and its
            # skill document is fetched again through `failed_matches`.
            walk = self.walk
            report.walk_complete = (
                (walk.reached_end or walk.stopped_at_known)
                and not walk.cut_by_max
                and not report.matches_failed
                and not report.errors
            )
            mark_walk(conn, options.match_type, complete=report.walk_complete)
            status = "ok" if report.exit_code == 0 else "partial"
        except asyncio.CancelledError:
            status = "interrupted"
            raise
        except AuthError:
            status = "auth-failed"
            raise
        finally:
            self.finish(run_id, status, neighbours)
            if not report.walk_complete and report.matches_written == 0:
                _restore_walk(conn, options.match_type, previous_walk)

    async def in_bulk_phase(
        self, known: set[str], resume: bool, retry_ids: list[str], skill_retry_ids: list[str]
    ) -> None:
        """The walk and the fetchers, then what follows a walk (skill retries, CSR,
        names, career snapshots), with the bulk settings on."""
        conn, options, report, source = self.conn, self.options, self.report, self.source
        with (
            WarningCounter() as warnings,
            ProgressBar(f"sync {report.player}", enabled=options.progress) as self.progress,
            prompt_gil_handoff(),
            paused_collector(),
            system_arrow_memory(),
            bulk_writes(conn),
            self.writer,  # listed last: the batch in flight ends before the settings are restored
        ):
            counts = None
            if options.fetch_career:
                counts = await fetch_counts(source, self.owner.xuid, report.career_errors)
                _expect(conn, counts, options, resume, len(retry_ids), self.walk, report,
                        self.progress)  # fmt: skip
            try:
                await self.pipeline(known, resume, retry_ids)
            finally:  # stopped or not, what was fetched is written
                self.writer.flush()
                self.record_failures()
                report.value_warnings = warnings.count
            if report.skill.service == "on":
                await retry_failed_skill(conn, source, self.owner, skill_retry_ids, report,
                                         self.fail)  # fmt: skip
                self.record_failures()
                await store_csr_snapshots(conn, source, self.owner, report)
            if options.fetch_names:
                report.names = (await fill_names(conn, source)).as_dict()
            if options.fetch_career:
                snapshot = await store_snapshots(
                    conn, source, self.owner.xuid, counts, report.career_errors
                )
                report.career = snapshot.as_dict()
            report.value_warnings = warnings.count

    async def pipeline(self, known: set[str], resume: bool, retry_ids: list[str]) -> None:
        """The history walk feeding `concurrency` fetchers, their results stored as
        they come; on any stop, what the fetchers had delivered is stored too."""
        options = self.options
        queue: asyncio.Queue = asyncio.Queue(maxsize=max(64, options.concurrency * 4))
        results: asyncio.Queue = asyncio.Queue(maxsize=max(32, options.concurrency * 4))
        held: list[_Fetched] = []
        self.walk.results = results
        try:
            with unwrapped_task_errors():
                async with asyncio.TaskGroup() as group:
                    group.create_task(
                        _walk_history(self.source, self.owner, options, known, resume,
                                      retry_ids, queue, self.walk, self.report, self.progress)
                    )  # fmt: skip
                    for _ in range(options.concurrency):
                        group.create_task(
                            _fetch(self.source, queue, results, held, self.report.skill)
                        )
                    finished = 0
                    while finished < options.concurrency:
                        item = await results.get()
                        if item is _DONE:
                            finished += 1
                        else:
                            self.handle(item)
        except BaseException:
            # Stopped (cancelled, credentials refused, an unreadable source).
            for item in _fetched_but_not_stored(results, held):
                self.handle(item)
            raise

    def finish(self, run_id: str, status: str, neighbours: Neighbours | None) -> None:
        """The report's totals and the run's record, however the run ended."""
        report = self.report
        self.writer.close(raise_errors=False)  # closed already unless the phase never began
        report.matches_written = self.writer.matches_written
        report.participants_written = self.writer.participants_written
        report.api = self.source.counters.as_dict()
        report.pace = source_pace(self.source)
        report.progress_total = progress_total(self.walk)
        if neighbours is not None:
            report.shared = neighbours.as_dict()
        report.elapsed_seconds = time.perf_counter() - self.started
        _finish_run(self.conn, run_id, status, report)


def _finish_run(
    conn: duckdb.DuckDBPyConnection, run_id: str, status: str, report: SyncReport
) -> None:
    """Record the run's end; a database that can no longer be written (disk full)
    must not hide the error that stopped the run, so that failure is only logged."""
    try:
        finish_run(
            conn,
            run_id,
            status=status,
            seen=report.matches_seen,
            new=report.matches_new,
            written=report.matches_written,
            failed=report.matches_failed,
            details=report.as_dict(),
        )
    except duckdb.Error as exc:  # the next run marks this one "abandoned"
        log.debug("could not record the end of the run in sync_runs: %s", exc)


def _restore_walk(conn: duckdb.DuckDBPyConnection, match_type: str, state: WalkState) -> None:
    """The walk state from before a run that stored nothing (`restore_walk`); like
    `_finish_run`, a database that can no longer be written only logs it."""
    try:
        restore_walk(conn, match_type, state)
    except duckdb.Error as exc:  # the walk stays marked incomplete: a full walk next time
        log.debug("could not restore the walk state in sync_state: %s", exc)


def _expect(
    conn: duckdb.DuckDBPyConnection,
    counts: dict[str, int] | None,
    options: SyncOptions,
    resume: bool,
    retries: int,
    walk: _Walk,
    report: SyncReport,
    progress: ProgressBar,
) -> None:
    """The progress bar's true total for a walk that fetches everything it does not
    have (a first or full sync, or a resumed one); an incremental walk, which stops
    at the first known match, counts the new matches it finds instead."""
    if counts is None:
        return
    report.matches_counted = counts.get(COUNT_FOR_FILTER[options.match_type])
    known = known_by_type(conn)
    if not resume and known["all"]:
        return
    walk.expected = expected_fetches(
        counts, options.match_type, known, retries, options.max_matches
    )
    if walk.expected is not None:
        progress.set_total(walk.expected)


def progress_total(walk: _Walk) -> int:
    """The bar's last total: the expected fetches, or what the walk queued."""
    return max(len(walk.queued), walk.expected or 0)


def source_pace(source: MatchSource) -> dict:
    """The source's pace for the report (`WaypointSource.pacing`), {} when it has none."""
    pacing = getattr(source, "pacing", None)
    return pacing() if callable(pacing) else {}


def _store(
    item: _Fetched,
    owner: PlayerIdentity,
    writer: MatchWriter,
    fail: Callable[..., None],
) -> bool:
    """Extract one match (and its skill document); a bad stats document fails this
    match only, a bad or failed skill document fails its skill only. Returns
    whether a skill document is stored with the match."""
    match_id, doc = item.match_id, item.doc
    assert doc is not None
    try:
        extracted = extract_stats_document(doc, owner.xuid)
    except MatchDocumentError as exc:
        fail(match_id, str(exc))
        return False
    except Exception as exc:  # a value no rule foresaw must fail its match only
        log.debug("match %s could not be extracted", match_id, exc_info=True)
        fail(match_id, f"cannot be extracted ({type(exc).__name__}: {exc})")
        return False
    if extracted.match_id.lower() != match_id.lower():
        fail(match_id, f"the body is for another match ({extracted.match_id})")
        return False
    if extracted.stats is None:
        fail(match_id, f"the owner xuid({owner.xuid}) is not among the match's players")
        return False
    documents = _other_documents(extracted, item.others) if item.others else {}
    if item.skill_error is not None:
        fail(match_id, item.skill_error, SKILL_DOCUMENT)
    elif item.skill_body is not None:
        try:
            skill_doc = parse_match_json(item.skill_body)
            extracted.details.update(extract_document(SKILL_DOCUMENT, skill_doc, match_id))
        except MatchDocumentError as exc:
            fail(match_id, f"skill document: {exc}", SKILL_DOCUMENT)
        except Exception as exc:  # a value no rule foresaw fails the skill document only
            log.debug("match %s: skill could not be extracted", match_id, exc_info=True)
            fail(match_id, f"skill document cannot be extracted ({type(exc).__name__}: {exc})",
                 SKILL_DOCUMENT)  # fmt: skip
        else:
            documents[SKILL_DOCUMENT] = orjson.dumps(skill_doc)
    # Stored compact: the same document as the API sent, without its whitespace.
    writer.add(extracted, orjson.dumps(doc), other_documents=documents)
    return SKILL_DOCUMENT in documents


def _other_documents(extracted: ExtractedMatch, others: dict[str, bytes]) -> dict[str, bytes]:
    """The documents of other kinds whose rows could be extracted, rows added to
    `extracted`; one that cannot be read is left out (its tables stay as they are)."""
    kept: dict[str, bytes] = {}
    for kind, raw in others.items():
        try:
            extracted.details.update(extract_document(kind, orjson.loads(raw), extracted.match_id))
        except (orjson.JSONDecodeError, MatchDocumentError) as exc:
            log.warning("match %s: %s document not stored (%s)", extracted.match_id, kind, exc)
            continue
        kept[kind] = raw
    return kept
