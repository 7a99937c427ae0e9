"""Tests of the demo match generator (levelup.demo.generator).

The generator feeds the demo, the other tests and the benchmarks, so these tests
check what they rely on: determinism, the API's exact shape (compared with the
real recorded responses when they are available), internally consistent numbers,
the awkward cases (team switches, bots, quitters), the mode mix, realistic
document sizes and the recorded-directory layout.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import orjson
import pytest

from levelup.demo.generator import (
    DEMO_OWNER,
    ROSTER_SIZE,
    GeneratedPlayer,
    RecordedDirSummary,
    generate_match,
    iter_matches,
    roster,
    write_recorded_dir,
)

FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "halo_api"
STATS_FIXTURES = sorted(FIXTURES.glob("get_match_stats*.json")) if FIXTURES.is_dir() else []
needs_fixtures = pytest.mark.skipif(
    not STATS_FIXTURES,
    reason=f"recorded API responses not found in {FIXTURES}",
)

OWNER_ID = f"xuid({DEMO_OWNER.xuid})"
SAMPLE = 300  # matches checked by the shared sample: fast (~0.2 s) yet varied


@pytest.fixture(scope="module")
def sample() -> list[dict[str, Any]]:
    return list(iter_matches(SAMPLE))


def _fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text())


def _seconds(duration: str) -> float:
    match = re.fullmatch(r"PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?", duration)
    assert match, duration
    hours, minutes, seconds = match.groups()
    return int(hours or 0) * 3600 + int(minutes or 0) * 60 + float(seconds or 0)


def _kda(kills: int, deaths: int, assists: int) -> float:
    thirds = 3 * kills + assists - 3 * deaths
    hundredths = abs(thirds) * 100 // 3
    return (hundredths if thirds >= 0 else -hundredths) / 100


def _entries(doc: dict[str, Any]):
    for player in doc["Players"]:
        for entry in player["PlayerTeamStats"]:
            yield player, entry


# ---------------------------------------------------------------- determinism


def test_same_index_and_seed_give_the_same_bytes() -> None:
    first = orjson.dumps(generate_match(12))
    assert orjson.dumps(generate_match(12)) == first
    # Independent of what was generated before or around it.
    assert orjson.dumps(list(iter_matches(13))[12]) == first


def test_seed_and_index_change_the_match() -> None:
    ids = {generate_match(i)["MatchId"] for i in range(20)}
    assert len(ids) == 20
    assert generate_match(3, seed=8)["MatchId"] != generate_match(3)["MatchId"]


def test_match_ids_are_uuid4(sample: list[dict[str, Any]]) -> None:
    for doc in sample[:50]:
        assert uuid.UUID(doc["MatchId"]).version == 4


def test_negative_index_is_refused() -> None:
    with pytest.raises(ValueError):
        generate_match(-1)


# ------------------------------------------------------------ time and roster


def test_start_times_are_distinct_and_newest_first(sample: list[dict[str, Any]]) -> None:
    starts = [dt.datetime.fromisoformat(d["MatchInfo"]["StartTime"]) for d in sample]
    assert all(a > b for a, b in itertools.pairwise(starts))
    for doc in sample[:50]:
        info = doc["MatchInfo"]
        start = dt.datetime.fromisoformat(info["StartTime"])
        end = dt.datetime.fromisoformat(info["EndTime"])
        assert start < end
        assert _seconds(info["PlayableDuration"]) <= _seconds(info["Duration"]) + 1e-3


def test_five_thousand_matches_span_about_two_years() -> None:
    newest = dt.datetime.fromisoformat(generate_match(0)["MatchInfo"]["StartTime"])
    oldest = dt.datetime.fromisoformat(generate_match(4999)["MatchInfo"]["StartTime"])
    assert 1.5 * 365 < (newest - oldest).days < 2.5 * 365


def test_roster_is_fixed_and_plausible() -> None:
    people = roster()
    assert people == roster()
    assert len(people) == ROSTER_SIZE
    assert people[0] == DEMO_OWNER
    assert len({p.xuid for p in people}) == ROSTER_SIZE
    assert len({p.gamertag.casefold() for p in people}) == ROSTER_SIZE
    for person in people[1:]:
        assert re.fullmatch(r"\d{16}", person.xuid)
        assert 3 <= len(person.gamertag) <= 15


def test_owner_in_every_match_and_opponents_recur(sample: list[dict[str, Any]]) -> None:
    known = {f"xuid({p.xuid})" for p in roster()}
    seen: Counter[str] = Counter()
    for doc in sample:
        ids = [p["PlayerId"] for p in doc["Players"]]
        assert OWNER_ID in ids
        assert len(ids) == len(set(ids))
        humans = [p["PlayerId"] for p in doc["Players"] if p["PlayerType"] == 1]
        assert set(humans) <= known
        seen.update(h for h in humans if h != OWNER_ID)
    # "Players seen most often" must have an answer: regulars come back a lot.
    assert seen.most_common(1)[0][1] >= 30
    assert sum(1 for count in seen.values() if count >= 5) >= 20


def test_another_owner_is_in_every_match() -> None:
    owner = GeneratedPlayer(xuid="2535499999999999", gamertag="SomeoneElse")
    for doc in iter_matches(20, owner=owner):
        assert "xuid(2535499999999999)" in [p["PlayerId"] for p in doc["Players"]]
    assert roster(owner=owner)[0] == owner


# ---------------------------------------------------------------------- shape


@needs_fixtures
def test_keys_match_the_recorded_responses(sample: list[dict[str, Any]]) -> None:
    recorded = _fixture("get_match_stats.json")
    player = recorded["Players"][0]
    core_keys = list(player["PlayerTeamStats"][0]["Stats"]["CoreStats"])
    team_core_keys = list(recorded["Teams"][0]["Stats"]["CoreStats"])
    for doc in sample:
        assert list(doc) == list(recorded)
        assert list(doc["MatchInfo"]) == list(recorded["MatchInfo"])
        for p, entry in _entries(doc):
            assert list(p) == list(player)
            assert list(p["ParticipationInfo"]) == list(player["ParticipationInfo"])
            assert list(entry) == ["TeamId", "Stats"]
            assert list(entry["Stats"]["CoreStats"]) == core_keys
        for team in doc["Teams"]:
            assert list(team) == list(recorded["Teams"][0])
            assert list(team["Stats"]["CoreStats"]) == team_core_keys


@needs_fixtures
@pytest.mark.parametrize(
    ("fixture", "category"),
    [
        ("get_match_stats_ctf.json", 15),
        ("get_match_stats_infection.json", 22),
        ("get_match_stats_pve.json", 42),
        ("get_match_stats_custom_bot.json", 18),
    ],
)
def test_mode_stats_match_the_recorded_responses(
    sample: list[dict[str, Any]], fixture: str, category: int
) -> None:
    recorded_stats = _fixture(fixture)["Players"][0]["PlayerTeamStats"][0]["Stats"]
    expected = {name: list(value) for name, value in recorded_stats.items() if name != "CoreStats"}
    docs = [d for d in sample if d["MatchInfo"]["GameVariantCategory"] == category]
    assert docs
    for doc in docs:
        for _, entry in _entries(doc):
            stats = entry["Stats"]
            assert {n: list(v) for n, v in stats.items() if n != "CoreStats"} == expected


def test_spnkr_models_accept_the_documents(sample: list[dict[str, Any]]) -> None:
    stats = pytest.importorskip("spnkr.models.stats")
    for doc in sample[:40]:
        stats.MatchStats.model_validate(doc)


def test_values_have_the_api_types(sample: list[dict[str, Any]]) -> None:
    for doc in sample[:60]:
        info = doc["MatchInfo"]
        for key in ("MapVariant", "UgcGameVariant"):
            assert set(info[key]) == {"AssetKind", "AssetId", "VersionId"}
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,3})?Z", info["StartTime"])
        for _, entry in _entries(doc):
            core = entry["Stats"]["CoreStats"]
            assert isinstance(core["Accuracy"], float)
            assert isinstance(core["KDA"], float)
            assert isinstance(core["DeprecatedDamageDealt"], float)
            assert isinstance(core["Kills"], int)
            assert core["AverageLifeDuration"].startswith("PT")
            for medal in core["Medals"]:
                assert set(medal) == {"NameId", "Count", "TotalPersonalScoreAwarded"}


# ---------------------------------------------------------------- consistency


def test_numbers_are_internally_consistent(sample: list[dict[str, Any]]) -> None:
    for doc in sample:
        duration = _seconds(doc["MatchInfo"]["Duration"])
        team_outcome = {t["TeamId"]: t["Outcome"] for t in doc["Teams"]}
        sums: dict[int, Counter[str]] = {}
        for _player, entry in _entries(doc):
            core = entry["Stats"]["CoreStats"]
            assert 0 <= core["ShotsHit"] <= core["ShotsFired"]
            expected = (
                core["ShotsHit"] * 10000 // core["ShotsFired"] / 100 if core["ShotsFired"] else 0.0
            )
            assert core["Accuracy"] == expected
            assert core["KDA"] == _kda(core["Kills"], core["Deaths"], core["Assists"])
            assert core["PersonalScore"] == sum(
                award["TotalPersonalScoreAwarded"] for award in core["PersonalScores"]
            )
            assert core["MaxKillingSpree"] <= core["Kills"]
            for mode in ("PvpStats", "PveStats"):
                if mode in entry["Stats"]:
                    assert entry["Stats"][mode]["Kills"] == core["Kills"]
                    assert entry["Stats"][mode]["KDA"] == core["KDA"]
            team_sum = sums.setdefault(entry["TeamId"], Counter())
            for key in ("Score", "Kills", "Deaths", "Assists", "ShotsFired", "PersonalScore"):
                team_sum[key] += core[key]
        for player in doc["Players"]:
            info = player["ParticipationInfo"]
            assert _seconds(info["TimePlayed"]) <= duration
            assert player["LastTeamId"] == player["PlayerTeamStats"][-1]["TeamId"]
            if info["LeftInProgress"]:
                assert player["Outcome"] == 4  # DidNotFinish
                assert not info["PresentAtCompletion"] and info["LastLeaveTime"]
            elif team_outcome:
                assert player["Outcome"] == team_outcome[player["LastTeamId"]]
        for team in doc["Teams"]:
            core = team["Stats"]["CoreStats"]
            for key, value in sums.get(team["TeamId"], Counter()).items():
                assert core[key] == value, (doc["MatchId"], team["TeamId"], key)


def test_winner_has_the_higher_score(sample: list[dict[str, Any]]) -> None:
    checked = 0
    for doc in sample:
        if doc["MatchInfo"]["GameplayInteraction"] != 1 or not doc["Teams"]:
            continue
        a, b = doc["Teams"]
        score_a, score_b = a["Stats"]["CoreStats"]["Score"], b["Stats"]["CoreStats"]["Score"]
        if a["Outcome"] == 1:  # tie
            assert b["Outcome"] == 1 and score_a == score_b
            continue
        winner, loser = (a, b) if a["Outcome"] == 2 else (b, a)
        assert (winner["Outcome"], loser["Outcome"]) == (2, 3)
        assert (winner["Rank"], loser["Rank"]) == (1, 2)
        assert winner["Stats"]["CoreStats"]["Score"] > loser["Stats"]["CoreStats"]["Score"]
        checked += 1
    assert checked > 100


def test_awkward_cases_occur(sample: list[dict[str, Any]]) -> None:
    counts: Counter[str] = Counter()
    for doc in sample:
        for player in doc["Players"]:
            info = player["ParticipationInfo"]
            counts["late"] += info["JoinedInProgress"]
            counts["left"] += info["LeftInProgress"]
        for _, entry in _entries(doc):
            core = entry["Stats"]["CoreStats"]
            counts["never fired"] += core["ShotsFired"] == 0
            counts["negative"] += core["PersonalScore"] < 0
    assert counts["late"] >= 5
    assert counts["left"] >= 5
    assert counts["never fired"] >= 3
    assert counts["negative"] >= 1


def test_team_switches_happen_and_sum(sample: list[dict[str, Any]]) -> None:
    switches = []
    for index, doc in enumerate(sample[:100]):
        for player in doc["Players"]:
            entries = player["PlayerTeamStats"]
            if len(entries) > 1:
                switches.append((index, player))
                assert len({e["TeamId"] for e in entries}) == len(entries)
    assert len(switches) >= 1
    # Deterministic schedule: the owner switches teams in match 47 of every 100.
    owner_switch = [p for i, p in switches if i == 47 and p["PlayerId"] == OWNER_ID]
    assert owner_switch
    entries = owner_switch[0]["PlayerTeamStats"]
    assert owner_switch[0]["LastTeamId"] == entries[-1]["TeamId"]
    total_kills = sum(e["Stats"]["CoreStats"]["Kills"] for e in entries)
    assert total_kills == sum(e["Stats"]["PvpStats"]["Kills"] for e in entries)


# ------------------------------------------------------------------------ mix


def test_mode_mix(sample: list[dict[str, Any]]) -> None:
    categories = Counter(d["MatchInfo"]["GameVariantCategory"] for d in sample)
    lifecycles = Counter(d["MatchInfo"]["LifecycleMode"] for d in sample)
    assert {6, 11, 13, 15, 18, 22, 42} <= set(categories)
    assert lifecycles[3] > lifecycles[1] > 0
    pvp_matchmade = sum(
        1
        for d in sample
        if d["MatchInfo"]["LifecycleMode"] == 3 and d["MatchInfo"]["GameplayInteraction"] == 1
    )
    assert pvp_matchmade > len(sample) / 2


def test_infection_firefight_and_custom_shapes(sample: list[dict[str, Any]]) -> None:
    bot_matches = 0
    for doc in sample:
        info, players = doc["MatchInfo"], doc["Players"]
        humans = [p for p in players if p["PlayerType"] == 1]
        bots = [p for p in players if p["PlayerType"] == 2]
        if info["GameVariantCategory"] == 22:
            assert doc["Teams"] == []
            assert info["TeamsEnabled"] is False and info["TeamScoringEnabled"] is False
            assert len({p["LastTeamId"] for p in players}) >= 8
            assert sum(p["Outcome"] == 2 for p in players) == 1
        elif info["GameVariantCategory"] == 42:
            assert info["GameplayInteraction"] == 2
            assert len(humans) == 4 and not bots
            for _, entry in _entries(doc):
                assert "PveStats" in entry["Stats"] and "PvpStats" not in entry["Stats"]
        elif info["LifecycleMode"] == 3:
            assert 8 <= len(players) <= 25 and not bots
            assert info["Playlist"] and info["SeasonId"]
        if info["LifecycleMode"] == 1:
            assert info["Playlist"] is None and info["PlaylistMapModePair"] is None
            assert info["SeasonId"] is None
            bot_matches += bool(bots)
        for bot in bots:
            assert re.fullmatch(r"bid\(\d+\.0\)", bot["PlayerId"])
            assert bot["BotAttributes"]["Difficulty"] in range(1, 6)
            assert info["LifecycleMode"] == 1
        for human in humans:
            assert human["BotAttributes"] is None
            assert re.fullmatch(r"xuid\(\d{16}\)", human["PlayerId"])
    assert bot_matches >= 5


@needs_fixtures
def test_mean_size_is_close_to_the_recorded_responses(sample: list[dict[str, Any]]) -> None:
    recorded = [len(orjson.dumps(json.loads(f.read_bytes()))) for f in STATS_FIXTURES]
    recorded_mean = sum(recorded) / len(recorded)
    generated = [len(orjson.dumps(doc)) for doc in sample]
    generated_mean = sum(generated) / len(generated)
    assert abs(generated_mean - recorded_mean) <= 0.25 * recorded_mean, (
        generated_mean,
        recorded_mean,
    )


# ---------------------------------------------------------- recorded directory


def test_write_recorded_dir_layout(tmp_path: Path) -> None:
    target = tmp_path / "recorded"
    summary = write_recorded_dir(target, 25)

    assert isinstance(summary, RecordedDirSummary)
    assert (summary.count, summary.owner, summary.path) == (25, DEMO_OWNER, target)

    players = orjson.loads((target / "players.json").read_bytes())
    assert players[0] == {"gamertag": DEMO_OWNER.gamertag, "xuid": DEMO_OWNER.xuid}
    assert len(players) == ROSTER_SIZE
    profiles = orjson.loads((target / "profiles.json").read_bytes())
    assert {(p["xuid"], p["gamertag"]) for p in profiles} == {
        (p.xuid, p.gamertag) for p in roster()
    }

    files = sorted((target / "matches").glob("*.json"))
    assert len(files) == 25
    sizes = []
    referenced = set()
    file_sizes: list[int] = []
    for doc in iter_matches(25):
        data = (target / "matches" / f"{doc['MatchId']}.json").read_bytes()
        # Written like the recorded fixtures: 4-space indentation, same content.
        assert data.startswith(b'{\n    "MatchId": ')
        assert orjson.loads(data) == doc
        sizes.append(len(orjson.dumps(doc)))
        file_sizes.append(len(data))
        for key in ("MapVariant", "UgcGameVariant", "Playlist", "PlaylistMapModePair"):
            ref = doc["MatchInfo"][key]
            if ref:
                referenced.add((ref["AssetId"], ref["VersionId"]))
    assert summary.mean_document_bytes == pytest.approx(sum(sizes) / len(sizes))
    assert summary.mean_file_bytes == pytest.approx(sum(file_sizes) / len(file_sizes))

    assert summary.asset_count == len(referenced)
    for asset_id, version_id in referenced:
        asset = orjson.loads((target / "assets" / asset_id / f"{version_id}.json").read_bytes())
        assert (asset["AssetId"], asset["VersionId"]) == (asset_id, version_id)
        assert asset["PublicName"]


def test_write_recorded_dir_without_assets(tmp_path: Path) -> None:
    summary = write_recorded_dir(tmp_path, 3, with_assets=False, seed=3)
    assert summary.asset_count == 0
    assert not (tmp_path / "assets").exists()
    assert len(list((tmp_path / "matches").iterdir())) == 3
