"""`levelup sql`: one read-only query over every tracked player.

Real databases synced by the CLI from generated matches (tests/warehouse_data.py),
real `python -m levelup sql` runs; expected values are computed from each
database directly.
"""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import duckdb
import pytest

from levelup.store.database import player_db_path
from levelup.warehouse.sql import (
    RefusedStatement,
    SqlError,
    check_read_only,
    open_catalog,
    run_query,
)
from levelup.warehouse.tables import data_tables
from tests.helpers import last_json, run_cli
from tests.warehouse_data import ALPHA, BRAVO, OLD, WriterHold, build_data_dir


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_data_dir(tmp_path_factory.mktemp("sql"))


def sql(data_dir: Path, query: str, *args: str):
    return run_cli("sql", query, "--data-dir", str(data_dir), *args)


def _from_each(data_dir: Path, query: str) -> dict[str, list[tuple]]:
    found = {}
    for player in (ALPHA, BRAVO, OLD):
        path = player_db_path(data_dir, player.gamertag)
        with duckdb.connect(str(path), read_only=True) as conn:
            found[player.gamertag] = conn.execute(query).fetchall()
    return found


def test_accuracy_per_player_across_databases(data_dir: Path):
    result = sql(
        data_dir,
        "SELECT player_gamertag, player_xuid, sum(shots_hit) / sum(shots_fired) AS ratio, "
        "count(*) AS matches FROM match_stats GROUP BY ALL ORDER BY player_gamertag",
        "--format", "json",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    payload = last_json(result.stdout)
    assert payload["columns"] == ["player_gamertag", "player_xuid", "ratio", "matches"]
    expected = _from_each(
        data_dir, "SELECT sum(shots_hit) / sum(shots_fired), count(*) FROM match_stats"
    )
    rows = {row[0]: row for row in payload["rows"]}
    assert set(rows) == {ALPHA.gamertag, BRAVO.gamertag, OLD.gamertag}
    for player in (ALPHA, BRAVO):
        ratio, matches = expected[player.gamertag][0]
        assert rows[player.gamertag][1] == player.xuid
        assert rows[player.gamertag][2] == pytest.approx(ratio, rel=1e-12)
        assert rows[player.gamertag][3] == matches == player.matches
    # The old layout never stored shots: its ratio is unknown, not zero.
    assert rows[OLD.gamertag][2] is None and rows[OLD.gamertag][3] == OLD.matches


def test_every_table_is_one_view_over_every_player(data_dir: Path):
    union = " UNION ALL ".join(
        f"SELECT '{spec.name}' AS t, player_xuid, count(*) AS n FROM {spec.name} GROUP BY ALL"
        for spec in data_tables()
    )
    result = sql(data_dir, f"SELECT * FROM ({union}) ORDER BY ALL", "--format", "csv")
    assert result.returncode == 0, result.stderr
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[0] == ["t", "player_xuid", "n"]
    got = {(t, x): int(n) for t, x, n in rows[1:]}
    for player in (ALPHA, BRAVO, OLD):
        path = player_db_path(data_dir, player.gamertag)
        with duckdb.connect(str(path), read_only=True) as conn:
            present = {
                r[0] for r in conn.execute("SELECT table_name FROM duckdb_tables()").fetchall()
            }
            for spec in data_tables():
                stored = conn.execute(f"SELECT count(*) FROM {spec.name}").fetchall()[0][0] \
                    if spec.name in present else 0  # fmt: skip
                assert got.get((spec.name, player.xuid), 0) == stored, (spec.name, player)
    assert got[("match_participants", ALPHA.xuid)] > ALPHA.matches
    # The query reads player_names, which the old database lacks: said, not hidden.
    assert f"player_names is not in the database of {OLD.gamertag}" in result.stderr


def test_what_each_run_wrote_is_one_query(data_dir: Path):
    """`sync_runs` and `failed_matches` are views too, and every data table shows the
    `sync_run_id` (and write times) of its rows."""
    by_run = sql(data_dir, "SELECT player_gamertag, sync_run_id, count(*) FROM match_stats "
                 "GROUP BY ALL", "--format", "json")  # fmt: skip
    assert by_run.returncode == 0, by_run.stderr
    got = {(g, run): n for g, run, n in last_json(by_run.stdout)["rows"]}
    expected, runs_stored = {}, []
    for player in (ALPHA, BRAVO, OLD):
        path = player_db_path(data_dir, player.gamertag)
        with duckdb.connect(str(path), read_only=True) as conn:
            tables = {
                r[0] for r in conn.execute("SELECT table_name FROM duckdb_tables()").fetchall()
            }
            columns = {r[0] for r in conn.execute("DESCRIBE match_stats").fetchall()}
            run = "sync_run_id" if "sync_run_id" in columns else "NULL"  # an older layout
            for run_id, n in conn.execute(
                f"SELECT {run}, count(*) FROM match_stats GROUP BY ALL"
            ).fetchall():
                expected[(player.gamertag, run_id)] = n
            if "sync_runs" in tables:
                runs_stored += [
                    (player.gamertag, *row)
                    for row in conn.execute("SELECT run_id, status FROM sync_runs").fetchall()
                ]
    assert got == expected
    assert any(run is not None for _, run in got)
    runs = sql(data_dir, "SELECT player_gamertag, run_id, status FROM sync_runs", "--format",
               "json")  # fmt: skip
    assert runs.returncode == 0, runs.stderr
    assert sorted(tuple(r) for r in last_json(runs.stdout)["rows"]) == sorted(runs_stored)
    columns = last_json(sql(data_dir, "SELECT * FROM match_medals LIMIT 0", "--format",
                            "json").stdout)["columns"]  # fmt: skip
    assert columns[-1] == "sync_run_id"
    stats_columns = last_json(sql(data_dir, "SELECT * FROM match_stats LIMIT 0", "--format",
                                  "json").stdout)["columns"]  # fmt: skip
    assert stats_columns[-3:] == ["created_at", "updated_at", "sync_run_id"]
    failed = sql(data_dir, "SELECT count(*) FROM failed_matches", "--format", "csv")
    assert failed.returncode == 0, failed.stderr


def test_player_selection_and_the_players_view(data_dir: Path):
    result = sql(data_dir, "SELECT player_gamertag, database FROM levelup_players",
                 "--player", BRAVO.xuid, "--format", "json")  # fmt: skip
    assert result.returncode == 0, result.stderr
    payload = last_json(result.stdout)
    assert payload["rows"] == [[BRAVO.gamertag, str(player_db_path(data_dir, BRAVO.gamertag))]]
    result = sql(data_dir, "SELECT DISTINCT player_xuid FROM match_participants",
                 "--player", ALPHA.gamertag, "--player", OLD.gamertag, "--format", "csv")  # fmt: skip
    assert sorted(result.stdout.split()[1:]) == sorted([ALPHA.xuid, OLD.xuid])


def test_table_output_is_rich(data_dir: Path):
    result = sql(data_dir, "SELECT player_gamertag, count(*) AS n FROM match_stats GROUP BY ALL "
                 "ORDER BY n DESC")  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "player_gamertag" in result.stdout and "┃" in result.stdout
    assert ALPHA.gamertag in result.stdout and str(ALPHA.matches) in result.stdout
    assert "3 row(s)" in result.stderr


def test_a_table_too_wide_for_the_terminal_is_shown_one_block_per_row(data_dir: Path):
    """`SELECT *` of match_stats (40+ columns) in 100 columns: every column name and
    value readable on its own line, not folded into one-letter columns."""
    query = "SELECT * FROM match_stats ORDER BY match_id LIMIT 2"
    result = run_cli("sql", query, "--data-dir", str(data_dir), env={"COLUMNS": "100"})
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert [line for line in lines if line.startswith("-[ row")] == ["-[ row 1 ]-", "-[ row 2 ]-"]
    first = sql(data_dir, query, "--format", "json")
    payload = last_json(first.stdout)
    block = lines[1 : 1 + len(payload["columns"])]
    assert [line.split(" | ", 1)[0].rstrip() for line in block] == payload["columns"]
    match_id = payload["rows"][0][payload["columns"].index("match_id")]
    assert f"| {match_id}" in block[payload["columns"].index("match_id")]


@pytest.mark.parametrize(
    "query, message",
    [
        ("DELETE FROM match_stats", "refused: DELETE"),
        ("UPDATE match_stats SET kills = 0", "refused: UPDATE"),
        ("INSERT INTO match_stats (match_id) VALUES ('x')", "refused: INSERT"),
        ("DROP VIEW match_stats", "refused: DROP"),
        ("CREATE TABLE t AS SELECT 1", "refused: CREATE"),
        ("COPY (SELECT 1) TO 'stolen.csv'", "refused: COPY"),
        ("ATTACH 'other.duckdb' AS o", "refused: ATTACH"),
        ("PRAGMA database_list", "refused: PRAGMA"),
        ("SET threads = 1", "refused: SET"),
        ("INSTALL httpfs", "refused: INSTALL statements"),  # DuckDB's type says LOAD
        ("EXPLAIN ANALYZE DELETE FROM match_stats", "refused: DELETE"),
        ("SELECT 1; DELETE FROM match_stats", "give one statement, not 2"),
    ],
)
def test_writing_statements_are_refused(data_dir: Path, tmp_path: Path, query: str, message):
    before = _from_each(data_dir, "SELECT count(*), sum(kills) FROM match_stats")
    result = run_cli("sql", query, "--data-dir", str(data_dir), cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]  # one line
    assert message in result.stderr
    assert _from_each(data_dir, "SELECT count(*), sum(kills) FROM match_stats") == before
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize(
    "query, message",
    [
        ("SELEC player_xuid FROM match_stats", 'syntax error at or near "SELEC"'),
        ("SELECT no_such_column FROM match_stats", 'Referenced column "no_such_column" not found'),
        ("SELECT * FROM no_such_table", "no_such_table"),
        ("SELECT CAST('abc' AS INTEGER)", "Conversion Error"),
        ("", "no statement given"),
    ],
)
def test_sql_errors_are_one_clear_line_exit_2(data_dir: Path, query: str, message: str):
    result = sql(data_dir, query)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("levelup: error: "), result.stderr
    assert message in lines[0]


def test_read_statements_pass_the_check():
    for query in ("SELECT 1", "WITH x AS (SELECT 1) SELECT * FROM x", "FROM match_stats",
                  "DESCRIBE match_stats", "SHOW TABLES", "SUMMARIZE match_stats", "VALUES (1)",
                  "EXPLAIN SELECT 1", "EXPLAIN ANALYZE SELECT 1", "select 1;"):  # fmt: skip
        assert check_read_only(query)
    with pytest.raises(RefusedStatement):
        check_read_only("CHECKPOINT")
    with pytest.raises(SqlError):
        check_read_only("SELECT (")


def test_attached_databases_refuse_writes_even_past_the_check(data_dir: Path, tmp_path: Path):
    """The statement check is one guard; the read-only attach and the disabled file
    system are the other, tried here directly on the engine."""
    from levelup.store.database import list_player_dbs

    catalog = open_catalog(list_player_dbs(data_dir), named=False)
    try:
        for statement in ("DELETE FROM player_0.match_stats",
                          "CREATE TABLE player_0.x AS SELECT 1",
                          f"COPY (SELECT 1) TO '{tmp_path / 'x.csv'}'",
                          f"SELECT * FROM read_csv('{tmp_path / 'x.csv'}')",
                          "SET enable_external_access = true"):  # fmt: skip
            with pytest.raises(SqlError):
                run_query(catalog, statement)
        assert run_query(catalog, "SELECT count(*) FROM match_stats").rows == [
            (ALPHA.matches + BRAVO.matches + OLD.matches,)
        ]
    finally:
        catalog.close()
    assert not (tmp_path / "x.csv").exists()


def test_busy_database_is_skipped_with_a_warning_or_exit_2_when_named(data_dir, tmp_path):
    own = tmp_path / "data"
    shutil.copytree(data_dir, own)
    busy = player_db_path(own, BRAVO.gamertag)
    with WriterHold(busy):
        result = sql(own, "SELECT player_gamertag, count(*) FROM match_stats GROUP BY ALL "
                     "ORDER BY ALL", "--format", "csv")  # fmt: skip
        assert result.returncode == 1
        assert f"skipped: the database {busy} is in use by another LevelUp" in result.stderr
        assert result.stderr.count(str(busy)) == 1  # the reason names it; not twice
        rows = list(csv.reader(io.StringIO(result.stdout)))[1:]
        assert rows == [[ALPHA.gamertag, str(ALPHA.matches)], [OLD.gamertag, str(OLD.matches)]]
        named = sql(own, "SELECT count(*) FROM match_stats", "--player", BRAVO.gamertag)
        assert named.returncode == 2
        assert str(busy) in named.stderr and "Traceback" not in named.stderr


def test_every_database_busy_is_exit_2_not_an_empty_answer(data_dir, tmp_path):
    own = tmp_path / "data"
    own.mkdir()
    source = player_db_path(data_dir, ALPHA.gamertag)
    target = player_db_path(own, ALPHA.gamertag)
    shutil.copytree(source.parent, target.parent)
    with WriterHold(target):
        result = sql(own, "SELECT count(*) FROM match_stats", "--format", "csv")
    assert result.returncode == 2, result.stdout
    assert "no player database could be read" in result.stderr and str(target) in result.stderr
    assert result.stdout == "" and "Traceback" not in result.stderr


def test_no_player_database_is_a_usage_error(tmp_path: Path):
    result = sql(tmp_path / "empty", "SELECT 1")
    assert result.returncode == 2 and "no player database" in result.stderr
