"""One bad value never blocks a player's syncs, and no value is stored wrong.

Issue 9, items 3, 5 and 6: out-of-range timestamps, team-switcher sums past
INTEGER, corrupt or wrongly typed recorded files, ids and names that are JSON
objects or lists, malformed player ids, unbounded durations, match ids in another
case. Real `python -m levelup` runs on hand-written recorded directories, real
DuckDB files; the value rules are also checked on the extractor directly.
"""

from __future__ import annotations

import copy
from pathlib import Path

import duckdb
import orjson
import pytest

from levelup.extract.match import extract_match
from levelup.extract.values import parse_duration, parse_str
from tests.helpers import core, last_json, match, player, run_cli, write_recorded_dir

OWNER = "2535400000000001"
MATE = "2535400000000002"


def _id(i: int) -> str:
    return f"00000000-0000-4000-8000-{i:012d}"


def _doc(i: int, **owner_core: int) -> dict:
    return match(
        _id(i),
        [
            player(f"xuid({OWNER})", (0, core(ShotsFired=10, ShotsHit=i % 10, **owner_core))),
            player(f"xuid({MATE})", (0, core(ShotsFired=5, ShotsHit=1))),
        ],
        start=f"2025-01-01T{10 + i // 60:02d}:{i % 60:02d}:00.000Z",
    )


def _sync(recorded: Path, data: Path, *extra: str):  # type: ignore[no-untyped-def]
    return run_cli("sync", "--player", "Owner", "--source", str(recorded), "--data-dir",
                   str(data), "--json", *extra)  # fmt: skip


def _q(data: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(data / "players" / "Owner" / "stats.duckdb"), read_only=True) as c:
        return c.execute(sql).fetchall()


# --------------------------------------------------------------- item 3: poison matches


def test_poison_values_fail_their_match_or_become_null_and_the_rest_is_written(
    tmp_path: Path,
) -> None:
    docs = [_doc(i) for i in range(1, 41)]
    before_year_one = _doc(41)
    before_year_one["MatchInfo"]["StartTime"] = "0001-01-01T00:00:00+14:00"
    after_9999 = _doc(42)
    after_9999["MatchInfo"]["EndTime"] = "9999-12-31T23:59:59-14:00"
    switcher = _doc(43)
    switcher["Players"][0] = player(
        f"xuid({OWNER})", (0, core(Kills=2**31 - 1, ShotsFired=9)), (1, core(Kills=5, ShotsFired=1))
    )
    recorded = write_recorded_dir(
        tmp_path / "rec", [*docs, before_year_one, after_9999, switcher],
        [{"gamertag": "Owner", "xuid": OWNER}],
    )  # fmt: skip
    data = tmp_path / "data"

    first = _sync(recorded, data)
    assert first.returncode == 1, first.stderr
    report = last_json(first.stdout)
    assert [f["match_id"] for f in report["failures"]] == [before_year_one["MatchId"]]
    assert "StartTime" in report["failures"][0]["reason"]
    assert report["matches_written"] == 42 and report["value_warnings"] >= 2
    assert _q(data, "SELECT match_id FROM failed_matches") == [(before_year_one["MatchId"],)]
    assert _q(
        data, f"SELECT end_time FROM match_stats WHERE match_id = '{after_9999['MatchId']}'"
    ) == [(None,)]
    # The sum does not fit INTEGER: NULL, not a batch that cannot be written.
    assert _q(
        data, f"SELECT kills, shots_fired FROM match_stats WHERE match_id = '{switcher['MatchId']}'"
    ) == [(None, 10)]
    assert _q(
        data,
        f"SELECT kills FROM match_participants WHERE match_id = '{switcher['MatchId']}' AND xuid = '{OWNER}'",
    ) == [(None,)]

    # Every rerun goes on: the poison match is retried and fails alone again.
    again = _sync(recorded, data)
    assert again.returncode == 1, again.stderr
    assert last_json(again.stdout)["matches_retried"] == 1
    assert _q(data, "SELECT attempts FROM failed_matches") == [(2,)]
    # The backfill re-extracts the stored JSON without crashing either.
    backfill = run_cli("backfill", "--player", "Owner", "--reextract", "--data-dir", str(data),
                       "--json")  # fmt: skip
    assert backfill.returncode == 0, backfill.stderr
    assert _q(data, "SELECT count(*), count(kills), count(end_time) FROM match_stats") == [
        (42, 41, 41)
    ]


