"""Values the JSON leaves unknown, through the real CLI: never a crash, never a 0,
never silently gone (findings of a trial on hand-made matches of unseen shapes).

- a medal whose `Count` is unusable is stored with a NULL count: `levelup match`
  and the HTML report list it ("×?"), they do not fail on it;
- a medal entry with no usable `NameId` cannot be stored (the id is its key): the
  warning says so and names the match;
- an objective stat that is NULL in one match is averaged over the matches that
  know it, not counted as 0;
- a skill file whose name spells the match id in capitals is found, like a match file;
- a negative team score reads "-2 – 1", not "-2-1";
- two objects naming one mode (`OddballStats`, `Oddball`) give one row per stat.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from tests.helpers import core, last_json, match, player, run_cli, write_recorded_dir

OWNER, MATE = "2533274800000101", "2533274800000102"
GT = "Unknown Values"
KNOWN, UNKNOWN = "aaaaaaaa-0000-4000-8000-000000000001", "aaaaaaaa-0000-4000-8000-000000000002"
ODDBALL = 18  # MatchInfo.GameVariantCategory


def _skill(*xuids: str) -> dict[str, Any]:
    return {
        "Value": [
            {"Id": f"xuid({x})", "ResultCode": 0, "Result": {"TeamId": 0, "TeamMmr": 1500.0}}
            for x in xuids
        ]
    }


def _oddball(
    match_id: str, start: str, skull_time: str | None, teams: tuple = ((0, 2), (1, 1))
) -> dict[str, Any]:
    medals = [
        {"NameId": 1512363953, "Count": None, "TotalPersonalScoreAwarded": 0},  # unusable count
        {"NameId": 622331684, "Count": 2, "TotalPersonalScoreAwarded": 100},
        {"Count": 1, "TotalPersonalScoreAwarded": 50},  # no NameId at all
    ]
    owner = player(f"xuid({OWNER})", (0, core(Kills=5, Medals=medals)))
    owner["PlayerTeamStats"][0]["Stats"]["OddballStats"] = {
        "TimeAsSkullCarrier": skull_time,
        "SkullGrabs": 3,
    }
    if skull_time is None:  # a second object naming the same mode: never a second row
        owner["PlayerTeamStats"][0]["Stats"]["Oddball"] = {"TimeAsSkullCarrier": "PT30S"}
    mate = player(f"xuid({MATE})", (1, core(Kills=2)), outcome=3)
    return match(match_id, [owner, mate], start=start, category=ODDBALL, teams=teams)


def _recorded(root: Path) -> Path:
    docs = [
        _oddball(KNOWN, "2025-01-01T10:00:00.000Z", "PT1M", teams=((0, -2), (1, 1))),
        _oddball(UNKNOWN, "2025-01-02T10:00:00.000Z", None),
    ]
    recorded = write_recorded_dir(root, docs, [{"gamertag": GT, "xuid": OWNER}])
    (recorded / "skill").mkdir()
    (recorded / "skill" / f"{KNOWN.upper()}.json").write_bytes(orjson.dumps(_skill(OWNER, MATE)))
    (recorded / "skill" / f"{UNKNOWN}.json").write_bytes(orjson.dumps(_skill(OWNER, MATE)))
    return recorded


def test_unknown_values_are_listed_averaged_apart_and_said(tmp_path: Path) -> None:
    recorded, data = _recorded(tmp_path / "recorded"), tmp_path / "data"
    sync = run_cli("sync", "--player", GT, "--source", str(recorded), "--data-dir", str(data),
                   "--json", "-v")  # fmt: skip
    assert sync.returncode == 0, sync.stdout + sync.stderr  # the capitalised skill file is found
    synced = last_json(sync.stdout)
    assert (synced["matches_written"], synced["skill"]["stored"]) == (2, 2)
    assert f"match {KNOWN}: field {OWNER}.Medals[].NameId is None, not an id" in sync.stderr
    assert "that entry is not stored" in sync.stderr
    assert f"match {UNKNOWN}: {OWNER}.Oddball names mode Oddball again" in sync.stderr
    rows = run_cli("sql", "SELECT value FROM match_mode_stats WHERE match_id = "
                   f"'{UNKNOWN}' AND xuid = '{OWNER}' AND stat = 'TimeAsSkullCarrier'",
                   "--player", GT, "--data-dir", str(data), "--format", "json")  # fmt: skip
    assert rows.returncode == 0, rows.stderr
    assert last_json(rows.stdout)["rows"] == [[None]]  # one row, the first object's NULL

    board = run_cli("match", KNOWN, "--data-dir", str(data), "--json")
    assert board.returncode == 0, board.stderr
    owner = next(p for t in last_json(board.stdout)["teams"] for p in t["players"] if p["is_owner"])
    assert owner["medals"] is None  # one unknown count: a partial total would look exact
    assert "×?" in owner["top_medals"] and "×2" in owner["top_medals"]
    terminal = run_cli("match", KNOWN, "--data-dir", str(data))
    assert terminal.returncode == 0 and "×?" in terminal.stdout, terminal.stderr

    report = run_cli("report", "--player", GT, "--data-dir", str(data), "--json")
    assert report.returncode == 0, report.stderr
    modes = last_json(report.stdout)["modes_maps"]["by_mode"]
    (oddball,) = [m for m in modes if m["category"] == ODDBALL]
    stats = {s["stat"]: s for s in oddball["objectives"]}
    skull = stats["TimeAsSkullCarrier"]
    assert (skull["per_match"], skull["matches"], skull["unknown_matches"]) == (60.0, 1, 1)
    assert (stats["SkullGrabs"]["per_match"], stats["SkullGrabs"]["unknown_matches"]) == (3.0, 0)
    assert "Time as skull carrier 1m 00s" in oddball["objectives_text"]
    # A negative team score (some modes have them) is not written "-2-1".
    scores = {
        m["match_id"]: m["score"] for m in last_json(report.stdout)["recent_matches"]["matches"]
    }
    assert (scores[KNOWN], scores[UNKNOWN]) == ("-2 – 1", "2-1")

    page = tmp_path / "report.html"
    html = run_cli("report", "--player", GT, "--data-dir", str(data), "--html", str(page))
    assert html.returncode == 0, html.stderr
    assert "×?" in page.read_text()
