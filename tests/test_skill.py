"""The skill document (issue 11): extraction on the real sample and on hand-written
documents, the writer storing skill rows with the match's stats in one batch, failures
per (match_id, kind) and the schema 3 migration."""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path
from typing import Any

import duckdb
import orjson
import pytest

from levelup.extract.rows import MatchSkillCounterfactualRow, MatchSkillRow, MatchTeamSkillRow
from levelup.extract.skill import (
    SkillDocumentError,
    check_skill_document,
    counterfactuals,
    csr_snapshots,
    match_skill,
    skill_request,
    team_skill,
)
from levelup.registry import (
    SKILL_DOCUMENT,
    extract_document,
    extract_stats_document,
    extracted_from,
)
from levelup.store.bookkeeping import failed_match_ids, record_failures
from levelup.store.database import open_player_db
from levelup.store.schema import SCHEMA_VERSION, get_meta
from levelup.store.writer import MatchWriter
from tests.helpers import FIXTURE_PLAYER, FIXTURES, core, match, needs_fixtures, player

A, B, C = "2533274800000001", "2533274800000002", "2533274800000003"


def csr(value: int, tier: str = "Gold", sub: int = 2, remaining: int = 0) -> dict[str, Any]:
    return {
        "Value": value,
        "MeasurementMatchesRemaining": remaining,
        "Tier": tier,
        "TierStart": 1050,
        "SubTier": sub,
        "NextTier": tier,
        "NextTierStart": 1100,
        "NextSubTier": sub + 1,
        "InitialMeasurementMatches": 5,
    }


def entry(
    xuid: str,
    *,
    team: int = 0,
    pre: dict[str, Any] | None = None,
    post: dict[str, Any] | None = None,
    performances: dict[str, Any] | None = None,
    code: int = 0,
    mmrs: dict[str, float] | None = None,
) -> dict[str, Any]:
    return {
        "Id": f"xuid({xuid})",
        "ResultCode": code,
        "Result": {
            "TeamMmr": 1100.5 + team,
            "RankRecap": {"PreMatchCsr": pre or csr(1060), "PostMatchCsr": post or csr(1068)},
            "StatPerformances": (
                performances
                if performances is not None
                else {
                    "Kills": {"Count": 12, "Expected": 10.5, "StdDev": 3.25},
                    "Deaths": {"Count": 9, "Expected": 11.0, "StdDev": 3.5},
                }
            ),
            "TeamId": team,
            "TeamMmrs": mmrs or {"0": 1100.5, "1": 1101.5},
            "RankedRewards": None,
            "Counterfactuals": {
                "SelfCounterfactuals": {"Kills": 10.5, "Deaths": 11.0},
                "TierCounterfactuals": {
                    "Bronze": {"Kills": 3.0, "Deaths": 19.0},
                    "Onyx": {"Kills": 20.0, "Deaths": 6.0},
                },
            },
        },
    }


def skill_doc(*entries: dict[str, Any]) -> dict[str, Any]:
    return {"Value": list(entries)}


# The extractors' rows (tuples in column order) read as their row dataclasses.
def skill_rows(doc: dict[str, Any], match_id: str) -> list[MatchSkillRow]:
    return [MatchSkillRow(*row) for row in match_skill(doc, match_id)]


def team_skill_rows(doc: dict[str, Any], match_id: str) -> list[MatchTeamSkillRow]:
    return [MatchTeamSkillRow(*row) for row in team_skill(doc, match_id)]


def counterfactual_rows(doc: dict[str, Any], match_id: str) -> list[MatchSkillCounterfactualRow]:
    return [MatchSkillCounterfactualRow(*row) for row in counterfactuals(doc, match_id)]


