"""`levelup report`: figures against hand-computed values, options, and failure paths.

The fixture database is built from hand-written match documents through the
real extraction and writer, so the report reads exactly what a sync stores.
Expected values are worked out by hand in the comments of `FIXTURE_MATCHES`.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import duckdb
import orjson
import pytest

from levelup.analysis.formatting import is_time_stat
from levelup.analysis.load import load_frames
from levelup.analysis.modes import mode_choices, mode_label, parse_mode
from levelup.analysis.report import build_report
from levelup.analysis.scope import Scope
from levelup.extract.match import parse_match_json
from levelup.registry import extract_stats_document
from levelup.store.database import connect, open_player_db, player_db_path
from levelup.store.schema import set_meta
from levelup.store.writer import MatchWriter
from tests.helpers import run_cli

OWNER = "1000"
OWNER_GT = "Owner One"
MATE = "2001"
OPP = "3001"
OPP2 = "3002"
SWITCHER = "4001"
BOT = "bid(8.0)"

# --- hand-written match documents -------------------------------------------------------------


def _core(fired: int | None, hit: int | None) -> dict[str, Any]:
    stats: dict[str, Any] = {"Kills": 5, "Deaths": 5, "Assists": 1, "Score": 500}
    if fired is not None:
        stats["ShotsFired"] = fired
    if hit is not None:
        stats["ShotsHit"] = hit
    return stats


def _player(
    pid: str, stints: list[tuple[int, int | None, int | None]], *, bot: bool = False
) -> dict[str, Any]:
    """A Players[] entry; each stint is (team id, shots fired, shots hit)."""
    return {
        "PlayerId": pid if bot else f"xuid({pid})",
        "PlayerType": 2 if bot else 1,
        "LastTeamId": stints[-1][0],
        "Outcome": 2,
        "Rank": 1,
        "ParticipationInfo": {"PresentAtCompletion": True, "TimePlayed": "PT10M"},
        "PlayerTeamStats": [
            {"TeamId": team, "Stats": {"CoreStats": _core(fired, hit)}}
            for team, fired, hit in stints
        ],
    }


def _match(
    match_id: str,
    day: int,
    players: list[dict[str, Any]],
    *,
    category: int = 6,
    lifecycle: int = 3,
    interaction: int = 1,
    map_id: str = "map-a",
    playlist_id: str | None = "pl-ranked",
    teams: bool = True,
) -> dict[str, Any]:
    info: dict[str, Any] = {
        "StartTime": f"2024-01-{day:02d}T12:00:00Z",
        "EndTime": f"2024-01-{day:02d}T12:10:00Z",
        "Duration": "PT10M",
        "LifecycleMode": lifecycle,
        "GameVariantCategory": category,
        "GameplayInteraction": interaction,
        "MapVariant": {"AssetId": map_id, "VersionId": f"{map_id}-v1"},
        "TeamsEnabled": teams,
    }
    if playlist_id:
        info["Playlist"] = {"AssetId": playlist_id, "VersionId": f"{playlist_id}-v1"}
    return {"MatchId": match_id, "MatchInfo": info, "Teams": [], "Players": players}


def _p(pid: str, team: int, fired: int | None, hit: int | None, **kw: Any) -> dict[str, Any]:
    return _player(pid, [(team, fired, hit)], **kw)


# Owner shots (fired/hit):   m1 100/50  m2 40/10  m3 0/0  m4 NULL  m5 NULL(not provided)
#                            m6 200/120 m7 30/6   m8 25/20
# Known: 395 fired, 206 hit -> 52.1519%.  Teammates 270/129, opponents 410/160,
# lobby (adds Infection m7's 50/21) 730/310.
FIXTURE_MATCHES: list[dict[str, Any]] = [
    # Matchmade Slayer on a named map and playlist.
    _match(
        "m1",
        1,
        [
            _p(OWNER, 0, 100, 50),
            _p(MATE, 0, 80, 40),
            _p(OPP, 1, 90, 30),
            _p(OPP2, 1, 60, 30),
        ],
    ),
    # A map with no stored name; a player who switched from team 0 to the owner's team 1
    # (20/10 + 30/15 = 50/25, counted as a teammate: the team he finished on).
    _match(
        "m2",
        2,
        [
            _p(OWNER, 1, 40, 10),
            _p(MATE, 1, 50, 25),
            _player(SWITCHER, [(0, 20, 10), (1, 30, 15)]),
            _p(OPP, 0, 100, 50),
        ],
        map_id="map-b",
    ),
    # Capture the Flag where the owner never fired: accuracy n/a, not 0%.
    _match("m3", 3, [_p(OWNER, 0, 0, 0), _p(MATE, 0, 30, 9), _p(OPP, 1, 10, 5)], category=15),
    # Owner's shots missing from the JSON, never backfilled: "not yet backfilled".
    _match("m4", 4, [_p(OWNER, 0, None, None), _p(MATE, 0, 10, 5), _p(OPP, 1, 20, 10)]),
    # Same, but the backfill found no valid value: "not provided by the API".
    _match("m5", 5, [_p(OWNER, 0, None, None), _p(OPP, 1, 20, 10)], map_id="map-b"),
    # Custom game against a bot.
    _match(
        "m6",
        6,
        [_p(OWNER, 0, 200, 120), _p(BOT, 1, 150, 45, bot=True)],
        lifecycle=1,
        playlist_id=None,
    ),
    # Infection: no teams, so the others are lobby only (2001 shares team id 0 regardless).
    _match(
        "m7",
        7,
        [_p(OWNER, 0, 30, 6), _p(MATE, 0, 40, 20), _p(OPP, 1, 10, 1)],
        category=22,
        map_id="map-c",
        playlist_id="pl-infection",
        teams=False,
    ),
    # Firefight (PvE).
    _match(
        "m8",
        8,
        [_p(OWNER, 0, 25, 20), _p(MATE, 0, 60, 30)],
        category=42,
        interaction=2,
        map_id="map-d",
        playlist_id="pl-firefight",
    ),
]


def write_matches(conn: duckdb.DuckDBPyConnection, docs: list[dict[str, Any]]) -> None:
    writer = MatchWriter(conn)
    for doc in docs:
        raw = orjson.dumps(doc)
        writer.add(extract_stats_document(parse_match_json(raw), OWNER), raw)
    writer.flush()


def build_fixture_db(data_dir: Path, docs: list[dict[str, Any]] | None = None) -> Path:
    """The fixture player's database under `data_dir`; returns its path."""
    path = player_db_path(data_dir, OWNER_GT)
    conn, _ = open_player_db(path)
    try:
        set_meta(conn, "owner_xuid", OWNER)
        set_meta(conn, "owner_gamertag", OWNER_GT)
        if docs is None:
            write_matches(conn, FIXTURE_MATCHES)
            conn.execute(
                "INSERT INTO backfill_log VALUES "
                "('m5', 'shots', now()::TIMESTAMP, 1, false), "
                # Another option's verdict must not make m4 "not provided".
                "('m4', 'participants_shots', now()::TIMESTAMP, 1, false), "
                "('m1', 'shots', now()::TIMESTAMP, 1, true)"
            )
            conn.execute(
                "INSERT INTO asset_names VALUES "
                "('maps', 'map-a', 'map-a-v1', 'Aquarius', now()::TIMESTAMP), "
                "('playlists', 'pl-ranked', 'pl-ranked-v1', 'Ranked Arena', now()::TIMESTAMP), "
                "('playlists', 'pl-firefight', 'pl-firefight-v1', 'Firefight: Heroic', "
                "now()::TIMESTAMP)"
            )
            conn.execute("INSERT INTO player_names VALUES ('2001', 'Mate Two', now()::TIMESTAMP)")
            # A name seen in a match only (the name cache does not know 3001).
            conn.execute("UPDATE match_participants SET gamertag = 'Opp Three' WHERE xuid = '3001'")
        elif docs:
            write_matches(conn, docs)
    finally:
        conn.close()
    return path


