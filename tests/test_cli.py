"""The command line itself, whatever the command: a closed stdout is a normal end,
common options work after the command's name, and usage errors show the command's
own usage with a "did you mean" hint. Real `python -m levelup` runs on generated data
(no shared fixture needed)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from levelup.cli import build_parser
from levelup.demo.generator import DEMO_OWNER, write_recorded_dir
from tests.helpers import REPO, run_cli

GT = DEMO_OWNER.gamertag


@pytest.fixture(scope="module")
def demo_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data dir holding the demo player's database (30 generated matches)."""
    data = tmp_path_factory.mktemp("cli") / "data"
    result = run_cli("demo", "--matches", "30", "--data-dir", str(data))
    assert result.returncode == 0, result.stderr
    return data


def _with_closed_stdout(args: list[str], config_dir: Path) -> subprocess.CompletedProcess[str]:
    """Run the command with stdout a pipe whose reader has already gone, the way
    `levelup ... | head -3` ends once head has its lines (minus the timing)."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPNKR_")}
    env["LEVELUP_CONFIG_DIR"] = str(config_dir)
    try:
        return subprocess.run(
            [sys.executable, "-m", "levelup", *args],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            timeout=120,
        )
    finally:
        os.close(write_end)


@pytest.mark.parametrize(
    "command",
    [
        ["report", "--player", GT],
        ["report", "--player", GT, "--json"],
        ["backfill", "--player", GT, "--shots", "--force-shots", "--dry-run"],
        ["backfill", "--player", GT, "--accuracy", "--json"],
        ["sync", "--player", GT, "--source", "REC", "--full"],
        ["demo", "--matches", "5"],
        ["auth", "--status"],
        ["--help"],
        ["--version"],
    ],
    ids=lambda c: " ".join(c),
)
def test_a_closed_stdout_is_a_normal_end(
    command: list[str], demo_data: Path, tmp_path: Path
) -> None:
    recorded = tmp_path / "rec"
    write_recorded_dir(recorded, 5)
    args = [a.replace("REC", str(recorded)) for a in command]
    if args[0] in ("report", "backfill", "sync"):
        args += ["--data-dir", str(demo_data)]
    elif args[0] == "demo":
        args += ["--data-dir", str(tmp_path / "demo")]
    result = _with_closed_stdout(args, tmp_path / "cfg")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr and "BrokenPipe" not in result.stderr
    assert "Broken pipe" not in result.stderr and "Exception ignored" not in result.stderr


def test_verbose_is_accepted_after_the_command(demo_data: Path) -> None:
    parser = build_parser("report")  # the parser as `levelup report ...` builds it
    assert parser.parse_args(["report", "-v", "--player", GT]).command_verbose == 1
    both = parser.parse_args(["-v", "report", "-vv", "--player", GT])
    assert (both.verbose, both.command_verbose) == (1, 2)
    result = run_cli("report", "--player", GT, "--data-dir", str(demo_data), "-v", "--json")
    assert result.returncode == 0, result.stderr
    quiet = run_cli("sync", "--player", GT, "--source", str(demo_data / "demo" / "recorded"),
                    "--data-dir", str(demo_data))  # fmt: skip
    loud = run_cli("sync", "--player", GT, "--source", str(demo_data / "demo" / "recorded"),
                   "--data-dir", str(demo_data), "-vv")  # fmt: skip
    assert quiet.returncode == loud.returncode == 0, loud.stderr
    assert "DEBUG" not in quiet.stderr and "DEBUG" in loud.stderr


@pytest.mark.parametrize(
    ("args", "usage", "hint"),
    [
        (["report", "--plyer", GT], "usage: levelup report", "did you mean --player?"),
        (["report", "--player", GT, "--lats", "3"], "usage: levelup report", "--last?"),
        (["backfill", "--all", "--shtos"], "usage: levelup backfill", "did you mean --shots?"),
        (["sync", "--player", GT, "--fulll"], "usage: levelup sync", "did you mean --full?"),
        (["reprot", "--player", GT], "usage: levelup [", "did you mean 'report'?"),
        # A prefix is not an abbreviation: a later option could change what it means.
        (["report", "--play", GT], "usage: levelup report", "--play: did you mean --player?"),
        (["sync", "--player", GT, "--max", "3"], "usage: levelup sync", "--max: did you mean"),
    ],
)
def test_a_misspelled_option_shows_the_commands_usage_and_a_suggestion(
    args: list[str], usage: str, hint: str, tmp_path: Path
) -> None:
    result = run_cli(*args, "--data-dir", str(tmp_path))
    assert result.returncode == 2
    assert usage in result.stderr and hint in result.stderr, result.stderr
    assert "are required" not in result.stderr  # the misspelling is the error, not a gap
    if usage != "usage: levelup [":
        assert "usage: levelup [" not in result.stderr  # not the top-level usage
    else:  # a misspelled command: its options are not called unknown
        assert "unrecognized arguments" not in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


def test_the_backfill_script_suggests_too() -> None:
    result = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "backfill_data.py"), "--all", "--shtos", "-v"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "usage: backfill_data.py" in result.stderr
    assert "did you mean --shots?" in result.stderr
