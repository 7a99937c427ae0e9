"""Transformers on hand-written documents: the rules past bugs taught."""

from __future__ import annotations

import logging

import orjson
import pytest

from levelup.extract.match import MatchDocumentError, extract_match, parse_match_json
from tests.helpers import core, match, player

OWNER = "2535400000000001"
MATE = "2535400000000002"
FOE = "2535400000000003"


def transform_match_stats(doc, owner_xuid):
    """The owner's `match_stats` row, None when the owner did not play the match."""
    return extract_match(doc, owner_xuid).stats


def extract_participants(doc):
    return extract_match(doc, None).participants


def _doc(**kwargs):
    players = [
        player(
            f"xuid({OWNER})",
            (0, core(Kills=10, Deaths=5, Assists=3, KDA=6.0, ShotsFired=200, ShotsHit=90,
                     Accuracy=45.0, Score=10, PersonalScore=1500, DamageDealt=3000,
                     DamageTaken=2500, HeadshotKills=4, MeleeKills=1, GrenadeKills=2,
                     PowerWeaponKills=1, MaxKillingSpree=3, AverageLifeDuration="PT40S")),
            pvp={"Kills": 99, "Deaths": 99, "Assists": 99, "KDA": 99.0},
            time_played="PT8M30S",
        ),
        player(f"xuid({MATE})", (0, core(ShotsFired=100, ShotsHit=33, Kills=4))),
        player(f"xuid({FOE})", (1, core(ShotsFired=0, ShotsHit=0)), outcome=3, rank=2),
    ]  # fmt: skip
    return match("m-1", players, **kwargs)


def test_owner_row_reads_core_stats_by_key_not_pvp_stats():
    row = transform_match_stats(_doc(), OWNER)
    assert row is not None
    assert (row.kills, row.deaths, row.assists, row.kda) == (10, 5, 3, 6.0)
    assert (row.shots_fired, row.shots_hit) == (200, 90)
    assert row.accuracy == pytest.approx(45.0)
    assert (row.damage_dealt, row.damage_taken, row.headshot_kills) == (3000, 2500, 4)
    assert (row.melee_kills, row.grenade_kills, row.power_weapon_kills) == (1, 2, 1)
    assert row.max_killing_spree == 3 and row.avg_life_seconds == 40.0
    assert row.time_played_seconds == 510.0  # the player's own, not the match's 600
    assert row.duration_seconds == 600.0
    assert (row.my_team_score, row.enemy_team_score) == (50, 40)
    assert (row.map_id, row.playlist_id, row.game_variant_id, row.pair_id) == (
        "map-id", "playlist-id", "variant-id", "pair-id",
    )  # fmt: skip
    assert row.start_time is not None and row.start_time.isoformat() == "2025-01-01T10:00:00"
    assert row.player_count == 3


def test_player_who_switched_teams_is_summed_over_every_entry():
    switcher = player(
        f"xuid({OWNER})",
        (0, core(Kills=3, Deaths=2, Assists=3, KDA=2.0, ShotsFired=50, ShotsHit=20,
                 MaxKillingSpree=2, AverageLifeDuration="PT20S")),
        (1, core(Kills=5, Deaths=1, Assists=0, KDA=4.0, ShotsFired=30, ShotsHit=25,
                 MaxKillingSpree=4, AverageLifeDuration="PT60S")),
    )  # fmt: skip
    doc = match("m-2", [switcher, player(f"xuid({FOE})", (0, core()))])
    row = transform_match_stats(doc, OWNER)
    assert row is not None
    assert (row.kills, row.deaths, row.assists) == (8, 3, 3)
    assert (row.shots_fired, row.shots_hit) == (80, 45)
    assert row.accuracy == pytest.approx(45 / 80 * 100)
    assert row.kda == 6.0
    assert row.team_id == 1  # LastTeamId
    assert row.max_killing_spree == 4
    # Lives-weighted: (20 s x 3 lives + 60 s x 2 lives) / 5 lives.
    assert row.avg_life_seconds == pytest.approx(36.0)
    assert (row.my_team_score, row.enemy_team_score) == (40, 50)
    participants = {p.xuid: p for p in extract_participants(doc)}
    assert (participants[OWNER].shots_fired, participants[OWNER].shots_hit) == (80, 45)


