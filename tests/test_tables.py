"""The registry's tables: declarations, the detail extractors, migration from schema 1,
backfill of the new tables from stored JSON, and replacement on re-extraction."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import duckdb
import orjson
import pytest

from levelup.extract import children
from levelup.extract.match import player_key
from levelup.extract.reference import medal_names
from levelup.registry import (
    LINEAGE_BEGIN,
    LINEAGE_END,
    TABLES,
    extract_stats_document,
    lineage_markdown,
    table_spec,
)
from levelup.store import schema
from levelup.store.database import open_player_db
from tests.helpers import (
    FIXTURE_PLAYER,
    FIXTURES,
    MATCH_FILES,
    REPO,
    core,
    last_json,
    needs_fixtures,
    run_cli,
)
from tests.v1_layout import make_v1_database

DETAIL_OPTIONS = ("--medals", "--mode-stats", "--personal-scores", "--teams")


class _Row:
    """Attribute access to an extractor's tuple by the table's column names."""

    def __init__(self, table: str, values: tuple) -> None:
        self.__dict__.update(zip(table_spec(table).columns, values, strict=True))


def _rows(table: str, rows: list[tuple]) -> list[_Row]:
    return [_Row(table, row) for row in rows]


def _player(pid: str, *stints: dict[str, Any], team: int = 0) -> dict[str, Any]:
    return {
        "PlayerId": pid,
        "PlayerType": 1,
        "LastTeamId": team,
        "Outcome": 2,
        "Rank": 1,
        "ParticipationInfo": {"PresentAtCompletion": True, "TimePlayed": "PT10M"},
        "PlayerTeamStats": [{"TeamId": team, "Stats": stats} for stats in stints],
    }


def _doc(players: list[dict[str, Any]], teams: list[dict[str, Any]] | None = None) -> dict:
    return {
        "MatchId": "0b7a4f6e-0000-4000-8000-000000000001",
        "MatchInfo": {"StartTime": "2025-01-02T03:04:05Z", "LifecycleMode": 3},
        "Teams": teams or [],
        "Players": players,
    }


def test_columns_and_types_come_from_the_row_dataclasses() -> None:
    medals = table_spec("match_medals")
    assert medals.columns == {
        "match_id": "VARCHAR", "xuid": "VARCHAR", "medal_id": "BIGINT",
        "count": "INTEGER", "total_personal_score": "INTEGER",
    }  # fmt: skip
    assert table_spec("match_mode_stats").columns["value"] == "DOUBLE"
    assert table_spec("match_stats").stored_columns["created_at"] == "TIMESTAMP"
    assert all(set(spec.key) <= set(spec.columns) for spec in TABLES)
    assert all(spec.column_docs[c] for spec in TABLES for c in spec.columns), (
        "every column documented"
    )
    with pytest.raises(KeyError):
        table_spec("no_such_table")


def test_data_lineage_doc_is_generated_from_the_registry() -> None:
    text = (REPO / "docs" / "data_lineage.md").read_text(encoding="utf-8")
    section = text.split(LINEAGE_BEGIN, 1)[1].split(LINEAGE_END, 1)[0]
    assert section.strip() == lineage_markdown().strip(), "run: python -m levelup.registry"


def test_team_switcher_sums_and_longest_max_rule() -> None:
    first = {
        "CoreStats": core(Medals=[{"NameId": 622331684, "Count": 2, "TotalPersonalScoreAwarded": 100}],
                          PersonalScores=[{"NameId": 1024030246, "Count": 3, "TotalPersonalScoreAwarded": 300}]),
        "OddballStats": {"TimeAsSkullCarrier": "PT1M", "LongestTimeAsSkullCarrier": "PT40S", "SkullGrabs": 2},
    }  # fmt: skip
    second = {
        "CoreStats": core(Medals=[{"NameId": 622331684, "Count": 1, "TotalPersonalScoreAwarded": 50},
                                  {"NameId": 99, "Count": 1, "TotalPersonalScoreAwarded": 0}],
                          PersonalScores=[{"NameId": 1024030246, "Count": 1, "TotalPersonalScoreAwarded": 100}]),
        "OddballStats": {"TimeAsSkullCarrier": "PT30S", "LongestTimeAsSkullCarrier": "PT25S", "SkullGrabs": 1,
                         "MaxCombo": 4},
    }  # fmt: skip
    third = {"CoreStats": core(), "OddballStats": {"MaxCombo": 7}}
    doc = _doc([_player("xuid(111)", first, second, third)])
    match_id = doc["MatchId"]
    medals = {
        (m.xuid, m.medal_id): (m.count, m.total_personal_score)
        for m in _rows("match_medals", children.medals(doc, match_id))
    }
    assert medals == {("111", 622331684): (3, 150), ("111", 99): (1, 0)}
    scores = _rows("match_personal_scores", children.personal_scores(doc, match_id))
    assert [(s.score_id, s.count, s.total_personal_score) for s in scores] == [(1024030246, 4, 400)]
    stats = {
        (s.mode, s.stat): s.value
        for s in _rows("match_mode_stats", children.mode_stats(doc, match_id))
    }
    assert stats == {
        ("Oddball", "TimeAsSkullCarrier"): 90.0,
        ("Oddball", "LongestTimeAsSkullCarrier"): 40.0,  # the maximum, not 65
        ("Oddball", "SkullGrabs"): 3.0,
        ("Oddball", "MaxCombo"): 7.0,
    }


def test_nulls_unknown_mode_objects_and_nested_values() -> None:
    stats = {
        "CoreStats": core(),
        "EliminationStats": {"LivesRemaining": None, "Eliminations": 2},
        "FooStats": {"Widgets": 5, "Spin": "PT2.5S", "Deep": {"Inner": 1}, "Listed": [1, 2]},
    }
    doc = _doc(
        [
            _player("xuid(222)", stats),
            _player("bid(8.0)", {"CoreStats": core(), "FooStats": {"Widgets": 1}}),
        ]
    )
    rows = {
        (s.xuid, s.mode, s.stat): s.value
        for s in _rows("match_mode_stats", children.mode_stats(doc, doc["MatchId"]))
    }
    assert rows == {
        ("222", "Elimination", "LivesRemaining"): None,
        ("222", "Elimination", "Eliminations"): 2.0,
        ("222", "Foo", "Widgets"): 5.0,
        ("222", "Foo", "Spin"): 2.5,
        ("222", "Foo", "Deep.Inner"): 1.0,
        ("bid(8.0)", "Foo", "Widgets"): 1.0,
    }
    # A null in one stint makes the player's total NULL, never a partial sum.
    doc = _doc([_player("xuid(3)", {"PvpStats": {"Kills": 2}}, {"PvpStats": {"Kills": None}})])
    assert [row[-1] for row in children.mode_stats(doc, doc["MatchId"])] == [None]


def test_a_flattened_name_that_is_also_a_key_gives_one_row(caplog) -> None:
    """`{"A": {"B": 1}, "A.B": 2}` flattens to `A.B` twice: the detail tables have no key
    constraint, so the object's own key is kept and the nested field dropped, warned."""
    odd = {"Nest": {"B": 1}, "Nest.B": 2, "Kills": 3}
    teams = [{"TeamId": 0, "Stats": {"CoreStats": core(), "PvpStats": dict(odd)}}]
    doc = _doc([_player("xuid(5)", {"CoreStats": core(), "PvpStats": dict(odd)})], teams)
    players = children.mode_stats(doc, doc["MatchId"])
    team = children.team_mode_stats(doc, doc["MatchId"])
    assert (
        [row[2:] for row in players]
        == [row[2:] for row in team]
        == [
            ("Pvp", "Nest.B", 2.0),
            ("Pvp", "Kills", 3.0),
        ]
    )
    assert caplog.text.count("PvpStats.Nest.B appears twice") == 2