@needs_fixtures
def test_the_real_sample() -> None:
    doc = orjson.loads((FIXTURES / "get_match_skill.json").read_bytes())
    (row,) = skill_rows(doc, "m")
    assert row.xuid == FIXTURE_PLAYER and row.result_code == 0 and row.team_id == 0
    assert row.team_mmr == pytest.approx(1349.069330274021)
    assert (row.pre_csr, row.post_csr, row.csr_change) == (1530, 1532, 2)
    assert (row.pre_tier, row.pre_sub_tier, row.post_tier, row.post_sub_tier) == (
        "Onyx", 0, "Onyx", 0,
    )  # fmt: skip
    assert (row.tier_start, row.next_tier, row.next_tier_start) == (1500, "Onyx", 1500)
    assert (row.matches_remaining, row.initial_measurement_matches) == (0, 10)
    assert row.expected_kills == pytest.approx(21.555281749028442)
    assert row.kills_stddev == pytest.approx(5.53817369533474)
    assert row.expected_deaths == pytest.approx(14.737865451775264)
    assert row.deaths_stddev == pytest.approx(5.168750661053899)
    teams = {(t.team_id, round(t.mmr, 3)) for t in team_skill_rows(doc, "m")}
    assert teams == {(0, 1349.069), (1, 1377.999)}
    tiers = {c.tier: (round(c.kills, 2), round(c.deaths, 2)) for c in counterfactual_rows(doc, "m")}
    assert list(tiers) == ["Self", "Bronze", "Silver", "Gold", "Platinum", "Diamond", "Onyx"]
    assert tiers["Self"] == (21.56, 14.74) and tiers["Bronze"] == (3.6, 20.35)
    # The registry's extractors give the same rows as tuples, table by table.
    tables = extract_document(SKILL_DOCUMENT, doc, "m")
    assert {name: len(rows) for name, rows in tables.items()} == {
        "match_skill": 1, "match_team_skill": 2, "match_skill_counterfactuals": 7,
    }  # fmt: skip


@needs_fixtures
def test_the_real_playlist_csr_sample_in_placement() -> None:
    doc = orjson.loads((FIXTURES / "get_playlist_csr.json").read_bytes())
    when = dt.datetime(2025, 3, 1, 12)
    (row,) = csr_snapshots(doc, "playlist-1", when)
    assert (row.xuid, row.playlist_id, row.fetched_at) == (FIXTURE_PLAYER, "playlist-1", when)
    # Placement: -1 and an empty tier are NULL, the matches remaining say why.
    assert (row.current_csr, row.current_tier, row.current_sub_tier) == (None, None, None)
    assert row.current_matches_remaining == 4
    assert (row.season_max_csr, row.season_max_tier) == (None, None)
    assert (row.all_time_max_csr, row.all_time_max_tier, row.all_time_max_sub_tier) == (
        1549, "Onyx", 0,
    )  # fmt: skip


def test_placement_result_code_and_missing_performances() -> None:
    placement = entry(A, pre=csr(-1, "", 0, remaining=3), post=csr(-1, "", 0, remaining=2))
    last_placement = entry(B, pre=csr(-1, "", 0, remaining=1), post=csr(1210, "Platinum", 0))
    failed = entry(C, code=2)
    no_performances = entry("2533274800000004", performances={})
    doc = skill_doc(placement, last_placement, failed, no_performances)
    rows = {r.xuid: r for r in skill_rows(doc, "m")}
    a = rows[A]
    assert (a.pre_csr, a.post_csr, a.csr_change, a.matches_remaining) == (None, None, None, 2)
    assert (a.pre_tier, a.pre_sub_tier, a.tier_start, a.next_tier) == (None, None, None, None)
    assert a.expected_kills == 10.5  # the expectation exists during placement too
    b = rows[B]
    assert (b.pre_csr, b.post_csr, b.csr_change) == (None, 1210, None)
    assert (b.post_tier, b.post_sub_tier, b.matches_remaining) == ("Platinum", 0, 0)
    c = rows[C]  # kept, with its code and NULLs
    assert c.result_code == 2
    assert all(
        getattr(c, f) is None
        for f in ("team_id", "team_mmr", "pre_csr", "post_csr", "expected_kills")
    )
    d = rows["2533274800000004"]
    assert (d.expected_kills, d.kills_stddev, d.expected_deaths, d.deaths_stddev) == (None,) * 4
    assert d.csr_change == 8
    # The failed entry gives no counterfactuals; the others three tiers each.
    assert {r.xuid for r in counterfactual_rows(doc, "m")} == {A, B, "2533274800000004"}


