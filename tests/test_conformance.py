"""Every real recorded match-stats response in ../shared/fixtures/halo_api/."""

from __future__ import annotations

import orjson
import pytest

from levelup.extract.match import extract_match, parse_match_json
from tests.helpers import FIXTURE_PLAYER, MATCH_FILES, needs_fixtures

pytestmark = needs_fixtures


def _expected(doc):
    """Independent reading of the JSON: sums over PlayerTeamStats[].Stats.CoreStats."""
    out = {}
    for p in doc["Players"]:
        cores = [entry["Stats"]["CoreStats"] for entry in p["PlayerTeamStats"]]
        out[p["PlayerId"]] = (
            sum(c["ShotsFired"] for c in cores),
            sum(c["ShotsHit"] for c in cores),
            [c["Accuracy"] for c in cores],
        )
    return out


@pytest.mark.parametrize("path", MATCH_FILES, ids=[p.name for p in MATCH_FILES])
def test_shots_accuracy_and_participants_match_the_api(path):
    doc = parse_match_json(path.read_bytes())
    extracted = extract_match(doc, FIXTURE_PLAYER)
    expected = _expected(orjson.loads(path.read_bytes()))
    assert extracted.stats is not None, "the fixture player is in every recorded match"
    assert len(extracted.participants) == len(doc["Players"])
    ids = {p.xuid for p in extracted.participants}
    want_ids = {
        pid[5:-1] if pid.startswith("xuid(") else pid
        for pid in (p["PlayerId"] for p in doc["Players"])
    }
    assert ids == want_ids
    for row in extracted.participants:
        api_id = row.xuid if row.is_bot else f"xuid({row.xuid})"
        fired, hit, api_accuracies = expected[api_id]
        assert (row.shots_fired, row.shots_hit) == (fired, hit)
        if fired:
            assert len(api_accuracies) == 1
            # The API truncates to two decimals.
            assert row.accuracy == pytest.approx(api_accuracies[0], abs=0.01)
        else:
            assert row.accuracy is None
    owner = next(p for p in extracted.participants if p.xuid == FIXTURE_PLAYER)
    assert (extracted.stats.shots_fired, extracted.stats.shots_hit) == (
        owner.shots_fired,
        owner.shots_hit,
    )


@needs_fixtures
def test_known_values_of_the_ranked_slayer_fixture():
    doc = parse_match_json((MATCH_FILES[0].parent / "get_match_stats.json").read_bytes())
    row = extract_match(doc, FIXTURE_PLAYER).stats
    assert row is not None
    assert (row.shots_fired, row.shots_hit, row.kills, row.deaths) == (221, 135, 18, 8)
    assert row.accuracy == pytest.approx(61.08, abs=0.01)
    assert row.time_played_seconds == pytest.approx(549.421)
    assert row.game_variant_category == 6


@needs_fixtures
def test_special_modes():
    by_name = {p.name: parse_match_json(p.read_bytes()) for p in MATCH_FILES}
    infection = extract_match(by_name["get_match_stats_infection.json"], FIXTURE_PLAYER)
    assert infection.stats is not None and infection.stats.my_team_score is None
    assert len(infection.participants) == 13
    assert any(
        p.personal_score is not None and p.personal_score < 0 for p in infection.participants
    )
    bot = extract_match(by_name["get_match_stats_custom_bot.json"], FIXTURE_PLAYER)
    assert [p.xuid for p in bot.participants if p.is_bot] == ["bid(8.0)"]
    assert bot.stats is not None and bot.stats.lifecycle_mode == 1
    pve = extract_match(by_name["get_match_stats_pve.json"], FIXTURE_PLAYER)
    assert pve.stats is not None and pve.stats.gameplay_interaction == 2
