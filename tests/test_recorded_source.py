"""RecordedDirectory / RecordedSource: the recorded-responses directory contract.

Recorded directories are built in tmp_path from the shared real API fixtures
(read in place, never copied into the repository) and small hand-written
documents in the same shape.
"""

from __future__ import annotations

import asyncio
import builtins
import copy
import datetime as dt
import os
import time
from pathlib import Path
from typing import Any

import orjson
import pytest

from levelup.errors import ConfigError, PlayerNotFoundError, UsageError
from levelup.sources import recorded
from levelup.sources.base import HistoryPage, MatchNotFoundError, MatchSource, PlayerIdentity
from levelup.sources.recorded import INDEX_FILE_NAME, RecordedDirectory, RecordedSource

FIXTURES = Path(__file__).resolve().parents[1].parent / "shared" / "fixtures" / "halo_api"
PLAYER = "2535445291321133"  # in every shared fixture match
OTHER = "2533274800000002"
SUBSTRING = "53544529132113"  # a substring of PLAYER: must never match PLAYER's matches

needs_fixtures = pytest.mark.skipif(
    not FIXTURES.is_dir(), reason=f"shared API fixtures not found at {FIXTURES}"
)


def _fixture(name: str) -> dict[str, Any]:
    return orjson.loads((FIXTURES / name).read_bytes())


def _template_info() -> dict[str, Any]:
    """A complete MatchInfo (from the real fixture when present)."""
    if FIXTURES.is_dir():
        return _fixture("get_match_stats.json")["MatchInfo"]
    return {"StartTime": None, "LifecycleMode": 3}


def make_match(
    match_id: str, start: dt.datetime, xuids: list[str], lifecycle: int = 3, bot: bool = False
) -> dict[str, Any]:
    """A small hand-written match document with the API's top-level shape."""
    info = copy.deepcopy(_template_info())
    info["StartTime"] = start.isoformat().replace("+00:00", "Z")
    info["LifecycleMode"] = lifecycle
    players: list[dict[str, Any]] = [
        {
            "PlayerId": f"xuid({x})",
            "PlayerType": 1,
            "LastTeamId": i % 2,
            "Outcome": 2 if i % 2 else 3,
            "Rank": i + 1,
            "ParticipationInfo": {"PresentAtCompletion": True},
            "PlayerTeamStats": [],
        }
        for i, x in enumerate(xuids)
    ]
    if bot:
        players.append({"PlayerId": "bid(8.0)", "PlayerType": 2, "PlayerTeamStats": []})
    return {"MatchId": match_id, "MatchInfo": info, "Teams": [], "Players": players}


def write_json(path: Path, data: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(orjson.dumps(data))
    return path


def mid(i: int) -> str:
    return f"00000000-0000-4000-8000-{i:012d}"


BASE = dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.UTC)


def make_dir(root: Path, n: int, xuids: list[str] | None = None) -> Path:
    """n matches, one per hour from BASE, every third one a custom game."""
    write_json(root / "players.json", [{"gamertag": "Tester", "xuid": PLAYER}])
    for i in range(n):
        lifecycle = 1 if i % 3 == 0 else 3
        doc = make_match(mid(i), BASE + dt.timedelta(hours=i), xuids or [PLAYER, OTHER], lifecycle)
        write_json(root / "matches" / f"{mid(i)}.json", doc)
    return root


@pytest.fixture(autouse=True)
def _fresh_index_cache() -> None:
    """Each test starts as a new process would: no in-memory index."""
    recorded._INDEXES.clear()


@pytest.fixture()
def real_dir(tmp_path: Path) -> Path:
    if not FIXTURES.is_dir():
        pytest.skip(f"shared API fixtures not found at {FIXTURES}")
    for name in sorted(FIXTURES.glob("get_match_stats*.json")):
        doc = _fixture(name.name)
        (tmp_path / "matches").mkdir(exist_ok=True)
        (tmp_path / "matches" / f"{doc['MatchId']}.json").write_bytes(name.read_bytes())
    write_json(tmp_path / "players.json", [{"gamertag": "RealPlayer", "xuid": f"xuid({PLAYER})"}])
    write_json(tmp_path / "profiles.json", [_fixture("get_users.json")[0]])
    map_doc = _fixture("get_map.json")
    write_json(tmp_path / "assets" / map_doc["AssetId"] / f"{map_doc['VersionId']}.json", map_doc)
    return tmp_path