def test_a_team_of_twelve_and_bad_entries() -> None:
    humans = [f"25332748000001{n:02d}" for n in range(24)]
    mmrs = {"0": 1450.0, "1": 1432.25}
    doc = skill_doc(
        *(entry(x, team=i % 2, mmrs=mmrs) for i, x in enumerate(humans)),
        {"Id": "bid(8.0)", "ResultCode": 0, "Result": {}},  # never asked; skipped if answered
        {"Id": f"xuid({humans[0]})", "ResultCode": 0, "Result": {}},  # duplicate: first kept
        "not an entry",
    )
    rows = skill_rows(doc, "m")
    assert len(rows) == 24 and sum(1 for r in rows if r.team_id == 0) == 12
    assert rows[0].csr_change == 8
    assert [(t.team_id, t.mmr) for t in team_skill_rows(doc, "m")] == [(0, 1450.0), (1, 1432.25)]


def test_the_registry_extractors_give_the_one_pass_rows() -> None:
    docs = [
        skill_doc(entry(A), entry(B, team=1, code=3), entry(C, performances={})),
        skill_doc(entry(A, pre=csr(-1, "", 0, remaining=2), post=csr(-1, "", 0, remaining=1))),
        skill_doc(),
    ]
    if FIXTURES.is_dir():
        docs.append(orjson.loads((FIXTURES / "get_match_skill.json").read_bytes()))
    for doc in docs:
        tables = extract_document(SKILL_DOCUMENT, doc, "m")
        for spec in extracted_from(SKILL_DOCUMENT):  # the registry's own extractors too
            assert spec.extractor(doc, "m") == tables[spec.name]
            assert all(len(row) == len(spec.columns) for row in tables[spec.name])


def test_an_answer_for_nobody_is_said_and_unreadable_ids_are_named(caplog) -> None:
    """`Value: []`, or entries none of whose ids is a player's, store no row for
    anybody: a warning names the match (the document is kept as sent; `backfill
    --skill` asks again). An unreadable id among good ones is skipped, named."""
    unreadable = entry(A)
    unreadable["Id"] = f"XUID({A})"
    for doc in (skill_doc(), skill_doc(unreadable)):
        caplog.clear()
        assert extract_document(SKILL_DOCUMENT, doc, "m")["match_skill"] == []
        assert "match m: the skill document answers for no player" in caplog.text
    assert f"match m: skill entry Id 'XUID({A})' names no player; skipped" in caplog.text
    caplog.clear()
    rows = extract_document(SKILL_DOCUMENT, skill_doc(unreadable, entry(B)), "m")["match_skill"]
    assert [row[1] for row in rows] == [B]
    assert "names no player" in caplog.text and "answers for no player" not in caplog.text


def test_the_team_mmr_map_every_entry_repeats_is_read_once(caplog) -> None:
    """Each player's entry carries the match's `TeamMmrs`: a bad key is warned about
    once per match, not once per player, and the first entry's MMR is the team's."""
    doc = skill_doc(entry(A, mmrs={"x": 1.0, "0": 5.0}), entry(B, mmrs={"x": 1.0, "0": 6.0}))
    rows = extract_document(SKILL_DOCUMENT, doc, "m")["match_team_skill"]
    assert rows == [("m", 0, 5.0)]
    assert caplog.text.count("TeamMmrs key has a non-numeric value 'x'") == 1


