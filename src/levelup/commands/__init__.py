"""One module per CLI command; each exposes `register(subparsers)`, parses only its
options, calls into the package and returns the exit status.

`COMMANDS` names every command with its one-line help, in the order the top-level
help lists them: `levelup --help` is built from it without importing a single
command module (each imports its own stack), and each parser takes its help from it.
"""

COMMANDS: dict[str, str] = {
    "sync": "store a player's new matches",
    "backfill": "fill missing columns of stored matches from their JSON",
    "report": "the player's dashboard: record, K/D, rank, expectation, accuracy, medals, "
    "modes and maps, time, people, matches",
    "match": "one match's full scoreboard: every player by team, team scores, medals, CSR",
    "export": "write every table as Hive-partitioned Parquet or CSV (read-only)",
    "sql": "one read-only SQL query across every tracked player",
    "players": "every tracked player: matches stored, last sync, failures, completeness",
    "demo": "build and sync a generated dataset (offline, no account)",
    "auth": "sign in to Halo Waypoint and save the credentials",
}

# Commands that write nothing to a player database: stopped, they have nothing to keep.
READ_ONLY = frozenset({"report", "match", "export", "sql", "players"})
