"""`levelup backfill` / `scripts/backfill_data.py` on real DuckDB files."""

from __future__ import annotations

import asyncio
import re
import shlex
import subprocess
import sys
from pathlib import Path

import duckdb
import orjson
import pytest

from levelup.commands.backfill import DRY_RUN_SHOWN
from levelup.demo.generator import DEMO_OWNER, generate_match
from levelup.demo.generator import write_recorded_dir as generated_recorded_dir
from levelup.extract.match import EXTRACTION_VERSION
from levelup.sources.recorded import RecordedSource
from levelup.store.database import connect, open_player_db
from levelup.store.schema import migrate, set_meta
from levelup.sync.backfill import BackfillRequest, backfill_player
from tests.helpers import (
    FIXTURE_PLAYER,
    MATCH_FILES,
    REPO,
    core,
    fixture_recorded_dir,
    last_json,
    match,
    needs_fixtures,
    player,
    run_cli,
    write_recorded_dir,
)
from tests.old_layout import make_old_database

BODIES = [p.read_bytes() for p in MATCH_FILES]
IDS = [orjson.loads(b)["MatchId"] for b in BODIES]
PARTICIPANTS = sum(len(orjson.loads(b)["Players"]) for b in BODIES)


def _old(tmp_path: Path, name: str = "Old") -> tuple[Path, Path]:
    data = tmp_path / "data"
    make_old_database(data / "players" / name / "stats.duckdb", BODIES, FIXTURE_PLAYER)
    return data, data / "players" / name / "stats.duckdb"


def _q(path: Path, sql: str):
    with duckdb.connect(str(path), read_only=True) as conn:
        return conn.execute(sql).fetchall()


def _tables(path: Path) -> dict[str, list]:
    with duckdb.connect(str(path), read_only=True) as conn:
        names = [r[0] for r in conn.execute("SHOW TABLES").fetchall()]
        return {
            n: (
                [r[0] for r in conn.execute(f"DESCRIBE {n}").fetchall()],
                sorted(conn.execute(f"SELECT * FROM {n}").fetchall(), key=str),
            )
            for n in names
        }


def _backfill(data: Path, *args: str, **kw):
    return run_cli("backfill", "--data-dir", str(data), *args, **kw)


@needs_fixtures
def test_old_database_is_migrated_then_backfilled_for_both_tables(tmp_path):
    data, db = _old(tmp_path)
    recorded = fixture_recorded_dir(tmp_path / "rec")
    result = _backfill(data, "--player", "Old", "--xuid", FIXTURE_PLAYER, "--shots",
                       "--participants-shots", "--source", str(recorded), "--json")  # fmt: skip
    assert result.returncode == 0, result.stderr
    report = last_json(result.stdout)
    assert report["shots_updated"] == len(IDS)
    assert report["participants_shots_updated"] == PARTICIPANTS
    assert report["selected"] == {"shots": len(IDS), "participants_shots": len(IDS)}
    # Each match read once, although two options asked for it.
    assert report["fetched_from_source"] == len(IDS) and report["read_from_store"] == 0
    assert report["players"][0]["shots_updated"] == len(IDS)
    # Values equal to an independent reading of the JSON.
    for body in BODIES:
        doc = orjson.loads(body)
        for p in doc["Players"]:
            cores = [e["Stats"]["CoreStats"] for e in p["PlayerTeamStats"]]
            key = p["PlayerId"][5:-1] if p["PlayerId"].startswith("xuid(") else p["PlayerId"]
            got = _q(
                db,
                f"SELECT shots_fired, shots_hit FROM match_participants WHERE match_id = '{doc['MatchId']}' AND xuid = '{key}'",
            )
            assert got == [(sum(c["ShotsFired"] for c in cores), sum(c["ShotsHit"] for c in cores))]
    # Nothing else changed: old columns and the column of its own survive.
    assert _q(db, "SELECT count(my_note) FROM match_stats") == [(len(IDS),)]
    assert _q(db, "SELECT count(*) FROM match_participants WHERE gamertag LIKE 'GT%'") == [
        (PARTICIPANTS,)
    ]
    assert _q(db, "SELECT count(*) FROM match_documents") == [(len(IDS),)]
    assert _q(db, "SELECT value FROM levelup_meta WHERE key = 'owner_xuid'") == [(FIXTURE_PLAYER,)]

    # Second run: nothing selected, nothing changed.
    again = last_json(_backfill(data, "--player", "Old", "--shots", "--participants-shots",
                                "--source", str(recorded), "--json").stdout)  # fmt: skip
    assert again["selected"] == {"shots": 0, "participants_shots": 0}
    assert again["shots_updated"] == again["participants_shots_updated"] == 0
    # Forced: every match processed from the stored JSON, zero rows changed.
    forced = _backfill(
        data, "--player", "Old", "--force-shots", "--force-participants-shots", "--json"
    )
    assert forced.returncode == 0, forced.stderr
    forced_report = last_json(forced.stdout)
    assert forced_report["selected"] == {"shots": len(IDS), "participants_shots": len(IDS)}
    assert (
        forced_report["read_from_store"] == len(IDS) and forced_report["fetched_from_source"] == 0
    )
    assert forced_report["shots_updated"] == forced_report["participants_shots_updated"] == 0