def test_a_tier_named_self_never_shares_the_self_rows_key(caplog) -> None:
    """The counterfactuals table has no key constraint (rows are unique by
    construction): a tier called `Self` is skipped with a warning, not stored twice."""
    odd = entry(A)
    odd["Result"]["Counterfactuals"]["TierCounterfactuals"]["Self"] = {"Kills": 1.0, "Deaths": 2.0}
    doc = skill_doc(odd)
    rows = extract_document(SKILL_DOCUMENT, doc, "m")["match_skill_counterfactuals"]
    assert [row[2] for row in rows] == ["Self", "Bronze", "Onyx"]
    assert rows[0][3:] == (10.5, 11.0)  # the real self counterfactuals
    assert "a tier named 'Self' in TierCounterfactuals; skipped" in caplog.text


def test_documents_that_are_not_skill_answers() -> None:
    for bad in ([], {"Value": None}, {"Values": []}, "x"):
        with pytest.raises(SkillDocumentError):
            check_skill_document(bad)
    assert extract_document(SKILL_DOCUMENT, {"Value": []}, "m")["match_skill"] == []


def test_the_request_carries_the_humans_of_a_matchmade_match_only() -> None:
    bot = player("bid(8.0)", (1, core()), player_type=2)
    doc = match("m", [player(f"xuid({A})", (0, core())), player(f"xuid({B})", (1, core())), bot])
    assert skill_request(doc) == [A, B]
    assert skill_request(match("m", [player(f"xuid({A})", (0, core()))], lifecycle=1)) is None
    assert skill_request(match("m", [player(f"xuid({A})", (0, core()))], lifecycle=7)) is None


# ---------------------------------------------------------------- writer and schema


def _stats(match_id: str) -> dict[str, Any]:
    return match(
        match_id, [player(f"xuid({A})", (0, core(Kills=5))), player(f"xuid({B})", (1, core()))]
    )


def _count(conn: duckdb.DuckDBPyConnection, sql: str) -> int:
    return conn.execute(sql).fetchall()[0][0]


def _add(writer: MatchWriter, match_id: str, skill: dict[str, Any] | None) -> None:
    doc = _stats(match_id)
    extracted = extract_stats_document(doc, A)
    others = {}
    if skill is not None:
        extracted.details.update(extract_document(SKILL_DOCUMENT, skill, match_id))
        others[SKILL_DOCUMENT] = orjson.dumps(skill)
    writer.add(extracted, orjson.dumps(doc), other_documents=others)


def test_skill_rows_are_written_with_the_stats_only_when_the_document_is_given(
    tmp_path: Path,
) -> None:
    conn, _ = open_player_db(tmp_path / "db.duckdb")
    record_failures(conn, [("m1", "HTTP 500", "skill"), ("m2", "HTTP 500", "skill")])
    with MatchWriter(conn) as writer:
        _add(writer, "m1", skill_doc(entry(A), entry(B, team=1)))
        _add(writer, "m2", None)  # its skill failed: stats stored, the failure kept
        writer.flush()
    assert _count(conn, "SELECT count(*) FROM match_stats") == 2
    assert conn.execute("SELECT match_id, count(*) FROM match_skill GROUP BY ALL").fetchall() == [
        ("m1", 2)
    ]
    kinds = conn.execute("SELECT match_id, kind FROM match_documents ORDER BY ALL").fetchall()
    assert kinds == [("m1", "skill"), ("m1", "stats"), ("m2", "stats")]
    assert failed_match_ids(conn, "skill") == ["m2"] and failed_match_ids(conn) == []
    # Writing m1 again without its skill document keeps its skill rows; with a new
    # one, they are replaced as a whole (an entry the new document lacks goes).
    with MatchWriter(conn) as writer:
        _add(writer, "m1", None)
        writer.flush()
    assert _count(conn, "SELECT count(*) FROM match_skill WHERE match_id = 'm1'") == 2
    with MatchWriter(conn) as writer:
        _add(writer, "m1", skill_doc(entry(A, post=csr(1090))))
        _add(writer, "m2", skill_doc(entry(A)))
        writer.flush()
    rows = conn.execute(
        "SELECT match_id, xuid, csr_change FROM match_skill ORDER BY ALL"
    ).fetchall()
    assert rows == [("m1", A, 30), ("m2", A, 8)]
    assert failed_match_ids(conn, "skill") == []
    conn.close()