def test_two_objects_naming_one_mode_give_one_row_per_stat(caplog) -> None:
    """`OddballStats` and `Oddball` both name mode `Oddball`: the first object is kept,
    the other warned about, for a one-stint player, a team switcher and a team alike."""
    stats = {"CoreStats": core(), "OddballStats": {"SkullGrabs": 3}, "Oddball": {"SkullGrabs": 1}}
    teams = [{"TeamId": 0, "Stats": copy.deepcopy(stats)}]
    one = _player("xuid(5)", copy.deepcopy(stats))
    switcher = _player("xuid(6)", copy.deepcopy(stats), copy.deepcopy(stats))
    doc = _doc([one, switcher], teams)
    rows = children.mode_stats(doc, doc["MatchId"])
    assert [row[1:] for row in rows] == [("5", "Oddball", "SkullGrabs", 3.0),
                                         ("6", "Oddball", "SkullGrabs", 6.0)]  # fmt: skip
    team = children.team_mode_stats(doc, doc["MatchId"])
    assert [row[1:] for row in team] == [(0, "Oddball", "SkullGrabs", 3.0)]
    assert caplog.text.count("names mode Oddball again; the first object kept") == 4


def test_medal_ids_are_read_exactly_or_the_entry_is_skipped_and_said(caplog) -> None:
    """The NameId is the row's key: digits in a string and integral floats are read
    exactly; anything else (missing, null, a boolean, negative, fractional, `1e3`,
    `1_000`, a float past 2**53) skips the entry, with a warning naming it."""
    good = ["622331684", 1512363953.0, "9007199254740993", 99]
    bad = [None, True, -1, 1.5, "1e3", "1_000", 2.0**60, "abc"]
    medals = [{"NameId": n, "Count": 1, "TotalPersonalScoreAwarded": 0} for n in good + bad]
    medals.append({"Count": 1, "TotalPersonalScoreAwarded": 0})  # no NameId at all
    doc = _doc([_player("xuid(5)", {"CoreStats": core(Medals=medals)})], [])
    rows = children.medals(doc, doc["MatchId"])
    assert [row[2] for row in rows] == [622331684, 1512363953, 9007199254740993, 99]
    assert caplog.text.count("not an id; that entry is not stored") == len(bad) + 1