@needs_fixtures
def test_owner_xuid_is_looked_up_through_the_source_when_not_stored(tmp_path):
    data, db = _old(tmp_path, "FixturePlayer")
    recorded = fixture_recorded_dir(tmp_path / "rec")
    result = _backfill(
        data, "--player", "fixtureplayer", "--shots", "--source", str(recorded), "--json"
    )
    assert result.returncode == 0, result.stderr
    assert last_json(result.stdout)["shots_updated"] == len(IDS)
    assert _q(db, "SELECT value FROM levelup_meta WHERE key = 'owner_xuid'") == [(FIXTURE_PLAYER,)]


@needs_fixtures
def test_dry_run_writes_nothing_and_lists_the_matches(tmp_path):
    data, db = _old(tmp_path)
    recorded = fixture_recorded_dir(tmp_path / "rec")
    before = _tables(db)
    result = _backfill(data, "--player", "Old", "--xuid", FIXTURE_PLAYER, "--shots",
                       "--participants-shots", "--source", str(recorded), "--dry-run", "--json")  # fmt: skip
    assert result.returncode == 0, result.stderr
    report = last_json(result.stdout)
    assert set(report["would_process"]["shots"]) == set(IDS)
    assert set(report["would_process"]["participants_shots"]) == set(IDS)
    assert report["shots_updated"] == 0
    assert _tables(db) == before  # no migration, no log rows, no values
    text = _backfill(data, "--player", "Old", "--xuid", FIXTURE_PLAYER, "--shots", "--dry-run",
                     "--source", str(recorded))  # fmt: skip
    assert text.returncode == 0 and all(match_id in text.stdout for match_id in IDS)


def _synced(tmp_path: Path) -> tuple[Path, Path, Path]:
    recorded = fixture_recorded_dir(tmp_path / "rec")
    data = tmp_path / "data"
    sync = run_cli(
        "sync", "--player", "FixturePlayer", "--source", str(recorded), "--data-dir", str(data)
    )
    assert sync.returncode == 0, sync.stderr
    return recorded, data, data / "players" / "FixturePlayer" / "stats.duckdb"


@needs_fixtures
def test_stored_json_is_used_without_any_source_or_credentials(tmp_path):
    _, data, db = _synced(tmp_path)
    with duckdb.connect(str(db)) as conn:
        conn.execute("UPDATE match_stats SET shots_fired = NULL, accuracy = NULL")
        conn.execute(
            "UPDATE match_participants SET shots_hit = NULL WHERE xuid <> ?", [FIXTURE_PLAYER]
        )
    # --source defaults to the API; no credentials exist: the stored JSON suffices.
    result = _backfill(
        data, "--player", "FixturePlayer", "--shots", "--participants-shots", "--json"
    )
    assert result.returncode == 0, result.stderr
    report = last_json(result.stdout)
    assert report["read_from_store"] == len(IDS) and report["fetched_from_source"] == 0
    assert report["shots_updated"] == len(IDS)
    assert report["participants_shots_updated"] == PARTICIPANTS - len(IDS)
    assert _q(
        db, "SELECT count(*) FROM match_stats WHERE shots_fired IS NULL OR accuracy IS NULL"
    ) == [(0,)]


