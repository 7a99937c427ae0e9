"""`levelup demo`: the whole ingestion path on a generated dataset, offline.

It writes a recorded-responses directory with the project's generator, syncs
it through exactly the path a real sync takes (history walk, fetch, extract,
bulk write, names), and shows what a player comes for. No account needed.
Each run starts from scratch: the demo's recorded directory and the demo
player's database are replaced, so what is shown is exactly what was generated.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from levelup.commands.common import (
    add_command,
    add_data_dir,
    int_at_least,
    key_value_table,
    stdout_console,
    whole_number,
)
from levelup.demo.career import write_career_documents
from levelup.demo.generator import DEMO_OWNER, write_recorded_dir
from levelup.errors import ConfigError
from levelup.interrupts import run_interruptibly
from levelup.sources.base import PlayerIdentity
from levelup.sources.recorded import RecordedSource
from levelup.store.database import (
    connect,
    database_errors,
    describe_os_error,
    new_player_db_path,
    open_player_db,
    resolve_data_dir,
)
from levelup.sync.players import claim_database
from levelup.sync.sync import SyncOptions, SyncReport, sync_player

# A demo match costs ~160 KB of disk (its recorded document and its database rows,
# measured on the default 150): the cap keeps a typo from filling a disk.
MAX_MATCHES = 20_000
DISK_NOTE = "about 160 KB of disk a match, some 3 GB at the cap"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = add_command(subparsers, "demo", __doc__)
    add_data_dir(parser)
    parser.add_argument(
        "--matches",
        type=int_at_least(1, MAX_MATCHES, DISK_NOTE),
        default=150,
        metavar="N",
        help=f"matches (default 150, at most {MAX_MATCHES:,}: {DISK_NOTE})",
    )
    parser.add_argument(
        "--seed", type=whole_number, default=7, metavar="N", help="generator seed (default 7)"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    data_dir = resolve_data_dir(args.data_dir)
    recorded = data_dir / "demo" / "recorded"
    db_path = new_player_db_path(data_dir, DEMO_OWNER.gamertag, DEMO_OWNER.xuid)
    try:
        _start_clean(recorded, db_path)
        summary = write_recorded_dir(recorded, args.matches, seed=args.seed)
        # The count and service records the API would give (complete by construction).
        write_career_documents(recorded, DEMO_OWNER.xuid)
    except OSError as exc:
        raise ConfigError(
            f"cannot write the demo under {data_dir}: {describe_os_error(exc)} "
            f"({exc.filename or recorded})"
        ) from None
    report = run_interruptibly(_sync(recorded, db_path))
    _show(db_path, recorded, summary.count, report)
    return report.exit_code


def _start_clean(recorded: Path, db_path: Path) -> None:
    """Remove what an earlier demo left: its recorded directory and its database.

    Why: the generator overwrites the files it writes and leaves the others, and
    a sync stops at the first match already stored, so a rerun with another
    `--matches` or `--seed` would mix two datasets (200 files for "generated 50",
    5 of the 50 stored). `new_player_db_path` only ever names a database that is
    the demo player's own or none, so no other player's data is touched.

    Raises:
        DatabaseBusyError: another process has the demo database open.
    """
    if recorded.exists():
        shutil.rmtree(recorded)
    if db_path.exists():
        connect(db_path).close()  # refuses clearly while another process holds it
        for path in (db_path, db_path.with_name(db_path.name + ".wal")):
            path.unlink(missing_ok=True)


async def _sync(recorded: Path, db_path: Path) -> SyncReport:
    source = RecordedSource(recorded)
    conn, _ = open_player_db(db_path)
    try:
        with database_errors(db_path):
            claim_database(conn, PlayerIdentity(DEMO_OWNER.xuid, DEMO_OWNER.gamertag), db_path)
            identity = await source.resolve_player(gamertag=DEMO_OWNER.gamertag)
            return await sync_player(conn, source, identity, SyncOptions())
    finally:
        conn.close()
        await source.aclose()


def _show(db_path: Path, recorded: Path, generated: int, report: SyncReport) -> None:
    import duckdb

    console = stdout_console()
    with duckdb.connect(str(db_path), read_only=True) as conn:
        totals = conn.execute(
            "SELECT count(*), sum(shots_fired), sum(shots_hit), "
            "100.0 * sum(shots_hit) / nullif(sum(shots_fired), 0), "
            "count(*) FILTER (WHERE shots_fired IS NULL) FROM match_stats"
        ).fetchall()[0]
        lobby = conn.execute(
            "SELECT count(*), count(DISTINCT xuid), count(*) FILTER (WHERE is_bot), "
            "100.0 * sum(shots_hit) / nullif(sum(shots_fired), 0) "
            "FROM match_participants WHERE xuid <> ?",
            [DEMO_OWNER.xuid],
        ).fetchall()[0]
        medals = conn.execute(
            "SELECT coalesce(n.name, 'medal ' || m.medal_id), sum(m.count) AS earned "
            "FROM match_medals AS m LEFT JOIN medal_names AS n USING (medal_id) "
            "WHERE m.xuid = ? GROUP BY ALL ORDER BY earned DESC, 1 LIMIT 5",
            [DEMO_OWNER.xuid],
        ).fetchall()
        journey = _csr_journey(conn)
    matches, fired, hit, accuracy, null_shots = totals
    rows = [
        ("generated matches", f"{generated} in {recorded}"),
        ("new matches stored this run", report.matches_written),
        ("matches in the database", matches),
        ("shots fired", fired),
        ("shots hit", hit),
        ("overall accuracy", f"{accuracy:.2f} %" if accuracy is not None else "n/a"),
        ("matches without shots", null_shots),
        ("participant rows (others)", lobby[0]),
        ("distinct other players", lobby[1]),
        ("bot rows", lobby[2]),
        ("everyone else's accuracy", f"{lobby[3]:.2f} %" if lobby[3] is not None else "n/a"),
        ("top medals", ", ".join(f"{name} x{count}" for name, count in medals) or "none"),
        *journey,
        ("database", db_path),
    ]
    console.print(key_value_table(f"LevelUp demo: {DEMO_OWNER.gamertag}", rows))
    console.print(
        f"Next: levelup report --player {DEMO_OWNER.gamertag}"
        + (f" --data-dir {db_path.parents[2]}" if db_path.parents[2] != Path("data") else "")
    )


def _csr_journey(conn: object) -> list[tuple[str, object]]:
    """The owner's rank in the ranked playlist, match by match: placement, the CSR
    it revealed, where it went, the peak, and the last ten moves."""
    rows = conn.execute(  # type: ignore[attr-defined]
        "SELECT k.pre_csr, k.post_csr, k.csr_change, k.post_tier, k.post_sub_tier, "
        "k.matches_remaining FROM match_skill AS k JOIN match_stats AS s USING (match_id) "
        "WHERE k.xuid = ? AND (k.post_csr IS NOT NULL OR k.matches_remaining > 0) "
        "ORDER BY s.start_time",
        [DEMO_OWNER.xuid],
    ).fetchall()
    if not rows:
        return [("ranked (CSR)", "no ranked match")]
    placements = sum(1 for pre, *_ in rows if pre is None)
    placed = [(post, tier, sub) for _, post, _, tier, sub, _ in rows if post is not None]
    if not placed:
        return [("ranked (CSR)", f"{len(rows)} placement match(es), no CSR yet")]

    def label(csr: int, tier: str | None, sub: int | None) -> str:
        if tier and tier != "Onyx" and sub is not None:
            return f"{csr} ({tier} {sub + 1})"  # the game shows sub-tiers 1-6
        return f"{csr} ({tier})" if tier else str(csr)

    first, last = placed[0], placed[-1]
    peak = max(placed, key=lambda p: p[0])
    moves = " ".join(f"{change:+d}" for _, _, change, *_ in rows[-10:] if change is not None)
    return [
        ("ranked matches", f"{len(rows)} ({placements} placement)"),
        ("CSR journey", f"{label(*first)} -> {label(*last)}, peak {label(*peak)}"),
        ("last CSR changes", moves or "none"),
    ]
