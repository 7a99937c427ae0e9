#!/usr/bin/env python3
"""Backfill stored matches: the same command as `levelup backfill`.

The logic lives in the package (`levelup.sync.backfill`); this script is a thin
entry point kept because users and older docs call it by this path.

Usage examples (add `--source DIR` to read a recorded-responses directory
instead of the Halo Waypoint API; matches whose JSON is stored in the database
need no source at all):

    # Backfill shots for the tracked player (matches where shots are missing)
    python scripts/backfill_data.py --player JGtm --shots

    # Force shots for every match (match_stats)
    python scripts/backfill_data.py --player JGtm --shots --force-shots

    # Backfill shots for every participant (match_participants)
    python scripts/backfill_data.py --player JGtm --participants-shots

    # Force shots for every participant of every match
    python scripts/backfill_data.py --player JGtm --participants-shots --force-participants-shots

    # Combine with --all (every player database under the data dir)
    python scripts/backfill_data.py --all --shots --participants-shots

    # List what would be processed, write nothing
    python scripts/backfill_data.py --player JGtm --shots --participants-shots --dry-run

Other data options: --accuracy / --force-accuracy, --participants-kda /
--force-participants-kda, --participants-scores / --force-participants-scores,
--reextract. Run options: --player (repeatable) or --all, --dry-run,
--max-matches N, --source api|DIR, --refetch, --xuid, --data-dir,
--requests-per-second, --concurrency, --json.

Exit status: 0 all good, 1 some matches failed, 2 usage or configuration error.
"""

import sys
from pathlib import Path

try:
    from levelup.cli import backfill_script
except ModuleNotFoundError:  # run from a checkout without `pip install -e .`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    from levelup.cli import backfill_script

if __name__ == "__main__":
    sys.exit(backfill_script())