def test_out_of_range_values_are_null_in_the_extractor(caplog: pytest.LogCaptureFixture) -> None:
    doc = _doc(1)
    doc["MatchInfo"]["EndTime"] = "0001-01-01T00:00:00+14:00"
    doc["Players"][0] = player(
        f"xuid({OWNER})",
        (0, core(Kills=2**31 - 2, Deaths=3, KDA=1.7e308)),
        (1, core(Kills=2, Deaths=2**31 - 1, KDA=1.7e308)),
    )
    extracted = extract_match(doc, OWNER)
    assert extracted.stats is not None
    assert extracted.stats.end_time is None
    assert (extracted.stats.kills, extracted.stats.deaths, extracted.stats.kda) == (
        None,
        None,
        None,
    )
    assert "sums to" in caplog.text and "EndTime" in caplog.text


# ----------------------------------------------- item 5: unreadable recorded match files


def _bad_files() -> dict[str, bytes]:
    good = orjson.dumps(_doc(99))
    wrong = {}
    for n, (path, value) in enumerate(
        [
            (("MatchInfo",), "x"),
            (("MatchInfo", "StartTime"), 1735725600),
            (("MatchInfo", "LifecycleMode"), [3]),
            (("Players", 0, "ParticipationInfo"), "x"),
        ]
    ):
        doc = copy.deepcopy(_doc(90 + n))
        target = doc
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
        wrong[doc["MatchId"]] = orjson.dumps(doc)
    return {
        _id(80): b'{"MatchId": "trunc',
        _id(81): b"",
        _id(82): b"[1, 2]",
        _id(83): b"\xef\xbb\xbf" + good,
        _id(84): good.decode().encode("utf-16"),
        _id(85): good.replace(b'"Duration":"PT10M"', b'"Duration":NaN'),
        **wrong,
    }


@pytest.mark.parametrize("match_type", ["all", "matchmaking"])
def test_unreadable_match_files_are_failed_matches_retried_next_run(
    tmp_path: Path, match_type: str
) -> None:
    bad = _bad_files()
    assert b"NaN" in bad[_id(85)]
    good = [_doc(i) for i in range(1, 6)]
    recorded = write_recorded_dir(
        tmp_path / "rec", [*good, *bad.items()], [{"gamertag": "Owner", "xuid": OWNER}]
    )
    data = tmp_path / "data"
    first = _sync(recorded, data, "--match-type", match_type)
    assert first.returncode == 1, first.stderr
    report = last_json(first.stdout)
    reasons = {f["match_id"]: f["reason"] for f in report["failures"]}
    assert set(reasons) == set(bad)
    assert all(f"matches/{m}.json" in reasons[m] for m in bad), reasons
    assert "LifecycleMode" in reasons[_id(92)] and "ParticipationInfo" in reasons[_id(93)]
    assert report["matches_written"] == 5 and report["walk_complete"] is False
    assert {r[0] for r in _q(data, "SELECT match_id FROM failed_matches")} == set(bad)
    assert "Traceback" not in first.stderr

    # Retried by the next run; a repaired file is then written.
    (recorded / "matches" / f"{_id(81)}.json").write_bytes(
        orjson.dumps(_doc(81) | {"MatchId": _id(81)})
    )
    second = _sync(recorded, data, "--match-type", match_type)
    assert second.returncode == 1, second.stderr
    again = last_json(second.stdout)
    assert again["matches_retried"] == len(bad) and again["matches_written"] == 1
    assert {f["match_id"] for f in again["failures"]} == set(bad) - {_id(81)}
    assert _q(data, f"SELECT count(*) FROM match_stats WHERE match_id = '{_id(81)}'") == [(1,)]


def test_wrongly_typed_history_rows_are_failed_matches(tmp_path: Path) -> None:
    docs = [_doc(i) for i in range(1, 5)]
    recorded = write_recorded_dir(tmp_path / "rec", docs, [{"gamertag": "Owner", "xuid": OWNER}])
    rows = [{"MatchId": d["MatchId"], "MatchInfo": {"StartTime": d["MatchInfo"]["StartTime"],
             "LifecycleMode": 3}} for d in docs]  # fmt: skip
    rows[1]["MatchInfo"] = "x"
    rows[2]["MatchInfo"]["StartTime"] = 1735725600
    rows[3]["MatchInfo"]["LifecycleMode"] = [3]
    history = recorded / "history" / OWNER
    history.mkdir(parents=True)
    (history / "page0.json").write_bytes(
        orjson.dumps({"Start": 0, "Count": 25, "ResultCount": 5, "Results": [*rows, 7]})
    )
    result = _sync(recorded, tmp_path / "data")
    assert result.returncode == 1, result.stderr
    report = last_json(result.stdout)
    reasons = {f["match_id"]: f["reason"] for f in report["failures"]}
    assert set(reasons) == {docs[1]["MatchId"], docs[2]["MatchId"], docs[3]["MatchId"]}
    assert "page0.json: Results[1]" in reasons[docs[1]["MatchId"]]
    assert report["matches_written"] == 1 and "Traceback" not in result.stderr