def run_report(data_dir: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """`python -m levelup report ...` as a user runs it."""
    env = {k: v for k, v in os.environ.items() if k not in ("LEVELUP_DATA_DIR", "COLUMNS")}
    return subprocess.run(
        [sys.executable, "-m", "levelup", "report", "--data-dir", str(data_dir), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
    )


def last_json(stdout: str) -> dict[str, Any]:
    lines = [line for line in stdout.splitlines() if line.strip()]
    assert lines, "nothing on stdout"
    return orjson.loads(lines[-1])


@pytest.fixture(scope="module")
def fixture_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data_dir = tmp_path_factory.mktemp("report-data")
    build_fixture_db(data_dir)
    return data_dir


def report_for(data_dir: Path, scope: Scope | None = None) -> dict[str, Any]:
    conn = connect(player_db_path(data_dir, OWNER_GT), read_only=True)
    try:
        frames = load_frames(conn)
    finally:
        conn.close()
    return build_report(frames, scope or Scope()).summary


def _row(rows: list[dict[str, Any]], **match: Any) -> dict[str, Any]:
    found = [r for r in rows if all(r[k] == v for k, v in match.items())]
    assert len(found) == 1, (match, rows)
    return found[0]


# --- figures ----------------------------------------------------------------------------------


def test_overall_figures_are_sums_and_nulls_are_apart(fixture_dir: Path) -> None:
    s = report_for(fixture_dir)
    assert s["matches"] == 8
    assert s["matches_with_shots"] == 6
    assert s["zero_shot_matches"] == 1
    assert (s["shots_fired"], s["shots_hit"]) == (395, 206)
    assert s["overall_accuracy"] == pytest.approx(206 / 395 * 100)
    # An average of per-match percentages would differ (m3 has none): make sure it is not that.
    per_match_mean = (50 + 25 + 60 + 20 + 80) / 5
    assert s["overall_accuracy"] != pytest.approx(per_match_mean)
    assert s["null_shots"] == {"not_backfilled": 1, "not_provided": 1}


def test_breakdowns_keep_kinds_apart(fixture_dir: Path) -> None:
    s = report_for(fixture_dir)
    kinds = {k["kind"]: k for k in s["by_kind"]}
    assert set(kinds) == {"matchmade_pvp", "pve", "custom_bots"}
    assert kinds["matchmade_pvp"]["matches"] == 6
    assert kinds["custom_bots"]["accuracy"] == pytest.approx(60.0)
    slayer = _row(s["by_mode"], kind="matchmade_pvp", name="Slayer")
    assert (slayer["matches"], slayer["shots_unknown"]) == (4, 2)
    assert (slayer["shots_fired"], slayer["shots_hit"]) == (140, 60)
    assert slayer["accuracy"] == pytest.approx(60 / 140 * 100)
    ctf = _row(s["by_mode"], name="Capture the Flag")
    assert ctf["shots_fired"] == 0 and ctf["accuracy"] is None  # n/a, not 0%
    assert _row(s["by_mode"], kind="custom_bots", name="Slayer")["accuracy"] == pytest.approx(60)
    assert _row(s["by_mode"], kind="pve", name="Firefight")["accuracy"] == pytest.approx(80)
    assert _row(s["by_mode"], name="Infection")["accuracy"] == pytest.approx(20)


def test_names_come_from_asset_names_else_ids(fixture_dir: Path) -> None:
    s = report_for(fixture_dir)
    aquarius = _row(s["by_map"], kind="matchmade_pvp", name="Aquarius")
    assert aquarius["id"] == "map-a"
    assert aquarius["matches"] == 3  # m1, m3, m4
    assert (aquarius["shots_fired"], aquarius["shots_hit"]) == (100, 50)
    unnamed = _row(s["by_map"], name="map-b")
    assert (unnamed["matches"], unnamed["shots_unknown"], unnamed["accuracy"]) == (2, 1, 25.0)
    ranked = _row(s["by_playlist"], name="Ranked Arena")
    assert ranked["matches"] == 5
    assert _row(s["by_playlist"], name="(no playlist)")["kind"] == "custom_bots"
    assert _row(s["by_playlist"], name="pl-infection")["matches"] == 1
    assert _row(s["by_playlist"], name="Firefight: Heroic")["kind"] == "pve"


def test_trend_windows(fixture_dir: Path) -> None:
    trend = report_for(fixture_dir)["trend"]
    career = trend["career"]
    assert career["accuracy"] == pytest.approx(206 / 395 * 100)
    # Fewer than 10 known matches: the window is all six of them.
    assert trend["last_10"]["matches"] == 6
    assert trend["last_10"]["delta"] == pytest.approx(0.0)
    last3 = report_for(fixture_dir, Scope(last=3))["trend"]
    assert (last3["career"]["shots_fired"], last3["career"]["shots_hit"]) == (255, 146)


def test_best_and_worst_respect_the_minimum_shots(fixture_dir: Path) -> None:
    s = report_for(fixture_dir)
    assert [m["match_id"] for m in s["best"]] == ["m8", "m6", "m1", "m2", "m7"]
    assert [m["match_id"] for m in s["worst"]] == ["m7", "m2", "m1", "m6", "m8"]
    assert s["best"][0]["accuracy"] == pytest.approx(80.0)
    strict = report_for(fixture_dir, Scope(min_shots=50))
    assert [m["match_id"] for m in strict["best"]] == ["m6", "m1"]  # m8 (25) and m2 (40) out


def test_lobby_teammates_opponents(fixture_dir: Path) -> None:
    lobby = report_for(fixture_dir)["lobby"]
    assert lobby["player"]["accuracy"] == pytest.approx(206 / 395 * 100)
    mates, opps, everyone = lobby["teammates"], lobby["opponents"], lobby["lobby"]
    # The switcher (4001) is a teammate in m2 with 20/10 + 30/15.
    assert (mates["shots_fired"], mates["shots_hit"]) == (270, 129)
    assert mates["accuracy"] == pytest.approx(129 / 270 * 100)
    # Opponents include the bot of the custom game (150/45).
    assert (opps["shots_fired"], opps["shots_hit"]) == (410, 160)
    assert opps["bots"] == 1
    # The lobby adds Infection's others (40/20 and 10/1), in no team.
    assert (everyone["shots_fired"], everyone["shots_hit"]) == (730, 310)
    assert everyone["accuracy"] == pytest.approx(310 / 730 * 100)
    # m4 and m5 (owner's shots unknown) are left out, so the matches are the same as the owner's.
    assert everyone["players"] == 5  # 2001, 3001, 3002, 4001 and the bot; never the owner
    pve = _row(lobby["by_kind"], kind="pve")
    assert pve["teammates"]["accuracy"] == pytest.approx(50.0)
    assert pve["opponents"]["accuracy"] is None


def test_frequent_players_are_humans_with_names(fixture_dir: Path) -> None:
    players = report_for(fixture_dir)["frequent_players"]
    assert [p["xuid"] for p in players] == [MATE, OPP, OPP2, SWITCHER]
    mate, opp = players[0], players[1]
    assert (mate["gamertag"], mate["matches"]) == ("Mate Two", 6)
    assert (mate["as_teammate"], mate["as_opponent"]) == (5, 0)  # m7 counts as lobby only
    assert (mate["shots_fired"], mate["shots_hit"]) == (270, 129)
    # 3001 is in every match but m6 and m8; an opponent in m1-m5, lobby only in m7.
    assert (opp["gamertag"], opp["matches"], opp["as_opponent"]) == ("Opp Three", 6, 5)
    assert opp["accuracy"] == pytest.approx(106 / 250 * 100)
    assert players[3]["gamertag"] is None  # no name anywhere: the xuid is shown


def test_matchmade_games_with_bots_are_a_kind_of_their_own(tmp_path: Path) -> None:
    """Bot Bootcamp is matchmade but played against bots: not mixed into matchmade PvP."""
    bootcamp = _match("b1", 1, [_p(OWNER, 0, 50, 40), _p(BOT, 1, 80, 20, bot=True)])
    pvp = _match("p1", 2, [_p(OWNER, 0, 50, 20), _p(OPP, 1, 40, 20)])
    build_fixture_db(tmp_path, docs=[bootcamp, pvp])
    s = report_for(tmp_path)
    assert [(k["kind"], k["accuracy"]) for k in s["by_kind"]] == [
        ("matchmade_pvp", 40.0),
        ("matchmade_bots", 80.0),
    ]
    assert s["frequent_players"] == [] or all(p["xuid"] != BOT for p in s["frequent_players"])


def _kills(doc: dict[str, Any], kills: int, deaths: int) -> dict[str, Any]:
    """The owner's kills and deaths in `doc` set to these (the others' kept)."""
    owner = next(p for p in doc["Players"] if p["PlayerId"] == f"xuid({OWNER})")
    owner["PlayerTeamStats"][0]["Stats"]["CoreStats"].update(Kills=kills, Deaths=deaths)
    return doc


def test_headline_is_pvp_with_pve_and_bots_apart(tmp_path: Path) -> None:
    """A Firefight match's 120 kills against AI are not in the headline K/D or kills per
    match (the trial's K/D 1.83 with PvP at 1.0-1.5 and Firefight at 342): terminal,
    --json and the page say PvP and give the same figures; the other kinds are apart."""
    firefight = _match("f1", 3, [_p(OWNER, 0, 90, 60), _p(MATE, 0, 60, 30)], category=42,
                       interaction=2, playlist_id="pl-firefight")  # fmt: skip
    docs = [
        _kills(_match("p1", 1, [_p(OWNER, 0, 50, 20), _p(OPP, 1, 40, 20)]), 12, 8),
        _kills(_match("p2", 2, [_p(OWNER, 0, 50, 20), _p(OPP, 1, 40, 20)]), 7, 8),
        _kills(firefight, 120, 2),
        _kills(_match("b1", 4, [_p(OWNER, 0, 50, 40), _p(BOT, 1, 80, 20, bot=True)]), 30, 1),
    ]
    build_fixture_db(tmp_path, docs=docs)
    data = last_json(run_report(tmp_path, "--player", OWNER_GT, "--json").stdout)
    assert (data["matches"], data["pvp_matches"]) == (4, 2)
    assert (data["kills"], data["deaths"]) == (19, 16)
    assert data["kd_ratio"] == pytest.approx(19 / 16)
    o = data["overview"]
    assert o["kills_per_match"] == pytest.approx(9.5)
    assert o["accuracy"] == pytest.approx(40.0)  # PvP's 40 of 100, not Firefight's 60 of 90
    kinds = {row["kind"]: row for row in o["by_kind"]}
    assert kinds["pve"]["kd_ratio"] == pytest.approx(60.0)
    assert kinds["matchmade_bots"]["kills_per_match"] == pytest.approx(30.0)
    assert kinds["matchmade_pvp"]["kd_ratio"] == pytest.approx(19 / 16)
    terminal = run_report(tmp_path, "--player", OWNER_GT, "--section", "overview")
    lines = terminal.stdout.splitlines()
    assert any("PvP K/D (kills / deaths)" in line and "1.19" in line for line in lines)
    assert any("PvP kills / deaths / assists per match" in line and "9.5 / 8.0" in line
               for line in lines)  # fmt: skip
    assert any("PvE (Firefight)" in line and "60.00" in line for line in lines)
    page = tmp_path / "page.html"
    assert run_report(tmp_path, "--player", OWNER_GT, "--html", str(page)).returncode == 0
    html = page.read_text(encoding="utf-8")
    assert '<div class="v">1.19</div><div class="k">PvP K/D (kills / deaths)</div>' in html
    assert "PvE (Firefight)" in html and "60.00" in html


def _zones(doc: dict[str, Any]) -> dict[str, Any]:
    """Every player of `doc` with the API's ZonesStats (named after Strongholds in every
    zone mode)."""
    for entry in doc["Players"]:
        entry["PlayerTeamStats"][0]["Stats"]["ZonesStats"] = {
            "StrongholdOccupationTime": 95.0, "StrongholdScoringTicks": 40,
            "StrongholdCaptures": 3, "StrongholdSecures": 1,
        }  # fmt: skip
    return doc


def test_zone_stats_are_named_for_the_mode_played(tmp_path: Path) -> None:
    """King of the Hill's objective stats said "Stronghold occupation time": the API's
    ZonesStats are shared by the zone modes. The hill in King of the Hill, the stronghold
    in Strongholds, a neutral "Zone" in Total Control; the report and `levelup match`."""
    docs = [_zones(_match(match_id, day, [_p(OWNER, 0, 50, 20), _p(OPP, 1, 40, 20)],
                          category=category))
            for match_id, day, category in (("koth1", 1, 13), ("sh1", 2, 11), ("tc1", 3, 14))]  # fmt: skip
    build_fixture_db(tmp_path, docs=docs)
    data = last_json(run_report(tmp_path, "--player", OWNER_GT, "--json").stdout)
    labels = {row["name"]: [o["label"] for o in row["objectives"]]
              for row in data["modes_maps"]["by_mode"]}  # fmt: skip
    assert labels["King of the Hill"] == [  # most per match first
        "Hill occupation time", "Hill scoring ticks", "Hill captures", "Hill secures"
    ]  # fmt: skip
    assert labels["Strongholds"][:2] == ["Stronghold occupation time", "Stronghold scoring ticks"]
    assert all(label.startswith("Zone ") for label in labels["Total Control"]), labels
    terminal = run_report(tmp_path, "--player", OWNER_GT, "--section", "modes")
    assert "Hill occupation" in terminal.stdout
    board = run_cli("match", "koth1", "--data-dir", str(tmp_path))
    assert board.returncode == 0, board.stderr
    assert "Hill occupation time 1m 35s" in board.stdout.replace("\n", " ")
    assert "Stronghold" not in board.stdout


def test_html_to_a_folder_is_refused_before_the_report(fixture_dir: Path, tmp_path: Path) -> None:
    """`--html /some/folder` printed the whole terminal report, then failed: the path is
    checked first (exit 2, one line, nothing else printed)."""
    result = run_report(fixture_dir, "--player", OWNER_GT, "--html", str(tmp_path))
    assert result.returncode == 2
    assert f"--html {tmp_path}: is a folder" in result.stderr
    assert result.stdout == ""
    (tmp_path / "file").write_text("x")
    through_file = run_report(fixture_dir, "--player", OWNER_GT, "--html",
                              str(tmp_path / "file" / "page.html"))  # fmt: skip
    assert through_file.returncode == 2 and "is a file, not a folder" in through_file.stderr
    assert through_file.stdout == ""


def test_scope_filters_in_process(fixture_dir: Path) -> None:
    slayer = report_for(fixture_dir, Scope(categories=(6,)))
    assert slayer["matches"] == 5
    assert (slayer["shots_fired"], slayer["shots_hit"]) == (340, 180)
    since = report_for(fixture_dir, Scope(since=dt.date(2024, 1, 7)))
    assert since["matches"] == 2
    assert (since["shots_fired"], since["shots_hit"]) == (55, 26)
    # --last applies after the mode filter: the last two Slayer matches are m5 and m6.
    last_slayer = report_for(fixture_dir, Scope(categories=(6,), last=2))
    assert last_slayer["matches"] == 2
    assert last_slayer["null_shots"] == {"not_backfilled": 0, "not_provided": 1}
    assert last_slayer["shots_fired"] == 200


def test_duration_stats_are_known_by_name() -> None:
    for name in ("TimeAsFlagCarrier", "LongestTimeAsSkullCarrier", "LongestBombHoldDuration",
                 "Vip.TimeAsVip", "TotalZoneOccupationTime"):  # fmt: skip
        assert is_time_stat(name), name
    # TimesRevivedByAlly (PveStats, in the shared fixtures) is a count.
    for name in ("FlagCaptures", "SkullGrabs", "Timeline.Kills", "TimesRevivedByAlly"):
        assert not is_time_stat(name), name


def test_mode_names() -> None:
    assert parse_mode("slayer") == 6
    assert parse_mode("CTF") == parse_mode("CaptureTheFlag") == parse_mode("capture the flag") == 15
    assert parse_mode("KingOfTheHill") == parse_mode("king_of_the_hill") == 13
    assert parse_mode("MULTIPLAYER_ODDBALL") == 18
    assert parse_mode("Firefight") == 42
    assert parse_mode("Strongholds") == 11
    # A category no name is known for is listed as "Category 44": that name works too.
    assert parse_mode("Category 44") == parse_mode("category44") == parse_mode("44") == 44
    assert mode_label(44) == "Category 44"
    assert "CaptureTheFlag (CTF)" in mode_choices()
    with pytest.raises(ValueError, match="Slayer"):
        parse_mode("Basketball")


# --- the command, in a subprocess -------------------------------------------------------------


def test_cli_terminal_report(fixture_dir: Path) -> None:
    result = run_report(fixture_dir, "--player", "owner one")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Player report: Owner One" in out
    assert "52.15%" in out
    assert "not yet backfilled" in out and "not provided by the API" in out
    assert "n/a" in out  # the zero-shot CTF match
    for title in ("By game mode", "By map", "By playlist", "Trend", "Best matches", "lobby"):
        assert title in out
    assert "Aquarius" in out and "Mate Two" in out


def test_cli_json_last_line(fixture_dir: Path) -> None:
    result = run_report(fixture_dir, "--player", "Owner One", "--json")
    assert result.returncode == 0, result.stderr
    data = last_json(result.stdout)
    assert result.stdout.strip().splitlines()[-1].startswith("{")
    assert len(result.stdout.strip().splitlines()) == 1  # tables went to stderr
    assert data["overall_accuracy"] == pytest.approx(206 / 395 * 100)
    for key in (
        "matches",
        "shots_fired",
        "shots_hit",
        "by_mode",
        "by_map",
        "by_playlist",
        "trend",
        "best",
        "worst",
        "lobby",
        "frequent_players",
        "null_shots",
    ):
        assert key in data
    assert set(data["lobby"]) >= {"teammates", "opponents", "lobby"}
    assert data["null_shots"] == {"not_backfilled": 1, "not_provided": 1}


def test_cli_mode_last_since(fixture_dir: Path) -> None:
    ctf = last_json(
        run_report(fixture_dir, "--player", "Owner One", "--json", "--mode", "ctf").stdout
    )
    assert ctf["matches"] == 1 and ctf["overall_accuracy"] is None
    last = last_json(
        run_report(fixture_dir, "--player", "Owner One", "--json", "--last", "3").stdout
    )
    assert (last["matches"], last["shots_fired"], last["shots_hit"]) == (3, 255, 146)
    since = run_report(fixture_dir, "--player", "Owner One", "--json", "--since", "2024-01-07")
    assert last_json(since.stdout)["matches"] == 2
    bad_date = run_report(fixture_dir, "--player", "Owner One", "--since", "07/01/2024")
    assert bad_date.returncode == 2 and "YYYY-MM-DD" in bad_date.stderr


def test_cli_unknown_mode_is_a_usage_error(fixture_dir: Path) -> None:
    result = run_report(fixture_dir, "--player", "Owner One", "--mode", "basketball")
    assert result.returncode == 2
    assert "unknown mode 'basketball'" in result.stderr
    assert "Slayer" in result.stderr and "CaptureTheFlag (CTF)" in result.stderr


def test_cli_unknown_player(fixture_dir: Path) -> None:
    result = run_report(fixture_dir, "--player", "Nobody Here")
    assert result.returncode == 2
    assert "no database for player 'Nobody Here'" in result.stderr
    assert "Owner One" in result.stderr  # the stored players are listed
    assert "Traceback" not in result.stderr


def test_cli_empty_database(tmp_path: Path) -> None:
    build_fixture_db(tmp_path, docs=[])
    result = run_report(tmp_path, "--player", "Owner One")
    assert result.returncode == 0, result.stderr
    assert "No matches in scope" in result.stdout
    data = last_json(run_report(tmp_path, "--player", "Owner One", "--json").stdout)
    assert data["matches"] == 0 and data["overall_accuracy"] is None
    assert data["best"] == [] and data["frequent_players"] == []


def test_cli_tiny_database_with_one_zero_shot_match(tmp_path: Path) -> None:
    build_fixture_db(tmp_path, docs=[_match("z1", 1, [_p(OWNER, 0, 0, 0)])])
    result = run_report(tmp_path, "--player", "Owner One", "--json")
    assert result.returncode == 0, result.stderr
    data = last_json(result.stdout)
    assert (data["matches"], data["zero_shot_matches"], data["overall_accuracy"]) == (1, 1, None)
    # With --json no table is printed anywhere (issue 12); the terminal shows "n/a", never 0%.
    assert result.stderr == ""
    terminal = run_report(tmp_path, "--player", "Owner One")
    assert terminal.returncode == 0, terminal.stderr
    assert "n/a" in terminal.stdout and "0.00%" not in terminal.stdout


def test_cli_busy_database(fixture_dir: Path, tmp_path: Path) -> None:
    data_dir = tmp_path / "busy"
    path = build_fixture_db(data_dir)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys; c = duckdb.connect(sys.argv[1]); "
            "print('ready', flush=True); sys.stdin.read()",
            str(path),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        result = run_report(data_dir, "--player", "Owner One")
        assert result.returncode == 2
        assert "in use by another LevelUp process" in result.stderr
        assert "Traceback" not in result.stderr
    finally:
        holder.communicate(input="", timeout=30)


def test_old_layout_is_read_without_migration(tmp_path: Path) -> None:
    """A database from before most columns existed: report what it can, change nothing."""
    path = player_db_path(tmp_path, OWNER_GT)
    path.parent.mkdir(parents=True)
    conn = duckdb.connect(str(path))
    conn.execute(
        "CREATE TABLE match_stats (match_id VARCHAR PRIMARY KEY, start_time TIMESTAMP, "
        "game_variant_category INTEGER, shots_fired INTEGER, shots_hit INTEGER)"
    )
    conn.execute(
        "INSERT INTO match_stats VALUES ('a', '2024-01-01 10:00', 6, 10, 5), "
        "('b', '2024-01-02 10:00', 6, NULL, NULL)"
    )
    conn.close()
    before = path.read_bytes()
    result = run_report(tmp_path, "--player", "Owner One", "--json")
    assert result.returncode == 0, result.stderr
    data = last_json(result.stdout)
    assert (data["matches"], data["overall_accuracy"]) == (2, 50.0)
    assert data["null_shots"] == {"not_backfilled": 1, "not_provided": 0}
    assert "match_participants" in data["missing_columns"]
    assert "match_stats.lifecycle_mode" in data["missing_columns"]
    assert "older layout" in result.stderr
    assert path.read_bytes() == before  # opened read-only, never migrated
    tables = duckdb.connect(str(path), read_only=True).execute("SHOW TABLES").fetchall()
    assert tables == [("match_stats",)]


# --- scale ------------------------------------------------------------------------------------


def _synthetic_db(path: Path, matches: int, players_per_match: int, seed: float = 0.42) -> None:
    """A large database written in bulk SQL (building it from JSON would take far longer)."""
    conn, _ = open_player_db(path)
    try:
        set_meta(conn, "owner_xuid", OWNER)
        set_meta(conn, "owner_gamertag", OWNER_GT)
        conn.execute(f"SELECT setseed({seed})")
        conn.execute(
            "INSERT INTO match_stats (match_id, start_time, lifecycle_mode, game_variant_category, "
            "gameplay_interaction, playlist_id, map_id, teams_enabled, team_id, shots_fired, "
            "shots_hit) "
            "SELECT 'm' || i, TIMESTAMP '2022-01-01' + i * INTERVAL 37 MINUTE, "
            "CASE WHEN i % 20 = 0 THEN 1 ELSE 3 END, [6, 6, 6, 15, 18, 11, 13, 22, 42][1 + i % 9], "
            "CASE WHEN i % 9 = 8 THEN 2 ELSE 1 END, 'pl-' || (i % 7), 'map-' || (i % 23), "
            "i % 9 <> 7, i % 2, "
            "CASE WHEN i % 97 = 0 THEN NULL ELSE f END, "
            "CASE WHEN i % 97 = 0 THEN NULL ELSE (f * (0.35 + random() * 0.3))::INTEGER END "
            "FROM (SELECT i, (40 + random() * 200)::INTEGER AS f FROM range(?) t(i))",
            [matches],
        )
        conn.execute(
            "INSERT INTO match_participants (match_id, xuid, is_bot, gamertag, team_id, "
            "shots_fired, shots_hit) "
            "SELECT 'm' || i, CASE WHEN j = 0 THEN ? ELSE (5000 + (i * 7 + j * 13) % 400)::VARCHAR "
            "END, false, NULL, j % 2, f, (f * (0.3 + random() * 0.35))::INTEGER "
            "FROM (SELECT i, j, (30 + random() * 200)::INTEGER AS f "
            "FROM range(?) a(i), range(?) b(j))",
            [OWNER, matches, players_per_match],
        )
    finally:
        conn.close()


@pytest.mark.slow
def test_twenty_thousand_matches_in_well_under_a_few_seconds(tmp_path: Path) -> None:
    path = player_db_path(tmp_path, OWNER_GT)
    _synthetic_db(path, 20_000, 10)
    from levelup.analysis.accuracy import MAX_POINTS
    from levelup.analysis.html_report import render_html

    started = time.perf_counter()
    conn = connect(path, read_only=True)
    try:
        frames = load_frames(conn)
    finally:
        conn.close()
    assert frames.participants.height == 200_000
    report = build_report(frames, Scope())
    computed = time.perf_counter() - started
    page = render_html(report)
    total = time.perf_counter() - started
    assert report.summary["matches"] == 20_000
    assert report.summary["null_shots"]["not_backfilled"] == len(range(0, 20_000, 97))
    assert computed < 3.0, f"load + compute took {computed:.2f}s"
    assert total < 5.0, f"with the HTML page {total:.2f}s"
    assert len(page) < 2_000_000
    # Points stand for runs of matches past MAX_POINTS, so the page stays light (the
    # accuracy chart's points: the dots of the zoomed bar charts are a row each).
    assert 0 < page.count('<circle class="pt"') <= MAX_POINTS
