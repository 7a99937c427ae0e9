"""The engine: bulk, batched, transactional writes on a real DuckDB file."""

from __future__ import annotations

import duckdb
import orjson
import pytest

from levelup.extract.match import extract_match, parse_match_json
from levelup.store.database import open_player_db
from levelup.store.writer import MatchWriter
from tests.helpers import core, match, player

OWNER = "2535400000000001"


def _extracted(match_id: str, fired: int = 100, hit: int = 50):
    doc = match(
        match_id,
        [
            player(f"xuid({OWNER})", (0, core(ShotsFired=fired, ShotsHit=hit))),
            player("xuid(2535400000000002)", (1, core(ShotsFired=10, ShotsHit=1))),
            player("bid(8.0)", (1, core(ShotsFired=5, ShotsHit=5)), player_type=2),
        ],
    )
    raw = orjson.dumps(doc)
    return extract_match(parse_match_json(raw), OWNER), raw


def _count(conn, table):
    return conn.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]


def test_batches_write_all_three_tables(tmp_path):
    conn, _ = open_player_db(tmp_path / "db.duckdb")
    flushed: list[list[str]] = []
    writer = MatchWriter(conn, batch_size=3, on_flush=flushed.append)
    for i in range(7):
        writer.add(*_extracted(f"m{i}"))
    assert writer.batches == 2 and writer.pending == 1
    writer.flush()
    assert [len(ids) for ids in flushed] == [3, 3, 1]
    assert _count(conn, "match_stats") == 7
    assert _count(conn, "match_participants") == 21
    assert _count(conn, "match_documents") == 7
    row = conn.execute(
        "SELECT shots_fired, shots_hit, accuracy, created_at IS NOT NULL FROM match_stats "
        "WHERE match_id = 'm3'"
    ).fetchall()[0]
    assert row == (100, 50, 50.0, True)
    bots = conn.execute("SELECT xuid FROM match_participants WHERE is_bot").fetchall()
    assert {b[0] for b in bots} == {"bid(8.0)"}
    conn.close()


def test_time_based_flush(tmp_path):
    conn, _ = open_player_db(tmp_path / "db.duckdb")
    now = [0.0]
    writer = MatchWriter(conn, batch_size=1000, max_seconds=5, clock=lambda: now[0])
    writer.add(*_extracted("a"))
    assert writer.pending == 1
    now[0] = 6.0
    writer.add(*_extracted("b"))
    assert writer.pending == 0 and _count(conn, "match_stats") == 2
    conn.close()


def test_the_last_copy_of_a_match_in_a_batch_wins(tmp_path):
    conn, _ = open_player_db(tmp_path / "db.duckdb")
    writer = MatchWriter(conn)
    writer.add(*_extracted("a", fired=10, hit=1))
    writer.add(*_extracted("a", fired=20, hit=2))
    writer.flush()
    assert conn.execute("SELECT shots_fired FROM match_stats").fetchall() == [(20,)]
    assert _count(conn, "match_participants") == 3
    conn.close()


def test_a_failing_batch_writes_nothing(tmp_path):
    conn, _ = open_player_db(tmp_path / "db.duckdb")
    writer = MatchWriter(conn)
    writer.add(*_extracted("a"))
    conn.execute("DROP TABLE match_documents")  # a later statement of the batch will fail
    with pytest.raises(duckdb.Error):
        writer.flush()
    assert _count(conn, "match_stats") == 0
    assert _count(conn, "match_participants") == 0
    conn.close()


def test_rewrites_keep_columns_the_tool_does_not_know_and_created_at(tmp_path):
    conn, _ = open_player_db(tmp_path / "db.duckdb")
    conn.execute("ALTER TABLE match_stats ADD COLUMN my_note VARCHAR")
    writer = MatchWriter(conn)
    writer.add(*_extracted("a"))
    writer.flush()
    conn.execute("UPDATE match_stats SET my_note = 'keep me', created_at = '2020-01-01'")
    conn.execute("INSERT INTO player_names VALUES ('2535400000000002', 'Mate', now())")
    writer.add(*_extracted("a", fired=300, hit=3))
    writer.flush()
    assert conn.execute(
        "SELECT my_note, shots_fired, created_at::DATE::VARCHAR FROM match_stats"
    ).fetchall() == [("keep me", 300, "2020-01-01")]
    # Gamertags come from the name cache; a rewrite never erases a known one.
    names = dict(conn.execute("SELECT xuid, gamertag FROM match_participants").fetchall())
    assert names["2535400000000002"] == "Mate"
    conn.close()


def test_a_match_without_the_owner_is_refused(tmp_path):
    conn, _ = open_player_db(tmp_path / "db.duckdb")
    extracted, raw = _extracted("a")
    extracted.stats = None
    with pytest.raises(ValueError, match="no owner row"):
        MatchWriter(conn).add(extracted, raw)
    conn.close()


def test_the_bulk_memory_limit_grows_with_the_file(tmp_path, monkeypatch) -> None:
    """A first sync starts from an empty file: the limit set then (128 MiB) must grow
    as the file does, or the key indexes run out of room at the end of a long sync."""
    from levelup.store import database

    conn, _ = database.open_player_db(tmp_path / "db.duckdb")

    def limit() -> str:
        return conn.execute("SELECT current_setting('memory_limit')").fetchall()[0][0]

    default = limit()
    database.grow_bulk_memory(conn)  # outside a bulk phase: nothing
    assert limit() == default
    with database.bulk_writes(conn):
        assert limit() == "128.0 MiB"
        monkeypatch.setattr(database.os.path, "getsize", lambda _path: 600 * 2**20)
        database.grow_bulk_memory(conn)
        assert limit() == "300.0 MiB"  # half the file
        monkeypatch.setattr(database.os.path, "getsize", lambda _path: 10 * 2**20)
        database.grow_bulk_memory(conn)  # never lowered
        assert limit() == "300.0 MiB"
    assert limit() not in ("128.0 MiB", "300.0 MiB")  # restored (DuckDB rounds the text)
    conn.close()