def test_teams_and_team_mode_stats() -> None:
    teams = [
        {"TeamId": 0, "Outcome": 2, "Rank": 1,
         "Stats": {"CoreStats": core(Score=3, Kills=50, ShotsFired=400, ShotsHit=200),
                   "CaptureTheFlagStats": {"FlagCaptures": 3, "TimeAsFlagCarrier": "PT1M5S"}}},
        {"TeamId": 1, "Outcome": 3, "Rank": 2,
         "Stats": {"CoreStats": core(Score=1, Kills=40, ShotsFired=0, ShotsHit=0),
                   "CaptureTheFlagStats": {"FlagCaptures": 1, "TimeAsFlagCarrier": "PT20S"}}},
    ]  # fmt: skip
    doc = _doc([_player("xuid(1)", {"CoreStats": core()})], teams)
    rows = _rows("match_teams", children.teams(doc, doc["MatchId"]))
    assert [(t.team_id, t.outcome, t.score, t.kills, t.accuracy) for t in rows] == [
        (0, 2, 3, 50, 50.0),
        (1, 3, 1, 40, None),
    ]
    team_stats = {
        (t.team_id, t.stat): t.value
        for t in _rows("match_team_mode_stats", children.team_mode_stats(doc, doc["MatchId"]))
    }
    assert team_stats == {(0, "FlagCaptures"): 3.0, (0, "TimeAsFlagCarrier"): 65.0,
                          (1, "FlagCaptures"): 1.0, (1, "TimeAsFlagCarrier"): 20.0}  # fmt: skip
    assert children.teams(_doc([_player("xuid(1)", {"CoreStats": core()})]), "m") == []


