"""Migrations: an older database is upgraded in place, losing no row and no column."""

from __future__ import annotations

import duckdb
import pytest

from levelup.errors import ConfigError
from levelup.store.database import open_player_db
from levelup.store.schema import SCHEMA_VERSION, TABLES, existing_columns, migrate, set_meta
from tests.helpers import FIXTURE_PLAYER, MATCH_FILES, needs_fixtures
from tests.old_layout import make_old_database


def _snapshot(conn, table):
    cols = list(existing_columns(conn, table))
    return cols, sorted(conn.execute(f"SELECT * FROM {table}").fetchall(), key=str)


@needs_fixtures
@pytest.mark.parametrize("with_keys", [True, False], ids=["with-keys", "without-keys"])
def test_old_layout_is_upgraded_without_losing_anything(tmp_path, with_keys):
    path = tmp_path / "players" / "Old" / "stats.duckdb"
    bodies = [p.read_bytes() for p in MATCH_FILES]
    make_old_database(path, bodies, FIXTURE_PLAYER, with_keys=with_keys)
    with duckdb.connect(str(path)) as conn:
        before = {t: _snapshot(conn, t) for t in ("match_stats", "match_participants")}

    conn, report = open_player_db(path)
    try:
        assert report.from_version is None and report.to_version == SCHEMA_VERSION
        assert "match_participants.shots_fired" in report.added_columns
        assert "match_stats.damage_dealt" in report.added_columns
        for table, (old_cols, old_rows) in before.items():
            cols = existing_columns(conn, table)
            # Every old column is still there, first, in order, with its type.
            assert list(cols)[: len(old_cols)] == old_cols
            rows = conn.execute(f"SELECT {', '.join(old_cols)} FROM {table}").fetchall()
            assert sorted(rows, key=str) == old_rows
            expected_cols = TABLES[table][0]
            assert set(expected_cols) <= set(cols)
        assert existing_columns(conn, "match_stats")["accuracy"] == "FLOAT"
        assert conn.execute("SELECT count(my_note) FROM match_stats").fetchall()[0][0] == len(
            bodies
        )
        assert (
            conn.execute("SELECT count(shots_fired) FROM match_participants").fetchall()[0][0] == 0
        )
        # Upserts need a unique key: an old table without one gets a unique index.
        conn.execute(
            "INSERT INTO match_stats (match_id, kills) VALUES (?, 1) "
            "ON CONFLICT (match_id) DO UPDATE SET kills = excluded.kills",
            [before["match_stats"][1][0][0]],
        )
    finally:
        conn.close()


def test_migration_is_idempotent_and_recorded(tmp_path):
    path = tmp_path / "db.duckdb"
    conn, first = open_player_db(path)
    conn.close()
    assert first.created_tables and first.changed
    conn, second = open_player_db(path)
    try:
        assert not second.changed
        # Forcing every step again changes nothing either.
        set_meta(conn, "schema_version", "0")
        again = migrate(conn)
        assert not again.created_tables and not again.added_columns and not again.added_keys
    finally:
        conn.close()


def test_a_database_from_a_newer_levelup_is_refused(tmp_path):
    path = tmp_path / "db.duckdb"
    conn, _ = open_player_db(path)
    set_meta(conn, "schema_version", str(SCHEMA_VERSION + 1))
    conn.close()
    with pytest.raises(ConfigError, match="newer"):
        open_player_db(path)


def test_duplicated_keys_stop_the_upgrade_with_a_clear_message(tmp_path):
    path = tmp_path / "db.duckdb"
    with duckdb.connect(str(path)) as conn:
        conn.execute("CREATE TABLE match_stats (match_id VARCHAR, kills INTEGER)")
        conn.execute("INSERT INTO match_stats VALUES ('a', 1), ('a', 2)")
    with pytest.raises(ConfigError, match="duplicated key"):
        open_player_db(path)
    with duckdb.connect(str(path)) as conn:  # nothing was half-applied
        assert conn.execute("SELECT count(*) FROM match_stats").fetchall()[0][0] == 2
        assert "levelup_meta" not in {r[0] for r in conn.execute("SHOW TABLES").fetchall()}


def test_participant_ids_of_older_tools_are_normalized_to_digits(tmp_path):
    path = tmp_path / "db.duckdb"
    with duckdb.connect(str(path)) as conn:
        conn.execute(
            "CREATE TABLE match_participants (match_id VARCHAR, xuid VARCHAR, kills INTEGER, "
            "PRIMARY KEY (match_id, xuid))"
        )
        conn.execute(
            "INSERT INTO match_participants VALUES ('m', 'xuid(123)', 1), ('m', 'bid(8.0)', 2), "
            "('m', 'xuid(456)', 3), ('m', '456', 4)"
        )
    conn, report = open_player_db(path)
    try:
        assert report.normalized_ids == 1
        rows = conn.execute("SELECT xuid, kills FROM match_participants ORDER BY kills").fetchall()
        # The conflicting pair is kept as is: choosing one would lose a row.
        assert rows == [("123", 1), ("bid(8.0)", 2), ("xuid(456)", 3), ("456", 4)]
    finally:
        conn.close()