def test_accuracy_is_null_when_nothing_was_fired_and_recomputed_otherwise():
    rows = {p.xuid: p for p in extract_participants(_doc())}
    assert rows[FOE].accuracy is None
    assert rows[FOE].shots_fired == 0
    assert rows[MATE].accuracy == pytest.approx(33.0)


def test_players_are_matched_by_exact_id_not_substring():
    doc = _doc()
    assert transform_match_stats(doc, OWNER[:-1]) is None
    assert transform_match_stats(doc, OWNER + "0") is None
    assert transform_match_stats(doc, OWNER) is not None


def test_bots_are_participants_keyed_by_their_api_id():
    bot = player("bid(8.0)", (1, core(ShotsFired=40, ShotsHit=10)), player_type=2)
    doc = match("m-3", [player(f"xuid({OWNER})", (0, core(ShotsFired=5, ShotsHit=5))), bot],
                lifecycle=1)  # fmt: skip
    rows = {p.xuid: p for p in extract_participants(doc)}
    assert rows["bid(8.0)"].is_bot is True
    assert rows[OWNER].is_bot is False
    assert rows["bid(8.0)"].accuracy == pytest.approx(25.0)


def test_match_without_teams_has_null_team_scores():
    doc = match("m-4", [player(f"xuid({OWNER})", (3, core(ShotsFired=9, ShotsHit=3)))], teams=None)
    row = transform_match_stats(doc, OWNER)
    assert row is not None
    assert row.my_team_score is None and row.enemy_team_score is None
    assert row.teams_enabled is False


def test_invalid_numbers_become_null_and_keep_the_participant(caplog):
    bad = core(ShotsFired="lots", ShotsHit=-4, Kills=True, Deaths=float("nan"), PersonalScore=-110)
    doc = match("m-5", [player(f"xuid({OWNER})", (0, bad))])
    with caplog.at_level(logging.WARNING, logger="levelup.values"):
        row = transform_match_stats(doc, OWNER)
    assert row is not None
    assert (row.shots_fired, row.shots_hit, row.kills, row.deaths) == (None, None, None, None)
    assert row.accuracy is None
    assert row.personal_score == -110
    assert "m-5" in caplog.text and "ShotsFired" in caplog.text


def test_player_without_core_stats_is_kept_with_nulls(caplog):
    bare = player(f"xuid({FOE})")
    doc = match("m-6", [player(f"xuid({OWNER})", (0, core(ShotsFired=1, ShotsHit=1))), bare])
    with caplog.at_level(logging.WARNING, logger="levelup.values"):
        rows = {p.xuid: p for p in extract_participants(doc)}
    assert rows[FOE].shots_fired is None and rows[FOE].kills is None
    assert "no CoreStats" in caplog.text


def test_a_switcher_with_one_bad_entry_has_null_totals_not_partial_sums():
    switcher = player(
        f"xuid({OWNER})",
        (0, core(ShotsFired=10, ShotsHit=5)),
        (1, core(ShotsFired=None, ShotsHit=2)),
    )
    row = transform_match_stats(match("m-7", [switcher]), OWNER)
    assert row is not None
    assert row.shots_fired is None and row.shots_hit == 7 and row.accuracy is None


@pytest.mark.parametrize(
    ("doc", "reason"),
    [
        ({"MatchInfo": {"StartTime": "2025-01-01T00:00:00Z"}, "Players": [{}]}, "MatchId"),
        ({"MatchId": "x", "MatchInfo": {}, "Players": [{}]}, "StartTime"),
        ({"MatchId": "x", "MatchInfo": {"StartTime": "yesterday"}, "Players": [{}]}, "StartTime"),
        ({"MatchId": "x", "MatchInfo": {"StartTime": "2025-01-01T00:00:00Z"}}, "Players"),
    ],
)
def test_documents_that_cannot_be_stored_say_why(doc, reason):
    with pytest.raises(MatchDocumentError, match=reason):
        extract_match(doc, OWNER)


def test_invalid_json_is_a_document_error():
    with pytest.raises(MatchDocumentError, match="invalid JSON"):
        parse_match_json(b'{"MatchId": "x", "Players": [')
    with pytest.raises(MatchDocumentError, match="not an object"):
        parse_match_json(b"[1, 2]")
    assert parse_match_json(orjson.dumps(_doc()))["MatchId"] == "m-1"