def _as_version_2(path: Path) -> None:
    """A database in the layout of schema 2: failures keyed by match only, no skill tables."""
    conn, _ = open_player_db(path)
    conn.execute("DROP TABLE failed_matches")
    conn.execute(
        "CREATE TABLE failed_matches (match_id VARCHAR, reason VARCHAR, attempts INTEGER, "
        "first_failed_at TIMESTAMP, last_failed_at TIMESTAMP, note VARCHAR, "
        "PRIMARY KEY (match_id))"
    )
    conn.execute(
        "INSERT INTO failed_matches VALUES ('m9', 'HTTP 503', 3, now(), now(), 'kept'), "
        "('m8', 'missing', 1, now(), now(), NULL)"
    )
    for table in (
        "match_skill",
        "match_team_skill",
        "match_skill_counterfactuals",
        "csr_snapshots",
    ):
        conn.execute(f"DROP TABLE {table}")
    conn.execute("UPDATE levelup_meta SET value = '2' WHERE key = 'schema_version'")
    conn.close()


def test_schema_3_makes_failures_per_kind_and_keeps_everything(tmp_path: Path) -> None:
    path = tmp_path / "db.duckdb"
    _as_version_2(path)
    conn, report = open_player_db(path)
    assert report.from_version == 2 and get_meta(conn, "schema_version") == str(SCHEMA_VERSION)
    assert {"match_skill", "match_team_skill", "csr_snapshots"} <= set(report.created_tables)
    rows = conn.execute(
        "SELECT match_id, kind, reason, attempts, note FROM failed_matches ORDER BY match_id"
    ).fetchall()
    assert rows == [("m8", "stats", "missing", 1, None), ("m9", "stats", "HTTP 503", 3, "kept")]
    # The new key: a skill failure of a match beside its stats failure.
    record_failures(conn, [("m9", "skill service down", "skill"), ("m9", "again")])
    assert conn.execute(
        "SELECT kind, attempts FROM failed_matches WHERE match_id = 'm9' ORDER BY kind"
    ).fetchall() == [("skill", 1), ("stats", 4)]
    conn.close()
    # Opening again changes nothing.
    conn, report = open_player_db(path)
    assert not report.changed
    assert _count(conn, "SELECT count(*) FROM failed_matches") == 3
    conn.close()


def test_an_interrupted_schema_3_migration_leaves_version_2(tmp_path: Path) -> None:
    from levelup.store import schema

    path = tmp_path / "db.duckdb"
    _as_version_2(path)
    conn = duckdb.connect(str(path))
    conn.execute("BEGIN TRANSACTION")
    schema._step_3_failures_per_kind(conn, schema.MigrationReport(2, 3))
    conn.execute("ROLLBACK")
    assert conn.execute("SELECT count(*), count(note) FROM failed_matches").fetchall() == [(2, 1)]
    assert "kind" not in schema.existing_columns(conn, "failed_matches")
    conn.close()
    conn, _ = open_player_db(path)
    assert _count(conn, "SELECT count(*) FROM failed_matches WHERE kind = 'stats'") == 2
    conn.close()


def test_extraction_is_pure() -> None:
    doc = skill_doc(entry(A), entry(B, team=1))
    before = copy.deepcopy(doc)
    assert extract_document(SKILL_DOCUMENT, doc, "m") == extract_document(SKILL_DOCUMENT, doc, "m")
    assert doc == before


# ---------------------------------------------------------------- generated documents


