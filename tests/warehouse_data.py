"""Multi-player data dirs for the export and SQL tests, built through the real sync.

Each generated player gets a recorded-responses directory from
`levelup.demo.generator` and a `python -m levelup sync --source DIR` into the
shared data dir, exactly as a user would build it.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb
import orjson

from levelup.demo.generator import GeneratedPlayer, iter_matches, write_recorded_dir
from levelup.store.database import player_db_path
from tests.helpers import last_json, run_cli
from tests.old_layout import make_old_database


@dataclass(frozen=True)
class Player:
    gamertag: str
    xuid: str
    matches: int
    seed: int

    @property
    def owner(self) -> GeneratedPlayer:
        return GeneratedPlayer(xuid=self.xuid, gamertag=self.gamertag)


# A quote and a space in a gamertag: folder names and SQL literals must cope.
ALPHA = Player("Alpha One", "2535400000000011", 90, 1)
BRAVO = Player("Bravo's Two", "2535400000000022", 60, 2)
OLD = Player("Old Timer", "2535400000000033", 25, 3)


def sync_generated(data_dir: Path, player: Player, work: Path) -> Path:
    """Generate `player`'s matches and sync them with the CLI; the database path."""
    recorded = work / f"recorded-{player.xuid}"
    write_recorded_dir(recorded, player.matches, seed=player.seed, owner=player.owner, compact=True)
    result = run_cli(
        "sync", "--player", player.gamertag, "--source", str(recorded),
        "--data-dir", str(data_dir), "--json",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert last_json(result.stdout)["matches_written"] == player.matches
    return player_db_path(data_dir, player.gamertag)


def make_old_player(data_dir: Path, player: Player) -> Path:
    """A database from an older LevelUp: two tables in their first layout (no shots,
    accuracy as FLOAT, an extra column), no names, no stored JSON, owner recorded."""
    path = player_db_path(data_dir, player.gamertag)
    bodies = [orjson.dumps(d) for d in iter_matches(player.matches, seed=player.seed,
                                                    owner=player.owner)]  # fmt: skip
    make_old_database(path, bodies, player.xuid)
    with duckdb.connect(str(path)) as conn:
        conn.execute("CREATE TABLE levelup_meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
        conn.execute(
            "INSERT INTO levelup_meta VALUES ('owner_xuid', ?), ('owner_gamertag', ?)",
            [player.xuid, player.gamertag],
        )
    return path


def build_data_dir(root: Path, *, with_old: bool = True) -> Path:
    """ALPHA and BRAVO synced, and (with_old) OLD in the old layout, under root/data."""
    data_dir = root / "data"
    for player in (ALPHA, BRAVO):
        sync_generated(data_dir, player, root)
    if with_old:
        make_old_player(data_dir, OLD)
    return data_dir


class WriterHold:
    """Another process holding a database open for writing (what a running sync does)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.process: subprocess.Popen[str] | None = None

    def __enter__(self) -> WriterHold:
        code = (
            "import duckdb, sys, time\n"
            f"conn = duckdb.connect({str(self.path)!r})\n"
            "print('locked', flush=True)\n"
            "sys.stdin.read()\n"
        )
        self.process = subprocess.Popen(
            [sys.executable, "-c", code],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        assert line.strip() == "locked", line
        return self

    def __exit__(self, *exc: object) -> None:
        assert self.process is not None
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=60)


def table_digest(conn: duckdb.DuckDBPyConnection, sql: str, columns: list[str]) -> tuple:
    """(rows, order-independent digest of every value) of a query's result."""
    cols = ", ".join(f'"{c}"' for c in columns)
    rows = conn.execute(
        f"SELECT count(*), coalesce(sum(hash({cols})::HUGEINT), 0) FROM ({sql})"
    ).fetchall()
    return tuple(rows[0])
