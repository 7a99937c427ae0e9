"""`levelup demo` as a user runs it: a rerun with other settings starts from a clean
demo directory and database (real subprocess runs, generated data only)."""

from __future__ import annotations

from pathlib import Path

import duckdb

from levelup.demo.generator import generate_match
from tests.helpers import run_cli


def _stored_ids(data: Path) -> list[str]:
    db = data / "players" / "DemoSpartan" / "stats.duckdb"
    with duckdb.connect(str(db), read_only=True) as conn:
        return [
            r[0] for r in conn.execute("SELECT match_id FROM match_stats ORDER BY ALL").fetchall()
        ]


def test_a_rerun_with_other_settings_starts_clean(tmp_path: Path) -> None:
    data = tmp_path / "data"
    other = data / "players" / "SomeoneElse" / "keep.txt"
    other.parent.mkdir(parents=True)
    other.write_text("not the demo's")
    first = run_cli("demo", "--matches", "20", "--data-dir", str(data))
    assert first.returncode == 0, first.stderr
    assert len(_stored_ids(data)) == 20

    second = run_cli("demo", "--matches", "8", "--seed", "3", "--data-dir", str(data))
    assert second.returncode == 0, second.stderr
    files = sorted(p.stem for p in (data / "demo" / "recorded" / "matches").glob("*.json"))
    expected = sorted(generate_match(i, seed=3)["MatchId"] for i in range(8))
    assert files == expected  # nothing left of the first run's 20
    assert _stored_ids(data) == expected  # all 8 stored, none of the old ones
    lines = {" ".join(line.split()) for line in second.stdout.splitlines()}
    assert any("generated matches │ 8 in" in line for line in lines), second.stdout
    assert any("new matches stored this run │ 8 │" in line for line in lines), second.stdout
    assert any("matches in the database │ 8 │" in line for line in lines), second.stdout
    assert other.read_text() == "not the demo's"


def test_demo_bounds_its_size_and_words_a_bad_seed(tmp_path: Path) -> None:
    """`--matches 100000000` would fill a disk (~160 KB a match): refused before anything
    is written, with the cap and why; `--seed abc` says so in the tool's own words."""
    data = tmp_path / "data"
    huge = run_cli("demo", "--matches", "100000000", "--data-dir", str(data))
    assert huge.returncode == 2
    assert "'100000000' must be at most 20,000 (about 160 KB of disk a match" in huge.stderr
    assert not data.exists()
    seed = run_cli("demo", "--seed", "abc", "--data-dir", str(data))
    assert seed.returncode == 2
    assert "argument --seed: 'abc' is not a whole number" in seed.stderr
    assert "invalid int value" not in seed.stderr
    assert "at most 20,000" in run_cli("demo", "--help").stdout