def test_generated_csr_journeys_are_realistic() -> None:
    from levelup.demo.generator import DEMO_OWNER, RANKED_PLAYLIST_IDS, iter_matches
    from levelup.demo.skill import PLACEMENT_MATCHES, SkillHistory, tier_of

    assert tier_of(0)[:3] == ("Bronze", 0, 0) and tier_of(299)[:2] == ("Bronze", 5)
    assert tier_of(1449) == ("Diamond", 4, 1400, "Diamond", 5, 1450)
    assert tier_of(1499) == ("Diamond", 5, 1450, "Onyx", 0, 1500)
    assert tier_of(1500)[:3] == tier_of(2100)[:3] == ("Onyx", 0, 1500)

    matches = list(iter_matches(700))[::-1]  # oldest first: crosses a season boundary
    history = SkillHistory(RANKED_PLAYLIST_IDS, fresh=[DEMO_OWNER.xuid])
    journey: list[tuple[str, MatchSkillRow]] = []
    for doc in matches:
        skill = history.document(doc)
        info = doc["MatchInfo"]
        if info["LifecycleMode"] != 3:
            assert skill is None
            continue
        humans = {p["PlayerId"][5:-1] for p in doc["Players"] if p["PlayerId"].startswith("xuid(")}
        rows = skill_rows(skill, doc["MatchId"])
        assert {r.xuid for r in rows} == humans
        kills = sum(
            s["Stats"]["CoreStats"]["Kills"] for p in doc["Players"]
            if p["PlayerId"].startswith("xuid(") for s in p["PlayerTeamStats"]
        )  # fmt: skip
        if info["GameplayInteraction"] == 1:
            # Expectations are shared out of the lobby's own kills.
            expected = sum(r.expected_kills for r in rows)
            assert 0.6 * kills <= expected <= 1.6 * kills + 1
        mine = next(r for r in rows if r.xuid == DEMO_OWNER.xuid)
        if info["Playlist"]["AssetId"] in RANKED_PLAYLIST_IDS:
            journey.append((info["SeasonId"], mine))
        else:
            assert (mine.pre_csr, mine.post_csr, mine.matches_remaining) == (None, None, 0)
    seasons = list(dict.fromkeys(season for season, _ in journey))
    assert len(seasons) >= 2
    for season in seasons:
        rows = [r for s, r in journey if s == season]
        # Placement at the start of every season, then a CSR that moves match to match.
        assert [r.pre_csr for r in rows[:PLACEMENT_MATCHES]] == [None] * PLACEMENT_MATCHES
        remaining = [r.matches_remaining for r in rows[:PLACEMENT_MATCHES]]
        assert remaining == list(range(PLACEMENT_MATCHES - 1, -1, -1))
        assert rows[PLACEMENT_MATCHES - 1].post_csr is not None
        for before, after in zip(
            rows[PLACEMENT_MATCHES - 1 :], rows[PLACEMENT_MATCHES:], strict=False
        ):
            assert after.pre_csr == before.post_csr
        changes = [r.csr_change for r in rows[PLACEMENT_MATCHES:]]
        assert any(c > 0 for c in changes) and any(c < 0 for c in changes)
        assert all(abs(c) <= 30 for c in changes)
        for r in rows[PLACEMENT_MATCHES - 1 :]:
            tier, sub, start, next_tier, _, next_start = tier_of(r.post_csr)
            assert (r.post_tier, r.post_sub_tier, r.tier_start) == (tier, sub, start)
            assert (r.next_tier, r.next_tier_start) == (next_tier, next_start)
            assert abs(r.team_mmr - r.post_csr) < 400  # MMR close to CSR
    csr = history.playlist_csr([DEMO_OWNER.xuid])
    (snapshot,) = csr_snapshots(csr, "ranked", dt.datetime(2025, 3, 2))
    last = journey[-1][1]
    assert snapshot.current_csr == last.post_csr
    assert snapshot.season_max_csr >= last.post_csr
    assert snapshot.all_time_max_csr >= snapshot.season_max_csr
