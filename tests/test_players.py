"""`levelup players` (issue 13): every tracked player with matches stored, first and last
match, last sync, pending failures, database size and completeness; real syncs into
real databases, the CLI in a subprocess; a busy database is named and skipped."""

from __future__ import annotations

from pathlib import Path

import duckdb

from tests.helpers import last_json, run_cli
from tests.helpers import write_recorded_dir as write_dir
from tests.test_career import COUNTS, DOCS, OWNER, TRUE_RECORDS, _record, recorded
from tests.test_sync_cli import _history

SECOND = {"gamertag": "Second", "xuid": "2533274800000002"}
MISSING = "00000000-0000-4000-8000-000000000099"


def two_players(tmp_path: Path) -> tuple[Path, Path]:
    """A data dir where Owner was synced from a directory with counts and service
    records that disagree with the warehouse, and Second from one without them (one
    of Second's matches is corrupt: a pending failure)."""
    records = dict(TRUE_RECORDS, matchmade=_record(4, 3, 1, 0, 15, 240, 120))
    counts = dict(COUNTS, MatchesPlayedCount=5, MatchmadeMatchesPlayedCount=4)
    rec_a = recorded(tmp_path / "rec_a", counts=counts, records=records)
    rec_b = write_dir(
        tmp_path / "rec_b", DOCS[:2], [SECOND, {"gamertag": OWNER.gamertag, "xuid": OWNER.xuid}]
    )
    missing = {"MatchId": MISSING, "MatchInfo": {"StartTime": "2025-02-01T10:00:00Z"}}
    (rec_b / "history" / SECOND["xuid"]).mkdir(parents=True)
    (rec_b / "history" / SECOND["xuid"] / "page0.json").write_bytes(
        _history(SECOND["xuid"], [missing, *DOCS[:2]])
    )
    data = tmp_path / "data"
    for player, source in ((OWNER.gamertag, rec_a), (SECOND["gamertag"], rec_b)):
        result = run_cli("sync", "--player", player or "", "--source", str(source),
                         "--data-dir", str(data), "--json")  # fmt: skip
        assert result.returncode in (0, 1), result.stderr
    return data, rec_b


def test_players_json_lists_every_player_with_completeness(tmp_path: Path) -> None:
    data, _ = two_players(tmp_path)
    result = run_cli("players", "--data-dir", str(data), "--json")
    assert result.returncode == 0, result.stderr
    listing = last_json(result.stdout)
    by_name = {p["gamertag"]: p for p in listing["players"]}
    assert set(by_name) == {"Owner", "Second"} and listing["skipped"] == []
    owner = by_name["Owner"]
    assert owner["xuid"] == OWNER.xuid and owner["matches"] == 4
    assert owner["first_match"].startswith("2025-01-01") and owner["last_match"].startswith(
        "2025-01-04"
    )
    assert owner["last_sync"]["status"] == "ok" and owner["pending_failures"] == 0
    assert owner["database_bytes"] == Path(owner["database"]).stat().st_size > 0
    found = owner["completeness"]
    assert not found["complete"]
    mm = found["types"]["matchmade"]
    assert (mm["api_count"], mm["stored"], mm["missing"]) == (4, 3, 1)
    assert {d["field"]: d["difference"] for d in mm["differences"]} == {
        "matches_completed": -1, "wins": -1, "deaths": -2, "assists": -1,
    }  # fmt: skip
    second = by_name["Second"]
    assert second["matches"] == 2  # its history lists a match the directory lacks
    assert second["pending_failures"] == 1 and second["last_sync"]["status"] == "partial"
    assert second["completeness"] is None  # no count, no service record: no claim


def test_players_table_names_the_differences(tmp_path: Path) -> None:
    data, _ = two_players(tmp_path)
    result = run_cli("players", "--data-dir", str(data), env={"COLUMNS": "200"})
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "6 differences" in out
    assert "Owner" in out and "Second" in out and "not known" in out
    assert "matchmade: the API counts 4 matches, 3 are stored (-1)" in out
    assert "matchmade service record deaths: 8, the warehouse's sum 6 (-2)" in out


def test_a_busy_database_is_named_and_skipped(tmp_path: Path) -> None:
    data, _ = two_players(tmp_path)
    busy = next(p for p in (data / "players").glob("*/stats.duckdb") if "Second" in str(p))
    holder = duckdb.connect(str(busy))  # a writer, as a sync would be
    try:
        result = run_cli("players", "--data-dir", str(data), "--json")
    finally:
        holder.close()
    assert result.returncode == 1
    listing = last_json(result.stdout)
    assert [p["gamertag"] for p in listing["players"]] == ["Owner"]
    assert listing["skipped"][0]["database"] == str(busy)
    assert "in use by another LevelUp process" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_empty_data_dir(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    result = run_cli("players", "--data-dir", str(empty), "--json")
    assert result.returncode == 0, result.stderr
    assert last_json(result.stdout)["players"] == []
    result = run_cli("players", "--data-dir", str(empty))
    assert result.returncode == 0 and "no tracked player" in result.stdout
    # A fresh install (the default ./data not made yet) lists nobody, friendly.
    fresh = run_cli("players", cwd=empty)
    assert fresh.returncode == 0 and "no tracked player" in fresh.stdout
    assert not (empty / "data").exists()


def test_a_named_data_dir_that_is_not_there_is_a_usage_error(tmp_path: Path) -> None:
    """A typo in --data-dir must not read as "no player yet"."""
    (tmp_path / "afile").write_text("x")
    for path, what in (
        (tmp_path / "nothing", "does not exist"),
        (tmp_path / "afile", "is not a folder"),
    ):
        result = run_cli("players", "--data-dir", str(path))
        assert result.returncode == 2, result.stderr
        assert result.stderr.strip() == f"levelup: error: --data-dir {path} {what}"


def test_players_never_crops_the_xuid(tmp_path: Path) -> None:
    """At 120 columns the table cut the xuid ("25354000000…"), the value `--xuid` needs."""
    from levelup.demo.generator import DEMO_OWNER

    data = tmp_path / "data"
    assert run_cli("demo", "--matches", "5", "--data-dir", str(data)).returncode == 0
    for columns in ("120", "80"):
        result = run_cli("players", "--data-dir", str(data), env={"COLUMNS": columns})
        assert result.returncode == 0, result.stderr
        assert DEMO_OWNER.xuid in result.stdout, (columns, result.stdout)