# --------------------------------------------------------------------- history


@needs_fixtures
def test_history_from_real_match_files(real_dir: Path) -> None:
    directory = RecordedDirectory(real_dir)
    body = directory.history_page(PLAYER, 0, 25, "all")
    docs = {
        d["MatchId"]: d for d in (_fixture(p.name) for p in FIXTURES.glob("get_match_stats*.json"))
    }
    assert body["Start"] == 0 and body["Count"] == 25
    assert body["ResultCount"] == len(docs) == len(body["Results"])
    starts = [r["MatchInfo"]["StartTime"] for r in body["Results"]]
    assert starts == sorted(starts, reverse=True)
    for result in body["Results"]:
        doc = docs[result["MatchId"]]
        assert result["MatchInfo"] == doc["MatchInfo"]
        me = next(p for p in doc["Players"] if p["PlayerId"] == f"xuid({PLAYER})")
        assert (result["LastTeamId"], result["Outcome"], result["Rank"]) == (
            me["LastTeamId"],
            me["Outcome"],
            me["Rank"],
        )
        assert result["PresentAtEndOfMatch"] == me["ParticipationInfo"]["PresentAtCompletion"]
    # Same keys as a real history row.
    real_row = _fixture("get_match_history.json")["Results"][0]
    assert set(body["Results"][0]) == set(real_row)

    custom = directory.history_page(PLAYER, 0, 25, "custom")["Results"]
    assert [r["MatchId"] for r in custom] == [
        _fixture("get_match_stats_custom_bot.json")["MatchId"]
    ]
    matchmade = directory.history_page(PLAYER, 0, 25, "matchmaking")["Results"]
    assert {r["MatchInfo"]["LifecycleMode"] for r in matchmade} == {3}
    assert len(matchmade) + len(custom) == len(docs)
    assert directory.history_page(PLAYER, 0, 25, "local")["ResultCount"] == 0


def test_paging_newest_first(tmp_path: Path) -> None:
    directory = RecordedDirectory(make_dir(tmp_path, 30))
    first = directory.history_page(PLAYER, 0, 25)
    second = directory.history_page(PLAYER, 25, 25)
    third = directory.history_page(PLAYER, 30, 25)
    assert (first["Count"], first["ResultCount"]) == (25, 25)
    assert (second["Start"], second["Count"], second["ResultCount"]) == (25, 25, 5)
    assert third["ResultCount"] == 0 and third["Results"] == []
    ids = [r["MatchId"] for r in first["Results"] + second["Results"]]
    assert ids == [mid(i) for i in reversed(range(30))]
    # count is capped at 25, like the API.
    assert directory.history_page(PLAYER, 0, 100)["Count"] == 25
    small = directory.history_page(PLAYER, 3, 2)
    assert [r["MatchId"] for r in small["Results"]] == [mid(26), mid(25)]


def test_match_type_filter_pages(tmp_path: Path) -> None:
    directory = RecordedDirectory(make_dir(tmp_path, 30))
    custom = directory.history_page(PLAYER, 0, 25, "custom")
    assert [r["MatchId"] for r in custom["Results"]] == [mid(i) for i in range(27, -1, -3)]
    matchmade = directory.history_page(PLAYER, 0, 25, "matchmaking")
    assert matchmade["ResultCount"] == 20
    assert all(r["MatchInfo"]["LifecycleMode"] == 3 for r in matchmade["Results"])
    assert directory.match_counts(PLAYER) == {
        "CustomMatchesPlayedCount": 10,
        "MatchesPlayedCount": 30,
        "MatchmadeMatchesPlayedCount": 20,
        "LocalMatchesPlayedCount": 0,
    }
    with pytest.raises(UsageError, match="unknown match type"):
        directory.history_page(PLAYER, 0, 25, "ranked")
    with pytest.raises(UsageError):
        directory.history_page(PLAYER, -1, 25)


