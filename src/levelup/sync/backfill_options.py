"""The backfill's data options, one declarative entry each.

An entry says which table it repairs, which columns it writes, which matches
it selects when not forced, and which columns must hold a value for the match
to count as "the JSON had a valid value". Adding an option is adding an entry
here (and its CLI flag comes for free); the engine in `backfill.py` has no
per-option branch.
"""

from __future__ import annotations

from dataclasses import dataclass

from levelup.extract.rows import PARTICIPANT_COLUMNS, STATS_COLUMNS

STATS_TABLE = "match_stats"
PARTICIPANTS_TABLE = "match_participants"

# Matches of the player that have no participant row at all: participant
# options insert their rows.
_WITHOUT_PARTICIPANTS = (
    "SELECT s.match_id FROM match_stats AS s WHERE NOT EXISTS "
    "(SELECT 1 FROM match_participants AS p WHERE p.match_id = s.match_id)"
)


def _participants_with_null(columns: tuple[str, ...]) -> str:
    nulls = " OR ".join(f"p.{col} IS NULL" for col in columns)
    return (
        f"SELECT DISTINCT p.match_id FROM match_participants AS p WHERE {nulls} "
        f"UNION {_WITHOUT_PARTICIPANTS}"
    )


def _stats_with_null(columns: tuple[str, ...]) -> str:
    nulls = " OR ".join(f"s.{col} IS NULL" for col in columns)
    return f"SELECT s.match_id FROM match_stats AS s WHERE {nulls}"


@dataclass(frozen=True)
class BackfillOption:
    """One `--<name>` / `--force-<name>` pair of the backfill."""

    name: str
    help: str
    table: str
    columns: tuple[str, ...]
    selection_sql: str
    # Columns that must all be non-NULL in the extraction for "the JSON had a value".
    value_columns: tuple[str, ...]
    has_force: bool = True

    @property
    def counter(self) -> str:
        return f"{self.name}_updated"

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    @property
    def force_flag(self) -> str:
        return "--force-" + self.name.replace("_", "-")


_SHOTS = ("shots_fired", "shots_hit")
_KDA = ("kills", "deaths", "assists", "kda")
_SCORES = ("score", "personal_score", "rank")

OPTIONS: tuple[BackfillOption, ...] = (
    BackfillOption(
        name="shots",
        help="match_stats.shots_fired / shots_hit (and accuracy from them) where NULL",
        table=STATS_TABLE,
        columns=(*_SHOTS, "accuracy"),
        selection_sql=_stats_with_null(_SHOTS),
        value_columns=_SHOTS,
    ),
    BackfillOption(
        name="participants_shots",
        help="match_participants.shots_fired / shots_hit (and accuracy) for every participant",
        table=PARTICIPANTS_TABLE,
        columns=(*_SHOTS, "accuracy"),
        selection_sql=_participants_with_null(_SHOTS),
        value_columns=_SHOTS,
    ),
    BackfillOption(
        name="accuracy",
        help="match_stats.accuracy recomputed from the shots",
        table=STATS_TABLE,
        columns=("accuracy",),
        selection_sql=_stats_with_null(("accuracy",)),
        value_columns=("accuracy",),
    ),
    BackfillOption(
        name="participants_kda",
        help="match_participants kills, deaths, assists, kda",
        table=PARTICIPANTS_TABLE,
        columns=_KDA,
        selection_sql=_participants_with_null(_KDA),
        value_columns=_KDA,
    ),
    BackfillOption(
        name="participants_scores",
        help="match_participants score, personal_score, rank",
        table=PARTICIPANTS_TABLE,
        columns=_SCORES,
        selection_sql=_participants_with_null(_SCORES),
        value_columns=_SCORES,
    ),
    BackfillOption(
        name="reextract",
        help="every column of both tables rewritten from the match JSON (stored JSON: no API call)",
        table=STATS_TABLE,
        columns=tuple(c for c in STATS_COLUMNS if c != "match_id"),
        selection_sql="SELECT s.match_id FROM match_stats AS s",
        value_columns=(),
        has_force=False,
    ),
    BackfillOption(
        name="reextract_participants",
        help="(set by --reextract) every participant column rewritten from the match JSON",
        table=PARTICIPANTS_TABLE,
        # Gamertags come from the profile service, not from match JSON.
        columns=tuple(c for c in PARTICIPANT_COLUMNS if c not in ("match_id", "xuid", "gamertag")),
        selection_sql="SELECT s.match_id FROM match_stats AS s",
        value_columns=(),
        has_force=False,
    ),
)

OPTIONS_BY_NAME = {option.name: option for option in OPTIONS}

# Options a user names on the command line; the rest are switched on by another.
CLI_OPTIONS = tuple(o for o in OPTIONS if o.name != "reextract_participants")
IMPLIED = {"reextract": ("reextract_participants",)}

# Every match of the player's database, for the force variants.
ALL_MATCHES_SQL = (
    "SELECT match_id FROM match_stats UNION SELECT DISTINCT match_id FROM match_participants"
)
