"""Whole-table digests of a player database, or file digests of a recorded directory.

A refactoring that must not change behaviour (issue 15) is checked by syncing the
same recorded directory before and after it and comparing these digests: one line
per table with its row count and an order-independent hash of its rows. Columns that
differ from run to run by design (when a row was written, by which run) are left out.

Usage:
    python benchmarks/digests.py db PATH.duckdb [--out FILE]
    python benchmarks/digests.py dir RECORDED_DIR [--out FILE]
    python benchmarks/digests.py compare BEFORE AFTER
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

import duckdb

# Written at run time, not extracted: they differ between two runs of the same sync.
VOLATILE_COLUMNS = {"created_at", "updated_at", "fetched_at", "sync_run_id", "started_at",
                    "finished_at", "run_id", "checked_at", "logged_at",
                    "walk_started_at", "walk_finished_at"}  # fmt: skip
# Tables that only describe the runs themselves.
VOLATILE_TABLES = {"sync_runs", "backfill_log", "levelup_meta"}


def _stable_columns(conn: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    rows = conn.execute(f'DESCRIBE "{table}"').fetchall()
    names = [name for name, *_ in rows]
    return [n for n in names if n not in VOLATILE_COLUMNS]


def database_digests(path: Path) -> dict[str, str]:
    """Table name -> "rows hash" for every table of a player database, read-only."""
    conn = duckdb.connect(str(path), read_only=True)
    try:
        tables = [
            name
            for (name,) in conn.execute(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = 'main' ORDER BY table_name"
            ).fetchall()
            if name not in VOLATILE_TABLES
        ]
        digests = {}
        for table in tables:
            columns = ", ".join(f'"{c}"' for c in _stable_columns(conn, table))
            # Row hashes summed as HUGEINT: independent of row order, exact.
            count, total = conn.execute(
                f'SELECT count(*), coalesce(sum(hash(({columns}))::HUGEINT), 0) FROM "{table}"'
            ).fetchall()[0]
            digests[table] = f"{count} {total}"
        return digests
    finally:
        conn.close()


def directory_digests(root: Path) -> dict[str, str]:
    """Relative file path -> sha256 of its bytes, for every file under `root`
    except the recorded source's own index (a cache it rebuilds)."""
    digests = {}
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        relative = path.relative_to(root).as_posix()
        if relative.startswith(".levelup"):
            continue
        digests[relative] = hashlib.sha256(path.read_bytes()).hexdigest()
    return digests


def _read(path: Path) -> dict[str, str]:
    lines = path.read_text().splitlines()
    return dict(line.split("\t", 1) for line in lines if line)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("mode", choices=["db", "dir", "compare"])
    parser.add_argument("paths", type=Path, nargs="+")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    if args.mode == "compare":
        before, after = (_read(p) for p in args.paths[:2])
        differ = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
        for key in differ:
            print(f"{key}: {before.get(key)} -> {after.get(key)}")
        print(f"{len(before)} entries, {len(differ)} differ")
        return 1 if differ else 0
    source = args.paths[0]
    digests = database_digests(source) if args.mode == "db" else directory_digests(source)
    text = "".join(f"{key}\t{value}\n" for key, value in digests.items())
    if args.out:
        args.out.write_text(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