def test_start_times_sorted_as_times_not_strings(tmp_path: Path) -> None:
    """'...:27Z' is after '...:27.1Z' as a string but before it in time."""
    write_json(tmp_path / "players.json", [{"gamertag": "T", "xuid": PLAYER}])
    for match_id, start in (("a", "2024-01-01T10:00:27Z"), ("b", "2024-01-01T10:00:27.1Z")):
        doc = make_match(match_id, BASE, [PLAYER])
        doc["MatchInfo"]["StartTime"] = start
        write_json(tmp_path / "matches" / f"{match_id}.json", doc)
    body = RecordedDirectory(tmp_path).history_page(PLAYER)
    assert [r["MatchId"] for r in body["Results"]] == ["b", "a"]


def test_exact_xuid_matching(tmp_path: Path) -> None:
    write_json(tmp_path / "players.json", [{"gamertag": "Tester", "xuid": PLAYER}])
    write_json(tmp_path / "matches" / "m1.json", make_match("m1", BASE, [PLAYER], bot=True))
    write_json(
        tmp_path / "matches" / "m2.json",
        make_match("m2", BASE + dt.timedelta(hours=1), [SUBSTRING]),
    )
    directory = RecordedDirectory(tmp_path)
    assert [r["MatchId"] for r in directory.history_page(PLAYER)["Results"]] == ["m1"]
    assert [r["MatchId"] for r in directory.history_page(SUBSTRING)["Results"]] == ["m2"]
    assert directory.history_page("1133")["ResultCount"] == 0
    assert directory.history_page(f"xuid({PLAYER})")["ResultCount"] == 1
    with pytest.raises(PlayerNotFoundError):
        directory.find_player(xuid="1133")


def test_history_files_override_match_files(tmp_path: Path) -> None:
    make_dir(tmp_path, 5)
    rows = [
        make_match(f"h{i}", BASE + dt.timedelta(days=i), [PLAYER], 1 if i == 2 else 3)
        for i in range(4)
    ]

    def page(results: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "Start": 0,
            "Count": 25,
            "ResultCount": len(results),
            "Results": [
                {
                    "MatchId": r["MatchId"],
                    "MatchInfo": r["MatchInfo"],
                    "LastTeamId": 0,
                    "Outcome": 2,
                    "Rank": 1,
                    "PresentAtEndOfMatch": True,
                }
                for r in results
            ],
            "Links": {},
        }

    # Two overlapping pages, out of order: union, deduplicated, newest first.
    write_json(tmp_path / "history" / PLAYER / "page0.json", page([rows[0], rows[1], rows[3]]))
    write_json(tmp_path / "history" / PLAYER / "page1.json", page([rows[1], rows[2]]))
    directory = RecordedDirectory(tmp_path)
    body = directory.history_page(PLAYER)
    assert [r["MatchId"] for r in body["Results"]] == ["h3", "h2", "h1", "h0"]
    assert [r["MatchId"] for r in directory.history_page(PLAYER, 0, 25, "custom")["Results"]] == [
        "h2"
    ]
    # OTHER has no history files: their history still comes from the match files.
    assert directory.history_page(OTHER)["ResultCount"] == 5
    # A history directory named xuid(N) works too, and makes the player known.
    write_json(tmp_path / "history" / "xuid(2533274800000009)" / "p.json", page([rows[0]]))
    assert directory.find_player(xuid="2533274800000009") == PlayerIdentity(
        "2533274800000009", None
    )
    assert directory.history_page("2533274800000009")["ResultCount"] == 1


# --------------------------------------------------------------------- players, errors


