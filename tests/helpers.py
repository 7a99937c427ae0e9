"""Shared test helpers: fixture paths, hand-written match documents, CLI runs."""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO.parent / "shared" / "fixtures" / "halo_api"
FIXTURE_PLAYER = "2535445291321133"  # in every shared fixture match
MATCH_FILES = sorted(FIXTURES.glob("get_match_stats*.json")) if FIXTURES.is_dir() else []

SHARED_MISSING = f"shared API fixtures not found at {FIXTURES}"

# For a test that reads ../shared/fixtures/halo_api (see conftest.py, which skips it
# when they are absent). Only such tests may skip: a test that needs no fixture must
# never carry it, nor inherit it from a module-level `pytestmark`.
needs_fixtures = pytest.mark.shared_fixtures


def require_shared_fixtures() -> None:
    """Skip the calling test when the shared fixtures are absent; helpers that read
    them call this, so every test using them skips, and no other."""
    if not FIXTURES.is_dir():
        pytest.skip(SHARED_MISSING)


CORE_KEYS = {
    "Score": 0, "PersonalScore": 0, "RoundsWon": 0, "RoundsLost": 0, "RoundsTied": 0,
    "Kills": 0, "Deaths": 0, "Assists": 0, "KDA": 0.0, "Suicides": 0, "Betrayals": 0,
    "AverageLifeDuration": "PT30S", "GrenadeKills": 0, "HeadshotKills": 0, "MeleeKills": 0,
    "PowerWeaponKills": 0, "ShotsFired": 0, "ShotsHit": 0, "Accuracy": 0.0, "DamageDealt": 0,
    "DamageTaken": 0, "CalloutAssists": 0, "VehicleDestroys": 0, "DriverAssists": 0,
    "Hijacks": 0, "EmpAssists": 0, "MaxKillingSpree": 0, "Medals": [], "PersonalScores": [],
    "Spawns": 0, "ObjectivesCompleted": 0,
}  # fmt: skip


def core(**values: Any) -> dict[str, Any]:
    """A CoreStats dict with every key, overridden by `values`."""
    stats = copy.deepcopy(CORE_KEYS)
    stats.update(values)
    return stats


def player(
    pid: str,
    *entries: tuple[int, dict[str, Any]],
    last_team: int | None = None,
    outcome: int = 2,
    rank: int = 1,
    player_type: int = 1,
    time_played: str = "PT10M",
    pvp: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A Players[] entry; each entry is (team_id, CoreStats)."""
    team_stats = []
    for team_id, core_stats in entries:
        stats: dict[str, Any] = {"CoreStats": core_stats}
        if pvp is not None:
            stats["PvpStats"] = pvp
        team_stats.append({"TeamId": team_id, "Stats": stats})
    return {
        "PlayerId": pid,
        "PlayerType": player_type,
        "BotAttributes": {"Difficulty": 2} if player_type == 2 else None,
        "LastTeamId": last_team if last_team is not None else (entries[-1][0] if entries else 0),
        "Outcome": outcome,
        "Rank": rank,
        "ParticipationInfo": {
            "FirstJoinedTime": "2025-01-01T10:00:00Z",
            "LastLeaveTime": None,
            "PresentAtBeginning": True,
            "JoinedInProgress": False,
            "LeftInProgress": False,
            "PresentAtCompletion": True,
            "TimePlayed": time_played,
            "ConfirmedParticipation": None,
        },
        "PlayerTeamStats": team_stats,
    }


def match(
    match_id: str,
    players: list[dict[str, Any]],
    *,
    start: str = "2025-01-01T10:00:00.000Z",
    teams: list[tuple[int, int]] | None = ((0, 50), (1, 40)),  # type: ignore[assignment]
    category: int = 6,
    lifecycle: int = 3,
    interaction: int = 1,
) -> dict[str, Any]:
    """A match-stats document with the API's top-level shape."""
    asset = lambda kind, n: {"AssetKind": kind, "AssetId": f"{n}-id", "VersionId": f"{n}-v"}  # noqa: E731
    return {
        "MatchId": match_id,
        "MatchInfo": {
            "StartTime": start,
            "EndTime": "2025-01-01T10:10:00.000Z",
            "Duration": "PT10M",
            "LifecycleMode": lifecycle,
            "GameVariantCategory": category,
            "LevelId": "level",
            "MapVariant": asset(2, "map"),
            "UgcGameVariant": asset(6, "variant"),
            "ClearanceId": "clearance",
            "Playlist": asset(3, "playlist"),
            "PlaylistExperience": 2,
            "PlaylistMapModePair": asset(7, "pair"),
            "SeasonId": "Csr/Seasons/CsrSeason9-1.json",
            "PlayableDuration": "PT10M",
            "TeamsEnabled": bool(teams),
            "TeamScoringEnabled": bool(teams),
            "GameplayInteraction": interaction,
        },
        "Teams": [
            {"TeamId": tid, "Outcome": 2, "Rank": 1, "Stats": {"CoreStats": core(Score=score)}}
            for tid, score in (teams or [])
        ],
        "Players": players,
    }


def write_recorded_dir(
    root: Path, docs: list[dict[str, Any] | tuple[str, bytes]], players: list[dict]
) -> Path:
    """A recorded-responses directory; a (match_id, bytes) item is written raw."""
    (root / "matches").mkdir(parents=True, exist_ok=True)
    (root / "players.json").write_bytes(orjson.dumps(players))
    for doc in docs:
        if isinstance(doc, tuple):
            match_id, raw = doc
            (root / "matches" / f"{match_id}.json").write_bytes(raw)
        else:
            (root / "matches" / f"{doc['MatchId']}.json").write_bytes(orjson.dumps(doc))
    return root


def fixture_recorded_dir(root: Path) -> Path:
    """The shared real fixtures as a recorded directory (read from ../shared, written to tmp)."""
    require_shared_fixtures()
    docs = [orjson.loads(path.read_bytes()) for path in MATCH_FILES]
    return write_recorded_dir(root, docs, [{"gamertag": "FixturePlayer", "xuid": FIXTURE_PLAYER}])


def run_cli(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run `python -m levelup ...` in a subprocess, as a user would."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("SPNKR_")}
    full_env.pop("LEVELUP_DATA_DIR", None)
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "levelup", *args],
        capture_output=True,
        text=True,
        env=full_env,
        cwd=cwd,
        timeout=timeout,
    )


def last_json(stdout: str) -> dict[str, Any]:
    """The JSON object on the last line of stdout."""
    lines = [line for line in stdout.splitlines() if line.strip()]
    assert lines, "no output on stdout"
    return orjson.loads(lines[-1])