@needs_fixtures
def test_counters_equal_the_rows_really_changed_and_only_own_columns_change(tmp_path):
    _, data, db = _synced(tmp_path)
    with duckdb.connect(str(db)) as conn:
        conn.execute(
            f"UPDATE match_stats SET shots_hit = NULL, kills = 999 WHERE match_id = '{IDS[0]}'"
        )
        conn.execute(
            f"UPDATE match_participants SET kills = NULL, score = -1 WHERE match_id = '{IDS[1]}'"
        )
    before = _tables(db)
    result = last_json(
        _backfill(
            data, "--player", "FixturePlayer", "--shots", "--participants-kda", "--json"
        ).stdout
    )
    after = _tables(db)
    assert result["shots_updated"] == 1
    players_in_second = len(orjson.loads(BODIES[IDS.index(IDS[1])])["Players"])
    assert result["participants_kda_updated"] == players_in_second
    # kills = 999 is not a shots column: --shots leaves it alone; score -1 likewise for kda.
    assert _q(db, f"SELECT kills FROM match_stats WHERE match_id = '{IDS[0]}'") == [(999,)]
    assert _q(db, f"SELECT DISTINCT score FROM match_participants WHERE match_id = '{IDS[1]}'") == [
        (-1,)
    ]
    changed_stats = [r for r in after["match_stats"][1] if r not in before["match_stats"][1]]
    assert len(changed_stats) == 1
    # --reextract repairs everything from the stored JSON, no API call.
    fix = last_json(_backfill(data, "--player", "FixturePlayer", "--reextract", "--json").stdout)
    assert (
        fix["reextract_updated"] == 1 and fix["reextract_participants_updated"] == players_in_second
    )
    assert fix["fetched_from_source"] == 0
    assert _q(db, f"SELECT kills FROM match_stats WHERE match_id = '{IDS[0]}'") != [(999,)]


@needs_fixtures
def test_float_accuracy_of_an_old_database_is_compared_in_its_own_type(tmp_path):
    data, db = _old(tmp_path)
    recorded = fixture_recorded_dir(tmp_path / "rec")
    result = last_json(_backfill(data, "--player", "Old", "--xuid", FIXTURE_PLAYER, "--force-accuracy",
                                 "--source", str(recorded), "--json").stdout)  # fmt: skip
    assert result["selected"] == {"accuracy": len(IDS)}
    assert result["accuracy_updated"] == 0
    with duckdb.connect(str(db), read_only=True) as conn:
        types = dict(
            conn.execute(
                "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'match_stats'"
            ).fetchall()
        )
    assert types["accuracy"] == "FLOAT"


@needs_fixtures
def test_participants_shots_inserts_missing_participant_rows(tmp_path):
    _, data, db = _synced(tmp_path)
    with duckdb.connect(str(db)) as conn:
        conn.execute(f"DELETE FROM match_participants WHERE match_id = '{IDS[2]}'")
    result = last_json(
        _backfill(data, "--player", "FixturePlayer", "--participants-shots", "--json").stdout
    )
    expected = len(orjson.loads(BODIES[2])["Players"])
    assert result["selected"] == {"participants_shots": 1}
    assert result["participants_shots_updated"] == expected
    assert _q(
        db, f"SELECT count(shots_fired) FROM match_participants WHERE match_id = '{IDS[2]}'"
    ) == [(expected,)]


@needs_fixtures
def test_a_bad_match_among_good_ones(tmp_path):
    _, data, db = _synced(tmp_path)
    with duckdb.connect(str(db)) as conn:
        conn.execute("UPDATE match_stats SET shots_fired = NULL")
        conn.execute(
            f"UPDATE match_documents SET body = '{{\"MatchId\": ' WHERE match_id = '{IDS[0]}'"
        )
    result = _backfill(data, "--player", "FixturePlayer", "--shots", "--json")
    assert result.returncode == 1
    report = last_json(result.stdout)
    assert [f["match_id"] for f in report["failures"]] == [IDS[0]]
    assert "invalid JSON" in report["failures"][0]["reason"]
    assert report["shots_updated"] == len(IDS) - 1
    # A failed match is not logged: it is selected again next time.
    again = last_json(_backfill(data, "--player", "FixturePlayer", "--shots", "--json").stdout)
    assert again["selected"] == {"shots": 1}


