"""Benchmark scenario 5 (benchmarks/report_bench.py) runs end to end on a tiny dataset.

No timing is asserted (targets live in benchmarks/): the scenario generates, syncs,
adds skill rows when the sync stored none, and times the three outputs.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.helpers import REPO


def test_report_benchmark_writes_its_results(tmp_path: Path) -> None:
    out = tmp_path / "REPORT.md"
    result = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "report_bench.py"), "--matches", "120",
         "--runs", "1", "--out", str(out), "--work", str(tmp_path / "work")],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    text = out.read_text()
    for output in ("| terminal |", "| html |", "| json |"):
        assert output in text
    assert text.count("not measured at this size") == 3  # 120 matches: no verdict
    assert "match_skill" in text and "## Where the time goes" in text
    assert (tmp_path / "work" / "report.html").stat().st_size > 50_000