def _seconds(value: Any) -> float | None:
    """An independent reading of a mode stat: numbers as they are, ISO durations by hand."""
    if value is None:
        return None
    if isinstance(value, str):
        found = re.fullmatch(r"PT(?:(\d+)H)?(?:(\d+)M)?(?:([\d.]+)S)?", value)
        assert found, value
        h, m, s = (float(g) if g else 0.0 for g in found.groups())
        return h * 3600 + m * 60 + s
    return float(value)


@needs_fixtures
@pytest.mark.parametrize("path", MATCH_FILES, ids=lambda p: p.stem)
def test_every_medal_and_mode_stat_of_every_fixture(path: Path) -> None:
    doc = orjson.loads(path.read_bytes())
    match = extract_stats_document(doc, FIXTURE_PLAYER)
    expected_medals: dict[tuple[str, int], list[int]] = {}
    expected_stats: dict[tuple[str, str, str], list[Any]] = {}
    for player in doc["Players"]:
        pid = player_key(player["PlayerId"])[0]
        for entry in player["PlayerTeamStats"]:
            for medal in entry["Stats"]["CoreStats"]["Medals"]:
                total = expected_medals.setdefault((pid, medal["NameId"]), [0, 0])
                total[0] += medal["Count"]
                total[1] += medal["TotalPersonalScoreAwarded"]
            for name, body in entry["Stats"].items():
                if name != "CoreStats":
                    for stat, value in body.items():
                        expected_stats.setdefault(
                            (pid, name.removesuffix("Stats"), stat), []
                        ).append(value)
    got_medals = {
        (m.xuid, m.medal_id): [m.count, m.total_personal_score]
        for m in _rows("match_medals", match.rows("match_medals"))
    }
    assert got_medals == expected_medals
    got_stats = {
        (s.xuid, s.mode, s.stat): s.value
        for s in _rows("match_mode_stats", match.rows("match_mode_stats"))
    }
    assert set(got_stats) == set(expected_stats)
    for key, values in expected_stats.items():
        readings = [_seconds(v) for v in values]
        want = (
            None
            if None in readings
            else (max(readings) if key[2].startswith(("Longest", "Max")) else sum(readings))
        )
        assert got_stats[key] == pytest.approx(want), key
    assert len(match.rows("match_teams")) == len(doc["Teams"])


@needs_fixtures
def test_medal_names_from_the_real_metadata_document() -> None:
    doc = orjson.loads((FIXTURES / "get_medal_metadata.json").read_bytes())
    names = {row.medal_id: row for row in medal_names(doc)}
    assert len(names) == len(doc["medals"])
    double = names[622331684]
    assert (double.name, double.description) == (
        "Double Kill",
        "Kill 2 enemies in quick succession",
    )
    assert double.difficulty in doc["difficulties"] and double.type in doc["types"]
    assert medal_names({"medals": "x"}) == [] and medal_names([1]) == []


def _fixture_bodies() -> list[bytes]:
    return [orjson.dumps(orjson.loads(p.read_bytes())) for p in MATCH_FILES]


