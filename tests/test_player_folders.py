"""One folder per player: gamertags that fold or sanitize to the same readable name
never share a database, and a database is never taken for another player's.

Real subprocess runs of `python -m levelup` on hand-written recorded directories.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from levelup.errors import ConfigError
from levelup.sources.base import PlayerIdentity
from levelup.store.database import (
    find_player_db,
    new_player_db_path,
    open_player_db,
    player_folder_name,
)
from levelup.store.schema import get_meta, set_meta
from levelup.sync.players import claim_database
from tests.helpers import core, last_json, match, player, run_cli, write_recorded_dir

XUID_A = "2535400000000011"
XUID_B = "2535400000000022"


def _match_of(xuid: str, n: int) -> dict:
    return match(
        f"00000000-0000-4000-8000-{int(xuid[-2:]) * 100 + n:012d}",
        [player(f"xuid({xuid})", (0, core(ShotsFired=10 * n, ShotsHit=n)))],
        start=f"2025-01-0{n}T10:00:00.000Z",
    )


def _recorded(root: Path, gamertag_a: str, gamertag_b: str) -> Path:
    """Player A has matches 1-2, player B matches 1-3 (their own ids)."""
    docs = [_match_of(XUID_A, n) for n in (1, 2)] + [_match_of(XUID_B, n) for n in (1, 2, 3)]
    players = [{"gamertag": gamertag_a, "xuid": XUID_A}, {"gamertag": gamertag_b, "xuid": XUID_B}]
    return write_recorded_dir(root, docs, players)


def _owner_and_count(db: Path) -> tuple[str, int, set[str]]:
    with duckdb.connect(str(db), read_only=True) as conn:
        owner = conn.execute("SELECT value FROM levelup_meta WHERE key = 'owner_xuid'").fetchall()
        count = conn.execute("SELECT count(*) FROM match_stats").fetchall()[0][0]
        players = {r[0] for r in conn.execute("SELECT xuid FROM match_participants").fetchall()}
    return owner[0][0], count, players


def _sync(recorded: Path, data: Path, gamertag: str):
    return run_cli("sync", "--player", gamertag, "--source", str(recorded),
                   "--data-dir", str(data), "--json")  # fmt: skip


def test_folder_names_fold_accents_and_keep_other_letters() -> None:
    assert player_folder_name("Démo Spártan 幽霊") == "Demo_Spartan_幽霊"
    assert player_folder_name("Dúmo Spártan 幽霊") == "Dumo_Spartan_幽霊"
    assert player_folder_name("A B") == player_folder_name("A_B") == "A_B"
    assert player_folder_name("../x") == "___x"
    long = player_folder_name("幽" * 300)
    assert len(long.encode()) <= 80 and long == "幽" * 26


@pytest.mark.parametrize(
    ("gamertag_a", "gamertag_b", "folder_b"),
    [
        ("Démo Spártan 幽霊", "Dúmo Spártan 幽霊", "Dumo_Spartan_幽霊"),
        ("A B", "A_B", f"A_B-{XUID_B}"),
        ("Démo", "Demo", f"Demo-{XUID_B}"),
        # "Demo" and "demo" are one folder on a case-insensitive file system.
        ("Démo", "demo", f"demo-{XUID_B}"),
    ],
)
def test_two_players_never_share_a_folder(
    tmp_path: Path, gamertag_a: str, gamertag_b: str, folder_b: str
) -> None:
    recorded = _recorded(tmp_path / "rec", gamertag_a, gamertag_b)
    data = tmp_path / "data"
    first = _sync(recorded, data, gamertag_a)
    assert first.returncode == 0, first.stderr
    second = _sync(recorded, data, gamertag_b)
    assert second.returncode == 0, second.stderr
    report = last_json(second.stdout)
    assert report["xuid"] == XUID_B and report["matches_written"] == 3

    folders = sorted(p.name for p in (data / "players").iterdir())
    assert folders == sorted([player_folder_name(gamertag_a), folder_b])
    db_a = data / "players" / player_folder_name(gamertag_a) / "stats.duckdb"
    db_b = data / "players" / folder_b / "stats.duckdb"
    assert _owner_and_count(db_a) == (XUID_A, 2, {XUID_A})
    assert _owner_and_count(db_b) == (XUID_B, 3, {XUID_B})

    # Each name finds its own player's database, for sync and report alike.
    again = _sync(recorded, data, gamertag_b)
    assert again.returncode == 0 and last_json(again.stdout)["xuid"] == XUID_B
    assert last_json(again.stdout)["matches_new"] == 0
    for gamertag, xuid, count in ((gamertag_a, XUID_A, 2), (gamertag_b, XUID_B, 3)):
        shown = run_cli("report", "--player", gamertag, "--data-dir", str(data), "--json")
        assert shown.returncode == 0, shown.stderr
        figures = last_json(shown.stdout)
        assert figures["player"]["xuid"] == xuid, figures["player"]
        assert figures["database"].endswith(
            str(Path(db_a if xuid == XUID_A else db_b).relative_to(data))
        )
        assert figures["matches"] == count


def test_a_database_is_not_found_by_folder_when_it_records_another_owner(tmp_path: Path) -> None:
    data = tmp_path / "data"
    path = new_player_db_path(data, "A B", XUID_A)
    conn, _ = open_player_db(path)
    try:
        claim_database(conn, PlayerIdentity(XUID_A, "A B"), path)
    finally:
        conn.close()
    assert find_player_db(data, "A B") is not None
    assert find_player_db(data, "A_B") is None  # same folder name, not the same player
    assert new_player_db_path(data, "A_B", XUID_B).parent.name == f"A_B-{XUID_B}"
    assert new_player_db_path(data, "A B", XUID_A) == path


def test_claiming_a_database_checks_the_stored_owner(tmp_path: Path) -> None:
    path = tmp_path / "players" / "X" / "stats.duckdb"
    conn, _ = open_player_db(path)
    try:
        set_meta(conn, "owner_xuid", XUID_A)
        with pytest.raises(ConfigError, match=f"belongs to xuid {XUID_A}"):
            claim_database(conn, PlayerIdentity(XUID_B, "B"), path)
        assert get_meta(conn, "owner_xuid") == XUID_A
        assert get_meta(conn, "owner_gamertag") is None
        claim_database(conn, PlayerIdentity(XUID_A, "A"), path)
        assert get_meta(conn, "owner_gamertag") == "A"
    finally:
        conn.close()


def test_a_busy_database_is_never_passed_over_for_a_second_folder(tmp_path: Path) -> None:
    """`levelup demo` while another process holds the demo player's database used to
    create `DemoSpartan-<xuid>` beside it: two databases for one player."""
    import duckdb

    from levelup.demo.generator import DEMO_OWNER

    data = tmp_path / "data"
    first = run_cli("demo", "--matches", "5", "--data-dir", str(data))
    assert first.returncode == 0, first.stderr
    folders = sorted(p.name for p in (data / "players").iterdir())
    holder = duckdb.connect(str(data / "players" / folders[0] / "stats.duckdb"))  # a writer
    try:
        again = run_cli("demo", "--matches", "5", "--data-dir", str(data))
    finally:
        holder.close()
    assert again.returncode == 2, again.stderr
    assert "in use by another LevelUp process" in again.stderr
    assert sorted(p.name for p in (data / "players").iterdir()) == folders == [DEMO_OWNER.gamertag]