def test_a_json_without_a_valid_value_is_not_selected_again_unless_forced(tmp_path):
    owner = "2535400000000001"
    docs = [
        match(f"00000000-0000-4000-8000-00000000000{i}",
              [player(f"xuid({owner})", (0, core(ShotsFired=None if i == 1 else 10, ShotsHit=5)))],
              start=f"2025-01-0{i}T10:00:00Z")
        for i in (1, 2)
    ]  # fmt: skip
    recorded = write_recorded_dir(tmp_path / "rec", docs, [{"gamertag": "Owner", "xuid": owner}])
    data = tmp_path / "data"
    assert (
        run_cli(
            "sync", "--player", "Owner", "--source", str(recorded), "--data-dir", str(data)
        ).returncode
        == 0
    )
    first = last_json(_backfill(data, "--player", "Owner", "--shots", "--json").stdout)
    assert first["selected"] == {"shots": 1} and first["shots_updated"] == 0
    db = data / "players" / "Owner" / "stats.duckdb"
    assert _q(db, "SELECT match_id, option, had_value, extraction_version FROM backfill_log") == [
        (docs[0]["MatchId"], "shots", False, EXTRACTION_VERSION)
    ]
    assert last_json(_backfill(data, "--player", "Owner", "--shots", "--json").stdout)[
        "selected"
    ] == {"shots": 0}
    forced = last_json(_backfill(data, "--player", "Owner", "--force-shots", "--json").stdout)
    assert forced["selected"] == {"shots": 2}


@needs_fixtures
def test_all_players_and_max_matches(tmp_path):
    data = tmp_path / "data"
    make_old_database(data / "players" / "A" / "stats.duckdb", BODIES, FIXTURE_PLAYER)
    make_old_database(data / "players" / "B" / "stats.duckdb", BODIES[:2], FIXTURE_PLAYER)
    recorded = fixture_recorded_dir(tmp_path / "rec")
    result = _backfill(data, "--all", "--participants-shots", "--source", str(recorded), "--json")
    assert result.returncode == 0, result.stderr
    report = last_json(result.stdout)
    assert [p["player"] for p in report["players"]] == ["A", "B"]
    assert report["selected"] == {"participants_shots": len(IDS) + 2}
    newest = _backfill(data, "--player", "A", "--force-participants-shots", "--max-matches", "2",
                       "--source", str(recorded), "--dry-run", "--json")  # fmt: skip
    ids = last_json(newest.stdout)["would_process"]["participants_shots"]
    starts = dict(
        _q(data / "players" / "A" / "stats.duckdb", "SELECT match_id, start_time FROM match_stats")
    )
    assert ids == sorted(starts, key=starts.__getitem__, reverse=True)[:2]


@needs_fixtures
def test_usage_errors(tmp_path):
    data, _ = _old(tmp_path)
    no_option = _backfill(data, "--player", "Old")
    assert no_option.returncode == 2 and "--participants-shots" in no_option.stderr
    both = _backfill(data, "--player", "Old", "--all", "--shots")
    assert both.returncode == 2 and "not both" in both.stderr
    unknown = _backfill(data, "--player", "Nobody", "--shots")
    assert unknown.returncode == 2 and "Nobody" in unknown.stderr
    for r in (no_option, both, unknown):
        assert "Traceback" not in r.stderr


class _CountingSource(RecordedSource):
    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.asked: list[str] = []

    async def match_stats_raw(self, match_id: str) -> bytes:
        self.asked.append(match_id)
        return await super().match_stats_raw(match_id)


