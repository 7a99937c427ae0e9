"""The dashboard's sections against values worked out by hand (tests/dashboard_db.py).

The database is written with plain CREATE TABLE + INSERT in the registry's
table and column names, skill and medal tables included, so these tests pin
the figures the report computes from exactly what the contract stores.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from levelup.analysis import frames as fr
from levelup.analysis.load import declared_columns, load_frames
from levelup.analysis.modes import CATEGORY_ENUM
from levelup.analysis.report import build_report
from levelup.analysis.scope import Scope
from levelup.store.database import connect
from tests.dashboard_db import MATE, OPP, OPP2, OWNER_GT, build_dashboard_db
from tests.helpers import last_json, run_cli


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("dashboard")
    build_dashboard_db(root)
    return root


def summary_for(data_dir: Path, scope: Scope | None = None) -> dict[str, Any]:
    conn = connect(data_dir / "players" / "Hand_Player" / "stats.duckdb", read_only=True)
    try:
        frames = load_frames(conn)
    finally:
        conn.close()
    return build_report(frames, scope or Scope()).summary


def report(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli("report", "--player", OWNER_GT, "--data-dir", str(data_dir), *args)


def _one(rows: list[dict[str, Any]], **match: Any) -> dict[str, Any]:
    found = [r for r in rows if all(r.get(k) == v for k, v in match.items())]
    assert len(found) == 1, (match, rows)
    return found[0]


# --- figures ----------------------------------------------------------------------------------


def test_overview_is_sums_with_unknowns_apart(data_dir: Path) -> None:
    s = summary_for(data_dir)
    o = s["overview"]
    assert (s["matches"], s["wins"], s["losses"], s["ties"], o["dnf"]) == (6, 2, 2, 1, 1)
    assert s["win_rate"] == pytest.approx(50.0)  # 2 / (2 + 2): ties and DNF are not decided
    # h6 has no kills, deaths, shots, damage or time: left out, counted apart.
    assert (s["kills"], s["deaths"], s["assists"]) == (38, 31, 10)
    assert s["kd_ratio"] == pytest.approx(38 / 31)
    assert o["kda"] == pytest.approx((38 + 10 / 3 - 31) / 5)
    assert (o["kills_per_match"], o["deaths_per_match"]) == (pytest.approx(7.6), pytest.approx(6.2))
    assert s["overall_accuracy"] == pytest.approx(196 / 420 * 100)
    assert (o["damage_dealt"], o["damage_taken"]) == (7900, 6500)
    assert o["damage_ratio"] == pytest.approx(7900 / 6500)
    assert o["headshot_share"] == pytest.approx(15 / 38 * 100)
    assert o["time_played_seconds"] == pytest.approx(2820)
    assert o["unknown"] == {"kills_deaths": 1, "damage": 1, "time_played": 1}


def test_current_csr_from_the_latest_snapshot(data_dir: Path) -> None:
    csr = summary_for(data_dir)["csr"]
    assert [row["playlist_id"] for row in csr] == ["pl-r", "pl-r2"]
    ranked, placement = csr
    # The older snapshot (1480) and another player's (1700) are not the current one.
    assert (ranked["current"], ranked["tier"], ranked["sub_tier"]) == (1490, "Diamond", 5)
    assert ranked["tier_label"] == "Diamond 6"  # the API's sub-tier is 0-based
    assert (ranked["season_max"], ranked["all_time_max_label"]) == (1505, "Onyx 1620")
    # -1 is the API's "in placement": never shown as a CSR.
    assert placement["current"] is None and placement["tier"] is None
    assert placement["tier_label"] == "in placement (4 to play)"


def test_rank_per_playlist_and_mmr(data_dir: Path) -> None:
    rank = summary_for(data_dir)["rank"]
    arena = _one(rank["playlists"], playlist_id="pl-r")
    assert (arena["matches"], arena["placement_matches"], arena["wins"], arena["losses"]) == (
        4,
        0,
        2,
        1,
    )
    assert (arena["first_csr"], arena["last_csr"], arena["peak_csr"], arena["low_csr"]) == (
        1492,
        1490,
        1505,
        1480,
    )
    assert (arena["gained"], arena["lost"], arena["net"]) == (37, -27, 10)
    assert arena["mean_win_change"] == pytest.approx(18.5)
    assert arena["mean_loss_change"] == pytest.approx(-12.0)  # the DNF (-15) is no loss
    assert arena["last_tier"] == "Diamond 6"
    doubles = _one(rank["playlists"], playlist_id="pl-r2")
    assert (doubles["matches"], doubles["placement_matches"], doubles["last_csr"]) == (1, 1, None)
    assert doubles["gained"] is None  # nothing outside placement: not "+0"
    mmr = rank["mmr"]
    assert mmr["matches"] == 4
    assert (mmr["team_mmr"], mmr["lobby_mmr"], mmr["mean_difference"]) == (1495.0, 1485.0, 10.0)
    assert (mmr["favoured"]["matches"], mmr["favoured"]["wins"], mmr["favoured"]["win_rate"]) == (
        3,
        2,
        100.0,
    )
    assert (mmr["underdog"]["matches"], mmr["underdog"]["losses"], mmr["underdog"]["win_rate"]) == (
        1,
        1,
        0.0,
    )


def test_against_expectation(data_dir: Path) -> None:
    e = summary_for(data_dir)["expectation"]
    overall = e["overall"]
    assert overall["matches"] == 4  # h1 h2 h3 h5: expectation and kills both known
    assert (overall["kills"], overall["expected_kills"]) == (30, 31.0)
    assert (overall["deaths"], overall["expected_deaths"]) == (23, 25.5)
    assert overall["kills_vs_expected_per_match"] == pytest.approx(-0.25)
    assert overall["share_kills_above"] == pytest.approx(50.0)  # h1, h3
    assert overall["share_deaths_below"] == pytest.approx(75.0)  # h1, h3, h5
    assert overall["share_both"] == pytest.approx(50.0)
    assert not e["windows"]["last_10"]["full"]  # 4 matches: no "Last 10"
    assert [m["match_id"] for m in e["best"]] == ["h3", "h1", "h5", "h2"]
    assert e["worst"][0]["match_id"] == "h2"
    assert _one(e["by_playlist"], playlist_id="pl-r")["matches"] == 4


def test_medals_named_rated_and_ranked_by_rarity(data_dir: Path) -> None:
    s = summary_for(data_dir)
    medals = s["medals"]
    assert [(m["medal_id"], m["name"], m["count"]) for m in medals] == [
        (100, "Double Kill", 6),
        (300, "Extermination", 1),
        (400, "Ninja", 1),
        (200, "Perfect", 1),
        (999, "medal 999", 1),  # no metadata: named by id, never dropped
    ]
    stats = s["medal_stats"]
    assert (stats["matches_with_medals"], stats["total"]) == (5, 10)  # h6 has no medal rows
    assert stats["per_match"] == pytest.approx(2.0)
    assert stats["per_10_minutes"] == pytest.approx(10 * 600 / 2820)
    assert medals[0]["per_10_minutes"] == pytest.approx(6 * 600 / 2820)
    assert "1 not yet backfilled" in stats["note"]
    assert [m["name"] for m in stats["rarest"]] == [
        "Extermination",
        "Perfect",
        "Ninja",
        "Double Kill",
    ]
    slayer = _one(stats["by_mode"], mode="Slayer")
    assert (slayer["matches"], slayer["medals"], slayer["top_medal"], slayer["top_count"]) == (
        3,
        8,
        "Double Kill",
        5,
    )
    assert _one(stats["by_mode"], mode="Oddball")["top_medal"] == "Ninja"


def test_modes_and_maps_with_objective_stats(data_dir: Path) -> None:
    m = summary_for(data_dir)["modes_maps"]
    slayer = _one(m["by_mode"], name="Slayer")
    assert (slayer["matches"], slayer["wins"], slayer["losses"], slayer["dnf"]) == (4, 2, 1, 1)
    assert slayer["win_rate"] == pytest.approx(200 / 3)
    assert slayer["kd_ratio"] == pytest.approx(24 / 15)
    assert slayer["accuracy"] == pytest.approx(48.0)
    oddball = _one(m["by_mode"], name="Oddball")
    assert oddball["win_rate"] is None  # a tie only: no decided match
    ctf = _one(m["by_mode"], name="Capture the Flag")
    objectives = {o["stat"]: o["per_match"] for o in ctf["objectives"]}
    assert objectives == {"FlagCaptures": 1.0, "FlagReturns": 1.0, "TimeAsFlagCarrier": 45.0}
    assert "Pvp" not in {o["group"] for o in ctf["objectives"]}
    assert "Time as flag carrier 45s" in ctf["objectives_text"]
    assert "Time as skull carrier 1m 30s" in oddball["objectives_text"]
    bazaar = _one(m["by_map"], name="Bazaar")
    assert (bazaar["matches"], bazaar["win_rate"], bazaar["kd_ratio"]) == (
        2,
        0.0,
        pytest.approx(14 / 16),
    )


def test_time_sessions_and_zones(data_dir: Path) -> None:
    t = summary_for(data_dir)["time"]
    assert [(d["date"], d["matches"]) for d in t["per_day"]] == [
        ("2024-03-04", 3),
        ("2024-03-06", 2),
        ("2024-03-09", 1),
    ]
    sessions = t["sessions"]
    assert (sessions["count"], sessions["longest"]) == (3, 3)
    assert sessions["matches_per_session"] == pytest.approx(2.0)
    assert sessions["mean_seconds"] == pytest.approx((50 + 30 + 10) * 60 / 3)
    first, second, third = t["by_session_position"]
    assert (first["position"], first["matches"], first["wins"], first["losses"]) == (1, 3, 1, 1)
    assert first["kd_ratio"] == pytest.approx(18 / 13)
    assert (second["matches"], second["win_rate"]) == (2, 0.0)
    assert (third["matches"], third["win_rate"]) == (1, 100.0)
    assert {w["weekday_label"]: w["matches"] for w in t["by_weekday"]} == {
        "Mon": 3,
        "Wed": 2,
        "Sat": 1,
    }
    tokyo = summary_for(data_dir, Scope(tz="Asia/Tokyo"))["time"]
    # UTC+9: Monday 20:00 is Tuesday 05:00, Saturday 23:30 is Sunday 08:30.
    assert {w["weekday_label"]: w["matches"] for w in tokyo["by_weekday"]} == {
        "Tue": 3,
        "Thu": 2,
        "Sun": 1,
    }
    assert {h["hour"] for h in tokyo["by_hour"]} == {3, 5, 8}
    assert tokyo["per_day"][-1]["date"] == "2024-03-10"


def test_people_records_and_toughest(data_dir: Path) -> None:
    p = summary_for(data_dir)["people"]
    mate = _one(p["teammates"], xuid=MATE)
    assert (mate["name"], mate["matches"], mate["wins"], mate["losses"], mate["ties"]) == (
        "Mate Two",
        6,
        2,
        2,
        1,
    )
    assert mate["their_kd"] == pytest.approx(29 / 25)
    assert mate["your_kd"] == pytest.approx(38 / 31)
    opp, opp2 = p["opponents"]
    assert (opp["xuid"], opp["matches"], opp["their_kd"]) == (OPP, 6, pytest.approx(40 / 41))
    assert (opp2["xuid"], opp2["name"], opp2["matches"]) == (OPP2, "Seen Three Two", 3)
    assert (opp2["wins"], opp2["losses"], opp2["your_kd"]) == (2, 1, pytest.approx(28 / 19))
    # The mate's 1550 is a teammate's: only opponents are "toughest".
    assert [(t["xuid"], t["max_csr"]) for t in p["toughest"]] == [(OPP, 1620), (OPP2, 1400)]


def test_recent_matches_newest_first_with_csr_change(data_dir: Path) -> None:
    recent = summary_for(data_dir)["recent_matches"]["matches"]
    assert [m["match_id"] for m in recent] == ["h6", "h5", "h4", "h3", "h2", "h1"]
    h1 = recent[-1]
    assert (h1["outcome"], h1["score"], h1["kda_text"], h1["csr_change"]) == (
        "Win",
        "50-40",
        "10/5/3",
        12,
    )
    assert recent[0]["kda_text"] == "?/?/?" and recent[0]["csr_change"] is None


def test_scope_filters_every_section(data_dir: Path) -> None:
    slayer = summary_for(data_dir, Scope(categories=(6,)))
    assert slayer["matches"] == 4
    assert [m["match_id"] for m in slayer["recent_matches"]["matches"]] == ["h6", "h5", "h3", "h1"]
    assert slayer["medal_stats"]["total"] == 8
    assert _one(slayer["rank"]["playlists"], playlist_id="pl-r")["matches"] == 3
    assert slayer["people"]["opponents"][1]["matches"] == 2  # 3002 in h1 and h3
    since = summary_for(data_dir, Scope(since=dt.date(2024, 3, 6)))
    assert since["matches"] == 3 and since["time"]["sessions"]["count"] == 2


def test_every_column_read_is_declared_by_the_registry() -> None:
    """The report reads tables and columns by the names the registry declares."""
    needed = {
        "match_stats": fr.STATS_NEEDED,
        "match_participants": fr.PARTICIPANTS_NEEDED,
        "asset_names": fr.ASSETS_NEEDED,
        "player_names": fr.NAMES_NEEDED,
        "match_medals": fr.PLAYER_MEDALS_NEEDED,
        "medal_names": fr.MEDAL_NAMES_NEEDED,
        "match_mode_stats": fr.PLAYER_MODE_STATS_NEEDED,
        "match_team_mode_stats": fr.TEAM_MODE_STATS_NEEDED,
        "match_teams": fr.TEAMS_NEEDED,
        "match_skill": fr.SKILL_NEEDED,
        "match_team_skill": fr.TEAM_SKILL_NEEDED,
        "csr_snapshots": fr.CSR_NEEDED,
    }
    for table, columns in needed.items():
        declared = declared_columns(table)
        assert declared is not None, f"the registry declares no {table}"
        assert set(columns) <= set(declared), (table, set(columns) - set(declared))


def test_mode_names_match_the_api_enum() -> None:
    from spnkr.models.refdata import GameVariantCategory

    assert {int(m): m.name for m in GameVariantCategory} == CATEGORY_ENUM


# --- missing and empty tables -----------------------------------------------------------------


def test_missing_tables_are_not_available_never_zero(tmp_path: Path) -> None:
    build_dashboard_db(tmp_path, tables=())
    result = report(tmp_path, "--json")
    assert result.returncode == 0, result.stderr
    s = last_json(result.stdout)
    assert s["matches"] == 6 and s["kd_ratio"] == pytest.approx(38 / 31)
    assert s["medals"] == [] and s["csr"] == []
    assert s["medal_stats"]["available"] is False
    assert "no match_medals table" in s["medal_stats"]["note"]
    assert s["rank"]["available"] is False and "no match_skill table" in s["rank"]["note"]
    assert s["expectation"]["available"] is False
    assert s["people"]["toughest"] == [] and "match_skill" in s["people"]["toughest_note"]
    assert "match_mode_stats" in s["modes_maps"]["objectives_note"]
    assert s["tables"]["match_medals"] == "missing"
    terminal = report(tmp_path, "--tz", "UTC")
    assert terminal.returncode == 0, terminal.stderr
    out = terminal.stdout
    assert "Medals: not available" in out and "Rank: not available" in out
    assert "Against expectation: not available" in out
    assert "Current rank: not available" in out


def test_empty_tables_are_not_yet_backfilled(tmp_path: Path) -> None:
    tables = ("match_medals", "medal_names", "match_mode_stats", "match_skill", "match_team_skill",
              "csr_snapshots")  # fmt: skip
    build_dashboard_db(tmp_path, tables=tables, empty=tables)
    s = last_json(report(tmp_path, "--json").stdout)
    assert s["tables"]["match_skill"] == "empty"
    assert s["medal_stats"]["note"] == "not yet backfilled: match_medals is empty"
    assert s["rank"]["note"] == (
        "not yet backfilled: match_skill is empty (a sync with --no-skill, or from a source "
        "without the skill service, stores none; `levelup backfill --skill` fetches it)"
    )
    assert s["overview"]["csr_note"] == (
        "not yet backfilled: csr_snapshots is empty (each sync with the skill service stores "
        "the current rank; a source without it, or --no-skill, stores none)"
    )
    assert s["medal_stats"]["per_match"] is None  # never 0 medals per match


# --- the command ------------------------------------------------------------------------------


def test_json_contract_alone_on_stdout(data_dir: Path) -> None:
    result = report(data_dir, "--json", "--tz", "UTC")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("{")
    assert result.stderr == ""  # no table on stderr either
    s = last_json(result.stdout)
    for key in ("matches", "wins", "losses", "win_rate", "kills", "deaths", "assists", "kd_ratio",
                "overall_accuracy", "medals", "csr"):  # fmt: skip
        assert key in s, key
    for section in ("overview", "rank", "expectation", "accuracy", "medal_stats", "modes_maps",
                    "time", "people", "recent_matches"):  # fmt: skip
        assert isinstance(s[section], dict), section
    assert set(s["medals"][0]) >= {"medal_id", "name", "count"}
    assert set(s["csr"][0]) >= {"playlist_id", "current", "tier"}
    assert s["accuracy"]["overall_accuracy"] == s["overall_accuracy"]


def test_terminal_sections_and_labels(data_dir: Path) -> None:
    result = report(data_dir, "--tz", "Europe/Paris")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for title in ("Overview", "Rank", "Against expectation", "Accuracy", "Medals", "Modes and maps",
                  "Time", "People", "Matches"):  # fmt: skip
        assert f"{title} ─" in out, title
    assert "Clock times in Europe/Paris." in out
    assert "Double Kill" in out and "medal 999" in out and "Diamond 6" in out
    # 5 matches with known shots: no "Last 10" row, and the whole stored history is the career.
    assert "Last 10 " not in out and "Career (every stored match)" in out
    only = report(data_dir, "--section", "medals", "--section", "people")
    assert "Medals ─" in only.stdout and "People ─" in only.stdout
    assert "Overview ─" not in only.stdout and "Rank ─" not in only.stdout


def test_a_filtered_scope_is_not_called_career(data_dir: Path) -> None:
    out = report(data_dir, "--last", "3").stdout
    assert "Career" not in out
    assert "All 2 matches in scope" in out  # h4, h5 (h6 has no shots)


def test_empty_scope_lists_the_modes_present(data_dir: Path) -> None:
    result = report(data_dir, "--mode", "infection")
    assert result.returncode == 0, result.stderr
    assert "No matches in scope." in result.stdout
    assert "Slayer (4), Capture the Flag (1), Oddball (1)" in result.stdout
    data = last_json(report(data_dir, "--mode", "infection", "--json").stdout)
    assert data["matches"] == 0
    assert [m["mode"] for m in data["modes_present"]] == ["Slayer", "Capture the Flag", "Oddball"]


def test_bad_time_zone_and_section_are_usage_errors(data_dir: Path) -> None:
    bad = report(data_dir, "--tz", "Mars/Olympus")
    assert bad.returncode == 2 and "unknown time zone 'Mars/Olympus'" in bad.stderr
    assert "Traceback" not in bad.stderr
    section = report(data_dir, "--section", "weather")
    assert section.returncode == 2 and "unknown section 'weather'" in section.stderr


def test_report_into_head_ends_cleanly(data_dir: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    shell = subprocess.run(
        f"{sys.executable} -m levelup report --player '{OWNER_GT}' --data-dir '{data_dir}' | head -3;"
        " echo status=${PIPESTATUS[0]}",
        shell=True, executable="/bin/bash", capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert "status=0" in shell.stdout, shell.stdout
    assert len(shell.stdout.strip().splitlines()) == 4  # three lines and the status
    assert "Traceback" not in shell.stderr and "Error" not in shell.stderr


def test_match_scoreboard(data_dir: Path) -> None:
    result = run_cli("match", "h1", "--data-dir", str(data_dir), "--json")
    assert result.returncode == 0, result.stderr
    board = last_json(result.stdout)
    assert (board["mode"], board["map"], board["outcome"]) == ("Slayer", "Aquarius", "Win")
    mine, theirs = board["teams"]
    assert (mine["score"], mine["outcome"], mine["is_owner_team"]) == (50, "Win", True)
    assert (theirs["score"], theirs["outcome"]) == (40, "Loss")
    owner = _one(mine["players"], is_owner=True)
    assert (owner["name"], owner["kills"], owner["deaths"], owner["assists"]) == (
        OWNER_GT,
        10,
        5,
        3,
    )
    assert (owner["accuracy"], owner["damage_dealt"], owner["csr_change"]) == (50.0, 2000, 12)
    assert (owner["medals"], owner["top_medals"]) == (3, "Double Kill ×2, Perfect")
    opp = _one(theirs["players"], xuid=OPP)
    assert (opp["name"], opp["csr_change"], opp["medals"]) == ("Opp Three", 10, 2)
    assert [p["xuid"] for p in theirs["players"]] == [OPP, OPP2]
    # h1's medals were extracted: a player with no medal row earned none (0, not unknown);
    # h6 has no medal row at all, so nobody's count is known there.
    assert (
        _one(theirs["players"], xuid=OPP2)["medals"],
        _one(theirs["players"], xuid=OPP2)["top_medals"],
    ) == (0, "")
    h6 = last_json(run_cli("match", "h6", "--data-dir", str(data_dir), "--json").stdout)
    assert [p["medals"] for t in h6["teams"] for p in t["players"]] == [None] * sum(
        len(t["players"]) for t in h6["teams"]
    )
    ctf = last_json(run_cli("match", "h2", "--data-dir", str(data_dir), "--json").stdout)
    assert [t["objectives"] for t in ctf["teams"]] == ["Flag captures 1", "Flag captures 3"]
    assert (
        "Time as flag carrier 45s" in _one(ctf["teams"][0]["players"], is_owner=True)["objectives"]
    )
    terminal = run_cli("match", "h1", "--player", OWNER_GT, "--data-dir", str(data_dir))
    assert terminal.returncode == 0, terminal.stderr
    assert "Team 1 (your team) (Win), score 50" in terminal.stdout
    assert "Opp Three" in terminal.stdout and "Double Kill ×2" in terminal.stdout


def test_match_id_errors(data_dir: Path) -> None:
    several = run_cli("match", "h", "--data-dir", str(data_dir))
    assert several.returncode == 2 and "starts several stored match ids (h1, h2" in several.stderr
    unknown = run_cli("match", "zz9", "--data-dir", str(data_dir))
    assert unknown.returncode == 2 and "no match 'zz9'" in unknown.stderr
    assert "Traceback" not in several.stderr + unknown.stderr


def test_match_search_goes_past_a_busy_database(tmp_path: Path) -> None:
    from tests.test_report import build_fixture_db

    build_dashboard_db(tmp_path)
    other = build_fixture_db(tmp_path)  # "Owner One", matches m1..m8
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys; c = duckdb.connect(sys.argv[1]); "
         "print('ready', flush=True); sys.stdin.read()", str(other)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        found = run_cli("match", "h1", "--data-dir", str(tmp_path), "--json")
        assert found.returncode == 0, found.stderr
        assert last_json(found.stdout)["match_id"] == "h1"
        missing = run_cli("match", "m1", "--data-dir", str(tmp_path))
        assert missing.returncode == 2
        assert f"{other}: in use by a sync, not searched" in missing.stderr
    finally:
        holder.communicate(input="", timeout=30)


def test_the_report_starts_without_the_sync_stack() -> None:
    """Start-up is most of a report's time: it must not pull in what only syncs need
    (pyarrow and numpy through the writer, aiohttp and spnkr through the sources)."""
    code = (
        "import sys, levelup.commands.report, levelup.commands.match; "
        "print(sorted(m for m in ('pyarrow', 'numpy', 'aiohttp', 'spnkr', "
        "'levelup.store.writer', 'levelup.sync.names') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
