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