def _q(db: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as conn:
        return conn.execute(sql).fetchall()


@needs_fixtures
def test_v1_database_migrates_in_place_with_identical_bodies(tmp_path: Path) -> None:
    db = tmp_path / "players" / "FixturePlayer" / "stats.duckdb"
    stored = make_v1_database(db, _fixture_bodies(), FIXTURE_PLAYER)
    conn, report = open_player_db(db)
    conn.close()
    assert report.from_version == 1 and report.moved_documents == len(stored)
    assert "match_medals" in report.created_tables
    rows = dict(_q(db, "SELECT match_id, body FROM match_documents WHERE kind = 'stats'"))
    assert rows == stored  # byte-identical text
    tables = {r[0] for r in _q(db, "SELECT table_name FROM information_schema.tables")}
    assert "match_json" not in tables and {s.name for s in TABLES} <= tables
    conn, again = open_player_db(db)  # idempotent
    conn.close()
    assert not again.changed
    assert dict(_q(db, "SELECT match_id, body FROM match_documents")) == stored


@needs_fixtures
def test_an_interrupted_migration_loses_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "players" / "FixturePlayer" / "stats.duckdb"
    stored = make_v1_database(db, _fixture_bodies(), FIXTURE_PLAYER)

    def interrupted(*_: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(schema, "set_meta", interrupted)  # after every step has run
    with pytest.raises(KeyboardInterrupt):
        open_player_db(db)
    assert dict(_q(db, "SELECT match_id, body FROM match_json")) == stored
    assert _q(db, "SELECT value FROM levelup_meta WHERE key = 'schema_version'") == [("1",)]
    monkeypatch.undo()
    conn, report = open_player_db(db)
    conn.close()
    assert report.moved_documents == len(stored)


def _detail_rows(db: Path) -> dict[str, list[tuple]]:
    names = (
        "match_medals",
        "match_mode_stats",
        "match_team_mode_stats",
        "match_personal_scores",
        "match_teams",
    )
    return {
        name: sorted(_q(db, f"SELECT {', '.join(table_spec(name).columns)} FROM {name}"), key=str)
        for name in names
    }


@needs_fixtures
def test_backfill_fills_the_new_tables_from_stored_json_with_no_source(tmp_path: Path) -> None:
    data = tmp_path / "data"
    db = data / "players" / "FixturePlayer" / "stats.duckdb"
    make_v1_database(db, _fixture_bodies(), FIXTURE_PLAYER)
    env = {"LEVELUP_CONFIG_DIR": str(tmp_path / "no-config")}  # no credentials anywhere
    result = run_cli(
        "backfill", "--all", *DETAIL_OPTIONS, "--data-dir", str(data), "--json", env=env
    )
    assert result.returncode == 0, result.stderr
    report = last_json(result.stdout)
    assert report["fetched_from_source"] == 0 and report["read_from_store"] == len(MATCH_FILES)
    filled = _detail_rows(db)
    assert report["medals_updated"] == len(filled["match_medals"]) > 0
    assert report["teams_updated"] == len(filled["match_teams"])
    # The same rows as a fresh extraction of the same documents.
    expected: dict[str, list[tuple]] = {name: [] for name in filled}
    for body in _fixture_bodies():
        match = extract_stats_document(orjson.loads(body), FIXTURE_PLAYER)
        for name in expected:
            spec = table_spec(name)
            expected[name] += [spec.row_values(row) for row in match.rows(name)]
    assert filled == {name: sorted(rows, key=str) for name, rows in expected.items()}
    assert _q(db, "SELECT count(*) FROM personal_score_names")[0][0] > 50
    # Nothing left to do; a forced rerun changes nothing.
    again = last_json(
        run_cli(
            "backfill", "--all", *DETAIL_OPTIONS, "--data-dir", str(data), "--json", env=env
        ).stdout
    )
    assert again["matches_processed"] == 0
    forced = run_cli(
        "backfill",
        "--all",
        "--force-medals",
        "--force-teams",
        "--data-dir",
        str(data),
        "--json",
        env=env,
    )
    assert last_json(forced.stdout)["medals_updated"] == 0
    assert _detail_rows(db) == filled


@needs_fixtures
def test_reextraction_replaces_a_matchs_detail_rows(tmp_path: Path) -> None:
    data = tmp_path / "data"
    db = data / "players" / "FixturePlayer" / "stats.duckdb"
    bodies = _fixture_bodies()
    make_v1_database(db, bodies, FIXTURE_PLAYER)
    assert run_cli("backfill", "--all", *DETAIL_OPTIONS, "--data-dir", str(data)).returncode == 0
    doc = orjson.loads(bodies[0])
    changed = copy.deepcopy(doc)
    owner = next(p for p in changed["Players"] if p["PlayerId"] == f"xuid({FIXTURE_PLAYER})")
    removed = owner["PlayerTeamStats"][0]["Stats"]["CoreStats"]["Medals"].pop(0)["NameId"]
    with duckdb.connect(str(db)) as conn:
        conn.execute("UPDATE match_documents SET body = ? WHERE match_id = ?",
                     [orjson.dumps(changed).decode(), doc["MatchId"]])  # fmt: skip
    medal_sql = f"SELECT count(*) FROM match_medals WHERE xuid = '{FIXTURE_PLAYER}' AND medal_id = {removed} AND match_id = '{doc['MatchId']}'"
    assert _q(db, medal_sql) == [(1,)]
    result = run_cli("backfill", "--all", "--reextract", "--data-dir", str(data), "--json")
    assert result.returncode == 0, result.stderr
    assert last_json(result.stdout)["medals_updated"] == 1  # exactly the deleted row
    assert _q(db, medal_sql) == [(0,)]


def test_personal_score_names_equal_spnkrs_enumeration() -> None:
    from spnkr.models.refdata import PersonalScoreNameId

    from levelup.extract.score_names import PERSONAL_SCORE_NAMES

    assert {int(m): m.display_name for m in PersonalScoreNameId} == PERSONAL_SCORE_NAMES


def test_every_row_a_sync_writes_names_its_run(tmp_path: Path) -> None:
    from levelup.demo.generator import DEMO_OWNER, write_recorded_dir

    recorded = tmp_path / "recorded"
    write_recorded_dir(recorded, 12, seed=5)
    data = tmp_path / "data"
    args = (
        "sync",
        "--player",
        DEMO_OWNER.gamertag,
        "--source",
        str(recorded),
        "--data-dir",
        str(data),
    )
    assert run_cli(*args, "--max-matches", "5").returncode == 0
    assert run_cli(*args).returncode == 0
    db = next(data.glob("players/*/stats.duckdb"))
    runs = [r[0] for r in _q(db, "SELECT run_id FROM sync_runs ORDER BY started_at")]
    assert len(runs) == 2
    for table in ("match_stats", "match_participants", "match_medals", "match_documents"):
        per_run = dict(
            _q(db, f"SELECT sync_run_id, count(DISTINCT match_id) FROM {table} GROUP BY 1")
        )
        assert per_run == {runs[0]: 5, runs[1]: 7}, table


def test_a_forced_detail_backfill_counts_changed_and_gone_rows_and_keeps_their_run(
    tmp_path: Path,
) -> None:
    """A forced backfill replaces the selected matches' detail rows: a tampered value is
    one changed row, a row the JSON does not yield is one deleted row, every other row
    is as it was, its `sync_run_id` (the run that wrote it) included."""
    from levelup.demo.generator import DEMO_OWNER, write_recorded_dir

    recorded = tmp_path / "recorded"
    write_recorded_dir(recorded, 30, seed=11)
    data = tmp_path / "data"
    sync = run_cli("sync", "--player", DEMO_OWNER.gamertag, "--source", str(recorded),
                   "--data-dir", str(data))  # fmt: skip
    assert sync.returncode == 0, sync.stderr
    db = next(data.glob("players/*/stats.duckdb"))
    every = "SELECT * FROM match_medals ORDER BY ALL"
    synced = _q(db, every)
    match_id, xuid, medal_id = synced[0][:3]
    with duckdb.connect(str(db)) as conn:
        conn.execute("UPDATE match_medals SET count = count + 7 WHERE match_id = ? AND xuid = ? "
                     "AND medal_id = ?", [match_id, xuid, medal_id])  # fmt: skip
        conn.execute("INSERT INTO match_medals SELECT match_id, xuid, 4294967295, 1, 0, "
                     "sync_run_id FROM match_medals LIMIT 1")  # fmt: skip
    result = run_cli("backfill", "--player", DEMO_OWNER.gamertag, "--data-dir", str(data),
                     "--force-medals", "--json")  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert last_json(result.stdout)["medals_updated"] == 2
    assert _q(db, every) == synced
    again = run_cli("backfill", "--player", DEMO_OWNER.gamertag, "--data-dir", str(data),
                    "--force-medals", "--json")  # fmt: skip
    assert last_json(again.stdout)["medals_updated"] == 0
    assert _q(db, every) == synced