@needs_fixtures
@pytest.mark.parametrize("refetch", [False, True])
def test_each_selected_match_is_read_once_whatever_the_options(tmp_path, refetch):
    _, db = _old(tmp_path)
    recorded = fixture_recorded_dir(tmp_path / "rec")
    source = _CountingSource(recorded)
    request = BackfillRequest(
        options={"shots": False, "participants_shots": True, "participants_kda": True,
                 "participants_scores": False},
        refetch=refetch, max_matches=3,
    )  # fmt: skip

    async def go():
        conn = connect(db)
        migrate(conn)
        try:
            return await backfill_player(conn, player="Old", owner_xuid=FIXTURE_PLAYER,
                                         request=request, source_provider=lambda: source)  # fmt: skip
        finally:
            conn.close()

    report = asyncio.run(go())
    assert len(source.asked) == len(set(source.asked)) == 3
    assert report.fetched_from_source == 3 and report.matches_processed == 3
    # The second pass reads from the store (or refetches every selected match once).
    source.asked.clear()
    request = BackfillRequest(options={"shots": True}, refetch=refetch)
    second = asyncio.run(go())
    assert len(source.asked) == (len(IDS) if refetch else len(IDS) - 3)
    assert second.read_from_store == (0 if refetch else 3)


def _docstring_examples() -> list[list[str]]:
    text = (REPO / "scripts" / "backfill_data.py").read_text()
    doc = text.split('"""')[1]
    commands = re.findall(r"^\s*(python scripts/backfill_data\.py .+)$", doc, flags=re.M)
    return [shlex.split(c)[2:] for c in commands]