@needs_fixtures
def test_find_player_and_profiles(real_dir: Path) -> None:
    directory = RecordedDirectory(real_dir)
    assert directory.players() == [PlayerIdentity(PLAYER, "RealPlayer")]
    assert directory.find_player(gamertag="realPLAYER") == PlayerIdentity(PLAYER, "RealPlayer")
    assert directory.find_player(xuid=f"xuid({PLAYER})").gamertag == "RealPlayer"
    # From profiles.json only.
    assert directory.find_player(gamertag="gamertag") == PlayerIdentity(
        "1234567890123456", "GAMERTAG"
    )
    # In a match, in no player list.
    crowd = _fixture("get_match_stats.json")["Players"]
    stranger = next(p["PlayerId"] for p in crowd if p["PlayerId"] != f"xuid({PLAYER})")
    found = directory.find_player(xuid=stranger)
    assert found.gamertag is None and f"xuid({found.xuid})" == stranger
    with pytest.raises(PlayerNotFoundError, match="NoSuchTag"):
        directory.find_player(gamertag="NoSuchTag")
    with pytest.raises(PlayerNotFoundError):
        directory.find_player(xuid="bid(8.0)")
    with pytest.raises(UsageError):
        directory.find_player()
    profiles = directory.profiles(["1234567890123456", f"xuid({PLAYER})", "42", "bid(8.0)"])
    assert [(p["xuid"], p["gamertag"]) for p in profiles] == [
        ("1234567890123456", "GAMERTAG"),
        (PLAYER, "RealPlayer"),
    ]
    assert all(set(p["gamerpic"]) >= {"small", "medium", "large", "xlarge"} for p in profiles)


def test_directory_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        RecordedDirectory(tmp_path / "missing")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ConfigError, match=r"players\.json"):
        RecordedDirectory(empty)
    (tmp_path / "afile").write_text("x")
    with pytest.raises(ConfigError, match="not a directory"):
        RecordedDirectory(tmp_path / "afile")
    bad = tmp_path / "bad"
    (bad / "players.json").parent.mkdir()
    (bad / "players.json").write_text("{not json")
    with pytest.raises(ConfigError, match=r"players\.json"):
        RecordedDirectory(bad).players()
    # matches/ alone is a valid directory (players come from the matches).
    only_matches = tmp_path / "only"
    write_json(only_matches / "matches" / "m.json", make_match("m", BASE, [PLAYER]))
    assert RecordedDirectory(only_matches).find_player(xuid=PLAYER).gamertag is None


def test_match_bytes_and_missing_match(tmp_path: Path) -> None:
    directory = RecordedDirectory(make_dir(tmp_path, 2))
    assert directory.match_bytes(mid(1)) == (tmp_path / "matches" / f"{mid(1)}.json").read_bytes()
    assert directory.match_path(mid(1)) == tmp_path.resolve() / "matches" / f"{mid(1)}.json"
    with pytest.raises(MatchNotFoundError, match="deadbeef"):
        directory.match_bytes("deadbeef")
    for hostile in ("../players", "a/b", ".hidden", ""):
        with pytest.raises(MatchNotFoundError):
            directory.match_bytes(hostile)


# --------------------------------------------------------------------- the MatchSource


@needs_fixtures
def test_recorded_source_protocol(real_dir: Path) -> None:
    async def scenario() -> None:
        source = RecordedSource(real_dir)
        assert isinstance(source, MatchSource)
        assert source.name == f"recorded:{real_dir.resolve()}"
        me = await source.resolve_player(gamertag="realplayer")
        assert me == PlayerIdentity(PLAYER, "RealPlayer")
        page = await source.history_page(me.xuid, 0)
        assert isinstance(page, HistoryPage)
        assert page.result_count == len(page.entries) == 5 and page.count == 25
        newest = page.entries[0]
        raw = await source.match_stats_raw(newest.match_id)
        assert orjson.loads(raw)["MatchInfo"]["StartTime"] == newest.start_time
        with pytest.raises(MatchNotFoundError):
            await source.match_stats_raw("00000000-0000-0000-0000-000000000000")
        names = await source.gamertags([PLAYER, "1234567890123456", "2533274800000777"])
        assert names == {PLAYER: "RealPlayer", "1234567890123456": "GAMERTAG"}
        map_doc = _fixture("get_map.json")
        assert await source.asset_name("maps", map_doc["AssetId"], map_doc["VersionId"]) == (
            "Forge Space"
        )
        assert await source.asset_name("maps", map_doc["AssetId"], "nope") is None
        custom = await source.history_page(me.xuid, 0, 25, "custom")
        assert custom.result_count == 1
        await source.aclose()
        assert source.counters.as_dict()["calls"] == {
            "profile": 2,
            "history": 2,
            "match_stats": 2,
            "discovery": 2,
        }

    asyncio.run(scenario())