# ------------------------------------------------------------ item 6: values stored wrong


def test_objects_lists_malformed_ids_and_long_durations_are_not_stored_as_values(
    tmp_path: Path,
) -> None:
    doc = _doc(1)
    info = doc["MatchInfo"]
    info["MapVariant"]["AssetId"] = {"x": 1}
    info["Playlist"]["VersionId"] = ["v"]
    info["SeasonId"] = True
    info["Duration"] = "P400D"
    doc["Players"][0]["ParticipationInfo"]["TimePlayed"] = "P99999999D"
    for bad_id in ("xuid(abc)", "XUID(456)", " xuid(789)"):
        doc["Players"].append(player(bad_id, (1, core(Kills=1))))
    asset = {"AssetId": "variant-id", "VersionId": "variant-v", "PublicName": {"en": "x"}}
    recorded = write_recorded_dir(tmp_path / "rec", [doc], [{"gamertag": "Owner", "xuid": OWNER}])
    (recorded / "profiles.json").write_bytes(orjson.dumps([{"xuid": MATE, "gamertag": ["a"]}]))
    (recorded / "assets" / "variant-id").mkdir(parents=True)
    (recorded / "assets" / "variant-id" / "variant-v.json").write_bytes(orjson.dumps(asset))
    data = tmp_path / "data"
    result = _sync(recorded, data)
    assert result.returncode == 0, result.stderr
    assert last_json(result.stdout)["value_warnings"] >= 8

    stats = _q(data, "SELECT map_id, map_version_id, playlist_id, playlist_version_id, "
                     "season_id, duration_seconds, time_played_seconds FROM match_stats")  # fmt: skip
    assert stats == [(None, "map-v", "playlist-id", None, None, None, None)]
    assert {r[0] for r in _q(data, "SELECT xuid FROM match_participants")} == {OWNER, MATE}
    # ["a"] is no gamertag: the name stays unknown (NULL), never "['a']".
    assert dict(_q(data, "SELECT xuid, gamertag FROM player_names")) == {OWNER: "Owner", MATE: None}
    names = _q(data, "SELECT public_name FROM asset_names WHERE asset_id = 'variant-id'")
    assert names in ([], [(None,)])


def test_value_rules() -> None:
    assert parse_duration("P7D", "m", "f") == 7 * 86400
    for too_long in ("P400D", "P99999999D", "PT604801S", 604801):
        assert parse_duration(too_long, "m", "f") is None
    assert parse_str("abc") == "abc" and parse_str(42) == "42"
    for not_text in ({"x": 1}, ["a"], True, 1.5, ""):
        assert parse_str(not_text) is None


def test_match_ids_are_compared_and_stored_lower_case(tmp_path: Path) -> None:
    def hex_doc(i: int, body_id: str) -> dict:
        return _doc(i) | {"MatchId": body_id}

    ids = [f"abcdef{i:02d}-0000-4000-8000-00000000000{i}" for i in range(4)]
    files = [
        (ids[0], orjson.dumps(hex_doc(0, ids[0]))),  # all lower-case
        (ids[1], orjson.dumps(hex_doc(1, ids[1].upper()))),  # the body says upper-case
        (ids[2].upper(), orjson.dumps(hex_doc(2, ids[2]))),  # the file name is upper-case
        (ids[3].upper(), orjson.dumps(hex_doc(3, ids[3].upper()))),  # both
    ]
    recorded = write_recorded_dir(tmp_path / "rec", files, [{"gamertag": "Owner", "xuid": OWNER}])
    data = tmp_path / "data"
    first = _sync(recorded, data)
    assert first.returncode == 0, first.stderr
    assert last_json(first.stdout)["matches_written"] == 4
    assert {r[0] for r in _q(data, "SELECT match_id FROM match_stats")} == set(ids)
    assert {r[0] for r in _q(data, "SELECT DISTINCT match_id FROM match_participants")} == set(ids)
    # Nothing is downloaded again by later syncs, even walking the whole history.
    for extra in ((), ("--full",)):
        again = last_json(_sync(recorded, data, *extra).stdout)
        assert again["matches_new"] == 0 and "match_stats" not in again["api"]["calls"]