@needs_fixtures
def test_the_plans_examples_run_as_written(tmp_path):
    examples = _docstring_examples()
    assert len(examples) >= 5
    assert ["--player", "JGtm", "--shots"] in examples
    assert ["--all", "--shots", "--participants-shots"] in examples
    data = tmp_path / "data"
    make_old_database(data / "players" / "JGtm" / "stats.duckdb", BODIES, FIXTURE_PLAYER)
    recorded = write_recorded_dir(
        tmp_path / "rec",
        [orjson.loads(b) for b in BODIES],
        [{"gamertag": "JGtm", "xuid": FIXTURE_PLAYER}],
    )
    for args in examples:
        result = subprocess.run(
            [sys.executable, str(REPO / "scripts" / "backfill_data.py"), *args,
             "--source", str(recorded), "--data-dir", str(data)],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert result.returncode == 0, (args, result.stderr)
        assert "Traceback" not in result.stderr
    assert _q(
        data / "players" / "JGtm" / "stats.duckdb",
        "SELECT count(*) FROM match_stats WHERE shots_fired IS NULL",
    ) == [(0,)]


@needs_fixtures
def test_participants_scores_and_accuracy_options(tmp_path):
    _, data, db = _synced(tmp_path)
    with duckdb.connect(str(db)) as conn:
        conn.execute(
            f"UPDATE match_participants SET rank = NULL, personal_score = 0 WHERE match_id = '{IDS[3]}'"
        )
        conn.execute(f"UPDATE match_stats SET accuracy = NULL WHERE match_id = '{IDS[4]}'")
    result = _backfill(
        data, "--player", "FixturePlayer", "--participants-scores", "--accuracy", "--json"
    )
    assert result.returncode == 0, result.stderr
    report = last_json(result.stdout)
    assert report["selected"] == {"participants_scores": 1, "accuracy": 1}
    assert report["participants_scores_updated"] == len(orjson.loads(BODIES[3])["Players"])
    assert report["accuracy_updated"] == 1
    assert _q(
        db, f"SELECT count(*) FROM match_participants WHERE match_id = '{IDS[3]}' AND rank IS NULL"
    ) == [(0,)]
    assert _q(db, f"SELECT accuracy IS NOT NULL FROM match_stats WHERE match_id = '{IDS[4]}'") == [
        (True,)
    ]


# ------------------------------------------- generated data (no shared fixture needed)

GENERATED = [orjson.dumps(generate_match(i)) for i in range(12)]
GENERATED_IDS = [orjson.loads(b)["MatchId"] for b in GENERATED]


def _generated_old(data: Path, name: str, *, owner_stored: bool) -> Path:
    db = data / "players" / name / "stats.duckdb"
    make_old_database(db, GENERATED, DEMO_OWNER.xuid)
    if owner_stored:
        conn, _ = open_player_db(db)
        set_meta(conn, "owner_xuid", DEMO_OWNER.xuid)
        set_meta(conn, "owner_gamertag", name)
        conn.close()
    return db


def test_all_goes_on_past_a_database_without_owner_xuid(tmp_path):
    """`--all` with one old database that records no owner and cannot look it up:
    that database is named with the `--xuid` way out, nothing of it is written, the
    others are processed, exit 1. Alone, it is a configuration error (exit 2)."""
    data = tmp_path / "data"
    env = {"LEVELUP_CONFIG_DIR": str(tmp_path / "no-credentials")}
    known = _generated_old(data, "Known", owner_stored=True)
    old = _generated_old(data, "Old", owner_stored=False)
    recorded = generated_recorded_dir(tmp_path / "rec", len(GENERATED)).path  # no "Old" in it
    old_before = _tables(old)

    dry = _backfill(data, "--all", "--shots", "--dry-run", "--json", env=env)
    assert dry.returncode == 1, dry.stderr
    report = last_json(dry.stdout)
    assert [p["player"] for p in report["players"]] == ["Known"]
    assert report["selected"] == {"shots": len(GENERATED)}
    assert [s["player"] for s in report["skipped_databases"]] == ["Old"]
    assert str(old) in dry.stderr and "--player Old --xuid XUID" in dry.stderr
    assert "Traceback" not in dry.stderr

    real = _backfill(data, "--all", "--shots", "--source", str(recorded), "--json", env=env)
    assert real.returncode == 1, real.stderr
    report = last_json(real.stdout)
    assert report["shots_updated"] == len(GENERATED)
    assert "--player Old --xuid XUID" in real.stderr and "Old" in real.stderr
    assert _q(known, "SELECT count(*) FROM match_stats WHERE shots_fired IS NULL") == [(0,)]
    assert _tables(old) == old_before  # not migrated, not touched

    alone = _backfill(data, "--player", "Old", "--shots", "--dry-run", env=env)
    assert alone.returncode == 2
    assert "--xuid" in alone.stderr and "credentials" in alone.stderr
    assert "Traceback" not in alone.stderr
    fixed = _backfill(data, "--player", "Old", "--xuid", DEMO_OWNER.xuid, "--shots",
                      "--source", str(recorded), "--json", env=env)  # fmt: skip
    assert fixed.returncode == 0, fixed.stderr
    assert last_json(fixed.stdout)["shots_updated"] == len(GENERATED)


def test_dry_run_prints_counts_and_the_first_few_ids(tmp_path):
    data = tmp_path / "data"
    _generated_old(data, "Known", owner_stored=True)
    args = ("--player", "Known", "--shots", "--participants-shots", "--dry-run")
    text = _backfill(data, *args)
    assert text.returncode == 0, text.stderr
    shown = [i for i in GENERATED_IDS if i in text.stdout]
    assert shown == GENERATED_IDS[:DRY_RUN_SHOWN]  # the newest few, in order
    assert text.stdout.count(f"would process {len(GENERATED)} match(es)") == 2
    assert f"and {len(GENERATED) - DRY_RUN_SHOWN} more (--json lists them all)" in text.stdout
    assert "selected for shots" in text.stdout
    # Nothing is read, fetched or written: no counters that could only say 0.
    for counter in ("read from the database", "fetched from the source", "shots_updated"):
        assert counter not in text.stdout
    full = last_json(_backfill(data, *args, "--json").stdout)["would_process"]
    assert full == {"shots": GENERATED_IDS, "participants_shots": GENERATED_IDS}


_INTERRUPTED_BACKFILL = """
import os, signal, sys
import levelup.sync.backfill as engine
from levelup.cli import main

read = engine._stored_bodies
calls = []


def ctrl_c_during_the_first_batch(*args, **kwargs):
    calls.append(1)
    if len(calls) == 1:
        os.kill(os.getpid(), signal.SIGINT)  # as a user's Ctrl-C, mid-run
    return read(*args, **kwargs)


engine._stored_bodies = ctrl_c_during_the_first_batch
sys.exit(main(sys.argv[1:]))
"""


def test_ctrl_c_stops_a_backfill_from_stored_json_between_batches(tmp_path: Path) -> None:
    """A backfill from stored JSON never waits on I/O; the first Ctrl-C must still stop
    it (it used to run to the end and exit 0), the batch in flight committed."""
    recorded = tmp_path / "recorded"
    generated_recorded_dir(recorded, 1200, seed=9, compact=True)
    data = tmp_path / "data"
    sync = run_cli("sync", "--player", DEMO_OWNER.gamertag, "--source", str(recorded),
                   "--data-dir", str(data))  # fmt: skip
    assert sync.returncode == 0, sync.stderr
    args = ["backfill", "--player", DEMO_OWNER.gamertag, "--data-dir", str(data),
            "--force-medals", "--force-teams"]  # fmt: skip
    stopped = subprocess.run(
        [sys.executable, "-c", _INTERRUPTED_BACKFILL, *args],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert stopped.returncode == 130, stopped.stderr
    assert [line for line in stopped.stderr.splitlines() if line.strip()] == [
        line for line in stopped.stderr.splitlines() if "interrupted by SIGINT" in line
    ]
    db = data / "players" / DEMO_OWNER.gamertag / "stats.duckdb"
    logged = _q(db, "SELECT count(DISTINCT match_id) FROM backfill_log WHERE option = 'medals'")
    assert 0 < logged[0][0] < 1200  # the first batch is written, not the whole run
    rerun = run_cli(*args)
    assert rerun.returncode == 0, rerun.stderr


def test_a_missing_source_directory_is_a_usage_error_even_when_no_fetch_is_needed(
    tmp_path: Path,
) -> None:
    result = run_cli("backfill", "--all", "--shots", "--source", str(tmp_path / "nope"),
                     "--data-dir", str(tmp_path / "data"))  # fmt: skip
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "nope" in lines[0] and "recorded-responses directory" in lines[0]


@needs_fixtures
def test_a_backfill_extracts_only_the_tables_its_options_write(tmp_path):
    """A bad medal count in the stored JSON is the medals option's business: a shots
    backfill neither warns about it nor touches match_medals; a medals backfill does.
    Likewise a bad participant value is not a medals backfill's business."""
    _, data, db = _synced(tmp_path)
    with duckdb.connect(str(db)) as conn:
        match_id, body = conn.execute(
            "SELECT match_id, body FROM match_documents WHERE kind = 'stats' LIMIT 1"
        ).fetchall()[0]
        doc = orjson.loads(body)
        medals = doc["Players"][0]["PlayerTeamStats"][0]["Stats"]["CoreStats"]["Medals"]
        assert medals, "the fixture's first player has medals"
        medals[0]["Count"] = "many"
        conn.execute(
            "UPDATE match_documents SET body = ? WHERE match_id = ? AND kind = 'stats'",
            [orjson.dumps(doc).decode(), match_id],
        )
    before = _q(db, "SELECT count(*) FROM match_medals WHERE count IS NULL")
    shots = _backfill(data, "--player", "FixturePlayer", "--force-shots", "--json")
    assert shots.returncode == 0, shots.stderr
    assert last_json(shots.stdout)["players"][0]["value_warnings"] == 0
    assert "many" not in shots.stderr
    assert _q(db, "SELECT count(*) FROM match_medals WHERE count IS NULL") == before
    doc["Players"][-1]["PlayerTeamStats"][0]["Stats"]["CoreStats"]["Assists"] = "lots"
    with duckdb.connect(str(db)) as conn:
        conn.execute(
            "UPDATE match_documents SET body = ? WHERE match_id = ? AND kind = 'stats'",
            [orjson.dumps(doc).decode(), match_id],
        )
    medals_run = _backfill(data, "--player", "FixturePlayer", "--force-medals", "--json")
    assert medals_run.returncode == 0, medals_run.stderr
    assert last_json(medals_run.stdout)["players"][0]["value_warnings"] == 1
    assert "many" in medals_run.stderr and "lots" not in medals_run.stderr
    assert _q(db, "SELECT count(*) FROM match_medals WHERE count IS NULL")[0][0] == 1
    kda = _backfill(data, "--player", "FixturePlayer", "--force-participants-kda", "--json")
    assert kda.returncode == 0, kda.stderr
    assert "lots" in kda.stderr and "many" not in kda.stderr