def test_match_stats_raw_opens_only_the_requested_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_dir(tmp_path, 20)
    opened: list[str] = []
    real_open = builtins.open

    def spy(file: Any, *args: Any, **kwargs: Any) -> Any:
        opened.append(os.fspath(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", spy)

    async def scenario() -> bytes:
        source = RecordedSource(root)
        return await source.match_stats_raw(mid(7))

    raw = asyncio.run(scenario())
    assert orjson.loads(raw)["MatchId"] == mid(7)
    match_files = [p for p in opened if f"{os.sep}matches{os.sep}" in p]
    assert match_files == [str(root.resolve() / "matches" / f"{mid(7)}.json")]
    assert not (root / INDEX_FILE_NAME).exists()


# --------------------------------------------------------------------- the index


def test_index_is_persisted_and_refreshed(tmp_path: Path) -> None:
    root = make_dir(tmp_path, 12)
    first = RecordedDirectory(root)
    assert first.build_index() == 12
    assert first.index_files_parsed == 12
    assert (root / INDEX_FILE_NAME).is_file()

    # A new process (empty in-memory cache) reuses the persisted index.
    recorded._INDEXES.clear()
    second = RecordedDirectory(root)
    assert second.history_page(PLAYER)["ResultCount"] == 12
    assert second.index_files_parsed == 0

    # A new match file is seen by the running instance; only it is parsed.
    write_json(
        root / "matches" / "new.json", make_match("new", BASE + dt.timedelta(days=9), [OTHER])
    )
    assert second.history_page(OTHER)["Results"][0]["MatchId"] == "new"
    assert second.index_files_parsed == 1

    # A file changed in place is seen by the next RecordedDirectory (full re-stat).
    changed = make_match(mid(0), BASE + dt.timedelta(days=30), [PLAYER, SUBSTRING])
    path = root / "matches" / f"{mid(0)}.json"
    write_json(path, changed)
    os.utime(path, ns=(time.time_ns(), time.time_ns() + 10_000_000))
    third = RecordedDirectory(root)
    assert third.history_page(SUBSTRING)["Results"][0]["MatchId"] == mid(0)
    assert third.history_page(PLAYER)["Results"][0]["MatchId"] == mid(0)

    # A removed file disappears; a corrupt one is not fatal, and not skipped unseen:
    # it ends every history (whose match it is cannot be known) and fails when fetched.
    (root / "matches" / "new.json").unlink()
    (root / "matches" / "corrupt.json").write_text('{"MatchId": "corr')
    page = RecordedDirectory(root).history_page(OTHER)
    assert page["ResultCount"] == 12
    assert page["Results"][-1] == {"MatchId": "corrupt"}
    assert "corrupt" not in {r["MatchId"] for r in page["Results"][:-1]}


def test_index_of_many_files_is_fast(tmp_path: Path) -> None:
    n = 3000
    write_json(tmp_path / "players.json", [{"gamertag": "T", "xuid": PLAYER}])
    matches = tmp_path / "matches"
    matches.mkdir()
    for i in range(n):
        doc = make_match(mid(i), BASE + dt.timedelta(minutes=i), [PLAYER, f"25330000{i:08d}"])
        (matches / f"{mid(i)}.json").write_bytes(orjson.dumps(doc))
    started = time.perf_counter()
    directory = RecordedDirectory(tmp_path)
    pages = [directory.history_page(PLAYER, s) for s in range(0, n, 25)]
    elapsed = time.perf_counter() - started
    assert sum(p["ResultCount"] for p in pages) == n
    assert pages[0]["Results"][0]["MatchId"] == mid(n - 1)
    assert elapsed < 5, f"indexing {n} files and paging took {elapsed:.1f}s"
