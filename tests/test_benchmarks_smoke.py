"""The benchmark harness runs end to end (tiny dataset, no targets asserted)."""

from __future__ import annotations

import subprocess
import sys

from tests.helpers import REPO


def test_quick_benchmark_run_writes_a_results_file(tmp_path):
    out = tmp_path / "RESULTS.md"
    result = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "run.py"), "--quick", "--out", str(out),
         "--work", str(tmp_path / "work")],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    text = out.read_text()
    for heading in ("## Machine", "## Results", "1. sync", "2. backfill", "3. backfill", "4. sync", "4b. sync",
                    "## Backfill selection queries", "## What this machine allows",
                    "| with skill (", "| without skill (", "## Export and SQL (issue 14)",
                    "| Parquet (zstd) |", "count(*) of every table, per player"):  # fmt: skip
        assert heading in text
    assert "stats responses for 60 matches written" in text
    # 200 matches are too few for a rate to judge: no verdict, rather than a false miss.
    assert (
        text.count("| not measured at this size |") == 9
    )  # 1, 1b, 2, 2b, 3, 4, 4b + export and SQL
    assert "**missed**" not in text and "| met |" not in text
